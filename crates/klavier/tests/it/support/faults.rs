//! Servers that fail in exactly one way each, on loopback port 0, so a test can check
//! that Klavier counts the failure under the right kind.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::loopback::Loopback;

/// How a [`FaultServer`] misbehaves on every connection.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Accepts and never answers: the client times out.
    Silent,
    /// Reads the request, then resets the connection (SO_LINGER 0, then close).
    ResetAfterRequest,
    /// Reads the request, then answers bytes that are not HTTP.
    Garbage,
    /// Closes its side right after accepting (a FIN before any response). It keeps
    /// reading until the client closes, so the client's request never meets a closed
    /// socket, which would turn the FIN into a reset.
    CloseAtOnce,
    /// Reads the request head only, answers `413 Content Too Large` and closes with
    /// the body unread (the kernel then resets the connection), as servers with a
    /// body-size limit do.
    AnswerEarly,
}

/// What [`Fault::Garbage`] answers: a plausible banner, not an HTTP status line.
const GARBAGE: &[u8] = b"SSH-2.0-OpenSSH_9.6 definitely not HTTP\r\n\r\n";

/// A misbehaving server; stops when dropped.
pub struct FaultServer {
    server: Loopback,
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        let server = Loopback::start("fault", move |stream, stop| async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = misbehave(fault, stream) => {}
            }
        });
        Self { server }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Connections accepted so far: proof that Klavier reached this server.
    pub fn accepted(&self) -> u64 {
        self.server.accepted()
    }
}

/// Plays `fault` on one connection; the server's stop cuts it short.
async fn misbehave(fault: Fault, mut stream: TcpStream) {
    match fault {
        Fault::Silent => std::future::pending().await,
        Fault::ResetAfterRequest => {
            read_head(&mut stream).await;
            // Closing with a zero linger sends RST instead of FIN.
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Fault::Garbage => {
            read_head(&mut stream).await;
            let _ = stream.write_all(GARBAGE).await;
            drain(&mut stream).await;
        }
        Fault::AnswerEarly => {
            read_head(&mut stream).await;
            let answer =
                b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(answer).await;
        }
        Fault::CloseAtOnce => {
            let _ = stream.shutdown().await;
            drain(&mut stream).await;
        }
    }
}

/// Reads until the end of a request head (`\r\n\r\n`), the peer closes, or 64 KiB.
async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while head.len() < 64 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads and discards until the peer closes.
async fn drain(stream: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(1..) = stream.read(&mut buf).await {}
}

/// An address on which nothing listens: bound to port 0, then released. (Another
/// process could take the port in between; on loopback that is vanishingly rare.)
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port 0 binds");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}
