//! The target over real loopback TCP: every endpoint, exact counts, and robustness.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod client;
mod lifecycle;
mod protocols;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::json;

use client::{raw_exchange, Client, TestTarget};

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

#[tokio::test]
async fn health_and_login_answer_json() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;

    let health = client.get("/api/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.content_type(), "application/json");
    assert_eq!(health.json(), json!({"status": "up"}));

    for method in [Method::GET, Method::POST] {
        let login = client.send(method, "/api/auth/login", &[], "{}").await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.json()["token"].is_string());
        assert_eq!(login.json()["expires_in"], 3600);
    }
    target.stop().await;
}

#[tokio::test]
async fn status_answers_the_code_asked_for() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    #[rustfmt::skip]
    let cases = [
        ("/status/503", 503, &b"Service Unavailable"[..]),
        ("/status/200", 200, b"OK"),
        ("/status/204", 204, b""),  // no body allowed
        ("/status/304", 304, b""),  // no body allowed
        ("/status/599", 599, b""),  // no reason phrase known
        ("/status/101", 400, b"bad parameter\n"), // 1xx would break the exchange
        ("/status/1000", 400, b"bad parameter\n"),
        ("/status/x", 400, b"bad parameter\n"),
    ];
    for (path, code, body) in cases {
        let reply = client.get(path).await;
        assert_eq!(reply.status.as_u16(), code, "{path}");
        assert_eq!(&reply.body[..], body, "{path}");
    }
    target.stop().await;
}

#[tokio::test]
async fn bytes_sends_exactly_n() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    // Sizes around the 256 KiB shared chunk the body is sliced from.
    for n in [0usize, 1, 2048, 262_144, 262_145, 3 * 1024 * 1024 + 7] {
        let reply = client.get(&format!("/bytes/{n}")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body.len(), n);
        assert_eq!(reply.headers["content-length"], n.to_string().as_str());
    }
    let too_big = client.get("/bytes/104857601").await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
    target.stop().await;
}

#[tokio::test]
async fn echo_reflects_the_request() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    let headers = [("x-one", "1"), ("x-rep", "a"), ("x-rep", "b")];
    let reply = client
        .send(Method::PUT, "/echo?x=1&y=2", &headers, "hello")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let echo = reply.json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["query"], "x=1&y=2");
    assert_eq!(echo["version"], "HTTP/1.1");
    assert_eq!(echo["headers"]["x-one"], "1");
    assert_eq!(echo["headers"]["x-rep"], json!(["a", "b"]));
    assert_eq!(echo["body"], "hello");
    assert_eq!(echo["body_len"], 5);
    assert_eq!(echo["body_truncated"], false);

    let binary = client
        .send(Method::POST, "/echo", &[], &b"a\xffb"[..])
        .await;
    assert_eq!(binary.json()["body"], "a\u{fffd}b"); // lossy, never an error
    assert_eq!(binary.json()["query"], serde_json::Value::Null);
    assert_eq!(binary.json()["json"], serde_json::Value::Null); // not JSON
    let typed = client
        .send(
            Method::POST,
            "/echo",
            &[],
            r#"{"qty":3,"id":"3","ok":true}"#,
        )
        .await;
    assert_eq!(
        typed.json()["json"],
        json!({"qty": 3, "id": "3", "ok": true})
    );
    target.stop().await;
}

#[tokio::test]
async fn echo_reads_big_bodies_but_keeps_only_a_prefix() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    let big = vec![b'z'; crate::ECHO_MAX_BODY + 10];
    let echo = client.send(Method::POST, "/echo", &[], big).await.json();
    assert_eq!(echo["body_len"], crate::ECHO_MAX_BODY + 10);
    assert_eq!(echo["body_truncated"], true);
    let kept = echo["body"].as_str().unwrap().len();
    assert_eq!(kept, crate::ECHO_MAX_BODY);
    target.stop().await;
}

#[tokio::test]
async fn delay_waits_at_least_the_time_asked() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    let started = Instant::now();
    let reply = client.get("/delay/50").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(50));
    target.stop().await;
}

#[tokio::test]
async fn requests_are_counted_on_arrival_not_on_completion() {
    let target = TestTarget::start().await;
    let addr = target.addr;
    let slow = tokio::spawn(async move { Client::http1(addr).await.get("/delay/60000").await });
    let mut observer = Client::http1(target.addr).await;
    let mut seen = BTreeMap::new();
    for _ in 0..500 {
        seen = observer
            .get("/__klavier/counts")
            .await
            .json()
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect();
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(seen.get("GET /delay/60000"), Some(&json!(1)));
    assert!(!slow.is_finished(), "a 60 s delay cannot be over yet");
    slow.abort();
    target.stop().await;
}

#[tokio::test]
async fn keep_alive_requests_on_one_connection_are_counted_exactly() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    for i in 0..30 {
        client.get(&format!("/api/health?i={i}")).await; // query not part of the key
                                                         // A body the endpoint ignores must still be read for the next request to work.
        let reply = client
            .send(Method::POST, "/bytes/10", &[], vec![0u8; 100_000])
            .await;
        assert_eq!(reply.body.len(), 10);
        client.get("/missing").await;
    }
    let want = counts(&[
        ("GET /api/health", 30),
        ("POST /bytes/10", 30),
        ("GET /missing", 30),
    ]);
    assert_eq!(target.state.counts(), want);
    assert_eq!(target.state.total(), 90);
    target.stop().await;
}

#[tokio::test]
async fn concurrent_connections_are_counted_exactly() {
    let target = TestTarget::start().await;
    let users: Vec<_> = (0..8)
        .map(|_| {
            let addr = target.addr;
            tokio::spawn(async move {
                let mut client = Client::http1(addr).await;
                for _ in 0..25 {
                    assert_eq!(client.get("/api/health").await.status, StatusCode::OK);
                    client
                        .send(Method::POST, "/api/auth/login", &[], "{}")
                        .await;
                }
            })
        })
        .collect();
    for user in users {
        user.await.unwrap();
    }
    let want = counts(&[("GET /api/health", 200), ("POST /api/auth/login", 200)]);
    assert_eq!(target.state.counts(), want);
    target.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_404_and_counted() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    assert_eq!(client.get("/nope").await.status, StatusCode::NOT_FOUND);
    // A known path with the wrong method is just as unknown.
    let reply = client.send(Method::DELETE, "/api/health", &[], "").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let want = counts(&[("GET /nope", 1), ("DELETE /api/health", 1)]);
    assert_eq!(target.state.counts(), want);
    target.stop().await;
}

#[tokio::test]
async fn control_endpoints_report_and_reset_without_counting_themselves() {
    let target = TestTarget::start().await;
    let mut client = Client::http1(target.addr).await;
    client.get("/api/health").await;
    client.get("/api/health").await;

    let first = client.get("/__klavier/counts").await;
    assert_eq!(first.content_type(), "application/json");
    assert_eq!(first.json(), json!({"GET /api/health": 2}));
    let again = client.get("/__klavier/counts").await; // reading did not count
    assert_eq!(again.json(), json!({"GET /api/health": 2}));

    let reset = client.send(Method::POST, "/__klavier/reset", &[], "").await;
    assert_eq!(reset.status, StatusCode::OK);
    assert_eq!(client.get("/__klavier/counts").await.json(), json!({}));
    assert!(target.state.counts().is_empty());
    target.stop().await;
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_and_counted() {
    let target = TestTarget::start().await;
    let mut client = Client::http2(target.addr).await;
    let echo = client.send(Method::POST, "/echo?q", &[], "hi").await.json();
    assert_eq!(echo["version"], "HTTP/2.0");
    assert_eq!(echo["body"], "hi");
    for _ in 0..10 {
        assert_eq!(client.get("/bytes/300000").await.body.len(), 300_000);
    }
    let want = counts(&[("POST /echo", 1), ("GET /bytes/300000", 10)]);
    assert_eq!(target.state.counts(), want);
    target.stop().await;
}

#[tokio::test]
async fn bad_input_never_takes_the_server_down() {
    let target = TestTarget::start().await;
    let huge_header = format!("GET / HTTP/1.1\r\nx-big: {}\r\n\r\n", "a".repeat(1 << 20));
    #[rustfmt::skip]
    let abuses: [&[u8]; 6] = [
        b"\x00\xff\x13garbage\r\n\r\n",                              // not HTTP at all
        huge_header.as_bytes(),                                      // headers too large
        b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", // body cut off
        b"GET /api/heal",                                            // request cut off
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\xff\xff\xff\xff", // broken HTTP/2 frames
        b"",                                                         // connect and leave
    ];
    for abuse in abuses {
        raw_exchange(target.addr, abuse).await;
    }
    let reply = raw_exchange(
        target.addr,
        b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        reply.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(
        Client::http1(target.addr)
            .await
            .get("/api/health")
            .await
            .status,
        StatusCode::OK
    );
    target.stop().await;
}

#[tokio::test]
async fn serve_connection_takes_any_byte_stream() {
    let state = std::sync::Arc::new(crate::TargetState::new());
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(crate::serve_connection(server, state.clone()));
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    client
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    assert!(reply.ends_with(br#"{"status":"up"}"#));
    assert_eq!(state.counts(), counts(&[("GET /api/health", 1)]));
}
