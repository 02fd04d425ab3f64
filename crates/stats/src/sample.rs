//! What one request produced: its [`Outcome`] and timings, as a [`Sample`].

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Why a request got no HTTP response.
///
/// A closed set so failures are counted in a fixed array, never keyed by an
/// error message. The mapping from I/O and protocol errors lives in the HTTP layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The target refused the TCP connection.
    ConnectRefused,
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was not established in time.
    ConnectTimeout,
    /// The TLS handshake failed (certificate, protocol, alert).
    Tls,
    /// The response did not arrive within the request timeout.
    Timeout,
    /// The peer reset the connection.
    ConnectionReset,
    /// The peer closed the connection before the response was complete.
    ConnectionClosed,
    /// The response could not be parsed as HTTP.
    MalformedResponse,
    /// The request's URL as rendered is not a valid URI, or not an absolute
    /// `http`/`https` URL with a host: it was never sent.
    InvalidUrl,
    /// The response head had more header lines, or more bytes, than the limits allow.
    HeadTooLarge,
    /// A body kept for checks was larger than `max_body` (decoded).
    BodyTooLarge,
    /// A body kept for checks could not be decoded (its `Content-Encoding`).
    ContentDecoding,
    /// More redirects than allowed (a loop, or a chain longer than `redirects`).
    TooManyRedirects,
    /// The HTTP proxy refused to open a tunnel (or is not a proxy).
    Proxy,
    /// The server would not speak the HTTP version asked for (`http = "2"`).
    Protocol,
    /// The HTTP/2 server sent GOAWAY before this request's stream was answered.
    #[serde(rename = "goaway")]
    GoAway,
    /// The HTTP/2 server reset this request's stream (RST_STREAM).
    StreamReset,
    /// Anything else.
    Other,
}

impl FailureKind {
    /// How many kinds there are: the length of per-kind counter arrays.
    pub const COUNT: usize = 18;

    /// Every kind, in declaration order; `ALL[k as usize] == k`.
    pub const ALL: [FailureKind; FailureKind::COUNT] = [
        FailureKind::ConnectRefused,
        FailureKind::Dns,
        FailureKind::ConnectTimeout,
        FailureKind::Tls,
        FailureKind::Timeout,
        FailureKind::ConnectionReset,
        FailureKind::ConnectionClosed,
        FailureKind::MalformedResponse,
        FailureKind::InvalidUrl,
        FailureKind::HeadTooLarge,
        FailureKind::BodyTooLarge,
        FailureKind::ContentDecoding,
        FailureKind::TooManyRedirects,
        FailureKind::Proxy,
        FailureKind::Protocol,
        FailureKind::GoAway,
        FailureKind::StreamReset,
        FailureKind::Other,
    ];

    /// The snake_case name used in the JSON result, e.g. `"connect_refused"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::ConnectRefused => "connect_refused",
            FailureKind::Dns => "dns",
            FailureKind::ConnectTimeout => "connect_timeout",
            FailureKind::Tls => "tls",
            FailureKind::Timeout => "timeout",
            FailureKind::ConnectionReset => "connection_reset",
            FailureKind::ConnectionClosed => "connection_closed",
            FailureKind::MalformedResponse => "malformed_response",
            FailureKind::InvalidUrl => "invalid_url",
            FailureKind::HeadTooLarge => "head_too_large",
            FailureKind::BodyTooLarge => "body_too_large",
            FailureKind::ContentDecoding => "content_decoding",
            FailureKind::TooManyRedirects => "too_many_redirects",
            FailureKind::Proxy => "proxy",
            FailureKind::Protocol => "protocol",
            FailureKind::GoAway => "goaway",
            FailureKind::StreamReset => "stream_reset",
            FailureKind::Other => "other",
        }
    }

    /// A short human description for reports, e.g. `"connection refused"`.
    pub fn describe(self) -> &'static str {
        match self {
            FailureKind::ConnectRefused => "connection refused",
            FailureKind::Dns => "DNS resolution failed",
            FailureKind::ConnectTimeout => "connect timed out",
            FailureKind::Tls => "TLS handshake failed",
            FailureKind::Timeout => "request timed out",
            FailureKind::ConnectionReset => "connection reset by peer",
            FailureKind::ConnectionClosed => "connection closed before the response completed",
            FailureKind::MalformedResponse => "malformed HTTP response",
            FailureKind::InvalidUrl => "rendered URL not a valid http(s) URI",
            FailureKind::HeadTooLarge => "response head beyond the limits",
            FailureKind::BodyTooLarge => "kept body beyond max_body",
            FailureKind::ContentDecoding => "body could not be decoded",
            FailureKind::TooManyRedirects => "too many redirects",
            FailureKind::Proxy => "the proxy refused the tunnel",
            FailureKind::Protocol => "the server would not speak HTTP/2",
            FailureKind::GoAway => "HTTP/2 connection closed by GOAWAY",
            FailureKind::StreamReset => "HTTP/2 stream reset by the server",
            FailureKind::Other => "other error",
        }
    }

    /// The index of this kind in a `[u64; FailureKind::COUNT]` counter array.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A complete HTTP response with this status code.
    Status(u16),
    /// No response: the transport failed.
    Failed(FailureKind),
}

impl Outcome {
    /// Whether this outcome counts as a failure: any transport failure, and any
    /// status outside `200..=399` (a redirect is not a failure, a 404 or 503 is).
    pub fn is_failure(self) -> bool {
        match self {
            Outcome::Status(code) => !is_success_status(code),
            Outcome::Failed(_) => true,
        }
    }
}

/// Whether a status code counts as success in Klavier's accounting (`200..=399`).
pub fn is_success_status(code: u16) -> bool {
    (200..=399).contains(&code)
}

/// One completed request, as the engine hands it to a [`crate::Recorder`].
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Status code or transport failure.
    pub outcome: Outcome,
    /// Actual send → last byte of the response.
    pub service_time: Duration,
    /// Intended start → last byte; equal to `service_time` in the closed model
    /// without pacing. The headline latency: it includes queueing a slow server
    /// caused, so coordinated omission cannot hide it.
    pub response_time: Duration,
    /// Bytes written to the connection for this request (head and body).
    pub bytes_sent: u64,
    /// Bytes read from the connection for this response (head and body).
    pub bytes_received: u64,
    /// Completed after the test's end, during the graceful stop.
    pub in_grace: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_index_order() {
        for (i, kind) in FailureKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
    }

    #[test]
    fn serde_name_matches_as_str() {
        for kind in FailureKind::ALL {
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn failure_statuses() {
        // (status, is failure)
        let table = [
            (100, true), // informational is not a final success
            (200, false),
            (204, false),
            (301, false), // redirects are fine
            (399, false),
            (404, true),
            (503, true),
        ];
        for (code, failure) in table {
            assert_eq!(Outcome::Status(code).is_failure(), failure, "{code}");
        }
        assert!(Outcome::Failed(FailureKind::Timeout).is_failure());
    }
}
