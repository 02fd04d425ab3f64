//! Servers that misbehave in ways real ones do under stress: each is classified as
//! what it is, and the run completes and reports.
//!
//! The fault matrix (issue #14): each fault, a real server on loopback playing it, and
//! what Klavier records. Tests here, in `failures`, `keepalive` and `tls`.
//!
//! | fault | recorded as |
//! | --- | --- |
//! | connection refused | `connect_refused`, reconnects paced by the backoff (`failures`, here) |
//! | accept, then close before answering | `connection_closed` (`failures`) |
//! | accept and never answer | `timeout` (`failures`) |
//! | headers, then a body that stalls forever | `timeout` |
//! | slowloris: 1 byte of headers a second | `timeout` |
//! | never-ending headers (10 MB) | `head_too_large` (64 KiB head, `max_response_headers` lines) |
//! | more header lines than `max_response_headers` | `head_too_large` |
//! | 150 headers (more than 96), under the limit | the status (200): a success |
//! | a 2 GiB body by `Content-Length` | 200, drained unkept, counted in bytes, memory flat |
//! | a 2 GiB body in chunks | 200, drained unkept, counted in bytes, memory flat |
//! | a 2 GiB body a check keeps, beyond `max_body` | `body_too_large`, drained, memory flat |
//! | an invalid chunk size | `malformed_response` |
//! | a body shorter than announced, then close | `connection_closed` |
//! | two different `Content-Length`s | `malformed_response` |
//! | status `099` | `malformed_response`; the JSON stays schema-valid |
//! | garbage instead of a status line | `malformed_response` (`failures`) |
//! | reset after the request | `connection_reset` (`failures`) |
//! | reset mid-body | `connection_reset` |
//! | 413 before a 10 MB request body was read | `413` (here) |
//! | `Connection: close` after every response | the status: a new connection each time |
//! | a keep-alive connection closed after N responses | retried once on a fresh connection (`keepalive`) |
//! | TLS: untrusted, expired, wrong name, no common version… | `tls`, with the reason (`tls`) |
//! | DNS failure | `dns` (`failures`) |
//! | the open-file limit | exit 1: "out of file descriptors … raise it with `ulimit -n`" (here) |

use std::collections::BTreeMap;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::faults::{Fault, FaultServer, HUGE_BODY};
use crate::support::loopback::Loopback;
use crate::support::{
    klavier_path, one_request_profile, read_result, request, run_profile, tally, uint, Workspace,
};

#[test]
fn an_answer_before_the_body_was_read_is_that_answer() {
    // 10 MB: far more than the socket buffers hold, so the server closes (and the
    // kernel resets) while the client is still writing.
    let server = FaultServer::start(Fault::AnswerEarly);
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "5s"

[scenarios.upload]
[[scenarios.upload.requests]]
method = "POST"
path = "/upload"
body = "{}"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 200
"#,
        server.base_url(),
        "x".repeat(10 * 1024 * 1024)
    );
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    let row = request(&run.result, "POST /upload");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    assert_eq!(
        tally(row, "status_codes"),
        BTreeMap::from([("413".to_owned(), count)]),
        "every upload is answered 413, as the server said: {row}"
    );
    assert!(tally(row, "errors").is_empty(), "{row}");
}

#[test]
fn a_request_cut_off_by_the_graceful_stop_still_counts_the_bytes_it_sent() {
    let server = FaultServer::start(Fault::Silent);
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "30s"

[scenarios.s]
[[scenarios.s.requests]]
path = "/never"

[timings]
test_duration_seconds = 1
graceful_stop = "200ms"
"#,
        server.base_url()
    );
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    let row = request(&run.result, "GET /never");
    assert_eq!(uint(row, "interrupted"), 2, "{row}");
    assert!(
        uint(row, "bytes_sent") > 2 * 40,
        "each request head went out: {row}"
    );
    assert_eq!(uint(row, "bytes_received"), 0, "{row}");
}

#[test]
fn a_dead_server_is_retried_at_a_paced_rate_not_in_a_busy_loop() {
    // Every attempt is refused at once. Without pacing, 2 users made 106,670
    // connection attempts in a second; with a backoff of 1 ms doubling to 100 ms,
    // each user makes about 17 in its first second whatever the machine's speed.
    let addr = crate::support::faults::closed_port();
    let ws = Workspace::new();
    let profile = crate::support::one_request_profile(&format!("http://{addr}"), "", "/x")
        .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    let row = request(&run.result, "GET /x");
    let attempts = uint(row, "count");
    assert!((2..=60).contains(&attempts), "{attempts} attempts: {row}");
    assert_eq!(uint(row, "failures"), attempts, "each counted: {row}");
    assert!(uint(row, "reconnect_backoffs") > 0, "{row}");
    assert!(run.stdout.contains("reconnect backoff"), "{}", run.stdout);
}

#[test]
fn too_few_file_descriptors_to_start_is_a_clear_error_not_a_panic() {
    let ws = Workspace::new();
    let profile = ws.write(
        "profile.toml",
        crate::support::one_request_profile("http://127.0.0.1:9", "", "/x"),
    );
    // The shell lowers the limit for Klavier alone (an unsafe pre_exec is not allowed).
    let script = format!(
        "ulimit -n 16 && exec {} run {} --users 4 --duration 1s --quiet",
        crate::support::klavier_path().display(),
        profile.display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("out of file descriptors"), "{stderr}");
    assert!(stderr.contains("ulimit -n"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Runs 2 users for 1 s against `fault` with `target_extra` in `[target]` (a 1 s
/// timeout unless it says otherwise); returns the row of `GET /x` and checks the run
/// ended on time and printed its summary.
fn run_against(fault: Fault, target_extra: &str) -> serde_json::Value {
    let server = FaultServer::start(fault);
    let ws = Workspace::new();
    let extra = if target_extra.contains("timeout") {
        target_extra.to_owned()
    } else {
        format!("timeout = \"1s\"\n{target_extra}")
    };
    let profile = one_request_profile(&server.base_url(), &extra, "/x");
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    assert!(run.stdout.contains("GET /x"), "{}", run.stdout);
    let duration = run.result["duration_seconds"].as_f64().expect("a number");
    assert!(duration <= 1.5, "the run ended on time: {duration} s");
    assert!(server.accepted() > 0, "Klavier reached the server");
    request(&run.result, "GET /x").clone()
}

/// Asserts every request of `row` failed as `kind`, and there was at least one.
fn all_failed_as(row: &serde_json::Value, kind: &str) {
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    assert_eq!(uint(row, "failures"), count, "{row}");
    assert_eq!(
        tally(row, "errors"),
        BTreeMap::from([(kind.to_owned(), count)]),
        "{row}"
    );
}

/// Asserts every request of `row` got `status` and none failed.
fn all_answered(row: &serde_json::Value, status: &str) {
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    assert_eq!(uint(row, "failures"), 0, "{row}");
    assert_eq!(
        tally(row, "status_codes"),
        BTreeMap::from([(status.to_owned(), count)]),
        "{row}"
    );
}

#[test]
fn a_body_that_stalls_after_the_headers_times_out() {
    all_failed_as(&run_against(Fault::StallBody, ""), "timeout");
}

#[test]
fn slowloris_headers_time_out() {
    all_failed_as(&run_against(Fault::Slowloris, ""), "timeout");
}

#[test]
fn never_ending_headers_are_cut_off_as_head_too_large() {
    all_failed_as(&run_against(Fault::EndlessHeaders, ""), "head_too_large");
}

/// A 200 response with `count` header lines and an empty body.
fn with_headers(count: usize) -> &'static [u8] {
    let mut response = String::from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n");
    for i in 0..count {
        response.push_str(&format!("X-Header-{i}: value {i}\r\n"));
    }
    response.push_str("\r\n");
    Box::leak(response.into_bytes().into_boxed_slice())
}

#[test]
fn more_than_96_response_headers_are_fine_up_to_max_response_headers() {
    all_answered(&run_against(Fault::Answer(with_headers(150)), ""), "200");
    let limited = run_against(
        Fault::Answer(with_headers(150)),
        "max_response_headers = 100",
    );
    all_failed_as(&limited, "head_too_large");
}

#[test]
fn two_different_content_lengths_are_a_malformed_response() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    all_failed_as(
        &run_against(Fault::Answer(answer), ""),
        "malformed_response",
    );
}

#[test]
fn an_invalid_chunk_size_is_a_malformed_response() {
    let answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
    all_failed_as(
        &run_against(Fault::Answer(answer), ""),
        "malformed_response",
    );
}

#[test]
fn status_099_is_a_malformed_response_in_schema_valid_json() {
    // `run_profile` validates the JSON against the schema on the way in.
    let answer = b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n";
    let row = run_against(Fault::Answer(answer), "");
    all_failed_as(&row, "malformed_response");
    assert!(tally(&row, "status_codes").is_empty(), "{row}");
}

#[test]
fn a_body_shorter_than_announced_is_connection_closed() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
    all_failed_as(
        &run_against(Fault::AnswerThenClose(answer), ""),
        "connection_closed",
    );
}

#[test]
fn a_reset_mid_body_is_connection_reset() {
    all_failed_as(&run_against(Fault::ResetMidBody, ""), "connection_reset");
}

#[test]
fn connection_close_after_every_response_is_a_success_each_time() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let server = FaultServer::start(Fault::AnswerThenClose(answer));
    let ws = Workspace::new();
    let profile = one_request_profile(&server.base_url(), "", "/x");
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    let row = request(&run.result, "GET /x");
    all_answered(row, "200");
    assert_eq!(
        uint(row, "count"),
        server.accepted(),
        "a connection each: {row}"
    );
}

/// The largest resident set Klavier may reach while draining a 2 GiB body: what a
/// run needs anyway plus room; buffering the body would be 2 GiB.
const FLAT_MEMORY_KIB: u64 = 200 * 1024;

/// Runs one user for one request against a [`Fault::HugeBody`] server, sampling
/// Klavier's peak resident set (VmHWM) while it runs; returns the row and the peak.
fn drain_huge_body(chunked: bool, extra: &str, check: &str) -> (serde_json::Value, u64) {
    let server = FaultServer::start(Fault::HugeBody { chunked });
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "300s"
{extra}

[scenarios.only]
[[scenarios.only.requests]]
path = "/x"
{check}

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 10000
graceful_stop = "300s"
"#,
        server.base_url()
    );
    let profile = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let mut child = Command::new(klavier_path())
        .arg("run")
        .arg(&profile)
        .args(["--users", "1", "--quiet", "--json"])
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("klavier starts");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        let status = std::fs::read_to_string(&status_file).unwrap_or_default();
        if let Some(hwm) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
            let kib = hwm.trim().trim_end_matches("kB").trim();
            peak_kib = peak_kib.max(kib.parse().unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    eprintln!("peak RSS draining 2 GiB (chunked: {chunked}, {extra:?}): {peak_kib} KiB");
    let result = read_result(&json);
    (request(&result, "GET /x").clone(), peak_kib)
}

#[test]
fn a_2_gib_body_by_content_length_is_drained_counted_and_not_kept() {
    let (row, peak_kib) = drain_huge_body(false, "", "");
    all_answered(&row, "200");
    assert!(uint(&row, "bytes_received") > HUGE_BODY, "{row}");
    assert!(peak_kib < FLAT_MEMORY_KIB, "peak RSS {peak_kib} KiB");
}

#[test]
fn a_2_gib_chunked_body_is_drained_counted_and_not_kept() {
    let (row, peak_kib) = drain_huge_body(true, "", "");
    all_answered(&row, "200");
    assert!(uint(&row, "bytes_received") > HUGE_BODY, "{row}");
    assert!(peak_kib < FLAT_MEMORY_KIB, "peak RSS {peak_kib} KiB");
}

#[test]
fn a_2_gib_body_a_check_keeps_stops_at_max_body_and_is_drained() {
    let check = r#"expect = { body_contains = "never there" }"#;
    let (row, peak_kib) = drain_huge_body(false, r#"max_body = "1MiB""#, check);
    all_failed_as(&row, "body_too_large");
    assert!(uint(&row, "bytes_received") > HUGE_BODY, "drained: {row}");
    assert!(peak_kib < FLAT_MEMORY_KIB, "peak RSS {peak_kib} KiB");
}

/// Serves `200 OK` forever on each connection, setting a new 100-byte cookie on every
/// response, and records the longest `Cookie` header it received.
fn cookie_flood(longest: Arc<AtomicUsize>) -> Loopback {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    Loopback::start("cookie-flood", move |mut stream, _stop| {
        let longest = longest.clone();
        async move {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            for n in 0_u64.. {
                head.clear();
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1..) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let cookie = text
                    .lines()
                    .find_map(|l| l.strip_prefix("cookie: "))
                    .map_or(0, str::len);
                longest.fetch_max(cookie, Ordering::Relaxed);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nSet-Cookie: c{n}={}\r\nContent-Length: 0\r\n\r\n",
                    "v".repeat(100)
                );
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
}

#[test]
fn a_new_cookie_on_every_response_does_not_grow_the_cookie_header_without_bound() {
    let longest = Arc::new(AtomicUsize::new(0));
    let server = cookie_flood(longest.clone());
    let ws = Workspace::new();
    let profile = one_request_profile(&format!("http://{}", server.addr()), "", "/x")
        .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", "1"]);
    let row = request(&run.result, "GET /x");
    // Hundreds of responses, each with a new cookie: the jar keeps 50 per domain.
    assert!(uint(row, "count") > 100, "{row}");
    all_answered(row, "200");
    let longest = longest.load(Ordering::Relaxed);
    // 50 cookies of "cNNN=" + 100 bytes, "; "-separated: about 5.4 KB, never more.
    assert!(
        (4_000..=8_192).contains(&longest),
        "longest Cookie header: {longest} bytes"
    );
}
