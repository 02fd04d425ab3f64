//! Beyond one process: the options of `klavier run` that make it one segment of a run
//! split over many (`--segment`), and what a segment's result records so that
//! `klavier merge` can put the whole back together.

mod digest;
mod merge_cmd;
mod segment_arg;

use clap::Args;
use klavier_plan::segment::Segment;
use klavier_plan::Plan;
use klavier_stats::{SegmentInfo, Summary};

use crate::exit::BadInput;

pub use digest::plan_digest;
pub use merge_cmd::{merge, MergeArgs};
pub use segment_arg::{resolve_segment, SegmentArg, JOB_COMPLETION_INDEX};

/// `klavier run` options for running one segment of a run.
#[derive(Debug, Args, Clone, Default)]
pub struct ScaleArgs {
    /// Run only segment I of N of the test (users, or open-model arrivals, u with
    /// u mod N = I), e.g. 0/4; `auto/N` takes I from JOB_COMPLETION_INDEX (a Kubernetes
    /// Indexed Job). Merge the N results with `klavier merge`.
    #[arg(long, value_name = "I/N")]
    pub segment: Option<SegmentArg>,
}

impl ScaleArgs {
    /// The options, checked, with `auto/N` resolved from the process environment.
    pub fn resolve(&self) -> Result<Options, BadInput> {
        Ok(Options {
            segment: resolve_segment(self.segment, |name| std::env::var(name).ok())?,
        })
    }
}

/// How a run takes part in a run split over many processes; the default is the whole
/// run in one process.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The segment this process runs.
    pub segment: Segment,
}

impl Options {
    /// Refuses a segment with nobody to run: more segments than users (in the open
    /// model, than `max_users`) leaves some segments empty.
    pub fn check(&self, plan: &Plan) -> Result<(), BadInput> {
        let users = plan.load.max_users();
        if self.segment.users(users) > 0 {
            return Ok(());
        }
        let what = match plan.load {
            klavier_plan::Load::Open { .. } => "max_users",
            klavier_plan::Load::Closed { .. } => "users",
        };
        Err(BadInput(format!(
            "segment {} has no users: the run has {users} {what}, fewer than its {} segments; \
             raise {what} to at least {} or run fewer segments",
            self.segment,
            self.segment.count(),
            self.segment.count()
        )))
    }

    /// Records in `summary` what `klavier merge` checks and needs: the segment (for a
    /// segment) and the plan digest.
    pub fn mark(&self, summary: &mut Summary, plan: &Plan, seed: u64) {
        summary.plan_digest = Some(plan_digest(plan, seed));
        summary.segment = (!self.segment.is_whole()).then(|| SegmentInfo {
            index: self.segment.index(),
            count: self.segment.count(),
        });
    }
}
