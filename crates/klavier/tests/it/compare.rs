//! `klavier compare` on real runs of the built-in target: a result against itself is
//! no regression; the same profile with a deliberate 20 ms slowdown (`/delay/5` →
//! `/delay/25`) is one (exit 3); results of different profiles are refused (exit 2).

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{klavier, read_result, target, Workspace};

const PROFILE: &str = r#"[target]
base_url = "http://127.0.0.1:9"
[variables]
ms = "5"
[scenarios.s]
[[scenarios.s.requests]]
name = "work"
path = "/delay/{{ ms }}"
[timings]
test_duration_seconds = 2
"#;

fn run(ws: &Workspace, base_url: &str, profile: &str, ms: &str, out: &str) -> PathBuf {
    let path = ws.write(profile, PROFILE);
    let json = ws.path(out);
    let output = klavier()
        .arg("run")
        .arg(&path)
        .args(["--quiet", "--users", "2", "--base-url", base_url, "--var"])
        .arg(format!("ms={ms}"))
        .arg("--json")
        .arg(&json)
        .output()
        .expect("klavier starts");
    assert_eq!(output.status.code(), Some(0));
    read_result(&json);
    json
}

fn compare(base: &Path, new: &Path) -> (Output, String) {
    let output = klavier()
        .arg("compare")
        .arg(base)
        .arg(new)
        .output()
        .expect("klavier starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

#[test]
fn a_deliberate_slowdown_is_a_regression_and_the_same_run_is_not() {
    let server = target();
    let ws = Workspace::new();
    let url = server.base_url();
    let base = run(&ws, &url, "p.toml", "5", "base.json");
    let slow = run(&ws, &url, "p.toml", "25", "slow.json");

    let (output, stdout) = compare(&base, &base);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("No significant regression."), "{stdout}");

    let (output, stdout) = compare(&base, &slow);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    // The same verdict as a page, rendered by a real browser.
    let page = ws.path("compare.html");
    let output = klavier()
        .arg("compare")
        .arg(&base)
        .arg(&slow)
        .arg("--html")
        .arg(&page)
        .output()
        .expect("klavier starts");
    assert_eq!(output.status.code(), Some(3));
    let (dom, log) = crate::html::chromium(&page);
    assert!(dom.contains("<section id=\"comparison\">"), "{dom}");
    assert!(
        dom.contains("REGRESSION") && dom.contains("1 regression(s)"),
        "{dom}"
    );
    assert!(!log.contains(":CONSOLE("), "{log}");
    let row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("work"))
        .expect("a row for the request");
    assert!(row.ends_with("REGRESSION"), "{row}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("significant regression"), "{stderr}");

    // The other way round, it got faster: no regression.
    let (output, stdout) = compare(&slow, &base);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("faster"), "{stdout}");
}

#[test]
fn results_of_different_profiles_are_refused() {
    let server = target();
    let ws = Workspace::new();
    let url = server.base_url();
    let a = run(&ws, &url, "a.toml", "1", "a.json");
    let b = run(&ws, &url, "b.toml", "1", "b.json");
    let (output, _) = compare(&a, &b);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("compare runs of the same profile"),
        "{stderr}"
    );
}
