//! `klavier search` through the binary against `klavier target --workers N --service D`,
//! a server whose capacity is known analytically (N / D requests per second): the
//! search finds it, a first step that misses the SLOs exits 3, and an SLO that does not
//! parse is bad input (exit 2) naming it.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::process::ServerProcess;
use crate::support::{klavier, klavier_path, repo_file, validate_result, Workspace};

/// `klavier target` with `workers` × `service`, as a process of its own so the
/// generator and the server do not share a runtime.
pub fn capacity_target(ws: &Workspace, workers: &str, service: &str) -> ServerProcess {
    ServerProcess::start("klavier target", &ws.path("target.out"), |addr| {
        let mut cmd = Command::new(klavier_path());
        cmd.args(["target", "--addr", &addr.to_string()]).args([
            "--workers",
            workers,
            "--service",
            service,
        ]);
        cmd
    })
}

fn profile(ws: &Workspace, base_url: &str) -> std::path::PathBuf {
    let text = format!(
        r#"[target]
base_url = "{base_url}"

[scenarios.get]
[[scenarios.get.requests]]
name = "health"
path = "/api/health"
"#
    );
    ws.write("profile.toml", text)
}

/// `klavier search` with short steps; its output and JSON document.
fn search(ws: &Workspace, base_url: &str, args: &[&str]) -> (Output, Value) {
    let json = ws.path("search.json");
    let output = klavier()
        .arg("search")
        .arg(profile(ws, base_url))
        .args(["--step-duration", "1500ms", "--warmup", "500ms"])
        .args(["--cooldown", "300ms", "--threads", "1", "--json"])
        .arg(&json)
        .args(args)
        .output()
        .expect("klavier starts");
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let document: Value = serde_json::from_str(&text).expect("the search's JSON parses");
    validate_search(&document);
    (output, document)
}

/// Checks a search document against `schema/search.v1.json`.
fn validate_search(document: &Value) {
    let text = std::fs::read_to_string(repo_file("schema/search.v1.json")).expect("the schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema parses");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "not klavier.search/v1: {errors:#?}");
}

/// Two workers × 10 ms: 200/s. The SLO p99 < 50 ms makes the knee sharp:
///
/// - Below it, arrivals are evenly spaced and service is fixed, so requests queue only
///   for the timers' jitter (about a millisecond): p99 stays near the 10 ms service
///   time, far under 50 ms, up to the knee itself. Only a step the generator could not
///   keep (inconclusive, tried again, then a ceiling) can end the search below it — the
///   band's 60% floor leaves room for one such step on a shared, noisy machine.
/// - Above it, at a rate r the queue grows by (r − 200) requests a second for the 2 s of
///   the step (warm-up included), so its last requests wait about (r − 200)/200 × 2 s:
///   more than 50 ms past r ≈ 205/s. So no step passes beyond about 1.03 × 200, and
///   the 105% ceiling holds.
#[test]
fn the_search_finds_a_known_capacity() {
    let ws = Workspace::new();
    let target = capacity_target(&ws, "2", "10ms");
    let (output, document) = search(
        &ws,
        &target.base_url(),
        &[
            "--slo",
            "p99 < 50ms",
            "--slo",
            "error_rate < 1%",
            "--from",
            "50/s",
            "--html",
            ws.path("search.html").to_str().expect("UTF-8 path"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(document["schema"], "klavier.search/v1");
    let outcome = &document["outcome"];
    assert_eq!(outcome["kind"], "found", "{outcome}\n{stdout}");
    let low = outcome["low"].as_f64().expect("a capacity");
    let high = outcome["high"].as_f64().expect("a bracket");
    let analytic = 200.0;
    assert!(
        (0.6 * analytic..=1.05 * analytic).contains(&low),
        "capacity {low}/s is not within 60–105% of {analytic}/s:\n{stdout}"
    );
    assert!(
        high - low <= 0.05 * high,
        "bracket {low}..{high} wider than 5%"
    );
    assert!(
        stdout.contains(&format!("capacity: {low:.1}/s")),
        "{stdout}"
    );
    let steps = document["steps"].as_array().expect("steps");
    for step in steps {
        validate_result(&step["result"]);
        assert!(["pass", "fail", "inconclusive"].contains(&step["verdict"].as_str().unwrap_or("")));
    }
    // The first steps grow geometrically from --from.
    assert_eq!(steps[0]["rate"], 50.0);
    // Above the bracket nothing passed (on a loaded machine the upper end may be a
    // generator-limited ceiling rather than a failure: both are "not a pass").
    assert!(
        steps
            .iter()
            .filter(|s| s["rate"].as_f64() >= Some(high))
            .all(|s| s["verdict"] != "pass"),
        "a step at or above {high}/s passed:\n{stdout}"
    );
    // A step that did not pass is followed by a wait for the server's queue to drain
    // (the step after a failure must not inherit its backlog); a passing one is not.
    for pair in steps.windows(2) {
        let drain = &pair[1]["drain"];
        if pair[0]["verdict"] == "pass" {
            assert!(drain.is_null(), "a drain after a pass: {drain}");
        } else {
            assert!(drain["probes"].as_u64() >= Some(1), "no drain: {drain}");
            assert_eq!(drain["rate"], 50.0, "probes run at --from");
        }
    }
    assert!(steps[0]["drain"].is_null());
    // The HTML page, in a real browser: the answer, two charts, a row per step.
    let (dom, log) = crate::html::chromium(&ws.path("search.html"));
    assert!(dom.contains(&format!("capacity: {low:.1}/s")), "{dom}");
    assert_eq!(
        dom.matches("<svg").count(),
        2,
        "latency and errors against the rate"
    );
    assert_eq!(
        dom.matches("<polyline").count(),
        3,
        "p50, p99 and the error rate"
    );
    assert_eq!(dom.matches("<tr class=").count(), steps.len());
    assert!(!dom.contains("<script"));
    assert!(
        !log.contains(":CONSOLE("),
        "the page logged to the console: {log}"
    );
    assert!(
        steps.iter().any(|s| !s["drain"].is_null()),
        "no step failed, so nothing drained:\n{stdout}"
    );
}

#[test]
fn a_first_step_that_misses_the_slos_exits_3() {
    let ws = Workspace::new();
    // One worker × 50 ms: every response takes at least 50 ms.
    let target = capacity_target(&ws, "1", "50ms");
    let (output, document) = search(
        &ws,
        &target.base_url(),
        &["--slo", "p99 < 20ms", "--from", "10/s"],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(document["outcome"]["kind"], "below_first");
    // One step, or a few at the same rate if a busy machine made it inconclusive first.
    let steps = document["steps"].as_array().expect("steps");
    assert!(steps.iter().all(|s| s["rate"] == 10.0), "{steps:?}");
    assert_eq!(
        steps.last().map(|s| &s["verdict"]),
        Some(&Value::from("fail"))
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("capacity: below 10.0/s"));
}

#[test]
fn an_slo_that_does_not_parse_is_bad_input() {
    bad_input(&["--slo", "p99 << 50ms"], "p99 << 50ms");
}

/// `--users` searches the closed model. Against 2 workers × 10 ms, N users without
/// think time each wait for the N − 1 requests ahead of them: a response takes N × 5 ms
/// (plus about a millisecond of loopback and generator), so `p99 < 48ms` holds up to
/// 9 users and not at 10 (50 ms). Users grow 1, 2, 4, 8, 16, then bisect in whole
/// numbers down to neighbours. A loaded machine only adds latency, so it can only
/// find fewer: the test accepts 7 to 9.
#[test]
fn the_users_search_finds_the_most_users_that_meet_the_slos() {
    let ws = Workspace::new();
    let target = capacity_target(&ws, "2", "10ms");
    let (output, document) = search(
        &ws,
        &target.base_url(),
        &[
            "--users",
            "--slo",
            "p99 < 48ms",
            "--from",
            "1",
            "--max",
            "64",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(document["settings"]["model"], "closed");
    let outcome = &document["outcome"];
    assert_eq!(outcome["kind"], "found", "{outcome}\n{stdout}");
    let low = outcome["low"].as_f64().expect("a capacity");
    let high = outcome["high"].as_f64().expect("a bracket");
    assert!((7.0..=9.0).contains(&low), "{low} users:\n{stdout}");
    assert_eq!(high, low + 1.0, "whole users bisect down to neighbours");
    let steps = document["steps"].as_array().expect("steps");
    for step in steps {
        validate_result(&step["result"]);
        assert!(step["rate"].is_null());
        let users = step["users"].as_u64().expect("users");
        assert_eq!(step["result"]["model"], "closed");
        assert_eq!(step["result"]["users"].as_u64(), Some(users));
    }
    assert_eq!(steps[0]["users"], 1);
    // The throughput they reached sits beside the answer: the pool serves 200/s.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("capacity:"))
        .expect("the answer");
    assert!(
        line.starts_with(&format!("capacity: {low:.0} users, ")),
        "{line}"
    );
    let passing = steps
        .iter()
        .rev()
        .find(|s| s["users"].as_f64() == Some(low))
        .expect("step");
    let achieved = passing["achieved_rate"].as_f64().expect("requests/s");
    assert!((150.0..=205.0).contains(&achieved), "{achieved} requests/s");
}

#[test]
fn a_rate_given_to_a_users_search_is_bad_input() {
    bad_input(
        &["--users", "--slo", "p99 < 50ms", "--from", "50/s"],
        "--from 50/s is not a number of users",
    );
}

/// A Ctrl-C during the pause between steps stops the search at once (a two-minute
/// cool-down is not slept out), with exit code 130 and the steps so far written.
#[test]
fn sigint_during_a_cool_down_stops_at_once_with_the_steps_so_far() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let ws = Workspace::new();
    let target = capacity_target(&ws, "2", "10ms");
    let json = ws.path("search.json");
    let mut child = Command::new(klavier_path())
        .arg("search")
        .arg(profile(&ws, &target.base_url()))
        .args([
            "--slo",
            "p99 < 1s",
            "--from",
            "20/s",
            "--step-duration",
            "500ms",
        ])
        .args([
            "--warmup",
            "0s",
            "--cooldown",
            "120s",
            "--threads",
            "1",
            "--json",
        ])
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("klavier starts");
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("step  1"))
        .expect("the first step's line");
    assert!(first.contains("pass"), "{first}");
    // The first step is over and the cool-down has begun.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still sleeping out the cool-down a minute after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON was written"))
            .expect("it parses");
    assert!(document["outcome"].is_null(), "stopped before concluding");
    assert_eq!(document["steps"].as_array().map(Vec::len), Some(1));
}

#[test]
fn an_slo_naming_an_unknown_request_is_bad_input_under_its_own_flag() {
    bad_input(
        &["--slo", "request helth: p99 < 50ms"],
        r#"--slo: no request is named "helth": did you mean "health"?"#,
    );
}

/// `klavier search` with `args` exits 2 (bad input, nothing sent), saying `fragment`.
fn bad_input(args: &[&str], fragment: &str) {
    let ws = Workspace::new();
    let output = klavier()
        .arg("search")
        .arg(profile(&ws, "http://127.0.0.1:9"))
        .args(args)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(fragment),
        "{fragment:?} not said:\n{stderr}"
    );
}
