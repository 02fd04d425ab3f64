//! Per-user setup and teardown: `run = "once"` scenarios before a user's loop, `run =
//! "last"` after it, through the stop within the graceful stop; per arrival in the open
//! model.

use super::*;

/// Setup `/in`, loop `/a` (weight 2) and `/b`, teardown `/out`.
const ROLES: &str = "[scenarios.login]\nrun = \"once\"\n[[scenarios.login.requests]]\npath = \"/in\"\n\
                     [scenarios.a]\nweight = 2\n[[scenarios.a.requests]]\npath = \"/a\"\n\
                     [scenarios.b]\n[[scenarios.b.requests]]\npath = \"/b\"\n\
                     [scenarios.logout]\nrun = \"last\"\n[[scenarios.logout.requests]]\npath = \"/out\"\n";

fn paths_of(sent: &[Sent], user: u32) -> Vec<&str> {
    sent.iter()
        .filter(|s| s.user == user)
        .map(|s| s.path.as_str())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn each_user_runs_its_setup_first_and_its_teardown_after_the_end() {
    let plan = plan(
        "test_duration_seconds = 1\nmin_scenario_interval_ms = 100",
        3,
        ROLES,
    );
    let run = simulate(plan, Duration::from_millis(10), 1).await;
    for user in 0..3 {
        let paths = paths_of(&run.sent, user);
        assert_eq!(paths.first(), Some(&"/in"), "user {user}: {paths:?}");
        assert_eq!(paths.last(), Some(&"/out"), "user {user}: {paths:?}");
        let looped = &paths[1..paths.len() - 1];
        assert!(looped.len() >= 8, "user {user}: {paths:?}");
        assert!(looped.iter().all(|p| *p == "/a" || *p == "/b"), "{paths:?}");
        // The teardown starts at the end, past the deadline, within the graceful stop.
        let times = times_of(&run.sent, user);
        assert!(
            times.last().is_some_and(|&t| t >= 1000),
            "user {user}: {times:?}"
        );
        assert!(
            times[..times.len() - 1].iter().all(|&t| t < 1000),
            "{times:?}"
        );
    }
    let scenarios = run.total.scenario_rows();
    let iterations: Vec<u64> = scenarios.iter().map(|s| s.iterations()).collect();
    assert_eq!((iterations[0], iterations[3]), (3, 3), "{iterations:?}");
    assert_eq!(run.total.requests(), run.sent.len() as u64);
    assert_eq!(run.active_at_end, 0);
}

#[tokio::test(start_paused = true)]
async fn a_teardown_still_in_flight_at_the_end_of_the_graceful_stop_is_interrupted() {
    // Requests sent after the 1 s end take 10 s: the graceful stop of 2 s cuts each
    // user's logout off, counted as interrupted.
    let plan = plan(
        "test_duration_seconds = 1\nmin_scenario_interval_ms = 100\ngraceful_stop = \"2s\"",
        2,
        ROLES,
    );
    let latency: Latency = Rc::new(|offset: Duration| {
        if offset >= Duration::from_secs(1) {
            Duration::from_secs(10)
        } else {
            Duration::from_millis(10)
        }
    });
    let run = simulate_with(plan, latency, 1).await;
    let logout = &run.total.request_rows()[3];
    assert_eq!(logout.interrupted(), 2, "{:?}", run.sent);
    assert_eq!(logout.count(), 0);
    assert_eq!(run.total.scenario_rows()[3].cut_iterations(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_open_model_arrival_runs_setup_loop_and_teardown() {
    let plan = plan_with_load("test_duration_seconds = 1", "arrival_rate = 10", ROLES);
    let run = simulate(plan, Duration::from_millis(5), 1).await;
    let arrivals = run.total.arrivals().started();
    assert_eq!(arrivals, 10);
    let paths: Vec<&str> = run.sent.iter().map(|s| s.path.as_str()).collect();
    for arrival in paths.chunks(3) {
        assert_eq!(arrival[0], "/in", "{paths:?}");
        assert!(arrival[1] == "/a" || arrival[1] == "/b", "{paths:?}");
        assert_eq!(arrival[2], "/out", "{paths:?}");
    }
    assert_eq!(paths.len() as u64, 3 * arrivals);
}
