//! A connection whatever its protocol: the engine's one `send` does not care whether
//! HTTP/1.1 or HTTP/2 carries a request.

use http::HeaderValue;
use klavier_plan::Request;

use super::capture::{Capture, Captured};
use super::failure::Failure;
use super::h1::{Connection, Wire};
use super::h2::H2Connection;

/// The protocol a request went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 (or an HTTP/1.0 answer).
    Http1,
    /// HTTP/2.
    Http2,
}

/// An open connection.
#[derive(Debug)]
pub enum Conn {
    /// HTTP/1.1, one request at a time, owned by one user.
    H1(Connection),
    /// HTTP/2, possibly shared by several users' streams.
    H2(H2Connection),
}

impl Conn {
    /// True if another request may be sent on it.
    pub fn is_reusable(&self) -> bool {
        match self {
            Conn::H1(c) => c.is_reusable(),
            Conn::H2(c) => c.is_open(),
        }
    }

    /// Sends `req` and reads its whole response.
    pub async fn exchange(
        &mut self,
        req: &Request,
        host: &HeaderValue,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<u16, Failure> {
        match self {
            Conn::H1(c) => c.exchange(req, host, keep).await,
            Conn::H2(c) => c.exchange(req, keep).await,
        }
    }

    /// Bytes and times of the last exchange.
    pub fn wire(&self) -> Wire {
        match self {
            Conn::H1(c) => c.wire(),
            Conn::H2(c) => c.wire(),
        }
    }

    /// Its protocol.
    pub fn protocol(&self) -> Protocol {
        match self {
            Conn::H1(_) => Protocol::Http1,
            Conn::H2(_) => Protocol::Http2,
        }
    }
}
