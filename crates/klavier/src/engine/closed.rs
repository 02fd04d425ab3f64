//! The closed model: each user is active while the load's level is above its id, and
//! loops over scenarios, paced from its schedule.
//!
//! A paced user's next start is planned from its previous *planned* start, never from when
//! its timer happened to fire, so timer lateness cannot add up: a 10 ms interval makes 100
//! starts a second. When the server holds a user past its next planned start, the user
//! starts at once and the planned starts it could not make are counted as missed: the
//! closed model's blind spot (coordinated omission) is measured, and warned about.

use std::rc::Rc;

use tokio::time::Instant;

use super::context::{Busy, Context};
use super::roles::{self, RoleEnd};
use super::transport::Transport;
use super::vu::{record_iteration, run_iteration, IterationEnd, Turn, Vu};

/// Closed model: runs user `vu` whenever the schedule wants it active, until the stop.
pub async fn run_user<T: Transport>(mut vu: Vu<T>, ctx: Rc<Context>) {
    let mut from = ctx.schedule.start;
    while let Some(at) = ctx.schedule.activation(vu.id, from) {
        if !ctx.wait_until(at).await {
            break;
        }
        let departure = ctx.schedule.departure(vu.id, at);
        let aborted = {
            let _busy = Busy::new(&ctx.active);
            run_activation(&mut vu, &ctx, at, departure).await
        };
        if aborted || ctx.stopped() || vu.finished {
            break;
        }
        from = Instant::now();
    }
    vu.record_lag(&ctx);
}

/// One stretch of activity from `at` to the stop or `departure`: the user's setup
/// (`run = "once"` scenarios), its loop, then, if the setup was done, its teardown
/// (`run = "last"`), which goes on through the stop within the graceful stop. True if
/// the graceful stop cut a request off.
async fn run_activation<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    at: Instant,
    departure: Option<Instant>,
) -> bool {
    // A user the ramp-down removes finishes within the graceful stop.
    let cutoff = departure.map(|at| at + ctx.schedule.graceful_stop);
    let setup = roles::setup(vu, ctx, at, cutoff).await;
    if setup != RoleEnd::Done {
        // Cut short by the stop: nothing to log out of.
        return setup == RoleEnd::Aborted && ctx.abort.is_cancelled();
    }
    // The loop's schedule starts when the setup is done: its time is no missed start.
    let first = if ctx.setup.is_empty() {
        at
    } else {
        Instant::now()
    };
    if run_while_active(vu, ctx, first, departure).await {
        return ctx.abort.is_cancelled();
    }
    roles::teardown(vu, ctx, cutoff).await == RoleEnd::Aborted && ctx.abort.is_cancelled()
}

/// Iterates from `first` (a planned instant) until the stop or `departure` (a ramp-down;
/// the iteration under way is finished first). True if a request was cut off (by the
/// graceful stop, or by the ramp-down's cutoff).
async fn run_while_active<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    first: Instant,
    departure: Option<Instant>,
) -> bool {
    let present = || departure.is_none_or(|at| Instant::now() < at);
    let interval = ctx.plan.timings.min_scenario_interval;
    let mut planned = first;
    while !ctx.stopped() && present() && !vu.finished {
        let scenario = vu.pick(&ctx.picker);
        let began = Instant::now();
        if !interval.is_zero() {
            ctx.recorder_at(planned).borrow_mut().record_paced_start();
        }
        // A user the ramp-down removes finishes its scenario within the graceful stop.
        let cutoff = departure.map(|at| at + ctx.schedule.graceful_stop);
        let end = run_iteration(vu, scenario, ctx, Turn::looping(planned, cutoff)).await;
        record_iteration(ctx, scenario, planned, began, &end);
        if matches!(end, IterationEnd::Aborted) {
            return true;
        }
        let now = Instant::now();
        let missed = vu
            .scenario_lag
            .held(planned, interval, now, ctx.schedule.deadline);
        if missed > 0 {
            ctx.recorder_at(planned)
                .borrow_mut()
                .record_missed_starts(missed);
        }
        // The longer of the minimum interval (from the planned start) and the think time
        // (from the end); at once if the server made the user overrun both.
        let think = vu.think(ctx.plan.timings.scenario_think_time.as_ref());
        planned = (planned + interval).max(now + think);
        if !ctx
            .wait_until(departure.map_or(planned, |at| planned.min(at)))
            .await
        {
            break;
        }
    }
    false
}
