//! The chunk-size line of the chunked coding (RFC 9112 §7.1):
//! `chunk-size [ chunk-ext ] CRLF`, where the size is 1 to 16 hexadecimal digits and an
//! extension is `;` followed by anything but control characters (tab allowed).
//! Whitespace between the size and the extension is tolerated, as every peer does.

use crate::Error;

/// Parses a chunk-size line at the start of `input`. `Ok(Some((consumed, size)))` when
/// the whole line is there, `Ok(None)` when more bytes are needed (and fewer than
/// `max_line` are waiting), an error when the line cannot become valid.
pub fn parse_size_line(input: &[u8], max_line: usize) -> Result<Option<(usize, u64)>, Error> {
    let mut size: u64 = 0;
    let mut digits = 0usize;
    let mut at = 0;
    // The size: hexadecimal digits.
    while let Some(&b) = input.get(at) {
        let Some(value) = hex_value(b) else { break };
        if digits == 16 {
            return Err(Error::InvalidChunkSize);
        }
        size = (size << 4) | u64::from(value);
        digits += 1;
        at += 1;
    }
    // The rest of the line: optional whitespace, optional extensions, CRLF.
    let mut in_extension = false;
    loop {
        if at >= max_line {
            return Err(Error::InvalidChunkSize);
        }
        let Some(&b) = input.get(at) else {
            return Ok(None);
        };
        match b {
            b'\r' => {
                return match input.get(at + 1) {
                    None => Ok(None),
                    Some(b'\n') if digits > 0 => Ok(Some((at + 2, size))),
                    Some(_) => Err(Error::InvalidChunkSize),
                };
            }
            b';' => in_extension = true,
            b' ' | b'\t' => {}
            _ if in_extension && b != 0x7f && b >= 0x20 => {}
            _ => return Err(Error::InvalidChunkSize),
        }
        at += 1;
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 4096;

    #[test]
    fn complete_lines() {
        let cases: [(&[u8], usize, u64); 8] = [
            (b"5\r\n", 3, 5),
            (b"0\r\n", 3, 0),
            (b"1a\r\nxx", 4, 0x1a),
            (b"FFff\r\n", 6, 0xffff),
            (b"5;name=value\r\n", 14, 5),
            (b"5 ; a=\"q s\";b\r\n", 15, 5),
            (b"5\t\r\n", 4, 5),
            (b"ffffffffffffffff\r\n", 18, u64::MAX),
        ];
        for (input, consumed, size) in cases {
            assert_eq!(
                parse_size_line(input, MAX),
                Ok(Some((consumed, size))),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn incomplete_lines_wait_for_more() {
        for input in [&b""[..], b"5", b"5\r", b"5;ext", b"5;ext\r", b"ab "] {
            assert_eq!(parse_size_line(input, MAX), Ok(None), "{input:?}");
        }
    }

    #[test]
    fn invalid_lines() {
        let cases: [&[u8]; 9] = [
            b"\r\n",                  // no digits
            b";ext\r\n",              // extension without a size
            b"g\r\n",                 // not hexadecimal
            b"-5\r\n",                // a sign
            b"5\n",                   // a bare LF
            b"5\rx",                  // CR without LF
            b"5 6\r\n",               // digits after whitespace
            b"10000000000000000\r\n", // 17 digits: beyond u64
            b"5;a\x01\r\n",           // a control character in an extension
        ];
        for input in cases {
            assert_eq!(
                parse_size_line(input, MAX),
                Err(Error::InvalidChunkSize),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_even_when_incomplete() {
        let long = [b"5;".as_slice(), &[b'x'; 100]].concat();
        assert_eq!(parse_size_line(&long, 64), Err(Error::InvalidChunkSize));
        assert_eq!(parse_size_line(&long, 4096), Ok(None));
    }
}
