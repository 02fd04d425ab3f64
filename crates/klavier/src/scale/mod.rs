//! Beyond one process: the options of `klavier run` that make it one segment of a run
//! split over many (`--segment`), and what a segment's result records so that
//! `klavier merge` can put the whole back together.

mod digest;
mod k8s;
mod merge_cmd;
pub mod metrics;
mod segment_arg;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use klavier_plan::segment::Segment;
use klavier_plan::Plan;
use klavier_stats::{SegmentInfo, Summary};

use crate::engine::{Part, StartAt};
use crate::exit::BadInput;

pub use digest::plan_digest;
pub use k8s::{k8s, K8sArgs};
pub use merge_cmd::{merge, MergeArgs};
pub use segment_arg::{resolve_segment, SegmentArg};

/// `klavier run` options for running one segment of a run.
#[derive(Debug, Args, Clone, Default)]
pub struct ScaleArgs {
    /// Run only segment I of N of the test (users, or open-model arrivals, u with
    /// u mod N = I), e.g. 0/4; `auto/N` takes I from JOB_COMPLETION_INDEX (a Kubernetes
    /// Indexed Job). Merge the N results with `klavier merge`.
    #[arg(long, value_name = "I/N")]
    pub segment: Option<SegmentArg>,
    /// Start at this wall-clock time (RFC 3339, e.g. 2030-01-01T12:00:00Z) rather than at
    /// once: every segment of a run waits for the same instant.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub start_at: Option<SystemTime>,
    /// With --start-at: a segment ready later than this after it fails without sending
    /// anything (default 5s).
    #[arg(long, value_name = "DURATION", requires = "start_at", value_parser = parse_lag)]
    pub max_start_lag: Option<Duration>,
    /// Serve Prometheus metrics at http://ADDR/metrics while the test runs, e.g.
    /// 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// How late after `--start-at` a segment may start unless `--max-start-lag` says.
pub const DEFAULT_MAX_START_LAG: Duration = Duration::from_secs(5);

fn parse_time(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(text)
        .map_err(|e| format!("{e}: expected an RFC 3339 time in UTC, e.g. 2030-01-01T12:00:00Z"))
}

fn parse_lag(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (expected e.g. 2s, 500ms)"))
}

impl ScaleArgs {
    /// The options, checked, with `auto/N` resolved from the process environment.
    pub fn resolve(&self) -> Result<Options, BadInput> {
        Ok(Options {
            segment: resolve_segment(self.segment, |name| std::env::var(name).ok())?,
            start_at: self.start_at.map(|at| StartAt {
                at,
                max_lag: self.max_start_lag.unwrap_or(DEFAULT_MAX_START_LAG),
            }),
            metrics_addr: self.metrics_addr,
        })
    }
}

/// How a run takes part in a run split over many processes; the default is the whole
/// run in one process.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The segment this process runs.
    pub segment: Segment,
    /// The common start, if any.
    pub start_at: Option<StartAt>,
    /// Where to serve Prometheus metrics during the run, if anywhere.
    pub metrics_addr: Option<SocketAddr>,
}

impl Options {
    /// Says on stderr that the run waits for its common start (unless `quiet`).
    pub fn announce(&self, quiet: bool) {
        if let (Some(start), false) = (self.start_at, quiet) {
            eprintln!(
                "klavier: segment {} waits for --start-at {}",
                self.segment,
                klavier_stats::rfc3339_utc(start.at)
            );
        }
    }

    /// Starts the metrics server if `--metrics-addr` asked for one; the metrics to
    /// update once a second, and the server (which stops when dropped).
    pub fn serve_metrics(
        &self,
        plan: &Plan,
    ) -> anyhow::Result<Option<(Arc<metrics::Metrics>, metrics::MetricsServer)>> {
        let Some(addr) = self.metrics_addr else {
            return Ok(None);
        };
        let share = 1.0 / f64::from(self.segment.count());
        let metrics = Arc::new(metrics::Metrics::new(plan, share));
        let server = metrics::MetricsServer::start(addr, metrics.clone())?;
        eprintln!("klavier: metrics at http://{}/metrics", server.addr());
        Ok(Some((metrics, server)))
    }

    /// The part of the run the engine runs.
    pub fn part(&self) -> Part {
        Part {
            segment: self.segment,
            start_at: self.start_at,
        }
    }

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
    pub fn mark(&self, summary: &mut Summary, plan: &Plan, seed: u64, start_lag: Option<Duration>) {
        summary.start_lag_seconds = start_lag.map(|lag| lag.as_micros() as f64 / 1e6);
        summary.plan_digest = Some(plan_digest(plan, seed));
        summary.segment = (!self.segment.is_whole()).then(|| SegmentInfo {
            index: self.segment.index(),
            count: self.segment.count(),
        });
    }
}
