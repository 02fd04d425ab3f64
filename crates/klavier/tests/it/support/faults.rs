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
    /// Answers a head announcing 1,000 body bytes, sends 10 of them and stalls forever.
    StallBody,
    /// Answers a head announcing 1,000 body bytes, sends 10 of them, then resets.
    ResetMidBody,
    /// Sends a status line, then one byte of headers per second, forever (slowloris).
    Slowloris,
    /// Sends a status line, then header lines without end: 10 MB of them, then stalls.
    EndlessHeaders,
    /// Answers every request on a connection with exactly these bytes (keep-alive).
    Answer(&'static [u8]),
    /// Answers these bytes to the first request, then closes the connection.
    AnswerThenClose(&'static [u8]),
    /// Answers every request with a body of [`HUGE_BODY`] bytes, announced by
    /// `Content-Length` or sent in 64 KiB chunks, as fast as the client reads.
    HugeBody { chunked: bool },
}

/// The size of [`Fault::HugeBody`]'s body: 2 GiB.
pub const HUGE_BODY: u64 = 2 << 30;

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
        Fault::StallBody => {
            read_head(&mut stream).await;
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
            let _ = stream.write_all(head).await;
            std::future::pending().await
        }
        Fault::ResetMidBody => {
            read_head(&mut stream).await;
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
            let _ = stream.write_all(head).await;
            let _ = stream.flush().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let _ = stream.set_zero_linger();
        }
        Fault::Slowloris => {
            read_head(&mut stream).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n").await;
            for byte in b"X-Slow: ".iter().cycle() {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if stream.write_all(&[*byte]).await.is_err() {
                    return;
                }
            }
        }
        Fault::EndlessHeaders => {
            read_head(&mut stream).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n").await;
            let line = b"X-Endless: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
            for _ in 0..(10_000_000 / line.len()) {
                if stream.write_all(line).await.is_err() {
                    return;
                }
            }
            std::future::pending().await
        }
        Fault::Answer(bytes) => loop {
            if !read_head(&mut stream).await || stream.write_all(bytes).await.is_err() {
                return;
            }
        },
        Fault::AnswerThenClose(bytes) => {
            read_head(&mut stream).await;
            let _ = stream.write_all(bytes).await;
        }
        Fault::HugeBody { chunked } => {
            while read_head(&mut stream).await {
                if send_huge_body(&mut stream, chunked).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Writes a 200 response with a [`HUGE_BODY`]-byte body.
async fn send_huge_body(stream: &mut TcpStream, chunked: bool) -> std::io::Result<()> {
    const PIECE: usize = 64 * 1024;
    let data = vec![b'x'; PIECE];
    if chunked {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await?;
        let mut chunk = format!("{PIECE:x}\r\n").into_bytes();
        chunk.extend_from_slice(&data);
        chunk.extend_from_slice(b"\r\n");
        for _ in 0..HUGE_BODY / PIECE as u64 {
            stream.write_all(&chunk).await?;
        }
        stream.write_all(b"0\r\n\r\n").await
    } else {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {HUGE_BODY}\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        for _ in 0..HUGE_BODY / PIECE as u64 {
            stream.write_all(&data).await?;
        }
        Ok(())
    }
}

/// Reads until the end of a request head (`\r\n\r\n`), the peer closes, or 64 KiB;
/// false if the peer closed first. Reads a byte at a time, so a pipelined second
/// request stays in the socket for the next call (Klavier's GETs have no body).
async fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < 64 * 1024 && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => return false,
            Ok(_) => head.push(byte[0]),
        }
    }
    true
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
