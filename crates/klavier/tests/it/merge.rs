//! `klavier merge`: the segments of a seeded open-model run against the built-in target,
//! merged, count exactly what a single run of the same profile and seed counts, and what
//! the target saw; other runs' results are refused and a missing segment is reported.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::support::{
    klavier, read_result, request_counts, rows, run_ok, target, uint, validate_result, Workspace,
};

/// Two scenarios picked 3:1 by each arrival's own stream; arrivals at 40/s for a second,
/// then down to none within 200 ms: every arrival is due long before the end of the
/// three-second run, so none is cut and the counts depend on the seed alone.
const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.health]
weight = 3
[[scenarios.health.requests]]
path = "/api/health"
[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/api/auth/login"
[[scenarios.login.requests]]
path = "/api/health"
"#;

const LOAD: [&str; 8] = [
    "--rate",
    "40",
    "--stage",
    "1s:40",
    "--stage",
    "200ms:0",
    "--duration",
    "3s",
];

/// Runs segment `segment` (or the whole run) into `name`, and returns the result file.
fn run(ws: &Workspace, url: &str, segment: Option<&str>, name: &str) -> PathBuf {
    let profile = ws.write("profile.toml", PROFILE);
    let json = ws.path(name);
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&profile)
        .args(["--quiet", "--base-url", url])
        .args(LOAD)
        .args(["--seed", "31", "--json"])
        .arg(&json);
    if let Some(segment) = segment {
        cmd.args(["--segment", segment]);
    }
    run_ok(&mut cmd, &json);
    json
}

fn scenario_iterations(result: &Value) -> BTreeMap<String, u64> {
    rows(result, "scenarios")
        .into_iter()
        .map(|(name, row)| (name.to_owned(), uint(row, "iterations")))
        .collect()
}

/// `klavier merge ARGS… -o merged.json`, expecting success; the merged result.
fn merge(ws: &Workspace, args: &[PathBuf], stdin: Option<String>) -> (Value, String) {
    let out = ws.path("merged.json");
    let mut child = std::process::Command::new(crate::support::klavier_path())
        .arg("merge")
        .args(args)
        .arg("-o")
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("klavier starts");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("klavier reads its input");
    drop(input);
    let output = child.wait_with_output().expect("klavier ends");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    (read_result(&out), stderr)
}

/// Starts segment `i` of `n` as a process that waits for `start_at`.
fn spawn_segment(ws: &Workspace, url: &str, i: u32, n: u32, start_at: &str) -> (Child, PathBuf) {
    let profile = ws.path("profile.toml");
    let json = ws.path(&format!("part{i}.json"));
    let child = std::process::Command::new(crate::support::klavier_path())
        .arg("run")
        .arg(&profile)
        .args([
            "--quiet",
            "--base-url",
            url,
            "--seed",
            "31",
            "--start-at",
            start_at,
        ])
        .args(["--max-start-lag", "30s", "--segment", &format!("{i}/{n}")])
        .args(LOAD)
        .arg("--json")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("klavier starts");
    (child, json)
}

#[test]
fn merged_segments_count_exactly_what_a_single_run_counts() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    // Four processes, one common start two seconds ahead (time enough to start them).
    let start = SystemTime::now() + Duration::from_secs(2);
    let start_at = humantime::format_rfc3339_millis(start).to_string();
    // Written once: a process reading it while the next one rewrote it would see it empty.
    ws.write("profile.toml", PROFILE);
    let children: Vec<(Child, PathBuf)> = (0..4)
        .map(|i| spawn_segment(&ws, &url, i, 4, &start_at))
        .collect();
    let parts: Vec<PathBuf> = children
        .into_iter()
        .map(|(child, json)| {
            let output = child.wait_with_output().expect("the segment ends");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{stderr}");
            json
        })
        .collect();
    for part in &parts {
        let result = read_result(part);
        let started = humantime::parse_rfc3339_weak(result["started_at"].as_str().expect("a time"))
            .expect("RFC 3339");
        assert!(
            started >= start - Duration::from_millis(1),
            "started before --start-at"
        );
        let lag = result["start_lag_seconds"]
            .as_f64()
            .expect("the start lag is recorded");
        assert!((0.0..=30.0).contains(&lag), "{lag}");
    }
    let seen_by_target = server.counts();
    server.state().reset();
    let whole = read_result(&run(&ws, &url, None, "whole.json"));
    assert_eq!(
        server.counts(),
        seen_by_target,
        "the target saw the same requests"
    );

    let (merged, stderr) = merge(&ws, &parts, None);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(request_counts(&merged), seen_by_target);
    assert_eq!(request_counts(&merged), request_counts(&whole));
    assert_eq!(scenario_iterations(&merged), scenario_iterations(&whole));
    assert_eq!(merged["arrivals"]["started"], whole["arrivals"]["started"]);
    assert_eq!(
        uint(&merged["arrivals"], "due"),
        44,
        "40/s for 1 s, then a 200 ms ramp to 0"
    );
    assert_eq!(
        merged["users"], whole["users"],
        "max_users split over the segments"
    );
    let response_times = uint(&merged["totals"]["response_time"], "count");
    assert_eq!(
        response_times,
        uint(&merged["totals"], "count"),
        "every request timed"
    );
    assert_eq!(merged["merge"]["merged"], serde_json::json!([0, 1, 2, 3]));
    assert_eq!(merged["merge"]["partial"], false);
    assert!(merged.get("segment").is_none());
    assert_eq!(merged["plan_digest"], whole["plan_digest"]);
    let per_second: u64 = merged["timeseries"]
        .as_array()
        .expect("a time series")
        .iter()
        .map(|p| uint(p, "requests"))
        .sum();
    assert_eq!(per_second, uint(&merged["totals"], "count"));
}

#[test]
fn results_piped_in_as_log_lines_merge_and_a_missing_segment_is_reported() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| run(&ws, &url, Some(&format!("{i}/3")), &format!("part{i}.json")))
        .collect();
    // What `kubectl logs` of two pods shows: a summary, then the result on one line.
    let mut log = String::new();
    for part in &parts[..2] {
        let result: Value = read_result(part);
        log += "klavier: some summary line\n";
        log += &serde_json::to_string(&result).expect("serializes");
        log += "\n";
    }
    let (merged, stderr) = merge(&ws, &["-".into()], Some(log));
    validate_result(&merged);
    assert_eq!(merged["merge"]["partial"], true);
    assert_eq!(merged["merge"]["missing"], serde_json::json!([2]));
    assert!(
        stderr.contains("only 2 of 3 segments were merged; missing: 2"),
        "{stderr}"
    );
    let warnings = merged["generator"]["warnings"].to_string();
    assert!(warnings.contains("partial_merge"), "{warnings}");
}

#[test]
fn results_of_different_runs_are_refused() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    let first = run(&ws, &url, Some("0/2"), "first.json");
    let profile = ws.write("profile.toml", PROFILE);
    let other = ws.path("other.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&profile)
        .args(["--quiet", "--base-url", &url, "--segment", "1/2"])
        .args(LOAD)
        .args(["--seed", "32", "--json"])
        .arg(&other);
    run_ok(&mut cmd, &other);
    let output = klavier()
        .arg("merge")
        .arg(&first)
        .arg(&other)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("result 2 is not a segment of the same run as result 1"),
        "{stderr}"
    );
    let output = klavier()
        .arg("merge")
        .arg(ws.path("missing.json"))
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the result"), "{stderr}");
}

#[test]
fn a_segment_ready_too_late_after_the_common_start_sends_nothing() {
    let ws = Workspace::new();
    let server = target();
    let profile = ws.write("profile.toml", PROFILE);
    let past = humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(60));
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args([
            "--quiet",
            "--base-url",
            &server.base_url(),
            "--segment",
            "0/2",
        ])
        .args(["--start-at", &past.to_string(), "--max-start-lag", "2s"])
        .args(LOAD)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("later than --max-start-lag 2s"), "{stderr}");
    assert!(server.counts().is_empty(), "a late segment sent requests");
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--start-at", "tomorrow"])
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("RFC 3339"), "{stderr}");
}

/// The closed model: each request names its user (`/bytes/{{ vu }}`), so the target's
/// counts show which users ran. Ramped to 6 users, the segments together run the same
/// population as one process, each user in exactly one segment.
#[test]
fn closed_model_segments_run_the_same_users_as_a_single_run() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    let profile = ws.write(
        "closed.toml",
        "[target]\nbase_url = \"http://127.0.0.1:9\"\n[scenarios.me]\n\
         [[scenarios.me.requests]]\npath = \"/bytes/{{ vu }}\"\n\
         [timings]\nmin_scenario_interval_ms = 100\n",
    );
    let load = [
        "--stage", "500ms:6", "--stage", "1s:6", "--seed", "5", "--quiet",
    ];
    let users = |counts: BTreeMap<String, u64>| -> Vec<String> { counts.into_keys().collect() };
    let mut parts = Vec::new();
    let mut seen = Vec::new();
    for i in 0..3 {
        server.state().reset();
        let json = ws.path(&format!("closed{i}.json"));
        let mut cmd = klavier();
        cmd.arg("run")
            .arg(&profile)
            .args(["--base-url", &url, "--segment", &format!("{i}/3")])
            .args(load)
            .arg("--json")
            .arg(&json);
        run_ok(&mut cmd, &json);
        let mine = users(server.counts());
        let expected: Vec<String> = [i, i + 3].map(|u| format!("GET /bytes/{u}")).to_vec();
        assert_eq!(
            mine, expected,
            "segment {i}/3 ran users u with u mod 3 = {i}"
        );
        seen.extend(mine);
        parts.push(json);
    }
    server.state().reset();
    let json = ws.path("closed.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&profile)
        .args(["--base-url", &url])
        .args(load)
        .arg("--json")
        .arg(&json);
    let whole = run_ok(&mut cmd, &json).result;
    seen.sort();
    assert_eq!(seen, users(server.counts()), "the same population");
    let (merged, _) = merge(&ws, &parts, None);
    assert_eq!(merged["users"], whole["users"]);
    assert_eq!(merged["users"], 6);
    assert_eq!(merged["model"], "closed");
}
