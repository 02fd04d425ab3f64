//! Paths that start with a template, end to end: `path = "{{ prefix }}/items"` goes
//! where it renders; one that renders to no valid URI fails as `invalid_url`, counted
//! as a failed request, with the rendered value and the character at fault in the
//! report, and is never sent.

use std::collections::BTreeMap;

use crate::support::{request, run_profile, tally, target, uint, Workspace};

#[test]
fn a_templated_path_goes_where_it_renders_and_an_invalid_one_fails_as_invalid_url() {
    let api = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{base}"

[variables]
prefix = "/api"
spaced = "/a b"
bare = "api"

[scenarios.s]
[[scenarios.s.requests]]
name = "health"
path = "{{{{ prefix }}}}/health"

[[scenarios.s.requests]]
name = "spaced"
path = "{{{{ spaced }}}}/x"

[[scenarios.s.requests]]
name = "bare"
path = "{{{{ bare }}}}/health"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#,
        base = api.base_url()
    );
    let run = run_profile(&ws, &profile, &["--users", "1"]);
    let health = request(&run.result, "health");
    let sent = uint(health, "count");
    assert!(sent > 0, "{health}");
    // Only the valid path reached the server.
    assert_eq!(
        api.counts(),
        BTreeMap::from([("GET /api/health".to_owned(), sent)])
    );
    for name in ["spaced", "bare"] {
        let row = request(&run.result, name);
        let count = uint(row, "count");
        assert_eq!(count, sent, "one per iteration: {row}");
        assert_eq!(uint(row, "failures"), count, "failed requests: {row}");
        assert_eq!(
            tally(row, "errors"),
            BTreeMap::from([("invalid_url".to_owned(), count)]),
            "{row}"
        );
    }
    // Why, once, in every report: the request, the rendered value, the place.
    let warnings = run.result["generator"]["warnings"]
        .as_array()
        .expect("warnings");
    let why = warnings
        .iter()
        .find(|w| w["kind"] == "invalid_url")
        .and_then(|w| w["message"].as_str())
        .unwrap_or_else(|| panic!("no invalid_url warning: {warnings:?}"));
    let expected = format!(
        "spaced: the rendered URL \"{base}/a b/x\" is not valid: character {at} (' ')",
        base = api.base_url(),
        at = api.base_url().chars().count() + 3
    );
    assert!(why.contains(&expected), "{why}\nwanted {expected}");
    assert!(run.stdout.contains("invalid_url"), "{}", run.stdout);
}
