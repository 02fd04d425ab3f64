//! Starting and stopping: `spawn`, `shutdown`, drop, and the helpers `klavier target` uses.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::counts;
use crate::{base_url, spawn, write_counts};

/// One blocking HTTP/1.1 exchange that closes the connection.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn spawn_serves_counts_and_shuts_down() {
    let target = spawn("127.0.0.1:0".parse().unwrap()).unwrap();
    assert_ne!(target.addr().port(), 0);
    assert_eq!(
        target.base_url(),
        format!("http://127.0.0.1:{}", target.addr().port())
    );
    for _ in 0..3 {
        assert!(get(target.addr(), "/api/health?x").starts_with("HTTP/1.1 200 OK"));
    }
    assert_eq!(target.counts(), counts(&[("GET /api/health", 3)]));
    target.shutdown();
}

#[test]
fn shutdown_closes_idle_connections_and_frees_the_port() {
    let target = spawn("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = target.addr();
    let mut idle = TcpStream::connect(addr).unwrap();
    write!(idle, "GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut first = [0u8; 15];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK");
    target.shutdown();
    // The kept-alive connection was closed: reading reaches its end (a timeout would
    // mean it was left open).
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut rest = Vec::new();
    assert!(idle.read_to_end(&mut rest).is_ok());
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn dropping_a_target_shuts_it_down() {
    let addr = {
        let target = spawn("127.0.0.1:0".parse().unwrap()).unwrap();
        target.addr()
    };
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn binding_a_taken_port_fails_at_spawn() {
    let first = spawn("127.0.0.1:0".parse().unwrap()).unwrap();
    assert!(spawn(first.addr()).is_err());
}

#[test]
fn base_url_brackets_ipv6_and_replaces_unspecified_with_loopback() {
    #[rustfmt::skip]
    let cases = [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::1]:8080", "http://[::1]:8080"),
        ("[::]:8080", "http://[::1]:8080"),
    ];
    for (addr, want) in cases {
        assert_eq!(base_url(addr.parse().unwrap()), want);
    }
}

#[test]
fn the_counts_table_lines_up() {
    let mut out = Vec::new();
    write_counts(&counts(&[("GET /a", 7), ("POST /login", 12)]), &mut out).unwrap();
    let want = "requests  route\n       7  GET /a\n      12  POST /login\n      19  total\n";
    assert_eq!(String::from_utf8(out).unwrap(), want);
}
