//! Variables, data and correlation end to end: the real binary logs 50 users in with
//! 50 accounts from a CSV under `unique`, carries each user's token, checks, and logs
//! out; the built-in target confirms every request carried the right user's token and
//! every account was used exactly once.

use std::collections::BTreeMap;

use crate::support::{klavier, repo_file, request, run_ok, target, uint, Workspace};

/// `user01`…`user50`.
fn accounts() -> Vec<String> {
    (1..=50).map(|i| format!("user{i:02}")).collect()
}

#[test]
fn fifty_users_log_in_with_fifty_unique_accounts_and_carry_their_tokens() {
    let target = target();
    let ws = Workspace::new();
    let csv: String = std::iter::once("username,password".to_owned())
        .chain(accounts().iter().map(|u| format!("{u},pw-{u}")))
        .collect::<Vec<_>>()
        .join("\n");
    ws.write("accounts.csv", csv);
    let profile = format!(
        r#"[target]
base_url = "{base}"

[load]
users = 50

[timings]
duration = "30s"

[data.accounts]
file = "accounts.csv"
strategy = "unique"
per = "iteration"

[scenarios.journey]
[[scenarios.journey.requests]]
name = "login"
method = "POST"
path = "/api/session/login"
json = {{ username = "{{{{ accounts.username }}}}", password = "{{{{ accounts.password }}}}" }}
extract = {{ token = {{ json = "$.access_token" }} }}
expect = {{ status = 200, json = {{ "$.expires_in" = 3600 }} }}

[[scenarios.journey.requests]]
name = "me"
path = "/api/session/me"
headers = {{ Authorization = "Bearer {{{{ token }}}}", "X-Expect-User" = "{{{{ accounts.username }}}}" }}
# The target answers 403 if the token belongs to another user than X-Expect-User,
# and names the token's user: expected values may be templates too.
expect = {{ status = 200, body_contains = "{{{{ accounts.username }}}}", json = {{ "$.user" = "{{{{ accounts.username }}}}" }} }}

[[scenarios.journey.requests]]
name = "logout"
method = "POST"
path = "/api/session/logout"
headers = {{ Authorization = "Bearer {{{{ token }}}}", "X-Expect-User" = "{{{{ accounts.username }}}}" }}
"#,
        base = target.base_url()
    );
    let path = ws.write("journey.toml", profile);
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&path)
        .args(["--quiet", "--seed", "7", "--json"])
        .arg(&json);
    let started = std::time::Instant::now();
    let run = run_ok(&mut cmd, &json);
    let result = &run.result;

    // The run ended when the accounts ran out, long before its 30 s.
    assert!(started.elapsed().as_secs() < 20, "{result}");
    let took = result["duration_seconds"].as_f64().unwrap_or(f64::MAX);
    assert!(took < 20.0, "rates are per the time the run took: {result}");
    let once: BTreeMap<String, u64> = accounts().into_iter().map(|u| (u, 1)).collect();
    let seen = target.state().accounts().report();
    assert_eq!(seen.logins, once, "every account logged in exactly once");
    assert_eq!(seen.logouts, once, "every account logged out exactly once");
    let twice: BTreeMap<String, u64> = accounts().into_iter().map(|u| (u, 2)).collect();
    assert_eq!(
        seen.authorized, twice,
        "me and logout each carried the account's own token"
    );
    assert_eq!((seen.rejected, seen.mismatched), (0, 0), "{seen:?}");

    for name in ["login", "me", "logout"] {
        let row = request(result, name);
        assert_eq!(uint(row, "count"), 50, "{row}");
        assert_eq!(uint(row, "failures"), 0, "{row}");
        assert_eq!(uint(row, "check_failures"), 0, "{row}");
        assert_eq!(uint(row, "skipped"), 0, "{row}");
    }
    let journey = &result["scenarios"][0];
    assert_eq!(uint(journey, "iterations"), 50, "{journey}");
    assert_eq!(
        uint(journey, "cut_iterations"),
        0,
        "running out of data cuts nothing: {journey}"
    );
    // Statistics group by request name, never by the rendered values.
    assert_eq!(result["requests"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_failed_extraction_is_a_check_failure_and_skips_what_needs_it() {
    let target = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{base}"
[load]
users = 1
[timings]
duration = "300ms"
min_scenario_interval_ms = 100
[scenarios.s]
[[scenarios.s.requests]]
name = "health"
path = "/api/health"
extract = {{ token = {{ json = "$.no_such_field" }} }}
expect = {{ status = [200], json = {{ "$.status" = "down" }} }}
[[scenarios.s.requests]]
name = "me"
path = "/api/session/me"
headers = {{ Authorization = "Bearer {{{{ token }}}}" }}
"#,
        base = target.base_url()
    );
    let path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&path)
        .args(["--quiet", "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let health = request(&run.result, "health");
    let me = request(&run.result, "me");
    let sent = uint(health, "count");
    assert!(sent > 0, "{health}");
    assert_eq!(
        uint(health, "failures"),
        0,
        "checks are not transport failures: {health}"
    );
    assert_eq!(uint(health, "check_failures"), sent, "{health}");
    assert_eq!(uint(&health["checks"], "json $.status"), sent, "{health}");
    assert_eq!(uint(&health["checks"], "extract token"), sent, "{health}");
    assert_eq!(uint(me, "count"), 0, "never sent with an empty token: {me}");
    assert_eq!(uint(me, "skipped"), sent, "{me}");
    assert!(run.stdout.contains("Checks"), "{}", run.stdout);
    assert_eq!(target.state().accounts().report().rejected, 0);
}

#[test]
fn the_journey_example_runs_against_the_built_in_target() {
    let target = target();
    let ws = Workspace::new();
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(repo_file("examples/journey.toml"))
        .args(["--quiet", "--base-url", &target.base_url(), "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    assert_eq!(uint(&run.result["totals"], "count"), 150, "{}", run.stdout);
    assert_eq!(
        uint(&run.result["totals"], "check_failures"),
        0,
        "{}",
        run.stdout
    );
    assert_eq!(target.state().accounts().report().logins.len(), 50);
}

#[test]
fn rendered_values_reach_the_server_and_cookies_come_back() {
    let target = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{base}"
headers = {{ "X-Run" = "{{{{ run }}}}" }}
[load]
users = 1
[timings]
duration = "10s"
[variables]
run = "r1"
tenant = "a b&c"
[data.once]
file = "once.csv"
strategy = "unique"
[scenarios.s]
[[scenarios.s.requests]]
name = "set cookie"
path = "/cookies/set"
query = {{ flavour = "oat" }}
[[scenarios.s.requests]]
name = "echo"
method = "POST"
path = "/echo"
query = {{ tenant = "{{{{ tenant }}}}", vu = "{{{{ vu }}}}" }}
headers = {{ "X-Upper" = "{{{{ once.word | upper }}}}" }}
json = {{ word = "{{{{ once.word }}}}", quote = "{{{{ '\"' }}}}", n = 1 }}
expect = {{ json = {{ "$.query" = "tenant=a+b%26c&vu=0", "$.headers['x-upper']" = "HELLO", "$.headers['x-run']" = "r1", "$.headers.cookie" = "flavour=oat", "$.body" = '{{"word":"hello","quote":"\"","n":1}}' }} }}
[[scenarios.s.requests]]
name = "cookies"
path = "/cookies"
headers = {{ Cookie = "mine=1" }}
expect = {{ json = {{ "$.cookies.flavour" = "oat", "$.cookies.mine" = "1" }} }}
"#,
        base = target.base_url()
    );
    ws.write("once.csv", "word\nhello\n");
    let path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&path)
        .args(["--quiet", "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    for name in ["set cookie", "echo", "cookies"] {
        let row = request(&run.result, name);
        assert_eq!(uint(row, "count"), 1, "one row, one iteration: {row}");
        assert_eq!(uint(row, "check_failures"), 0, "{row}");
    }
}

#[test]
fn cookies_can_be_turned_off() {
    let target = target();
    let ws = Workspace::new();
    let profile = format!(
        r#"[target]
base_url = "{base}"
cookies = false
[load]
users = 1
[timings]
duration = "200ms"
min_scenario_interval_ms = 100
[scenarios.s]
[[scenarios.s.requests]]
path = "/cookies/set?flavour=oat"
[[scenarios.s.requests]]
name = "cookies"
path = "/cookies"
expect = {{ json = {{ "$.cookies" = {{}} }} }}
"#,
        base = target.base_url()
    );
    let path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&path)
        .args(["--quiet", "--json"])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let row = request(&run.result, "cookies");
    assert!(uint(row, "count") > 0, "{row}");
    assert_eq!(
        uint(row, "check_failures"),
        0,
        "no cookie was sent back: {row}"
    );
}
