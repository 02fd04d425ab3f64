//! What every figure counts: failures timed apart, interrupted requests timed to the cut,
//! every due arrival accounted for, lateness apart from pool waits, the warm-up apart,
//! seeds independent of the thread count, the initial pool connected first, panics caught.

use super::*;

const TWO_SCENARIOS: &str = "[scenarios.a]\nweight = 3\n[[scenarios.a.requests]]\npath = \"/a\"\n\
                             [scenarios.b]\nweight = 1\n[[scenarios.b.requests]]\npath = \"/b\"\n";

#[tokio::test(start_paused = true)]
async fn failed_requests_are_timed_to_the_moment_they_failed() {
    // One unpaced user for 3 s; in the second second the server never answers and every
    // request times out after 500 ms. Those two timeouts (sent at 1.0 s and 1.5 s) are
    // failures timed at 500 ms; the 1 ms answers stay in the successful histogram.
    let plan = plan("test_duration_seconds = 3", 1, ONE_REQUEST);
    let stalled = |offset: Duration| (1000..2000).contains(&offset.as_millis());
    let mut options = Options::new(
        Rc::new(move |offset| {
            if stalled(offset) {
                Duration::from_millis(500)
            } else {
                Duration::from_millis(1)
            }
        }),
        1,
    );
    options.answer = Rc::new(move |offset| {
        if stalled(offset) {
            Outcome::Failed(FailureKind::Timeout)
        } else {
            Outcome::Status(200)
        }
    });
    let run = simulate_opts(plan, options).await;
    let row = run.total.total();
    assert_eq!(row.failures(), 2);
    assert_eq!(row.failed_time().len(), 2, "every failure is timed");
    assert!(row
        .failed_time()
        .equivalent(row.failed_time().min(), 500_000));
    assert_eq!(row.response_time().len(), row.count() - 2);
    assert!(row.response_time().max() < 1_100, "successes only");
    assert_eq!(run.total.scenario_rows()[0].failed_iterations(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_request_is_timed_to_the_cut() {
    // Sent at 3 s, cut at the end of the 1 s graceful stop at 5 s: 2 s in flight.
    let plan = plan(
        "test_duration_seconds = 4\ngraceful_stop = \"1s\"",
        1,
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_secs(3), 1).await;
    let row = run.total.total();
    assert_eq!(row.interrupted(), 1);
    assert!(row
        .interrupted_time()
        .equivalent(row.interrupted_time().max(), 2_000_000));
}

#[tokio::test(start_paused = true)]
async fn every_due_arrival_is_started_dropped_or_cut() {
    // 10,000 arrivals/s for 1 s with every timer 300 µs late: the dispatcher falls behind
    // by up to 300 µs, so arrivals due just before the end are still undispatched when
    // it comes. They are cut, neither lost nor called dropped: due = 10,000 exactly.
    let plan = plan_with_load(
        "test_duration_seconds = 1",
        "arrival_rate = 10000\nmax_users = 200",
        ONE_REQUEST,
    );
    let mut options = Options::new(fixed(Duration::from_micros(50)), 1);
    options.late = Duration::from_micros(300);
    let run = simulate_opts(plan, options).await;
    let a = run.total.arrivals();
    assert_eq!(
        a.due(),
        10_000,
        "{} + {} + {}",
        a.started(),
        a.dropped(),
        a.cut()
    );
    assert_eq!(a.dropped(), 0);
    assert!(a.cut() > 0, "the last arrivals came too late to start");
    // Lateness is the dispatcher's own histogram; no arrival waited for a free user.
    // Lateness of every dispatched arrival: the started ones, and any cut in the queue.
    assert!((a.started()..=a.due()).contains(&a.lag().len()));
    assert!(a.lag().value_at_quantile(0.5) > 0);
    assert_eq!(
        a.wait().len(),
        0,
        "users were idle: lateness is not a pool wait"
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_arrivals_are_failures_and_queued_ones_at_the_end_are_cut() {
    // 20 arrivals/s for 2 s, 2 users, 1 s scenarios: most are dropped; the queue holds
    // 2 at the end, due before it but never started: cut, not dropped.
    let plan = plan_with_load(
        "test_duration_seconds = 2",
        "arrival_rate = 20\nmax_users = 2",
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_secs(1), 1).await;
    let a = run.total.arrivals();
    assert_eq!(a.due(), 40);
    assert_eq!(a.cut(), 2, "the queue at the end");
    assert_eq!(run.total.failures_with_dropped(), a.dropped());
    assert!(a.dropped() >= 30);
}

#[tokio::test(start_paused = true)]
async fn the_warmup_is_recorded_apart() {
    // 100 ms requests for 5 s, the first 2 s a warm-up: 20 requests there, 30 after.
    let plan = plan("test_duration_seconds = 5\nwarmup = \"2s\"", 1, ONE_REQUEST);
    let run = simulate(plan, Duration::from_millis(100), 1).await;
    assert_eq!(run.warmup.requests(), 20);
    assert_eq!(run.total.requests(), 30);
    assert_eq!(run.warmup.scenario_rows()[0].iterations(), 20);
}

/// Every request of a run as (sent at µs, path), in order.
fn traffic(run: &Simulated) -> Vec<(u64, String)> {
    let mut all: Vec<(u64, String)> = run.sent.iter().map(|s| (s.at_us, s.path.clone())).collect();
    all.sort();
    all
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_makes_the_same_arrivals_whatever_the_thread_count() {
    let plan = || {
        plan_with_load(
            "test_duration_seconds = 2",
            "arrival_rate = 500\narrivals = \"poisson\"\nmax_users = 64",
            TWO_SCENARIOS,
        )
    };
    let mut runs = Vec::new();
    for shares in [1, 2, 4] {
        let mut options = Options::new(fixed(Duration::from_millis(1)), 7);
        options.shares = shares;
        runs.push(traffic(&simulate_opts(plan(), options).await));
    }
    assert!(runs[0].len() > 900, "{} arrivals", runs[0].len());
    assert_eq!(runs[0], runs[1], "1 and 2 threads");
    assert_eq!(runs[0], runs[2], "1 and 4 threads");
    // Neighbouring seeds (S and S^1) make unrelated timelines.
    let mut options = Options::new(fixed(Duration::from_millis(1)), 7 ^ 1);
    options.shares = 2;
    assert_ne!(traffic(&simulate_opts(plan(), options).await), runs[1]);
}

#[tokio::test(start_paused = true)]
async fn users_choose_the_same_whatever_the_thread_count() {
    let mut runs = Vec::new();
    for shares in [1, 2, 4] {
        let mut options = Options::new(fixed(Duration::from_millis(10)), 7);
        options.shares = shares;
        let plan = plan("test_duration_seconds = 1", 4, TWO_SCENARIOS);
        let run = simulate_opts(plan, options).await;
        let mut by_user: Vec<(u32, u64, String)> = run
            .sent
            .iter()
            .map(|s| (s.user, s.at_us, s.path.clone()))
            .collect();
        by_user.sort();
        runs.push(by_user);
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

#[tokio::test(start_paused = true)]
async fn the_open_model_connects_its_initial_pool_before_the_first_arrival() {
    // 1,000 arrivals/s: 5 ms of them (and one more) is 6 users, connected before the
    // run starts, so the first arrival goes out at once on an open connection.
    let plan = plan_with_load(
        "test_duration_seconds = 1",
        "arrival_rate = 1000\nmax_users = 50",
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_micros(200), 1).await;
    assert_eq!(run.connects.len(), 6);
    assert_eq!(run.sent[0].at_us, 0);
    let pool: std::collections::BTreeSet<u32> = run.sent.iter().map(|s| s.user).collect();
    assert!(
        pool.len() <= 6,
        "the initial pool served every arrival: {pool:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_user_is_reported_and_leaves_no_trace_in_the_gauges() {
    // User 0 panics on its fourth request; user 1 carries on to the end.
    let plan = plan("test_duration_seconds = 1", 2, ONE_REQUEST);
    let mut options = Options::new(fixed(Duration::from_millis(100)), 1);
    options.panic_at = Some(3);
    let run = simulate_opts(plan, options).await;
    assert_eq!(run.panics, ["boom on send 3"]);
    assert_eq!(run.active_at_end, 0, "the active gauge came back down");
    assert_eq!(times_of(&run.sent, 1).len(), 10);
    assert_eq!(run.total.requests(), 13, "3 of user 0, 10 of user 1");
}
