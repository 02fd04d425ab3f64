//! The built-in target with a tap on the wire: every byte a client sends is kept, per
//! connection, so a test can read the requests exactly as Klavier wrote them (request
//! line, headers, body) while the real target answers them; the bytes answered are
//! counted.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use klavier_testbed::{serve_connection, TargetState};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::loopback::Loopback;

/// Bytes received, one buffer per connection in accept order.
type Wire = Arc<Mutex<Vec<Vec<u8>>>>;

/// Bytes written to clients, all connections together.
type Written = Arc<AtomicU64>;

/// A tapped built-in target; stops when dropped.
pub struct Wiretap {
    server: Loopback,
    state: Arc<TargetState>,
    wire: Wire,
    written: Written,
}

impl Wiretap {
    pub fn start() -> Self {
        let state = Arc::new(TargetState::new());
        let wire = Wire::default();
        let written = Written::default();
        let (served, tapped, counted) = (state.clone(), wire.clone(), written.clone());
        let server = Loopback::start("wiretap", move |stream, _stop| {
            let connection = {
                let mut wire = tapped.lock().unwrap_or_else(PoisonError::into_inner);
                wire.push(Vec::new());
                wire.len() - 1
            };
            let tap = Tap {
                stream,
                wire: tapped.clone(),
                connection,
                written: counted.clone(),
            };
            serve_connection(tap, served.clone())
        });
        Self {
            server,
            state,
            wire,
            written,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.server.accepted()
    }

    /// What the target counted, keyed `"GET /api/health"`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts()
    }

    /// Bytes received so far, all connections together.
    pub fn bytes_received(&self) -> u64 {
        let wire = self.wire.lock().unwrap_or_else(PoisonError::into_inner);
        wire.iter().map(|bytes| bytes.len() as u64).sum()
    }

    /// Bytes the target wrote so far (status lines, headers, bodies).
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// Every request received so far, connection by connection.
    pub fn requests(&self) -> Vec<RawRequest> {
        let wire = self.wire.lock().unwrap_or_else(PoisonError::into_inner);
        wire.iter()
            .flat_map(|bytes| parse_requests(bytes))
            .collect()
    }
}

/// One HTTP/1.1 request as it was on the wire.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// E.g. `POST /echo HTTP/1.1`.
    pub line: String,
    /// Header names as sent (case kept), in order, repeated names kept.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Every value of header `name` (any case).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Splits a connection's bytes into requests framed by `Content-Length` (Klavier
/// sends whole bodies, never chunked). A truncated last request is left out.
fn parse_requests(mut bytes: &[u8]) -> Vec<RawRequest> {
    let mut requests = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let rest = &bytes[end + 4..];
        if rest.len() < length {
            break;
        }
        requests.push(RawRequest {
            line,
            headers,
            body: rest[..length].to_vec(),
        });
        bytes = &rest[length..];
    }
    requests
}

/// A stream that copies what it reads into its connection's buffer and counts what
/// it writes.
struct Tap {
    stream: TcpStream,
    wire: Wire,
    connection: usize,
    written: Written,
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let mut wire = this.wire.lock().unwrap_or_else(PoisonError::into_inner);
            wire[this.connection].extend_from_slice(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.written.fetch_add(n as u64, Ordering::SeqCst);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
