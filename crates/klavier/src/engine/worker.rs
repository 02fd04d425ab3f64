//! A worker: one OS thread, one current-thread runtime, its share of the users and
//! one recorder. Reports a snapshot to the aggregator once a second and when done.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use klavier_plan::{segment, Plan, ScenarioPicker};
use klavier_stats::{Recorder, Snapshot};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::{JoinSet, LocalSet};
use tokio::time::{interval_at, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;
use super::vu::{run_user, Context, Vu};
use crate::http::{Client, Connector};

/// What a worker tells the aggregator.
#[derive(Debug)]
pub struct Report {
    /// Which worker.
    pub worker: usize,
    /// The second of the run this report closes (1 = the first second).
    pub second: u64,
    /// What was recorded since the previous report.
    pub snapshot: Snapshot,
    /// Users of this worker running at the time of the report.
    pub active_users: u32,
    /// The worker's last report.
    pub done: bool,
}

/// Everything a worker needs to start.
pub struct Setup {
    /// This worker's share index.
    pub index: usize,
    /// Number of shares (workers).
    pub shares: usize,
    /// The plan.
    pub plan: Arc<Plan>,
    /// How to reach the target.
    pub connector: Arc<Connector>,
    /// The run's seed.
    pub seed: u64,
    /// The run's instants.
    pub schedule: Schedule,
    /// No new requests once cancelled.
    pub stop: CancellationToken,
    /// In-flight requests cut off once cancelled.
    pub abort: CancellationToken,
    /// Where reports go.
    pub reports: UnboundedSender<Report>,
}

/// Starts the worker thread.
pub fn spawn(setup: Setup) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("klavier-worker-{}", setup.index))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime builds (no I/O driver limits reached)");
            LocalSet::new().block_on(&runtime, work(setup));
        })
}

async fn work(setup: Setup) {
    let plan = setup.plan.clone();
    let ctx = Rc::new(Context {
        picker: ScenarioPicker::new(&plan.scenarios),
        recorder: RefCell::new(Recorder::new(
            plan.request_names.len(),
            plan.scenarios.len(),
        )),
        schedule: setup.schedule.clone(),
        stop: setup.stop.clone(),
        abort: setup.abort.clone(),
        active: Cell::new(0),
        plan,
    });
    let mut users = JoinSet::new();
    let users_total = ctx.plan.load.max_users();
    for id in segment::users_of_share(setup.index as u32, setup.shares as u32, users_total) {
        let vu = Vu::new(id, setup.seed, Client::new(setup.connector.clone()));
        users.spawn_local(run_user(vu, ctx.clone()));
    }
    let second = Duration::from_secs(1);
    let mut ticks = interval_at(ctx.schedule.start + second, second);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_second = 0;
    loop {
        tokio::select! {
            tick = ticks.tick() => {
                last_second = ctx.schedule.second_of(tick);
                send(&setup, &ctx, last_second, false);
            }
            joined = users.join_next() => {
                if joined.is_none() {
                    break;
                }
            }
        }
    }
    send(&setup, &ctx, last_second + 1, true);
}

fn send(setup: &Setup, ctx: &Context, second: u64, done: bool) {
    let snapshot = ctx.recorder.borrow_mut().take_snapshot();
    // The aggregator only goes away once every worker is done, so a failed send
    // means the run is being torn down and the numbers have nowhere to go.
    let _ = setup.reports.send(Report {
        worker: setup.index,
        second,
        snapshot,
        active_users: ctx.active.get(),
        done,
    });
}
