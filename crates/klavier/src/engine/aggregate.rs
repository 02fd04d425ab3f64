//! The aggregator: merges the workers' once-a-second snapshots into the run's total
//! and into one time-series point per second, and reports progress.

use std::collections::BTreeMap;
use std::time::Duration;

use klavier_stats::{Snapshot, StopReason, TimePoint};
use tokio::sync::mpsc::UnboundedReceiver;

use super::control::Controller;
use super::schedule::Schedule;
use super::signals::StopSignal;
use super::worker::Report;

/// One second of the run, as the live view shows it.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The point of the time series just completed.
    pub point: TimePoint,
    /// How long the run is planned to send requests.
    pub planned: Duration,
    /// Requests completed so far.
    pub total_requests: u64,
    /// Failures so far, dropped arrivals included.
    pub total_failures: u64,
    /// 99th percentile response time within this second.
    pub p99: Duration,
    /// True in the open model (arrivals at a rate).
    pub open_model: bool,
    /// Everything recorded in this second (the warm-up's included), for `/metrics`.
    pub delta: Snapshot,
}

/// What the aggregator hands back when every worker is done.
#[derive(Debug)]
pub struct Collected {
    /// Time from the start until the stop.
    pub elapsed: Duration,
    /// Why the run stopped.
    pub stop_reason: StopReason,
    /// The signal that stopped it, if one did.
    pub signal: Option<StopSignal>,
    /// Everything recorded after the warm-up.
    pub total: Snapshot,
    /// Everything recorded during the warm-up.
    pub warmup: Snapshot,
    /// Messages of user tasks that panicked.
    pub panics: Vec<String>,
    /// One point per second.
    pub timeseries: Vec<TimePoint>,
    /// The highest share of a second a worker thread spent on the CPU, if known.
    pub worker_cpu_peak: Option<f64>,
}

/// Receives reports until every worker is done, driving the controller meanwhile.
pub async fn collect(
    mut inbox: UnboundedReceiver<Report>,
    workers: usize,
    layout: (usize, usize),
    schedule: &Schedule,
    mut controller: Controller,
    on_progress: &mut dyn FnMut(&Progress),
) -> Collected {
    let mut merger = Merger::new(workers, layout);
    let planned = schedule.deadline - schedule.start;
    let mut emit = |merger: &Merger, point: TimePoint, delta: &Snapshot| {
        on_progress(&Progress {
            point,
            planned,
            // So far, the warm-up included: the live view shows everything as it happens.
            total_requests: merger.total.requests() + merger.warmup.requests(),
            total_failures: merger.total.failures_with_dropped()
                + merger.warmup.failures_with_dropped(),
            p99: delta.response_time_quantile(0.99),
            open_model: matches!(schedule.load(), klavier_plan::Load::Open { .. }),
            delta: delta.clone(),
        });
    };
    loop {
        tokio::select! {
            report = inbox.recv() => {
                let Some(report) = report else { break };
                for (point, delta) in merger.accept(report) {
                    emit(&merger, point, &delta);
                }
            }
            _ = controller.step() => {}
        }
    }
    for (point, delta) in merger.flush() {
        emit(&merger, point, &delta);
    }
    // Every user can be done before the deadline (stages down to zero users, an
    // arrival rate down to zero): the run then covered its whole planned span.
    let (stopped, stop_reason) = controller
        .stopped_at()
        .unwrap_or((schedule.deadline, StopReason::Completed));
    Collected {
        elapsed: stopped.saturating_duration_since(schedule.start),
        stop_reason,
        signal: controller.signal(),
        total: merger.total,
        warmup: merger.warmup,
        panics: merger.panics,
        timeseries: merger.series,
        worker_cpu_peak: merger.cpu_peak,
    }
}

/// One second still waiting for some workers' reports.
struct Pending {
    delta: Snapshot,
    users: u32,
    waiting: u32,
}

/// Merges reports; a second is complete once every worker has reported it or a later
/// one (a worker that skipped a tick has nothing more for it), or is done.
struct Merger {
    layout: (usize, usize),
    total: Snapshot,
    warmup: Snapshot,
    panics: Vec<String>,
    pending: BTreeMap<u64, Pending>,
    latest: Vec<u64>,
    done: Vec<bool>,
    series: Vec<TimePoint>,
    cpu_peak: Option<f64>,
}

impl Merger {
    fn new(workers: usize, layout: (usize, usize)) -> Self {
        Self {
            layout,
            total: Snapshot::empty(layout.0, layout.1),
            warmup: Snapshot::empty(layout.0, layout.1),
            panics: Vec::new(),
            pending: BTreeMap::new(),
            latest: vec![0; workers],
            done: vec![false; workers],
            series: Vec::new(),
            cpu_peak: None,
        }
    }

    /// Takes one report; returns the seconds it completed, oldest first.
    fn accept(&mut self, mut report: Report) -> Vec<(TimePoint, Snapshot)> {
        self.total += &report.snapshot;
        self.warmup += &report.warmup;
        self.panics.append(&mut report.panics);
        let (requests, scenarios) = self.layout;
        let pending = self
            .pending
            .entry(report.second)
            .or_insert_with(|| Pending {
                delta: Snapshot::empty(requests, scenarios),
                users: 0,
                waiting: 0,
            });
        // The time series shows every second, the warm-up's included.
        pending.delta += &report.snapshot;
        pending.delta += &report.warmup;
        pending.users += report.active_users;
        pending.waiting += report.waiting;
        // The last report covers a partial second, too short to judge the CPU by.
        if !report.done {
            self.cpu_peak = match (self.cpu_peak, report.cpu) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
        self.latest[report.worker] = self.latest[report.worker].max(report.second);
        self.done[report.worker] |= report.done;
        let mut completed = Vec::new();
        while let Some(&second) = self.pending.keys().next() {
            if !self.is_complete(second) {
                break;
            }
            let pending = self.pending.remove(&second).expect("the key was just seen");
            completed.push(self.finish(second, pending));
        }
        completed
    }

    fn is_complete(&self, second: u64) -> bool {
        self.latest
            .iter()
            .zip(&self.done)
            .all(|(&latest, &done)| done || latest >= second)
    }

    /// Completes every second still pending (all workers are done).
    fn flush(&mut self) -> Vec<(TimePoint, Snapshot)> {
        let pending = std::mem::take(&mut self.pending);
        pending
            .into_iter()
            .map(|(second, p)| self.finish(second, p))
            .collect()
    }

    fn finish(&mut self, second: u64, pending: Pending) -> (TimePoint, Snapshot) {
        let point =
            TimePoint::from_interval(second, pending.users, pending.waiting, &pending.delta);
        self.series.push(point.clone());
        (point, pending.delta)
    }
}
