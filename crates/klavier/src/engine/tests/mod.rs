//! The engine's scheduling, specified with tokio's paused clock: users, pacing and the
//! graceful stop are exercised with a transport that only takes time, so every
//! instant is exact and the tests run in milliseconds. This file holds the harness;
//! `pacing.rs` the closed model's rules, `shapes.rs` ramps, arrivals and stalls,
//! `accounting.rs` what every figure counts (failures, drops, warm-up, seeds, panics).

mod accounting;
mod pacing;
mod roles;
mod segments;
mod shapes;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{segment, Load, Overrides, Plan, ScenarioPicker};
use klavier_stats::{FailureKind, Outcome, Snapshot, StopReason};
use tokio::task::{JoinSet, LocalSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::closed::run_user;
use super::context::Context;
use super::control::{Controller, Signals};
use super::open;
use super::schedule::Schedule;
use super::timer::Timer;
use super::transport::Transport;
use super::vu::Vu;
use crate::http::Exchanged;

/// How long a request sent at an offset from the start takes.
type Latency = Rc<dyn Fn(Duration) -> Duration>;

/// What a request sent at an offset from the start gets back.
type Answer = Rc<dyn Fn(Duration) -> Outcome>;

/// A transport whose requests take the time `latency` says, logging who sent what when.
#[derive(Clone)]
struct Clockwork {
    user: u32,
    latency: Latency,
    answer: Answer,
    start: Rc<Cell<Instant>>,
    log: Rc<RefCell<Vec<Sent>>>,
    connects: Rc<RefCell<Vec<u32>>>,
    /// Panics on this user's n-th send (counting from 0), if set.
    panic_at: Option<usize>,
    sends: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    user: u32,
    at_ms: u64,
    at_us: u64,
    path: String,
}

impl Transport for Clockwork {
    fn lane(&self) -> Self {
        Clockwork {
            latency: self.latency.clone(),
            answer: self.answer.clone(),
            start: self.start.clone(),
            log: self.log.clone(),
            connects: self.connects.clone(),
            panic_at: None,
            sends: 0,
            ..*self
        }
    }

    async fn send(&mut self, request: &klavier_plan::Request) -> Exchanged {
        let offset = Instant::now() - self.start.get();
        self.log.borrow_mut().push(Sent {
            user: self.user,
            at_ms: offset.as_millis() as u64,
            at_us: offset.as_micros() as u64,
            path: request.uri.path().to_owned(),
        });
        self.sends += 1;
        if self.panic_at == Some(self.sends - 1) {
            panic!("boom on send {}", self.sends - 1);
        }
        tokio::time::sleep((self.latency)(offset)).await;
        Exchanged {
            outcome: (self.answer)(offset),
            bytes_sent: 10,
            bytes_received: 20,
            retried: false,
            reason: None,
            timing: klavier_stats::Timing::default(),
            protocol: None,
        }
    }

    async fn preconnect(&mut self) {
        self.connects.borrow_mut().push(self.user);
        tokio::time::sleep(Duration::from_millis(3)).await;
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
    /// Users whose connection was opened before the run started, in order.
    connects: Vec<u32>,
    total: Snapshot,
    warmup: Snapshot,
    stop: StopReason,
    /// Active users sampled every 100 ms.
    active: Vec<u32>,
    /// Active users once every task has ended.
    active_at_end: u32,
    panics: Vec<String>,
}

fn fixed(latency: Duration) -> Latency {
    Rc::new(move |_| latency)
}

/// How a simulated run differs from the plain one.
#[derive(Clone)]
struct Options {
    latency: Latency,
    answer: Answer,
    seed: u64,
    /// Workers the users (or arrivals) are shared among, all on one thread.
    shares: u32,
    /// How late every timer fires.
    late: Duration,
    /// User 0 panics on its n-th send.
    panic_at: Option<usize>,
}

impl Options {
    fn new(latency: Latency, seed: u64) -> Self {
        Self {
            latency,
            answer: Rc::new(|_| Outcome::Status(200)),
            seed,
            shares: 1,
            late: Duration::ZERO,
            panic_at: None,
        }
    }
}

/// Runs `plan` with `latency` per request, all users on one paused-clock worker.
async fn simulate(plan: Plan, latency: Duration, seed: u64) -> Simulated {
    simulate_with(plan, fixed(latency), seed).await
}

async fn simulate_with(plan: Plan, latency: Latency, seed: u64) -> Simulated {
    simulate_opts(plan, Options::new(latency, seed)).await
}

/// Runs `plan` as `engine::run` does, on `options.shares` contexts of one thread: the
/// open model's initial pools connect first, then the run starts.
async fn simulate_opts(plan: Plan, options: Options) -> Simulated {
    let plan = Arc::new(plan);
    let start = Rc::new(Cell::new(Instant::now()));
    let log = Rc::new(RefCell::new(Vec::new()));
    let connects = Rc::new(RefCell::new(Vec::new()));
    let transport = {
        let (log, connects, start) = (log.clone(), connects.clone(), start.clone());
        let (latency, answer) = (options.latency.clone(), options.answer.clone());
        let panic_at = options.panic_at;
        move |user: u32| Clockwork {
            user,
            latency: latency.clone(),
            answer: answer.clone(),
            start: start.clone(),
            log: log.clone(),
            connects: connects.clone(),
            panic_at: panic_at.filter(|_| user == 0),
            sends: 0,
        }
    };
    let (stop, abort) = (CancellationToken::new(), CancellationToken::new());
    let shares = options.shares;
    let seed = options.seed;
    let local = LocalSet::new();
    let mut active = Vec::new();
    let (contexts, reason) = local
        .run_until(async {
            let mut initial = Vec::new();
            for index in 0..shares {
                let n = open::initial_pool(&plan.load, index, shares);
                let users = (0..n)
                    .map(|n| Vu::new(index + n * shares, seed, transport(index + n * shares)))
                    .collect();
                initial.push(open::preconnect(users).await);
            }
            start.set(Instant::now());
            let schedule = Schedule::new(start.get(), &plan);
            let mut tasks = JoinSet::new();
            let mut contexts = Vec::new();
            for (index, initial) in (0..shares).zip(initial) {
                let ctx = Rc::new(
                    Context::new(plan.clone(), schedule.clone(), stop.clone(), abort.clone())
                        .with_timer(match options.late {
                            late if late.is_zero() => Timer::Tokio,
                            late => Timer::Late(late),
                        }),
                );
                match &plan.load {
                    Load::Closed { .. } => {
                        for user in segment::users_of_share(index, shares, plan.load.max_users()) {
                            let vu = Vu::new(user, seed, transport(user));
                            tasks.spawn_local(run_user(vu, ctx.clone()));
                        }
                    }
                    Load::Open { .. } => {
                        let transport = transport.clone();
                        let make_user = move |n: u32| {
                            let user = index + n * shares;
                            Vu::new(user, seed, transport(user))
                        };
                        let arrivals = open::run_arrivals(
                            ctx.clone(),
                            (index, shares),
                            seed,
                            make_user,
                            initial,
                        );
                        tasks.spawn_local(arrivals);
                    }
                }
                contexts.push(ctx);
            }
            let mut controller = Controller::new(schedule, stop, abort, Signals::Ignore);
            let mut sampler = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    joined = tasks.join_next() => match joined {
                        None => break,
                        Some(Err(error)) => contexts[0].note_task_end(error),
                        Some(Ok(())) => {}
                    },
                    _ = controller.step() => {}
                    _ = sampler.tick() => {
                        active.push(contexts.iter().map(|c| c.active.get()).sum());
                    }
                }
            }
            // A ramp to zero users can end every user before the deadline.
            let reason = controller
                .stopped_at()
                .map_or(StopReason::Completed, |(_, reason)| reason);
            (contexts, reason)
        })
        .await;
    let (requests, scenarios) = (plan.request_names.len(), plan.scenarios.len());
    let mut total = Snapshot::empty(requests, scenarios);
    let mut warmup = Snapshot::empty(requests, scenarios);
    let mut panics = Vec::new();
    for ctx in &contexts {
        total += &ctx.recorder.borrow_mut().take_snapshot();
        warmup += &ctx.warmup.borrow_mut().take_snapshot();
        panics.append(&mut ctx.panics.borrow_mut());
    }
    let sent = log.borrow().clone();
    let connects = connects.borrow().clone();
    Simulated {
        sent,
        connects,
        total,
        warmup,
        stop: reason,
        active,
        active_at_end: contexts.iter().map(|c| c.active.get()).sum(),
        panics,
    }
}

fn times_of(sent: &[Sent], user: u32) -> Vec<u64> {
    sent.iter()
        .filter(|s| s.user == user)
        .map(|s| s.at_ms)
        .collect()
}
