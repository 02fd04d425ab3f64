//! What pacing adds to the statistics (closed model with `min_scenario_interval` or
//! `min_request_interval`): how many paced starts the schedule planned, how many of them a
//! slow server made the users miss, and how far behind its schedule each user ended.

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::histogram::{merge_into, new_histogram, record_latency};

/// Paced starts planned and missed, and each user's lag behind its schedule.
#[derive(Clone, Debug)]
pub struct PacingStats {
    started: u64,
    missed: u64,
    user_lag: Histogram<u64>,
    overflow: u64,
}

impl Default for PacingStats {
    fn default() -> Self {
        PacingStats {
            started: 0,
            missed: 0,
            user_lag: new_histogram(),
            overflow: 0,
        }
    }
}

impl PacingStats {
    pub(crate) fn record_started(&mut self) {
        self.started += 1;
    }

    pub(crate) fn record_missed(&mut self, n: u64) {
        self.missed += n;
    }

    pub(crate) fn record_user_lag(&mut self, lag: Duration) {
        self.overflow += u64::from(record_latency(&mut self.user_lag, lag));
    }

    /// Paced starts (scenarios or requests with an interval) that were made.
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Planned starts never made because the server held the user past them.
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// Starts the schedule planned: made plus missed.
    pub fn planned(&self) -> u64 {
        self.started + self.missed
    }

    /// How far behind its schedule each user was when it stopped, one value per user
    /// (and per activation, for ramping loads), in µs.
    pub fn user_lag(&self) -> &Histogram<u64> {
        &self.user_lag
    }

    /// Lags above the histogram's range, recorded as its highest value.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    pub(crate) fn reset(&mut self) {
        self.started = 0;
        self.missed = 0;
        self.user_lag.reset();
        self.overflow = 0;
    }
}

impl AddAssign<&PacingStats> for PacingStats {
    fn add_assign(&mut self, other: &PacingStats) {
        self.started += other.started;
        self.missed += other.missed;
        merge_into(&mut self.user_lag, &other.user_lag);
        self.overflow += other.overflow;
    }
}
