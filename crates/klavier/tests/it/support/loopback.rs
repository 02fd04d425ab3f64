//! A TCP server on 127.0.0.1 port 0, on its own thread and current-thread tokio
//! runtime, handing every accepted connection to a handler until it is dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A running loopback server. Dropping it stops accepting, drops every connection
/// still open and joins its thread.
pub struct Loopback {
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
    stop: CancellationToken,
    thread: Option<JoinHandle<()>>,
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
        let serving = accept_loop(listener, handle, accepted.clone(), stop.clone());
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
) where
    H: Fn(TcpStream, CancellationToken) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::from_std(listener).expect("inside a runtime");
    loop {
        let connection = tokio::select! {
            () = stop.cancelled() => break,
            connection = listener.accept() => connection,
        };
        if let Ok((stream, _peer)) = connection {
            accepted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream, stop.clone()));
        }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread must not hide the test's own result.
            let _ = thread.join();
        }
    }
}
