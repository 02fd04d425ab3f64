//! The seed profile, unchanged, against a real nginx: nginx's access log, an
//! independent witness, agrees with Klavier's counts request for request.

use crate::support::nginx::Nginx;
use crate::support::{
    assert_binomial, klavier, repo_file, request_counts, run_ok, scenario, uint, Workspace,
};

#[test]
fn the_seed_profile_against_nginx_matches_its_access_log() {
    let ws = Workspace::new();
    let nginx = Nginx::start(ws.dir());
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(repo_file("examples/seed.toml"))
        .args(["--base-url", &nginx.base_url()])
        .args([
            "--users",
            "20",
            "--duration",
            "3s",
            "--seed",
            "2024",
            "--quiet",
        ])
        .arg("--json")
        .arg(&json);
    let run = run_ok(&mut cmd, &json);
    let result = &run.result;

    let reported = request_counts(result);
    let total: u64 = reported.values().sum();
    assert_eq!(
        nginx.access_counts_once(total),
        reported,
        "nginx's access log vs Klavier"
    );
    assert_eq!(uint(&result["totals"], "failures"), 0);

    // The seed paces each user to one scenario per second (min_scenario_interval_ms =
    // 1000) and ramps users in over the first second: at most 3 iterations per user in
    // 3 s, and every user starts at least one.
    let health = uint(scenario(result, "health_check"), "iterations");
    let login = uint(scenario(result, "login"), "iterations");
    assert!(
        (20..=60).contains(&(health + login)),
        "{health} + {login} iterations for 20 users paced at 1/s for 3 s"
    );
    assert_binomial(
        health,
        health + login,
        5.0 / 6.0,
        "health_check (weight 5 of 6)",
    );
}
