//! The single mapping from I/O, TLS, decoding and content errors to a [`Failure`]: a
//! [`FailureKind`] and, where the kind alone is too coarse to act on, a [`Reason`].

use std::io;

use klavier_stats::{FailureKind, Reason};
use rustls::{AlertDescription, CertificateError};

use super::content::{Coding, DecodeError};

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// The kind, counted in every report.
    pub kind: FailureKind,
    /// What the kind does not say, when known.
    pub reason: Option<Reason>,
}

impl From<FailureKind> for Failure {
    fn from(kind: FailureKind) -> Self {
        Failure { kind, reason: None }
    }
}

impl Failure {
    /// The server did no work on the request (an HTTP/2 stream refused, or above
    /// the last one a GOAWAY said it would process): sending it again is safe
    /// whatever the method (RFC 9113 §8.7).
    pub fn unprocessed(&self) -> bool {
        self.kind == FailureKind::GoAway || self.reason == Some(Reason::RefusedStream)
    }

    pub(super) fn because(kind: FailureKind, reason: Reason) -> Self {
        Failure {
            kind,
            reason: Some(reason),
        }
    }
}

/// Classifies an error from a TCP connect.
pub fn connect_error(err: &io::Error) -> Failure {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => FailureKind::ConnectRefused.into(),
        io::ErrorKind::TimedOut => FailureKind::ConnectTimeout.into(),
        _ => io_error(err),
    }
}

/// Classifies an error from the TLS handshake: a certificate problem or an alert is
/// `Tls` with its reason; the peer hanging up during the handshake is a connection
/// failure.
pub fn handshake_error(err: &io::Error) -> Failure {
    if let Some(rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol)) =
        rustls_error(err)
    {
        // The server speaks none of the protocols offered (HTTP/2 only, asked of an
        // HTTP/1.1 server): not a TLS problem, a protocol one.
        return FailureKind::Protocol.into();
    }
    if let Some(tls) = rustls_error(err) {
        return Failure::because(FailureKind::Tls, tls_reason(tls));
    }
    match err.kind() {
        io::ErrorKind::InvalidData => Failure::because(FailureKind::Tls, Reason::TlsNotTls),
        _ => io_error(err),
    }
}

/// Classifies an error from reading a response: a TLS problem (bad record, alert) is
/// `Tls` (a TLS 1.3 server rejects a client certificate only after the handshake, at
/// the first read); otherwise as any I/O error.
pub fn read_error(err: &io::Error) -> Failure {
    match rustls_error(err) {
        Some(tls) => Failure::because(FailureKind::Tls, tls_reason(tls)),
        None => io_error(err),
    }
}

fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// The reason of a TLS error, as a user would act on it.
fn tls_reason(err: &rustls::Error) -> Reason {
    match err {
        rustls::Error::InvalidCertificate(cert) => certificate_reason(cert),
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked => Reason::TlsClientCertificate,
            AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity
            | AlertDescription::HandshakeFailure => Reason::TlsNoCommonProtocol,
            _ => Reason::TlsAlert,
        },
        rustls::Error::PeerIncompatible(_) => Reason::TlsNoCommonProtocol,
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. }
        | rustls::Error::DecryptError => Reason::TlsNotTls,
        _ => Reason::TlsAlert,
    }
}

fn certificate_reason(err: &CertificateError) -> Reason {
    match err {
        CertificateError::UnknownIssuer => Reason::TlsUnknownIssuer,
        CertificateError::Expired
        | CertificateError::NotValidYet
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYetContext { .. } => Reason::TlsExpired,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Reason::TlsNameMismatch
        }
        _ => Reason::TlsBadCertificate,
    }
}

/// Classifies a response the decoder could not take: the connection ending early is
/// `ConnectionClosed`; a head beyond the limits is `HeadTooLarge`; other bytes that
/// are not valid HTTP/1.1 are `MalformedResponse`.
pub fn decode_error(err: klavier_h1::Error) -> Failure {
    use klavier_h1::Error as E;
    match err {
        E::Truncated | E::ClosedBeforeResponse => FailureKind::ConnectionClosed.into(),
        E::TooManyHeaders => Failure::because(FailureKind::HeadTooLarge, Reason::TooManyHeaders),
        E::HeadTooLarge => Failure::because(FailureKind::HeadTooLarge, Reason::HeadTooLong),
        _ => FailureKind::MalformedResponse.into(),
    }
}

/// Classifies a kept body that could not be decoded.
pub fn content_error(err: &DecodeError) -> Failure {
    let reason = match err {
        DecodeError::TooLarge => return FailureKind::BodyTooLarge.into(),
        DecodeError::Unsupported(_) => Reason::DecodeUnsupported,
        DecodeError::Corrupt(Coding::Gzip) => Reason::DecodeGzip,
        DecodeError::Corrupt(Coding::Deflate) => Reason::DecodeDeflate,
        DecodeError::Corrupt(Coding::Brotli) => Reason::DecodeBrotli,
        DecodeError::Corrupt(Coding::Zstd) => Reason::DecodeZstd,
    };
    Failure::because(FailureKind::ContentDecoding, reason)
}

/// Classifies an I/O error on an established connection.
pub fn io_error(err: &io::Error) -> Failure {
    // EMFILE/ENFILE: the generator, not the server, is out of file descriptors.
    if matches!(err.raw_os_error(), Some(24 | 23)) {
        return Failure::because(FailureKind::Other, Reason::OpenFileLimit);
    }
    match err.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => FailureKind::ConnectionReset,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::NotConnected => FailureKind::ConnectionClosed,
        io::ErrorKind::ConnectionRefused => FailureKind::ConnectRefused,
        io::ErrorKind::TimedOut => FailureKind::Timeout,
        io::ErrorKind::InvalidData => FailureKind::MalformedResponse,
        _ => FailureKind::Other,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kinds_map_to_failure_kinds() {
        let cases = [
            (
                io::ErrorKind::ConnectionRefused,
                FailureKind::ConnectRefused,
            ),
            (io::ErrorKind::TimedOut, FailureKind::ConnectTimeout),
            (io::ErrorKind::ConnectionReset, FailureKind::ConnectionReset),
            (io::ErrorKind::BrokenPipe, FailureKind::ConnectionReset),
            (io::ErrorKind::UnexpectedEof, FailureKind::ConnectionClosed),
            (io::ErrorKind::PermissionDenied, FailureKind::Other),
        ];
        for (kind, expected) in cases {
            assert_eq!(
                connect_error(&io::Error::from(kind)).kind,
                expected,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn out_of_file_descriptors_says_so() {
        let emfile = io::Error::from_raw_os_error(24);
        assert_eq!(
            connect_error(&emfile),
            Failure::because(FailureKind::Other, Reason::OpenFileLimit)
        );
    }

    #[test]
    fn tls_errors_carry_their_reason() {
        let cases = [
            (
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                Reason::TlsUnknownIssuer,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::Expired),
                Reason::TlsExpired,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
                Reason::TlsNameMismatch,
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
                Reason::TlsClientCertificate,
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
                Reason::TlsNoCommonProtocol,
            ),
        ];
        for (err, reason) in cases {
            let io = io::Error::new(io::ErrorKind::InvalidData, err);
            assert_eq!(
                handshake_error(&io),
                Failure::because(FailureKind::Tls, reason)
            );
        }
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(handshake_error(&reset).kind, FailureKind::ConnectionReset);
    }
}
