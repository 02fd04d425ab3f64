//! The engine: runs a [`Plan`]'s users on a thread-per-core set of workers and
//! collects their statistics.
//!
//! Each worker thread owns a current-thread tokio runtime, its share of the users
//! (the partition rule of `klavier_plan::segment`) and one [`Recorder`](klavier_stats::Recorder)
//! that nobody else touches. Once a second it hands a snapshot of what it recorded to
//! the aggregator on the calling thread, which merges them, feeds the live view and
//! builds the time series. Nothing is shared on the hot path.

mod aggregate;
mod closed;
mod context;
mod control;
mod cpu;
mod exchange;
mod open;
mod parallel;
mod roles;
mod schedule;
mod seeds;
mod signals;
mod start;
mod timer;
mod transport;
mod vu;
mod worker;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use klavier_plan::Plan;
use klavier_stats::{Snapshot, StopReason, TimePoint};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub use aggregate::Progress;
pub use control::Signals;
pub use schedule::Schedule;
pub use signals::{deliver, listen_to_os_signals, received, StopSignal};
pub use start::{Part, StartAt};
pub use transport::Transport;

use crate::http::Connector;

/// What a finished run produced, before it becomes a summary.
#[derive(Debug)]
pub struct RunResult {
    /// Wall-clock time the run started.
    pub started_at: SystemTime,
    /// Time from the start until users stopped starting new requests.
    pub elapsed: Duration,
    /// Why the run stopped.
    pub stop_reason: StopReason,
    /// The signal that stopped it, if one did (the exit code follows it).
    pub signal: Option<StopSignal>,
    /// Everything recorded after the warm-up, merged over all workers.
    pub total: Snapshot,
    /// Everything recorded during the warm-up.
    pub warmup: Snapshot,
    /// Messages of user tasks that panicked (a bug in Klavier).
    pub panics: Vec<String>,
    /// One point per second of the run.
    pub timeseries: Vec<TimePoint>,
    /// The highest share of a second a worker thread spent on the CPU, if known.
    pub worker_cpu_peak: Option<f64>,
    /// With a common start (`--start-at`): how late this process started after it.
    pub start_lag: Option<Duration>,
    /// Why the first request that could not be rendered was not sent, if one was not.
    pub not_rendered: Option<String>,
    /// Why the first request that failed as `invalid_url` once rendered did, if one did.
    pub invalid_url: Option<String>,
}

/// Runs part `part` of `plan` (the whole run, or a segment's users or arrivals by the
/// partition rule, from a common start if it has one) with `seed` on `threads` worker
/// threads, calling `on_progress` once a second (which may break with a reason to stop
/// the run gracefully). Returns when every user has stopped (at the end of the duration
/// plus, at most, the graceful stop) or after an interruption by `signals`.
pub fn run(
    plan: Arc<Plan>,
    connector: Arc<Connector>,
    seed: u64,
    part: Part,
    threads: usize,
    signals: Signals,
    on_progress: &mut dyn FnMut(&Progress) -> std::ops::ControlFlow<StopReason>,
) -> anyhow::Result<RunResult> {
    let segment = part.segment;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop = CancellationToken::new();
    let abort = CancellationToken::new();
    let shares = threads.clamp(1, segment.users(plan.load.max_users()).max(1) as usize);
    let (reports, inbox) = mpsc::unbounded_channel();
    let (ready, readiness) = std::sync::mpsc::channel();
    // One per run: `seq()` and `unique` feeders count across every worker.
    let session = Arc::new(crate::session::Shared::for_segment(&plan, segment));
    let mut starts = Vec::new();
    let workers = (0..shares)
        .map(|index| {
            let (start, schedule) = oneshot::channel();
            starts.push(start);
            let setup = worker::Setup {
                index,
                shares,
                segment,
                plan: plan.clone(),
                session: session.clone(),
                connector: connector.clone(),
                seed,
                stop: stop.clone(),
                abort: abort.clone(),
                reports: reports.clone(),
            };
            worker::spawn(setup, ready.clone(), schedule).map_err(explain_start)
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    drop((reports, ready));
    // Every worker has its first users connected (or failed to): the run starts now.
    // A worker that died preparing closes its end, and its join below reports it.
    for _ in 0..shares {
        if readiness.recv().is_err() {
            break;
        }
    }
    let start_lag = match part.start_at.map(start::wait_for).transpose() {
        Ok(lag) => lag,
        Err(too_late) => {
            // Dropping the start senders ends every worker before its first request.
            drop(starts);
            for worker in workers {
                let _ = worker.join();
            }
            return Err(too_late.into());
        }
    };
    let started_at = SystemTime::now();
    let schedule = Schedule::new(tokio::time::Instant::now(), &plan);
    for start in starts {
        let _ = start.send(schedule.clone());
    }
    let layout = (plan.request_names.len(), plan.scenarios.len());
    let outcome = runtime.block_on(async {
        let controller = control::Controller::new(schedule.clone(), stop, abort, signals);
        aggregate::collect(inbox, shares, layout, &schedule, controller, on_progress).await
    });
    for worker in workers {
        if worker.join().is_err() {
            anyhow::bail!("a worker thread panicked; results are incomplete");
        }
    }
    // Users that ran out of data ended the run early: its rates are per the time it took.
    let ran = tokio::time::Instant::now().saturating_duration_since(schedule.start);
    let elapsed = if session.feeds.ran_out() {
        outcome.elapsed.min(ran)
    } else {
        outcome.elapsed
    };
    Ok(RunResult {
        started_at,
        elapsed,
        stop_reason: outcome.stop_reason,
        signal: outcome.signal,
        total: outcome.total,
        warmup: outcome.warmup,
        panics: outcome.panics,
        timeseries: outcome.timeseries,
        worker_cpu_peak: outcome.worker_cpu_peak,
        start_lag,
        not_rendered: session.not_rendered.get().cloned(),
        invalid_url: session.invalid_url.get().cloned(),
    })
}

#[cfg(test)]
mod tests;

/// Says what to do when a worker cannot even start: out of file descriptors is the
/// open-file limit, which the user can raise.
fn explain_start(err: std::io::Error) -> std::io::Error {
    if matches!(err.raw_os_error(), Some(23 | 24)) {
        let limit = rlimit::getrlimit(rlimit::Resource::NOFILE)
            .map(|(soft, _)| soft.to_string())
            .unwrap_or_else(|_| "unknown".into());
        return std::io::Error::other(format!(
            "cannot start a worker thread: out of file descriptors (the open-file limit is \
             {limit}); raise it with `ulimit -n` (each user needs one per origin, plus a few \
             per worker thread)"
        ));
    }
    err
}
