//! The HTML report in a real browser: Debian's headless Chromium loads the file from
//! disk (no network), must render the tables and charts with no console error, and
//! shows names that try to inject markup as text. `klavier report` renders the saved
//! JSON result to the very same file.

use std::path::Path;
use std::process::Command;

use crate::support::{klavier, read_result, target, Workspace};

/// A profile whose request name tries to inject a script.
fn profile(base_url: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"
[scenarios.ok]
weight = 3
[[scenarios.ok.requests]]
name = "<script>document.title='injected'</script>"
path = "/api/health"
[scenarios.broken]
[[scenarios.broken.requests]]
path = "/status/503"
[timings]
test_duration_seconds = 2
min_scenario_interval_ms = 20
[thresholds]
run = ["p99 < 1h", "error_rate < 1%"]
"#
    )
}

/// Chromium's rendering of `page`: (the DOM after load, what it logged).
pub fn chromium(page: &Path) -> (String, String) {
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| {
            panic!("chromium is needed to check the HTML report (scripts/test installs Debian's chromium): {e}")
        });
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

#[test]
fn the_html_report_renders_in_chromium_with_names_as_text() {
    let server = target();
    let ws = Workspace::new();
    let path = ws.write("p.toml", profile(&server.base_url()));
    let (html, json) = (ws.path("report.html"), ws.path("result.json"));
    let output = klavier()
        .arg("run")
        .arg(&path)
        .args(["--quiet", "--users", "2", "--html"])
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("klavier starts");
    assert_eq!(output.status.code(), Some(3), "error_rate < 1% fails");
    read_result(&json);

    let (dom, log) = chromium(&html);
    for id in [
        "thresholds",
        "charts",
        "requests",
        "scenarios",
        "breakdowns",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\"")),
            "{id} missing:\n{dom}"
        );
    }
    assert_eq!(
        dom.matches("<svg").count(),
        4,
        "three charts over time and the spectrum"
    );
    assert!(dom.matches("<polyline").count() >= 6, "every series drawn");
    assert!(
        dom.contains("<title>Klavier · p</title>"),
        "the name did not run as a script"
    );
    assert!(dom.contains("&lt;script&gt;document.title='injected'&lt;/script&gt;"));
    assert!(!dom.contains("<script"), "no script element at all");
    assert!(dom.contains("1 of 2 failed"));
    assert!(
        !log.contains(":CONSOLE("),
        "the page logged to the console: {log}"
    );

    // The same result, saved and rendered again, makes the same report.
    let again = ws.path("again.html");
    let output = klavier()
        .arg("report")
        .arg(&json)
        .arg("--html")
        .arg(&again)
        .output()
        .expect("klavier starts");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |p: &Path| std::fs::read_to_string(p).expect("the report was written");
    assert_eq!(read(&again), read(&html));
}

#[test]
fn report_refuses_a_file_that_is_not_a_result() {
    let ws = Workspace::new();
    let bad = ws.write("bad.json", "{\"schema\": \"something else\"}");
    let output = klavier()
        .arg("report")
        .arg(&bad)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.json:1:"), "{stderr}");
    assert!(
        stderr.contains("not a klavier.result/v1 JSON result"),
        "{stderr}"
    );
}
