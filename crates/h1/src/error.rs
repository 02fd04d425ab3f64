//! Why a response could not be decoded.

use std::fmt;

/// A response that is not valid HTTP/1.1, exceeds a [`Limits`](crate::Limits) bound, or
/// ended early. Every variant is final: the connection cannot be used again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The status line or a header is not valid HTTP (obsolete line folding included).
    InvalidHead,
    /// The status code is outside 100–999.
    InvalidStatus,
    /// The head is longer than [`Limits::max_head`](crate::Limits::max_head).
    HeadTooLarge,
    /// More header lines than [`Limits::max_headers`](crate::Limits::max_headers).
    TooManyHeaders,
    /// `Content-Length` is not a number, or two different values were given.
    InvalidContentLength,
    /// A chunk-size line is not a hexadecimal size (with optional extensions), or is
    /// longer than [`Limits::max_line`](crate::Limits::max_line).
    InvalidChunkSize,
    /// Chunk data was not followed by CRLF.
    InvalidChunkEnd,
    /// The trailer section is not valid, or too large.
    InvalidTrailers,
    /// The connection ended before the response was complete.
    Truncated,
    /// The connection ended before any byte of a response arrived (the server closed
    /// a connection it would not answer on: on a reused connection, safe to retry).
    ClosedBeforeResponse,
}

impl Error {
    /// True if the connection ended rather than the bytes being wrong.
    pub fn is_closed(self) -> bool {
        matches!(self, Error::Truncated | Error::ClosedBeforeResponse)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::InvalidHead => "invalid status line or header",
            Error::InvalidStatus => "status code outside 100-999",
            Error::HeadTooLarge => "response head too large",
            Error::TooManyHeaders => "too many response headers",
            Error::InvalidContentLength => "invalid or conflicting Content-Length",
            Error::InvalidChunkSize => "invalid chunk size line",
            Error::InvalidChunkEnd => "chunk data not followed by CRLF",
            Error::InvalidTrailers => "invalid trailer section",
            Error::Truncated => "connection closed before the response was complete",
            Error::ClosedBeforeResponse => "connection closed before any response byte",
        })
    }
}

impl std::error::Error for Error {}
