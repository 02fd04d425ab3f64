//! Per-user setup and teardown end to end: `run = "once"` scenarios run at each user's
//! start (log in), `run = "last"` at its end within the graceful stop (log out), the
//! weighted loop in between carries what the setup extracted. The built-in target's own
//! counts prove each user logged in and out exactly once and browsed with its own token.

use std::collections::BTreeMap;

use crate::support::{
    klavier, repo_file, request, run_ok, run_profile, scenario, target, uint, Workspace,
};

/// `user01`…`userNN`.
fn accounts(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("user{i:02}")).collect()
}

/// A profile that logs in once, browses in the loop and logs out last; `load` and
/// `feeder` are the `[load]` and `[data.accounts]` extras.
fn profile(base: &str, load: &str, per: &str) -> String {
    format!(
        r#"[target]
base_url = "{base}"

[load]
{load}

[timings]
duration = "2s"
min_scenario_interval_ms = 100

[data.accounts]
file = "accounts.csv"
strategy = "unique"
per = "{per}"

[scenarios.login]
run = "once"
[[scenarios.login.requests]]
name = "login"
method = "POST"
path = "/api/session/login"
json = {{ username = "{{{{ accounts.username }}}}", password = "{{{{ accounts.password }}}}" }}
extract = {{ token = {{ json = "$.access_token" }} }}
expect = {{ status = 200 }}

[scenarios.browse]
weight = 3
[[scenarios.browse.requests]]
name = "me"
path = "/api/session/me"
headers = {{ Authorization = "Bearer {{{{ token }}}}", "X-Expect-User" = "{{{{ accounts.username }}}}" }}
expect = {{ status = 200 }}

[scenarios.health]
[[scenarios.health.requests]]
name = "health"
path = "/api/health"

[scenarios.logout]
run = "last"
[[scenarios.logout.requests]]
name = "logout"
method = "POST"
path = "/api/session/logout"
headers = {{ Authorization = "Bearer {{{{ token }}}}", "X-Expect-User" = "{{{{ accounts.username }}}}" }}
expect = {{ status = 200 }}
"#
    )
}

fn write_accounts(ws: &Workspace, n: usize) {
    let csv: String = std::iter::once("username,password".to_owned())
        .chain(accounts(n).iter().map(|u| format!("{u},pw-{u}")))
        .collect::<Vec<_>>()
        .join("\n");
    ws.write("accounts.csv", csv);
}

#[test]
fn each_user_logs_in_once_browses_with_its_token_and_logs_out_once() {
    let target = target();
    let ws = Workspace::new();
    write_accounts(&ws, 8);
    let run = run_profile(
        &ws,
        &profile(&target.base_url(), "users = 8", "user"),
        &["--seed", "3"],
    );
    let result = &run.result;
    let seen = target.state().accounts().report();
    let once: BTreeMap<String, u64> = accounts(8).into_iter().map(|u| (u, 1)).collect();
    assert_eq!(seen.logins, once, "each user logged in exactly once");
    assert_eq!(
        seen.logouts, once,
        "each user logged out exactly once, at its end"
    );
    assert_eq!((seen.rejected, seen.mismatched), (0, 0), "{seen:?}");

    let me = request(result, "me");
    let browsed = uint(me, "count");
    // 8 users × ~20 iterations, three in four of them `me`: far more than one each.
    assert!(browsed >= 40, "{me}");
    for user in accounts(8) {
        // Every `me` and the logout carried the user's own token.
        assert!(
            seen.authorized.get(&user).copied().unwrap_or(0) >= 2,
            "{user}: {seen:?}"
        );
    }
    let authorized: u64 = seen.authorized.values().sum();
    assert_eq!(
        authorized,
        browsed + 8,
        "me and logout, all authorized: {seen:?}"
    );
    for (name, count) in [("login", 8), ("logout", 8)] {
        let row = request(result, name);
        assert_eq!(uint(row, "count"), count, "{row}");
        assert_eq!(uint(row, "failures"), 0, "{row}");
    }
    assert_eq!(uint(me, "failures"), 0, "{me}");
    assert_eq!(uint(me, "skipped"), 0, "{me}");
    // Setup and teardown are iterations of their scenarios; the loop never picks them.
    assert_eq!(uint(scenario(result, "login"), "iterations"), 8);
    assert_eq!(uint(scenario(result, "logout"), "iterations"), 8);
    // The result says which scenarios ran once or last; the summary shows the role
    // where a loop scenario's weight is.
    assert_eq!(scenario(result, "login")["run"], "once");
    assert_eq!(scenario(result, "logout")["run"], "last");
    assert!(scenario(result, "browse").get("run").is_none());
    let logout_line = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Scenarios"))
        .find(|l| l.trim_start().starts_with("logout "));
    assert!(
        logout_line.is_some_and(|l| l.split_whitespace().nth(1) == Some("last")),
        "{}",
        run.stdout
    );
    let loops = uint(scenario(result, "browse"), "iterations")
        + uint(scenario(result, "health"), "iterations");
    assert_eq!(uint(scenario(result, "browse"), "iterations"), browsed);
    assert!(loops > browsed, "health is picked too: {result}");
    // The server's counts agree with Klavier's, request by request.
    let counts = target.counts();
    assert_eq!(
        counts.get("POST /api/session/login"),
        Some(&8),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("POST /api/session/logout"),
        Some(&8),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("GET /api/session/me"),
        Some(&browsed),
        "{counts:?}"
    );
}

#[test]
fn in_the_open_model_each_arrival_logs_in_and_out_around_its_iteration() {
    let target = target();
    let ws = Workspace::new();
    write_accounts(&ws, 200);
    let run = run_profile(
        &ws,
        &profile(&target.base_url(), "arrival_rate = 20", "iteration"),
        &["--seed", "5"],
    );
    let result = &run.result;
    let seen = target.state().accounts().report();
    let arrivals = uint(scenario(result, "login"), "iterations");
    assert!(arrivals >= 30, "{result}");
    // One account per arrival, drawn by its setup and kept to its teardown.
    assert_eq!(seen.logins.len() as u64, arrivals, "{seen:?}");
    assert!(seen.logins.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(
        seen.logouts, seen.logins,
        "every arrival logged out what it logged in"
    );
    assert_eq!((seen.rejected, seen.mismatched), (0, 0), "{seen:?}");
    // One loop iteration per arrival (the stop may cut the last one short), then its
    // teardown.
    let looped = |name: &str| {
        let row = scenario(result, name);
        uint(row, "iterations") + uint(row, "cut_iterations")
    };
    assert_eq!(looped("browse") + looped("health"), arrivals, "{result}");
    assert_eq!(uint(scenario(result, "logout"), "iterations"), arrivals);
}

#[test]
fn the_login_once_example_runs_against_the_built_in_target() {
    let target = target();
    let ws = Workspace::new();
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(repo_file("examples/login_once.toml"))
        .args([
            "--quiet",
            "--duration",
            "2s",
            "--base-url",
            &target.base_url(),
            "--json",
        ])
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let seen = target.state().accounts().report();
    assert_eq!(seen.logins.len(), 10, "{seen:?}");
    assert!(seen.logins.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(seen.logouts, seen.logins, "{seen:?}");
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    assert_eq!(
        uint(&run.result["totals"], "check_failures"),
        0,
        "{}",
        run.stdout
    );
}
