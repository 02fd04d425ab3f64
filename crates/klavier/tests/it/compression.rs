//! Compressed bodies: Klavier asks for them (`Accept-Encoding`) and decodes the ones
//! its checks read — httpbin's gzip, deflate and brotli answers checked as JSON — while
//! a corrupt body fails as `content_decoding` (with the coding as its reason) only
//! when something reads it, and a body beyond `max_body` as `body_too_large`.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::loopback::Loopback;
use crate::support::python::{Httpbin, Worker};
use crate::support::{request, run_profile, tally, uint, Workspace};

fn profile(base: &str, extra_target: &str, requests: &str) -> String {
    format!(
        "[target]\nbase_url = \"{base}\"\n{extra_target}\n\n[scenarios.s]\n{requests}\n\
         [timings]\ntest_duration_seconds = 1\nmin_scenario_interval_ms = 100\n"
    )
}

#[test]
fn httpbin_gzip_deflate_and_brotli_bodies_are_checked_decoded() {
    let ws = Workspace::new();
    let httpbin = Httpbin::start(ws.dir(), Worker::Threads(2));
    let requests = r#"
[[scenarios.s.requests]]
path = "/gzip"
expect = { json = { "$.gzipped" = true }, body_contains = "Accept-Encoding" }
[[scenarios.s.requests]]
path = "/deflate"
expect = { json = { "$.deflated" = true } }
[[scenarios.s.requests]]
path = "/brotli"
expect = { json = { "$.brotli" = true } }
"#;
    let run = run_profile(
        &ws,
        &profile(&httpbin.base_url(), "", requests),
        &["--users", "1"],
    );
    for name in ["GET /gzip", "GET /deflate", "GET /brotli"] {
        let row = request(&run.result, name);
        assert!(uint(row, "count") > 0, "{row}");
        assert_eq!(uint(row, "failures"), 0, "{row}");
        assert_eq!(uint(row, "check_failures"), 0, "{name} decoded: {row}");
    }
}

/// Answers every request with a body that claims to be gzip and is not, and
/// `/big` with 2 MiB of plain text.
fn lying_server() -> Loopback {
    Loopback::start("lying", |mut stream: TcpStream, _stop| async move {
        let mut buf = vec![0u8; 8192];
        let mut pending = Vec::new();
        loop {
            while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                }
            }
            let end = pending
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .unwrap_or(0);
            let big = pending.starts_with(b"GET /big ");
            pending.drain(..end + 4);
            let response = if big {
                let body = vec![b'x'; 2 << 20];
                [
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                        .into_bytes(),
                    body,
                ]
                .concat()
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"
                    .to_vec()
            };
            if stream.write_all(&response).await.is_err() {
                return;
            }
        }
    })
}

#[test]
fn corrupt_and_oversized_kept_bodies_fail_as_what_they_are() {
    let server = lying_server();
    let base = format!("http://{}", server.addr());
    let requests = r#"
[[scenarios.s.requests]]
name = "unread"
path = "/corrupt"
[[scenarios.s.requests]]
name = "read"
path = "/corrupt"
expect = { body_contains = "gzip" }
[[scenarios.s.requests]]
name = "big"
path = "/big"
expect = { body_contains = "x" }
"#;
    let ws = Workspace::new();
    let extra = "max_body = \"1MiB\"";
    let run = run_profile(&ws, &profile(&base, extra, requests), &["--users", "1"]);
    let unread = request(&run.result, "unread");
    assert_eq!(
        uint(unread, "failures"),
        0,
        "nobody reads it, nobody decodes it: {unread}"
    );
    let read = request(&run.result, "read");
    let n = uint(read, "count");
    assert_eq!(
        tally(read, "errors"),
        BTreeMap::from([("content_decoding".to_owned(), n)]),
        "{read}"
    );
    assert_eq!(
        read["error_reasons"]["decode_gzip"].as_u64(),
        Some(n),
        "{read}"
    );
    let big = request(&run.result, "big");
    let n = uint(big, "count");
    assert_eq!(
        tally(big, "errors"),
        BTreeMap::from([("body_too_large".to_owned(), n)]),
        "{big}"
    );
    assert!(
        uint(big, "bytes_received") > n * (2 << 20),
        "drained whole: {big}"
    );
}
