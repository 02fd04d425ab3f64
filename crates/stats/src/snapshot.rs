//! [`Snapshot`]: what was recorded over some interval, mergeable with `+=`.

use std::ops::AddAssign;

use hdrhistogram::Histogram;

use crate::arrivals::ArrivalStats;
use crate::checks::CheckStats;
use crate::histogram::{merge_into, new_histogram, record_latency};
use crate::sample::{is_success_status, FailureKind, Outcome, Sample};
use std::time::Duration;

/// Counts per HTTP status code, sorted by code.
///
/// A short vector rather than a map: a request row sees one to three codes, a
/// linear scan beats hashing, and after a code's first sight recording it
/// allocates nothing (resetting keeps the codes and zeroes the counts).
#[derive(Clone, Debug, Default)]
pub struct StatusCounts {
    counts: Vec<(u16, u64)>,
}

impl StatusCounts {
    /// Adds `n` responses with status `code`.
    #[inline]
    pub fn add(&mut self, code: u16, n: u64) {
        for entry in &mut self.counts {
            if entry.0 == code {
                entry.1 += n;
                return;
            }
        }
        let at = self.counts.partition_point(|&(c, _)| c < code);
        self.counts.insert(at, (code, n));
    }

    /// `(code, count)` pairs with a non-zero count, by ascending code.
    pub fn iter(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.counts.iter().copied().filter(|&(_, n)| n > 0)
    }

    /// How many responses had this status code.
    pub fn get(&self, code: u16) -> u64 {
        self.iter().find(|&(c, _)| c == code).map_or(0, |(_, n)| n)
    }

    /// All responses, whatever their status.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&(_, n)| n).sum()
    }

    /// Responses whose status counts as a failure (outside `200..=399`).
    pub fn failures(&self) -> u64 {
        self.iter()
            .filter(|&(c, _)| !is_success_status(c))
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn reset(&mut self) {
        self.counts.iter_mut().for_each(|entry| entry.1 = 0);
    }
}

impl PartialEq for StatusCounts {
    /// Equal when every code has the same count; codes seen with a zero count do not matter.
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for StatusCounts {}

/// The statistics of one request row (one request name).
#[derive(Clone, Debug)]
pub struct RequestStats {
    response_time: Histogram<u64>,
    service_time: Histogram<u64>,
    status: StatusCounts,
    errors: [u64; FailureKind::COUNT],
    bytes_sent: u64,
    bytes_received: u64,
    interrupted: u64,
    in_grace: u64,
    checks: CheckStats,
}

impl Default for RequestStats {
    fn default() -> Self {
        RequestStats {
            response_time: new_histogram(),
            service_time: new_histogram(),
            status: StatusCounts::default(),
            errors: [0; FailureKind::COUNT],
            bytes_sent: 0,
            bytes_received: 0,
            interrupted: 0,
            in_grace: 0,
            checks: CheckStats::default(),
        }
    }
}

impl RequestStats {
    /// Adds one sample. Latencies are recorded for responses only: a transport
    /// failure is counted by kind but has no response to time.
    #[inline]
    pub(crate) fn record(&mut self, sample: &Sample) {
        match sample.outcome {
            Outcome::Status(code) => {
                self.status.add(code, 1);
                record_latency(&mut self.response_time, sample.response_time);
                record_latency(&mut self.service_time, sample.service_time);
            }
            Outcome::Failed(kind) => self.errors[kind.index()] += 1,
        }
        self.bytes_sent += sample.bytes_sent;
        self.bytes_received += sample.bytes_received;
        self.in_grace += u64::from(sample.in_grace);
    }

    pub(crate) fn record_interrupted(&mut self) {
        self.interrupted += 1;
    }

    /// Response time (intended start → last byte) of every response, in µs.
    pub fn response_time(&self) -> &Histogram<u64> {
        &self.response_time
    }

    /// Service time (actual send → last byte) of every response, in µs.
    pub fn service_time(&self) -> &Histogram<u64> {
        &self.service_time
    }

    /// Responses by status code.
    pub fn status_codes(&self) -> &StatusCounts {
        &self.status
    }

    /// Transport failures by kind, indexed by [`FailureKind::index`].
    pub fn errors(&self) -> &[u64; FailureKind::COUNT] {
        &self.errors
    }

    /// Transport failures of all kinds.
    pub fn transport_failures(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Completed requests: responses plus transport failures (not interrupted ones).
    pub fn count(&self) -> u64 {
        self.status.total() + self.transport_failures()
    }

    /// Transport failures plus responses with a status outside `200..=399`, less those
    /// `expect.status` accepted.
    pub fn failures(&self) -> u64 {
        (self.status.failures() + self.transport_failures()).saturating_sub(self.checks.accepted())
    }

    /// Outcomes of the row's checks (`expect`, `extract`) and its skipped requests.
    pub fn checks(&self) -> &CheckStats {
        &self.checks
    }

    pub(crate) fn checks_mut(&mut self) -> &mut CheckStats {
        &mut self.checks
    }

    /// Bytes written for these requests.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Bytes read for these responses.
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// Requests cut off at the end of the graceful stop (not failures, not counted).
    pub fn interrupted(&self) -> u64 {
        self.interrupted
    }

    /// Requests (included in [`count`](Self::count)) completed during the graceful stop.
    pub fn completed_in_grace(&self) -> u64 {
        self.in_grace
    }

    fn reset(&mut self) {
        self.response_time.reset();
        self.service_time.reset();
        self.status.reset();
        self.errors = [0; FailureKind::COUNT];
        self.bytes_sent = 0;
        self.bytes_received = 0;
        self.interrupted = 0;
        self.in_grace = 0;
        self.checks.reset();
    }
}

impl AddAssign<&RequestStats> for RequestStats {
    fn add_assign(&mut self, other: &RequestStats) {
        merge_into(&mut self.response_time, &other.response_time);
        merge_into(&mut self.service_time, &other.service_time);
        for (code, n) in other.status.iter() {
            self.status.add(code, n);
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.interrupted += other.interrupted;
        self.in_grace += other.in_grace;
        self.checks += &other.checks;
    }
}

/// The statistics of one scenario row: its iterations.
#[derive(Clone, Debug)]
pub struct ScenarioStats {
    iteration_time: Histogram<u64>,
    failed: u64,
    cut: u64,
}

impl Default for ScenarioStats {
    fn default() -> Self {
        ScenarioStats {
            iteration_time: new_histogram(),
            failed: 0,
            cut: 0,
        }
    }
}

impl ScenarioStats {
    pub(crate) fn record(&mut self, elapsed: Duration, ok: bool) {
        record_latency(&mut self.iteration_time, elapsed);
        self.failed += u64::from(!ok);
    }

    pub(crate) fn record_cut(&mut self) {
        self.cut += 1;
    }

    /// Time of every completed iteration, in µs.
    pub fn iteration_time(&self) -> &Histogram<u64> {
        &self.iteration_time
    }

    /// Completed iterations, failed ones included.
    pub fn iterations(&self) -> u64 {
        self.iteration_time.len()
    }

    /// Completed iterations in which at least one request failed.
    pub fn failed_iterations(&self) -> u64 {
        self.failed
    }

    /// Iterations the end of the test cut short (not in `iterations`).
    pub fn cut_iterations(&self) -> u64 {
        self.cut
    }

    fn reset(&mut self) {
        self.iteration_time.reset();
        self.failed = 0;
        self.cut = 0;
    }
}

impl AddAssign<&ScenarioStats> for ScenarioStats {
    fn add_assign(&mut self, other: &ScenarioStats) {
        merge_into(&mut self.iteration_time, &other.iteration_time);
        self.failed += other.failed;
        self.cut += other.cut;
    }
}

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
}

impl Snapshot {
    /// An empty snapshot with the given numbers of request and scenario rows.
    pub fn empty(requests: usize, scenarios: usize) -> Self {
        Snapshot {
            requests: (0..requests).map(|_| RequestStats::default()).collect(),
            scenarios: (0..scenarios).map(|_| ScenarioStats::default()).collect(),
            arrivals: ArrivalStats::default(),
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

    /// The response times of all request rows merged into one histogram.
    pub fn overall_response_time(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for row in &self.requests {
            merge_into(&mut all, &row.response_time);
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

    /// Whether nothing at all was recorded.
    pub fn is_empty(&self) -> bool {
        self.requests
            .iter()
            .all(|r| r.count() == 0 && r.interrupted == 0)
            && self
                .scenarios
                .iter()
                .all(|s| s.iterations() == 0 && s.cut == 0)
            && self.arrivals.started() == 0
            && self.arrivals.dropped() == 0
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
    }
}
