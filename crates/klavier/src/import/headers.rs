//! Which recorded request headers an imported profile copies.
//!
//! The browser or Klavier manages some headers itself, and copying them would be wrong:
//! framing and connection headers (`Host`, `Content-Length`, `Connection`, …) are
//! Klavier's to write, HTTP/2 pseudo-headers (`:path`) are not headers at all,
//! `Accept-Encoding` is Klavier's (`[target] compression`), `sec-*` and `Priority` are
//! the browser's, and cache validators (`If-None-Match`, `If-Modified-Since`) describe a
//! browser cache a load test does not have. Credentials (`Cookie`, `Authorization`,
//! `Proxy-Authorization`) are copied only when asked: a recording holds someone's live
//! session, and the cookie jar carries cookies the responses set.

/// What to do with one recorded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Copy it.
    Keep,
    /// A credential: copied only with `--keep-auth` (or once its value is a variable).
    Secret,
    /// Never copied.
    Drop,
}

/// The verdict on header `name`.
pub fn verdict(name: &str) -> Verdict {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with(':') || lower.starts_with("sec-") || MANAGED.contains(&lower.as_str()) {
        Verdict::Drop
    } else if SECRETS.contains(&lower.as_str()) {
        Verdict::Secret
    } else {
        Verdict::Keep
    }
}

/// Headers Klavier or the browser writes itself.
const MANAGED: [&str; 13] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "upgrade",
    "accept-encoding",
    "priority",
    "if-none-match",
    "if-modified-since",
    "http2-settings",
];

/// Credentials.
const SECRETS: [&str; 3] = ["cookie", "authorization", "proxy-authorization"];

/// Whether a secret header's value, once variables replaced what came from earlier
/// responses, holds nothing recorded but its scheme (`Bearer {{ token }}`): then it
/// carries no credential from the recording and can be written without `--keep-auth`.
pub fn only_scheme_left(text: &super::draft::Text) -> bool {
    text.has_vars()
        && text
            .literal_parts()
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::draft::Text;

    #[test]
    fn browser_and_framing_headers_are_dropped_credentials_held_back() {
        for name in [
            "Host",
            ":authority",
            "content-length",
            "sec-ch-ua",
            "Sec-Fetch-Mode",
            "Accept-Encoding",
            "If-None-Match",
        ] {
            assert_eq!(verdict(name), Verdict::Drop, "{name}");
        }
        for name in ["Cookie", "authorization", "Proxy-Authorization"] {
            assert_eq!(verdict(name), Verdict::Secret, "{name}");
        }
        for name in [
            "Accept",
            "User-Agent",
            "X-CSRF-Token",
            "Content-Type",
            "Referer",
        ] {
            assert_eq!(verdict(name), Verdict::Keep, "{name}");
        }
    }

    #[test]
    fn a_correlated_bearer_header_holds_no_recorded_secret() {
        let mut text = Text::literal("Bearer abc123");
        assert!(!only_scheme_left(&text));
        text.substitute("abc123", "token", None, false);
        assert!(only_scheme_left(&text));
        let mut partial = Text::literal("Basic abc123 extra:secret");
        partial.substitute("abc123", "token", None, false);
        assert!(!only_scheme_left(&partial));
    }
}
