//! What a failure's kind does not say, and what an exchange did besides its one
//! request: the reason of a failure (which certificate problem, which coding), the
//! redirects followed and the retries on a fresh connection. Counted per request row in
//! fixed arrays, merged by adding.

use std::ops::AddAssign;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sample::FailureKind;

/// Why a failure happened, when its [`FailureKind`](crate::FailureKind) alone is too
/// coarse to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The server's certificate is not signed by a trusted CA.
    TlsUnknownIssuer,
    /// The server's certificate has expired or is not yet valid.
    TlsExpired,
    /// The server's certificate is not for the host connected to.
    TlsNameMismatch,
    /// The server's certificate was rejected for another reason.
    TlsBadCertificate,
    /// The server asked for a client certificate and got none (or refused the one sent).
    TlsClientCertificate,
    /// Client and server share no TLS version or cipher suite.
    TlsNoCommonProtocol,
    /// The server ended the handshake with an alert.
    TlsAlert,
    /// What came back is not TLS at all (a plaintext server on the port).
    TlsNotTls,
    /// A gzip body was corrupt.
    DecodeGzip,
    /// A deflate body was corrupt.
    DecodeDeflate,
    /// A br body was corrupt.
    DecodeBrotli,
    /// A zstd body was corrupt.
    DecodeZstd,
    /// A `Content-Encoding` Klavier does not know.
    DecodeUnsupported,
    /// The response head had too many header lines.
    TooManyHeaders,
    /// The response head was too long.
    HeadTooLong,
    /// The generator ran out of file descriptors (the open-file limit).
    OpenFileLimit,
    /// The HTTP/2 server refused the stream (REFUSED_STREAM): it did no work on it.
    RefusedStream,
}

impl Reason {
    /// How many reasons there are: the length of per-reason counter arrays.
    pub const COUNT: usize = 17;

    /// Every reason, in declaration order; `ALL[r as usize] == r`.
    pub const ALL: [Reason; Reason::COUNT] = [
        Reason::TlsUnknownIssuer,
        Reason::TlsExpired,
        Reason::TlsNameMismatch,
        Reason::TlsBadCertificate,
        Reason::TlsClientCertificate,
        Reason::TlsNoCommonProtocol,
        Reason::TlsAlert,
        Reason::TlsNotTls,
        Reason::DecodeGzip,
        Reason::DecodeDeflate,
        Reason::DecodeBrotli,
        Reason::DecodeZstd,
        Reason::DecodeUnsupported,
        Reason::TooManyHeaders,
        Reason::HeadTooLong,
        Reason::OpenFileLimit,
        Reason::RefusedStream,
    ];

    /// The snake_case name used in the JSON result.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TlsUnknownIssuer => "tls_unknown_issuer",
            Reason::TlsExpired => "tls_expired",
            Reason::TlsNameMismatch => "tls_name_mismatch",
            Reason::TlsBadCertificate => "tls_bad_certificate",
            Reason::TlsClientCertificate => "tls_client_certificate",
            Reason::TlsNoCommonProtocol => "tls_no_common_protocol",
            Reason::TlsAlert => "tls_alert",
            Reason::TlsNotTls => "tls_not_tls",
            Reason::DecodeGzip => "decode_gzip",
            Reason::DecodeDeflate => "decode_deflate",
            Reason::DecodeBrotli => "decode_br",
            Reason::DecodeZstd => "decode_zstd",
            Reason::DecodeUnsupported => "decode_unsupported",
            Reason::TooManyHeaders => "too_many_headers",
            Reason::HeadTooLong => "head_too_long",
            Reason::OpenFileLimit => "open_file_limit",
            Reason::RefusedStream => "refused_stream",
        }
    }

    /// The kind of failure this reason explains.
    pub fn kind(self) -> FailureKind {
        match self {
            Reason::TlsUnknownIssuer
            | Reason::TlsExpired
            | Reason::TlsNameMismatch
            | Reason::TlsBadCertificate
            | Reason::TlsClientCertificate
            | Reason::TlsNoCommonProtocol
            | Reason::TlsAlert
            | Reason::TlsNotTls => FailureKind::Tls,
            Reason::DecodeGzip
            | Reason::DecodeDeflate
            | Reason::DecodeBrotli
            | Reason::DecodeZstd
            | Reason::DecodeUnsupported => FailureKind::ContentDecoding,
            Reason::TooManyHeaders | Reason::HeadTooLong => FailureKind::HeadTooLarge,
            Reason::OpenFileLimit => FailureKind::Other,
            Reason::RefusedStream => FailureKind::StreamReset,
        }
    }

    /// A short human description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::TlsUnknownIssuer => "certificate signed by an unknown issuer",
            Reason::TlsExpired => "certificate expired or not yet valid",
            Reason::TlsNameMismatch => "certificate is for another host name",
            Reason::TlsBadCertificate => "certificate rejected",
            Reason::TlsClientCertificate => "the server wants a (valid) client certificate",
            Reason::TlsNoCommonProtocol => "no TLS version or cipher suite in common",
            Reason::TlsAlert => "the server ended the handshake with an alert",
            Reason::TlsNotTls => "the server does not speak TLS on this port",
            Reason::DecodeGzip => "corrupt gzip body",
            Reason::DecodeDeflate => "corrupt deflate body",
            Reason::DecodeBrotli => "corrupt br body",
            Reason::DecodeZstd => "corrupt zstd body",
            Reason::DecodeUnsupported => "unknown Content-Encoding",
            Reason::TooManyHeaders => "too many header lines",
            Reason::HeadTooLong => "head too long",
            Reason::OpenFileLimit => "out of file descriptors (raise ulimit -n)",
            Reason::RefusedStream => "stream refused by the server (it did no work on it)",
        }
    }
}

/// The per-row counters of reasons, redirects and retries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    reasons: [u64; Reason::COUNT],
    redirects: u64,
    retried: u64,
    backoffs: u64,
    backoff: Duration,
    /// Exchanges over HTTP/1.1 and over HTTP/2.
    protocols: [u64; 2],
}

impl Detail {
    /// Counts one exchange: its failure's reason (if any), the redirects it followed,
    /// and whether it was retried on a fresh connection.
    pub(crate) fn record(&mut self, reason: Option<Reason>, redirects: u32, retried: bool) {
        if let Some(reason) = reason {
            self.reasons[reason as usize] += 1;
        }
        self.redirects += u64::from(redirects);
        self.retried += u64::from(retried);
    }

    /// Counts a pause before reconnecting, after connections that failed at once.
    pub(crate) fn record_backoff(&mut self, pause: Duration) {
        self.backoffs += 1;
        self.backoff += pause;
    }

    /// Counts an exchange that went over HTTP/2 (`true`) or HTTP/1.1.
    pub(crate) fn record_protocol(&mut self, http2: bool) {
        self.protocols[usize::from(http2)] += 1;
    }

    /// Exchanges over HTTP/1.1 and over HTTP/2.
    pub fn protocols(&self) -> [u64; 2] {
        self.protocols
    }

    /// Pauses before reconnecting, and their total time.
    pub fn backoff(&self) -> (u64, Duration) {
        (self.backoffs, self.backoff)
    }

    /// Failures by reason, by [`Reason::ALL`] index.
    pub fn reasons(&self) -> &[u64; Reason::COUNT] {
        &self.reasons
    }

    /// Redirects followed, over every request of the row.
    pub fn redirects(&self) -> u64 {
        self.redirects
    }

    /// Requests sent a second time because a reused connection was closed under them.
    pub fn retried(&self) -> u64 {
        self.retried
    }

    pub(crate) fn reset(&mut self) {
        *self = Detail::default();
    }
}

impl AddAssign<&Detail> for Detail {
    fn add_assign(&mut self, other: &Detail) {
        for (mine, theirs) in self.reasons.iter_mut().zip(other.reasons) {
            *mine += theirs;
        }
        self.redirects += other.redirects;
        self.retried += other.retried;
        self.backoffs += other.backoffs;
        self.backoff += other.backoff;
        self.protocols[0] += other.protocols[0];
        self.protocols[1] += other.protocols[1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_reason_in_order() {
        for (i, reason) in Reason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i);
        }
    }

    #[test]
    fn details_add_up() {
        let mut a = Detail::default();
        a.record(Some(Reason::TlsExpired), 2, false);
        let mut b = Detail::default();
        b.record(None, 1, true);
        a += &b;
        assert_eq!(a.reasons()[Reason::TlsExpired as usize], 1);
        assert_eq!((a.redirects(), a.retried()), (3, 1));
    }
}
