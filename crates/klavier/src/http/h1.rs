//! A small HTTP/1.1 client connection, run on the user's own task: the request head
//! is written into a reused buffer and sent with the body in one write, the response
//! head is parsed in place with httparse, and bodies (content-length, chunked or
//! close-delimited) are drained from one reused read buffer without copying unless a
//! check or extraction asked to keep them. Every byte read and written is counted.

use std::io::Write as _;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use klavier_plan::Request;
use klavier_stats::FailureKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::capture::{Capture, Captured};
use super::failure;
use super::stream::Stream;

/// Read buffer size to start with; a larger response head grows it.
const READ_BUFFER: usize = 4 * 1024;
/// The largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The most response headers parsed.
const MAX_HEADERS: usize = 96;
/// Bodies up to this size are copied into the head's buffer and sent in one write.
const COALESCE: usize = 16 * 1024;

/// One open connection and its buffers.
#[derive(Debug)]
pub struct Connection {
    stream: Stream,
    read: Vec<u8>,
    /// Unconsumed bytes are `read[start..end]`.
    start: usize,
    end: usize,
    write: Vec<u8>,
    /// False once the server said `Connection: close` or the framing requires it.
    reusable: bool,
}

/// What one exchange produced.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Bytes written for the request.
    pub sent: u64,
    /// Bytes read for the response, head and body framing included.
    pub received: u64,
}

impl Connection {
    /// A fresh connection over `stream`.
    pub fn new(stream: Stream) -> Self {
        Self {
            stream,
            read: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            write: Vec::new(),
            reusable: true,
        }
    }

    /// True if another request may be sent on this connection.
    pub fn is_reusable(&self) -> bool {
        self.reusable && self.start == self.end && !self.stream.is_stale()
    }

    /// Sends `req` (with `host` unless it sets its own) and reads the whole response.
    pub async fn exchange(
        &mut self,
        req: &Request,
        host: &HeaderValue,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<Response, FailureKind> {
        let sent = self.write_request(req, host).await?;
        let head_only = req.method == Method::HEAD;
        let (status, received) = self.read_response(head_only, keep).await?;
        Ok(Response {
            status,
            sent,
            received,
        })
    }

    async fn write_request(
        &mut self,
        req: &Request,
        host: &HeaderValue,
    ) -> Result<u64, FailureKind> {
        let mut out = std::mem::take(&mut self.write);
        out.clear();
        write_head(&mut out, req, host);
        let head_len = out.len();
        let body = &req.body;
        let result = if body.len() <= COALESCE {
            out.extend_from_slice(body);
            self.stream.write_all(&out).await
        } else {
            match self.stream.write_all(&out).await {
                Ok(()) => self.stream.write_all(body).await,
                Err(e) => Err(e),
            }
        };
        self.write = out;
        result.map_err(|e| failure::io_error(&e))?;
        Ok((head_len + body.len()) as u64)
    }

    /// Reads one response (skipping 1xx); returns its status and the bytes it took.
    async fn read_response(
        &mut self,
        head_only: bool,
        mut keep: Option<(Capture, &mut Captured)>,
    ) -> Result<(u16, u64), FailureKind> {
        let mut received = 0u64;
        loop {
            let head = self.read_head(keep.as_mut()).await?;
            received += head.len as u64;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            if !head.keep_alive {
                self.reusable = false;
            }
            let bodyless = head_only || head.status == 204 || head.status == 304;
            let mut sink = Sink::new(keep.as_ref().is_some_and(|(c, _)| c.body));
            received += match head.framing {
                _ if bodyless => 0,
                Framing::Length(n) => self.read_exact_body(n, &mut sink).await?,
                Framing::Chunked => self.read_chunked_body(&mut sink).await?,
                Framing::UntilClose => {
                    self.reusable = false;
                    self.read_until_close(&mut sink).await?
                }
            };
            if let (Some((_, captured)), Some(body)) = (keep, sink.kept) {
                captured.body = Bytes::from(body);
            }
            return Ok((head.status, received));
        }
    }

    /// Reads and parses a response head, keeping its headers if asked.
    async fn read_head(
        &mut self,
        keep: Option<&mut (Capture, &mut Captured)>,
    ) -> Result<Head, FailureKind> {
        loop {
            if self.end > self.start {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.read[self.start..self.end]) {
                    Ok(httparse::Status::Complete(len)) => {
                        let head = Head::from_parsed(&response, len)?;
                        if let Some((capture, captured)) = keep {
                            keep_head(*capture, captured, response.headers);
                        }
                        self.start += len;
                        return Ok(head);
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(_) => return Err(FailureKind::MalformedResponse),
                }
            }
            if self.end - self.start >= MAX_HEAD {
                return Err(FailureKind::MalformedResponse);
            }
            if self.fill().await? == 0 {
                return Err(FailureKind::ConnectionClosed);
            }
        }
    }

    async fn read_exact_body(
        &mut self,
        mut left: u64,
        sink: &mut Sink,
    ) -> Result<u64, FailureKind> {
        let total = left;
        while left > 0 {
            if self.start == self.end && self.fill().await? == 0 {
                return Err(FailureKind::ConnectionClosed);
            }
            let take = (self.end - self.start).min(usize::try_from(left).unwrap_or(usize::MAX));
            sink.take(&self.read[self.start..self.start + take]);
            self.start += take;
            left -= take as u64;
        }
        Ok(total)
    }

    async fn read_chunked_body(&mut self, sink: &mut Sink) -> Result<u64, FailureKind> {
        let mut received = 0u64;
        loop {
            let (line_len, size) = self.read_chunk_size().await?;
            received += line_len as u64;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                loop {
                    let line = self.read_line().await?;
                    received += line as u64;
                    if line == 2 {
                        return Ok(received);
                    }
                }
            }
            received += self.read_exact_body(size, sink).await?;
            let crlf = self.read_line().await?;
            if crlf != 2 {
                return Err(FailureKind::MalformedResponse);
            }
            received += 2;
        }
    }

    async fn read_chunk_size(&mut self) -> Result<(usize, u64), FailureKind> {
        let line_start = self.start;
        let len = self.read_line().await?;
        let line = &self.read[line_start..line_start + len];
        match httparse::parse_chunk_size(line) {
            Ok(httparse::Status::Complete((_, size))) => Ok((len, size)),
            _ => Err(FailureKind::MalformedResponse),
        }
    }

    /// Consumes one line (CRLF included) and returns its length; its bytes stay in
    /// the buffer just before `start` until the next fill.
    async fn read_line(&mut self) -> Result<usize, FailureKind> {
        loop {
            let unread = &self.read[self.start..self.end];
            if let Some(at) = unread.windows(2).position(|w| w == b"\r\n") {
                self.start += at + 2;
                return Ok(at + 2);
            }
            if unread.len() >= 4096 {
                return Err(FailureKind::MalformedResponse);
            }
            if self.fill().await? == 0 {
                return Err(FailureKind::ConnectionClosed);
            }
        }
    }

    async fn read_until_close(&mut self, sink: &mut Sink) -> Result<u64, FailureKind> {
        let mut received = 0u64;
        loop {
            let unread = self.end - self.start;
            sink.take(&self.read[self.start..self.end]);
            received += unread as u64;
            self.start = self.end;
            if self.fill().await? == 0 {
                return Ok(received);
            }
        }
    }

    /// Reads more bytes after the unconsumed ones, compacting or growing the buffer
    /// as needed; returns how many arrived (0 at the end of the stream).
    async fn fill(&mut self) -> Result<usize, FailureKind> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.read.len() {
            if self.start > 0 {
                self.read.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.read.resize(self.read.len() * 2, 0);
            }
        }
        let n = self
            .stream
            .read(&mut self.read[self.end..])
            .await
            .map_err(|e| failure::read_error(&e))?;
        self.end += n;
        Ok(n)
    }
}

/// Where body bytes go: counted, and kept only if asked.
struct Sink {
    kept: Option<Vec<u8>>,
}

impl Sink {
    fn new(keep: bool) -> Self {
        Self {
            kept: keep.then(Vec::new),
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        if let Some(kept) = self.kept.as_mut() {
            kept.extend_from_slice(bytes);
        }
    }
}

/// How a response body is delimited.
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// What the engine needs of a response head.
struct Head {
    status: u16,
    len: usize,
    framing: Framing,
    keep_alive: bool,
}

impl Head {
    fn from_parsed(response: &httparse::Response<'_, '_>, len: usize) -> Result<Self, FailureKind> {
        let status = response.code.ok_or(FailureKind::MalformedResponse)?;
        let http10 = response.version == Some(0);
        let mut framing = Framing::UntilClose;
        let mut keep_alive = !http10;
        for header in response.headers.iter() {
            let name = header.name;
            if name.eq_ignore_ascii_case("transfer-encoding") {
                if ends_with_chunked(header.value) {
                    framing = Framing::Chunked;
                }
            } else if name.eq_ignore_ascii_case("content-length") {
                if !matches!(framing, Framing::Chunked) {
                    framing = Framing::Length(parse_length(header.value)?);
                }
            } else if name.eq_ignore_ascii_case("connection") {
                let value = header.value;
                if contains_token(value, b"close") {
                    keep_alive = false;
                } else if contains_token(value, b"keep-alive") {
                    keep_alive = true;
                }
            }
        }
        Ok(Self {
            status,
            len,
            framing,
            keep_alive,
        })
    }
}

fn parse_length(value: &[u8]) -> Result<u64, FailureKind> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or(FailureKind::MalformedResponse)
}

fn ends_with_chunked(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .next_back()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token))
}

/// Keeps what `capture` asks for of a parsed head. Cookies alone (the default: every
/// user has a jar) need only the `Set-Cookie` values, not a whole header map.
fn keep_head(capture: Capture, captured: &mut Captured, headers: &[httparse::Header<'_>]) {
    if capture.headers {
        captured.keep_head(capture, &header_map(headers));
    } else if capture.cookies {
        let cookies = headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|h| HeaderValue::from_bytes(h.value).ok());
        captured.set_cookies.extend(cookies);
    }
}

fn header_map(headers: &[httparse::Header<'_>]) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(headers.len());
    for h in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// Writes the request line and headers: `host` first unless the request sets its own,
/// and a `content-length` when there is a body (or the method usually has one).
pub fn write_head(out: &mut Vec<u8>, req: &Request, host: &HeaderValue) {
    out.extend_from_slice(req.method.as_str().as_bytes());
    out.push(b' ');
    let target = req.uri.path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !req.headers.contains_key(HOST) {
        header_line(out, b"host", host.as_bytes());
    }
    for (name, value) in &req.headers {
        header_line(out, name.as_str().as_bytes(), value.as_bytes());
    }
    let wants_length =
        !req.body.is_empty() || matches!(req.method, Method::POST | Method::PUT | Method::PATCH);
    if wants_length && !req.headers.contains_key(CONTENT_LENGTH) {
        // Writing to a Vec cannot fail.
        let _ = write!(out, "content-length: {}\r\n", req.body.len());
    }
    out.extend_from_slice(b"\r\n");
}

fn header_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}
