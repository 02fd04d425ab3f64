//! The engine's scheduling, specified with tokio's paused clock: users, pacing and the
//! graceful stop are exercised with a transport that only takes time, so every
//! instant is exact and the tests run in milliseconds. This file holds the harness;
//! `pacing.rs` the closed model's rules, `shapes.rs` ramps, arrivals and stalls.

mod pacing;
mod shapes;

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
            retried: false,
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
