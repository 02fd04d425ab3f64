//! Pacing, start spread, the deadline, the graceful stop and seeded choices.

use super::*;

#[tokio::test(start_paused = true)]
async fn scenario_interval_paces_start_to_start() {
    // 1 user, 100 ms requests, one scenario start per second for 5 s: starts at 0..4 s.
    let plan = plan(
        "test_duration_seconds = 5\nmin_scenario_interval_ms = 1000",
        1,
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_millis(100), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 1000, 2000, 3000, 4000]);
    assert_eq!(run.total.requests(), 5);
    assert_eq!(run.stop, StopReason::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_slow_scenario_starts_the_next_at_once() {
    // Requests take 1.5 s, longer than the 1 s interval: back to back, at 0, 1.5, 3, 4.5 s.
    let plan = plan(
        "test_duration_seconds = 5\nmin_scenario_interval_ms = 1000",
        1,
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_millis(1500), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 1500, 3000, 4500]);
}

#[tokio::test(start_paused = true)]
async fn request_interval_paces_requests_within_a_scenario() {
    // Three requests of 10 ms, at least 200 ms apart; scenarios at least 1 s apart.
    let scenario = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/1\"\n\
                    [[scenarios.a.requests]]\npath = \"/2\"\n[[scenarios.a.requests]]\npath = \"/3\"\n";
    let timings =
        "test_duration_seconds = 2\nmin_scenario_interval_ms = 1000\nmin_request_interval_ms = 200";
    let run = simulate(plan(timings, 1, scenario), Duration::from_millis(10), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 200, 400, 1000, 1200, 1400]);
    let paths: Vec<_> = run.sent.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/1", "/2", "/3", "/1", "/2", "/3"]);
}

#[tokio::test(start_paused = true)]
async fn users_start_spread_over_the_first_interval() {
    // 4 users, 1 s interval: first requests at 0, 250, 500, 750 ms.
    let plan = plan(
        "test_duration_seconds = 1\nmin_scenario_interval_ms = 1000",
        4,
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_millis(10), 1).await;
    let firsts: Vec<u64> = (0..4).map(|u| times_of(&run.sent, u)[0]).collect();
    assert_eq!(firsts, vec![0, 250, 500, 750]);
}

#[tokio::test(start_paused = true)]
async fn no_request_starts_after_the_deadline() {
    // Unpaced 300 ms requests for 1 s: sent at 0, 300, 600, 900; the one at 900 ends in the grace.
    let plan = plan("test_duration_seconds = 1", 1, ONE_REQUEST);
    let run = simulate(plan, Duration::from_millis(300), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 300, 600, 900]);
    assert_eq!(
        run.total.requests(),
        4,
        "the request in flight at the end is recorded"
    );
}

#[tokio::test(start_paused = true)]
async fn the_graceful_stop_cuts_off_what_is_still_in_flight() {
    // 3 s requests, 4 s run, 1 s grace: the request sent at 3 s would end at 6 s, after the
    // grace ends at 5 s, so it is interrupted; the one sent at 0 completed normally.
    let plan = plan(
        "test_duration_seconds = 4\ngraceful_stop = \"1s\"",
        1,
        ONE_REQUEST,
    );
    let started = Instant::now();
    let run = simulate(plan, Duration::from_secs(3), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 3000]);
    assert_eq!(run.total.requests(), 1);
    assert_eq!(
        Instant::now() - started,
        Duration::from_secs(5),
        "the run ends with the grace"
    );
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_makes_the_same_choices() {
    let scenarios = "[scenarios.a]\nweight = 5\n[[scenarios.a.requests]]\npath = \"/a\"\n\
                     [scenarios.b]\nweight = 1\n[[scenarios.b.requests]]\npath = \"/b\"\n";
    let choices = |run: &Simulated| run.sent.iter().map(|s| s.path.clone()).collect::<Vec<_>>();
    let a = simulate(
        plan("test_duration_seconds = 10", 3, scenarios),
        Duration::from_millis(10),
        7,
    )
    .await;
    let b = simulate(
        plan("test_duration_seconds = 10", 3, scenarios),
        Duration::from_millis(10),
        7,
    )
    .await;
    let c = simulate(
        plan("test_duration_seconds = 10", 3, scenarios),
        Duration::from_millis(10),
        8,
    )
    .await;
    assert_eq!(choices(&a), choices(&b));
    assert_ne!(choices(&a), choices(&c));
}

#[test]
fn weighted_choice_matches_the_weights() {
    // Weights 5:1 over n = 60,000 picks: expect 50,000 of the first, with a standard
    // deviation of sqrt(n * 5/6 * 1/6) ≈ 91; allow 5 deviations (a false alarm about
    // once in 3.5 million runs; the seed is fixed anyway, so the test is deterministic).
    let scenarios = "[scenarios.a]\nweight = 5\n[[scenarios.a.requests]]\npath = \"/a\"\n\
                     [scenarios.b]\nweight = 1\n[[scenarios.b.requests]]\npath = \"/b\"\n";
    let plan = plan("test_duration_seconds = 1", 1, scenarios);
    let picker = ScenarioPicker::new(&plan.scenarios);
    let first = plan
        .scenarios
        .iter()
        .position(|s| s.name == "a")
        .expect("scenario a");
    for seed in 0..5 {
        let mut vu = Vu::new(0, seed, NeverSends);
        let n = 60_000;
        let hits = (0..n).filter(|_| vu.pick(&picker) == first).count() as f64;
        let expected = n as f64 * 5.0 / 6.0;
        let sd = (n as f64 * 5.0 / 36.0).sqrt();
        assert!(
            (hits - expected).abs() < 5.0 * sd,
            "seed {seed}: {hits} hits, expected {expected} ± {sd:.0}"
        );
    }
}

/// For tests that only pick.
struct NeverSends;

impl Transport for NeverSends {
    fn lane(&self) -> Self {
        NeverSends
    }

    async fn send(&mut self, _: &klavier_plan::Request) -> Exchanged {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn pacing_follows_the_schedule_not_the_wake_up() {
    // Every timer fires 2 ms late (tokio's paused clock ticks in milliseconds too).
    // Planned from the wake-up, a 10 ms interval would make 12 ms and 834 starts in 10 s;
    // planned from the schedule it makes 1,000, each 2 ms after its slot, 10 ms apart.
    let plan = plan(
        "test_duration_seconds = 10\nmin_scenario_interval_ms = 10",
        1,
        ONE_REQUEST,
    );
    let mut options = Options::new(fixed(Duration::from_millis(1)), 1);
    options.late = Duration::from_millis(2);
    let run = simulate_opts(plan, options).await;
    let starts: Vec<u64> = run.sent.iter().map(|s| s.at_us).collect();
    assert_eq!(starts.len(), 1000);
    assert_eq!(starts[1], 12_000);
    // The first start is at once (nothing to wait for), every later one 2 ms late.
    let gaps: Vec<u64> = starts.windows(2).skip(1).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|&gap| gap == 10_000), "{:?}", &gaps[..10]);
    assert_eq!(run.total.pacing().planned(), 1000);
    assert_eq!(run.total.pacing().missed(), 0);
    // The lateness is reported, apart.
    assert!(run
        .total
        .arrivals()
        .lag()
        .equivalent(run.total.arrivals().lag().max(), 2_000));
}

#[tokio::test(start_paused = true)]
async fn request_pacing_follows_the_schedule_too() {
    let scenario = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/1\"\n\
                    [[scenarios.a.requests]]\npath = \"/2\"\n[[scenarios.a.requests]]\npath = \"/3\"\n";
    let timings =
        "test_duration_seconds = 1\nmin_scenario_interval_ms = 100\nmin_request_interval_ms = 10";
    let mut options = Options::new(fixed(Duration::from_millis(1)), 1);
    options.late = Duration::from_millis(2);
    let run = simulate_opts(plan(timings, 1, scenario), options).await;
    let starts: Vec<u64> = run.sent.iter().map(|s| s.at_us).take(6).collect();
    assert_eq!(starts, [0, 12_000, 22_000, 102_000, 112_000, 122_000]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_holding_users_back_is_counted_as_missed_starts() {
    // A 10 ms interval plans 1,000 starts in 10 s; 25 ms responses allow 400. The 600
    // the server prevented are missed, and the user ends 6 s behind its schedule.
    let plan = plan(
        "test_duration_seconds = 10\nmin_scenario_interval_ms = 10",
        1,
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_millis(25), 1).await;
    let pacing = run.total.pacing();
    assert_eq!(pacing.started(), 400);
    assert_eq!(pacing.missed(), 600);
    assert_eq!(pacing.planned(), 1000);
    assert!(pacing
        .user_lag()
        .equivalent(pacing.user_lag().max(), 6_000_000));
}

#[tokio::test(start_paused = true)]
async fn a_parallel_list_goes_out_together_and_the_next_request_waits_for_all() {
    // 10 ms requests; /page's list of three goes out as /page is answered (10 ms), all at
    // once; /next waits for the whole list (20 ms), then the 1 s interval paces /page.
    let scenario = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/page\"\n\
                    parallel = [{ path = \"/x\" }, { path = \"/y\" }, { path = \"/z\" }]\n\
                    [[scenarios.a.requests]]\npath = \"/next\"\n";
    let timings = "test_duration_seconds = 2\nmin_scenario_interval_ms = 1000";
    let run = simulate(plan(timings, 1, scenario), Duration::from_millis(10), 1).await;
    let sent: Vec<(u64, &str)> = run
        .sent
        .iter()
        .map(|s| (s.at_ms, s.path.as_str()))
        .collect();
    let load = [
        (0, "/page"),
        (10, "/x"),
        (10, "/y"),
        (10, "/z"),
        (20, "/next"),
    ];
    let again = load.map(|(at, path)| (at + 1000, path));
    assert_eq!(sent, [load, again].concat());
    assert_eq!(run.total.requests(), 10);
}

#[tokio::test(start_paused = true)]
async fn a_user_that_can_send_nothing_pauses_instead_of_spinning() {
    // `token` is only ever set by an extraction, which the simulated transport never
    // makes: every iteration skips its one request. Without a pause the user would spin
    // at one instant (and this test would never end); with pauses doubling from 1 ms to
    // 100 ms it tries 8 times in the first 0.3 s, then 10 times a second.
    let scenario = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/{{ token }}\"\n\
                    [scenarios.b]\nweight = 1\n[[scenarios.b.requests]]\npath = \"/login\"\n\
                    extract = { token = { header = \"X-Token\" } }\n";
    let plan = plan("test_duration_seconds = 2", 1, scenario);
    let run = simulate(plan, Duration::from_millis(10), 3).await;
    let skipped = run.total.request_rows()[0].checks().skipped();
    let logins = run.sent.len() as u64;
    assert!(skipped > 0, "scenario a was picked");
    // Each try of `a` costs at least 1 ms of pause, each login 10 ms: 2 s bound them.
    assert!(
        skipped <= 2000 - 10 * logins,
        "{skipped} skipped, {logins} logins"
    );
}
