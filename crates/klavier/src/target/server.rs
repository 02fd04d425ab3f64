//! Accepting connections and driving each with hyper, HTTP/1.1 or HTTP/2 (prior
//! knowledge), chosen by sniffing the HTTP/2 connection preface.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::counts::TargetState;
use super::routes;

/// How long in-flight requests may finish after shutdown before connections are dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Pause after a failed `accept` (e.g. out of file descriptors) so it does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// Pending connections the kernel may queue (capped by `net.core.somaxconn`): a load
/// tester opens thousands at once, and a dropped SYN costs its user a one-second retry.
const LISTEN_BACKLOG: u32 = 16_384;

const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Bind `addr` (port 0 picks a free one) with a deep accept queue. Must be called
/// within a tokio runtime.
pub fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serve every connection `listener` accepts until `shutdown` is cancelled; then stop
/// accepting, let in-flight requests finish for up to [`SHUTDOWN_GRACE`], and return.
pub async fn serve(listener: TcpListener, state: Arc<TargetState>, shutdown: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            continue;
        };
        state.note_connection(Instant::now());
        // Small responses must not wait for Nagle; failure only costs latency.
        let _ = stream.set_nodelay(true);
        let connection = serve_connection_until(stream, state.clone(), shutdown.clone());
        connections.spawn(connection);
    }
    drop(listener);
    connections.close();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, connections.wait()).await;
}

/// Serve one connection to its end: HTTP/1.1 with keep-alive, or HTTP/2 if the client
/// opens with the HTTP/2 preface. Takes any byte stream, so tests can hand it TLS.
pub async fn serve_connection<I>(io: I, state: Arc<TargetState>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    serve_connection_until(io, state, CancellationToken::new()).await;
}

/// [`serve_connection`] that, once `shutdown` is cancelled, finishes the request in
/// flight and closes instead of waiting for more.
pub async fn serve_connection_until<I>(io: I, state: Arc<TargetState>, shutdown: CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let sniffed = tokio::select! {
        () = shutdown.cancelled() => return,
        sniffed = sniff(io) => sniffed,
    };
    let Ok((protocol, io)) = sniffed else {
        return; // the client went away before saying anything
    };
    let io = TokioIo::new(io);
    // When this connection's previous request arrived: the gaps between requests on
    // one connection give a closed-loop client's cycle time, hence its true rate.
    let previous: Mutex<Option<Instant>> = Mutex::new(None);
    let service = service_fn(move |request| {
        let now = Instant::now();
        let before = previous
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(now);
        if let Some(before) = before {
            state.record_gap(now - before);
        }
        routes::handle(request, state.clone())
    });
    // Errors end one connection and concern only its client: nothing to report.
    let _ = match protocol {
        Protocol::Http1 => {
            let mut builder = http1::Builder::new();
            // No header-read timeout: it would also close idle keep-alive connections,
            // which a load tester's users hold between iterations.
            builder.header_read_timeout(None);
            let connection = builder.serve_connection(io, service);
            drive(connection, http1::Connection::graceful_shutdown, &shutdown).await
        }
        Protocol::Http2 => {
            let connection =
                http2::Builder::new(TokioExecutor::new()).serve_connection(io, service);
            drive(connection, http2::Connection::graceful_shutdown, &shutdown).await
        }
    };
}

/// Run a hyper connection; on shutdown ask it to wind down and let it finish.
async fn drive<C: Future>(
    connection: C,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
    shutdown: &CancellationToken,
) -> C::Output {
    let mut connection = pin!(connection);
    tokio::select! {
        output = connection.as_mut() => return output,
        () = shutdown.cancelled() => graceful_shutdown(connection.as_mut()),
    }
    connection.await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

/// Read just enough to tell HTTP/2 prior knowledge from HTTP/1, then hand back a stream
/// that replays what was read.
async fn sniff<I: AsyncRead + Unpin>(mut io: I) -> io::Result<(Protocol, Rewind<I>)> {
    let mut seen = [0u8; H2_PREFACE.len()];
    let mut len = 0;
    while len < seen.len() {
        let n = io.read(&mut seen[len..]).await?;
        if n == 0 || seen[..len + n] != H2_PREFACE[..len + n] {
            len += n;
            break;
        }
        len += n;
    }
    let protocol = if len == H2_PREFACE.len() && seen == *H2_PREFACE {
        Protocol::Http2
    } else {
        Protocol::Http1
    };
    Ok((protocol, Rewind::new(io, seen, len)))
}

/// A stream whose first reads return bytes already read from it.
#[derive(Debug)]
struct Rewind<I> {
    inner: I,
    prefix: [u8; H2_PREFACE.len()],
    start: usize,
    end: usize,
}

impl<I> Rewind<I> {
    fn new(inner: I, prefix: [u8; H2_PREFACE.len()], len: usize) -> Self {
        Self {
            inner,
            prefix,
            start: 0,
            end: len,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Rewind<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.start < this.end && buf.remaining() > 0 {
            let n = (this.end - this.start).min(buf.remaining());
            buf.put_slice(&this.prefix[this.start..this.start + n]);
            this.start += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Rewind<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// Feed `chunks` through a pipe and sniff the other end.
    async fn sniff_chunks(chunks: &[&[u8]]) -> (Protocol, Vec<u8>) {
        let (mut client, server) = tokio::io::duplex(1024);
        for chunk in chunks {
            client.write_all(chunk).await.expect("pipe open");
        }
        drop(client);
        let (protocol, mut rewound) = sniff(server).await.expect("pipe reads");
        let mut replayed = Vec::new();
        rewound
            .read_to_end(&mut replayed)
            .await
            .expect("pipe reads");
        (protocol, replayed)
    }

    #[tokio::test]
    async fn sniffing_tells_protocols_apart_and_loses_no_bytes() {
        let preface_and_more = [&H2_PREFACE[..], b"frames"].concat();
        #[rustfmt::skip]
        let cases: [(&[&[u8]], Protocol); 5] = [
            (&[b"GET / HTTP/1.1\r\n\r\n"], Protocol::Http1),
            (&[b"PRI * HTTP/1.1\r\n\r\n"], Protocol::Http1),  // diverges mid-preface
            (&[b"PRI * HTT"], Protocol::Http1),                // closed mid-preface
            (&[b""], Protocol::Http1),                         // closed at once
            (&[&H2_PREFACE[..5], &preface_and_more[5..]], Protocol::Http2), // split preface
        ];
        for (chunks, want) in cases {
            let (protocol, replayed) = sniff_chunks(chunks).await;
            assert_eq!(protocol, want, "{chunks:?}");
            assert_eq!(replayed, chunks.concat(), "{chunks:?}");
        }
    }
}
