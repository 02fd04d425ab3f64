//! `klavier import`: a HAR recording of a journey against the built-in target (and a
//! second origin) and real-world curl lines become profiles that pass `klavier check`
//! and, run, send what the recording or the command implies — counted by the servers.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{klavier, repo_file, request_counts, rows, run_ok, target, uint, Workspace};

/// The fixture's recorded origins: the application and a second origin.
const RECORDED_BASE: &str = "http://127.0.0.1:8080";
const RECORDED_OTHER: &str = "http://127.0.0.1:8081";

/// `klavier ARGS…`, expecting exit code 0; returns stderr.
fn ok(args: &[&str], at: &Path) -> String {
    let output = klavier()
        .args(args)
        .current_dir(at)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "klavier {args:?}: {output:?}\n{stderr}"
    );
    stderr
}

#[test]
fn a_har_journey_imports_checks_and_runs_as_recorded() {
    let (app, other) = (target(), target());
    let ws = Workspace::new();
    let har = std::fs::read_to_string(repo_file("crates/klavier/tests/fixtures/journey.har"))
        .expect("the fixture")
        .replace(RECORDED_BASE, &app.base_url())
        .replace(RECORDED_OTHER, &other.base_url());
    ws.write("journey.har", har);

    // The default, a scenario per page, passes check too.
    ok(
        &["import", "har", "journey.har", "-o", "pages.toml"],
        ws.dir(),
    );
    ok(&["check", "pages.toml"], ws.dir());

    let said = ok(
        &[
            "import",
            "har",
            "journey.har",
            "--scenario-per",
            "recording",
            "-o",
            "journey.toml",
        ],
        ws.dir(),
    );
    assert!(said.contains("9 request(s) in 1 scenario(s)"), "{said}");
    ok(&["check", "journey.toml"], ws.dir());
    let json = ws.path("result.json");
    let mut run = klavier();
    run.current_dir(ws.dir())
        .args(["run", "journey.toml", "-u", "1", "-d", "3s", "-q", "--json"])
        .arg(&json);
    let finished = run_ok(&mut run, &json);
    let result = &finished.result;

    // Each iteration sends each recorded request once, in recorded order (the last
    // iteration may be cut short by the end of the run): what the servers counted.
    let recorded = [
        (&app, "GET /api/health"),
        (&other, "GET /api/health"),
        (&app, "POST /api/session/login"),
        (&app, "GET /api/session/me"),
        (&app, "GET /echo"),
        (&app, "POST /echo"),
        (&app, "POST /api/session/logout"),
        (&app, "GET /cookies/set"),
        (&app, "GET /cookies"),
    ];
    let (app_seen, other_seen) = (app.counts(), other.counts());
    let counts: Vec<u64> = recorded
        .iter()
        .map(|(server, key)| {
            let seen = if std::ptr::eq(*server, &app) {
                &app_seen
            } else {
                &other_seen
            };
            seen.get(*key).copied().unwrap_or(0)
        })
        .collect();
    let iterations = counts[0];
    assert!(iterations >= 2, "{counts:?}");
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]) && iterations - counts[8] <= 1,
        "each iteration sends every request once, in order: {counts:?}"
    );
    assert_eq!(app_seen.len(), 8, "no asset or other path: {app_seen:?}");
    assert_eq!(other_seen.len(), 1, "{other_seen:?}");

    let sent: u64 = request_counts(result).values().sum();
    let seen: u64 = app_seen.values().chain(other_seen.values()).sum();
    assert_eq!(sent, seen, "sent vs seen by the servers");
    for (name, row) in rows(result, "requests") {
        for field in ["failures", "check_failures", "skipped"] {
            assert_eq!(uint(row, field), 0, "{name}: {field}: {row}");
        }
    }
    // The token each login answered was carried to me and logout (and the right user's).
    let accounts = app.state().accounts().report();
    assert_eq!(accounts.logins.get("ann"), Some(&counts[2]), "{accounts:?}");
    assert_eq!(
        accounts.authorized.get("ann"),
        Some(&(counts[3] + counts[6])),
        "{accounts:?}"
    );
    assert_eq!(
        (accounts.rejected, accounts.mismatched),
        (0, 0),
        "{accounts:?}"
    );
}

#[test]
fn bad_recordings_are_exit_2_naming_the_file_and_the_problem() {
    let ws = Workspace::new();
    let cases = [
        (
            "broken.har",
            "{\"log\": {\n  \"entries\": [,",
            "broken.har:2:15: not JSON: expected value",
        ),
        (
            "other.har",
            r#"{"entries": []}"#,
            "other.har:1:15: not a HAR 1.2 recording: missing field `log`",
        ),
        (
            "empty.har",
            r#"{"log": {"version": "1.2", "entries": []}}"#,
            "empty.har: the recording has no entries",
        ),
    ];
    for (name, text, expected) in cases {
        ws.write(name, text);
        let output = klavier()
            .args(["import", "har", name])
            .current_dir(ws.dir())
            .output()
            .expect("starts");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    let missing = klavier()
        .args(["import", "har", "nowhere.har"])
        .current_dir(ws.dir())
        .output()
        .expect("starts");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read nowhere.har"));
}

/// Imports the curl command `args` (after `klavier import curl`), checks and runs the
/// profile against `server`; returns the server's counts, Klavier's and the import's stderr.
fn run_curl(
    server: &klavier_testbed::RunningTarget,
    args: &[&str],
) -> (BTreeMap<String, u64>, BTreeMap<String, u64>, String) {
    let ws = Workspace::new();
    let mut import = vec!["import", "curl", "-o", "curl.toml"];
    import.extend_from_slice(args);
    let said = ok(&import, ws.dir());
    ok(&["check", "curl.toml"], ws.dir());
    let json = ws.path("result.json");
    let mut run = klavier();
    run.current_dir(ws.dir())
        .args(["run", "curl.toml", "-u", "2", "-d", "1s", "-q", "--json"])
        .arg(&json);
    let finished = run_ok(&mut run, &json);
    for (name, row) in rows(&finished.result, "requests") {
        assert_eq!(uint(row, "failures"), 0, "{name}: {row}");
    }
    (server.counts(), request_counts(&finished.result), said)
}

#[test]
fn curl_lines_run_against_the_built_in_target() {
    // Devtools style, as one string.
    let server = target();
    let line = format!(
        r#"curl '{}/api/session/login' -H 'content-type: application/json' --data-raw $'{{"username":"ann","password":"it\'s"}}' --compressed"#,
        server.base_url()
    );
    let (seen, sent, _) = run_curl(&server, &[&line]);
    let logins = sent["POST /api/session/login"];
    assert!(logins > 0, "{sent:?}");
    assert_eq!(
        seen,
        BTreeMap::from([("POST /api/session/login".to_owned(), logins)])
    );
    let accounts = server.state().accounts().report();
    assert_eq!(
        accounts.logins.get("ann"),
        Some(&logins),
        "the JSON body arrived whole"
    );

    // Stripe style, as words after `--`, with options that only change curl's output.
    let server = target();
    let url = format!("{}/echo", server.base_url());
    let (seen, sent, said) = run_curl(
        &server,
        &[
            "--",
            "curl",
            "-sS",
            &url,
            "-u",
            "sk_test_abc:",
            "-d",
            "amount=2000",
            "-d",
            "currency=usd",
        ],
    );
    assert!(said.contains("ignored -s (--silent)"), "{said}");
    assert_eq!(seen, sent, "{seen:?} vs {sent:?}");
    assert!(seen["POST /echo"] > 0, "{seen:?}");

    // -G: the data goes into the query, which the server does not count by.
    let server = target();
    let line = format!(
        "curl -G {}/echo --data-urlencode 'q=hello world'",
        server.base_url()
    );
    let (seen, sent, _) = run_curl(&server, &[&line]);
    let gets = sent["GET /echo?q=hello+world"];
    assert_eq!(seen, BTreeMap::from([("GET /echo".to_owned(), gets)]));
}

#[test]
fn an_unsupported_curl_option_is_named() {
    let output = klavier()
        .args([
            "import",
            "curl",
            "curl -F file=@a.png http://127.0.0.1:9/up",
        ])
        .output()
        .expect("starts");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("-F (--form)"), "{stderr}");
}

#[test]
fn imported_profiles_are_valid_against_the_profile_schema() {
    let ws = Workspace::new();
    let har = repo_file("crates/klavier/tests/fixtures/journey.har");
    let har = har.to_str().expect("a UTF-8 path");
    let curl = "curl -k -u key: --json '{\"a\":[1,2.5,true]}' https://127.0.0.1:9/x -m 3";
    let imports: [&[&str]; 4] = [
        &["import", "har", har],
        &["import", "har", har, "--scenario-per", "recording"],
        &["import", "har", har, "--include-assets", "--keep-auth"],
        &["import", "curl", curl],
    ];
    let validator = crate::schema::validator();
    for args in imports {
        let output = klavier()
            .args(args)
            .current_dir(ws.dir())
            .output()
            .expect("starts");
        assert!(output.status.success(), "{args:?}: {output:?}");
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        let profile = crate::schema::as_json(&text, "imported");
        let problems = crate::schema::problems(&validator, &profile);
        assert!(problems.is_empty(), "{args:?}: {problems:?}\n{text}");
    }
}

#[test]
fn the_cookbook_shows_what_import_writes() {
    // The cookbook's recording: the fixture's journey without its second origin.
    let ws = Workspace::new();
    let text = std::fs::read_to_string(repo_file("crates/klavier/tests/fixtures/journey.har"))
        .expect("the fixture");
    let mut har: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let entries = har["log"]["entries"].as_array_mut().expect("entries");
    entries.retain(|e| {
        !e["request"]["url"]
            .as_str()
            .unwrap_or("")
            .contains(":8081/")
    });
    ws.write("journey.har", har.to_string());
    let output = klavier()
        .args([
            "import",
            "har",
            "journey.har",
            "--scenario-per",
            "recording",
        ])
        .current_dir(ws.dir())
        .output()
        .expect("starts");
    assert!(output.status.success(), "{output:?}");
    let written = String::from_utf8(output.stdout).expect("UTF-8");
    let page = std::fs::read_to_string(repo_file("docs/cookbook.md")).expect("the cookbook");
    let shown = page
        .split_once("<!-- file: recorded.toml -->\n```toml\n")
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .map(|(block, _)| block)
        .expect("docs/cookbook.md shows recorded.toml");
    assert_eq!(shown, written, "update docs/cookbook.md's recorded.toml");
}
