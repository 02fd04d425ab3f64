//! [`GeneratorSummary`]: whether Klavier itself kept up, and every distortion it knows
//! of, as [`Warning`]s a report must show: dropped arrivals, users a slow server held
//! back, latencies beyond the histograms' range, user tasks that panicked.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::histogram::HIGHEST_US;
use crate::snapshot::Snapshot;

use crate::detail::Reason;

use super::{LatencyStats, RunInfo};

/// Timers later than this at the 99th percentile mean the schedule was not kept.
pub const LAG_LIMIT: Duration = Duration::from_millis(10);
/// A worker on the CPU this share of a second (or more) had no time to spare.
pub const CPU_LIMIT: f64 = 0.95;
/// Past this share of planned paced starts missed, the closed model's figures hide a
/// slow server's effect (coordinated omission): the summary says so.
pub const MISSED_LIMIT: f64 = 0.05;
/// At most this many distinct panic messages are kept.
pub const PANIC_MESSAGES: usize = 8;

/// Whether Klavier itself kept up: if not, latencies and rates understate the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSummary {
    /// True when the generator could not keep its schedule or ran out of CPU.
    pub saturated: bool,
    /// Why, in words (empty when not saturated).
    pub reason: String,
    /// How late the generator dispatched arrivals and paced starts against the schedule.
    pub schedule_lag: LatencyStats,
    /// The highest share of a second one worker thread spent on the CPU, if known.
    pub worker_cpu_peak: Option<f64>,
    /// Everything that makes the figures less than the whole truth, each in words.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// User tasks that panicked (a bug in Klavier: the run exits with status 1).
    #[serde(default)]
    pub panics: u64,
    /// Their messages, distinct, the first few.
    #[serde(default)]
    pub panic_messages: Vec<String>,
    /// Latencies above the histograms' 1-hour range, recorded as 1 hour.
    #[serde(default)]
    pub overflow: u64,
}

/// One distortion of the figures, for people (`message`) and for tools (`kind`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// `dropped_arrivals`, `held_back`, `overflow` or `panics`.
    pub kind: String,
    /// What happened and what it means for the figures.
    pub message: String,
}

impl GeneratorSummary {
    pub(super) fn build(total: &Snapshot, info: &RunInfo) -> Self {
        let lag = total.arrivals().lag();
        let lag_p99 = Duration::from_micros(lag.value_at_quantile(0.99));
        let mut reasons = Vec::new();
        if lag_p99 > LAG_LIMIT {
            reasons.push(format!(
                "its timers fired {} ms late at the 99th percentile",
                lag_p99.as_millis()
            ));
        }
        let worker_cpu_peak = info.worker_cpu_peak;
        if let Some(cpu) = worker_cpu_peak.filter(|&cpu| cpu >= CPU_LIMIT) {
            reasons.push(format!(
                "a worker thread was on the CPU {:.0}% of a second",
                cpu * 100.0
            ));
        }
        let mut panic_messages: Vec<String> = Vec::new();
        for message in &info.panics {
            if !panic_messages.contains(message) && panic_messages.len() < PANIC_MESSAGES {
                panic_messages.push(message.clone());
            }
        }
        GeneratorSummary {
            saturated: !reasons.is_empty(),
            reason: reasons.join("; "),
            schedule_lag: LatencyStats::from_histogram(lag),
            worker_cpu_peak: worker_cpu_peak.map(|cpu| (cpu * 1000.0).round() / 1000.0),
            warnings: warnings(total, info),
            panics: info.panics.len() as u64,
            panic_messages,
            overflow: total.overflow(),
        }
    }
}

fn warnings(total: &Snapshot, info: &RunInfo) -> Vec<Warning> {
    let arrivals = total.arrivals();
    let pacing = total.pacing();
    Distortions {
        dropped: arrivals.dropped(),
        due: arrivals.due(),
        missed: pacing.missed(),
        planned: pacing.planned(),
        overflow: total.overflow(),
        out_of_files: total
            .request_rows()
            .iter()
            .map(|row| row.detail().reasons()[Reason::OpenFileLimit as usize])
            .sum(),
        panics: info.panics.len() as u64,
        first_panic: info.panics.first().cloned(),
    }
    .warnings()
}

/// The figures every warning is made of: counts that add up across results, so a merge
/// words its warnings from the merged figures as a single run would.
#[derive(Debug, Clone, Default)]
pub(crate) struct Distortions {
    pub dropped: u64,
    pub due: u64,
    pub missed: u64,
    pub planned: u64,
    pub overflow: u64,
    pub out_of_files: u64,
    pub panics: u64,
    pub first_panic: Option<String>,
}

impl Distortions {
    pub(crate) fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        let mut warn = |kind: &str, message: String| {
            warnings.push(Warning {
                kind: kind.to_owned(),
                message,
            })
        };
        if self.dropped > 0 {
            warn(
                "dropped_arrivals",
                format!(
                    "{} of arrivals were dropped: raise max_users; the percentiles cover only the rest",
                    percent(self.dropped, self.due)
                ),
            );
        }
        let missed = self.missed as f64 / self.planned.max(1) as f64;
        if missed > MISSED_LIMIT {
            warn(
                "held_back",
                format!(
                    "the server held users back: {} of the planned requests were never sent \
                     (the open model measures this)",
                    percent(self.missed, self.planned)
                ),
            );
        }
        if self.overflow > 0 {
            warn(
                "overflow",
                format!(
                    "{} latencies exceeded the histograms' range of {} s and were recorded as {} s",
                    self.overflow,
                    HIGHEST_US / 1_000_000,
                    HIGHEST_US / 1_000_000
                ),
            );
        }
        if self.out_of_files > 0 {
            warn(
                "open_file_limit",
                format!(
                    "{} requests failed because Klavier ran out of file descriptors: \
                     the open-file limit (each user needs one per origin) was reached; raise the \
                     hard limit (ulimit -Hn, or LimitNOFILE for a service) or run fewer users \
                     per machine",
                    self.out_of_files
                ),
            );
        }
        if let Some(first) = &self.first_panic {
            warn(
                "panics",
                format!(
                    "{} user task(s) panicked (a bug in Klavier; first: {first:?}): their requests \
                     in flight are not counted and the results are incomplete",
                    self.panics
                ),
            );
        }
        warnings
    }
}

fn percent(part: u64, whole: u64) -> String {
    format!("{:.1}%", part as f64 * 100.0 / whole.max(1) as f64)
}
