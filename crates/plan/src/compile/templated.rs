//! The templated parts of a request: `{{ … }}` in its path or url, query values, header
//! values and body (`body`, string values of `json`, `form` values), compiled into a
//! [`RequestTemplate`]. A request with none keeps its prebuilt form only.

use indexmap::IndexMap;

use crate::document::{Spanned, Value};
use http::HeaderName;

use super::target::Origin;
use super::{Context, Reported};
use crate::error::Span;
use crate::locate::join;
use crate::profile::{HeadersProfile, RequestProfile};
use crate::template::{
    is_single_expression, is_template, Encode, RequestTemplate, Scope, TemplateError, Templates,
    Text,
};

/// Reads an environment variable (`std::env::var`, or a stand-in in tests).
pub(crate) type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// Templating state of one compilation.
pub(crate) struct Templating {
    /// Every template compiled so far.
    pub templates: Templates,
    /// What templates may name.
    pub scope: Scope,
    /// Reads an environment variable for `env("NAME")`.
    pub env: EnvLookup,
    /// `[target] headers` as written, whose templated values every request renders.
    pub target_headers: Option<HeadersProfile>,
}

impl Default for Templating {
    fn default() -> Self {
        Self {
            templates: Templates::new(),
            scope: Scope::default(),
            env: Box::new(|name| std::env::var(name).ok()),
            target_headers: None,
        }
    }
}

/// Compiles the templated parts of the request at `field`: `None` when it has none.
pub(super) fn compile(
    profile: &RequestProfile,
    field: &str,
    origin: &Origin,
    cx: &mut Context<'_>,
) -> Result<Option<RequestTemplate>, Reported> {
    let mut valid = true;
    let (uri, path_at) = uri(profile, field, origin, cx, &mut valid).unzip();
    let target_headers = cx.templating.target_headers.clone();
    let headers = headers(
        profile.headers.as_ref(),
        target_headers.as_ref(),
        field,
        cx,
        &mut valid,
    );
    let body = body(profile, field, cx, &mut valid);
    if !valid {
        // Each wrong template was reported where it was found.
        return Err(Reported);
    }
    let template = RequestTemplate {
        uri,
        path_at: path_at.flatten(),
        headers,
        body,
    };
    Ok(template.is_templated().then_some(template))
}

/// Compiles one string written at `span` (`None`: no span known, use `field`'s).
pub(super) fn add(
    text: &str,
    span: Option<Span>,
    field: &str,
    encode: Encode,
    out: &mut Text,
    cx: &mut Context<'_>,
) -> bool {
    let templating = &mut cx.templating;
    let env = &templating.env;
    let templates = &mut templating.templates;
    let added = if encode == Encode::JsonValue {
        templates.add_json_value(text, &templating.scope, env.as_ref())
    } else {
        templates.add(text, &templating.scope, env.as_ref())
    };
    match added {
        Ok(name) => {
            out.push_template(name, encode);
            true
        }
        Err(errors) => {
            let span = span.unwrap_or_else(|| cx.span_of(field));
            for error in errors {
                report(&error, span.clone(), field, cx);
            }
            false
        }
    }
}

/// Reports a template error at its place inside the string literal at `span`.
fn report(error: &TemplateError, span: Span, field: &str, cx: &mut Context<'_>) {
    let rest = cx.source.get(span.start..).unwrap_or_default();
    let opening = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        // A newline right after the opening quotes is not part of the string.
        3 + usize::from(rest[3..].starts_with('\n'))
    } else if rest.starts_with('"') || rest.starts_with('\'') {
        1
    } else {
        0
    };
    // Exact for strings without escapes; close enough otherwise.
    let at = (span.start + opening + error.offset).min(span.end.max(span.start));
    let problem = super::problem(field, error.message.clone(), error.help.clone());
    cx.push(at..at, problem);
}

/// The absolute URI as a text, when the path, url or a query value is templated, and
/// for a `path` where it starts in the rendered text.
fn uri(
    profile: &RequestProfile,
    field: &str,
    origin: &Origin,
    cx: &mut Context<'_>,
    valid: &mut bool,
) -> Option<(Text, Option<usize>)> {
    let location = profile.path.as_ref().or(profile.url.as_ref())?;
    let query = profile.query.as_ref();
    let templated_query = query
        .into_iter()
        .flatten()
        .any(|(_, v)| v.as_str().is_some_and(is_template));
    if !is_template(location.get_ref()) && !templated_query {
        return None;
    }
    let mut text = Text::default();
    let key = if profile.path.is_some() {
        "path"
    } else {
        "url"
    };
    let mut path_at = None;
    if profile.path.is_some() {
        let base = format!("{}://{}{}", origin.scheme, origin.authority, origin.prefix);
        path_at = Some(base.len());
        text.push_literal(&base);
    }
    *valid &= spanned(location, &join(field, key), Encode::Raw, &mut text, cx);
    let mut separator = if location.get_ref().contains('?') {
        '&'
    } else {
        '?'
    };
    for (name, value) in query.into_iter().flatten() {
        text.push_literal(&format!("{separator}{}=", form_encode(name)));
        separator = '&';
        let value_field = join(&join(field, "query"), name);
        *valid &= value_text(value, &value_field, Encode::Form, &mut text, cx);
    }
    Some((text, path_at))
}

fn spanned(
    written: &Spanned<String>,
    field: &str,
    encode: Encode,
    out: &mut Text,
    cx: &mut Context<'_>,
) -> bool {
    let text = written.get_ref();
    if is_template(text) {
        add(text, Some(written.span()), field, encode, out, cx)
    } else {
        out.push_literal(text);
        true
    }
}

/// A query or form value: a templated string, or any scalar as literal text. (Other
/// types are reported by the request's own compilation.)
fn value_text(
    value: &Value,
    field: &str,
    encode: Encode,
    out: &mut Text,
    cx: &mut Context<'_>,
) -> bool {
    let literal = match value {
        Value::String(s) if is_template(s) => return add(s, None, field, encode, out, cx),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match encode {
        Encode::Form => out.push_literal(&form_encode(&literal)),
        _ => out.push_literal(&literal),
    }
    true
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Header values with templates: the request's own, and `[target]`'s it does not override.
fn headers(
    own: Option<&HeadersProfile>,
    target: Option<&HeadersProfile>,
    field: &str,
    cx: &mut Context<'_>,
    valid: &mut bool,
) -> Vec<(HeaderName, Text)> {
    let own_names: Vec<String> = own
        .into_iter()
        .flatten()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    let target_only = target
        .into_iter()
        .flatten()
        .filter(|(name, _)| !own_names.contains(&name.to_ascii_lowercase()))
        .map(|(name, value)| (name, value, join("target.headers", name)));
    let own = own
        .into_iter()
        .flatten()
        .map(|(name, value)| (name, value, join(&join(field, "headers"), name)));
    let mut templated = Vec::new();
    for (name, value, header_field) in own.chain(target_only) {
        if !is_template(value.get_ref()) {
            continue;
        }
        // An invalid name is reported by the header table's own compilation.
        let Ok(parsed) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let mut text = Text::default();
        *valid &= spanned(value, &header_field, Encode::Raw, &mut text, cx);
        templated.push((parsed, text));
    }
    templated
}

/// The body as a text, when `body`, a `json` string or a `form` value is templated, or
/// when there is a `form` (whose encoding is built here either way).
fn body(
    profile: &RequestProfile,
    field: &str,
    cx: &mut Context<'_>,
    valid: &mut bool,
) -> Option<Text> {
    let mut text = Text::default();
    if let Some(body) = &profile.body {
        if !is_template(body.get_ref()) {
            return None;
        }
        *valid &= spanned(body, &join(field, "body"), Encode::Raw, &mut text, cx);
    } else if let Some(json) = &profile.json {
        if !has_template(json) {
            return None;
        }
        *valid &= json_text(json, &join(field, "json"), &mut text, cx);
    } else if let Some(form) = &profile.form {
        *valid &= form_text(form, &join(field, "form"), &mut text, cx);
    } else {
        return None;
    }
    Some(text)
}

fn has_template(value: &Value) -> bool {
    match value {
        Value::String(s) => is_template(s),
        Value::Array(items) => items.iter().any(has_template),
        Value::Table(table) => table.values().any(has_template),
        _ => false,
    }
}

/// A `form` table, form-urlencoded in the order written.
pub(super) fn form_text(
    form: &IndexMap<String, Value>,
    field: &str,
    out: &mut Text,
    cx: &mut Context<'_>,
) -> bool {
    let mut valid = true;
    for (i, (name, value)) in form.iter().enumerate() {
        let value_field = join(field, name);
        if matches!(value, Value::Array(_) | Value::Table(_)) {
            let span = cx.span_of(&value_field);
            let message = format!(
                "a form value must be a string, number or boolean, found {}",
                value.type_str()
            );
            cx.error(span, value_field, message);
            valid = false;
            continue;
        }
        let separator = if i == 0 { "" } else { "&" };
        out.push_literal(&format!("{separator}{}=", form_encode(name)));
        valid &= value_text(value, &value_field, Encode::Form, out, cx);
    }
    valid
}

/// A `json` value as JSON text whose templated strings are rendered and escaped; a
/// string that is exactly one `{{ … }}` is the JSON of the expression's value.
fn json_text(value: &Value, field: &str, out: &mut Text, cx: &mut Context<'_>) -> bool {
    match value {
        Value::String(s) if is_single_expression(s) => {
            add(s, None, field, Encode::JsonValue, out, cx)
        }
        Value::String(s) if is_template(s) => {
            out.push_literal("\"");
            let ok = add(s, None, field, Encode::JsonString, out, cx);
            out.push_literal("\"");
            ok
        }
        Value::Array(items) => {
            out.push_literal("[");
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_literal(",");
                }
                ok &= json_text(item, &crate::locate::index(field, i), out, cx);
            }
            out.push_literal("]");
            ok
        }
        Value::Table(table) => {
            out.push_literal("{");
            let mut ok = true;
            for (i, (key, item)) in table.iter().enumerate() {
                if i > 0 {
                    out.push_literal(",");
                }
                let key_json = serde_json::to_string(key).expect("a string always serializes");
                out.push_literal(&format!("{key_json}:"));
                ok &= json_text(item, &join(field, key), out, cx);
            }
            out.push_literal("}");
            ok
        }
        scalar => match serde_json::to_string(scalar) {
            Ok(json) => {
                out.push_literal(&json);
                true
            }
            // Reported by the request's own compilation of `json`.
            Err(_) => false,
        },
    }
}
