//! Servers that misbehave in ways real ones do under stress: each is classified as
//! what it is, and the run completes and reports.

use std::collections::BTreeMap;

use crate::support::faults::{Fault, FaultServer};
use crate::support::{request, run_profile, tally, uint, Workspace};

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
