//! One HTTP/2 connection on the `h2` crate: a request is a stream, sent when the
//! server's `max_concurrent_streams` allows, its body within flow control, its
//! response kept by the same [`Keeper`] as HTTP/1.1's. The connection's frames are
//! driven by a task of its own on the worker's thread, so several users can share it.
//! Bytes are counted on the connection's socket; an exchange reports what crossed it
//! while it ran (exact when one user owns the connection; with several streams at
//! once, their bytes interleave and each exchange sees the whole connection's).

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONNECTION, HOST, TRANSFER_ENCODING, UPGRADE};
use http::HeaderName;
use klavier_plan::Request;
use klavier_stats::{FailureKind, Reason};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::capture::{Capture, Captured};
use super::failure::{self, Failure};
use super::h1::Wire;
use super::keeper::Keeper;
use super::stream::Stream;

/// Bytes read and written on a connection, shared with its streams.
#[derive(Debug, Default)]
struct Counters {
    read: Cell<u64>,
    written: Cell<u64>,
    /// The socket's first error (a TLS alert, a reset): what a stream on it sees is
    /// only h2's summary of it.
    failed: Cell<Option<Failure>>,
}

impl Counters {
    /// Keeps the first socket error, or a TLS one that explains it (an alert read
    /// after a write already failed).
    fn note(&self, failure: Failure) {
        let tls = failure.kind == FailureKind::Tls;
        let known = self.failed.get();
        if known.is_none() || (tls && known.is_some_and(|k| k.kind != FailureKind::Tls)) {
            self.failed.set(Some(failure));
        }
    }
}

/// A socket that counts what crosses it.
struct Counted {
    inner: Stream,
    counters: Rc<Counters>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.counters.read.set(self.counters.read.get() + read);
        if let Poll::Ready(Err(e)) = &polled {
            self.counters.note(failure::read_error(e));
        }
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, bytes);
        match &polled {
            Poll::Ready(Ok(n)) => {
                self.counters
                    .written
                    .set(self.counters.written.get() + *n as u64);
            }
            Poll::Ready(Err(e)) => self.counters.note(failure::io_error(e)),
            _ => {}
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An open HTTP/2 connection; cheap to clone (every clone sends on the same one).
#[derive(Clone)]
pub struct H2Connection {
    send: h2::client::SendRequest<Bytes>,
    counters: Rc<Counters>,
    closed: Rc<Cell<bool>>,
    max_body: usize,
    wire: Wire,
}

impl std::fmt::Debug for H2Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H2Connection")
            .field("closed", &self.closed.get())
            .finish()
    }
}

impl H2Connection {
    /// Speaks HTTP/2 on `stream` (TLS that negotiated `h2`, or cleartext with prior
    /// knowledge); the connection task runs on this thread's `LocalSet`.
    pub async fn handshake(stream: Stream, max_body: usize) -> Result<Self, Failure> {
        let counters = Rc::new(Counters::default());
        let io = Counted {
            inner: stream,
            counters: counters.clone(),
        };
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(1 << 20)
            .initial_connection_window_size(4 << 20)
            .handshake::<_, Bytes>(io)
            .await
            .map_err(|e| h2_error(&e))?;
        let closed = Rc::new(Cell::new(false));
        let ended = closed.clone();
        tokio::task::spawn_local(async move {
            let _ = connection.await;
            ended.set(true);
        });
        Ok(Self {
            send,
            counters,
            closed,
            max_body,
            wire: Wire::default(),
        })
    }

    /// True while the connection can carry another stream.
    pub fn is_open(&self) -> bool {
        !self.closed.get()
    }

    /// Bytes and times of the last exchange.
    pub fn wire(&self) -> Wire {
        self.wire
    }

    /// Sends `req` as a stream and reads its whole response; returns the status.
    pub async fn exchange(
        &mut self,
        req: &Request,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<u16, Failure> {
        let (read, written) = (self.counters.read.get(), self.counters.written.get());
        self.wire = Wire {
            started: Some(Instant::now()),
            ..Wire::default()
        };
        let mut result = self.stream(req, keep).await;
        if let Err(failure) = &result {
            if failure.kind == FailureKind::GoAway {
                // The server takes no new streams on it: users sharing it open another.
                self.closed.set(true);
            } else {
                // The connection task may not have told why yet: let it run once.
                tokio::task::yield_now().await;
                if let Some(why) = self.counters.failed.get() {
                    result = Err(why);
                }
            }
        }
        self.wire.received = self.counters.read.get() - read;
        self.wire.sent = self.counters.written.get() - written;
        result
    }

    async fn stream(
        &mut self,
        req: &Request,
        keep: Option<(Capture, &mut Captured)>,
    ) -> Result<u16, Failure> {
        poll_fn(|cx| self.send.poll_ready(cx))
            .await
            .map_err(|e| h2_error(&e))?;
        let head = request_head(req)?;
        let has_body = !req.body.is_empty();
        let (response, mut body_stream) = self
            .send
            .send_request(head, !has_body)
            .map_err(|e| h2_error(&e))?;
        if has_body {
            send_body(&mut body_stream, req.body.clone()).await?;
        }
        let response = response.await.map_err(|e| h2_error(&e))?;
        self.wire.first_byte = Some(Instant::now());
        let status = response.status().as_u16();
        let mut keeper = Keeper::new(keep, self.max_body);
        let lines: Vec<(&str, &[u8])> = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
            .collect();
        keeper.keep_head(status, lines.iter().copied());
        let mut body = response.into_body();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| h2_error(&e))?;
            keeper.keep_body(&chunk);
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        body.trailers().await.map_err(|e| h2_error(&e))?;
        keeper.finish()?;
        self.wire.done = Some(Instant::now());
        Ok(status)
    }
}

/// Headers HTTP/2 forbids (RFC 9113 §8.2.2); `Host` becomes `:authority`.
const CONNECTION_SPECIFIC: [HeaderName; 4] = [CONNECTION, TRANSFER_ENCODING, UPGRADE, HOST];

fn request_head(req: &Request) -> Result<http::Request<()>, Failure> {
    let mut head = http::Request::builder()
        .method(req.method.clone())
        .uri(req.uri.clone())
        .body(())
        .map_err(|_| Failure::from(FailureKind::InvalidUrl))?;
    let headers = head.headers_mut();
    for (name, value) in &req.headers {
        if !CONNECTION_SPECIFIC.contains(name) && name.as_str() != "keep-alive" {
            headers.append(name.clone(), value.clone());
        }
    }
    Ok(head)
}

/// Sends `body` as DATA frames as flow control allows.
async fn send_body(stream: &mut h2::SendStream<Bytes>, mut body: Bytes) -> Result<(), Failure> {
    while !body.is_empty() {
        stream.reserve_capacity(body.len());
        let granted = poll_fn(|cx| stream.poll_capacity(cx))
            .await
            .ok_or(FailureKind::ConnectionReset)?
            .map_err(|e| h2_error(&e))?;
        let chunk = body.split_to(granted.min(body.len()));
        stream
            .send_data(chunk, body.is_empty())
            .map_err(|e| h2_error(&e))?;
    }
    Ok(())
}

/// Classifies an HTTP/2 error: the socket's own error as any I/O error; the
/// server's GOAWAY (which h2 gives every stream above the last one the server will
/// process, and every later request) as `goaway`; its RST_STREAM as `stream_reset`,
/// refused streams said apart; anything h2 itself found wrong in what the server sent
/// as a malformed response.
fn h2_error(err: &h2::Error) -> Failure {
    if let Some(io) = err.get_io() {
        return failure::read_error(io);
    }
    if err.is_remote() && err.is_go_away() {
        return FailureKind::GoAway.into();
    }
    if err.is_remote() && err.is_reset() {
        return match err.reason() {
            Some(h2::Reason::REFUSED_STREAM) => {
                Failure::because(FailureKind::StreamReset, Reason::RefusedStream)
            }
            _ => FailureKind::StreamReset.into(),
        };
    }
    FailureKind::MalformedResponse.into()
}
