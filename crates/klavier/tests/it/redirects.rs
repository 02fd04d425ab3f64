//! Redirects, followed hop by hop: against httpbin (an independent server, whose log
//! counts every hop) and a small server of ours that answers each status and echoes
//! what the last hop received (method, body length, cookies), across two origins.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::loopback::Loopback;
use crate::support::process;
use crate::support::python::{Httpbin, Worker};
use crate::support::{request, run_profile, tally, target, uint, Workspace};

/// Answers by path: `/to/STATUS?url` redirects with STATUS to `url`; `/loop`
/// redirects to itself; `/landing` says what it got: `METHOD BODY-LENGTH COOKIE`.
fn redirect_server() -> Loopback {
    Loopback::start("redirects", |stream, _stop| serve(stream))
}

async fn serve(mut stream: TcpStream) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                })
                .map(|(_, v)| v.trim().to_owned())
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if pending.len() < end + 4 + length {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
            continue;
        }
        pending.drain(..end + 4 + length);
        let mut line = head.lines().next().unwrap_or_default().split(' ');
        let (method, target) = (
            line.next().unwrap_or_default(),
            line.next().unwrap_or_default(),
        );
        let response = match target.split_once('?') {
            Some((path, url)) if path.starts_with("/to/") => {
                let status = &path[4..];
                format!("HTTP/1.1 {status} Moved\r\nLocation: {url}\r\nSet-Cookie: hop=1; Path=/\r\nContent-Length: 0\r\n\r\n")
            }
            _ if target == "/loop" => {
                "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n".to_owned()
            }
            _ => {
                let cookie = header("cookie").unwrap_or_else(|| "-".into());
                let body = format!("{method} {length} {cookie}");
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            }
        };
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn profile(base: &str, requests: &str) -> String {
    format!(
        "[target]\nbase_url = \"{base}\"\n\n[scenarios.s]\n{requests}\n\
         [timings]\ntest_duration_seconds = 1\nmin_scenario_interval_ms = 100\n"
    )
}

#[test]
fn methods_bodies_and_cookies_follow_each_hop() {
    let server = redirect_server();
    let base = format!("http://{}", server.addr());
    let requests = r#"
[[scenarios.s.requests]]
name = "303"
method = "POST"
path = "/to/303?/landing"
body = "hello"
expect = { body_contains = "GET 0 hop=1" }
[[scenarios.s.requests]]
name = "307"
method = "POST"
path = "/to/307?/landing"
body = "hello"
expect = { body_contains = "POST 5 hop=1" }
[[scenarios.s.requests]]
name = "off"
path = "/to/302?/landing"
redirects = 0
expect = { status = 302 }
"#;
    let ws = Workspace::new();
    let run = run_profile(&ws, &profile(&base, requests), &["--users", "1"]);
    for name in ["303", "307", "off"] {
        let row = request(&run.result, name);
        assert!(uint(row, "count") > 0, "{row}");
        assert_eq!(uint(row, "failures"), 0, "{row}");
        assert_eq!(uint(row, "check_failures"), 0, "{name}: {row}");
    }
    let count = |name: &str| uint(request(&run.result, name), "count");
    let redirects = |name: &str| {
        request(&run.result, name)["redirects"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(redirects("303"), count("303"), "one hop each");
    assert_eq!(redirects("off"), 0, "not followed");
}

#[test]
fn a_redirect_to_another_origin_goes_there_and_a_loop_fails_on_its_own() {
    let (server, other) = (redirect_server(), target());
    let base = format!("http://{}", server.addr());
    let requests = format!(
        r#"
[[scenarios.s.requests]]
name = "cross"
path = "/to/302?{}/api/health"
[[scenarios.s.requests]]
name = "loop"
path = "/loop"
redirects = 3
"#,
        other.base_url()
    );
    let ws = Workspace::new();
    let run = run_profile(&ws, &profile(&base, &requests), &["--users", "1"]);
    let cross = request(&run.result, "cross");
    assert_eq!(uint(cross, "failures"), 0, "{cross}");
    assert_eq!(
        other.counts(),
        BTreeMap::from([("GET /api/health".to_owned(), uint(cross, "count"))]),
        "every cross-origin hop reached the other origin"
    );
    let looping = request(&run.result, "loop");
    let n = uint(looping, "count");
    assert!(n > 0);
    assert_eq!(
        tally(looping, "errors"),
        BTreeMap::from([("too_many_redirects".to_owned(), n)]),
        "{looping}"
    );
    assert_eq!(
        looping["redirects"].as_u64(),
        Some(3 * n),
        "three hops, then the failure"
    );
}

#[test]
fn httpbin_redirect_chains_count_one_request_and_every_hop_in_its_log() {
    let ws = Workspace::new();
    let httpbin = Httpbin::start(ws.dir(), Worker::Threads(2));
    let requests = r#"
[[scenarios.s.requests]]
path = "/redirect/3"
expect = { status = 200, body_contains = "/get" }
[[scenarios.s.requests]]
path = "/absolute-redirect/2"
expect = { status = 200 }
"#;
    // 3 s, not 1: on a busy machine one iteration (seven hops through Python) has taken
    // over a second, and the stop then fell before the second request.
    let run = run_profile(
        &ws,
        &profile(&httpbin.base_url(), requests),
        &["--users", "1", "--duration", "3s"],
    );
    let relative = request(&run.result, "GET /redirect/3");
    let absolute = request(&run.result, "GET /absolute-redirect/2");
    let (r, a) = (uint(relative, "count"), uint(absolute, "count"));
    assert!(r > 0 && a > 0, "both requests were sent: {r} and {a}");
    assert_eq!(uint(&run.result["totals"], "failures"), 0);
    assert_eq!(relative["redirects"].as_u64(), Some(3 * r));
    // httpbin logs every hop: /redirect/3 → /relative-redirect/2 → /relative-redirect/1 → /get.
    let total = (4 * r + 3 * a) as usize;
    let log = process::counts(&httpbin.access_log_once(total));
    assert_eq!(log.get("GET /redirect/3"), Some(&r), "{log:?}");
    assert_eq!(log.get("GET /absolute-redirect/2"), Some(&a), "{log:?}");
    assert_eq!(log.get("GET /get"), Some(&(r + a)), "{log:?}");
    assert_eq!(
        uint(relative, "check_failures"),
        0,
        "the final hop's body: {relative}"
    );
}
