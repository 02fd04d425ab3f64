//! [`LatencyStats`]: one latency histogram as the result shows it.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::histogram::{decode_histogram, encode_histogram, new_histogram, HistogramDecodeError};

use super::round3;

/// Distribution of one latency, in microseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    /// How many values were recorded. Absent (0) in files written before it existed.
    #[serde(default)]
    pub count: u64,
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
            count: h.len(),
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

impl Default for LatencyStats {
    /// An empty distribution, for fields absent in older result files.
    fn default() -> Self {
        LatencyStats::from_histogram(&new_histogram())
    }
}
