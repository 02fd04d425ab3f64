//! The preview's figures for small plans worked out by hand.

use std::time::Duration;

use super::*;

const LATENCY: Duration = Duration::from_millis(50);

fn assume() -> Assumptions {
    Assumptions {
        latency: LATENCY,
        threads: 2,
        open_files: Some((1024, 4096)),
    }
}

fn compile(source: &str) -> Plan {
    crate::compile(source, "p.toml", &Default::default()).unwrap()
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

const TWO_SCENARIOS: &str = r#"
[target]
base_url = "http://127.0.0.1:1"
[load]
users = 10
[scenarios.browse]
weight = 3
[[scenarios.browse.requests]]
name = "home"
path = "/"
[[scenarios.browse.requests]]
name = "item"
path = "/item"
[scenarios.buy]
weight = 1
[[scenarios.buy.requests]]
name = "item"
path = "/item"
[[scenarios.buy.requests]]
name = "pay"
method = "POST"
path = "/pay"
[timings]
duration = "60s"
min_request_interval_ms = 200
min_scenario_interval_ms = 1000
"#;

#[test]
fn closed_model_rates_follow_littles_law_split_by_weight() {
    let preview = preview(&compile(TWO_SCENARIOS), &assume());
    assert_eq!(preview.model, "closed");
    // Both scenarios: 200 ms pacing, then 50 ms: 250 ms < the 1 s interval, so every
    // user starts one iteration a second: 10 a second, 600 in the minute. Users start
    // 100 ms apart, so the second request (200 ms in) of the last two users' last
    // iteration would fall at or after the end: 598 of it.
    let rates: Vec<(&str, f64, f64)> = preview
        .requests
        .iter()
        .map(|r| (r.name.as_str(), r.per_second, r.total))
        .collect();
    let expected = [
        ("home", 7.5, 450.0),
        ("item", 10.0, 598.5),
        ("pay", 2.5, 149.5),
    ];
    for ((name, rate, total), (e_name, e_rate, e_total)) in rates.iter().zip(expected) {
        assert_eq!(*name, e_name);
        assert!(approx(*rate, e_rate), "{name}: {rate}/s");
        assert!(approx(*total, e_total), "{name}: {total}");
    }
    assert!(approx(preview.scenarios[0].cycle_seconds, 1.0));
    assert!(approx(preview.scenarios[0].iteration_seconds, 0.25));
    assert_eq!(preview.phases.len(), 1);
    assert!(approx(preview.phases[0].requests_per_second, 20.0));
    assert_eq!(preview.connections.users, 10);
    assert_eq!(preview.connections.connections, 10);
    assert_eq!(preview.connections.file_descriptors, 10 + 16 + 8);
    assert!(preview.warnings.is_empty(), "{:?}", preview.warnings);
}

#[test]
fn unpaced_users_cycle_at_the_assumed_latency() {
    let source = TWO_SCENARIOS
        .replace("min_request_interval_ms = 200\n", "")
        .replace("min_scenario_interval_ms = 1000\n", "");
    let preview = preview(&compile(&source), &assume());
    // Two requests of 50 ms back to back: 10 users make 100 iterations a second.
    let total: f64 = preview.scenarios.iter().map(|s| s.per_second).sum();
    assert!(approx(total, 100.0), "{total}");
}

#[test]
fn open_model_rates_are_the_arrival_rate_times_the_requests() {
    let source = TWO_SCENARIOS
        .replace("users = 10", "arrival_rate = 40")
        .replace("min_scenario_interval_ms = 1000\n", "");
    let preview = preview(&compile(&source), &assume());
    assert_eq!(preview.model, "open");
    let item = &preview.requests[1];
    assert!(approx(item.per_second, 40.0));
    // The last request of an iteration is 200 ms in: arrivals of the last 200 ms miss it.
    assert!(
        approx(item.total, 40.0 * 59.8 * 0.75 + 40.0 * 60.0 * 0.25),
        "{}",
        item.total
    );
    // 40/s × 250 ms: 10 busy users.
    assert_eq!(preview.connections.users, 10);
    assert!(preview.warnings.is_empty(), "{:?}", preview.warnings);
}

#[test]
fn stages_become_phases_and_the_last_level_holds() {
    let source = TWO_SCENARIOS.replace(
        "users = 10",
        r#"stages = [{ duration = "10s", users = 20 }, { duration = "20s", users = 20 }]"#,
    );
    let preview = preview(&compile(&source), &assume());
    let phases: Vec<(f64, f64, f64, f64)> = preview
        .phases
        .iter()
        .map(|p| (p.start_seconds, p.duration_seconds, p.from, p.to))
        .collect();
    assert_eq!(
        phases,
        [
            (0.0, 10.0, 0.0, 20.0),
            (10.0, 20.0, 20.0, 20.0),
            (30.0, 30.0, 20.0, 20.0)
        ]
    );
    assert!(approx(preview.phases[2].requests_per_second, 40.0));
    // User u starts at (u + 1) / 2 s and iterates each second until 60 s.
    let expected: f64 = (0..20)
        .map(|u| (60.0 - f64::from(u + 1) / 2.0).ceil())
        .sum();
    let iterations: f64 = preview.scenarios.iter().map(|s| s.total).sum();
    assert!(approx(iterations, expected), "{iterations} vs {expected}");
}

fn warnings(source: &str, assumptions: &Assumptions) -> Vec<String> {
    preview(&compile(source), assumptions)
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn each_warning_says_what_and_by_how_much() {
    let rare = TWO_SCENARIOS
        .replace("weight = 1", "weight = 1\n")
        .replace("weight = 3", "weight = 10000")
        .replace("duration = \"60s\"", "duration = \"10s\"\nwarmup = \"6s\"");
    assert_eq!(
        warnings(&rare, &assume()),
        [
            "the warm-up (6s) is 60% of the 10s test: only the last 4s is measured",
            "scenario \"buy\" is expected to run 0.01 times in the whole test: it may never \
             run (raise its weight or the test's length)",
        ]
    );

    let slow = TWO_SCENARIOS
        .replace(
            "min_request_interval_ms = 200",
            "min_request_interval_ms = 2000",
        )
        .replace(
            "min_scenario_interval_ms = 1000",
            "min_scenario_interval_ms = 5000",
        )
        .replace("duration = \"60s\"", "duration = \"2s\"");
    assert_eq!(
        warnings(&slow, &assume()),
        [
            "min_scenario_interval (5s) is not shorter than the test (2s): each user starts \
             one iteration",
            "scenario \"browse\": one iteration takes 2s 50ms, longer than the 2s test: its \
             later requests are never sent",
            "scenario \"buy\": one iteration takes 2s 50ms, longer than the 2s test: its \
             later requests are never sent",
        ]
    );

    let open = TWO_SCENARIOS
        .replace("users = 10", "arrival_rate = 400\nmax_users = 50")
        .replace(
            "duration = \"60s\"",
            "duration = \"60s\"\nthink_time = \"uniform(0s, 1s)\"",
        )
        .replace(
            "[load]",
            "[load]\nstages = [{ duration = \"300ms\", rate = 400 }]",
        );
    // Busy users: 400/s × E[max(200 ms, 50 ms + U(0, 1 s))] + 50 ms = 400 × 611 ms.
    let few = Assumptions {
        open_files: Some((64, 64)),
        ..assume()
    };
    assert_eq!(
        warnings(&open, &few),
        [
            "the open model starts an iteration at each arrival: min_scenario_interval and \
             scenario_think_time have no effect",
            "stage 1 lasts 300ms, shorter than the think_time (mean 500ms): few users finish \
             a pause within it",
            "at the peak rate about 245 users are busy at once, more than max_users = 50: \
             arrivals will queue and be dropped",
            "about 74 file descriptors are needed, more than the hard open-file limit (64): \
             connections beyond it fail; raise it (`ulimit -Hn` as root, or LimitNOFILE= for \
             a service)",
        ]
    );
}

/// `plan` with a `unique` feeder of `rows` rows drawn `per`.
fn with_feeder(mut plan: Plan, rows: usize, per: Per, on_exhausted: OnExhausted) -> Plan {
    let csv: String = std::iter::once("id\n".to_owned())
        .chain((0..rows).map(|i| format!("{i}\n")))
        .collect();
    let feeder = Feeder {
        name: "accounts".into(),
        table: std::sync::Arc::new(parse_csv(csv.as_bytes()).unwrap()),
        strategy: Strategy::Unique,
        per,
        on_exhausted,
    };
    std::sync::Arc::make_mut(&mut plan.session)
        .feeders
        .push(feeder);
    plan
}

use crate::data::{parse_csv, Feeder, OnExhausted, Per, Strategy};

#[test]
fn unique_data_runs_out_when_the_draws_pass_its_rows() {
    // 10 users, one iteration a second each: 1,000 rows last 100 s, so the 1,001st
    // draw comes in the 101st second, in minute 2 of a 3-minute test.
    let source = TWO_SCENARIOS.replace("\"60s\"", "\"3m\"");
    let plan = with_feeder(compile(&source), 1000, Per::Iteration, OnExhausted::Stop);
    let preview = preview(&plan, &assume());
    let texts: Vec<String> = preview.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "data \"accounts\": its 1000 unique rows (one per iteration) run out after 1m 40s, \
          in minute 2; then users that need a row stop (so do the totals here)"
        ]
    );
    let Warning::DataRunsOut { at, .. } = preview.warnings[0] else {
        panic!("{:?}", preview.warnings);
    };
    // User 0's 101st start, at 100 s (users start 100 ms apart).
    assert!((at - 100.0).abs() < 1e-6, "{at}");

    // Users that find no row stop: no iteration starts after 100 s.
    let iterations: f64 = preview.scenarios.iter().map(|s| s.total).sum();
    assert!(approx(iterations, 1000.0), "{iterations}");
    let plan = with_feeder(compile(&source), 1000, Per::Iteration, OnExhausted::Recycle);
    let iterations: f64 = super::preview(&plan, &assume())
        .scenarios
        .iter()
        .map(|s| s.total)
        .sum();
    assert!(approx(iterations, 1800.0), "{iterations}");

    // Drawn once per user: 10 users need 10 rows; 5 run out as the sixth starts.
    let plan = with_feeder(compile(&source), 5, Per::User, OnExhausted::Recycle);
    let texts: Vec<String> = preview_warnings(&plan);
    assert_eq!(
        texts,
        [
            "data \"accounts\": its 5 unique rows (one per user) run out after 500ms, in \
          minute 1; then rows are used again"
        ]
    );
    let plan = with_feeder(compile(&source), 10, Per::User, OnExhausted::Stop);
    assert!(preview_warnings(&plan).is_empty());
    // With `stop`, only the first 5 users ever work: 180 iterations each.
    let plan = with_feeder(compile(&source), 5, Per::User, OnExhausted::Stop);
    let iterations: f64 = super::preview(&plan, &assume())
        .scenarios
        .iter()
        .map(|s| s.total)
        .sum();
    assert!(approx(iterations, 900.0), "{iterations}");
}

fn preview_warnings(plan: &Plan) -> Vec<String> {
    preview(plan, &assume())
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}
