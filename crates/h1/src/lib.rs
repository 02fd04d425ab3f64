//! Klavier's HTTP/1.1 response decoder, sans I/O.
//!
//! A [`Decoder`] is fed whatever bytes arrived and consumes as many as it can. It
//! keeps no offset into the caller's buffer between calls: what it needs to resume
//! is a small state (where in the message it is, how many body bytes are left), so
//! a response split at any byte boundary decodes exactly as it does in one piece.
//! An incomplete head, chunk-size line or trailer section is simply not consumed;
//! the caller keeps those bytes and feeds them again with more behind them.
//!
//! Framing follows RFC 9112 §6: interim 1xx responses before the final one; no body
//! for HEAD, 1xx, 204 and 304 whatever the headers say; `Transfer-Encoding` with
//! `chunked` last (chunk extensions and trailers allowed), other codings read until
//! close; one `Content-Length` (repeated identical values allowed, different ones are
//! malformed); otherwise the body runs until the server closes. Persistence follows
//! the version's rules (`Connection: close`, HTTP/1.0 `keep-alive`).
//!
//! ```
//! use klavier_h1::{Decoder, Limits};
//!
//! let mut decoder = Decoder::new(false, Limits::default());
//! let mut body = Vec::new();
//! let mut on_body = |bytes: &[u8]| body.extend_from_slice(bytes);
//! let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
//! // Split anywhere: the first call consumes the head and what it can of the body.
//! let first = decoder.decode(&wire[..50], &mut on_body).unwrap();
//! let rest = [&wire[first..50], &wire[50..]].concat();
//! decoder.decode(&rest, &mut on_body).unwrap();
//! assert!(decoder.is_done());
//! assert_eq!(decoder.status(), Some(200));
//! assert_eq!(body, b"hello");
//! ```

mod chunk;
mod decoder;
mod error;
mod framing;
#[cfg(test)]
mod tests;

pub use decoder::{Decoder, Handler, Head, Limits};
pub use error::Error;
pub use framing::Framing;
