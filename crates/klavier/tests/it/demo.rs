//! `klavier demo`: the bundled profile against the built-in target, nothing else needed.

use crate::support::{klavier, request_counts, rows, run_ok, uint, Workspace};

#[test]
fn the_demo_runs_every_scenario_and_reports() {
    let ws = Workspace::new();
    let json = ws.path("demo.json");
    let mut cmd = klavier();
    cmd.args(["demo", "--duration", "2s", "--quiet", "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let result = &run.result;

    #[rustfmt::skip]
    let scenarios = [
        "health_check",  // weight 6
        "login",         // weight 3, two requests
        "report",        // weight 1, a slow endpoint
        "broken",        // weight 1, always 503
    ];
    let rows_by_name = rows(result, "scenarios");
    for name in scenarios {
        let row = rows_by_name
            .get(name)
            .unwrap_or_else(|| panic!("no scenario {name} in {result}"));
        assert!(uint(row, "iterations") > 0, "{name} never ran: {row}");
        assert!(
            run.stdout.contains(name),
            "{name} missing from the summary:\n{}",
            run.stdout
        );
    }
    let counts = request_counts(result);
    assert_eq!(
        counts.len(),
        rows(result, "requests").len(),
        "every request was sent: {counts:?}"
    );
    // The failing endpoint is the demo's only source of failures.
    let totals = &result["totals"];
    assert_eq!(
        uint(totals, "failures"),
        counts["GET /status/503"],
        "{totals}"
    );
    assert!(uint(totals, "count") > 0);
    // It says its failures are on purpose, and its summary fits 100 columns (not a
    // terminal: no colour codes either).
    assert!(
        run.stdout.contains("GET /status/503 fails on purpose"),
        "{}",
        run.stdout
    );
    for line in run.stdout.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line:?}"
        );
        assert!(
            !line.contains('\x1b'),
            "a colour code outside a terminal: {line:?}"
        );
    }
}

#[test]
fn wide_shows_every_column() {
    let ws = Workspace::new();
    let json = ws.path("demo.json");
    let mut cmd = klavier();
    cmd.args(["demo", "--duration", "1s", "--quiet", "--wide", "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let header = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Requests"))
        .expect("the requests table");
    for column in ["stddev", "min", "p99.9", "p95", "mean"] {
        assert!(header.contains(column), "{column} missing from {header:?}");
    }
}
