//! What the open model adds to the statistics: arrivals started, dropped and cut by the
//! deadline, how long arrivals that found every user busy waited for one, and how late
//! the generator's own timers fired (a generator that cannot keep its schedule
//! understates the server's latency).

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::histogram::{merge_into, new_histogram, record_latency};

/// Arrivals and scheduling lateness recorded over some interval.
///
/// Every arrival due before the end is exactly one of started, dropped or cut.
#[derive(Clone, Debug)]
pub struct ArrivalStats {
    started: u64,
    dropped: u64,
    cut: u64,
    wait: Histogram<u64>,
    lag: Histogram<u64>,
    overflow: u64,
}

impl Default for ArrivalStats {
    fn default() -> Self {
        ArrivalStats {
            started: 0,
            dropped: 0,
            cut: 0,
            wait: new_histogram(),
            lag: new_histogram(),
            overflow: 0,
        }
    }
}

impl ArrivalStats {
    pub(crate) fn record_started(&mut self, wait: Option<Duration>) {
        self.started += 1;
        if let Some(wait) = wait {
            self.overflow += u64::from(record_latency(&mut self.wait, wait));
        }
    }

    pub(crate) fn record_dropped(&mut self) {
        self.dropped += 1;
    }

    pub(crate) fn record_cut(&mut self, n: u64) {
        self.cut += n;
    }

    pub(crate) fn record_lag(&mut self, lag: Duration) {
        self.overflow += u64::from(record_latency(&mut self.lag, lag));
    }

    /// Arrivals that started their scenario.
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Arrivals that found no free user and no room to wait: never started.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Arrivals due before the end that had not started when the run stopped (waiting
    /// for a user, or not yet dispatched): neither started nor dropped.
    pub fn cut(&self) -> u64 {
        self.cut
    }

    /// Arrivals due: started + dropped + cut.
    pub fn due(&self) -> u64 {
        self.started + self.dropped + self.cut
    }

    /// How long started arrivals that found every user busy waited for one, in µs (its
    /// count is how many waited; an arrival handed to an idle user is not in it).
    pub fn wait(&self) -> &Histogram<u64> {
        &self.wait
    }

    /// How late the generator dispatched arrivals and paced starts against the
    /// schedule, in µs.
    pub fn lag(&self) -> &Histogram<u64> {
        &self.lag
    }

    /// Waits and lags above the histograms' range, recorded as its highest value.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    pub(crate) fn reset(&mut self) {
        self.started = 0;
        self.dropped = 0;
        self.cut = 0;
        self.wait.reset();
        self.lag.reset();
        self.overflow = 0;
    }
}

impl AddAssign<&ArrivalStats> for ArrivalStats {
    fn add_assign(&mut self, other: &ArrivalStats) {
        self.started += other.started;
        self.dropped += other.dropped;
        self.cut += other.cut;
        merge_into(&mut self.wait, &other.wait);
        merge_into(&mut self.lag, &other.lag);
        self.overflow += other.overflow;
    }
}
