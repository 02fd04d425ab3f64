//! One client connection, owned by one virtual user: connect (DNS, TCP, TLS), send a
//! plan request, read the whole response, classify what went wrong. Reconnects
//! transparently when the server has closed an idle keep-alive connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method};
use klavier_plan::{Request, Target};
use klavier_stats::{FailureKind, Outcome};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use super::capture::{Capture, Captured};
use super::failure;
use super::h1::{self, Connection};
use super::stream::Stream;
use super::tls::{self, TlsSetupError};

/// What one request/response exchange produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchanged {
    /// The status received, or why none was.
    pub outcome: Outcome,
    /// Bytes written: request line, headers and body, exactly as sent.
    pub bytes_sent: u64,
    /// Bytes read: status line, headers, body and its framing, exactly as received.
    pub bytes_received: u64,
    /// The request was sent twice: first on a reused connection the server had
    /// already closed (no response byte came back), then on a fresh one.
    pub retried: bool,
}

/// How to reach the target; built once per run and shared by every user.
pub struct Connector {
    host: String,
    port: u16,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    host_header: HeaderValue,
    timeout: Duration,
}

impl Connector {
    /// Prepares connections to `target` (reads `ca_file`, builds the TLS config).
    pub fn new(target: &Target) -> Result<Self, TlsSetupError> {
        let tls = if target.tls {
            let config = tls::client_config(target.insecure, target.ca_file.as_deref())?;
            let name = ServerName::try_from(target.host.clone()).map_err(|e| {
                TlsSetupError::Config(rustls::Error::General(format!(
                    "{:?} is not a valid TLS server name: {e}",
                    target.host
                )))
            })?;
            Some((TlsConnector::from(config), name))
        } else {
            None
        };
        Ok(Self {
            host: target.host.clone(),
            port: target.port,
            tls,
            host_header: host_header(target),
            timeout: target.timeout,
        })
    }

    async fn resolve(&self) -> Result<Vec<SocketAddr>, FailureKind> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|_| FailureKind::Dns)?
            .collect();
        if addrs.is_empty() {
            return Err(FailureKind::Dns);
        }
        Ok(addrs)
    }

    async fn connect(&self, deadline: Instant) -> Result<Connection, FailureKind> {
        let addrs = timeout_at(deadline, self.resolve())
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        let tcp = timeout_at(deadline, connect_any(&addrs))
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        // Requests are small and sent whole; Nagle would only add latency.
        let _ = tcp.set_nodelay(true);
        let stream = match &self.tls {
            None => Stream::Plain(tcp),
            Some((connector, name)) => {
                let tls = timeout_at(deadline, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| FailureKind::ConnectTimeout)?
                    .map_err(|e| failure::handshake_error(&e))?;
                Stream::Tls(Box::new(tls))
            }
        };
        Ok(Connection::new(stream))
    }

    /// Writes the request head for `req` as [`Client::send`] does into a fresh buffer
    /// and returns its size. For the benchmarks (`benches/hot_path.rs`).
    #[doc(hidden)]
    pub fn build_and_drop(&self, req: &Request) -> u64 {
        let mut out = Vec::with_capacity(256);
        h1::write_head(&mut out, req, &self.host_header);
        (std::hint::black_box(out).len() + req.body.len()) as u64
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `Host` value: the host (IPv6 in brackets) with the port unless it is the scheme's default.
fn host_header(target: &Target) -> HeaderValue {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let default_port = if target.tls { 443 } else { 80 };
    let value = if target.port == default_port {
        host
    } else {
        format!("{host}:{}", target.port)
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("localhost"))
}

async fn connect_any(addrs: &[SocketAddr]) -> Result<TcpStream, FailureKind> {
    let mut last = FailureKind::Dns;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = failure::connect_error(&e),
        }
    }
    Err(last)
}

/// One user's connection to the target.
#[derive(Debug)]
pub struct Client {
    connector: Arc<Connector>,
    connection: Option<Connection>,
}

impl Client {
    /// A client that connects lazily, on its first request.
    pub fn new(connector: Arc<Connector>) -> Self {
        Self {
            connector,
            connection: None,
        }
    }

    /// Sends `req` and reads the whole response, within the target's timeout.
    /// Never fails: every problem is an [`Outcome::Failed`].
    pub async fn send(&mut self, req: &Request) -> Exchanged {
        self.send_keeping(req, None).await
    }

    /// Like [`send`](Self::send), also keeping what `keep` asks for of the response
    /// (headers, body, `Set-Cookie`) for checks, extractions and cookies.
    ///
    /// A reused keep-alive connection that the server had already closed fails
    /// before any response byte; an idempotent request is then sent once more on a
    /// fresh connection (within the same timeout), as browsers and hyper do, and
    /// counted as retried rather than as the server's failure.
    pub async fn send_keeping(
        &mut self,
        req: &Request,
        mut keep: Option<(Capture, &mut Captured)>,
    ) -> Exchanged {
        let deadline = Instant::now() + self.connector.timeout;
        let first = self.attempt(req, reborrow(&mut keep), deadline).await;
        if !first.stale_connection || !is_idempotent(&req.method) {
            return first.exchanged;
        }
        let mut second = self.attempt(req, keep, deadline).await.exchanged;
        second.bytes_sent += first.exchanged.bytes_sent;
        second.retried = true;
        second
    }

    /// One attempt: a ready connection, one exchange on it within `deadline`.
    async fn attempt(
        &mut self,
        req: &Request,
        keep: Option<(Capture, &mut Captured)>,
        deadline: Instant,
    ) -> Attempt {
        let connector = &*self.connector;
        let host = &connector.host_header;
        let mut reused = false;
        let result = match ready_connection(connector, &mut self.connection, deadline).await {
            Ok((connection, was_open)) => {
                reused = was_open;
                timeout_at(deadline, connection.exchange(req, host, keep))
                    .await
                    .unwrap_or(Err(FailureKind::Timeout))
            }
            Err(kind) => Err(kind),
        };
        // What went over the wire, also when the exchange failed half-way.
        let wire = self
            .connection
            .as_ref()
            .map(Connection::wire)
            .unwrap_or_default();
        let outcome = match result {
            Ok(status) => Outcome::Status(status),
            Err(kind) => {
                // The connection's state is unknown (a late response may still arrive): start afresh.
                self.connection = None;
                Outcome::Failed(kind)
            }
        };
        let closed_unanswered = matches!(
            outcome,
            Outcome::Failed(FailureKind::ConnectionClosed | FailureKind::ConnectionReset)
        ) && wire.received == 0;
        Attempt {
            exchanged: Exchanged {
                outcome,
                bytes_sent: wire.sent,
                bytes_received: wire.received,
                retried: false,
            },
            stale_connection: reused && closed_unanswered,
        }
    }

    /// Drops the connection of an exchange that was cut off from outside (the
    /// graceful stop ran out) and returns the bytes it had sent and received.
    pub fn abandon(&mut self) -> (u64, u64) {
        let wire = self.connection.take().map(|c| c.wire()).unwrap_or_default();
        (wire.sent, wire.received)
    }
}

/// A shorter-lived copy of `keep`, so it can be lent to two attempts in turn.
fn reborrow<'a>(
    keep: &'a mut Option<(Capture, &mut Captured)>,
) -> Option<(Capture, &'a mut Captured)> {
    keep.as_mut()
        .map(|(capture, captured)| (*capture, &mut **captured))
}

/// What one attempt of an exchange gave.
struct Attempt {
    exchanged: Exchanged,
    /// The attempt ran on a reused connection that closed before any response byte.
    stale_connection: bool,
}

/// Methods whose repetition has the effect of one request (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// The open connection if it can carry another request (and `true`), else a new one.
async fn ready_connection<'a>(
    connector: &Connector,
    slot: &'a mut Option<Connection>,
    deadline: Instant,
) -> Result<(&'a mut Connection, bool), FailureKind> {
    let reused = slot.as_ref().is_some_and(Connection::is_reusable);
    if !reused {
        *slot = None;
        *slot = Some(connector.connect(deadline).await?);
    }
    Ok((slot.as_mut().expect("a connection was just made"), reused))
}
