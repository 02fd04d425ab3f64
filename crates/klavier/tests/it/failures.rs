//! Requests that get no (acceptable) response are failures, counted by kind or by
//! status code; the run still completes, reports, and exits with 0.

use std::collections::BTreeMap;

use klavier_stats::FailureKind;
use serde_json::json;

use crate::support::faults::{closed_port, Fault, FaultServer};
use crate::support::{
    one_request_profile, request, request_counts, run_profile, scenario, tally, target, uint,
    Finished, Workspace,
};

/// Short enough that a silent server costs little, long enough for loopback.
const TIMEOUT: &str = r#"timeout = "300ms""#;

/// Runs 2 users for 1 s against `base_url` and asserts every request failed with
/// `kind`, and only with it.
fn every_request_fails_as(base_url: &str, kind: &str) {
    let ws = Workspace::new();
    let profile = one_request_profile(base_url, TIMEOUT, "/api/health");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    let row = request(&run.result, "GET /api/health");
    let count = uint(row, "count");
    assert!(count > 0, "no request completed: {row}");
    assert_eq!(uint(row, "failures"), count, "{row}");
    let expected = BTreeMap::from([(kind.to_owned(), count)]);
    assert_eq!(tally(row, "errors"), expected, "failure kinds of {row}");
    assert!(tally(row, "status_codes").is_empty(), "{row}");
    assert_eq!(uint(&run.result["totals"], "failures"), count);
    // An iteration with a failed request is a failed iteration.
    let only = scenario(&run.result, "only");
    assert_eq!(
        uint(only, "failed_iterations"),
        uint(only, "iterations"),
        "{only}"
    );
    assert_summary_names(&run, kind);
}

/// Asserts the text summary was printed and describes failure `kind` as the JSON names it.
fn assert_summary_names(run: &Finished, kind: &str) {
    let kind: FailureKind = serde_json::from_value(json!(kind)).expect("a known failure kind");
    for wanted in ["GET /api/health", kind.describe()] {
        assert!(
            run.stdout.contains(wanted),
            "{wanted:?} missing from the summary:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_closed_port_is_connect_refused() {
    let addr = closed_port();
    every_request_fails_as(&format!("http://{addr}"), "connect_refused");
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let server = FaultServer::start(Fault::Silent);
    every_request_fails_as(&server.base_url(), "timeout");
    assert!(server.accepted() > 0);
}

#[test]
fn a_reset_after_the_request_is_connection_reset() {
    let server = FaultServer::start(Fault::ResetAfterRequest);
    every_request_fails_as(&server.base_url(), "connection_reset");
    assert!(server.accepted() > 0);
}

#[test]
fn an_answer_that_is_not_http_is_a_malformed_response() {
    let server = FaultServer::start(Fault::Garbage);
    every_request_fails_as(&server.base_url(), "malformed_response");
    assert!(server.accepted() > 0);
}

#[test]
fn a_close_before_any_answer_is_connection_closed() {
    let server = FaultServer::start(Fault::CloseAtOnce);
    every_request_fails_as(&server.base_url(), "connection_closed");
    assert!(server.accepted() > 0);
}

#[test]
fn a_host_that_does_not_resolve_is_a_dns_failure() {
    // `.invalid` is reserved (RFC 6761): it never resolves, and resolvers answer
    // locally. The short timeout keeps the test fast even without a resolver.
    let ws = Workspace::new();
    let profile = one_request_profile(
        "http://klavier-it.invalid:8080",
        r#"timeout = "2s""#,
        "/api/health",
    );
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    let row = request(&run.result, "GET /api/health");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    let expected = BTreeMap::from([("dns".to_owned(), count)]);
    assert_eq!(tally(row, "errors"), expected, "failure kinds of {row}");
    assert_summary_names(&run, "dns");
}

#[test]
fn error_statuses_are_failures_counted_by_code() {
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.unavailable]
[[scenarios.unavailable.requests]]
path = "/status/503"
[scenarios.missing]
[[scenarios.missing.requests]]
path = "/status/404"
[scenarios.fine]
[[scenarios.fine.requests]]
path = "/status/204"
[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 20
"#;
    let ws = Workspace::new();
    let server = target();
    let run = run_profile(
        &ws,
        profile,
        &["--base-url", &server.base_url(), "--users", "3"],
    );
    let result = &run.result;
    assert_eq!(request_counts(result), server.counts());

    #[rustfmt::skip]
    let cases = [
        ("GET /status/503", "503", true),   // a server error is a failure
        ("GET /status/404", "404", true),   // so is a client error
        ("GET /status/204", "204", false),  // any 2xx is a success, even without a body
    ];
    let mut failed = 0;
    for (name, code, is_failure) in cases {
        let row = request(result, name);
        let count = uint(row, "count");
        assert!(count > 0, "{name} was never sent");
        let codes = BTreeMap::from([(code.to_owned(), count)]);
        assert_eq!(tally(row, "status_codes"), codes, "{name}");
        let failures = if is_failure { count } else { 0 };
        assert_eq!(uint(row, "failures"), failures, "{name}");
        // A response with a bad status is not a transport error.
        assert!(tally(row, "errors").is_empty(), "{name}");
        failed += failures;
    }
    assert_eq!(uint(&result["totals"], "failures"), failed);
}
