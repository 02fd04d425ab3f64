//! Adding one result into another, field by field, and computing the derived figures
//! again from the sums.

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::time::Duration;

use crate::detail::Reason;
use crate::histogram::{decode_histogram, encode_histogram, merge_into, HistogramDecodeError};
use crate::summary::generator::{Distortions, PANIC_MESSAGES};
use crate::summary::{
    per_second, ratio, ArrivalSummary, FailureSummary, GeneratorSummary, LatencyStats,
    PacingSummary, RequestSummary, ScenarioSummary, StopReason, Summary, TimePoint, WarmupSummary,
    DROPPED_KIND,
};

use super::MergeError;

/// A histogram that did not decode, and where it was.
#[derive(Debug)]
pub(super) struct AddError {
    field: String,
    source: HistogramDecodeError,
}

impl AddError {
    /// The error of the `part`-th result.
    pub(super) fn at(self, part: usize) -> MergeError {
        MergeError::Histogram {
            part,
            field: self.field,
            source: self.source,
        }
    }
}

type Added = Result<(), AddError>;

/// Adds `part` into `total`: counters and histograms; derived figures are left to
/// [`recompute`].
pub(super) fn summary(total: &mut Summary, part: &Summary) -> Added {
    total.started_at = total.started_at.clone().min(part.started_at.clone());
    total.duration_seconds = total.duration_seconds.max(part.duration_seconds);
    if part.stop_reason == StopReason::Interrupted {
        total.stop_reason = StopReason::Interrupted;
    }
    total.users += part.users;
    total.start_lag_seconds = match (total.start_lag_seconds, part.start_lag_seconds) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    request(&mut total.totals, &part.totals, "totals")?;
    rows(&mut total.requests, &part.requests, "requests", request)?;
    rows(&mut total.scenarios, &part.scenarios, "scenarios", scenario)?;
    timeseries(&mut total.timeseries, &part.timeseries)?;
    optional(&mut total.arrivals, &part.arrivals, arrivals)?;
    generator(&mut total.generator, &part.generator)?;
    failures(&mut total.failures, &part.failures);
    optional(&mut total.pacing, &part.pacing, pacing)?;
    optional(&mut total.warmup, &part.warmup, warmup)
}

/// A latency distribution: the histograms added, the figures read off the sum.
fn latency(total: &mut LatencyStats, part: &LatencyStats, field: &str) -> Added {
    let decode = |stats: &LatencyStats| {
        decode_histogram(&stats.histogram).map_err(|source| AddError {
            field: field.to_owned(),
            source,
        })
    };
    let addend = decode(part)?;
    if addend.is_empty() {
        return Ok(());
    }
    let mut sum = decode(total)?;
    merge_into(&mut sum, &addend);
    *total = LatencyStats::from_histogram(&sum);
    Ok(())
}

fn counts<K: Ord + Clone, V: AddAssign + Copy + Default>(
    total: &mut BTreeMap<K, V>,
    part: &BTreeMap<K, V>,
) {
    for (key, &n) in part {
        *total.entry(key.clone()).or_default() += n;
    }
}

/// Rows matched by name; a row only `part` has is added at the end.
fn rows<R: Clone + Named>(
    total: &mut Vec<R>,
    part: &[R],
    section: &str,
    add: fn(&mut R, &R, &str) -> Added,
) -> Added {
    for row in part {
        match total.iter_mut().find(|t| t.name() == row.name()) {
            Some(t) => add(t, row, &format!("{section}[{}]", row.name()))?,
            None => total.push(row.clone()),
        }
    }
    Ok(())
}

trait Named {
    fn name(&self) -> &str;
}

impl Named for RequestSummary {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for ScenarioSummary {
    fn name(&self) -> &str {
        &self.name
    }
}

fn request(total: &mut RequestSummary, part: &RequestSummary, at: &str) -> Added {
    total.count += part.count;
    total.failures += part.failures;
    latency(
        &mut total.response_time,
        &part.response_time,
        &format!("{at}.response_time"),
    )?;
    latency(
        &mut total.service_time,
        &part.service_time,
        &format!("{at}.service_time"),
    )?;
    latency(
        &mut total.failed_time,
        &part.failed_time,
        &format!("{at}.failed_time"),
    )?;
    counts(&mut total.status_codes, &part.status_codes);
    counts(&mut total.errors, &part.errors);
    total.bytes_sent += part.bytes_sent;
    total.bytes_received += part.bytes_received;
    total.interrupted += part.interrupted;
    latency(
        &mut total.interrupted_time,
        &part.interrupted_time,
        &format!("{at}.interrupted_time"),
    )?;
    total.completed_in_grace += part.completed_in_grace;
    total.check_failures += part.check_failures;
    counts(&mut total.checks, &part.checks);
    total.skipped += part.skipped;
    total.overflow += part.overflow;
    total.render_failures += part.render_failures;
    counts(
        &mut total.accepted_status_codes,
        &part.accepted_status_codes,
    );
    counts(&mut total.error_reasons, &part.error_reasons);
    total.redirects += part.redirects;
    total.retried += part.retried;
    for (phase, stats) in &part.phases {
        let field = format!("{at}.phases.{phase}");
        match total.phases.get_mut(phase) {
            Some(sum) => latency(sum, stats, &field)?,
            None => {
                total.phases.insert(phase.clone(), stats.clone());
            }
        }
    }
    total.connections_opened += part.connections_opened;
    total.reconnect_backoffs += part.reconnect_backoffs;
    total.reconnect_backoff_seconds += part.reconnect_backoff_seconds;
    counts(&mut total.protocols, &part.protocols);
    Ok(())
}

fn scenario(total: &mut ScenarioSummary, part: &ScenarioSummary, at: &str) -> Added {
    total.iterations += part.iterations;
    total.failed_iterations += part.failed_iterations;
    total.cut_iterations += part.cut_iterations;
    latency(
        &mut total.iteration_time,
        &part.iteration_time,
        &format!("{at}.iteration_time"),
    )?;
    latency(
        &mut total.failed_iteration_time,
        &part.failed_iteration_time,
        &format!("{at}.failed_iteration_time"),
    )
}

/// Points matched by second. The percentiles come from the points' histograms; a point
/// without one (a file older than them) keeps the larger of the two, an upper bound.
fn timeseries(total: &mut Vec<TimePoint>, part: &[TimePoint]) -> Added {
    for point in part {
        let Some(sum) = total.iter_mut().find(|t| t.second == point.second) else {
            total.push(point.clone());
            continue;
        };
        sum.users += point.users;
        sum.requests += point.requests;
        sum.failures += point.failures;
        sum.arrivals += point.arrivals;
        sum.dropped += point.dropped;
        sum.waiting += point.waiting;
        // No histogram and no percentiles: nothing completed then. Percentiles without
        // a histogram: a file written before points had one.
        let empty = |p: &TimePoint| p.histogram.is_none() && p.p50_us == 0 && p.p99_us == 0;
        if empty(point) {
            continue;
        }
        if empty(sum) {
            sum.histogram = point.histogram.clone();
            (sum.p50_us, sum.p99_us) = (point.p50_us, point.p99_us);
            continue;
        }
        let (Some(a), Some(b)) = (&sum.histogram, &point.histogram) else {
            sum.histogram = None;
            sum.p50_us = sum.p50_us.max(point.p50_us);
            sum.p99_us = sum.p99_us.max(point.p99_us);
            continue;
        };
        let field = format!("timeseries[{}].histogram", point.second);
        let decode = |text: &str| {
            decode_histogram(text).map_err(|source| AddError {
                field: field.clone(),
                source,
            })
        };
        let mut h = decode(a)?;
        merge_into(&mut h, &decode(b)?);
        sum.p50_us = h.value_at_quantile(0.50);
        sum.p99_us = h.value_at_quantile(0.99);
        sum.histogram = Some(encode_histogram(&h));
    }
    total.sort_by_key(|point| point.second);
    Ok(())
}

fn optional<T: Clone>(
    total: &mut Option<T>,
    part: &Option<T>,
    add: fn(&mut T, &T) -> Added,
) -> Added {
    match (total.as_mut(), part) {
        (Some(sum), Some(part)) => add(sum, part),
        (None, Some(part)) => {
            *total = Some(part.clone());
            Ok(())
        }
        (_, None) => Ok(()),
    }
}

fn arrivals(total: &mut ArrivalSummary, part: &ArrivalSummary) -> Added {
    total.started += part.started;
    total.dropped += part.dropped;
    total.cut += part.cut;
    total.due += part.due;
    latency(&mut total.wait, &part.wait, "arrivals.wait")
}

fn generator(total: &mut GeneratorSummary, part: &GeneratorSummary) -> Added {
    total.saturated |= part.saturated;
    if !part.reason.is_empty() && !total.reason.contains(&part.reason) {
        total.reason = [total.reason.as_str(), part.reason.as_str()]
            .into_iter()
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    latency(
        &mut total.schedule_lag,
        &part.schedule_lag,
        "generator.schedule_lag",
    )?;
    total.worker_cpu_peak = match (total.worker_cpu_peak, part.worker_cpu_peak) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    total.panics += part.panics;
    for message in &part.panic_messages {
        if !total.panic_messages.contains(message) && total.panic_messages.len() < PANIC_MESSAGES {
            total.panic_messages.push(message.clone());
        }
    }
    total.overflow += part.overflow;
    Ok(())
}

fn failures(total: &mut FailureSummary, part: &FailureSummary) {
    total.count += part.count;
    counts(&mut total.by_kind, &part.by_kind);
}

fn pacing(total: &mut PacingSummary, part: &PacingSummary) -> Added {
    total.planned += part.planned;
    total.missed += part.missed;
    latency(&mut total.user_lag, &part.user_lag, "pacing.user_lag")
}

fn warmup(total: &mut WarmupSummary, part: &WarmupSummary) -> Added {
    request(&mut total.totals, &part.totals, "warmup.totals")?;
    total.dropped += part.dropped;
    latency(
        &mut total.schedule_lag,
        &part.schedule_lag,
        "warmup.schedule_lag",
    )
}

/// Rates, ratios and warnings from the merged counts, over `measured` (the run's time
/// after the warm-up), as [`Summary::build`] computes them.
pub(super) fn recompute(total: &mut Summary, measured: Duration) {
    total.totals.rate_per_second = per_second(total.totals.count, measured);
    for row in &mut total.requests {
        row.rate_per_second = per_second(row.count, measured);
    }
    for row in &mut total.scenarios {
        row.rate_per_second = per_second(row.iterations, measured);
    }
    let dropped = total.arrivals.as_ref().map_or(0, |a| a.dropped);
    if let Some(arrivals) = &mut total.arrivals {
        arrivals.rate_per_second = per_second(arrivals.started, measured);
    }
    total.failures.ratio = ratio(total.failures.count, total.totals.count + dropped);
    if let Some(pacing) = &mut total.pacing {
        pacing.missed_ratio = ratio(pacing.missed, pacing.planned);
    }
    if let Some(warmup) = &mut total.warmup {
        let duration = Duration::from_micros((warmup.duration_seconds * 1e6).round() as u64);
        warmup.totals.rate_per_second = per_second(warmup.totals.count, duration);
    }
    total.generator.warnings = distortions(total).warnings();
}

/// The figures the warnings are worded from, read off the merged result.
fn distortions(total: &Summary) -> Distortions {
    let (dropped, due) = total
        .arrivals
        .as_ref()
        .map_or((0, 0), |a| (a.dropped, a.due));
    let (missed, planned) = total
        .pacing
        .as_ref()
        .map_or((0, 0), |p| (p.missed, p.planned));
    let out_of_files = total
        .requests
        .iter()
        .filter_map(|row| row.error_reasons.get(&Reason::OpenFileLimit))
        .sum();
    debug_assert_eq!(
        total
            .failures
            .by_kind
            .get(DROPPED_KIND)
            .copied()
            .unwrap_or(0),
        dropped
    );
    Distortions {
        dropped,
        due,
        missed,
        planned,
        overflow: total.generator.overflow,
        out_of_files,
        panics: total.generator.panics,
        first_panic: total.generator.panic_messages.first().cloned(),
    }
}
