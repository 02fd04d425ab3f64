//! The engine's scheduling, specified with tokio's paused clock: users, pacing and the
//! graceful stop are exercised with a transport that only takes time, so every
//! instant is exact and the tests run in milliseconds.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Load, Overrides, Plan, ScenarioPicker};
use klavier_stats::{Outcome, Snapshot, StopReason};
use tokio::task::LocalSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::control::{Controller, Signals};
use super::open;
use super::schedule::Schedule;
use super::transport::Transport;
use super::vu::{run_user, Context, Vu};
use crate::http::Exchanged;

/// How long a request sent at an offset from the start takes.
type Latency = Rc<dyn Fn(Duration) -> Duration>;

/// A transport whose requests take the time `latency` says, logging who sent what when.
#[derive(Clone)]
struct Clockwork {
    user: u32,
    latency: Latency,
    start: Instant,
    log: Rc<RefCell<Vec<Sent>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    user: u32,
    at_ms: u64,
    path: String,
}

impl Transport for Clockwork {
    async fn send(&mut self, request: &klavier_plan::Request) -> Exchanged {
        let offset = Instant::now() - self.start;
        self.log.borrow_mut().push(Sent {
            user: self.user,
            at_ms: offset.as_millis() as u64,
            path: request.uri.path().to_owned(),
        });
        tokio::time::sleep((self.latency)(offset)).await;
        Exchanged {
            outcome: Outcome::Status(200),
            bytes_sent: 10,
            bytes_received: 20,
        }
    }
}

fn plan(timings: &str, users: u32, scenarios: &str) -> Plan {
    plan_with_load(timings, &format!("users = {users}"), scenarios)
}

fn plan_with_load(timings: &str, load: &str, scenarios: &str) -> Plan {
    let source = format!(
        "[target]\nbase_url = \"http://127.0.0.1:1\"\n[load]\n{load}\n[timings]\n{timings}\n{scenarios}"
    );
    klavier_plan::compile(&source, "test.toml", &Overrides::default()).expect("test profile")
}

const ONE_REQUEST: &str = "[scenarios.a]\n[[scenarios.a.requests]]\npath = \"/a\"\n";

struct Simulated {
    sent: Vec<Sent>,
    total: Snapshot,
    stop: StopReason,
    /// Active users sampled every 100 ms.
    active: Vec<u32>,
}

fn fixed(latency: Duration) -> Latency {
    Rc::new(move |_| latency)
}

/// Runs `plan` with `latency` per request, all users on one paused-clock worker.
async fn simulate(plan: Plan, latency: Duration, seed: u64) -> Simulated {
    simulate_with(plan, fixed(latency), seed).await
}

async fn simulate_with(plan: Plan, latency: Latency, seed: u64) -> Simulated {
    let start = Instant::now();
    let schedule = Schedule::new(start, &plan);
    let (stop, abort) = (CancellationToken::new(), CancellationToken::new());
    let plan = Arc::new(plan);
    let ctx = Rc::new(Context::new(
        plan.clone(),
        schedule.clone(),
        stop.clone(),
        abort.clone(),
    ));
    let log = Rc::new(RefCell::new(Vec::new()));
    let local = LocalSet::new();
    let transport = {
        let (log, latency) = (log.clone(), latency.clone());
        move |user| Clockwork {
            user,
            latency: latency.clone(),
            start,
            log: log.clone(),
        }
    };
    let tasks: Vec<_> = match &plan.load {
        Load::Closed { .. } => (0..plan.load.max_users())
            .map(|user| {
                local.spawn_local(run_user(Vu::new(user, seed, transport(user)), ctx.clone()))
            })
            .collect(),
        Load::Open { .. } => {
            let make_user = move |n| Vu::new(n, seed, transport(n));
            vec![local.spawn_local(open::run_arrivals(ctx.clone(), 0, 1, seed, make_user))]
        }
    };
    let mut controller = Controller::new(schedule, stop, abort, Signals::Ignore);
    let mut active = Vec::new();
    local
        .run_until(async {
            let all_done = async {
                for task in tasks {
                    task.await.expect("user task");
                }
            };
            tokio::pin!(all_done);
            let mut sampler = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    _ = &mut all_done => break,
                    _ = controller.step() => {}
                    _ = sampler.tick() => active.push(ctx.active.get()),
                }
            }
        })
        .await;
    let total = ctx.recorder.borrow_mut().take_snapshot();
    let sent = log.borrow().clone();
    Simulated {
        sent,
        total,
        // A ramp to zero users can end every user before the deadline.
        stop: controller
            .stopped_at()
            .map_or(StopReason::Completed, |(_, reason)| reason),
        active,
    }
}

fn times_of(sent: &[Sent], user: u32) -> Vec<u64> {
    sent.iter()
        .filter(|s| s.user == user)
        .map(|s| s.at_ms)
        .collect()
}

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
    async fn send(&mut self, _: &klavier_plan::Request) -> Exchanged {
        std::future::pending().await
    }
}

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
    assert_eq!(
        arrivals.started() + arrivals.dropped(),
        40,
        "every arrival is accounted for"
    );
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
