//! A recorded request body as a profile writes it: JSON as a `json` table when TOML
//! can hold it, a form as a `form` table when its fields are distinct, anything else
//! as the raw `body`. `har` and `curl` share it.

use super::draft::{Body, Json, Text};

/// `text` sent with content type `mime` (may be empty or carry parameters).
pub fn classify(mime: &str, text: &str) -> Body {
    if text.is_empty() {
        return Body::None;
    }
    let essence = essence(mime);
    let looks_json = essence.contains("json")
        || (essence.is_empty() && text.trim_start().starts_with(['{', '[']));
    if looks_json {
        if let Some(json) = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .as_ref()
            .and_then(Json::from_value)
        {
            return Body::Json(json);
        }
    }
    if essence == FORM {
        if let Some(fields) = form_fields(text) {
            return Body::Form(fields);
        }
    }
    Body::Raw(Text::literal(text))
}

/// The form type Klavier's `form` sends.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// Whether the recorded `Content-Type` value is the one `body` implies (Klavier sends
/// that one itself, so it need not be written).
pub fn implied_content_type(body: &Body, mime: &str) -> bool {
    match body {
        Body::Json(_) => essence(mime) == "application/json",
        Body::Form(_) => essence(mime) == FORM,
        Body::None | Body::Raw(_) => false,
    }
}

/// `type/subtype` in lower case, without parameters.
pub fn essence(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The fields of a urlencoded form, when each name is there once (a `form` table has
/// each key once; repeated names stay in the raw body).
fn form_fields(text: &str) -> Option<Vec<(String, Text)>> {
    let mut fields: Vec<(String, Text)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
        if name.is_empty() || fields.iter().any(|(n, _)| *n == name) {
            return None;
        }
        fields.push((name.into_owned(), Text::literal(&value)));
    }
    // A body that is not `a=b&…` (no `=` anywhere) is not a form, whatever it says.
    (!fields.is_empty() && text.contains('=')).then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_a_table_unless_toml_cannot_hold_it() {
        assert!(matches!(
            classify("application/json; charset=utf-8", r#"{"a":1}"#),
            Body::Json(_)
        ));
        assert!(matches!(
            classify("application/vnd.api+json", "[1,2]"),
            Body::Json(_)
        ));
        assert!(matches!(classify("", r#"{"a":1}"#), Body::Json(_)));
        assert!(matches!(
            classify("application/json", r#"{"a":null}"#),
            Body::Raw(_)
        ));
        assert!(matches!(
            classify("application/json", "{broken"),
            Body::Raw(_)
        ));
        assert!(matches!(classify("application/json", ""), Body::None));
    }

    #[test]
    fn forms_become_tables_when_their_names_are_distinct() {
        let Body::Form(fields) = classify(FORM, "user=ann+b&pw=%26x") else {
            panic!("a form");
        };
        assert_eq!(
            fields,
            [
                ("user".to_owned(), Text::literal("ann b")),
                ("pw".to_owned(), Text::literal("&x"))
            ]
        );
        assert!(matches!(classify(FORM, "id=1&id=2"), Body::Raw(_)));
        assert!(matches!(classify(FORM, "hello"), Body::Raw(_)));
        assert!(matches!(classify("text/plain", "a=b"), Body::Raw(_)));
    }

    #[test]
    fn the_implied_content_type_need_not_be_written() {
        let json = classify("application/json", "{}");
        assert!(implied_content_type(&json, "Application/JSON"));
        assert!(!implied_content_type(&json, "application/vnd.api+json"));
        assert!(!implied_content_type(&Body::None, FORM));
    }
}
