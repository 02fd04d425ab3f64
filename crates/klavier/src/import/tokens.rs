//! Correlation: a value the server handed out (a JSON field of a response body) that a
//! later request sends back (in a header, the URL or the body) becomes an `extract` on
//! the request whose response held it and a `{{ variable }}` wherever it was sent, so
//! every virtual user carries its own token instead of the recording's.
//!
//! A value counts as a token when it is long enough not to be a coincidence (8
//! characters or more, with a digit or 16 long), has no blanks, is not a path or URL
//! (a path cannot start with a variable), and no earlier request sent it (then the
//! client made it up, like a user name typed into a form and echoed back).
//! Cookies a response set go back through Klavier's cookie jar by themselves; one whose
//! value a request sends elsewhere (a CSRF header, say) is pointed out in a comment,
//! as `extract` reads a body or a whole header, not one cookie.

use std::collections::BTreeSet;

use klavier_plan::template::{BUILTINS, FUNCTIONS};

use super::draft::{Body, Location, Part, Request, Text};

/// What the recording says a request's response held.
#[derive(Debug, Default)]
pub struct Answer {
    /// The body, when it was JSON.
    pub json: Option<serde_json::Value>,
    /// The cookies it set: name and value.
    pub cookies: Vec<(String, String)>,
}

/// One value carried from a response to later requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// The variable it became.
    pub variable: String,
    /// The request whose response holds it.
    pub source: usize,
    /// The requests that send it.
    pub users: Vec<usize>,
}

/// The most strings of one response body looked at: a huge listing holds no more
/// tokens worth finding than its first thousand strings.
const MAX_STRINGS: usize = 1000;

/// Rewrites `requests` (in recorded order, `answers` beside them): extractions and
/// variables for each token carried. Returns them, in order of their source.
pub fn correlate(requests: &mut [Request], answers: &[Answer]) -> Vec<Carried> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut carried = Vec::new();
    for (source, answer) in answers.iter().enumerate().take(requests.len()) {
        let mut strings = Vec::new();
        if let Some(json) = &answer.json {
            collect_strings(json, "$", None, &mut strings);
        }
        for (path, key, value) in strings {
            if !is_token(&value)
                || requests[..=source]
                    .iter()
                    .any(|r| mentions(r, &value, true))
            {
                continue;
            }
            let variable = fresh_name(key.as_deref().unwrap_or("token"), &taken);
            let users: Vec<usize> = (source + 1..requests.len())
                .filter(|&user| substitute(&mut requests[user], &value, &variable))
                .collect();
            if users.is_empty() {
                continue;
            }
            requests[source].extract.push((variable.clone(), path));
            taken.insert(variable.clone());
            carried.push(Carried {
                variable,
                source,
                users,
            });
        }
        for (cookie, value) in &answer.cookies {
            if !is_token(value) {
                continue;
            }
            for user in requests.iter_mut().skip(source + 1) {
                if mentions(user, value, false) {
                    user.notes.push(format!(
                        "sends the value of cookie {cookie:?}, which an earlier response set: \
                         kept as recorded (extract reads a body or a whole header, not one cookie)"
                    ));
                }
            }
        }
    }
    carried
}

/// Whether `value` looks like something a server hands out.
fn is_token(value: &str) -> bool {
    let length = value.chars().count();
    length >= 8
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && !value.starts_with('/')
        && !value.contains("://")
        && (length >= 16 || value.chars().any(|c| c.is_ascii_digit()))
}

/// Every string of `value` with its JSONPath and the nearest object key above it.
fn collect_strings(
    value: &serde_json::Value,
    path: &str,
    key: Option<&str>,
    out: &mut Vec<(String, Option<String>, String)>,
) {
    if out.len() >= MAX_STRINGS {
        return;
    }
    match value {
        serde_json::Value::String(s) => {
            out.push((path.to_owned(), key.map(str::to_owned), s.clone()));
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_strings(item, &format!("{path}[{index}]"), key, out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                collect_strings(item, &member(path, name), Some(name.as_str()), out);
            }
        }
        _ => {}
    }
}

/// `path.name`, or `path['name']` when the name is not an identifier (RFC 9535).
fn member(path: &str, name: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        format!("{path}.{name}")
    } else {
        let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{path}['{escaped}']")
    }
}

/// Words a template would not read as a variable.
const RESERVED: [&str; 16] = [
    "true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "if", "else",
    "for", "self", "loop",
];

/// A variable name from a JSON key, unlike any built-in or name already taken.
fn fresh_name(key: &str, taken: &BTreeSet<String>) -> String {
    let mut base: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert_str(0, "v_");
    }
    if BUILTINS.contains(&base.as_str())
        || FUNCTIONS.contains(&base.as_str())
        || RESERVED.contains(&base.as_str())
    {
        base.push_str("_value");
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Whether `request` sends `value` (literally, or percent-encoded in its URL); in its
/// `Cookie` header too when `cookie_header`.
fn mentions(request: &Request, value: &str, cookie_header: bool) -> bool {
    let encoded = urlencoded(value);
    let location = match &request.location {
        Location::Path(t) | Location::Url(t) => t.literal_parts(),
    };
    if location.contains(value) || location.contains(&encoded) {
        return true;
    }
    if request.headers.iter().any(|(n, v)| {
        (cookie_header || !n.eq_ignore_ascii_case("cookie")) && v.literal_parts().contains(value)
    }) {
        return true;
    }
    match &request.body {
        Body::None => false,
        Body::Raw(t) => {
            let text = t.literal_parts();
            text.contains(value) || text.contains(&encoded)
        }
        Body::Json(json) => json.any_text(&|t| t.literal_parts().contains(value)),
        Body::Form(fields) => fields
            .iter()
            .any(|(_, v)| v.literal_parts().contains(value)),
    }
}

/// Replaces `value` with `{{ variable }}` wherever `request` sends it; the `Cookie`
/// header is left to the cookie jar. Returns whether anything was replaced.
fn substitute(request: &mut Request, value: &str, variable: &str) -> bool {
    let encoded = urlencoded(value);
    let mut replaced = false;
    let both = |text: &mut Text, keep_start: bool| {
        let mut any = text.substitute(value, variable, None, keep_start);
        if encoded != value {
            any |= text.substitute(&encoded, variable, Some("urlencode"), keep_start);
        }
        any
    };
    match &mut request.location {
        Location::Path(t) | Location::Url(t) => replaced |= both(t, true),
    }
    for (name, text) in &mut request.headers {
        if !name.eq_ignore_ascii_case("cookie") {
            replaced |= text.substitute(value, variable, None, false);
        }
    }
    match &mut request.body {
        Body::None => {}
        Body::Raw(t) => replaced |= both(t, false),
        Body::Json(json) => json.each_text(&mut |t| {
            if t.substitute(value, variable, None, false) {
                replaced = true;
                keep_a_string(t, value);
            }
        }),
        Body::Form(fields) => {
            for (_, text) in fields {
                replaced |= text.substitute(value, variable, None, false);
            }
        }
    }
    replaced
}

/// A JSON string that is now exactly one variable stays a string even if its value
/// reads as a number (`"12345678"`), should templates ever render typed values.
fn keep_a_string(text: &mut Text, value: &str) {
    let typed = serde_json::from_str::<serde_json::Value>(value).is_ok_and(|v| !v.is_string());
    if let [Part::Var { filter, .. }] = text.0.as_mut_slice() {
        if typed && filter.is_none() {
            *filter = Some("string");
        }
    }
}

/// `value` percent-encoded as a template's `urlencode` filter writes it.
fn urlencoded(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'.' | b'-' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::draft::Json;

    fn get(path: &str) -> Request {
        Request {
            method: "GET".into(),
            location: Location::Path(Text::literal(path)),
            ..Request::default()
        }
    }

    fn answer(json: serde_json::Value) -> Answer {
        Answer {
            json: Some(json),
            cookies: Vec::new(),
        }
    }

    #[test]
    fn a_token_from_a_response_becomes_an_extraction_and_a_variable() {
        let token = "eyJhbGciOi.abc123+/=";
        let mut login = get("/login");
        login.method = "POST".into();
        login.body =
            Body::Json(Json::from_value(&serde_json::json!({"user": "ann-1234"})).expect("json"));
        let mut me = get("/me");
        me.headers = vec![(
            "Authorization".into(),
            Text::literal(&format!("Bearer {token}")),
        )];
        let items = get(&format!("/items?t={}", urlencoded(token)));
        let mut requests = vec![login, me, items];
        let answers = vec![
            answer(serde_json::json!({"data": {"access-token": token}, "user": "ann-1234"})),
            Answer::default(),
            Answer::default(),
        ];
        let carried = correlate(&mut requests, &answers);
        assert_eq!(
            carried,
            [Carried {
                variable: "access_token".into(),
                source: 0,
                users: vec![1, 2]
            }],
            "the user name was sent first, so it is no token"
        );
        assert_eq!(
            requests[0].extract,
            [("access_token".into(), "$.data['access-token']".into())]
        );
        assert_eq!(
            crate::import::write::template(&requests[1].headers[0].1),
            "Bearer {{ access_token }}"
        );
        let Location::Path(path) = &requests[2].location else {
            panic!("a path");
        };
        assert_eq!(
            crate::import::write::template(path),
            "/items?t={{ access_token | urlencode }}"
        );
    }

    #[test]
    fn short_words_and_paths_are_no_tokens() {
        assert!(is_token("tok-1-616e6e"));
        assert!(is_token("abcdefghijklmnop"));
        assert!(!is_token("abcdefgh"), "no digit and short");
        assert!(!is_token("1234567"));
        assert!(!is_token("/api/items/12345678"));
        assert!(!is_token("https://cdn.example/1234"));
        assert!(!is_token("two words 12345"));
    }

    #[test]
    fn names_avoid_builtins_and_each_other() {
        let mut taken = BTreeSet::new();
        assert_eq!(fresh_name("id", &taken), "id");
        taken.insert("id".to_owned());
        assert_eq!(fresh_name("id", &taken), "id_2");
        assert_eq!(fresh_name("vu", &taken), "vu_value");
        assert_eq!(fresh_name("true", &taken), "true_value");
        assert_eq!(fresh_name("2fa", &taken), "v_2fa");
        assert_eq!(fresh_name("x-csrf", &taken), "x_csrf");
    }

    #[test]
    fn a_numeric_token_in_a_json_body_stays_a_string() {
        let mut next = get("/orders");
        next.body = Body::Json(
            Json::from_value(&serde_json::json!({"order": "1234567890"})).expect("json"),
        );
        let mut requests = vec![get("/cart"), next];
        let answers = vec![
            answer(serde_json::json!({"order_id": "1234567890"})),
            Answer::default(),
        ];
        correlate(&mut requests, &answers);
        let Body::Json(Json::Object(fields)) = &requests[1].body else {
            panic!("json");
        };
        let Json::Text(text) = &fields[0].1 else {
            panic!("text");
        };
        assert_eq!(
            crate::import::write::template(text),
            "{{ order_id | string }}"
        );
    }

    #[test]
    fn a_cookie_sent_elsewhere_is_pointed_out() {
        let mut post = get("/form");
        post.headers = vec![("X-CSRF".into(), Text::literal("csrf12345678"))];
        let mut requests = vec![get("/"), post];
        let answers = vec![
            Answer {
                json: None,
                cookies: vec![("csrftoken".into(), "csrf12345678".into())],
            },
            Answer::default(),
        ];
        assert!(correlate(&mut requests, &answers).is_empty());
        assert!(requests[1].notes[0].contains("\"csrftoken\""));
    }
}
