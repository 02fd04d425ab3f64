//! [`Recorder`]: one worker thread's statistics, recorded without sharing.

use std::time::Duration;

use crate::detail::Reason;
use crate::phases::Timing;
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

    /// Records a completed request (a response or a transport failure) of row `request`,
    /// a failure if its outcome is one ([`Outcome::is_failure`](crate::Outcome::is_failure)).
    #[inline]
    pub fn record(&mut self, request: usize, sample: &Sample) {
        self.record_judged(request, sample, sample.outcome.is_failure());
    }

    /// Records a completed request of row `request` whose caller judged whether it
    /// `failed` (a status that `expect.status` lists is not a failure): a failure is timed
    /// in the row's failed histogram, a success in its response and service times.
    #[inline]
    pub fn record_judged(&mut self, request: usize, sample: &Sample, failed: bool) {
        self.current.request_mut(request).record(sample, failed);
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

    /// Records a request cut off at the end of the grace period after `in_flight` (from
    /// its intended start to the cut): not a failure, counted and timed apart from
    /// completed requests.
    pub fn record_interrupted(&mut self, request: usize, in_flight: Duration) {
        self.current
            .request_mut(request)
            .record_interrupted(in_flight);
    }

    /// Records what an exchange of row `request` did besides its outcome: the reason
    /// of its failure, the redirects it followed, whether it was retried.
    pub fn record_detail(
        &mut self,
        request: usize,
        reason: Option<Reason>,
        redirects: u32,
        retried: bool,
    ) {
        if reason.is_some() || redirects > 0 || retried {
            self.current
                .request_mut(request)
                .detail_mut()
                .record(reason, redirects, retried);
        }
    }

    /// Records that an exchange of row `request` went over HTTP/2 (`true`) or HTTP/1.1.
    pub fn record_protocol(&mut self, request: usize, http2: bool) {
        self.current
            .request_mut(request)
            .detail_mut()
            .record_protocol(http2);
    }

    /// Records a pause of row `request`'s user before reconnecting (connections had
    /// just failed at once).
    pub fn record_backoff(&mut self, request: usize, pause: Duration) {
        self.current
            .request_mut(request)
            .detail_mut()
            .record_backoff(pause);
    }

    /// Records where the time of an exchange of row `request` went.
    pub fn record_timing(&mut self, request: usize, timing: &Timing) {
        self.current
            .request_mut(request)
            .phases_mut()
            .record(timing);
    }

    /// Adds the bytes a request of row `request` put on the wire without completing
    /// (an interrupted one): the totals count every byte that crossed the wire.
    pub fn record_wire(&mut self, request: usize, sent: u64, received: u64) {
        self.current
            .request_mut(request)
            .record_wire(sent, received);
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

    /// Records an arrival (open model) that started its scenario; `waited` is how long
    /// it waited for a free user if it found none idle (`None` if it was handed to one).
    pub fn record_arrival(&mut self, waited: Option<Duration>) {
        self.current.arrivals_mut().record_started(waited);
    }

    /// Records an arrival that found no free user and no room to wait.
    pub fn record_dropped(&mut self) {
        self.current.arrivals_mut().record_dropped();
    }

    /// Records `n` arrivals due before the end that had not started when the run stopped.
    pub fn record_cut_arrivals(&mut self, n: u64) {
        self.current.arrivals_mut().record_cut(n);
    }

    /// Records how late the generator dispatched an arrival or a paced start.
    pub fn record_lag(&mut self, lag: Duration) {
        self.current.arrivals_mut().record_lag(lag);
    }

    /// Records a paced start (a scenario or request with a minimum interval) made.
    pub fn record_paced_start(&mut self) {
        self.current.pacing_mut().record_started();
    }

    /// Records `n` paced starts a slow server made a user miss.
    pub fn record_missed_starts(&mut self, n: u64) {
        self.current.pacing_mut().record_missed(n);
    }

    /// Records how far behind its schedule a user was when it stopped.
    pub fn record_user_lag(&mut self, lag: Duration) {
        self.current.pacing_mut().record_user_lag(lag);
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
