//! Latency as a Prometheus histogram with fixed buckets, filled from the run's HDR
//! histograms: every recorded value goes into its bucket with its count at once (the
//! crate's own histogram observes one value at a time), so a second of 100,000 requests
//! costs one pass over the HDR histogram's distinct values, not 100,000 calls.

use std::sync::{Arc, Mutex};

use klavier_stats::Histogram;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// Upper bounds of the buckets, in seconds (then `+Inf`): from 0.5 ms to 10 s.
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative latency histogram (since the start of the run).
#[derive(Debug, Clone, Default)]
pub struct Latency {
    inner: Arc<Mutex<Totals>>,
}

#[derive(Debug, Default)]
struct Totals {
    sum_seconds: f64,
    count: u64,
    /// Per bucket (not cumulative), the last one `+Inf`.
    buckets: [u64; BUCKETS.len() + 1],
}

impl Latency {
    /// Adds every value of `us` (an HDR histogram in microseconds).
    pub fn add(&self, us: &Histogram<u64>) {
        let mut totals = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for value in us.iter_recorded() {
            let (micros, n) = (value.value_iterated_to(), value.count_at_value());
            let seconds = micros as f64 / 1e6;
            let bucket = BUCKETS
                .iter()
                .position(|&upper| seconds <= upper)
                .unwrap_or(BUCKETS.len());
            totals.buckets[bucket] += n;
            totals.count += n;
            totals.sum_seconds += seconds * n as f64;
        }
    }
}

impl TypedMetric for Latency {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let totals = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .copied()
            .chain([f64::MAX])
            .zip(totals.buckets)
            .collect();
        encoder.encode_histogram::<()>(totals.sum_seconds, totals.count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_their_buckets_with_their_counts() {
        let mut us = klavier_stats::new_histogram();
        us.record_n(300, 5).expect("in range"); // 0.3 ms
        us.record_n(2_000, 2).expect("in range"); // 2 ms
        us.record(20_000_000).expect("in range"); // 20 s: beyond the last bound
        let latency = Latency::default();
        latency.add(&us);
        let totals = latency.inner.lock().expect("not poisoned");
        assert_eq!(totals.count, 8);
        assert_eq!(totals.buckets[0], 5);
        assert_eq!(totals.buckets[2], 2);
        assert_eq!(totals.buckets[BUCKETS.len()], 1);
        assert!((totals.sum_seconds - (5.0 * 0.0003 + 2.0 * 0.002 + 20.0)).abs() < 0.01);
    }
}
