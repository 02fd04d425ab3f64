//! What a final response head says about its body and its connection (RFC 9112 §6.3,
//! §9.3): pure functions of the status, the version and the header lines.

use crate::Error;

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body, whatever the headers say (HEAD, 1xx, 204, 304, 101).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// The chunked coding.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// The framing of a final response and whether its connection may carry another request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimited {
    /// How the body is delimited.
    pub framing: Framing,
    /// False when the server will close, or the framing leaves the connection unusable.
    pub persistent: bool,
}

/// The headers that decide framing, gathered from every line.
#[derive(Debug, Default)]
struct Fields {
    /// Any `Transfer-Encoding` line seen.
    transfer_encoding: bool,
    /// `chunked` is the last coding of all the `Transfer-Encoding` lines.
    chunked_last: bool,
    content_length: Option<u64>,
    close: bool,
    keep_alive: bool,
}

/// Decides how the body of a final response (`status` ≥ 200, or 101) is delimited.
/// `minor` is the HTTP/1 minor version; `head_request` says the request was `HEAD`.
pub fn delimit(
    status: u16,
    minor: u8,
    headers: &[httparse::Header<'_>],
    head_request: bool,
) -> Result<Delimited, Error> {
    let fields = gather(headers)?;
    let mut persistent = if minor == 0 {
        fields.keep_alive && !fields.close
    } else {
        !fields.close
    };
    let framing = if status == 101 {
        // Another protocol follows: this connection is no longer ours to use.
        persistent = false;
        Framing::None
    } else if head_request || status == 204 || status == 304 {
        Framing::None
    } else if fields.transfer_encoding {
        // A length beside a coding, or a coding in HTTP/1.0, is a framing the server
        // got wrong: decode by the coding, then close (RFC 9112 §6.1, §6.3).
        if fields.content_length.is_some() || minor == 0 {
            persistent = false;
        }
        if fields.chunked_last {
            Framing::Chunked
        } else {
            persistent = false;
            Framing::UntilClose
        }
    } else if let Some(length) = fields.content_length {
        Framing::Length(length)
    } else {
        persistent = false;
        Framing::UntilClose
    };
    Ok(Delimited {
        framing,
        persistent,
    })
}

fn gather(headers: &[httparse::Header<'_>]) -> Result<Fields, Error> {
    let mut fields = Fields::default();
    for header in headers {
        let name = header.name;
        if name.eq_ignore_ascii_case("transfer-encoding") {
            for coding in list(header.value) {
                fields.transfer_encoding = true;
                fields.chunked_last = coding.eq_ignore_ascii_case(b"chunked");
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            for value in list_with_empty(header.value) {
                let length = parse_length(value)?;
                if fields.content_length.is_some_and(|seen| seen != length) {
                    return Err(Error::InvalidContentLength);
                }
                fields.content_length = Some(length);
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for option in list(header.value) {
                fields.close |= option.eq_ignore_ascii_case(b"close");
                fields.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    Ok(fields)
}

/// The non-empty elements of a comma-separated list, trimmed.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    list_with_empty(value).filter(|item| !item.is_empty())
}

fn list_with_empty(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii)
}

/// A `Content-Length` value: decimal digits only, no sign, no overflow.
fn parse_length(value: &[u8]) -> Result<u64, Error> {
    if value.is_empty() || value.len() > 19 {
        return Err(Error::InvalidContentLength);
    }
    value.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            Ok(n * 10 + u64::from(b - b'0'))
        } else {
            Err(Error::InvalidContentLength)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(lines: &[(&'a str, &'a str)]) -> Vec<httparse::Header<'a>> {
        lines
            .iter()
            .map(|&(name, value)| httparse::Header {
                name,
                value: value.as_bytes(),
            })
            .collect()
    }

    fn framing(status: u16, minor: u8, lines: &[(&str, &str)], head: bool) -> Delimited {
        delimit(status, minor, &headers(lines), head).expect("valid framing")
    }

    fn d(framing: Framing, persistent: bool) -> Delimited {
        Delimited {
            framing,
            persistent,
        }
    }

    /// Why, status, minor version, header lines, HEAD request, expected.
    type Case<'a> = (&'a str, u16, u8, Vec<(&'a str, &'a str)>, bool, Delimited);

    #[test]
    fn framing_by_rfc_9112() {
        let cl = ("Content-Length", "5");
        let te = ("Transfer-Encoding", "chunked");
        #[rustfmt::skip]
        let cases: [Case<'_>; 17] = [
            ("content-length", 200, 1, vec![cl], false, d(Framing::Length(5), true)),
            ("zero length", 200, 1, vec![("content-length", "0")], false, d(Framing::Length(0), true)),
            ("repeated identical lengths", 200, 1, vec![cl, cl], false, d(Framing::Length(5), true)),
            ("an identical list", 200, 1, vec![("Content-Length", "5, 5")], false, d(Framing::Length(5), true)),
            ("chunked", 200, 1, vec![te], false, d(Framing::Chunked, true)),
            ("gzip then chunked", 200, 1, vec![("Transfer-Encoding", "gzip, chunked")], false, d(Framing::Chunked, true)),
            ("codings over two lines", 200, 1, vec![("Transfer-Encoding", "gzip"), ("transfer-encoding", "Chunked")], false, d(Framing::Chunked, true)),
            ("chunked not last: until close", 200, 1, vec![("Transfer-Encoding", "chunked, gzip")], false, d(Framing::UntilClose, false)),
            ("coding beats length, then close", 200, 1, vec![cl, te], false, d(Framing::Chunked, false)),
            ("neither: until close", 200, 1, vec![], false, d(Framing::UntilClose, false)),
            ("HEAD has no body", 200, 1, vec![cl], true, d(Framing::None, true)),
            ("204 has no body", 204, 1, vec![cl], false, d(Framing::None, true)),
            ("304 has no body", 304, 1, vec![te], false, d(Framing::None, true)),
            ("Connection: close", 200, 1, vec![cl, ("Connection", "Close")], false, d(Framing::Length(5), false)),
            ("HTTP/1.0 closes by default", 200, 0, vec![cl], false, d(Framing::Length(5), false)),
            ("HTTP/1.0 keep-alive", 200, 0, vec![cl, ("Connection", "Keep-Alive")], false, d(Framing::Length(5), true)),
            ("101 hands the connection over", 101, 1, vec![("Connection", "upgrade")], false, d(Framing::None, false)),
        ];
        for (why, status, minor, lines, head, expected) in cases {
            assert_eq!(framing(status, minor, &lines, head), expected, "{why}");
        }
    }

    #[test]
    fn chunked_in_http_1_0_is_decoded_then_closed() {
        let lines = [
            ("Transfer-Encoding", "chunked"),
            ("Connection", "keep-alive"),
        ];
        assert_eq!(framing(200, 0, &lines, false), d(Framing::Chunked, false));
    }

    #[test]
    fn bad_lengths_are_errors() {
        for value in [
            "",
            "-1",
            "+5",
            "5 5",
            "0x10",
            "1e3",
            "99999999999999999999",
            "5,",
        ] {
            let result = delimit(200, 1, &headers(&[("Content-Length", value)]), false);
            assert_eq!(result, Err(Error::InvalidContentLength), "{value:?}");
        }
        let two = headers(&[("Content-Length", "5"), ("Content-Length", "6")]);
        assert_eq!(
            delimit(200, 1, &two, false),
            Err(Error::InvalidContentLength)
        );
        let list = headers(&[("Content-Length", "5, 6")]);
        assert_eq!(
            delimit(200, 1, &list, false),
            Err(Error::InvalidContentLength)
        );
    }
}
