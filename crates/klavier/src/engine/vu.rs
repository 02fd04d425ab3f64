//! One virtual user: pick a scenario by weight, send its requests in order, record,
//! pace, repeat until the stop. Knows nothing of threads or schedules beyond its own
//! start instant: a worker hands it a context.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Plan, ScenarioPicker};
use klavier_stats::{Recorder, Sample};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

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
    /// Users of this worker currently running.
    pub active: Cell<u32>,
}

impl Context {
    /// True once no new request may start.
    fn stopped(&self) -> bool {
        self.stop.is_cancelled() || Instant::now() >= self.schedule.deadline
    }

    /// Waits until `at`; false if the run stopped first (or `at` is past the deadline).
    async fn wait_until(&self, at: Instant) -> bool {
        if at <= Instant::now() {
            return !self.stopped();
        }
        let deadline = self.schedule.deadline;
        tokio::select! {
            _ = sleep_until(at.min(deadline)) => at < deadline && !self.stop.is_cancelled(),
            _ = self.stop.cancelled() => false,
        }
    }
}

/// One virtual user: an id, its own random stream and its own connection.
#[derive(Debug)]
pub struct Vu<T> {
    id: u32,
    rng: Xoshiro256PlusPlus,
    transport: T,
}

impl<T: Transport> Vu<T> {
    /// User `id` of a run seeded with `seed`: the same pair always makes the same choices.
    pub fn new(id: u32, seed: u64, transport: T) -> Self {
        // seed_from_u64 runs SplitMix64 over this, so neighbouring ids get unrelated streams.
        let stream = seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self {
            id,
            rng: Xoshiro256PlusPlus::seed_from_u64(stream),
            transport,
        }
    }

    /// The next scenario this user picks.
    fn pick(&mut self, picker: &ScenarioPicker) -> usize {
        picker.pick(self.rng.random_range(0..picker.total()))
    }

    #[cfg(test)]
    pub(super) fn pick_for_test(&mut self, picker: &ScenarioPicker) -> usize {
        self.pick(picker)
    }
}

/// How an iteration ended.
enum IterationEnd {
    /// Every request was sent and answered; `ok` if none failed.
    Completed { ok: bool },
    /// The stop came between two requests.
    Cut,
    /// A request was in flight when the graceful stop ran out.
    Aborted,
}

/// Runs user `vu` from its start instant until the stop, recording into the worker's recorder.
pub async fn run_user<T: Transport>(mut vu: Vu<T>, ctx: Rc<Context>) {
    if !ctx.wait_until(ctx.schedule.user_start(vu.id)).await {
        return;
    }
    ctx.active.set(ctx.active.get() + 1);
    while !ctx.stopped() {
        let scenario = vu.pick(&ctx.picker);
        let began = Instant::now();
        let end = run_iteration(&mut vu, scenario, &ctx).await;
        record_iteration(&ctx, scenario, began, &end);
        if matches!(end, IterationEnd::Aborted) {
            break;
        }
        if !ctx
            .wait_until(began + ctx.plan.timings.min_scenario_interval)
            .await
        {
            break;
        }
    }
    ctx.active.set(ctx.active.get() - 1);
}

fn record_iteration(ctx: &Context, scenario: usize, began: Instant, end: &IterationEnd) {
    let mut recorder = ctx.recorder.borrow_mut();
    match end {
        IterationEnd::Completed { ok } => {
            recorder.record_iteration(scenario, began.elapsed(), *ok);
        }
        IterationEnd::Cut | IterationEnd::Aborted => recorder.record_iteration_cut(scenario),
    }
}

async fn run_iteration<T: Transport>(vu: &mut Vu<T>, index: usize, ctx: &Context) -> IterationEnd {
    let scenario = &ctx.plan.scenarios[index];
    let pacing = ctx.plan.timings.min_request_interval;
    let mut previous: Option<Instant> = None;
    let mut ok = true;
    for request in &scenario.requests {
        let paced = match previous {
            Some(at) if pacing > Duration::ZERO => ctx.wait_until(at + pacing).await,
            _ => !ctx.stopped(),
        };
        if !paced {
            return IterationEnd::Cut;
        }
        let sent = Instant::now();
        previous = Some(sent);
        let exchanged = tokio::select! {
            biased;
            _ = ctx.abort.cancelled() => None,
            exchanged = vu.transport.send(request) => Some(exchanged),
        };
        let mut recorder = ctx.recorder.borrow_mut();
        let Some(exchanged) = exchanged else {
            recorder.record_interrupted(request.stat);
            return IterationEnd::Aborted;
        };
        let elapsed = sent.elapsed();
        ok &= !exchanged.outcome.is_failure();
        recorder.record(
            request.stat,
            &Sample {
                outcome: exchanged.outcome,
                service_time: elapsed,
                // Closed model: the request starts when intended, so both times agree.
                response_time: elapsed,
                bytes_sent: exchanged.bytes_sent,
                bytes_received: exchanged.bytes_received,
                in_grace: ctx.stopped(),
            },
        );
    }
    IterationEnd::Completed { ok }
}
