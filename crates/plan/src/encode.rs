//! Non-ASCII text in a request path or query, percent-encoded as UTF-8 the way
//! browsers and curl send it: a path written `/café` goes out as `/caf%C3%A9`, never
//! as raw bytes that servers reject or read in another charset.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every non-ASCII byte percent-encoded (ASCII is left as written, `%`
/// included: a path already encoded stays as it is).
pub fn non_ascii(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for byte in text.bytes() {
        if byte.is_ascii() {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_bytes_are_percent_encoded_and_ascii_is_kept() {
        assert_eq!(non_ascii("/café?q=ü"), "/caf%C3%A9?q=%C3%BC");
        assert_eq!(non_ascii("/a%20b"), "/a%20b");
        assert!(matches!(non_ascii("/plain"), Cow::Borrowed(_)));
    }
}
