//! The profile writer `har` and `curl` share: a [`Draft`] as TOML text, in the layout a
//! person would write (comments first, a table per section, a request's headers as its
//! own table, one per line).
//!
//! Strings are TOML basic strings (JSON's escapes are a subset of TOML's); literal parts
//! of a [`Text`] that a profile would read as template syntax (`{{`, `{%`, `{#`) are
//! written as a template that outputs them, so recorded values are sent as recorded.

use std::fmt::Write as _;

use super::draft::{Body, Draft, Json, Location, Part, Request, Scenario, Text};

/// How long an imported profile runs and with how many users, until edited.
const USERS: u32 = 10;
const DURATION: &str = "1m";

/// The profile text of `draft`.
pub fn profile(draft: &Draft) -> String {
    let mut out = String::new();
    for note in &draft.notes {
        comment(&mut out, note);
    }
    out.push_str("\n[target]\n");
    line(&mut out, "base_url", &quote(&draft.base_url));
    for (key, value) in &draft.target {
        line(&mut out, key, value);
    }
    if !draft.headers.is_empty() {
        out.push_str("\n[target.headers]\n");
        for (name, value) in &draft.headers {
            line(&mut out, &key(name), &text(value));
        }
    }
    let _ = write!(out, "\n[load]\nusers = {USERS}\n\n");
    for note in &draft.timing_notes {
        comment(&mut out, note);
    }
    out.push_str("[timings]\n");
    line(&mut out, "duration", &quote(DURATION));
    for (key, value) in &draft.timings {
        line(&mut out, key, value);
    }
    for scenario in &draft.scenarios {
        write_scenario(&mut out, scenario);
    }
    out
}

fn write_scenario(out: &mut String, scenario: &Scenario) {
    out.push('\n');
    for note in &scenario.notes {
        comment(out, note);
    }
    let _ = writeln!(out, "[scenarios.{}]", key(&scenario.name));
    for request in &scenario.requests {
        write_request(out, &scenario.name, request);
    }
}

fn write_request(out: &mut String, scenario: &str, request: &Request) {
    out.push('\n');
    for note in &request.notes {
        comment(out, note);
    }
    let table = format!("scenarios.{}.requests", key(scenario));
    let _ = writeln!(out, "[[{table}]]");
    line(out, "method", &quote(&request.method));
    match &request.location {
        Location::Path(path) => line(out, "path", &text(path)),
        Location::Url(url) => line(out, "url", &text(url)),
    }
    match &request.body {
        Body::None => {}
        Body::Raw(body) => line(out, "body", &text(body)),
        Body::Json(json) => line(out, "json", &json_value(json)),
        Body::Form(fields) => {
            let pairs: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{} = {}", key(name), text(value)))
                .collect();
            line(out, "form", &inline(&pairs));
        }
    }
    if let Some(redirects) = request.redirects {
        line(out, "redirects", &redirects.to_string());
    }
    if !request.extract.is_empty() {
        let pairs: Vec<String> = request
            .extract
            .iter()
            .map(|(name, path)| format!("{} = {{ json = {} }}", key(name), quote(path)))
            .collect();
        line(out, "extract", &inline(&pairs));
    }
    if let Some(status) = request.expect_status {
        line(out, "expect", &format!("{{ status = {status} }}"));
    }
    if !request.headers.is_empty() {
        let _ = writeln!(out, "[{table}.headers]");
        for (name, value) in &request.headers {
            line(out, &key(name), &text(value));
        }
    }
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn comment(out: &mut String, note: &str) {
    for text in note.lines() {
        let _ = writeln!(out, "# {text}");
    }
    if note.is_empty() {
        out.push_str("#\n");
    }
}

fn inline(pairs: &[String]) -> String {
    if pairs.is_empty() {
        return "{}".to_owned();
    }
    format!("{{ {} }}", pairs.join(", "))
}

/// A key: bare when TOML allows it, else quoted.
pub fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        quote(name)
    }
}

/// A TOML basic string.
pub fn quote(text: &str) -> String {
    crate::quick::quote(text)
}

/// A [`Text`] as a quoted template string.
fn text(value: &Text) -> String {
    quote(&template(value))
}

/// The template source of a [`Text`]: literals with template syntax escaped.
pub fn template(value: &Text) -> String {
    let mut source = String::new();
    for part in &value.0 {
        match part {
            Part::Literal(literal) => escape_into(&mut source, literal),
            Part::Var { name, filter: None } => {
                let _ = write!(source, "{{{{ {name} }}}}");
            }
            Part::Var {
                name,
                filter: Some(filter),
            } => {
                let _ = write!(source, "{{{{ {name} | {filter} }}}}");
            }
        }
    }
    source
}

/// `literal`, with each `{{`, `{%` and `{#` written as a template that outputs it.
fn escape_into(out: &mut String, literal: &str) {
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some(&next @ ('{' | '%' | '#'))) => {
                chars.next();
                let _ = write!(out, "{{{{ \"{{{next}\" }}}}");
            }
            _ => out.push(c),
        }
    }
}

/// A JSON value as an inline TOML value.
fn json_value(value: &Json) -> String {
    match value {
        Json::Bool(b) => b.to_string(),
        Json::Int(i) => i.to_string(),
        // `{:?}` always writes a TOML float: `1.0`, `0.1`, `1e300`.
        Json::Float(f) => format!("{f:?}"),
        Json::Text(t) => text(t),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(json_value).collect();
            format!("[{}]", items.join(", "))
        }
        Json::Object(fields) => {
            let pairs: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), json_value(v)))
                .collect();
            inline(&pairs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::draft::{Location, Request, Scenario};

    fn compile(text: &str) -> klavier_plan::Plan {
        klavier_plan::compile(text, "imported.toml", &klavier_plan::Overrides::default())
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn template_syntax_in_recorded_values_stays_literal() {
        let value = Text::literal("a{{b}} {% c {# d {e");
        let source = template(&value);
        assert_eq!(source, r#"a{{ "{{" }}b}} {{ "{%" }} c {{ "{#" }} d {e"#);
        let env = minijinja::Environment::new();
        assert_eq!(
            env.render_str(&source, ()).expect("renders"),
            "a{{b}} {% c {# d {e"
        );
    }

    #[test]
    fn a_draft_compiles_with_every_kind_of_body() {
        let request = |body: Body| Request {
            method: "POST".into(),
            location: Location::Path(Text::literal("/echo?q={{x}}")),
            headers: vec![("X-Odd.Name".into(), Text::literal("v\"1\""))],
            body,
            ..Request::default()
        };
        let json = serde_json::json!({"a b": [1, 2.5e300, "x"], "n": {"t": true}});
        let draft = Draft {
            notes: vec!["imported".into(), String::new()],
            base_url: "http://127.0.0.1:9".into(),
            headers: vec![("User-Agent".into(), Text::literal("test"))],
            scenarios: vec![Scenario {
                name: "s".into(),
                requests: vec![
                    request(Body::Raw(Text::literal("raw {{ body"))),
                    request(Body::Json(Json::from_value(&json).expect("no null"))),
                    request(Body::Form(vec![("a=b".into(), Text::literal("c&d"))])),
                    Request {
                        redirects: Some(0),
                        expect_status: Some(404),
                        extract: vec![("tok".into(), "$['a b'][2]".into())],
                        ..request(Body::None)
                    },
                ],
                ..Scenario::default()
            }],
            ..Draft::default()
        };
        let text = profile(&draft);
        let plan = compile(&text);
        assert_eq!(plan.scenarios[0].requests.len(), 4, "{text}");
        assert!(text.starts_with("# imported\n#\n"), "{text}");
    }
}
