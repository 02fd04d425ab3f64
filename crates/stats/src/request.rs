//! [`RequestStats`]: what one request row (one request name) recorded, and
//! [`StatusCounts`].

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::checks::CheckStats;
use crate::detail::Detail;
use crate::histogram::{merge_into, new_histogram, record_latency};
use crate::phases::PhaseStats;
use crate::sample::{is_success_status, FailureKind, Outcome, Sample};

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
///
/// Every request sent is timed: a success in `response_time` (and `service_time`), a
/// failure (a status outside `200..=399` that `expect.status` did not accept, or no
/// response at all) in `failed_time`, up to the moment it failed, and one cut off at the
/// end of the graceful stop in `interrupted_time`, up to the cut. No histogram flatters
/// the server by leaving out what went wrong.
#[derive(Clone, Debug)]
pub struct RequestStats {
    response_time: Histogram<u64>,
    service_time: Histogram<u64>,
    failed_time: Histogram<u64>,
    interrupted_time: Histogram<u64>,
    status: StatusCounts,
    errors: [u64; FailureKind::COUNT],
    bytes_sent: u64,
    bytes_received: u64,
    in_grace: u64,
    overflow: u64,
    checks: CheckStats,
    detail: Detail,
    phases: PhaseStats,
}

impl Default for RequestStats {
    fn default() -> Self {
        RequestStats {
            response_time: new_histogram(),
            service_time: new_histogram(),
            failed_time: new_histogram(),
            interrupted_time: new_histogram(),
            status: StatusCounts::default(),
            errors: [0; FailureKind::COUNT],
            bytes_sent: 0,
            bytes_received: 0,
            in_grace: 0,
            overflow: 0,
            checks: CheckStats::default(),
            detail: Detail::default(),
            phases: PhaseStats::default(),
        }
    }
}

impl RequestStats {
    /// Adds one sample; `failed` says whether it counts as a failure (the engine knows
    /// which statuses `expect.status` accepts).
    #[inline]
    pub(crate) fn record(&mut self, sample: &Sample, failed: bool) {
        match sample.outcome {
            Outcome::Status(code) => self.status.add(code, 1),
            Outcome::Failed(kind) => self.errors[kind.index()] += 1,
        }
        let overflow = if failed {
            record_latency(&mut self.failed_time, sample.response_time)
        } else {
            record_latency(&mut self.response_time, sample.response_time)
                | record_latency(&mut self.service_time, sample.service_time)
        };
        self.overflow += u64::from(overflow);
        self.bytes_sent += sample.bytes_sent;
        self.bytes_received += sample.bytes_received;
        self.in_grace += u64::from(sample.in_grace);
    }

    pub(crate) fn record_interrupted(&mut self, in_flight: Duration) {
        self.overflow += u64::from(record_latency(&mut self.interrupted_time, in_flight));
    }

    /// Reasons, redirects and retries of the row's exchanges.
    pub fn detail(&self) -> &Detail {
        &self.detail
    }

    pub(crate) fn detail_mut(&mut self) -> &mut Detail {
        &mut self.detail
    }

    /// Where the row's time went, phase by phase.
    pub fn phases(&self) -> &PhaseStats {
        &self.phases
    }

    pub(crate) fn phases_mut(&mut self) -> &mut PhaseStats {
        &mut self.phases
    }

    pub(crate) fn record_wire(&mut self, sent: u64, received: u64) {
        self.bytes_sent += sent;
        self.bytes_received += received;
    }

    /// Response time (intended start → last byte) of every successful response, in µs.
    pub fn response_time(&self) -> &Histogram<u64> {
        &self.response_time
    }

    /// Service time (actual send → last byte) of every successful response, in µs.
    pub fn service_time(&self) -> &Histogram<u64> {
        &self.service_time
    }

    /// Time from the intended start to the failure (the error response, the timeout,
    /// the reset) of every failed request, in µs.
    pub fn failed_time(&self) -> &Histogram<u64> {
        &self.failed_time
    }

    /// Time from the intended start to the cut of every interrupted request, in µs.
    pub fn interrupted_time(&self) -> &Histogram<u64> {
        &self.interrupted_time
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

    /// Responses with a failing status, less those `expect.status` accepted.
    pub fn status_failures(&self) -> u64 {
        self.status
            .failures()
            .saturating_sub(self.checks.accepted())
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
        self.interrupted_time.len()
    }

    /// Requests (included in [`count`](Self::count)) completed during the graceful stop.
    pub fn completed_in_grace(&self) -> u64 {
        self.in_grace
    }

    /// Latencies above the histograms' range, recorded as its highest value.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    pub(crate) fn reset(&mut self) {
        self.response_time.reset();
        self.service_time.reset();
        self.failed_time.reset();
        self.interrupted_time.reset();
        self.status.reset();
        self.errors = [0; FailureKind::COUNT];
        self.bytes_sent = 0;
        self.bytes_received = 0;
        self.in_grace = 0;
        self.overflow = 0;
        self.checks.reset();
        self.detail.reset();
        self.phases.reset();
    }
}

impl AddAssign<&RequestStats> for RequestStats {
    fn add_assign(&mut self, other: &RequestStats) {
        merge_into(&mut self.response_time, &other.response_time);
        merge_into(&mut self.service_time, &other.service_time);
        merge_into(&mut self.failed_time, &other.failed_time);
        merge_into(&mut self.interrupted_time, &other.interrupted_time);
        for (code, n) in other.status.iter() {
            self.status.add(code, n);
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.in_grace += other.in_grace;
        self.overflow += other.overflow;
        self.checks += &other.checks;
        self.detail += &other.detail;
        self.phases += &other.phases;
    }
}
