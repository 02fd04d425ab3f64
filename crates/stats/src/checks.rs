//! [`CheckStats`]: the outcomes of a request row's checks (`expect` and `extract`), kept
//! apart from transport failures.

use std::ops::AddAssign;

use crate::request::StatusCounts;

/// Check outcomes of one request row.
///
/// Checks are counted by their index in the row's list of check names (which the plan
/// knows and the stats do not); the summary names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckStats {
    failed_requests: u64,
    by_check: Vec<u64>,
    skipped: u64,
    render_failures: u64,
    /// Responses of 400 or more that `expect.status` listed, by status code.
    accepted: StatusCounts,
}

impl CheckStats {
    /// Records a response whose checks at indices `failed` failed (none: it passed).
    #[inline]
    pub(crate) fn record(&mut self, failed: &[usize]) {
        if failed.is_empty() {
            return;
        }
        self.failed_requests += 1;
        for &check in failed {
            if self.by_check.len() <= check {
                self.by_check.resize(check + 1, 0);
            }
            self.by_check[check] += 1;
        }
    }

    pub(crate) fn record_skipped(&mut self) {
        self.skipped += 1;
    }

    pub(crate) fn record_render_failure(&mut self) {
        self.render_failures += 1;
    }

    pub(crate) fn record_accepted(&mut self, status: u16) {
        self.accepted.add(status, 1);
    }

    /// Responses with at least one failed check.
    pub fn failed_requests(&self) -> u64 {
        self.failed_requests
    }

    /// Failures of each check, by index (trailing checks that never failed may be absent).
    pub fn by_check(&self) -> &[u64] {
        &self.by_check
    }

    /// Requests not sent because a variable they need was unset.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Requests not sent because rendering them failed: a template error, or a rendered
    /// URI or header that is not valid HTTP.
    pub fn render_failures(&self) -> u64 {
        self.render_failures
    }

    /// Responses with a status of 400 or more that `expect.status` listed: not failures.
    pub fn accepted(&self) -> u64 {
        self.accepted.total()
    }

    /// [`accepted`](Self::accepted) by status code.
    pub fn accepted_statuses(&self) -> &StatusCounts {
        &self.accepted
    }

    pub(crate) fn reset(&mut self) {
        self.failed_requests = 0;
        self.by_check.iter_mut().for_each(|n| *n = 0);
        self.skipped = 0;
        self.render_failures = 0;
        self.accepted.reset();
    }
}

impl AddAssign<&CheckStats> for CheckStats {
    fn add_assign(&mut self, other: &CheckStats) {
        self.failed_requests += other.failed_requests;
        if self.by_check.len() < other.by_check.len() {
            self.by_check.resize(other.by_check.len(), 0);
        }
        for (mine, theirs) in self.by_check.iter_mut().zip(&other.by_check) {
            *mine += theirs;
        }
        self.skipped += other.skipped;
        self.render_failures += other.render_failures;
        for (code, n) in other.accepted.iter() {
            self.accepted.add(code, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_per_request_and_per_check_and_merge() {
        let mut a = CheckStats::default();
        a.record(&[]);
        a.record(&[0, 2]);
        a.record(&[2]);
        a.record_skipped();
        let mut b = CheckStats::default();
        b.record(&[1]);
        b.record_accepted(404);
        b.record_render_failure();
        a += &b;
        assert_eq!(a.failed_requests(), 3);
        assert_eq!(a.by_check(), [1, 1, 2]);
        assert_eq!((a.skipped(), a.accepted()), (1, 1));
        assert_eq!(a.accepted_statuses().get(404), 1);
        assert_eq!(a.render_failures(), 1);
        a.reset();
        assert_eq!(a.failed_requests() + a.by_check().iter().sum::<u64>(), 0);
    }
}
