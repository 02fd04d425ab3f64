//! Thresholds while the run goes (`abort_on_fail`): after the delay, the run so far is
//! judged once a second, and the first threshold that fails on measured figures stops
//! the run gracefully — every report is still written, and the exit code is 3.

use std::ops::ControlFlow;
use std::time::{Duration, UNIX_EPOCH};

use klavier_plan::Plan;
use klavier_stats::threshold::{judge, Verdict};
use klavier_stats::{Layout, RunInfo, StopReason, Summary};

use crate::engine::Progress;

/// Watches the run for a threshold that fails, when the plan asks to.
#[derive(Debug)]
pub struct Watch<'p> {
    plan: &'p Plan,
    layout: Layout,
    /// The verdict that stopped the run, once one did.
    tripped: Option<Verdict>,
}

impl<'p> Watch<'p> {
    /// A watch over `plan`'s thresholds (idle unless `abort_on_fail` is set).
    pub fn new(plan: &'p Plan, layout: Layout) -> Self {
        Self {
            plan,
            layout,
            tripped: None,
        }
    }

    /// Judges the run so far; breaks (once) when a threshold has failed.
    pub fn check(&mut self, progress: &Progress) -> ControlFlow<StopReason> {
        let thresholds = &self.plan.thresholds;
        let elapsed = Duration::from_secs(progress.point.second);
        let idle = !thresholds.abort_on_fail || thresholds.list.is_empty();
        if idle || self.tripped.is_some() || elapsed < thresholds.delay {
            return ControlFlow::Continue(());
        }
        let summary = self.so_far(progress, elapsed);
        let verdict = judge(&summary, &thresholds.list);
        if verdict.failed_on_data() {
            self.tripped = Some(verdict);
            return ControlFlow::Break(StopReason::AbortedByThreshold);
        }
        ControlFlow::Continue(())
    }

    /// The verdict that stopped the run, if one did.
    pub fn tripped(&self) -> Option<&Verdict> {
        self.tripped.as_ref()
    }

    /// A summary of the run so far: only its figures matter to the judge.
    fn so_far(&self, progress: &Progress, elapsed: Duration) -> Summary {
        let plan = self.plan;
        let info = RunInfo {
            profile: plan.name.clone(),
            target: plan.target.base_url.clone(),
            started_at: UNIX_EPOCH,
            elapsed,
            planned_duration: plan.timings.duration,
            users: plan.load.max_users(),
            seed: 0,
            stop_reason: StopReason::Completed,
            klavier_version: String::new(),
            open_model: progress.open_model,
            worker_cpu_peak: None,
            warmup: plan.timings.warmup,
            panics: Vec::new(),
        };
        Summary::build(&info, &self.layout, progress.total, Vec::new())
    }
}
