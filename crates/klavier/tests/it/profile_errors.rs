//! Bad profiles and bad flags, through the binary: exit code 2 and one clear message
//! on stderr naming the file, line and column, the field and the problem. Good
//! profiles check cleanly and show what they mean.

use std::path::Path;
use std::process::Output;

use crate::support::{klavier, repo_file, Workspace};

/// The smallest valid profile; each case below breaks it in one way.
const VALID: &str = r#"[target]
base_url = "http://127.0.0.1:8080"

[scenarios.health]
weight = 1
[[scenarios.health.requests]]
method = "GET"
path = "/api/health"

[timings]
test_duration_seconds = 5
"#;

/// One broken profile and what its error must say.
struct Case {
    /// The profile text.
    profile: String,
    /// `LINE:COLUMN` of the problem.
    at: &'static str,
    /// The field named (empty for TOML syntax errors, which have none).
    field: &'static str,
    /// Fragments of the problem's description, all required.
    says: &'static [&'static str],
}

fn case(
    profile: impl Into<String>,
    at: &'static str,
    field: &'static str,
    says: &'static [&'static str],
) -> Case {
    Case {
        profile: profile.into(),
        at,
        field,
        says,
    }
}

/// `VALID` with `from` replaced by `to` (which must occur).
fn edit(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from:?} is not in the valid profile");
    VALID.replacen(from, to, 1)
}

#[test]
fn invalid_profiles_are_rejected_with_file_line_column_field_and_problem() {
    #[rustfmt::skip]
    let cases = [
        // Not TOML at all: an unclosed table header.
        case(edit("[timings]", "[timings"), "10:9", "", &["TOML syntax error", "invalid table header"]),
        // [target] without its one required key.
        case(edit("base_url = \"http://127.0.0.1:8080\"", "timeout = \"5s\""), "1:1", "target.base_url", &["base_url is missing", "--base-url"]),
        // A scheme Klavier does not speak.
        case(edit("http://127.0.0.1:8080", "ftp://127.0.0.1:21"), "2:12", "target.base_url", &["http:// or https://", "\"ftp\""]),
        // Nothing to run.
        case(VALID.split("[scenarios.health]").next().unwrap_or_default().to_owned() + "[timings]\ntest_duration_seconds = 5\n",
             "1:1", "scenarios", &["no scenarios"]),
        // A scenario that sends nothing.
        case(edit("[[scenarios.health.requests]]\nmethod = \"GET\"\npath = \"/api/health\"\n", ""),
             "4:1", "scenarios.health", &["no requests"]),
        // Weights are positive integers: neither zero…
        case(edit("weight = 1", "weight = 0"), "5:10", "scenarios.health.weight", &["positive integer", "found 0"]),
        // …nor negative.
        case(edit("weight = 1", "weight = -1"), "5:10", "scenarios.health.weight", &["positive integer", "found -1"]),
        // A method is one token.
        case(edit("method = \"GET\"", "method = \"GE T\""), "7:10", "scenarios.health.requests[0].method", &["\"GE T\"", "not a valid HTTP method"]),
        // A header name is one token too.
        case(edit("path = \"/api/health\"", "path = \"/api/health\"\nheaders = { \"Bad Header\" = \"x\" }"),
             "9:13", "scenarios.health.requests[0].headers", &["invalid header name", "\"Bad Header\""]),
        // A duration cannot be negative.
        case(edit("test_duration_seconds = 5", "test_duration_seconds = -5"), "11:25", "timings.test_duration_seconds", &["positive integer", "found -5"]),
        // A misspelt key is an error, with the key it probably meant.
        case(edit("weight = 1", "wieght = 1"), "5:1", "scenarios.health.wieght", &["unknown key \"wieght\"", "did you mean \"weight\""]),
        // The same key twice.
        case(edit("weight = 1", "weight = 1\nweight = 2"), "6:1", "", &["duplicate key `weight`"]),
    ];
    let ws = Workspace::new();
    for (i, case) in cases.iter().enumerate() {
        let path = ws.write(&format!("case{i}.toml"), &case.profile);
        for command in ["check", "run"] {
            let output = klavier()
                .arg(command)
                .arg(&path)
                .output()
                .expect("klavier starts");
            let stderr = assert_bad_input(
                &output,
                &format!("klavier {command} case {i}:\n{}", case.profile),
            );
            // One problem, reported once.
            let mentions = stderr.matches(&path.display().to_string()).count();
            assert_eq!(
                mentions, 1,
                "klavier {command} case {i}: one diagnostic:\n{stderr}"
            );
            let position = format!("{}:{}", path.display(), case.at);
            let mut wanted = vec![position.as_str(), case.field];
            wanted.extend(case.says);
            for fragment in wanted {
                assert!(
                    stderr.contains(fragment),
                    "klavier {command} case {i}: {fragment:?} missing from stderr:\n{stderr}\nprofile:\n{}",
                    case.profile
                );
            }
        }
    }
}

/// Asserts exit code 2, nothing on stdout and a single `error:` on stderr; returns stderr.
fn assert_bad_input(output: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
    assert_eq!(errors, 1, "{what}: one error message:\n{stderr}");
    assert!(stdout.is_empty(), "{what}: nothing on stdout:\n{stdout}");
    stderr
}

#[test]
fn a_missing_profile_is_named_in_the_error() {
    let ws = Workspace::new();
    let missing = ws.path("nowhere.toml");
    for command in ["check", "run"] {
        let output = klavier()
            .arg(command)
            .arg(&missing)
            .output()
            .expect("klavier starts");
        let stderr = assert_bad_input(&output, &format!("klavier {command} on a missing file"));
        assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
        // The operating system's reason, said once.
        let reason = std::fs::read(&missing)
            .expect_err("the file is missing")
            .to_string();
        assert_eq!(
            stderr.matches(&reason).count(),
            1,
            "{reason:?} once in:\n{stderr}"
        );
    }
}

#[test]
fn a_profile_that_is_not_utf8_is_pointed_at() {
    let ws = Workspace::new();
    // Line 2, column 13: the byte 0xFF inside the base URL.
    let mut bytes = b"[target]\nbase_url = \"".to_vec();
    bytes.push(0xFF);
    bytes.extend_from_slice(&VALID.as_bytes()["[target]\nbase_url = \"".len()..]);
    let path = ws.write("latin1.toml", bytes);
    for command in ["check", "run"] {
        let output = klavier()
            .arg(command)
            .arg(&path)
            .output()
            .expect("klavier starts");
        let stderr = assert_bad_input(&output, &format!("klavier {command} on a non-UTF-8 file"));
        let position = format!("{}:2:13", path.display());
        assert!(
            stderr.contains(&position),
            "{position:?} missing:\n{stderr}"
        );
        assert!(stderr.contains("UTF-8"), "{stderr}");
    }
}

#[test]
fn a_bad_duration_flag_is_bad_usage() {
    let ws = Workspace::new();
    let path = ws.write("ok.toml", VALID);
    #[rustfmt::skip]
    let cases = [
        ("ten", &["--duration", "ten"][..]),  // not a duration
        ("0s", &["--duration", "0s"][..]),    // not longer than zero
    ];
    for (value, fragments) in cases {
        let output = klavier()
            .arg("run")
            .arg(&path)
            .args(["--duration", value])
            .output()
            .expect("klavier starts");
        let stderr = assert_bad_input(&output, &format!("--duration {value}"));
        for fragment in fragments {
            assert!(stderr.contains(fragment), "{fragment:?} missing:\n{stderr}");
        }
    }
}

/// `klavier check` on a repository profile: exit 0 and the plan on stdout.
fn check_ok(profile: &Path) -> String {
    let output = klavier()
        .arg("check")
        .arg(profile)
        .output()
        .expect("klavier starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    stdout
}

#[test]
fn the_seed_profile_checks_and_shows_its_five_to_one_split() {
    let plan = check_ok(&repo_file("examples/seed.toml"));
    #[rustfmt::skip]
    let expected = [
        ("health_check", "83.3%"),  // weight 5 of 6
        ("login", "16.7%"),         // weight 1 of 6
    ];
    for (scenario, share) in expected {
        let line = plan
            .lines()
            .find(|l| l.contains(scenario))
            .unwrap_or_else(|| panic!("no line for {scenario}:\n{plan}"));
        assert!(
            line.contains(share),
            "{scenario} should be {share}: {line:?}\n{plan}"
        );
    }
    assert!(plan.contains("/api/auth/login"), "{plan}");
}

#[test]
fn the_demo_profile_checks_and_shows_its_weights() {
    let plan = check_ok(&repo_file("examples/demo.toml"));
    #[rustfmt::skip]
    let expected = [
        ("health_check", "54.5%"),  // weight 6 of 11
        ("login", "27.3%"),         // weight 3 of 11
        ("report", "9.1%"),         // weight 1 of 11
        ("broken", "9.1%"),         // weight 1 of 11
    ];
    for (scenario, share) in expected {
        let line = plan
            .lines()
            .find(|l| l.contains(scenario))
            .unwrap_or_else(|| panic!("no line for {scenario}:\n{plan}"));
        assert!(
            line.contains(share),
            "{scenario} should be {share}: {line:?}\n{plan}"
        );
    }
}

#[test]
fn check_into_a_closed_pipe_is_success() {
    // `klavier check p.toml | head -1`: once the reader has gone, writing fails with a
    // broken pipe, which is success (as for ripgrep), not a panic. The plan is larger
    // than a pipe's buffer, so the write is still blocked when the reader closes (and
    // within the 1,000 scenarios a profile may have).
    let ws = Workspace::new();
    let mut profile = VALID.to_owned();
    for i in 0..900 {
        let route = format!("/api/health/{i:04}/{}", "x".repeat(40));
        profile.push_str(&format!(
            "[scenarios.s{i}]\n[[scenarios.s{i}.requests]]\npath = \"{route}\"\n"
        ));
    }
    let path = ws.write("big.toml", profile);
    let mut child = std::process::Command::new(crate::support::klavier_path())
        .arg("check")
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("klavier starts");
    drop(child.stdout.take()); // the reader goes away at once
    let output = child.wait_with_output().expect("klavier exits");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
