//! [`ScenarioStats`]: the iterations of one scenario row.

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::histogram::{merge_into, new_histogram, record_latency};

/// The statistics of one scenario row: its iterations, timed apart when one of their
/// requests failed (as requests are), so a failing scenario cannot hide among good ones.
#[derive(Clone, Debug)]
pub struct ScenarioStats {
    iteration_time: Histogram<u64>,
    failed_iteration_time: Histogram<u64>,
    cut: u64,
    overflow: u64,
}

impl Default for ScenarioStats {
    fn default() -> Self {
        ScenarioStats {
            iteration_time: new_histogram(),
            failed_iteration_time: new_histogram(),
            cut: 0,
            overflow: 0,
        }
    }
}

impl ScenarioStats {
    pub(crate) fn record(&mut self, elapsed: Duration, ok: bool) {
        let h = if ok {
            &mut self.iteration_time
        } else {
            &mut self.failed_iteration_time
        };
        self.overflow += u64::from(record_latency(h, elapsed));
    }

    pub(crate) fn record_cut(&mut self) {
        self.cut += 1;
    }

    /// Time of every completed iteration in which no request failed, in µs.
    pub fn iteration_time(&self) -> &Histogram<u64> {
        &self.iteration_time
    }

    /// Time of every completed iteration in which a request failed, in µs.
    pub fn failed_iteration_time(&self) -> &Histogram<u64> {
        &self.failed_iteration_time
    }

    /// Completed iterations, failed ones included.
    pub fn iterations(&self) -> u64 {
        self.iteration_time.len() + self.failed_iteration_time.len()
    }

    /// Completed iterations in which at least one request failed.
    pub fn failed_iterations(&self) -> u64 {
        self.failed_iteration_time.len()
    }

    /// Iterations the end of the test cut short (not in `iterations`).
    pub fn cut_iterations(&self) -> u64 {
        self.cut
    }

    /// Iteration times above the histograms' range, recorded as its highest value.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    pub(crate) fn reset(&mut self) {
        self.iteration_time.reset();
        self.failed_iteration_time.reset();
        self.cut = 0;
        self.overflow = 0;
    }
}

impl AddAssign<&ScenarioStats> for ScenarioStats {
    fn add_assign(&mut self, other: &ScenarioStats) {
        merge_into(&mut self.iteration_time, &other.iteration_time);
        merge_into(
            &mut self.failed_iteration_time,
            &other.failed_iteration_time,
        );
        self.cut += other.cut;
        self.overflow += other.overflow;
    }
}
