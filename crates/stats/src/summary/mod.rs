//! [`Summary`]: the result of a run, and the `klavier.result/v1` JSON contract.
//!
//! The JSON file is described by `schema/result.v1.json`. It carries every
//! histogram encoded (HDR V2 + DEFLATE, base64) so results of several runs or
//! machines can be merged exactly later.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::histogram::{decode_histogram, encode_histogram, HistogramDecodeError};
use crate::sample::FailureKind;
use crate::snapshot::{RequestStats, ScenarioStats, Snapshot};
use crate::time::rfc3339_utc;

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
        }
    }
}

/// The open model's arrivals over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArrivalSummary {
    /// Arrivals that started their scenario.
    pub started: u64,
    /// Arrivals that found no free user and no room to wait: never started.
    pub dropped: u64,
    /// Started arrivals per second.
    pub rate_per_second: f64,
    /// How long started arrivals waited for a free user.
    pub wait: LatencyStats,
}

/// Whether Klavier itself kept up: if not, latencies and rates understate the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSummary {
    /// True when the generator could not keep its schedule or ran out of CPU.
    pub saturated: bool,
    /// Why, in words (empty when not saturated).
    pub reason: String,
    /// How late the generator's timers fired against the schedule (pacing, arrivals).
    pub schedule_lag: LatencyStats,
    /// The highest share of a second one worker thread spent on the CPU, if known.
    pub worker_cpu_peak: Option<f64>,
}

/// Timers later than this at the 99th percentile mean the schedule was not kept.
pub const LAG_LIMIT: Duration = Duration::from_millis(10);
/// A worker on the CPU this share of a second (or more) had no time to spare.
pub const CPU_LIMIT: f64 = 0.95;

impl GeneratorSummary {
    fn build(total: &Snapshot, worker_cpu_peak: Option<f64>) -> Self {
        let lag = total.arrivals().lag();
        let lag_p99 = Duration::from_micros(lag.value_at_quantile(0.99));
        let mut reasons = Vec::new();
        if lag_p99 > LAG_LIMIT {
            reasons.push(format!(
                "its timers fired {} ms late at the 99th percentile",
                lag_p99.as_millis()
            ));
        }
        if let Some(cpu) = worker_cpu_peak.filter(|&cpu| cpu >= CPU_LIMIT) {
            reasons.push(format!(
                "a worker thread was on the CPU {:.0}% of a second",
                cpu * 100.0
            ));
        }
        GeneratorSummary {
            saturated: !reasons.is_empty(),
            reason: reasons.join("; "),
            schedule_lag: LatencyStats::from_histogram(lag),
            worker_cpu_peak: worker_cpu_peak.map(|cpu| (cpu * 1000.0).round() / 1000.0),
        }
    }
}

/// Distribution of one latency, in microseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// Arithmetic mean.
    pub mean_us: f64,
    /// Standard deviation.
    pub stddev_us: f64,
    /// Smallest value (0 if nothing was recorded, as are all fields).
    pub min_us: u64,
    /// Median.
    pub p50_us: u64,
    /// 75th percentile.
    pub p75_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p99_9_us: u64,
    /// Largest value.
    pub max_us: u64,
    /// The whole histogram: HDR V2 + DEFLATE, base64 (standard alphabet).
    pub histogram: String,
}

impl LatencyStats {
    /// The figures of a histogram, with the histogram encoded.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        LatencyStats {
            mean_us: round3(h.mean()),
            stddev_us: round3(h.stdev()),
            min_us: h.min(),
            p50_us: h.value_at_quantile(0.50),
            p75_us: h.value_at_quantile(0.75),
            p90_us: h.value_at_quantile(0.90),
            p95_us: h.value_at_quantile(0.95),
            p99_us: h.value_at_quantile(0.99),
            p99_9_us: h.value_at_quantile(0.999),
            max_us: h.max(),
            histogram: encode_histogram(h),
        }
    }

    /// Decodes the histogram, to merge or re-analyse results exactly.
    pub fn histogram(&self) -> Result<Histogram<u64>, HistogramDecodeError> {
        decode_histogram(&self.histogram)
    }
}

/// One request row of the result (or the totals row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestSummary {
    /// Request name (`"total"` for the totals row).
    pub name: String,
    /// Completed requests: responses plus transport failures, including those
    /// completed during the graceful stop; interrupted requests are not counted.
    pub count: u64,
    /// Transport failures plus responses with a status outside `200..=399`.
    pub failures: u64,
    /// `count` per second of the test's measured duration.
    pub rate_per_second: f64,
    /// Response time (intended start → last byte) of requests that got a response.
    pub response_time: LatencyStats,
    /// Service time (actual send → last byte) of requests that got a response.
    pub service_time: LatencyStats,
    /// Responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Transport failures by kind (only kinds that occurred).
    pub errors: BTreeMap<FailureKind, u64>,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Requests cut off at the end of the graceful stop.
    pub interrupted: u64,
    /// Requests completed during the graceful stop (included in `count`).
    pub completed_in_grace: u64,
    /// Responses that failed at least one check (`expect`, `extract`); separate from
    /// `failures`. Absent in files written before checks existed.
    #[serde(default)]
    pub check_failures: u64,
    /// Failures per check, by the check's name (e.g. `"status"`, `"json $.ok"`,
    /// `"extract token"`); only checks that failed.
    #[serde(default)]
    pub checks: BTreeMap<String, u64>,
    /// Requests not sent because a variable they need was unset.
    #[serde(default)]
    pub skipped: u64,
}

impl RequestSummary {
    fn build(name: String, row: &RequestStats, elapsed: Duration) -> Self {
        let errors = FailureKind::ALL
            .into_iter()
            .zip(row.errors())
            .filter(|&(_, &n)| n > 0)
            .map(|(kind, &n)| (kind, n))
            .collect();
        RequestSummary {
            name,
            count: row.count(),
            failures: row.failures(),
            rate_per_second: per_second(row.count(), elapsed),
            response_time: LatencyStats::from_histogram(row.response_time()),
            service_time: LatencyStats::from_histogram(row.service_time()),
            status_codes: row.status_codes().iter().collect(),
            errors,
            bytes_sent: row.bytes_sent(),
            bytes_received: row.bytes_received(),
            interrupted: row.interrupted(),
            completed_in_grace: row.completed_in_grace(),
            check_failures: row.checks().failed_requests(),
            checks: row
                .checks()
                .by_check()
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .map(|(i, &n)| (format!("#{i}"), n))
                .collect(),
            skipped: row.checks().skipped(),
        }
    }

    /// Replaces the `#INDEX` keys of `checks` with the check names, by index.
    pub fn name_checks(&mut self, names: &[String]) {
        let checks = std::mem::take(&mut self.checks);
        self.checks = checks
            .into_iter()
            .map(|(key, n)| {
                let index = key.strip_prefix('#').and_then(|i| i.parse::<usize>().ok());
                let name = index.and_then(|i| names.get(i)).cloned().unwrap_or(key);
                (name, n)
            })
            .collect();
    }

    /// Failures as a fraction of `count` (0 when nothing completed).
    pub fn failure_ratio(&self) -> f64 {
        ratio(self.failures, self.count)
    }
}

/// One scenario row of the result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Scenario weight in the profile.
    pub weight: u32,
    /// Completed iterations, failed ones included.
    pub iterations: u64,
    /// Completed iterations in which at least one request failed.
    pub failed_iterations: u64,
    /// Iterations the end of the test cut short (not in `iterations`).
    pub cut_iterations: u64,
    /// `iterations` per second of the test's measured duration.
    pub rate_per_second: f64,
    /// Time of a completed iteration, pacing excluded.
    pub iteration_time: LatencyStats,
}

impl ScenarioSummary {
    fn build(name: String, weight: u32, row: &ScenarioStats, elapsed: Duration) -> Self {
        ScenarioSummary {
            name,
            weight,
            iterations: row.iterations(),
            failed_iterations: row.failed_iterations(),
            cut_iterations: row.cut_iterations(),
            rate_per_second: per_second(row.iterations(), elapsed),
            iteration_time: LatencyStats::from_histogram(row.iteration_time()),
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
    /// Measured time the test sent requests, in seconds.
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
    /// Whether Klavier itself kept up.
    pub generator: GeneratorSummary,
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

    /// Builds the result from the merged statistics of the whole run.
    ///
    /// Rows are named from `layout`; a row the layout does not name is called
    /// `#INDEX` rather than dropped.
    pub fn build(
        info: &RunInfo,
        layout: &Layout,
        total: &Snapshot,
        timeseries: Vec<TimePoint>,
    ) -> Summary {
        let elapsed = info.elapsed;
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
            duration_seconds: seconds(elapsed),
            planned_duration_seconds: seconds(info.planned_duration),
            stop_reason: info.stop_reason,
            users: info.users,
            seed: info.seed,
            totals: RequestSummary::build(TOTAL_ROW.to_owned(), &total.total(), elapsed),
            requests,
            scenarios,
            timeseries,
            model: if info.open_model { "open" } else { "closed" }.to_owned(),
            arrivals: info.open_model.then(|| ArrivalSummary {
                started: total.arrivals().started(),
                dropped: total.arrivals().dropped(),
                rate_per_second: per_second(total.arrivals().started(), elapsed),
                wait: LatencyStats::from_histogram(total.arrivals().wait()),
            }),
            generator: GeneratorSummary::build(total, info.worker_cpu_peak),
        }
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        round3(count as f64 / secs)
    } else {
        0.0
    }
}

/// Whole microseconds as seconds: reads back from JSON as the very same `f64`.
fn seconds(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e6
}

fn ratio(part: u64, whole: u64) -> f64 {
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
fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}
