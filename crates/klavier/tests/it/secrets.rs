//! Secrets never reach an output: a URL's password, secret query values (by name or
//! named in `[target] redact`), credential headers and `env()` values are absent from
//! `check`'s plan, the summary, the JSON result and error messages. `insecure = true`
//! is warned about loudly.

use crate::support::{klavier, target, Workspace};

const TOKEN: &str = "tok-6f1c2a";
const TENANT: &str = "tenant-93b7";
const ENV_SECRET: &str = "env-secret-4d8e";

/// Asserts none of the secrets is in `text`.
fn assert_no_secret(text: &str, what: &str) {
    for secret in [TOKEN, TENANT, ENV_SECRET, "hunter2"] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into {what}:\n{text}"
        );
    }
}

fn profile(base_url: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"
redact = ["tenant", "X-Tenant-Key"]
headers = {{ Authorization = "Bearer {{{{ env(\"KLAVIER_IT_SECRET\") }}}}", "X-Tenant-Key" = "{TENANT}" }}

[scenarios.s]
[[scenarios.s.requests]]
path = "/api/health?access_token={TOKEN}&tenant={TENANT}&page=2"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#
    )
}

#[test]
fn no_secret_reaches_check_the_summary_the_json_or_stderr() {
    let ws = Workspace::new();
    let server = target();
    let path = ws.write("profile.toml", profile(&server.base_url()));
    let json = ws.path("result.json");
    let check = klavier()
        .arg("check")
        .arg(&path)
        .env("KLAVIER_IT_SECRET", ENV_SECRET)
        .output()
        .expect("klavier starts");
    assert_eq!(check.status.code(), Some(0));
    let plan = String::from_utf8_lossy(&check.stdout);
    assert!(
        plan.contains("access_token=***&tenant=***&page=2"),
        "{plan}"
    );
    assert_no_secret(&plan, "check");

    let run = klavier()
        .arg("run")
        .arg(&path)
        .args(["--quiet", "--users", "1", "--json"])
        .arg(&json)
        .env("KLAVIER_IT_SECRET", ENV_SECRET)
        .output()
        .expect("klavier starts");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("GET /api/health?access_token=***"),
        "{stdout}"
    );
    assert_no_secret(&stdout, "the summary");
    assert_no_secret(&stderr, "stderr");
    let result = crate::support::read_result(&json);
    assert_no_secret(&result.to_string(), "the JSON result");
    // The secrets were sent all the same: redaction is for outputs only.
    let sent = server.counts();
    assert!(sent.values().sum::<u64>() > 0, "{sent:?}");
}

#[test]
fn a_password_in_a_url_is_not_repeated_in_the_error() {
    let ws = Workspace::new();
    let path = ws.write(
        "profile.toml",
        profile("http://alice:hunter2@127.0.0.1:9")
            .replace("{{ env(\\\"KLAVIER_IT_SECRET\\\") }}", "x"),
    );
    let output = klavier()
        .arg("check")
        .arg(&path)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("alice:***@127.0.0.1"), "{stderr}");
    assert_no_secret(&stderr, "the error");
}

#[test]
fn insecure_is_warned_about_loudly() {
    let ws = Workspace::new();
    let path = ws.write(
        "profile.toml",
        "[target]\nbase_url = \"https://127.0.0.1:9\"\ninsecure = true\n\
         [scenarios.s]\n[[scenarios.s.requests]]\npath = \"/\"\n\
         [timings]\ntest_duration_seconds = 1\n",
    );
    let output = klavier()
        .arg("check")
        .arg(&path)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("WARNING: insecure = true"), "{stderr}");
    assert!(stderr.contains("NOT verified"), "{stderr}");
}
