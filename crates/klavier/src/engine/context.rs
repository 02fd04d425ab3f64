//! What the users of one worker share: the plan, the run's instants, the stop, the
//! worker's recorders and timer. All single-threaded, no locks.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use klavier_plan::{Plan, Run, ScenarioPicker};
use klavier_stats::Recorder;
use tokio::task::JoinError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::session::Shared;

use super::schedule::Schedule;
use super::timer::Timer;

/// What the users of one worker share.
#[derive(Debug)]
pub struct Context {
    /// The plan being run.
    pub plan: Arc<Plan>,
    /// Weighted scenario choice, built once.
    pub picker: ScenarioPicker,
    /// The scenarios each user runs at its start (`run = "once"`), in profile order.
    pub setup: Vec<usize>,
    /// The scenarios each user runs at its end (`run = "last"`), in profile order.
    pub teardown: Vec<usize>,
    /// The run's instants.
    pub schedule: Schedule,
    /// Cancelled when users must not start new requests (end of duration or Ctrl-C).
    pub stop: CancellationToken,
    /// Cancelled when in-flight requests must be cut off (end of the graceful stop).
    pub abort: CancellationToken,
    /// This worker's statistics after the warm-up.
    pub recorder: RefCell<Recorder>,
    /// This worker's statistics of the warm-up, kept apart.
    pub warmup: RefCell<Recorder>,
    /// Users of this worker currently running (closed) or busy (open).
    pub active: Cell<u32>,
    /// Arrivals of this worker waiting for a free user (open model).
    pub waiting: Cell<u32>,
    /// What users' sessions share: templates, feeders, constants.
    pub session: Arc<Shared>,
    /// How users wait for instants.
    pub timer: Timer,
    /// Messages of this worker's user tasks that panicked, not yet reported.
    pub panics: RefCell<Vec<String>>,
}

impl Context {
    /// The context of one worker's users, waiting with tokio's timer.
    pub fn new(
        plan: Arc<Plan>,
        schedule: Schedule,
        stop: CancellationToken,
        abort: CancellationToken,
    ) -> Self {
        let recorder = || {
            RefCell::new(Recorder::new(
                plan.request_names.len(),
                plan.scenarios.len(),
            ))
        };
        let role = |run: Run| -> Vec<usize> {
            let scenarios = plan.scenarios.iter().enumerate();
            scenarios
                .filter(|(_, s)| s.run == run)
                .map(|(i, _)| i)
                .collect()
        };
        Self {
            picker: ScenarioPicker::new(&plan.scenarios),
            setup: role(Run::Once),
            teardown: role(Run::Last),
            recorder: recorder(),
            warmup: recorder(),
            schedule,
            stop,
            abort,
            active: Cell::new(0),
            waiting: Cell::new(0),
            session: Arc::new(Shared::new(&plan)),
            timer: Timer::Tokio,
            panics: RefCell::new(Vec::new()),
            plan,
        }
    }

    /// Shares `session` (one per run) instead of this context's own.
    pub fn with_session(mut self, session: Arc<Shared>) -> Self {
        self.session = session;
        self
    }

    /// Waits with `timer` instead of tokio's.
    pub fn with_timer(mut self, timer: Timer) -> Self {
        self.timer = timer;
        self
    }

    /// True once no new request may start.
    pub fn stopped(&self) -> bool {
        self.stop.is_cancelled() || Instant::now() >= self.schedule.deadline
    }

    /// The recorder of what was due at `at`: the warm-up's before its end, else the main one.
    pub fn recorder_at(&self, at: Instant) -> &RefCell<Recorder> {
        if at < self.schedule.warmup_end {
            &self.warmup
        } else {
            &self.recorder
        }
    }

    /// Waits until `at`; false if the run stopped first (or `at` is past the deadline).
    /// How late the timer fired is recorded when it had to wait: a generator that cannot
    /// keep its schedule must say so.
    pub async fn wait_until(&self, at: Instant) -> bool {
        if at <= Instant::now() {
            return !self.stopped();
        }
        self.sleep_until(at).await
    }

    /// Waits until `at`, through the stop; false once the graceful stop has ended (the
    /// abort): a user's teardown (`run = "last"`) may still start requests until then.
    pub async fn wait_unless_aborted(&self, at: Instant) -> bool {
        if self.abort.is_cancelled() {
            return false;
        }
        if at <= Instant::now() {
            return true;
        }
        tokio::select! {
            () = self.timer.sleep_until(at) => !self.abort.is_cancelled(),
            () = self.abort.cancelled() => false,
        }
    }

    /// Waits until `at`, a scheduled instant (an arrival), and records how late it was
    /// dispatched, also when it was already due (the dispatcher fell behind). False if
    /// the run stopped first: then it must not start.
    pub async fn dispatch_at(&self, at: Instant) -> bool {
        let now = Instant::now();
        if at > now {
            return self.sleep_until(at).await;
        }
        if self.stopped() {
            return false;
        }
        self.recorder_at(at)
            .borrow_mut()
            .record_lag(now.saturating_duration_since(at));
        true
    }

    async fn sleep_until(&self, at: Instant) -> bool {
        let deadline = self.schedule.deadline;
        tokio::select! {
            () = self.timer.sleep_until(at.min(deadline)) => {
                if at < deadline {
                    let lag = Instant::now().saturating_duration_since(at);
                    self.recorder_at(at).borrow_mut().record_lag(lag);
                }
                at < deadline && !self.stop.is_cancelled()
            }
            () = self.stop.cancelled() => false,
        }
    }

    /// Notes a user task that ended with `error`: a panic is kept for the report (a bug
    /// in Klavier must not pass silently), a cancellation is not.
    pub fn note_task_end(&self, error: JoinError) {
        if let Ok(payload) = error.try_into_panic() {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            self.panics.borrow_mut().push(message);
        }
    }
}

/// A user counted as active while this lives: the count comes back down however the
/// user's work ends, a panic included.
pub(super) struct Busy<'a>(&'a Cell<u32>);

impl<'a> Busy<'a> {
    pub(super) fn new(active: &'a Cell<u32>) -> Self {
        active.set(active.get() + 1);
        Busy(active)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}
