//! [`Recorder`]: one worker thread's statistics, recorded without sharing.

use std::time::Duration;

use crate::sample::Sample;
use crate::snapshot::Snapshot;

/// Statistics owned by one worker thread.
///
/// Recording touches only this value: no lock, atomic or channel per sample, and
/// no allocation per sample (a histogram grows only when a latency exceeds every
/// latency it has seen, a status code allocates on its first sight). Once an
/// interval the owner hands over what it recorded with [`take_snapshot`](Self::take_snapshot).
///
/// Row indices are those of the [`crate::Layout`]; an index out of range is a bug
/// in the caller and panics.
#[derive(Debug)]
pub struct Recorder {
    current: Snapshot,
}

impl Recorder {
    /// A recorder with `requests` request rows and `scenarios` scenario rows.
    pub fn new(requests: usize, scenarios: usize) -> Self {
        Recorder {
            current: Snapshot::empty(requests, scenarios),
        }
    }

    /// Records a completed request (a response or a transport failure) of row `request`.
    #[inline]
    pub fn record(&mut self, request: usize, sample: &Sample) {
        self.current.request_mut(request).record(sample);
    }

    /// Records the checks of a response of row `request`: the row's check indices that
    /// failed (empty when all passed).
    #[inline]
    pub fn record_checks(&mut self, request: usize, failed: &[usize]) {
        self.current
            .request_mut(request)
            .checks_mut()
            .record(failed);
    }

    /// Records a request of row `request` that was not sent because a variable it needs
    /// was unset or a template failed to render.
    pub fn record_skipped(&mut self, request: usize) {
        self.current
            .request_mut(request)
            .checks_mut()
            .record_skipped();
    }

    /// Records a request of row `request` not sent because rendering it failed (a
    /// template error, or a rendered URI or header that is not valid HTTP).
    pub fn record_render_failure(&mut self, request: usize) {
        self.current
            .request_mut(request)
            .checks_mut()
            .record_render_failure();
    }

    /// Records a response of row `request` whose `status` of 400 or more
    /// `expect.status` listed, so it is not a failure.
    pub fn record_accepted(&mut self, request: usize, status: u16) {
        self.current
            .request_mut(request)
            .checks_mut()
            .record_accepted(status);
    }

    /// Records a request cut off at the end of the grace period: not a failure,
    /// counted apart from completed requests.
    pub fn record_interrupted(&mut self, request: usize) {
        self.current.request_mut(request).record_interrupted();
    }

    /// Records a completed iteration of scenario row `scenario` that took
    /// `elapsed`; `ok` is false if any of its requests failed.
    pub fn record_iteration(&mut self, scenario: usize, elapsed: Duration, ok: bool) {
        self.current.scenario_mut(scenario).record(elapsed, ok);
    }

    /// Records an iteration of scenario row `scenario` that the end of the test cut short.
    pub fn record_iteration_cut(&mut self, scenario: usize) {
        self.current.scenario_mut(scenario).record_cut();
    }

    /// Records an arrival (open model) that started its scenario after waiting `wait`
    /// for a free user.
    pub fn record_arrival(&mut self, wait: Duration) {
        self.current.arrivals_mut().record_started(wait);
    }

    /// Records an arrival that found no free user and no room to wait.
    pub fn record_dropped(&mut self) {
        self.current.arrivals_mut().record_dropped();
    }

    /// Records how late a timer of the generator fired against its schedule.
    pub fn record_lag(&mut self, lag: Duration) {
        self.current.arrivals_mut().record_lag(lag);
    }

    /// Everything recorded since the last take; the recorder starts over empty,
    /// keeping the memory its histograms have grown to.
    pub fn take_snapshot(&mut self) -> Snapshot {
        let taken = self.current.clone();
        self.current.reset();
        taken
    }

    /// Like [`take_snapshot`](Self::take_snapshot), but records into `spare` from
    /// now on instead of copying: hand back a snapshot the aggregator is done with
    /// and an interval costs no allocation at all.
    pub fn take_snapshot_reusing(&mut self, mut spare: Snapshot) -> Snapshot {
        let same_shape = spare.request_rows().len() == self.current.request_rows().len()
            && spare.scenario_rows().len() == self.current.scenario_rows().len();
        if !same_shape {
            return self.take_snapshot();
        }
        spare.reset();
        std::mem::replace(&mut self.current, spare)
    }

    /// What was recorded since the last take, without taking it.
    pub fn peek(&self) -> &Snapshot {
        &self.current
    }
}
