//! A TCP server on 127.0.0.1 port 0, on its own thread and current-thread tokio
//! runtime, handing every accepted connection to a handler until it is dropped.
//!
//! A handler that panics (an assertion inside it failed) fails the test: the panic is
//! kept and raised again when the server is dropped, as xh's test server does.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// Messages of handler panics, shared between the server thread and the test.
type Panics = Arc<Mutex<Vec<String>>>;

/// A running loopback server. Dropping it stops accepting, drops every connection
/// still open and joins its thread.
pub struct Loopback {
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
    stop: CancellationToken,
    thread: Option<JoinHandle<()>>,
    panics: Panics,
}

impl Loopback {
    /// Binds now (so the port is listening when this returns) and serves each
    /// connection with `handle(stream, stop)` in a task of its own.
    pub fn start<H, F>(name: &str, handle: H) -> Self
    where
        H: Fn(TcpStream, CancellationToken) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port 0 binds");
        listener
            .set_nonblocking(true)
            .expect("a listener can be made non-blocking");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let accepted = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let panics = Panics::default();
        let serving = accept_loop(
            listener,
            handle,
            accepted.clone(),
            stop.clone(),
            panics.clone(),
        );
        let thread = std::thread::Builder::new()
            .name(format!("it-{name}-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a test runtime starts");
                runtime.block_on(serving);
                // Dropping the runtime drops every connection task still running.
            })
            .expect("a server thread starts");
        Self {
            addr,
            accepted,
            stop,
            thread: Some(thread),
            panics,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn accept_loop<H, F>(
    listener: std::net::TcpListener,
    handle: H,
    accepted: Arc<AtomicU64>,
    stop: CancellationToken,
    panics: Panics,
) where
    H: Fn(TcpStream, CancellationToken) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::from_std(listener).expect("inside a runtime");
    let mut handlers = JoinSet::new();
    loop {
        let connection = tokio::select! {
            () = stop.cancelled() => break,
            connection = listener.accept() => connection,
            Some(ended) = handlers.join_next() => {
                keep_panic(ended, &panics);
                continue;
            }
        };
        if let Ok((stream, _peer)) = connection {
            accepted.fetch_add(1, Ordering::SeqCst);
            handlers.spawn(handle(stream, stop.clone()));
        }
    }
    // Handlers that already ended are looked at; the rest are cut off with the server.
    while let Some(ended) = handlers.try_join_next() {
        keep_panic(ended, &panics);
    }
    handlers.shutdown().await;
}

fn keep_panic(ended: Result<(), JoinError>, panics: &Panics) {
    let Err(error) = ended else { return };
    if let Ok(payload) = error.try_into_panic() {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        panics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.cancel();
        let thread_panicked = self.thread.take().is_some_and(|t| t.join().is_err());
        let panics =
            std::mem::take(&mut *self.panics.lock().unwrap_or_else(PoisonError::into_inner));
        // A test already failing keeps its own message; otherwise a handler's failed
        // assertion fails the test here, where it would otherwise be lost.
        if std::thread::panicking() {
            return;
        }
        assert!(
            panics.is_empty(),
            "a handler of the loopback server panicked: {}",
            panics.join("; ")
        );
        assert!(!thread_panicked, "the loopback server's thread panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(
        expected = "a handler of the loopback server panicked: the handler's own assertion"
    )]
    fn a_panicking_handler_fails_the_test_when_the_server_is_dropped() {
        let server = Loopback::start("panics", |stream, _stop| async move {
            let _held = stream; // closed by the panic's unwinding, not before
            panic!("the handler's own assertion");
        });
        let connection = std::net::TcpStream::connect(server.addr()).expect("connects");
        // Wait until the handler has run (and panicked): the server closes the connection.
        let mut buf = [0u8; 1];
        let _ = std::io::Read::read(&mut &connection, &mut buf);
        drop(server);
    }
}
