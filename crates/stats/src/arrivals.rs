//! What the open model adds to the statistics: arrivals started and dropped, how long
//! arrivals waited for a free user, and how late the generator's own timers fired
//! (a generator that cannot keep its schedule understates the server's latency).

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::histogram::{merge_into, new_histogram, record_latency};

/// Arrivals and scheduling lag recorded over some interval.
#[derive(Clone, Debug)]
pub struct ArrivalStats {
    started: u64,
    dropped: u64,
    wait: Histogram<u64>,
    lag: Histogram<u64>,
}

impl Default for ArrivalStats {
    fn default() -> Self {
        ArrivalStats {
            started: 0,
            dropped: 0,
            wait: new_histogram(),
            lag: new_histogram(),
        }
    }
}

impl ArrivalStats {
    pub(crate) fn record_started(&mut self, wait: Duration) {
        self.started += 1;
        record_latency(&mut self.wait, wait);
    }

    pub(crate) fn record_dropped(&mut self) {
        self.dropped += 1;
    }

    pub(crate) fn record_lag(&mut self, lag: Duration) {
        record_latency(&mut self.lag, lag);
    }

    /// Arrivals that started their scenario.
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Arrivals that found no free user and no room to wait: never started.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// How long started arrivals waited for a free user, in µs.
    pub fn wait(&self) -> &Histogram<u64> {
        &self.wait
    }

    /// How late the generator's timers fired against the schedule, in µs.
    pub fn lag(&self) -> &Histogram<u64> {
        &self.lag
    }

    pub(crate) fn reset(&mut self) {
        self.started = 0;
        self.dropped = 0;
        self.wait.reset();
        self.lag.reset();
    }
}

impl AddAssign<&ArrivalStats> for ArrivalStats {
    fn add_assign(&mut self, other: &ArrivalStats) {
        self.started += other.started;
        self.dropped += other.dropped;
        merge_into(&mut self.wait, &other.wait);
        merge_into(&mut self.lag, &other.lag);
    }
}
