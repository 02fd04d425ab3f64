//! Ramping users, arrival timelines, stalls, think time and the queue.

use super::*;

#[tokio::test(start_paused = true)]
async fn active_users_follow_the_stages() {
    // 0 → 10 users over 5 s, hold 5 s, down to 0 over 5 s; 100 ms requests, 1 s pacing.
    let load = r#"stages = [{ duration = "5s", users = 10 }, { duration = "5s", users = 10 }, { duration = "5s", users = 0 }]"#;
    let plan = plan_with_load("min_scenario_interval_ms = 1000", load, ONE_REQUEST);
    let run = simulate(plan, Duration::from_millis(100), 1).await;
    // Sampled every 100 ms: the level is 2 users/s up and down. A user leaves at its
    // next scenario start after the level drops below it, so the count may lag the
    // level by at most one user at any sample (and never exceeds the level by more).
    for (i, &active) in run.active.iter().enumerate() {
        let t = i as f64 * 0.1;
        let level = if t <= 5.0 {
            2.0 * t
        } else if t <= 10.0 {
            10.0
        } else {
            (30.0 - 2.0 * t).max(0.0)
        };
        let expected = level.floor();
        assert!(
            (f64::from(active) - expected).abs() <= 1.0,
            "at {t:.1}s: {active} active, level {level}"
        );
    }
    assert_eq!(run.active.iter().max(), Some(&10));
    // User 9 (the tenth) starts when the level reaches 10, at 5 s.
    assert_eq!(times_of(&run.sent, 9).first(), Some(&5000));
}

#[tokio::test(start_paused = true)]
async fn ramp_up_reaches_the_users_linearly() {
    let plan = plan_with_load(
        "test_duration_seconds = 4",
        "users = 4\nramp_up = \"2s\"",
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_millis(100), 1).await;
    // Level 2 users/s: user u starts at (u + 1) / 2 s.
    let firsts: Vec<u64> = (0..4).map(|u| times_of(&run.sent, u)[0]).collect();
    assert_eq!(firsts, vec![500, 1000, 1500, 2000]);
}

#[tokio::test(start_paused = true)]
async fn uniform_arrivals_follow_the_rate_exactly() {
    // 0 → 100/s over 10 s, then 100/s for 10 s: 500 + 1000 = 1500 arrivals, to the one.
    let load = r#"arrival_rate = 0
stages = [{ duration = "10s", rate = 100 }, { duration = "10s", rate = 100 }]"#;
    let plan = plan_with_load("", load, ONE_REQUEST);
    let run = simulate(plan, Duration::from_millis(5), 1).await;
    assert_eq!(run.total.arrivals().started(), 1500);
    assert_eq!(run.total.arrivals().dropped(), 0);
    // Arrival k of the ramp is due at sqrt(k / 5) s: the 125th (k = 125) at 5 s.
    assert_eq!(run.sent[125].at_ms, 5000);
}

#[tokio::test(start_paused = true)]
async fn poisson_arrivals_average_the_rate() {
    // 200/s for 30 s: 6000 arrivals expected, Poisson sd = sqrt(6000) ≈ 77; allow 4 sd
    // (the seeds are fixed, so this is deterministic; the bound says it is plausible).
    for seed in [1, 2, 3] {
        let load = "arrival_rate = 200\narrivals = \"poisson\"";
        let plan = plan_with_load("test_duration_seconds = 30", load, ONE_REQUEST);
        let run = simulate(plan, Duration::from_millis(5), seed).await;
        let n = run.total.arrivals().started() as f64;
        assert!(
            (n - 6000.0).abs() < 4.0 * 6000f64.sqrt(),
            "seed {seed}: {n} arrivals"
        );
        // Not evenly spaced: some gaps are far shorter than the mean of 5 ms.
        let gaps = run
            .sent
            .windows(2)
            .filter(|w| w[1].at_ms == w[0].at_ms)
            .count();
        assert!(
            gaps > 100,
            "seed {seed}: {gaps} arrivals in the same millisecond as the previous"
        );
    }
}

/// A server that stalls every response for the first `stall` of each `period`: a
/// request arriving during a stall waits for its end.
fn stalling(stall: Duration, period: Duration, base: Duration) -> Latency {
    Rc::new(move |offset: Duration| {
        let phase = Duration::from_nanos((offset.as_nanos() % period.as_nanos()) as u64);
        base + stall.saturating_sub(phase)
    })
}

#[tokio::test(start_paused = true)]
async fn the_open_model_sees_what_users_see_during_a_stall() {
    // 100 arrivals/s, 1 ms service time, and the server stalls 200 ms of every second.
    // Arrivals due during the stall (20% of them) wait until it ends: one due at phase p
    // answers at 200 ms + 1 ms, a response time of 201 - p ms. So 80% are at 1 ms and
    // the slowest 20% spread evenly from 1 ms to 201 ms: p90 is the middle of that
    // spread (≈ 101 ms) and p99 is 190 ms into it (≈ 191 ms).
    let plan = plan_with_load(
        "test_duration_seconds = 10",
        "arrival_rate = 100\nmax_users = 100",
        ONE_REQUEST,
    );
    let latency = stalling(
        Duration::from_millis(200),
        Duration::from_secs(1),
        Duration::from_millis(1),
    );
    let run = simulate_with(plan, latency, 1).await;
    let total = run.total.total();
    let response = total.response_time();
    let near =
        |value_us: u64, expected_ms: f64| (value_us as f64 / 1000.0 - expected_ms).abs() <= 11.0;
    assert!(
        near(response.value_at_quantile(0.50), 1.0),
        "p50 {}",
        response.value_at_quantile(0.50)
    );
    assert!(
        near(response.value_at_quantile(0.90), 101.0),
        "p90 {}",
        response.value_at_quantile(0.90)
    );
    assert!(
        near(response.value_at_quantile(0.99), 191.0),
        "p99 {}",
        response.value_at_quantile(0.99)
    );
    assert_eq!(run.total.arrivals().started(), 1000);
}

#[tokio::test(start_paused = true)]
async fn the_closed_model_shows_the_stall_as_lost_throughput() {
    // 10 unpaced users against the same stall: each user is stuck for the 200 ms stall
    // once a second, so the run completes about 20% fewer requests than a steady server
    // (10 users × 1000 requests/s × 0.8 s per second), and its p99 hides the stall:
    // only one request per user per second waited.
    let plan = plan("test_duration_seconds = 10", 10, ONE_REQUEST);
    let steady = simulate(plan.clone(), Duration::from_millis(1), 1).await;
    let latency = stalling(
        Duration::from_millis(200),
        Duration::from_secs(1),
        Duration::from_millis(1),
    );
    let stalled = simulate_with(plan, latency, 1).await;
    let (steady, stalled) = (
        steady.total.requests() as f64,
        stalled.total.requests() as f64,
    );
    assert!(
        (stalled / steady - 0.8).abs() < 0.01,
        "{stalled} vs {steady}"
    );
}

#[tokio::test(start_paused = true)]
async fn think_time_and_minimum_interval_take_the_longer() {
    // Requests of 100 ms, 300 ms think time, 200 ms minimum interval: think wins (400 ms
    // start to start). With a 600 ms minimum interval, the interval wins.
    let scenario = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/1\"\n[[scenarios.a.requests]]\npath = \"/2\"\n";
    let think =
        "test_duration_seconds = 2\nthink_time = \"300ms\"\nmin_scenario_interval_ms = 1000";
    let run = simulate(
        plan(
            &format!("{think}\nmin_request_interval_ms = 200"),
            1,
            scenario,
        ),
        Duration::from_millis(100),
        1,
    )
    .await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 400, 1000, 1400]);
    let run = simulate(
        plan(
            &format!("{think}\nmin_request_interval_ms = 600"),
            1,
            scenario,
        ),
        Duration::from_millis(100),
        1,
    )
    .await;
    assert_eq!(times_of(&run.sent, 0), vec![0, 600, 1000, 1600]);
}

#[tokio::test(start_paused = true)]
async fn arrivals_wait_for_a_free_user_and_drop_when_the_queue_is_full() {
    // 20 arrivals/s for 2 s, 2 users, each scenario takes 1 s: 2 start at once, then the
    // queue (as long as the pool: 2) fills and the rest of the first second is dropped.
    let plan = plan_with_load(
        "test_duration_seconds = 2",
        "arrival_rate = 20\nmax_users = 2",
        ONE_REQUEST,
    );
    let run = simulate(plan, Duration::from_secs(1), 1).await;
    let arrivals = run.total.arrivals();
    assert_eq!(arrivals.due(), 40, "every arrival is accounted for");
    assert!(arrivals.dropped() >= 30, "{} dropped", arrivals.dropped());
    assert!(
        arrivals.wait().max() >= 900_000,
        "a queued arrival waited for a user"
    );
}

#[tokio::test(start_paused = true)]
async fn a_user_the_ramp_down_removes_gets_the_graceful_stop_to_finish() {
    // One user for 2 s, then none; each request takes 10 s and the graceful stop is 1 s:
    // the request sent at 0 s is cut off at 3 s and counted as interrupted, not failed.
    let load = r#"stages = [{ duration = "0s", users = 1 }, { duration = "2s", users = 1 }, { duration = "0s", users = 0 }]"#;
    let plan = plan_with_load(
        "test_duration_seconds = 10\ngraceful_stop = \"1s\"",
        load,
        ONE_REQUEST,
    );
    let started = Instant::now();
    let run = simulate(plan, Duration::from_secs(10), 1).await;
    assert_eq!(times_of(&run.sent, 0), vec![0]);
    assert_eq!(run.total.requests(), 0);
    assert_eq!(run.total.total().interrupted(), 1);
    assert_eq!(Instant::now() - started, Duration::from_secs(3));
}
