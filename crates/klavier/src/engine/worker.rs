//! A worker: one OS thread, one current-thread runtime, its share of the users (or of
//! the arrivals) and one recorder. Reports a snapshot to the aggregator once a second
//! and when done.

use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use klavier_plan::segment::{self, Segment};
use klavier_plan::{Load, Plan};
use klavier_stats::Snapshot;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::task::{JoinSet, LocalSet};
use tokio::time::{interval_at, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::closed::run_user;
use super::context::Context;
use super::cpu::CpuMeter;
use super::open;
use super::schedule::Schedule;
use super::timer::Timer;
use super::vu::Vu;
use crate::http::{Client, Connector};

/// What a worker tells the aggregator.
#[derive(Debug)]
pub struct Report {
    /// Which worker.
    pub worker: usize,
    /// The second of the run this report closes (1 = the first second).
    pub second: u64,
    /// What was recorded since the previous report (after the warm-up).
    pub snapshot: Snapshot,
    /// What was recorded since the previous report during the warm-up.
    pub warmup: Snapshot,
    /// Messages of user tasks that panicked since the previous report.
    pub panics: Vec<String>,
    /// Users of this worker running (closed) or busy (open) at the time of the report.
    pub active_users: u32,
    /// Arrivals of this worker waiting for a free user at the time of the report.
    pub waiting: u32,
    /// The share of the interval this worker's thread was on the CPU, if known.
    pub cpu: Option<f64>,
    /// The worker's last report.
    pub done: bool,
}

/// Everything a worker needs to start.
pub struct Setup {
    /// This worker's share index.
    pub index: usize,
    /// What every user's session shares across the run.
    pub session: Arc<crate::session::Shared>,
    /// Number of shares (workers).
    pub shares: usize,
    /// The segment of the run this process runs; its workers split it.
    pub segment: Segment,
    /// The plan.
    pub plan: Arc<Plan>,
    /// How to reach the target.
    pub connector: Arc<Connector>,
    /// The run's seed.
    pub seed: u64,
    /// No new requests once cancelled.
    pub stop: CancellationToken,
    /// In-flight requests cut off once cancelled.
    pub abort: CancellationToken,
    /// Where reports go.
    pub reports: UnboundedSender<Report>,
}

/// Starts the worker thread. It prepares (the open model connects its initial pool),
/// says so on `ready`, and starts its users once `schedule` fixes the run's start.
pub fn spawn(
    setup: Setup,
    ready: std::sync::mpsc::Sender<()>,
    schedule: oneshot::Receiver<Schedule>,
) -> std::io::Result<JoinHandle<()>> {
    // Built here, so running out of file descriptors (the I/O driver needs some) is an
    // error the caller reports, not a panic in the thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("klavier-worker-{}", setup.index))
        .spawn(move || {
            LocalSet::new().block_on(&runtime, async move {
                let initial = prepare(&setup).await;
                // The run's start waits for every worker to be ready.
                let _ = ready.send(());
                drop(ready);
                if let Ok(schedule) = schedule.await {
                    work(setup, schedule, initial).await;
                }
            });
        })
}

impl Setup {
    /// This worker's share of the whole run `(index, shares)`: its part of its segment.
    fn share(&self) -> (u32, u32) {
        self.segment
            .worker_share(self.index as u32, self.shares as u32)
    }
}

/// This worker's `n`-th open-model user: global id `index + n·shares`.
fn pool_user(setup: &Setup, n: u32) -> Vu<Client> {
    let (index, shares) = setup.share();
    let id = index + n * shares;
    Vu::new(id, setup.seed, Client::new(setup.connector.clone()))
}

/// The open model's initial pool, connected; nothing for the closed model.
async fn prepare(setup: &Setup) -> Vec<Vu<Client>> {
    let (index, shares) = setup.share();
    let n = open::initial_pool(&setup.plan.load, index, shares);
    open::preconnect((0..n).map(|n| pool_user(setup, n)).collect()).await
}

async fn work(setup: Setup, schedule: Schedule, initial: Vec<Vu<Client>>) {
    let ctx = Rc::new(
        Context::new(
            setup.plan.clone(),
            schedule,
            setup.stop.clone(),
            setup.abort.clone(),
        )
        .with_session(setup.session.clone())
        .with_timer(Timer::precise()),
    );
    let (index, shares) = setup.share();
    let mut tasks = JoinSet::new();
    match &ctx.plan.load {
        Load::Closed { .. } => {
            let users = ctx.plan.load.max_users();
            for id in segment::users_of_share(index, shares, users) {
                let vu = Vu::new(id, setup.seed, Client::new(setup.connector.clone()));
                tasks.spawn_local(run_user(vu, ctx.clone()));
            }
        }
        Load::Open { .. } => {
            let (connector, seed) = (setup.connector.clone(), setup.seed);
            let make_user =
                move |n: u32| Vu::new(index + n * shares, seed, Client::new(connector.clone()));
            let arrivals =
                open::run_arrivals(ctx.clone(), (index, shares), seed, make_user, initial);
            tasks.spawn_local(arrivals);
        }
    }
    report_until_done(&setup, &ctx, tasks).await;
}

/// Reports once a second, aligned on the run's start, until every task has ended.
async fn report_until_done(setup: &Setup, ctx: &Context, mut tasks: JoinSet<()>) {
    let second = Duration::from_secs(1);
    let mut ticks = interval_at(ctx.schedule.start + second, second);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut cpu = CpuMeter::start();
    let mut last_second = 0;
    loop {
        tokio::select! {
            tick = ticks.tick() => {
                last_second = ctx.schedule.second_of(tick);
                send(setup, ctx, last_second, cpu.share(), false);
            }
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Err(error)) => ctx.note_task_end(error),
                Some(Ok(())) => {}
            }
        }
    }
    send(setup, ctx, last_second + 1, cpu.share(), true);
}

fn send(setup: &Setup, ctx: &Context, second: u64, cpu: Option<f64>, done: bool) {
    let snapshot = ctx.recorder.borrow_mut().take_snapshot();
    let warmup = ctx.warmup.borrow_mut().take_snapshot();
    let panics = ctx.panics.take();
    // The aggregator only goes away once every worker is done, so a failed send
    // means the run is being torn down and the numbers have nowhere to go.
    let _ = setup.reports.send(Report {
        worker: setup.index,
        second,
        snapshot,
        warmup,
        panics,
        active_users: ctx.active.get(),
        waiting: ctx.waiting.get(),
        cpu,
        done,
    });
}
