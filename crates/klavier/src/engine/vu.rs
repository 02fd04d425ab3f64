//! One virtual user: pick a scenario by weight, send its requests in order, record.
//! Knows nothing of threads or schedules: an executor (closed: `closed::run_user`;
//! open: `open::serve_arrivals`) hands it a context and says when to work.

use std::cell::RefCell;
use std::time::Duration;

use klavier_plan::{Request, ScenarioPicker, Think};
use klavier_stats::{FailureKind, Outcome, Recorder, Sample};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::time::{sleep_until, Instant};

use crate::http::Protocol;
use crate::session::{self, Flight, RenderError, Session};

use super::context::Context;
use super::exchange::{self, Flown};
use super::parallel;
use super::seeds::{stream, Domain};
use super::transport::Transport;

/// One virtual user: an id, its own random stream and its own connection.
#[derive(Debug)]
pub struct Vu<T> {
    pub(super) id: u32,
    seed: u64,
    rng: Xoshiro256PlusPlus,
    pub(super) transport: T,
    /// More transports of this user's, for the requests of a `parallel` list beside
    /// `transport` (opened on first need, kept for the next list).
    pub(super) lanes: Vec<T>,
    /// Variables, feeder rows and cookies, from the user's first iteration on; in a
    /// cell so the requests of a `parallel` list can each take their redirects' cookies.
    pub(super) session: Option<RefCell<Session>>,
    iterations: u64,
    /// Reused for rendering.
    pub(super) scratch: String,
    /// A `unique` feeder with `on_exhausted = "stop"` had no row left: the user is done.
    pub(super) finished: bool,
    /// How far a slow server pushed this user's paced scenario starts behind their schedule.
    pub(super) scenario_lag: Pacing,
    /// The same for paced requests within scenarios.
    request_lag: Pacing,
    /// The pause after an iteration that could send nothing (every request failed to
    /// render): it doubles while that goes on, so such a user does not spin a core.
    unsent_pause: Duration,
}

/// The first pause after an iteration that sent nothing; doubled up to [`MAX_UNSENT_PAUSE`].
const FIRST_UNSENT_PAUSE: Duration = Duration::from_millis(1);
/// The longest: such a user still tries ten times a second.
const MAX_UNSENT_PAUSE: Duration = Duration::from_millis(100);

impl<T: Transport> Vu<T> {
    /// User `id` of a run seeded with `seed`: the same pair always makes the same choices,
    /// whichever worker runs it.
    pub fn new(id: u32, seed: u64, transport: T) -> Self {
        Self {
            id,
            seed,
            rng: Xoshiro256PlusPlus::seed_from_u64(stream(seed, Domain::User, id.into())),
            transport,
            lanes: Vec::new(),
            session: None,
            iterations: 0,
            scratch: String::new(),
            finished: false,
            scenario_lag: Pacing::default(),
            request_lag: Pacing::default(),
            unsent_pause: Duration::ZERO,
        }
    }

    /// Makes the choices of open-model arrival `k` from now on: an arrival's scenario and
    /// think times depend on its index, not on which user of the pool serves it.
    pub(super) fn choose_for_arrival(&mut self, k: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(stream(self.seed, Domain::Arrival, k));
    }

    /// Starts an iteration of scenario `index` in the user's session (starting the
    /// session first), drawing the rows of per-iteration feeders if `draw`. False when a
    /// `unique` feeder has run out: the user is done.
    fn begin(&mut self, index: usize, ctx: &Context, draw: bool) -> bool {
        let shared = &ctx.session;
        let session = match self.session.take() {
            Some(session) => Ok(session.into_inner()),
            None => {
                let seed = stream(self.seed, Domain::Session, self.id.into());
                Session::start(shared, self.id, seed)
            }
        };
        let name = shared
            .scenario_names
            .get(index)
            .cloned()
            .unwrap_or_default();
        let begun = session.and_then(|mut session| {
            if draw {
                session.begin_iteration(shared, self.iterations, &name)?;
            } else {
                session.continue_iteration(self.iterations, &name);
            }
            Ok(session)
        });
        match begun {
            Ok(session) => {
                self.session = Some(RefCell::new(session));
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
    pub(super) fn think(&mut self, think: Option<&Think>) -> Duration {
        think.map_or(Duration::ZERO, |t| {
            t.sample(self.rng.random::<f64>(), self.rng.random::<f64>())
        })
    }

    /// Records how far behind its schedule this user ended, if it was paced at all.
    pub(super) fn record_lag(&self, ctx: &Context) {
        let timings = &ctx.plan.timings;
        if timings.min_scenario_interval.is_zero() && timings.min_request_interval.is_zero() {
            return;
        }
        let lag = self.scenario_lag.behind + self.request_lag.behind;
        ctx.recorder.borrow_mut().record_user_lag(lag);
    }
}

/// How far a user is behind a paced schedule (start k at origin + k·interval): each time
/// a start planned at `p` ends after `p + interval`, the overrun pushes every later start
/// back. Each whole interval of that lag is a planned start that was never made.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Pacing {
    behind: Duration,
}

impl Pacing {
    /// After a start planned at `planned` ended at `end`: the planned starts it made the
    /// user miss (those due before `horizon`, the end of the run).
    pub(super) fn held(
        &mut self,
        planned: Instant,
        interval: Duration,
        end: Instant,
        horizon: Instant,
    ) -> u64 {
        let next = planned + interval;
        if interval.is_zero() || end <= next || next >= horizon {
            return 0;
        }
        let whole = |lag: Duration| (lag.as_nanos() / interval.as_nanos()) as u64;
        let before = whole(self.behind);
        self.behind += end.min(horizon) - next;
        whole(self.behind) - before
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

/// When a request left and came back, for its row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flew {
    /// When it was due.
    pub intended: Instant,
    /// When it was sent.
    pub sent: Instant,
    /// When its final response (or failure) came.
    pub done: Instant,
}

/// Takes a flown request's response in (cookies, extractions, checks) and records its
/// row: outcome, times, bytes, redirects, retries, phases, protocol. Returns whether it
/// succeeded, checks included.
pub(super) fn record_flown(
    ctx: &Context,
    request: &Request,
    flight: Flight<'_>,
    session: &RefCell<Session>,
    flew: Flew,
    flown: &Flown,
    recorder: &mut Recorder,
) -> bool {
    let Flown { exchanged, hops } = *flown;
    let Flew {
        intended,
        sent,
        done,
    } = flew;
    let outcome = exchanged.outcome;
    let service_time = done - sent;
    let checked = flight.finish(
        &mut session.borrow_mut(),
        &ctx.session,
        outcome,
        service_time,
        recorder,
    );
    let failed = session::is_failure(request, outcome);
    let sample = Sample {
        outcome,
        service_time,
        response_time: done.saturating_duration_since(intended.min(sent)),
        bytes_sent: exchanged.bytes_sent,
        bytes_received: exchanged.bytes_received,
        in_grace: ctx.stopped(),
    };
    recorder.record_judged(request.stat, &sample, failed);
    recorder.record_detail(request.stat, exchanged.reason, hops, exchanged.retried);
    recorder.record_timing(request.stat, &exchanged.timing);
    if let Some(protocol) = exchanged.protocol {
        recorder.record_protocol(request.stat, protocol == Protocol::Http2);
    }
    checked && !failed
}

/// Renders `request` for the user; a request that cannot be rendered is never sent:
/// counted apart (skipped for an unset variable, a render failure for an invalid
/// header), or as a failure of kind `invalid_url` when its rendered URL is not one.
pub(super) fn prepare<'r>(
    ctx: &Context,
    session: &mut Session,
    request: &'r Request,
    scratch: &mut String,
    intended: Instant,
) -> Option<Flight<'r>> {
    match Flight::new(session, &ctx.session, request, scratch) {
        Ok(flight) => Some(flight),
        Err(why) => {
            // Never sent half-empty or malformed: counted apart, by reason.
            let mut recorder = ctx.recorder_at(intended).borrow_mut();
            let name = &ctx.plan.request_names[request.stat];
            match why {
                RenderError::Unset(_) => recorder.record_skipped(request.stat),
                RenderError::Invalid(reason) => {
                    recorder.record_render_failure(request.stat);
                    let _ = ctx.session.not_rendered.set(format!("{name}: {reason}"));
                }
                RenderError::InvalidUrl(reason) => {
                    // A failed request, as a URL that names no http(s) origin is: the
                    // server is never asked, so it took no time.
                    let sample = Sample {
                        outcome: Outcome::Failed(FailureKind::InvalidUrl),
                        service_time: Duration::ZERO,
                        response_time: Instant::now().saturating_duration_since(intended),
                        bytes_sent: 0,
                        bytes_received: 0,
                        in_grace: ctx.stopped(),
                    };
                    recorder.record_judged(request.stat, &sample, true);
                    let _ = ctx.session.invalid_url.set(format!("{name}: {reason}"));
                }
            }
            None
        }
    }
}

/// Resolves when `cutoff` (if any) has passed.
pub(super) async fn cut_off(cutoff: Option<Instant>) {
    match cutoff {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Records an iteration of `scenario` planned at `planned` (which decides whether it is
/// part of the warm-up) that began at `began`.
pub(super) fn record_iteration(
    ctx: &Context,
    scenario: usize,
    planned: Instant,
    began: Instant,
    end: &IterationEnd,
) {
    let mut recorder = ctx.recorder_at(planned).borrow_mut();
    match end {
        IterationEnd::Completed { ok } => {
            recorder.record_iteration(scenario, began.elapsed(), *ok);
        }
        IterationEnd::Cut | IterationEnd::Aborted => recorder.record_iteration_cut(scenario),
        IterationEnd::NoData => {}
    }
}

/// When and how an iteration runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    /// When its first request is due.
    pub due: Instant,
    /// A request still in flight then is cut off (a ramp-down's end of grace).
    pub cutoff: Option<Instant>,
    /// How long it may go on starting requests.
    pub until: Until,
    /// Whether it draws new rows from per-iteration feeders (a loop iteration, an
    /// arrival's first scenario, a user's first) or keeps the user's (its setup's later
    /// scenarios, its teardown).
    pub draw: bool,
}

impl Turn {
    /// A loop iteration due at `due`.
    pub fn looping(due: Instant, cutoff: Option<Instant>) -> Self {
        Self {
            due,
            cutoff,
            until: Until::Stop,
            draw: true,
        }
    }
}

/// How long an iteration may go on starting requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Until {
    /// Until the stop (the end of the duration, or a signal): the loop, a user's setup.
    Stop,
    /// Through the stop, until the graceful stop ends: a user's teardown
    /// (`run = "last"`), which logs out what its setup logged in.
    Abort,
}

/// Waits until `at`; false if the iteration must end first (see [`Until`]).
async fn wait(ctx: &Context, until: Until, at: Instant) -> bool {
    match until {
        Until::Stop => ctx.wait_until(at).await,
        Until::Abort => ctx.wait_unless_aborted(at).await,
    }
}

/// Sends the requests of scenario `index` in order. `intended` is when the first request
/// was due: its response time is measured from there, so time an arrival spent waiting
/// for a free user (open model) or a paced start spent behind schedule is not hidden.
///
/// A request still in flight at `cutoff` (if any) or at the end of the graceful stop is
/// cut off and counted as interrupted, timed to the cut. No request starts after the
/// stop, unless `until` is [`Until::Abort`].
pub(super) async fn run_iteration<T: Transport>(
    vu: &mut Vu<T>,
    index: usize,
    ctx: &Context,
    turn: Turn,
) -> IterationEnd {
    let Turn {
        due: mut intended,
        cutoff,
        until,
        draw,
    } = turn;
    let scenario = &ctx.plan.scenarios[index];
    let timings = &ctx.plan.timings;
    let mut ok = true;
    let mut sent_any = false;
    if !vu.begin(index, ctx, draw || vu.session.is_none()) {
        return IterationEnd::NoData;
    }
    for (i, (request, group)) in scenario.requests.iter().zip(&scenario.parallel).enumerate() {
        if i > 0 {
            // Not before the previous planned start + minimum interval, nor before its
            // end + think time: planned from the schedule, so lateness never accumulates.
            let interval = timings.min_request_interval;
            let think = vu.think(timings.think_time.as_ref());
            let now = Instant::now();
            if !interval.is_zero() {
                let missed = vu
                    .request_lag
                    .held(intended, interval, now, ctx.schedule.deadline);
                let mut recorder = ctx.recorder_at(intended).borrow_mut();
                recorder.record_paced_start();
                if missed > 0 {
                    recorder.record_missed_starts(missed);
                }
            }
            intended = (intended + interval).max(now + think);
        }
        if !wait(ctx, until, intended).await {
            return IterationEnd::Cut;
        }
        if let Some(back) = vu.transport.backoff_until() {
            // Connections just failed at once: pace the reconnect, counted apart.
            let pause = back.saturating_duration_since(Instant::now());
            ctx.recorder_at(intended)
                .borrow_mut()
                .record_backoff(request.stat, pause);
            if !wait(ctx, until, back).await {
                return IterationEnd::Cut;
            }
        }
        let session = vu.session.as_mut().expect("begin started the session");
        let Some(mut flight) = prepare(ctx, session.get_mut(), request, &mut vu.scratch, intended)
        else {
            ok = false;
            continue;
        };
        sent_any = true;
        let sent = Instant::now();
        let flown = tokio::select! {
            biased;
            _ = ctx.abort.cancelled() => None,
            _ = cut_off(cutoff) => None,
            flown = exchange::send(&mut vu.transport, &mut flight, session) => Some(flown),
        };
        // Whatever happened, it happened now: a failure is timed to this moment.
        let done = Instant::now();
        let Some(flown) = flown else {
            let mut recorder = ctx.recorder_at(intended).borrow_mut();
            let took = done.saturating_duration_since(intended.min(sent));
            recorder.record_interrupted(request.stat, took);
            let (sent, received) = vu.transport.abandon();
            recorder.record_wire(request.stat, sent, received);
            return IterationEnd::Aborted;
        };
        let flew = Flew {
            intended,
            sent,
            done,
        };
        ok &= {
            let mut recorder = ctx.recorder_at(intended).borrow_mut();
            record_flown(ctx, request, flight, session, flew, &flown, &mut recorder)
        };
        if !group.is_empty() {
            match parallel::run_group(vu, group, ctx, cutoff).await {
                Some(all_ok) => ok &= all_ok,
                None => return IterationEnd::Aborted,
            }
        }
    }
    if sent_any {
        vu.unsent_pause = Duration::ZERO;
    } else {
        // Nothing could be rendered: pause before the next try, longer each time.
        vu.unsent_pause = (vu.unsent_pause * 2).clamp(FIRST_UNSENT_PAUSE, MAX_UNSENT_PAUSE);
        if !wait(ctx, until, Instant::now() + vu.unsent_pause).await {
            return IterationEnd::Completed { ok };
        }
    }
    IterationEnd::Completed { ok }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overruns_add_up_to_missed_starts() {
        // 10 ms interval; every iteration takes 25 ms: 15 ms behind each time, so three
        // iterations miss four and a half starts: 4 whole ones.
        let origin = Instant::now();
        let ms = Duration::from_millis;
        let horizon = origin + ms(10_000);
        let mut pacing = Pacing::default();
        let mut planned = origin;
        let mut missed = Vec::new();
        for _ in 0..3 {
            let end = planned + ms(25);
            missed.push(pacing.held(planned, ms(10), end, horizon));
            planned = end;
        }
        assert_eq!(missed, [1, 2, 1]);
        assert_eq!(pacing.behind, ms(45));
        // On time, nothing more; past the horizon, only the part before it counts.
        assert_eq!(pacing.held(planned, ms(10), planned + ms(10), horizon), 0);
        let late = horizon - ms(12);
        assert_eq!(pacing.held(late, ms(10), horizon + ms(50), horizon), 0);
        assert_eq!(pacing.behind, ms(47));
    }
}
