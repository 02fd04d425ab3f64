//! `klavier run` against the built-in target: what Klavier reports matches what the
//! server saw, request by request, and requests go out as the profile describes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::support::wiretap::Wiretap;
use crate::support::{
    assert_binomial, klavier, one_request_profile, request, request_counts, run_profile, scenario,
    tally, target, uint, Workspace,
};

/// The seed profile's shape (5:1, with the seed's headers), with login sending JSON and
/// then waiting a little, so that requests are in flight when the test ends.
const SEED_LIKE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"

[scenarios.health_check]
weight = 5
[[scenarios.health_check.requests]]
method = "GET"
path = "/api/health"
headers = {"User-Agent" = "Klavier/1.0"}

[scenarios.login]
weight = 1
[[scenarios.login.requests]]
method = "POST"
path = "/api/auth/login"
headers = {"User-Agent" = "Klavier/1.0"}
json = { username = "demo", password = "secret" }
[[scenarios.login.requests]]
method = "GET"
path = "/delay/20"

[timings]
test_duration_seconds = 60
min_scenario_interval_ms = 10
"#;

#[test]
fn every_request_sent_is_counted_exactly_once_by_klavier_and_by_the_target() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    let args = [
        "--base-url",
        &url,
        "--users",
        "4",
        "--duration",
        "2s",
        "--seed",
        "7",
    ];
    let run = run_profile(&ws, SEED_LIKE, &args);
    let result = &run.result;

    // The target's own count per `METHOD path` is exactly Klavier's count per request,
    // requests completed during the graceful stop included.
    let seen = server.counts();
    assert_eq!(
        request_counts(result),
        seen,
        "Klavier's counts vs the target's"
    );
    assert_eq!(seen.len(), 3, "all three requests were sent: {seen:?}");
    assert_eq!(uint(&result["totals"], "count"), seen.values().sum::<u64>());

    for name in ["GET /api/health", "POST /api/auth/login", "GET /delay/20"] {
        let row = request(result, name);
        let count = uint(row, "count");
        // Every response was a 200, counted by status code; nothing failed or was cut off.
        let ok = BTreeMap::from([("200".to_owned(), count)]);
        assert_eq!(tally(row, "status_codes"), ok, "{name}");
        assert_eq!(uint(row, "failures"), 0, "{name}");
        assert!(tally(row, "errors").is_empty(), "{name}");
        assert_eq!(uint(row, "interrupted"), 0, "{name}");
    }
    // A completed iteration sent each of its requests once, so the last request of a
    // scenario counts its completed iterations.
    let iterations = |name| uint(scenario(result, name), "iterations");
    assert_eq!(iterations("health_check"), seen["GET /api/health"]);
    assert_eq!(iterations("login"), seen["GET /delay/20"]);

    // The time series accounts for every request once, second by second.
    let series = result["timeseries"].as_array().expect("an array");
    let per_second = |field| series.iter().map(|point| uint(point, field)).sum::<u64>();
    assert_eq!(per_second("requests"), uint(&result["totals"], "count"));
    assert_eq!(per_second("failures"), 0);

    assert_eq!(result["seed"], 7);
    assert_eq!(result["users"], 4);
    assert_eq!(result["stop_reason"], "completed");
    assert_eq!(result["target"], url.as_str());
    // The summary on stdout names every request and scenario.
    for name in [
        "GET /api/health",
        "POST /api/auth/login",
        "GET /delay/20",
        "health_check",
        "login",
    ] {
        assert!(
            run.stdout.contains(name),
            "{name:?} missing from the summary:\n{}",
            run.stdout
        );
    }
}

#[test]
fn requests_in_flight_at_the_end_finish_in_the_graceful_stop_and_count_once() {
    // Each user's second request starts at ~0.7 s and ends at ~1.4 s: in flight when
    // the 1 s test ends, so it completes during the graceful stop (5 s by default).
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.slow]
[[scenarios.slow.requests]]
path = "/delay/700"
[timings]
test_duration_seconds = 1
"#;
    let ws = Workspace::new();
    let server = target();
    let run = run_profile(
        &ws,
        profile,
        &["--base-url", &server.base_url(), "--users", "2"],
    );
    let row = request(&run.result, "GET /delay/700");

    assert_eq!(request_counts(&run.result), server.counts());
    assert!(uint(row, "completed_in_grace") >= 1, "{row}");
    assert!(
        uint(row, "completed_in_grace") <= uint(row, "count"),
        "{row}"
    );
    assert_eq!(uint(row, "interrupted"), 0, "{row}");
    assert_eq!(uint(row, "failures"), 0, "{row}");
}

#[test]
fn a_path_prefix_in_base_url_is_kept_before_every_request_path() {
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.api]
[[scenarios.api.requests]]
path = "/health"
[[scenarios.api.requests]]
method = "POST"
path = "/auth/login"
[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#;
    let ws = Workspace::new();
    let server = target();
    let prefixed = format!("{}/api", server.base_url());
    let run = run_profile(&ws, profile, &["--base-url", &prefixed, "--users", "2"]);

    // Rows keep the names the profile gives; the server saw the prefixed paths.
    let reported = request_counts(&run.result);
    let seen = server.counts();
    let expected: BTreeMap<String, u64> = [
        ("GET /api/health", reported["GET /health"]),
        ("POST /api/auth/login", reported["POST /auth/login"]),
    ]
    .map(|(k, n)| (k.to_owned(), n))
    .into();
    assert_eq!(
        seen, expected,
        "the target's counts vs Klavier's {reported:?}"
    );
    assert_eq!(uint(&run.result["totals"], "failures"), 0);
}

#[test]
fn json_bodies_and_default_headers_go_out_as_the_profile_says() {
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
headers = { "User-Agent" = "Klavier-it", "X-Team" = "perf" }

[scenarios.sign_in]
[[scenarios.sign_in.requests]]
path = "/api/health"
[[scenarios.sign_in.requests]]
method = "POST"
path = "/echo"
headers = { "X-Team" = "checkout" }
json = { username = "demo", password = "s3cret \"quoted\" ünïcode", remember = true, tags = ["a", "b"], limits = { n = 3, ratio = 0.5 } }

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#;
    let ws = Workspace::new();
    let server = Wiretap::start();
    let url = server.base_url();
    let run = run_profile(&ws, profile, &["--base-url", &url, "--users", "1"]);

    assert_eq!(request_counts(&run.result), server.counts());
    assert_eq!(uint(&run.result["totals"], "failures"), 0);
    let requests = server.requests();
    let host = url.trim_start_matches("http://");
    let expected_body = json!({
        "username": "demo",
        "password": "s3cret \"quoted\" ünïcode",
        "remember": true,
        "tags": ["a", "b"],
        "limits": { "n": 3, "ratio": 0.5 },
    });
    let (mut health, mut echo) = (0, 0);
    for sent in &requests {
        // Every request names the host and carries the default User-Agent exactly once.
        assert_eq!(sent.header("host"), [host], "{sent:?}");
        assert_eq!(sent.header("user-agent"), ["Klavier-it"], "{sent:?}");
        match sent.line.as_str() {
            "GET /api/health HTTP/1.1" => {
                health += 1;
                // Defaults apply unchanged; a GET without a body sends none.
                assert_eq!(sent.header("x-team"), ["perf"], "{sent:?}");
                assert!(sent.body.is_empty(), "{sent:?}");
            }
            "POST /echo HTTP/1.1" => {
                echo += 1;
                // The request's header replaces the default of the same name.
                assert_eq!(sent.header("x-team"), ["checkout"], "{sent:?}");
                assert_eq!(
                    sent.header("content-type"),
                    ["application/json"],
                    "{sent:?}"
                );
                let body: Value = serde_json::from_slice(&sent.body)
                    .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {sent:?}"));
                assert_eq!(body, expected_body);
                // Header names go out as written, in the order written; JSON keys too.
                let names: Vec<&str> = sent.headers.iter().map(|(n, _)| n.as_str()).collect();
                let order = [
                    "Host",
                    "User-Agent",
                    "X-Team",
                    "Accept-Encoding",
                    "Content-Type",
                    "Content-Length",
                ];
                assert_eq!(names, order, "{sent:?}");
                let keys = r#"{"username":"demo","password":"#;
                assert!(sent.body.starts_with(keys.as_bytes()), "{sent:?}");
            }
            other => panic!("unexpected request line {other:?}"),
        }
    }
    let seen = server.counts();
    assert_eq!(
        (health, echo),
        (seen["GET /api/health"], seen["POST /echo"])
    );
    assert!(echo > 0, "no /echo request was sent");

    // Bytes are counted as HTTP/1.1 frames them, exactly, in both directions.
    let totals = &run.result["totals"];
    assert_eq!(
        uint(totals, "bytes_sent"),
        server.bytes_received(),
        "bytes sent"
    );
    assert_eq!(
        uint(totals, "bytes_received"),
        server.bytes_written(),
        "bytes received"
    );
}

#[test]
fn the_same_seed_makes_the_same_choices() {
    // One user picks a scenario once per row of a `unique` feeder of 8 rows, then
    // stops: exactly eight picks per run whatever the machine's speed, so equal seeds
    // must give equal counts per request.
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[data.turns]
file = "turns.csv"
strategy = "unique"
[scenarios.health_check]
weight = 1
[[scenarios.health_check.requests]]
path = "/api/health"
[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/api/auth/login"
[timings]
test_duration_seconds = 30
"#;
    let ws = Workspace::new();
    ws.write("turns.csv", "turn\n1\n2\n3\n4\n5\n6\n7\n8\n");
    let server = target();
    let url = server.base_url();
    let args = ["--base-url", &url, "--users", "1", "--seed", "4242"];
    let first = run_profile(&ws, profile, &args);
    let after_first = server.counts();
    let second = run_profile(&ws, profile, &args);

    let (one, two) = (
        request_counts(&first.result),
        request_counts(&second.result),
    );
    assert_eq!(one, two, "two runs with --seed 4242 picked differently");
    assert_eq!(one.values().sum::<u64>(), 8, "{one:?}");
    assert_eq!(one, after_first);
    for run in [&first, &second] {
        assert_eq!(run.result["seed"], 4242);
        assert!(
            run.stdout.contains("4242"),
            "the summary prints the seed:\n{}",
            run.stdout
        );
    }
}

#[test]
fn scenarios_are_picked_in_proportion_to_their_weights() {
    // The seed profile's 5:1 split, unpaced, so that a few thousand iterations run.
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.health_check]
weight = 5
[[scenarios.health_check.requests]]
path = "/api/health"
[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/api/auth/login"
[timings]
test_duration_seconds = 2
"#;
    let ws = Workspace::new();
    let server = target();
    let args = [
        "--base-url",
        &server.base_url(),
        "--users",
        "4",
        "--seed",
        "99",
    ];
    let run = run_profile(&ws, profile, &args);

    let seen = server.counts();
    assert_eq!(request_counts(&run.result), seen);
    let health = uint(scenario(&run.result, "health_check"), "iterations");
    let login = uint(scenario(&run.result, "login"), "iterations");
    eprintln!("5:1 split: {health} health_check, {login} login");
    assert_binomial(
        health,
        health + login,
        5.0 / 6.0,
        "health_check (weight 5 of 6)",
    );
}

#[test]
fn a_json_file_that_cannot_be_written_after_the_run_is_exit_code_1_after_the_summary() {
    // A full disk: `/dev/full` passes the check before the run (it is a writable
    // device) and fails every write with ENOSPC. A path that cannot be written at all
    // is refused before the run (see `signals`).
    let ws = Workspace::new();
    let server = target();
    let profile = ws.write(
        "profile.toml",
        one_request_profile(&server.base_url(), "", "/api/health"),
    );
    let unwritable = std::path::PathBuf::from("/dev/full");
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--quiet", "--users", "1", "--duration", "1s", "--json"])
        .arg(&unwritable)
        .output()
        .expect("klavier starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    // The run itself happened and its summary was not lost; the error names the file.
    assert!(stdout.contains("GET /api/health"), "{stdout}");
    assert!(
        stderr.contains(&unwritable.display().to_string()),
        "{stderr}"
    );
}
