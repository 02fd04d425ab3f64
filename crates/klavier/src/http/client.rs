//! One client connection, owned by one virtual user: connect (DNS, TCP, TLS), send a
//! plan request, read the whole response, classify what went wrong. Reconnects
//! transparently when the server has closed an idle keep-alive connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderValue, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use klavier_plan::{Request, Target};
use klavier_stats::{FailureKind, Outcome};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use super::capture::{Capture, Captured};
use super::failure;
use super::tls::{self, TlsSetupError};

/// What one request/response exchange produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchanged {
    /// The status received, or why none was.
    pub outcome: Outcome,
    /// Bytes written: request line, headers and body as HTTP/1.1 frames them.
    pub bytes_sent: u64,
    /// Bytes read: status line and headers as received (re-serialized), plus the body.
    pub bytes_received: u64,
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

    async fn connect(&self, deadline: Instant) -> Result<SendRequest<Full<Bytes>>, FailureKind> {
        let addrs = timeout_at(deadline, self.resolve())
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        let stream = timeout_at(deadline, connect_any(&addrs))
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        // Requests are small and sent whole; Nagle would only add latency.
        let _ = stream.set_nodelay(true);
        match &self.tls {
            None => handshake(stream).await,
            Some((connector, name)) => {
                let tls_stream = timeout_at(deadline, connector.connect(name.clone(), stream))
                    .await
                    .map_err(|_| FailureKind::ConnectTimeout)?
                    .map_err(|e| failure::handshake_error(&e))?;
                handshake(tls_stream).await
            }
        }
    }

    /// Builds the request for `req` as [`Client::send`] does and drops it; returns its
    /// size on the wire. For the benchmarks (`benches/hot_path.rs`).
    #[doc(hidden)]
    pub fn build_and_drop(&self, req: &Request) -> u64 {
        let (request, size) = self.build(req);
        drop(std::hint::black_box(request));
        size
    }

    /// Turns a plan request into a hyper request in origin form, and its size on the wire.
    fn build(&self, req: &Request) -> (http::Request<Full<Bytes>>, u64) {
        let mut request = http::Request::new(Full::new(req.body.clone()));
        *request.method_mut() = req.method.clone();
        if let Some(path) = req.uri.path_and_query() {
            *request.uri_mut() = Uri::from(path.clone());
        }
        // Sized once for what is added, so no insert regrows and rehashes the map.
        let mut headers = HeaderMap::with_capacity(req.headers.len() + 2);
        if !req.headers.contains_key(HOST) {
            headers.insert(HOST, self.host_header.clone());
        }
        if !req.body.is_empty() && !req.headers.contains_key(CONTENT_LENGTH) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(req.body.len()));
        }
        for (name, value) in &req.headers {
            headers.append(name.clone(), value.clone());
        }
        *request.headers_mut() = headers;
        let path_len = request
            .uri()
            .path_and_query()
            .map_or(1, |p| p.as_str().len());
        let line = req.method.as_str().len() + 1 + path_len + " HTTP/1.1\r\n".len();
        let size = line + header_block_size(request.headers()) + req.body.len();
        (request, size as u64)
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

async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>, FailureKind>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| failure::hyper_error(&e))?;
    // The connection task ends when the server closes or the user drops its sender.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Bytes of `name: value\r\n` lines plus the blank line that ends a head.
fn header_block_size(headers: &HeaderMap) -> usize {
    let lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    lines + 2
}

/// One user's connection to the target.
#[derive(Debug)]
pub struct Client {
    connector: Arc<Connector>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    /// A client that connects lazily, on its first request.
    pub fn new(connector: Arc<Connector>) -> Self {
        Self {
            connector,
            sender: None,
        }
    }

    /// Sends `req` and reads the whole response, within the target's timeout.
    /// Never fails: every problem is an [`Outcome::Failed`].
    pub async fn send(&mut self, req: &Request) -> Exchanged {
        self.send_keeping(req, None).await
    }

    /// Like [`send`](Self::send), also keeping what `keep` asks for of the response
    /// (headers, body, `Set-Cookie`) for checks, extractions and cookies.
    pub async fn send_keeping(
        &mut self,
        req: &Request,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Exchanged {
        let deadline = Instant::now() + self.connector.timeout;
        let (request, bytes_sent) = self.connector.build(req);
        let result = match self.ready_sender(deadline).await {
            Ok(sender) => timeout_at(deadline, exchange(sender, request, keep))
                .await
                .unwrap_or(Err(FailureKind::Timeout)),
            Err(kind) => Err(kind),
        };
        match result {
            Ok((status, bytes_received)) => Exchanged {
                outcome: Outcome::Status(status),
                bytes_sent,
                bytes_received,
            },
            Err(kind) => {
                // The connection's state is unknown (a late response may still arrive): start afresh.
                self.sender = None;
                Exchanged {
                    outcome: Outcome::Failed(kind),
                    bytes_sent: 0,
                    bytes_received: 0,
                }
            }
        }
    }

    async fn ready_sender(
        &mut self,
        deadline: Instant,
    ) -> Result<&mut SendRequest<Full<Bytes>>, FailureKind> {
        let reusable = match &mut self.sender {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !reusable {
            self.sender = Some(self.connector.connect(deadline).await?);
        }
        Ok(self.sender.as_mut().expect("a sender was just connected"))
    }
}

/// Sends one request and drains the response body without copying it.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: http::Request<Full<Bytes>>,
    mut keep: Option<(Capture, &mut Captured)>,
) -> Result<(u16, u64), FailureKind> {
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failure::hyper_error(&e))?;
    let status = response.status();
    let reason = status.canonical_reason().map_or(0, str::len);
    let head = "HTTP/1.1 200 \r\n".len() + reason + header_block_size(response.headers());
    if let Some((capture, captured)) = keep.as_mut() {
        captured.keep_head(*capture, response.headers());
    }
    let mut kept = keep
        .as_ref()
        .filter(|(capture, _)| capture.body)
        .map(|_| Vec::new());
    let mut body = response.into_body();
    let mut received = head as u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| failure::hyper_error(&e))?;
        if let Some(data) = frame.data_ref() {
            received += data.len() as u64;
            if let Some(kept) = kept.as_mut() {
                kept.extend_from_slice(data);
            }
        }
    }
    if let (Some((_, captured)), Some(kept)) = (keep, kept) {
        captured.body = Bytes::from(kept);
    }
    Ok((status.as_u16(), received))
}
