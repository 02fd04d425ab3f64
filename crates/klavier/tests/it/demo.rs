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
}
