//! What the target measured itself: how long it took to answer each counted request
//! (its *service time*, from the parsed request head to the response handed to hyper)
//! and when connections arrived, and the gaps between requests on one connection.
//! The truth a client is compared with (`bench/`): a client's p50 minus the server's
//! p50 is the client's own overhead; connections divided by the mean gap is the rate
//! a closed-loop client really achieved, whatever it reports. The receive time of each
//! counted request (the first [`MAX_RECEIVED`]) shows when an open-model client really
//! dispatched its arrivals, whatever it says about its own punctuality.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// How many receive times are kept after a reset: enough for a minute at 2,000/s (8 bytes
/// each); later requests are counted in `received_missed` instead.
pub const MAX_RECEIVED: usize = 200_000;

/// Service times in nanoseconds with 3 significant digits (auto-resizing), plus the
/// accept times of connections since start or the last reset.
#[derive(Debug)]
pub(crate) struct Timing {
    service_ns: Histogram<u64>,
    gap_ns: Histogram<u64>,
    connections: u64,
    first_accept: Option<Instant>,
    last_accept: Option<Instant>,
    epoch: Instant,
    received_ns: Vec<u64>,
    received_missed: u64,
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

/// `GET /__klavier/received`: when each counted request arrived.
#[derive(Debug, Serialize, PartialEq)]
pub struct ReceivedReport {
    /// Receive times (the parsed request head handed over by hyper) in nanoseconds after
    /// the first one, ascending: at most [`MAX_RECEIVED`] since start or the last reset.
    pub received_ns: Vec<u64>,
    /// Counted requests received after the log was full.
    pub missed: u64,
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
            epoch: Instant::now(),
            received_ns: Vec::new(),
            received_missed: 0,
        }
    }

    /// A counted request that arrived at `arrived` and took `elapsed` to answer.
    pub(crate) fn record_service(&mut self, arrived: Instant, elapsed: Duration) {
        record(&mut self.service_ns, elapsed);
        if self.received_ns.len() < MAX_RECEIVED {
            let since = arrived.saturating_duration_since(self.epoch).as_nanos();
            self.received_ns
                .push(u64::try_from(since).unwrap_or(u64::MAX));
        } else {
            self.received_missed += 1;
        }
    }

    /// The receive log, sorted (answers to slow requests are logged late) and relative
    /// to the first request.
    pub(crate) fn received(&self) -> ReceivedReport {
        let mut received_ns = self.received_ns.clone();
        received_ns.sort_unstable();
        let first = received_ns.first().copied().unwrap_or(0);
        received_ns.iter_mut().for_each(|ns| *ns -= first);
        ReceivedReport {
            received_ns,
            missed: self.received_missed,
        }
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
        let t0 = Instant::now();
        for us in 1..=100 {
            timing.record_service(t0, Duration::from_micros(us));
        }
        timing.record_gap(Duration::from_millis(1000));
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
    fn receive_times_are_sorted_relative_to_the_first() {
        let mut timing = Timing::new();
        let t0 = Instant::now() + Duration::from_millis(5);
        // Logged when answered: the slow request that arrived first is logged last.
        timing.record_service(t0 + Duration::from_micros(300), Duration::from_micros(1));
        timing.record_service(t0 + Duration::from_micros(100), Duration::from_micros(1));
        timing.record_service(t0, Duration::from_millis(2));
        let report = timing.received();
        assert_eq!(report.received_ns, vec![0, 100_000, 300_000]);
        assert_eq!(report.missed, 0);
    }

    #[test]
    fn the_receive_log_is_bounded() {
        let mut timing = Timing::new();
        let t0 = Instant::now();
        for _ in 0..MAX_RECEIVED + 3 {
            timing.record_service(t0, Duration::from_micros(1));
        }
        let report = timing.received();
        assert_eq!(report.received_ns.len(), MAX_RECEIVED);
        assert_eq!(report.missed, 3);
    }

    #[test]
    fn an_empty_timing_reports_zeros() {
        let report = Timing::new().report();
        assert_eq!(report.requests, 0);
        assert_eq!(report.service_time_us.p50, 0.0);
        assert_eq!(report.accept_span_ms, 0.0);
    }
}
