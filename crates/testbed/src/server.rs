//! Accepting connections and driving each with hyper, HTTP/1.1 or HTTP/2 (prior
//! knowledge), as hyper-util's auto builder decides from the connection's first bytes.

use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
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
/// opens with the HTTP/2 preface (hyper-util's auto builder tells them apart). Takes any
/// byte stream, so tests can hand it TLS.
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
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // No header-read timeout: it would also close idle keep-alive connections,
    // which a load tester's users hold between iterations.
    builder.http1().header_read_timeout(None);
    let mut connection = pin!(builder.serve_connection(TokioIo::new(io), service));
    // Errors end one connection and concern only its client: nothing to report.
    tokio::select! {
        _ = connection.as_mut() => return,
        () = shutdown.cancelled() => connection.as_mut().graceful_shutdown(),
    }
    // Still reading the preface: the connection ends at once; else the request in
    // flight finishes first.
    let _ = connection.await;
}
