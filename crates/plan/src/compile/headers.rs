//! Header tables (`[target] headers`, a request's `headers`) into a `HeaderMap`.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::Context;
use crate::error::Span;
use crate::locate::join;
use crate::plan::WrittenNames;
use crate::profile::HeadersProfile;

/// Headers the client computes itself: setting them by hand would corrupt the message.
const COMPUTED: [(&str, &str); 2] = [
    ("content-length", "it is computed from the body"),
    (
        "transfer-encoding",
        "the client chooses how to frame the body",
    ),
];

/// A compiled header table: the headers, and each name as written.
#[derive(Debug, Default)]
pub(super) struct Compiled {
    pub map: HeaderMap,
    pub written: Vec<(HeaderName, Box<str>)>,
}

/// Compiles a header table at `field`, in the order written. Wrong headers are
/// reported and left out.
pub(super) fn compile(
    headers: Option<&HeadersProfile>,
    field: &str,
    cx: &mut Context<'_>,
) -> Compiled {
    let mut map = HeaderMap::new();
    let mut written_names = Vec::new();
    for (name, value) in headers.into_iter().flatten() {
        let field = join(field, name);
        let name_span = key_span_before(cx.source, value.span().start);
        let written = name;
        let Some(name) = header_name(written, name_span, &field, cx) else {
            continue;
        };
        if map.contains_key(&name) {
            let message = format!("header {written:?} is given twice (header names ignore case)");
            cx.error(value.span(), field, message);
            continue;
        }
        match HeaderValue::from_str(value.get_ref()) {
            Ok(value) => {
                written_names.push((name.clone(), written.as_str().into()));
                map.insert(name, value);
            }
            Err(_) => {
                cx.error_help(
                    value.span(),
                    field,
                    format!(
                        "invalid value for header {written:?}: {:?}",
                        value.get_ref()
                    ),
                    "header values may hold visible ASCII characters, spaces and tabs only",
                );
            }
        }
    }
    Compiled {
        map,
        written: written_names,
    }
}

/// Names as written for a request: the target's, then the request's own (which win),
/// then the canonical case of headers the compiler adds, unless written otherwise.
pub(super) fn written_names(
    target: &[(HeaderName, Box<str>)],
    own: &[(HeaderName, Box<str>)],
    added: &[(HeaderName, &str)],
) -> WrittenNames {
    let mut names: Vec<(HeaderName, Box<str>)> = target
        .iter()
        .filter(|(name, _)| !own.iter().any(|(n, _)| n == name))
        .chain(own)
        .cloned()
        .collect();
    for (name, text) in added {
        if !names.iter().any(|(n, _)| n == name) {
            names.push((name.clone(), (*text).into()));
        }
    }
    WrittenNames::new(names)
}

fn header_name(name: &str, span: Span, field: &str, cx: &mut Context<'_>) -> Option<HeaderName> {
    let Ok(parsed) = HeaderName::from_bytes(name.as_bytes()) else {
        let help =
            "a header name is one word of letters, digits and !#$%&'*+-.^_`|~, e.g. X-Request-Id";
        cx.error_help(span, field, format!("invalid header name {name:?}"), help);
        return None;
    };
    if let Some((_, why)) = COMPUTED.iter().find(|(computed, _)| parsed == *computed) {
        cx.error(span, field, format!("header {name:?} cannot be set: {why}"));
        return None;
    }
    Some(parsed)
}

/// The span of the key written just before a value (`"X-Id" = "…"`), found in the text
/// because toml does not give keys of tables a reliable span. Falls back to the value.
fn key_span_before(source: &str, value_start: usize) -> Span {
    let fallback = value_start..value_start;
    let before = source.get(..value_start).unwrap_or_default().trim_end();
    let Some(before) = before.strip_suffix('=') else {
        return fallback;
    };
    let before = before.trim_end();
    let end = before.len();
    let start = match before.chars().last() {
        Some(quote @ ('"' | '\'')) => before[..end - 1].rfind(quote),
        Some(_) => before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map(|i| i + 1)
            .or(Some(0)),
        None => None,
    };
    start.map_or(fallback, |start| start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_span_before_finds_quoted_and_bare_keys() {
        let source = r#"headers = { "X-A" = "1", b-c = "2" }"#;
        let at = |needle: &str| source.find(needle).unwrap_or_default();
        assert_eq!(&source[key_span_before(source, at("\"1\""))], r#""X-A""#);
        assert_eq!(&source[key_span_before(source, at("\"2\""))], "b-c");
        assert_eq!(key_span_before(source, 0), 0..0);
    }
}
