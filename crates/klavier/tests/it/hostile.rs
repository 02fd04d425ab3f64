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
