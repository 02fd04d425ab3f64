//! What the target measured itself: how long it took to answer each counted request
//! (its *service time*, from the parsed request head to the response handed to hyper)
//! and when connections arrived, and the gaps between requests on one connection.
//! The truth a client is compared with (`bench/`): a client's p50 minus the server's
//! p50 is the client's own overhead; connections divided by the mean gap is the rate
//! a closed-loop client really achieved, whatever it reports.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Service times in nanoseconds with 3 significant digits (auto-resizing), plus the
/// accept times of connections since start or the last reset.
#[derive(Debug)]
pub(crate) struct Timing {
    service_ns: Histogram<u64>,
    gap_ns: Histogram<u64>,
    connections: u64,
    first_accept: Option<Instant>,
    last_accept: Option<Instant>,
}

/// `GET /__klavier/timing`.
#[derive(Debug, Serialize, PartialEq)]
pub struct TimingReport {
    /// Requests whose service time was measured (the counted ones).
    pub requests: u64,
    /// Service-time percentiles in microseconds (fractional).
    pub service_time_us: Percentiles,
    /// Time between consecutive requests on one connection, in microseconds.
    pub request_gap_us: Percentiles,
    /// Connections accepted.
    pub connections: u64,
    /// Milliseconds from the first accepted connection to the last one: how long a
    /// client took to open all of its connections.
    pub accept_span_ms: f64,
}

/// A histogram's summary in microseconds.
#[derive(Debug, Serialize, PartialEq)]
pub struct Percentiles {
    /// Smallest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Timing {
    pub(crate) fn new() -> Self {
        Self {
            service_ns: histogram(),
            gap_ns: histogram(),
            connections: 0,
            first_accept: None,
            last_accept: None,
        }
    }

    pub(crate) fn record_service(&mut self, elapsed: Duration) {
        record(&mut self.service_ns, elapsed);
    }

    pub(crate) fn record_gap(&mut self, gap: Duration) {
        record(&mut self.gap_ns, gap);
    }

    pub(crate) fn note_connection(&mut self, at: Instant) {
        self.connections += 1;
        self.first_accept.get_or_insert(at);
        self.last_accept = Some(at);
    }

    pub(crate) fn report(&self) -> TimingReport {
        let span = match (self.first_accept, self.last_accept) {
            (Some(first), Some(last)) => last.duration_since(first),
            _ => Duration::ZERO,
        };
        TimingReport {
            requests: self.service_ns.len(),
            service_time_us: Percentiles::of(&self.service_ns),
            request_gap_us: Percentiles::of(&self.gap_ns),
            connections: self.connections,
            accept_span_ms: span.as_secs_f64() * 1000.0,
        }
    }
}

impl Percentiles {
    /// A nanosecond histogram in microseconds.
    fn of(h: &Histogram<u64>) -> Self {
        let us = |ns: u64| ns as f64 / 1000.0;
        Self {
            min: us(h.min()),
            mean: h.mean() / 1000.0,
            p50: us(h.value_at_quantile(0.5)),
            p90: us(h.value_at_quantile(0.9)),
            p99: us(h.value_at_quantile(0.99)),
            max: us(h.max()),
        }
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid precision")
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
    // Only fails if the histogram cannot grow; keep the sample at the edge.
    if h.record(ns).is_err() {
        h.saturating_record(ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_service_percentiles_and_the_accept_span() {
        let mut timing = Timing::new();
        for us in 1..=100 {
            timing.record_service(Duration::from_micros(us));
        }
        timing.record_gap(Duration::from_millis(1000));
        let t0 = Instant::now();
        timing.note_connection(t0);
        timing.note_connection(t0 + Duration::from_millis(250));
        let report = timing.report();
        assert_eq!(report.requests, 100);
        assert!(
            (report.service_time_us.p50 - 50.0).abs() < 0.1,
            "{report:?}"
        );
        assert!(
            (report.service_time_us.p99 - 99.0).abs() < 0.1,
            "{report:?}"
        );
        assert!((report.request_gap_us.p50 - 1e6).abs() < 1e3, "{report:?}");
        assert_eq!(report.connections, 2);
        assert!((report.accept_span_ms - 250.0).abs() < 1e-6);
    }

    #[test]
    fn an_empty_timing_reports_zeros() {
        let report = Timing::new().report();
        assert_eq!(report.requests, 0);
        assert_eq!(report.service_time_us.p50, 0.0);
        assert_eq!(report.accept_span_ms, 0.0);
    }
}
