//! `klavier check --dry-run`: the preview's prediction against real runs on the
//! built-in target (paced profiles, so the latency assumed hardly matters), its
//! warnings word for word, and bad input.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{klavier, repo_file, run_profile, target, Workspace};

/// Two scenarios (3:1) sharing a request, one with a `parallel` list; requests 100 ms
/// apart, longer than the latency assumed (50 ms) and far longer than a loopback
/// exchange, so the prediction does not hang on the latency. `{load}` is the `[load]` table's body,
/// `{timings}` more `[timings]` lines.
fn profile(base_url: &str, load: &str, timings: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"

[load]
{load}

[scenarios.browse]
weight = 3
[[scenarios.browse.requests]]
path = "/api/health"
[[scenarios.browse.requests]]
path = "/bytes/100"
parallel = [{{ path = "/bytes/10" }}, {{ path = "/echo" }}]

[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/api/auth/login"
[[scenarios.login.requests]]
path = "/api/health"

[timings]
duration = "3s"
min_request_interval_ms = 100
{timings}
"#
    )
}

/// `klavier check PROFILE --dry-run --json -`: the preview, checked against
/// `schema/preview.v1.json`.
fn predict(ws: &Workspace, profile: &str) -> Value {
    let path = ws.write("preview.toml", profile);
    let output = klavier()
        .args(["check", "--dry-run", "--json", "-"])
        .arg(&path)
        .output()
        .expect("klavier starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "check --dry-run failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let preview: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the preview is not JSON ({e}):\n{stdout}"));
    validate_preview(&preview);
    preview
}

fn validate_preview(preview: &Value) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(repo_file("schema/preview.v1.json"))
            .expect("schema/preview.v1.json is readable");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
    });
    let problems: Vec<String> = validator
        .iter_errors(preview)
        .map(|e| format!("  at {:?}: {e}", e.instance_path.to_string()))
        .collect();
    assert!(
        problems.is_empty(),
        "the preview does not match schema/preview.v1.json:\n{}",
        problems.join("\n")
    );
}

/// The predicted total per request name.
fn predicted_totals(preview: &Value) -> BTreeMap<String, f64> {
    preview["requests"]
        .as_array()
        .expect("requests is a list")
        .iter()
        .map(|r| {
            let name = r["name"].as_str().expect("a name").to_owned();
            (name, r["total"].as_f64().expect("a total"))
        })
        .collect()
}

/// Runs `profile` against the target and compares the target's own counts with the
/// prediction, name by name: each within 10%.
fn assert_prediction_holds(load: &str, timings: &str) {
    let ws = Workspace::new();
    let server = target();
    let text = profile(&server.base_url(), load, timings);
    let predicted = predicted_totals(&predict(&ws, &text));
    run_profile(&ws, &text, &["--seed", "15"]);
    let seen = server.counts();
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        predicted.keys().collect::<Vec<_>>(),
        "every request predicted was sent, and only those"
    );
    for (name, &expected) in &predicted {
        let actual = seen[name] as f64;
        let error = (actual - expected).abs() / expected;
        // Shown with --nocapture: how close the prediction came.
        eprintln!(
            "{name}: predicted {expected:.0}, counted {actual} ({:+.1}%)",
            (actual / expected - 1.0) * 100.0
        );
        assert!(
            error <= 0.10,
            "{name}: predicted {expected:.0}, the target counted {actual} ({:.1}% off)\n\
             predicted: {predicted:?}\nseen: {seen:?}",
            error * 100.0
        );
    }
}

#[test]
fn closed_model_prediction_matches_the_targets_counts() {
    // 200 users, one iteration each 250 ms: 800 iterations a second for 3 s.
    assert_prediction_holds("users = 200", "min_scenario_interval_ms = 250");
}

#[test]
fn open_model_prediction_matches_the_targets_counts() {
    // 800 iterations a second for 3 s; those of the last 100 ms send only their first
    // request.
    assert_prediction_holds("arrival_rate = 800", "");
}

/// `klavier check PROFILE --dry-run` in `ws` with `profile`: its exit code and stdout.
fn dry_run(ws: &Workspace, profile: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let path = ws.write("warn.toml", profile);
    let output = klavier()
        .args(["check", "--dry-run"])
        .arg(&path)
        .args(args)
        .output()
        .expect("klavier starts");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The lines of the text preview's Warnings section.
fn warnings(text: &str) -> Vec<&str> {
    text.split_once("\nWarnings\n")
        .map(|(_, rest)| rest.lines().collect())
        .unwrap_or_default()
}

#[test]
fn warnings_say_what_will_go_wrong_and_when() {
    let ws = Workspace::new();
    let rows: String = std::iter::once("account\n".to_owned())
        .chain((0..400).map(|i| format!("user{i}\n")))
        .collect();
    ws.write("accounts.csv", rows);
    // Five users, one iteration a second: the 401st row is wanted at 80 s.
    let unique = r#"[target]
base_url = "http://127.0.0.1:9"
[load]
users = 5
[data.accounts]
file = "accounts.csv"
strategy = "unique"
[scenarios.only]
[[scenarios.only.requests]]
path = "/users/{{ accounts.account }}"
[timings]
duration = "2m"
min_scenario_interval_ms = 1000
"#;
    let (code, text, stderr) = dry_run(&ws, unique, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        warnings(&text),
        [
            "  ! data \"accounts\": its 400 unique rows (one per iteration) run out after 1m \
          20s, in minute 2; then users that need a row stop (so do the totals here)"
        ]
    );

    // A ramp of 2 s under a 5 s think time, and pacing longer than the test.
    let slow = r#"[target]
base_url = "http://127.0.0.1:9"
[load]
stages = [{ duration = "2s", users = 3 }]
[scenarios.often]
weight = 1000
[[scenarios.often.requests]]
path = "/a"
[scenarios.rare]
[[scenarios.rare.requests]]
path = "/b"
[timings]
duration = "20s"
min_scenario_interval_ms = 30000
think_time = "5s"
"#;
    let (code, text, stderr) = dry_run(&ws, slow, &["--assume-latency", "10ms"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        text.contains("Assuming every exchange takes 10ms (--assume-latency)"),
        "{text}"
    );
    assert_eq!(
        warnings(&text),
        [
            "  ! min_scenario_interval (30s) is not shorter than the test (20s): each user \
             starts one iteration",
            "  ! scenario \"rare\" is expected to run 0.00 times in the whole test: it may \
             never run (raise its weight or the test's length)",
            "  ! stage 1 lasts 2s, shorter than the think_time (mean 5s): few users finish a \
             pause within it",
        ]
    );
}

#[test]
fn a_bad_latency_is_refused_naming_the_flag() {
    let ws = Workspace::new();
    let seed = std::fs::read_to_string(repo_file("examples/seed.toml")).expect("the seed");
    let (code, _, stderr) = dry_run(&ws, &seed, &["--assume-latency", "abc"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--assume-latency"), "{stderr}");
    assert!(stderr.contains("'abc'"), "{stderr}");
}

#[test]
fn unique_data_that_runs_out_ends_the_predicted_totals_too() {
    // The journey example's 50 accounts, each used once, then its users stop: the
    // preview warns and counts 50 of each request, as the target then does.
    let server = target();
    let url = server.base_url();
    let journey = repo_file("examples/journey.toml");
    let output = klavier()
        .args(["check", "--dry-run", "--json", "-", "--base-url", &url])
        .arg(&journey)
        .output()
        .expect("klavier starts");
    let preview: Value = serde_json::from_slice(&output.stdout).expect("the preview is JSON");
    validate_preview(&preview);
    let warning = preview["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.starts_with("data \"accounts\": its 50 unique rows (one per iteration) run out"),
        "{warning}"
    );
    let predicted = predicted_totals(&preview);
    assert_eq!(
        predicted,
        BTreeMap::from([
            ("login".to_owned(), 50.0),
            ("logout".to_owned(), 50.0),
            ("me".to_owned(), 50.0),
        ])
    );

    let ws = Workspace::new();
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&journey)
        .args(["--quiet", "--base-url", &url, "--duration", "5s", "--json"])
        .arg(&json);
    crate::support::run_ok(&mut cmd, &json);
    let seen = server.counts();
    for path in [
        "POST /api/session/login",
        "GET /api/session/me",
        "POST /api/session/logout",
    ] {
        assert_eq!(seen.get(path), Some(&50), "{path}: {seen:?}");
    }
}

#[test]
fn more_users_than_file_descriptors_is_a_warning_against_the_hard_limit() {
    // Under a hard open-file limit of 64 (set by the shell for this process only),
    // 100 users need 100 connections plus the process's own: 16 + 4 per worker thread.
    let ws = Workspace::new();
    let seed = std::fs::read_to_string(repo_file("examples/seed.toml")).expect("the seed");
    let path = ws.write("seed.toml", seed);
    let script = format!(
        "ulimit -Sn 64 && ulimit -Hn 64 && exec '{}' check --dry-run --users 100 '{}'",
        crate::support::klavier_path().display(),
        path.display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh starts");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let needed = 100 + 16 + 4 * threads;
    assert!(
        text.contains(&format!(
            "100 users at the peak, 1 origin: 100 connections, about {needed} file descriptors;\n  \
             open-file limit 64 soft, 64 hard (raised to the hard one at start): too few"
        )),
        "{text}"
    );
    assert_eq!(
        warnings(&text),
        [format!(
            "  ! about {needed} file descriptors are needed, more than the hard open-file limit \
             (64): connections beyond it fail; raise it (`ulimit -Hn` as root, or LimitNOFILE= \
             for a service)"
        )]
    );
}
