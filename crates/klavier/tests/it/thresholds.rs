//! Thresholds through the binary against the built-in target: a met one exits 0, a
//! failed one exits 3 after every report is written, `abort_on_fail` stops the run
//! gracefully, failed checks show in the headline, and a threshold naming a request
//! that does not exist is a profile error at `klavier check`.

use std::process::Output;

use serde_json::Value;

use crate::support::{klavier, read_result, target, Workspace};

/// Two scenarios: `health` (always 200) and `broken` (always 503).
fn profile(base_url: &str, thresholds: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"

[scenarios.health]
weight = 3
[[scenarios.health.requests]]
name = "health"
path = "/api/health"

[scenarios.broken]
weight = 1
[[scenarios.broken.requests]]
name = "broken"
path = "/status/503"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 20

[thresholds]
{thresholds}
"#
    )
}

/// `klavier run` of `profile` with `args`: its output and JSON result.
fn run(ws: &Workspace, profile: &str, args: &[&str]) -> (Output, Value) {
    let path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let output = klavier()
        .arg("run")
        .arg(&path)
        .args(["--quiet", "--users", "2", "--json"])
        .arg(&json)
        .args(args)
        .output()
        .expect("klavier starts");
    let result = read_result(&json);
    (output, result)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One threshold of the result: `(scope, name, expression, passed, observed)`.
type Judged = (String, Option<String>, String, bool, Option<f64>);

/// Each threshold in the result.
fn judged(result: &Value) -> Vec<Judged> {
    let list = result["thresholds"]
        .as_array()
        .expect("thresholds in the result");
    list.iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().map(str::to_owned);
            (
                s("scope").unwrap_or_default(),
                s("name"),
                s("expression").unwrap_or_default(),
                t["passed"].as_bool().expect("passed is a boolean"),
                t["observed"].as_f64(),
            )
        })
        .collect()
}

#[test]
fn met_thresholds_exit_0_and_are_reported_with_their_figures() {
    let server = target();
    let ws = Workspace::new();
    let thresholds = r#"run = ["p99 < 10s", "count > 0"]
requests.health = ["error_rate == 0%", "checks == 100%"]
scenarios.broken = ["error_rate > 99%"]"#;
    let (output, result) = run(&ws, &profile(&server.base_url(), thresholds), &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    let judged = judged(&result);
    assert_eq!(judged.len(), 5);
    assert!(judged.iter().all(|t| t.3), "{judged:?}");
    assert_eq!(judged[2].1.as_deref(), Some("health"));
    assert_eq!(judged[4].4, Some(1.0), "every broken iteration failed");
    assert!(stdout.contains("Thresholds    all 5 passed"), "{stdout}");
}

#[test]
fn a_failed_threshold_exits_3_after_writing_every_report() {
    let server = target();
    let ws = Workspace::new();
    let thresholds = r#"run = ["error_rate < 1%", "p99 < 10s"]"#;
    let args = ["--threshold", "request broken: rate >= 1000000/s"];
    let (output, result) = run(&ws, &profile(&server.base_url(), thresholds), &args);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: 2 of 3 thresholds failed"),
        "{stderr}"
    );
    let judged = judged(&result);
    let passed: Vec<bool> = judged.iter().map(|t| t.3).collect();
    assert_eq!(passed, [false, true, false], "{judged:?}");
    // The observed error rate is the run's: the 503s over every request.
    let failures = result["failures"]["ratio"].as_f64().expect("a ratio");
    assert_eq!(judged[0].4, Some(failures));
    assert!(
        stdout.contains("Thresholds    2 of 3 failed (exit code 3)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  FAIL  request broken  rate >= 1000000/s"),
        "{stdout}"
    );
}

#[test]
fn abort_on_fail_stops_the_run_gracefully_and_still_writes_the_reports() {
    let server = target();
    let ws = Workspace::new();
    let thresholds = r#"run = ["error_rate < 1%"]
abort_on_fail = true
delay = "1s""#;
    // Planned for a minute: only the threshold can end it early.
    let (output, result) = run(
        &ws,
        &profile(&server.base_url(), thresholds),
        &["--duration", "60s"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert_eq!(result["stop_reason"], "aborted_by_threshold");
    let ran = result["duration_seconds"].as_f64().expect("a duration");
    assert!(ran < 60.0, "stopped before the planned end: {ran}");
    assert!(
        stdout.contains("stopped early: a threshold failed"),
        "{stdout}"
    );
    // Gracefully: nothing in flight was cut off, and what the server saw was counted.
    assert_eq!(result["totals"]["interrupted"], 0);
    let seen: u64 = server.counts().values().sum();
    assert_eq!(result["totals"]["count"].as_u64(), Some(seen));
}

#[test]
fn failed_checks_are_in_the_headline_and_can_fail_a_threshold() {
    let server = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{}"
[scenarios.s]
[[scenarios.s.requests]]
name = "health"
path = "/api/health"
expect = {{ body_contains = "no such text" }}
[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 20
[thresholds]
run = ["checks > 99%"]
"#,
        server.base_url()
    );
    let (output, result) = run(&ws, &profile, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    let count = result["totals"]["count"].as_u64().expect("a count");
    assert!(count > 0);
    assert_eq!(
        judged(&result)[0].4,
        Some(0.0),
        "no response passed its checks"
    );
    let headline = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("requests"))
        .expect("a headline");
    assert!(
        headline.ends_with(&format!(", {count} (100.00%) failed a check")),
        "{headline}"
    );
}

#[test]
fn a_threshold_naming_an_unknown_request_fails_the_check_with_the_name_meant() {
    let ws = Workspace::new();
    let path = ws.write(
        "profile.toml",
        profile("http://127.0.0.1:9", "requests.helth = [\"p99 < 1s\"]"),
    );
    let output = klavier()
        .arg("check")
        .arg(&path)
        .output()
        .expect("klavier starts");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let want = format!(
        "{}:21:18: thresholds.requests.helth: no request is named \"helth\"\n  help: did you mean \"health\"?",
        path.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    let output = klavier()
        .arg("check")
        .arg(&path)
        .args(["--threshold", "p99 < 250"])
        .output()
        .expect("klavier starts");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--threshold: \"p99 < 250\": p99 needs a duration"),
        "{stderr}"
    );
}

#[test]
fn check_lists_the_thresholds() {
    let ws = Workspace::new();
    let thresholds =
        "run = [\"p99 < 250ms\"]\nscenarios.broken = [\"error_rate < 5%\"]\nabort_on_fail = true";
    let path = ws.write("profile.toml", profile("http://127.0.0.1:9", thresholds));
    let output = klavier()
        .arg("check")
        .arg(&path)
        .output()
        .expect("klavier starts");
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let tail: Vec<&str> = stdout.lines().rev().take(4).collect();
    assert_eq!(
        tail,
        [
            "  abort on fail     yes, judged each second after 0s",
            "  scenario \"broken\": error_rate < 5%",
            "  p99 < 250ms",
            "thresholds (exit code 3 when one fails)",
        ]
    );
}
