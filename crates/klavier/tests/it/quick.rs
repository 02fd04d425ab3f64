//! Quick mode: `klavier run --url URL` with no profile file, on the real binary.

use crate::support::{klavier, request_counts, run_ok, target, uint, Workspace};

#[test]
fn one_url_is_load_tested_without_a_profile() {
    let ws = Workspace::new();
    let server = target();
    let json = ws.path("result.json");
    let url = format!("{}/echo?from=quick", server.base_url());
    let mut cmd = klavier();
    cmd.args([
        "run", "--url", &url, "-u", "2", "-d", "1s", "-q", "-X", "POST",
    ])
    .args(["-H", "Content-Type: text/plain", "-H", "X-Quick: yes"])
    .args(["--body", "hello", "--threshold", "error_rate < 1%"])
    .arg("--json")
    .arg(&json);
    let run = run_ok(&mut cmd, &json);
    // The row keeps the query; the target counts without it.
    let counts = request_counts(&run.result);
    let sent = counts["POST /echo?from=quick"];
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert!(sent > 0, "{counts:?}");
    let seen = server.counts();
    assert_eq!(
        seen,
        [("POST /echo".to_owned(), sent)].into(),
        "sent vs seen"
    );
    assert_eq!(run.result["profile"], "quick");
    let thresholds = run.result["thresholds"].as_array().expect("thresholds");
    assert_eq!(thresholds.len(), 1, "{thresholds:?}");
    assert_eq!(uint(&run.result["totals"], "count"), sent);
}

/// Runs `klavier run ARGS…`, which must be refused as bad usage; returns stderr.
fn refused(args: &[&str]) -> String {
    let output = klavier()
        .arg("run")
        .args(args)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    stderr
}

#[test]
fn bad_quick_flags_are_named() {
    let stderr = refused(&["--url", "http://127.0.0.1:9/", "-H", "no colon here"]);
    assert!(stderr.contains("--header"), "{stderr}");
    assert!(stderr.contains("NAME: VALUE"), "{stderr}");
    let stderr = refused(&["--url", "http://127.0.0.1:9/", "-H", "X-Bad: a\u{1}b"]);
    assert!(stderr.contains("-H: "), "{stderr}");
    let stderr = refused(&["--url", "ftp://127.0.0.1/file", "-d", "1s"]);
    assert!(stderr.contains("--url: "), "{stderr}");
    assert!(
        stderr.contains("not an http:// or https:// URL"),
        "{stderr}"
    );
    let stderr = refused(&["-u", "2"]);
    assert!(
        stderr.contains("--url"),
        "a profile or --url is needed: {stderr}"
    );
}
