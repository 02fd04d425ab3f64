//! One HTTP/1.1 client connection, run on the user's own task: the request head is
//! written into a reused buffer and sent with the body in one write; the response is
//! decoded by [`klavier_h1::Decoder`] from one reused read buffer, which is fed
//! whatever arrived and never asked to remember where anything was, so any read
//! boundary is safe. Bodies are drained without copying unless a check or extraction
//! asked to keep them. Every byte read and written is counted, also for a request
//! that fails half-way.

use std::io::Write as _;
use std::time::Duration;

use tokio::time::Instant;

use http::header::{CONNECTION, CONTENT_LENGTH, HOST};
use http::{HeaderValue, Method};
use klavier_h1::{Decoder, Handler, Head, Limits};
use klavier_plan::Request;
use klavier_stats::FailureKind;

use super::failure::Failure;
use super::keeper::Keeper;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::capture::{Capture, Captured};
use super::failure;
use super::stream::Stream;

/// Read buffer size to start with; a larger response head grows it.
const READ_BUFFER: usize = 4 * 1024;
/// Bodies up to this size are copied into the head's buffer and sent in one write.
const COALESCE: usize = 16 * 1024;

/// A byte stream a connection can run on: TCP or TLS, or a scripted one in tests.
pub trait Io: AsyncRead + AsyncWrite + Unpin {
    /// True if the idle stream cannot carry another request (the peer closed it, or
    /// sent something unasked for).
    fn is_stale(&self) -> bool;
}

impl Io for Stream {
    fn is_stale(&self) -> bool {
        Stream::is_stale(self)
    }
}

/// Bytes of the exchange in progress, as they went over the connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wire {
    /// Request bytes written.
    pub sent: u64,
    /// Response bytes read.
    pub received: u64,
    /// When the request's first byte was handed to the stream.
    pub started: Option<Instant>,
    /// When the response's first byte arrived.
    pub first_byte: Option<Instant>,
    /// When the response was complete.
    pub done: Option<Instant>,
}

impl Wire {
    /// Time to the first response byte, and from it to the last.
    pub fn phases(&self) -> (Option<Duration>, Option<Duration>) {
        let first = self.started.zip(self.first_byte).map(|(s, f)| f - s);
        let transfer = self.first_byte.zip(self.done).map(|(f, d)| d - f);
        (first, transfer)
    }
}

/// One open connection and its buffers.
#[derive(Debug)]
pub struct Connection<S = Stream> {
    stream: S,
    read: Vec<u8>,
    /// Unconsumed bytes are `read[start..end]`.
    start: usize,
    end: usize,
    write: Vec<u8>,
    /// False once a response said the connection ends (or its framing requires it).
    reusable: bool,
    limits: Limits,
    /// The largest body kept for checks (decoded).
    max_body: usize,
    /// Requests go to an HTTP proxy that forwards them.
    forward: Option<Forward>,
    /// False: `Connection: close` on every request, and no reuse.
    keep_alive: bool,
    wire: Wire,
}

/// A connection to an HTTP proxy that forwards plain `http` requests: the request line
/// carries the absolute URI, and the proxy's credentials go with every request.
#[derive(Debug, Clone)]
pub struct Forward {
    /// `Proxy-Authorization`, if the proxy URL had credentials.
    pub authorization: Option<HeaderValue>,
}

impl<S: Io> Connection<S> {
    /// A fresh connection over `stream`, reading response heads within `limits` and
    /// keeping bodies (for checks) up to `max_body` bytes.
    pub fn new(stream: S, limits: Limits, max_body: usize) -> Self {
        Self {
            stream,
            read: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            write: Vec::new(),
            reusable: true,
            limits,
            max_body,
            forward: None,
            keep_alive: true,
            wire: Wire::default(),
        }
    }

    /// Sends requests through an HTTP proxy that forwards them.
    pub fn set_forward(&mut self, forward: Option<Forward>) {
        self.forward = forward;
    }

    /// With `false`, every request asks the server to close, and none reuses this.
    pub fn set_keep_alive(&mut self, keep_alive: bool) {
        self.keep_alive = keep_alive;
        self.reusable &= keep_alive;
    }

    /// True if another request may be sent on this connection.
    pub fn is_reusable(&self) -> bool {
        self.reusable && self.start == self.end && !self.stream.is_stale()
    }

    /// Bytes of the last (or current) exchange so far: also right after a failure or
    /// a timeout cut the exchange short.
    pub fn wire(&self) -> Wire {
        self.wire
    }

    /// Sends `req` (with `host` unless it sets its own) and reads the whole response;
    /// returns its status.
    pub async fn exchange(
        &mut self,
        req: &Request,
        host: &HeaderValue,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<u16, Failure> {
        self.wire = Wire {
            started: Some(Instant::now()),
            ..Wire::default()
        };
        let head_request = req.method == Method::HEAD;
        if let Err(write_failed) = self.write_request(req, host).await {
            // A server may answer before it has read the whole body (413, 401) and
            // close: that answer, if it arrived, is the result, as curl reports it.
            self.reusable = false;
            return match self.read_response(head_request, keep).await {
                Ok(status) => Ok(status),
                Err(_) => Err(write_failed),
            };
        }
        let result = self.read_response(head_request, keep).await;
        if result.is_err() || !self.keep_alive {
            self.reusable = false;
        }
        result
    }

    async fn write_request(&mut self, req: &Request, host: &HeaderValue) -> Result<(), Failure> {
        let mut out = std::mem::take(&mut self.write);
        out.clear();
        write_head(&mut out, req, host, self.forward.as_ref(), self.keep_alive);
        let body = &req.body;
        let result = if body.len() <= COALESCE {
            out.extend_from_slice(body);
            self.write_counted(&out).await
        } else {
            match self.write_counted(&out).await {
                Ok(()) => self.write_counted(body).await,
                Err(e) => Err(e),
            }
        };
        self.write = out;
        match result {
            // TLS may hold records back until flushed; plain TCP flushes for free.
            Ok(()) => self.stream.flush().await,
            Err(e) => Err(e),
        }
        .map_err(|e| failure::io_error(&e))
    }

    /// Writes all of `bytes`, counting what the stream took as it goes.
    async fn write_counted(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let n = self.stream.write(bytes).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.wire.sent += n as u64;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Reads one response (interim 1xx ones skipped) and returns its status.
    async fn read_response(
        &mut self,
        head_request: bool,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<u16, Failure> {
        let mut decoder = Decoder::new(head_request, self.limits);
        let mut keeper = Keeper::new(keep, self.max_body);
        loop {
            if self.start < self.end {
                let fed = &self.read[self.start..self.end];
                let n = decoder
                    .decode(fed, &mut keeper)
                    .map_err(failure::decode_error)?;
                self.start += n;
                if decoder.is_done() {
                    break;
                }
            }
            if self.fill().await? == 0 {
                decoder
                    .end_of_stream(self.end - self.start)
                    .map_err(failure::decode_error)?;
                break;
            }
        }
        if !decoder.is_persistent() {
            self.reusable = false;
        }
        let status = decoder.status().ok_or(FailureKind::MalformedResponse)?;
        keeper.finish()?;
        self.wire.done = Some(Instant::now());
        Ok(status)
    }

    /// Reads more bytes after the unconsumed ones, compacting or growing the buffer
    /// as needed; returns how many arrived (0 at the end of the stream). The decoder
    /// never waits for more than a head's worth of unconsumed bytes, so the buffer
    /// stays within twice that.
    async fn fill(&mut self) -> Result<usize, Failure> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.read.len() {
            if self.start > 0 {
                self.read.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.read.len() < 2 * self.limits.max_head {
                self.read.resize(self.read.len() * 2, 0);
            } else {
                return Err(FailureKind::MalformedResponse.into());
            }
        }
        let n = self
            .stream
            .read(&mut self.read[self.end..])
            .await
            .map_err(|e| failure::read_error(&e))?;
        self.end += n;
        if n > 0 && self.wire.first_byte.is_none() {
            self.wire.first_byte = Some(Instant::now());
        }
        self.wire.received += n as u64;
        Ok(n)
    }
}

impl Handler for Keeper<'_> {
    fn head(&mut self, head: &Head<'_>) {
        let lines = head.headers.iter().map(|h| (h.name, h.value));
        self.keep_head(head.status, lines);
    }

    fn body(&mut self, bytes: &[u8]) {
        self.keep_body(bytes);
    }
}

/// Writes the request line and headers: `Host` first unless the request sets its own,
/// then the request's headers in order with their names as the profile writes them,
/// and a `Content-Length` when there is a body (or the method usually has one). To a
/// forwarding proxy the request line carries the absolute URI, with the proxy's
/// credentials; without keep-alive, `Connection: close`.
pub fn write_head(
    out: &mut Vec<u8>,
    req: &Request,
    host: &HeaderValue,
    forward: Option<&Forward>,
    keep_alive: bool,
) {
    out.extend_from_slice(req.method.as_str().as_bytes());
    out.push(b' ');
    if forward.is_some() {
        if let (Some(scheme), Some(authority)) = (req.uri.scheme_str(), req.uri.authority()) {
            out.extend_from_slice(scheme.as_bytes());
            out.extend_from_slice(b"://");
            out.extend_from_slice(authority.as_str().as_bytes());
        }
    }
    let target = req.uri.path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !req.headers.contains_key(HOST) {
        header_line(out, b"Host", host.as_bytes());
    }
    if let Some(auth) = forward.and_then(|f| f.authorization.as_ref()) {
        header_line(out, b"Proxy-Authorization", auth.as_bytes());
    }
    for (name, value) in &req.headers {
        let written = req.written_names.get(name).unwrap_or(name.as_str());
        header_line(out, written.as_bytes(), value.as_bytes());
    }
    if !keep_alive && !req.headers.contains_key(CONNECTION) {
        header_line(out, b"Connection", b"close");
    }
    let wants_length =
        !req.body.is_empty() || matches!(req.method, Method::POST | Method::PUT | Method::PATCH);
    if wants_length && !req.headers.contains_key(CONTENT_LENGTH) {
        // Writing to a Vec cannot fail.
        let _ = write!(out, "Content-Length: {}\r\n", req.body.len());
    }
    out.extend_from_slice(b"\r\n");
}

fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
#[path = "h1_tests.rs"]
mod tests;
