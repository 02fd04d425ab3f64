//! Content codings (RFC 9110 §8.4) of the bodies that checks and extractions keep:
//! gzip, deflate (zlib, or raw deflate as some servers send), br and zstd, decoded
//! in the order the server applied them, never past a size limit. Bodies nobody
//! reads are never decoded: a plain run pays nothing.

use std::io::Read;

/// A content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` (and `x-gzip`).
    Gzip,
    /// `deflate`: zlib-wrapped, or raw.
    Deflate,
    /// `br`.
    Brotli,
    /// `zstd`.
    Zstd,
}

/// Why a kept body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A coding Klavier does not know (its name, as sent).
    Unsupported(String),
    /// The bytes are not valid for this coding.
    Corrupt(Coding),
    /// Decoded, the body is larger than the limit.
    TooLarge,
}

/// The codings a `Content-Encoding` value lists, in the order they were applied
/// (`identity` left out).
pub fn codings(value: &[u8], into: &mut Vec<Coding>) -> Result<(), DecodeError> {
    for name in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        let coding = match name.to_ascii_lowercase().as_slice() {
            b"" | b"identity" => continue,
            b"gzip" | b"x-gzip" => Coding::Gzip,
            b"deflate" => Coding::Deflate,
            b"br" => Coding::Brotli,
            b"zstd" => Coding::Zstd,
            other => {
                return Err(DecodeError::Unsupported(
                    String::from_utf8_lossy(other).into_owned(),
                ))
            }
        };
        into.push(coding);
    }
    Ok(())
}

/// Undoes `applied` (first applied first in the list) on `body`, producing at most
/// `limit` bytes.
pub fn decode(applied: &[Coding], body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut current = body.to_vec();
    for &coding in applied.iter().rev() {
        current = decode_one(coding, &current, limit)?;
    }
    Ok(current)
}

fn decode_one(coding: Coding, body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    match coding {
        Coding::Gzip => read_all(flate2::read::MultiGzDecoder::new(body), coding, limit),
        Coding::Deflate => read_all(flate2::read::ZlibDecoder::new(body), coding, limit)
            // Some servers send raw deflate under this name; browsers accept both.
            .or_else(|_| read_all(flate2::read::DeflateDecoder::new(body), coding, limit)),
        Coding::Brotli => read_all(
            brotli_decompressor::Decompressor::new(body, 4096),
            coding,
            limit,
        ),
        Coding::Zstd => {
            let reader =
                zstd::stream::read::Decoder::new(body).map_err(|_| DecodeError::Corrupt(coding))?;
            read_all(reader, coding, limit)
        }
    }
}

/// Reads `reader` to its end, failing past `limit` bytes (a decompression bomb is
/// stopped there, never held in memory whole).
fn read_all(reader: impl Read, coding: Coding, limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Corrupt(coding))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const TEXT: &[u8] = b"{\"slideshow\": \"compressed bodies are checked as text\"}";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    #[test]
    fn every_coding_decodes() {
        let zstd_body = zstd::encode_all(TEXT, 3).expect("in memory");
        let cases = [
            (Coding::Gzip, gzip(TEXT)),
            (Coding::Deflate, zlib(TEXT)),
            (Coding::Deflate, raw_deflate(TEXT)),
            (Coding::Zstd, zstd_body),
        ];
        for (coding, body) in cases {
            assert_eq!(
                decode(&[coding], &body, 1 << 20),
                Ok(TEXT.to_vec()),
                "{coding:?}"
            );
        }
    }

    #[test]
    fn stacked_codings_are_undone_last_first() {
        let body = zlib(&gzip(TEXT));
        let mut applied = Vec::new();
        codings(b"gzip, identity, deflate", &mut applied).expect("known");
        assert_eq!(applied, [Coding::Gzip, Coding::Deflate]);
        assert_eq!(decode(&applied, &body, 1 << 20), Ok(TEXT.to_vec()));
    }

    #[test]
    fn corrupt_unknown_and_oversized_bodies_are_errors() {
        assert_eq!(
            decode(&[Coding::Gzip], b"not gzip at all", 1 << 20),
            Err(DecodeError::Corrupt(Coding::Gzip))
        );
        assert_eq!(
            decode(&[Coding::Brotli], b"\xff\xff\xff\xff", 1 << 20),
            Err(DecodeError::Corrupt(Coding::Brotli))
        );
        let mut applied = Vec::new();
        assert_eq!(
            codings(b"compress", &mut applied),
            Err(DecodeError::Unsupported("compress".into()))
        );
        // A bomb: 10 MB of zeros compresses to ~10 KB; the limit stops it.
        let bomb = gzip(&vec![0u8; 10_000_000]);
        assert_eq!(
            decode(&[Coding::Gzip], &bomb, 1 << 20),
            Err(DecodeError::TooLarge)
        );
    }
}
