//! [`judge`]: a summary held against thresholds. Pure, so it judges a whole run at its
//! end, the run so far (`abort_on_fail`) or any window of one alike.

use crate::summary::{LatencyStats, RequestSummary, ScenarioSummary, Summary};

use super::{Latency, Metric, Scope, Threshold, ThresholdResult};

/// How a summary fared against its thresholds, one result per threshold, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// One per threshold judged.
    pub results: Vec<ThresholdResult>,
}

impl Verdict {
    /// True when every threshold held (and when there were none).
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed)
    }

    /// How many thresholds failed.
    pub fn failures(&self) -> usize {
        self.results.iter().filter(|r| !r.passed).count()
    }

    /// True when a threshold failed on a measured figure — not for lack of data, which
    /// a run still under way may yet supply.
    pub fn failed_on_data(&self) -> bool {
        self.results
            .iter()
            .any(|r| !r.passed && r.observed.is_some())
    }
}

/// Holds `summary` against each threshold. A threshold whose figure could not be
/// measured (nothing completed, a row that never ran) fails: no data is not a pass.
pub fn judge(summary: &Summary, thresholds: &[Threshold]) -> Verdict {
    let results = thresholds
        .iter()
        .map(|t| {
            let e = &t.expression;
            let observed = observe(summary, &t.scope, e.metric);
            ThresholdResult {
                scope: t.scope.kind().to_owned(),
                name: t.scope.name().map(str::to_owned),
                expression: e.text.clone(),
                metric: e.metric.to_string(),
                unit: e.metric.unit(),
                bound: e.bound,
                observed,
                passed: observed.is_some_and(|o| e.comparison.holds(o, e.bound)),
            }
        })
        .collect();
    Verdict { results }
}

/// The figure `metric` has for `scope` in `summary`, in the metric's unit.
fn observe(summary: &Summary, scope: &Scope, metric: Metric) -> Option<f64> {
    match scope {
        Scope::Run => observe_run(summary, metric),
        Scope::Request(name) => {
            let row = summary.requests.iter().find(|r| r.name == *name)?;
            observe_request(row, metric)
        }
        Scope::Scenario(name) => {
            let row = summary.scenarios.iter().find(|s| s.name == *name)?;
            observe_scenario(row, metric)
        }
    }
}

fn observe_run(summary: &Summary, metric: Metric) -> Option<f64> {
    let totals = &summary.totals;
    let dropped = summary.arrivals.as_ref().map_or(0, |a| a.dropped);
    // Run-wide failures count dropped arrivals, as the headline does.
    let failures = summary.failures.count.max(totals.failures);
    match metric {
        Metric::Dropped => Some(dropped as f64),
        Metric::Failures => Some(failures as f64),
        Metric::ErrorRate => fraction(failures, totals.count + dropped),
        _ => observe_request(totals, metric),
    }
}

fn observe_request(row: &RequestSummary, metric: Metric) -> Option<f64> {
    match metric {
        Metric::Latency(which) => latency(&row.response_time, which),
        Metric::ErrorRate => fraction(row.failures, row.count),
        Metric::Failures => Some(row.failures as f64),
        Metric::Rate => Some(row.rate_per_second),
        Metric::Checks => fraction(row.count.saturating_sub(row.check_failures), row.count),
        Metric::CheckFailures => Some(row.check_failures as f64),
        Metric::Count => Some(row.count as f64),
        Metric::Dropped => None,
    }
}

fn observe_scenario(row: &ScenarioSummary, metric: Metric) -> Option<f64> {
    match metric {
        Metric::Latency(which) => latency(&row.iteration_time, which),
        Metric::ErrorRate => fraction(row.failed_iterations, row.iterations),
        Metric::Failures => Some(row.failed_iterations as f64),
        Metric::Rate => Some(row.rate_per_second),
        Metric::Count => Some(row.iterations as f64),
        Metric::Checks | Metric::CheckFailures | Metric::Dropped => None,
    }
}

fn fraction(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A latency figure in µs; `None` when nothing was timed.
fn latency(stats: &LatencyStats, which: Latency) -> Option<f64> {
    if stats.count == 0 {
        return None;
    }
    let value = match which {
        Latency::Min => stats.min_us as f64,
        Latency::Mean => stats.mean_us,
        Latency::Max => stats.max_us as f64,
        Latency::Stddev => stats.stddev_us,
        Latency::Percentile(p) => percentile(stats, p)?,
    };
    Some(value)
}

/// The summary's own figure for the usual percentiles; any other from the histogram.
fn percentile(stats: &LatencyStats, p: f64) -> Option<f64> {
    let kept = [
        (50.0, stats.p50_us),
        (75.0, stats.p75_us),
        (90.0, stats.p90_us),
        (95.0, stats.p95_us),
        (99.0, stats.p99_us),
        (99.9, stats.p99_9_us),
        (100.0, stats.max_us),
    ];
    if let Some(&(_, us)) = kept.iter().find(|(q, _)| *q == p) {
        return Some(us as f64);
    }
    let histogram = stats.histogram().ok()?;
    Some(histogram.value_at_quantile(p / 100.0) as f64)
}

#[cfg(test)]
mod tests;
