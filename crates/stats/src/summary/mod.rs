//! [`Summary`]: the result of a run, and the `klavier.result/v1` JSON contract.
//!
//! The JSON file is described by `schema/result.v1.json`. It carries every
//! histogram encoded (HDR V2 + DEFLATE, base64) so results of several runs or
//! machines can be merged exactly later.

mod figures;
mod generator;
mod latency;
mod merge;
mod rows;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::histogram::encode_histogram;
use crate::request::RequestStats;
use crate::scenario::ScenarioStats;
use crate::snapshot::Snapshot;
use crate::time::rfc3339_utc;

pub use figures::{
    ArrivalSummary, FailureSummary, PacingSummary, WarmupSummary, DROPPED_KIND, HTTP_STATUS_KIND,
};
pub use generator::{GeneratorSummary, Warning, MISSED_LIMIT};
pub use latency::LatencyStats;
pub use merge::{MergeError, MergeInfo};
pub use rows::{RequestSummary, ScenarioSummary};

/// The value of the `schema` field of every result file this version writes.
pub const SCHEMA: &str = "klavier.result/v1";

/// The name of the overall row, [`Summary::totals`].
pub const TOTAL_ROW: &str = "total";

/// Why the test stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The planned duration ran out.
    Completed,
    /// The user stopped the test early (Ctrl-C).
    Interrupted,
}

/// Facts about the run that the statistics do not know.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// The profile's name or path, as the user gave it.
    pub profile: String,
    /// The base URL under test.
    pub target: String,
    /// Wall-clock time the test started.
    pub started_at: SystemTime,
    /// Measured time the test sent requests (excludes the graceful stop).
    pub elapsed: Duration,
    /// The duration the profile planned.
    pub planned_duration: Duration,
    /// Virtual users (peak, for staged loads).
    pub users: u32,
    /// The seed of every random choice of the run.
    pub seed: u64,
    /// Why the test stopped.
    pub stop_reason: StopReason,
    /// The version of Klavier that ran the test.
    pub klavier_version: String,
    /// True for the open model (arrivals at a rate), false for the closed model.
    pub open_model: bool,
    /// The highest share of one second that a worker thread spent on the CPU, if the
    /// platform tells (1.0 = the worker never waited: it, not the server, set the pace).
    pub worker_cpu_peak: Option<f64>,
    /// The warm-up from the start: measured but kept out of the figures (zero: none).
    pub warmup: Duration,
    /// The message of every user task that panicked.
    pub panics: Vec<String>,
}

/// The names of the rows, by index: what a [`Snapshot`]'s rows are about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Request names, by request row.
    pub requests: Vec<String>,
    /// Scenario names and weights, by scenario row.
    pub scenarios: Vec<(String, u32)>,
}

/// One second of the time series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePoint {
    /// Seconds since the start of the test at the end of this interval.
    pub second: u64,
    /// Active virtual users.
    pub users: u32,
    /// Requests completed in the interval.
    pub requests: u64,
    /// Requests failed in the interval.
    pub failures: u64,
    /// Median response time in the interval, µs.
    pub p50_us: u64,
    /// 99th percentile response time in the interval, µs.
    pub p99_us: u64,
    /// Arrivals that started a scenario in the interval (open model; 0 in the closed).
    #[serde(default)]
    pub arrivals: u64,
    /// Arrivals dropped in the interval (open model).
    #[serde(default)]
    pub dropped: u64,
    /// Arrivals waiting for a free user at the end of the interval (open model).
    #[serde(default)]
    pub waiting: u32,
    /// The interval's response times (HDR V2 + DEFLATE, base64), so merged results
    /// compute `p50_us` and `p99_us` exactly. Absent when nothing completed, and in
    /// older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
}

impl TimePoint {
    /// The point for one interval, from what was recorded during it; `users` and
    /// `waiting` are gauges read at the interval's end.
    pub fn from_interval(second: u64, users: u32, waiting: u32, delta: &Snapshot) -> Self {
        let latency = delta.overall_response_time();
        TimePoint {
            second,
            users,
            requests: delta.requests(),
            failures: delta.failures(),
            p50_us: latency.value_at_quantile(0.50),
            p99_us: latency.value_at_quantile(0.99),
            arrivals: delta.arrivals().started(),
            dropped: delta.arrivals().dropped(),
            waiting,
            histogram: (!latency.is_empty()).then(|| encode_histogram(&latency)),
        }
    }
}

/// The result of a run: what the reports show and the JSON file contains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`SCHEMA`] for this version.
    pub schema: String,
    /// The version of Klavier that ran the test.
    pub klavier_version: String,
    /// The profile's name or path.
    pub profile: String,
    /// The base URL under test.
    pub target: String,
    /// Start of the test, RFC 3339 in UTC.
    pub started_at: String,
    /// Measured time the test sent requests, in seconds (the warm-up included; rates are
    /// per the time after it).
    pub duration_seconds: f64,
    /// Planned duration, in seconds.
    pub planned_duration_seconds: f64,
    /// Why the test stopped.
    pub stop_reason: StopReason,
    /// Virtual users.
    pub users: u32,
    /// The seed of the run.
    pub seed: u64,
    /// All request rows merged (named [`TOTAL_ROW`]).
    pub totals: RequestSummary,
    /// One row per request name, in layout order.
    pub requests: Vec<RequestSummary>,
    /// One row per scenario, in layout order.
    pub scenarios: Vec<ScenarioSummary>,
    /// One point per second.
    pub timeseries: Vec<TimePoint>,
    /// `"closed"` (a population of users) or `"open"` (arrivals at a rate).
    pub model: String,
    /// The open model's arrivals (absent in the closed model).
    pub arrivals: Option<ArrivalSummary>,
    /// Whether Klavier itself kept up, and what distorts the figures.
    pub generator: GeneratorSummary,
    /// Failed requests and dropped arrivals, by kind (absent in older files).
    #[serde(default)]
    pub failures: FailureSummary,
    /// The closed model's pacing, when intervals were set.
    #[serde(default)]
    pub pacing: Option<PacingSummary>,
    /// The warm-up, kept out of every other figure, when there was one.
    #[serde(default)]
    pub warmup: Option<WarmupSummary>,
    /// Which segment of a run split over several processes this result is (`--segment`);
    /// absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentInfo>,
    /// A digest of the compiled plan and the seed: results merge only with the same one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_digest: Option<String>,
    /// For a result merged from segments: which were merged, and which were missing
    /// or duplicated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeInfo>,
    /// With a common start (`--start-at`): how late the run started after it, in seconds
    /// (merged: the latest segment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_lag_seconds: Option<f64>,
}

/// Segment `index` of `count` of a run (`--segment I/N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Which segment, from 0.
    pub index: u32,
    /// How many segments the run has.
    pub count: u32,
}

impl Summary {
    /// Names every request row's checks from `names` (by request row, then check index,
    /// as the plan lists them), and sums the totals row's checks by name.
    pub fn name_checks(&mut self, names: &[Vec<String>]) {
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for (i, row) in self.requests.iter_mut().enumerate() {
            row.name_checks(names.get(i).map_or(&[][..], Vec::as_slice));
            for (name, n) in &row.checks {
                *totals.entry(name.clone()).or_default() += n;
            }
        }
        self.totals.checks = totals;
    }

    /// Builds the result from the merged statistics of the whole run (after the
    /// warm-up, if any: see [`with_warmup`](Self::with_warmup)).
    ///
    /// Rows are named from `layout`; a row the layout does not name is called
    /// `#INDEX` rather than dropped.
    pub fn build(
        info: &RunInfo,
        layout: &Layout,
        total: &Snapshot,
        timeseries: Vec<TimePoint>,
    ) -> Summary {
        // Rates are per the time measured for the figures: after the warm-up.
        let elapsed = info.elapsed.saturating_sub(info.warmup);
        let (no_request, no_scenario) = (RequestStats::default(), ScenarioStats::default());
        let request_rows = layout.requests.len().max(total.request_rows().len());
        let requests = (0..request_rows)
            .map(|i| {
                let name = layout.requests.get(i).cloned().unwrap_or(format!("#{i}"));
                let row = total.request_rows().get(i).unwrap_or(&no_request);
                RequestSummary::build(name, row, elapsed)
            })
            .collect();
        let scenario_rows = layout.scenarios.len().max(total.scenario_rows().len());
        let scenarios = (0..scenario_rows)
            .map(|i| {
                let (name, weight) = layout
                    .scenarios
                    .get(i)
                    .cloned()
                    .unwrap_or((format!("#{i}"), 0));
                let row = total.scenario_rows().get(i).unwrap_or(&no_scenario);
                ScenarioSummary::build(name, weight, row, elapsed)
            })
            .collect();
        Summary {
            schema: SCHEMA.to_owned(),
            klavier_version: info.klavier_version.clone(),
            profile: info.profile.clone(),
            target: info.target.clone(),
            started_at: rfc3339_utc(info.started_at),
            duration_seconds: seconds(info.elapsed),
            planned_duration_seconds: seconds(info.planned_duration),
            stop_reason: info.stop_reason,
            users: info.users,
            seed: info.seed,
            totals: RequestSummary::build(TOTAL_ROW.to_owned(), &total.total(), elapsed),
            requests,
            scenarios,
            timeseries,
            model: if info.open_model { "open" } else { "closed" }.to_owned(),
            arrivals: info
                .open_model
                .then(|| ArrivalSummary::build(total, elapsed)),
            generator: GeneratorSummary::build(total, info),
            failures: FailureSummary::build(total),
            pacing: PacingSummary::build(total),
            warmup: None,
            segment: None,
            plan_digest: None,
            merge: None,
            start_lag_seconds: None,
        }
    }

    /// Adds the warm-up section: what was recorded during the first `duration`.
    pub fn with_warmup(mut self, warmup: &Snapshot, duration: Duration) -> Summary {
        if !duration.is_zero() {
            self.warmup = Some(WarmupSummary::build(warmup, duration));
        }
        self
    }
}

pub(crate) fn per_second(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        round3(count as f64 / secs)
    } else {
        0.0
    }
}

/// Whole microseconds as seconds: reads back from JSON as the very same `f64`.
pub(crate) fn seconds(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e6
}

pub(crate) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `x` rounded to three decimals, and 0 if not finite (JSON has no NaN).
///
/// Fewer digits than an `f64` holds make the JSON text read back to the very same
/// value, so a result file round-trips exactly; a thousandth of a µs or of a
/// request per second is below any precision the figures have.
pub(crate) fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}
