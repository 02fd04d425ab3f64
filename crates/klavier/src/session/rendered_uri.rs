//! A rendered path or URL made a [`Uri`], or a reason that says what is wrong and where:
//! the rendered value (its secrets hidden as everywhere else) and the position of the
//! first character at fault. Such a request fails as `invalid_url`; it is never sent.

use http::Uri;

/// `rendered` as a URI; `path_at` is where a templated `path` starts in it (it must
/// start with `/`: `"{{ prefix }}/items"` rendering `api/items` would change the host).
/// `redact` names more query parameters to hide in the reason.
pub fn parse(rendered: &str, path_at: Option<usize>, redact: &[String]) -> Result<Uri, String> {
    let shown = || klavier_plan::redact::url(rendered, redact).into_owned();
    if let Some(at) = path_at {
        let path = rendered.get(at..).unwrap_or_default();
        if !path.starts_with('/') {
            return Err(format!(
                "the rendered URL {:?} is not valid: its path must start with \"/\", found {:?} at character {}",
                shown(),
                path.chars().next().map_or_else(String::new, String::from),
                char_position(rendered, at),
            ));
        }
    }
    // A rendered path may hold non-ASCII data (a CSV of names): sent encoded.
    let encoded = klavier_plan::encode::non_ascii(rendered);
    Uri::try_from(encoded.as_ref()).map_err(|e| {
        let place = match first_invalid(rendered) {
            Some((at, c)) => format!(
                "character {} ({c:?}) is not allowed in a URI: percent-encode it (e.g. with | urlencode)",
                char_position(rendered, at)
            ),
            None => format!("{e} (from character 1)"),
        };
        format!("the rendered URL {:?} is not valid: {place}", shown())
    })
}

/// The first character of `text` that a URI may not hold (RFC 3986), and its byte
/// offset: non-ASCII characters are fine (they are sent percent-encoded), as is a `%`
/// followed by two hex digits.
fn first_invalid(text: &str) -> Option<(usize, char)> {
    const ALLOWED: &str = "-._~:/?#[]@!$&'()*+,;=";
    let bytes = text.as_bytes();
    let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
    text.char_indices().find(|&(at, c)| match c {
        '%' => !(hex(at + 1) && hex(at + 2)),
        c if !c.is_ascii() || c.is_ascii_alphanumeric() => false,
        c => !ALLOWED.contains(c),
    })
}

/// The 1-based position of the character at byte `at`.
fn char_position(text: &str, at: usize) -> usize {
    text.get(..at).map_or(at, |head| head.chars().count()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_rendered_uri_parses_and_non_ascii_is_encoded() {
        let uri = parse("http://h:1/api/café?q=1", Some(10), &[]).expect("valid");
        assert_eq!(uri.path(), "/api/caf%C3%A9");
    }

    #[test]
    fn the_reason_shows_the_value_and_the_position_of_the_fault() {
        let e = parse("http://h:1/a b/items", Some(10), &[]).expect_err("a space");
        assert_eq!(
            e,
            "the rendered URL \"http://h:1/a b/items\" is not valid: character 13 (' ') is not \
             allowed in a URI: percent-encode it (e.g. with | urlencode)"
        );
        let e = parse("http://h:1/a\tb", None, &[]).expect_err("a tab");
        assert!(e.contains("character 13 ('\\t')"), "{e}");
        let e = parse("http://h:1/é b", None, &[]).expect_err("counted in characters");
        assert!(e.contains("character 13 (' ')"), "{e}");
    }

    #[test]
    fn a_templated_path_must_start_with_a_slash() {
        // "{{ prefix }}/items" with prefix = "evil.test": never a request to evil.test.
        let e = parse("http://h:1evil.test/items", Some(10), &[]).expect_err("no slash");
        assert_eq!(
            e,
            "the rendered URL \"http://h:1evil.test/items\" is not valid: its path must start \
             with \"/\", found \"e\" at character 11"
        );
        assert!(parse("http://h:1", Some(10), &[]).is_err(), "an empty path");
    }

    #[test]
    fn secrets_in_the_rendered_value_are_hidden() {
        let e = parse(
            "http://u:pw@h:1/a b?token=s3cret&tenant=t1",
            None,
            &["tenant".into()],
        )
        .expect_err("a space");
        assert!(
            !e.contains("pw") && !e.contains("s3cret") && !e.contains("t1"),
            "{e}"
        );
        assert!(e.contains("/a b"), "{e}");
    }
}
