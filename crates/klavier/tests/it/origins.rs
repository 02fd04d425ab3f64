//! Several origins in one journey: a request's `url` (written or rendered) goes to
//! the origin it names, with that origin's `Host`, on a connection of its own; a
//! rendered URL without an http(s) origin fails as `invalid_url`, never sent elsewhere.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{request, run_profile, tally, target, uint, Workspace};

#[test]
fn requests_go_to_the_origin_their_url_names() {
    let (api, auth) = (target(), target());
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{api}"

[variables]
auth = "{auth}"

[scenarios.journey]
[[scenarios.journey.requests]]
name = "token"
url = "{auth}/api/auth/login"
[[scenarios.journey.requests]]
name = "rendered"
url = "{{{{ auth }}}}/echo"
expect = {{ json = {{ "$.headers.host" = "{auth_host}" }} }}
[[scenarios.journey.requests]]
name = "health"
path = "/api/health"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#,
        api = api.base_url(),
        auth = auth.base_url(),
        auth_host = auth.addr(),
    );
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    let count = |name: &str| uint(request(&run.result, name), "count");
    let (token, rendered, health) = (count("token"), count("rendered"), count("health"));
    assert!(token > 0, "{}", run.stdout);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    assert_eq!(
        uint(request(&run.result, "rendered"), "check_failures"),
        0,
        "the rendered request carried the auth origin's Host"
    );
    assert_eq!(
        auth.counts(),
        BTreeMap::from([
            ("GET /api/auth/login".to_owned(), token),
            ("GET /echo".to_owned(), rendered)
        ]),
        "the auth origin saw its requests"
    );
    assert_eq!(
        api.counts(),
        BTreeMap::from([("GET /api/health".to_owned(), health)]),
        "the base origin saw only its own"
    );
}

#[test]
fn a_rendered_url_without_an_http_origin_is_invalid_url() {
    let api = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{}"

[variables]
where = "ftp://files.test/x"

[scenarios.s]
[[scenarios.s.requests]]
name = "odd"
url = "{{{{ where }}}}"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#,
        api.base_url()
    );
    let run = run_profile(&ws, &profile, &["--users", "1"]);
    let row = request(&run.result, "odd");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    let errors: BTreeMap<String, u64> = tally(row, "errors");
    assert_eq!(
        errors,
        BTreeMap::from([("invalid_url".to_owned(), count)]),
        "{row}"
    );
    assert!(api.counts().is_empty(), "nothing reached the base origin");
    let _: &Value = &run.result;
}
