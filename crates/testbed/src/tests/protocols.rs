//! Telling HTTP/1.1 from HTTP/2 by the first bytes (hyper-util's auto builder), and the
//! framing of `/api/chunked` in each.

use std::sync::Arc;

use hyper::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::client::{raw_exchange, Client, TestTarget};
use super::counts;
use crate::{serve_connection, TargetState};

/// Write `request` a byte at a time to a fresh connection and read the whole reply.
async fn trickle(request: &[u8]) -> (Vec<u8>, Arc<TargetState>) {
    let state = Arc::new(TargetState::new());
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(serve_connection(server, state.clone()));
    for byte in request {
        client.write_all(&[*byte]).await.unwrap();
        tokio::task::yield_now().await;
    }
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    (reply, state)
}

#[tokio::test]
async fn http1_arriving_a_byte_at_a_time_loses_no_bytes() {
    // The second request starts like the HTTP/2 preface and diverges mid-way.
    for (request, key) in [
        (
            &b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"[..],
            "GET /api/health",
        ),
        (
            b"PRI /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "PRI /x",
        ),
    ] {
        let (reply, state) = trickle(request).await;
        assert!(
            reply.starts_with(b"HTTP/1.1 "),
            "{}",
            String::from_utf8_lossy(&reply)
        );
        assert_eq!(state.counts(), counts(&[(key, 1)]));
    }
}

#[tokio::test]
async fn chunked_is_framed_one_chunk_per_piece_without_a_length() {
    let target = TestTarget::start().await;
    let request =
        b"GET /api/chunked?chunks=3&size=5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let reply = raw_exchange(target.addr, request).await;
    let reply = String::from_utf8(reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    assert_eq!(body, "5\r\nabcde\r\n5\r\nabcde\r\n5\r\nabcde\r\n0\r\n\r\n");
    target.stop().await;
}

#[tokio::test]
async fn chunked_bodies_arrive_whole_over_both_protocols() {
    let target = TestTarget::start().await;
    for mut client in [
        Client::http1(target.addr).await,
        Client::http2(target.addr).await,
    ] {
        for (query, len) in [("chunks=0&size=7", 0), ("chunks=10&size=262144", 2_621_440)] {
            let reply = client.get(&format!("/api/chunked?{query}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{query}");
            assert_eq!(reply.body.len(), len, "{query}");
        }
        let default = client.get("/api/chunked").await;
        assert_eq!(
            default.body.len() as u64,
            crate::DEFAULT_CHUNKS * crate::DEFAULT_CHUNK_SIZE as u64
        );
        let too_big = client.get("/api/chunked?size=262145").await;
        assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(target.state.counts(), counts(&[("GET /api/chunked", 8)]));
    target.stop().await;
}
