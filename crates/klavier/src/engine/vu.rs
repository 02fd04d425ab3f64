//! One virtual user: pick a scenario by weight, send its requests in order, record,
//! pace, repeat. Knows nothing of threads: a worker hands it a context, and an executor
//! (closed: [`run_user`]; open: `open::serve_arrivals`) decides when it works.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Plan, ScenarioPicker, Think};
use klavier_stats::{Recorder, Sample};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::http::Captured;
use crate::session::{RenderError, Session, Shared};

use super::dynamic;
use super::schedule::Schedule;
use super::transport::Transport;

/// What the users of one worker share: all single-threaded, no locks.
#[derive(Debug)]
pub struct Context {
    /// The plan being run.
    pub plan: Arc<Plan>,
    /// Weighted scenario choice, built once.
    pub picker: ScenarioPicker,
    /// The run's instants.
    pub schedule: Schedule,
    /// Cancelled when users must not start new requests (end of duration or Ctrl-C).
    pub stop: CancellationToken,
    /// Cancelled when in-flight requests must be cut off (end of the graceful stop).
    pub abort: CancellationToken,
    /// This worker's statistics.
    pub recorder: RefCell<Recorder>,
    /// Users of this worker currently running (closed) or busy (open).
    pub active: Cell<u32>,
    /// Arrivals of this worker waiting for a free user (open model).
    pub waiting: Cell<u32>,
    /// What users' sessions share: templates, feeders, constants.
    pub session: Arc<Shared>,
}

impl Context {
    /// The context of one worker's users.
    pub fn new(
        plan: Arc<Plan>,
        schedule: Schedule,
        stop: CancellationToken,
        abort: CancellationToken,
    ) -> Self {
        Self {
            picker: ScenarioPicker::new(&plan.scenarios),
            recorder: RefCell::new(Recorder::new(
                plan.request_names.len(),
                plan.scenarios.len(),
            )),
            schedule,
            stop,
            abort,
            active: Cell::new(0),
            waiting: Cell::new(0),
            session: Arc::new(Shared::new(&plan)),
            plan,
        }
    }

    /// Shares `session` (one per run) instead of this context's own.
    pub fn with_session(mut self, session: Arc<Shared>) -> Self {
        self.session = session;
        self
    }

    /// True once no new request may start.
    pub fn stopped(&self) -> bool {
        self.stop.is_cancelled() || Instant::now() >= self.schedule.deadline
    }

    /// Waits until `at`; false if the run stopped first (or `at` is past the deadline).
    /// How late the timer fired is recorded: a generator that cannot keep its schedule
    /// must say so.
    pub async fn wait_until(&self, at: Instant) -> bool {
        if at <= Instant::now() {
            return !self.stopped();
        }
        let deadline = self.schedule.deadline;
        tokio::select! {
            _ = sleep_until(at.min(deadline)) => {
                if at < deadline {
                    let lag = Instant::now().saturating_duration_since(at);
                    self.recorder.borrow_mut().record_lag(lag);
                }
                at < deadline && !self.stop.is_cancelled()
            }
            _ = self.stop.cancelled() => false,
        }
    }
}

/// One virtual user: an id, its own random stream and its own connection.
#[derive(Debug)]
pub struct Vu<T> {
    id: u32,
    seed: u64,
    rng: Xoshiro256PlusPlus,
    transport: T,
    /// Variables, feeder rows and cookies, from the user's first iteration on.
    session: Option<Session>,
    iterations: u64,
    /// Reused for rendering.
    scratch: String,
    /// A `unique` feeder with `on_exhausted = "stop"` had no row left: the user is done.
    finished: bool,
}

impl<T: Transport> Vu<T> {
    /// User `id` of a run seeded with `seed`: the same pair always makes the same choices.
    pub fn new(id: u32, seed: u64, transport: T) -> Self {
        // seed_from_u64 runs SplitMix64 over this, so neighbouring ids get unrelated streams.
        let stream = seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self {
            id,
            seed,
            rng: Xoshiro256PlusPlus::seed_from_u64(stream),
            transport,
            session: None,
            iterations: 0,
            scratch: String::new(),
            finished: false,
        }
    }

    /// Starts an iteration of scenario `index` in the user's session (starting the
    /// session first). False when a `unique` feeder has run out: the user is done.
    fn begin(&mut self, index: usize, ctx: &Context) -> bool {
        let shared = &ctx.session;
        let session = match self.session.take() {
            Some(session) => Ok(session),
            None => Session::start(shared, self.id, self.seed),
        };
        let name = shared
            .scenario_names
            .get(index)
            .cloned()
            .unwrap_or_default();
        let begun = session.and_then(|mut session| {
            session.begin_iteration(shared, self.iterations, &name)?;
            Ok(session)
        });
        match begun {
            Ok(session) => {
                self.session = Some(session);
                self.iterations += 1;
                true
            }
            Err(_exhausted) => {
                // Every row of a `unique` feeder is used and it says stop: this user is
                // done; the run ends when every user is.
                self.finished = true;
                false
            }
        }
    }

    /// The next scenario this user picks.
    pub(super) fn pick(&mut self, picker: &ScenarioPicker) -> usize {
        picker.pick(self.rng.random_range(0..picker.total()))
    }

    /// A pause drawn from `think` (zero without one).
    fn think(&mut self, think: Option<&Think>) -> Duration {
        think.map_or(Duration::ZERO, |t| {
            t.sample(self.rng.random::<f64>(), self.rng.random::<f64>())
        })
    }
}

/// How an iteration ended.
pub(super) enum IterationEnd {
    /// Every request was sent and answered; `ok` if none failed.
    Completed { ok: bool },
    /// The stop came between two requests.
    Cut,
    /// A request was in flight when the graceful stop ran out.
    Aborted,
    /// Not started: the user's data ran out (a `unique` feeder that says stop).
    NoData,
}

/// Closed model: runs user `vu` whenever the schedule wants it active, until the stop.
pub async fn run_user<T: Transport>(mut vu: Vu<T>, ctx: Rc<Context>) {
    let mut from = ctx.schedule.start;
    while let Some(at) = ctx.schedule.activation(vu.id, from) {
        if !ctx.wait_until(at).await {
            return;
        }
        let departure = ctx.schedule.departure(vu.id, at);
        ctx.active.set(ctx.active.get() + 1);
        let aborted = run_while_active(&mut vu, &ctx, departure).await;
        ctx.active.set(ctx.active.get() - 1);
        if aborted || ctx.stopped() || vu.finished {
            return;
        }
        from = Instant::now();
    }
}

/// Iterates until the stop or `departure` (a ramp-down; the iteration under way is
/// finished first). True if the graceful stop cut a request off.
async fn run_while_active<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    departure: Option<Instant>,
) -> bool {
    let present = || departure.is_none_or(|at| Instant::now() < at);
    while !ctx.stopped() && present() && !vu.finished {
        let scenario = vu.pick(&ctx.picker);
        let began = Instant::now();
        // A user the ramp-down removes finishes its scenario within the graceful stop.
        let cutoff = departure.map(|at| at + ctx.schedule.graceful_stop);
        let end = run_iteration(vu, scenario, ctx, began, cutoff).await;
        record_iteration(ctx, scenario, began, &end);
        if matches!(end, IterationEnd::Aborted) {
            return ctx.abort.is_cancelled();
        }
        // The longer of the minimum interval (start to start) and the think time (end to start).
        let paced = began + ctx.plan.timings.min_scenario_interval;
        let thought = Instant::now() + vu.think(ctx.plan.timings.scenario_think_time.as_ref());
        let next = paced.max(thought);
        if !ctx
            .wait_until(departure.map_or(next, |at| next.min(at)))
            .await
        {
            break;
        }
    }
    false
}

pub(super) fn record_iteration(ctx: &Context, scenario: usize, began: Instant, end: &IterationEnd) {
    let mut recorder = ctx.recorder.borrow_mut();
    match end {
        IterationEnd::Completed { ok } => {
            recorder.record_iteration(scenario, began.elapsed(), *ok);
        }
        IterationEnd::Cut | IterationEnd::Aborted => recorder.record_iteration_cut(scenario),
        IterationEnd::NoData => {}
    }
}

/// Sends the requests of scenario `index` in order. `intended` is when the first request
/// was meant to start: its response time is measured from there, so time an arrival
/// spent waiting for a free user (open model) is not hidden.
///
/// A request still in flight at `cutoff` (if any) or at the end of the graceful stop is
/// cut off and counted as interrupted.
pub(super) async fn run_iteration<T: Transport>(
    vu: &mut Vu<T>,
    index: usize,
    ctx: &Context,
    mut intended: Instant,
    cutoff: Option<Instant>,
) -> IterationEnd {
    let scenario = &ctx.plan.scenarios[index];
    let timings = &ctx.plan.timings;
    let mut ok = true;
    if !vu.begin(index, ctx) {
        return IterationEnd::NoData;
    }
    for (i, request) in scenario.requests.iter().enumerate() {
        if i > 0 {
            // Not before the previous start + minimum interval, nor before its end + think time.
            let think = vu.think(timings.think_time.as_ref());
            intended = (intended + timings.min_request_interval).max(Instant::now() + think);
        }
        if !ctx.wait_until(intended).await {
            return IterationEnd::Cut;
        }
        let session = vu.session.as_mut().expect("begin started the session");
        let prepared = match dynamic::prepare(session, &ctx.session, request, &mut vu.scratch) {
            Ok(prepared) => prepared,
            Err(dynamic::Skipped(why)) => {
                // Never sent half-empty or malformed: counted apart, by reason.
                let mut recorder = ctx.recorder.borrow_mut();
                match why {
                    RenderError::Unset(_) => recorder.record_skipped(request.stat),
                    RenderError::Invalid(_) => recorder.record_render_failure(request.stat),
                }
                ok = false;
                continue;
            }
        };
        let capture = dynamic::capture_for(request, session);
        let mut captured = Captured::default();
        let sent = Instant::now();
        let cut_off = async {
            match cutoff {
                Some(at) => sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let exchanged = tokio::select! {
            biased;
            _ = ctx.abort.cancelled() => None,
            _ = cut_off => None,
            exchanged = vu.transport.send_keeping(&prepared, capture, &mut captured) => Some(exchanged),
        };
        let mut recorder = ctx.recorder.borrow_mut();
        let Some(exchanged) = exchanged else {
            recorder.record_interrupted(request.stat);
            return IterationEnd::Aborted;
        };
        let done = Instant::now();
        let checked = dynamic::take_in(
            session,
            &ctx.session.renderer,
            request,
            &prepared,
            exchanged.outcome,
            &captured,
            done - sent,
            &mut recorder,
        );
        ok &= checked && !dynamic::is_failure(request, exchanged.outcome);
        recorder.record(
            request.stat,
            &Sample {
                outcome: exchanged.outcome,
                service_time: done - sent,
                response_time: done.saturating_duration_since(intended.min(sent)),
                bytes_sent: exchanged.bytes_sent,
                bytes_received: exchanged.bytes_received,
                in_grace: ctx.stopped(),
            },
        );
    }
    IterationEnd::Completed { ok }
}
