//! [`Snapshot`]: what was recorded over some interval, mergeable with `+=`.

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::arrivals::ArrivalStats;
use crate::histogram::{merge_into, new_histogram};
use crate::pacing::PacingStats;
use crate::request::RequestStats;
use crate::scenario::ScenarioStats;

/// Statistics recorded over some interval by one or many recorders.
///
/// Snapshots merge with `+=` by adding histograms and counters, so merging is
/// exact and the order of merging does not matter. Rows are indexed like the
/// [`crate::Layout`]: request rows `0..requests`, scenario rows `0..scenarios`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    requests: Vec<RequestStats>,
    scenarios: Vec<ScenarioStats>,
    arrivals: ArrivalStats,
    pacing: PacingStats,
}

impl Snapshot {
    /// An empty snapshot with the given numbers of request and scenario rows.
    pub fn empty(requests: usize, scenarios: usize) -> Self {
        Snapshot {
            requests: (0..requests).map(|_| RequestStats::default()).collect(),
            scenarios: (0..scenarios).map(|_| ScenarioStats::default()).collect(),
            arrivals: ArrivalStats::default(),
            pacing: PacingStats::default(),
        }
    }

    /// Completed requests over all rows (responses plus transport failures).
    pub fn requests(&self) -> u64 {
        self.requests.iter().map(RequestStats::count).sum()
    }

    /// Failed requests over all rows: transport failures plus responses with a
    /// status outside `200..=399`.
    pub fn failures(&self) -> u64 {
        self.requests.iter().map(RequestStats::failures).sum()
    }

    /// The response time at quantile `q` (0.0 ..= 1.0) over all request rows;
    /// zero if nothing was recorded.
    pub fn response_time_quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.overall_response_time().value_at_quantile(q))
    }

    /// Failures over all rows plus dropped arrivals: what went wrong, whatever the kind.
    pub fn failures_with_dropped(&self) -> u64 {
        self.failures() + self.arrivals.dropped()
    }

    /// Latencies above the histograms' range over every row, recorded as its highest value.
    pub fn overflow(&self) -> u64 {
        self.requests
            .iter()
            .map(RequestStats::overflow)
            .sum::<u64>()
            + self
                .scenarios
                .iter()
                .map(ScenarioStats::overflow)
                .sum::<u64>()
            + self.arrivals.overflow()
            + self.pacing.overflow()
    }

    /// The response times of all successful requests merged into one histogram.
    pub fn overall_response_time(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for row in &self.requests {
            merge_into(&mut all, row.response_time());
        }
        all
    }

    /// All request rows merged into one (the "total" row).
    pub fn total(&self) -> RequestStats {
        let mut total = RequestStats::default();
        for row in &self.requests {
            total += row;
        }
        total
    }

    /// The request rows, by index.
    pub fn request_rows(&self) -> &[RequestStats] {
        &self.requests
    }

    /// The scenario rows, by index.
    pub fn scenario_rows(&self) -> &[ScenarioStats] {
        &self.scenarios
    }

    /// Arrivals (open model) and the generator's scheduling lag.
    pub fn arrivals(&self) -> &ArrivalStats {
        &self.arrivals
    }

    pub(crate) fn arrivals_mut(&mut self) -> &mut ArrivalStats {
        &mut self.arrivals
    }

    /// Paced starts planned and missed (closed model with intervals).
    pub fn pacing(&self) -> &PacingStats {
        &self.pacing
    }

    pub(crate) fn pacing_mut(&mut self) -> &mut PacingStats {
        &mut self.pacing
    }

    /// Whether nothing at all was recorded.
    pub fn is_empty(&self) -> bool {
        self.requests
            .iter()
            .all(|r| r.count() == 0 && r.interrupted() == 0)
            && self
                .scenarios
                .iter()
                .all(|s| s.iterations() == 0 && s.cut_iterations() == 0)
            && self.arrivals.due() == 0
            && self.pacing.planned() == 0
    }

    pub(crate) fn request_mut(&mut self, index: usize) -> &mut RequestStats {
        &mut self.requests[index]
    }

    pub(crate) fn scenario_mut(&mut self, index: usize) -> &mut ScenarioStats {
        &mut self.scenarios[index]
    }

    /// Zeroes every row, keeping allocated memory.
    pub(crate) fn reset(&mut self) {
        self.requests.iter_mut().for_each(RequestStats::reset);
        self.scenarios.iter_mut().for_each(ScenarioStats::reset);
        self.arrivals.reset();
        self.pacing.reset();
    }
}

impl AddAssign<&Snapshot> for Snapshot {
    /// Adds `other` row by row. Snapshots of different shapes merge too: the
    /// result has as many rows as the larger.
    fn add_assign(&mut self, other: &Snapshot) {
        if self.requests.len() < other.requests.len() {
            self.requests
                .resize_with(other.requests.len(), RequestStats::default);
        }
        if self.scenarios.len() < other.scenarios.len() {
            self.scenarios
                .resize_with(other.scenarios.len(), ScenarioStats::default);
        }
        for (mine, theirs) in self.requests.iter_mut().zip(&other.requests) {
            *mine += theirs;
        }
        for (mine, theirs) in self.scenarios.iter_mut().zip(&other.scenarios) {
            *mine += theirs;
        }
        self.arrivals += &other.arrivals;
        self.pacing += &other.pacing;
    }
}
