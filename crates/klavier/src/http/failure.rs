//! The single mapping from I/O, TLS and hyper errors to [`FailureKind`].

use std::error::Error as StdError;
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

/// Classifies a hyper error from sending a request or reading a response.
pub fn hyper_error(err: &hyper::Error) -> FailureKind {
    if err.is_parse() || err.is_parse_status() || err.is_parse_too_large() {
        return FailureKind::MalformedResponse;
    }
    if err.is_timeout() {
        return FailureKind::Timeout;
    }
    if let Some(io_err) = find_io_error(err) {
        return io_error(io_err);
    }
    if err.is_incomplete_message() || err.is_canceled() || err.is_closed() {
        return FailureKind::ConnectionClosed;
    }
    FailureKind::Other
}

fn find_io_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return Some(io_err);
        }
        source = e.source();
    }
    None
}

fn io_error(err: &io::Error) -> FailureKind {
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
