//! The single mapping from I/O, TLS and response-decoding errors to [`FailureKind`].

use std::io;

use klavier_stats::FailureKind;

/// Classifies an error from a TCP connect.
pub fn connect_error(err: &io::Error) -> FailureKind {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => FailureKind::ConnectRefused,
        io::ErrorKind::TimedOut => FailureKind::ConnectTimeout,
        _ => io_error(err),
    }
}

/// Classifies an error from the TLS handshake: a TLS alert or certificate problem is
/// `Tls`; the peer hanging up during the handshake is a connection failure.
pub fn handshake_error(err: &io::Error) -> FailureKind {
    let is_tls = err
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    match err.kind() {
        _ if is_tls => FailureKind::Tls,
        io::ErrorKind::InvalidData => FailureKind::Tls,
        _ => io_error(err),
    }
}

/// Classifies an error from reading a response: a TLS problem (bad record, alert)
/// is `Tls`; otherwise as any I/O error.
pub fn read_error(err: &io::Error) -> FailureKind {
    let is_tls = err
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
    if is_tls {
        FailureKind::Tls
    } else {
        io_error(err)
    }
}

/// Classifies a response the decoder could not take: the connection ending early is
/// `ConnectionClosed`; bytes that are not valid HTTP/1.1 are `MalformedResponse`.
pub fn decode_error(err: klavier_h1::Error) -> FailureKind {
    if err.is_closed() {
        FailureKind::ConnectionClosed
    } else {
        FailureKind::MalformedResponse
    }
}

/// Classifies an I/O error on an established connection.
pub fn io_error(err: &io::Error) -> FailureKind {
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
            assert_eq!(connect_error(&io::Error::from(kind)), expected, "{kind:?}");
        }
    }

    #[test]
    fn rustls_errors_in_a_handshake_are_tls() {
        let err = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(handshake_error(&err), FailureKind::Tls);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(handshake_error(&reset), FailureKind::ConnectionReset);
    }
}
