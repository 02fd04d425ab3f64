//! Per-user setup and teardown: the scenarios that run once at a user's start
//! (`run = "once"`, e.g. log in) and once at its end (`run = "last"`, e.g. log out), in
//! profile order, around the weighted loop. Each is recorded as an iteration of its
//! scenario, its requests in their rows, as any other.

use tokio::time::Instant;

use super::context::Context;
use super::transport::Transport;
use super::vu::{record_iteration, run_iteration, IterationEnd, Turn, Until, Vu};

/// How a user's setup or teardown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RoleEnd {
    /// Every scenario ran.
    Done,
    /// The stop (setup), or the user's data running out, ended it before the last one.
    Cut,
    /// A request was cut off in flight: the user must end.
    Aborted,
}

/// Runs a user's setup (`run = "once"` scenarios) from `due`, until the stop: its first
/// scenario draws the rows of per-iteration feeders, the others keep them.
pub(super) async fn setup<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    due: Instant,
    cutoff: Option<Instant>,
) -> RoleEnd {
    let turn = Turn {
        due,
        cutoff,
        until: Until::Stop,
        draw: true,
    };
    run(vu, ctx, &ctx.setup, turn).await
}

/// Runs a user's teardown (`run = "last"` scenarios) now, through the stop within the
/// graceful stop, with the rows the user has.
pub(super) async fn teardown<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    cutoff: Option<Instant>,
) -> RoleEnd {
    let turn = Turn {
        due: Instant::now(),
        cutoff,
        until: Until::Abort,
        draw: false,
    };
    run(vu, ctx, &ctx.teardown, turn).await
}

/// Runs `scenarios` in order for `vu`, the first as `turn` says, each after the previous
/// one ends, with the rows the first drew.
async fn run<T: Transport>(
    vu: &mut Vu<T>,
    ctx: &Context,
    scenarios: &[usize],
    mut turn: Turn,
) -> RoleEnd {
    for &scenario in scenarios {
        let due = turn.due;
        // Timed from when it was due: an arrival's wait for a free user included.
        let began = due.min(Instant::now());
        let end = run_iteration(vu, scenario, ctx, turn).await;
        record_iteration(ctx, scenario, due, began, &end);
        match end {
            IterationEnd::Completed { .. } => {}
            IterationEnd::Aborted => return RoleEnd::Aborted,
            IterationEnd::Cut | IterationEnd::NoData => return RoleEnd::Cut,
        }
        turn.due = Instant::now();
        turn.draw = false;
    }
    RoleEnd::Done
}
