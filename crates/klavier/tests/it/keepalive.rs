//! A server that closes a keep-alive connection under the client: after three
//! responses it reads the next request and hangs up without a byte. An idempotent
//! request is retried once on a fresh connection (the server never answered it, so
//! it is not the server's failure); a POST is not retried and counts as closed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::loopback::Loopback;
use crate::support::{one_request_profile, request, run_profile, tally, uint, Workspace};

/// Responses a connection gets before the server hangs up on the next request.
const ANSWERS_PER_CONNECTION: u64 = 3;

/// The server's own counts: requests answered, requests read and left unanswered.
#[derive(Default)]
struct Log {
    answered: AtomicU64,
    unanswered: AtomicU64,
}

fn start() -> (Loopback, Arc<Log>) {
    let log = Arc::new(Log::default());
    let shared = log.clone();
    let server = Loopback::start("keepalive", move |stream, _stop| {
        serve(stream, shared.clone())
    });
    (server, log)
}

async fn serve(mut stream: TcpStream, log: Arc<Log>) {
    let mut pending = Vec::new();
    for answered in 0.. {
        if !read_request(&mut stream, &mut pending).await {
            return;
        }
        if answered == ANSWERS_PER_CONNECTION {
            log.unanswered.fetch_add(1, Ordering::SeqCst);
            return; // dropped: a FIN with no response
        }
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        if stream.write_all(response).await.is_err() {
            return;
        }
        log.answered.fetch_add(1, Ordering::SeqCst);
    }
}

/// Reads one request (head and `Content-Length` body) into `pending`'s place.
async fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if pending.len() >= end + 4 + length {
                pending.drain(..end + 4 + length);
                return true;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn an_idempotent_request_on_a_connection_closed_under_it_is_retried_once() {
    let (server, log) = start();
    let ws = Workspace::new();
    let base = format!("http://{}", server.addr());
    let profile =
        one_request_profile(&base, "", "/item").replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    let row = request(&run.result, "GET /item");
    let answered = log.answered.load(Ordering::SeqCst);
    let unanswered = log.unanswered.load(Ordering::SeqCst);
    assert!(unanswered > 0, "the server hung up on some requests");
    assert_eq!(
        uint(row, "failures"),
        0,
        "no failure is the server's: {row}"
    );
    assert_eq!(uint(row, "count"), answered, "every answered request, once");
}

#[test]
fn a_post_on_a_connection_closed_under_it_is_not_retried() {
    let (server, log) = start();
    let ws = Workspace::new();
    let base = format!("http://{}", server.addr());
    let profile = one_request_profile(&base, "", "/item")
        .replace("min_scenario_interval_ms = 50", "")
        .replace("method = \"GET\"", "method = \"POST\"\nbody = \"x\"");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    let row = request(&run.result, "POST /item");
    let answered = log.answered.load(Ordering::SeqCst);
    let unanswered = log.unanswered.load(Ordering::SeqCst);
    let closed = tally(row, "errors")
        .get("connection_closed")
        .copied()
        .unwrap_or(0);
    assert!(unanswered > 0, "the server hung up on some requests");
    assert_eq!(
        closed, unanswered,
        "each unanswered POST is a failure: {row}"
    );
    assert_eq!(uint(row, "count"), answered + unanswered);
}
