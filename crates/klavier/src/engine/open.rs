//! The open model: scenario starts arrive on a timeline fixed in advance (uniform or
//! Poisson, following the rate's stages), whatever the server does. A pool of users,
//! connected before the first arrival and grown as needed up to the worker's share of
//! `max_users`, serves them; an arrival that finds no idle user waits in a bounded queue,
//! and one that finds the queue full is dropped. Either way its latency counts from when
//! it was due.
//!
//! Every arrival due before the end is exactly one of: started, dropped, or cut (due, but
//! not started when the run stopped).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use klavier_plan::{segment, Arrivals, Load, Ramp};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::context::{Busy, Context};
use super::roles::{self, RoleEnd};
use super::seeds::{stream, Domain};
use super::transport::Transport;
use super::vu::{record_iteration, run_iteration, IterationEnd, Turn, Vu};

/// The initial pool covers this long at the starting rate (and one user more), so the
/// first arrivals find connected users instead of a connection storm.
pub const PRECONNECT_WINDOW: Duration = Duration::from_millis(5);

/// One worker's share of the run's arrival timeline: arrival `k` of the whole run is
/// due at the time its index reaches in the rate's area, and belongs to share
/// `k mod shares` (the partition rule), so the timeline is the same whatever the
/// number of shares.
pub struct Timeline {
    rate: Ramp,
    arrivals: Arrivals,
    index: u64,
    shares: u64,
    next_k: u64,
    area: f64,
    rng: Xoshiro256PlusPlus,
}

impl Timeline {
    /// Share `index` of `shares` of the arrivals of `rate`.
    pub fn new(rate: Ramp, arrivals: Arrivals, index: u32, shares: u32, seed: u64) -> Self {
        Self {
            rate,
            arrivals,
            index: u64::from(index),
            shares: u64::from(shares.max(1)),
            next_k: 0,
            area: 0.0,
            rng: Xoshiro256PlusPlus::seed_from_u64(stream(seed, Domain::Arrivals, 0)),
        }
    }
}

impl Iterator for Timeline {
    /// The arrival's index in the whole run and its offset from the start.
    type Item = (u64, Duration);

    /// The next arrival of this share; `None` once the rate stays at zero.
    fn next(&mut self) -> Option<(u64, Duration)> {
        match self.arrivals {
            // Arrival k is due when the rate's area reaches k: exact, no drift.
            Arrivals::Uniform => {
                let k = self.index + self.next_k * self.shares;
                self.next_k += 1;
                Some((k, self.rate.time_of_area(k as f64)?))
            }
            // A Poisson process is uniform in the rate's area with exponential gaps. Every
            // share draws the whole run's gaps from one stream and keeps its own arrivals.
            Arrivals::Poisson => loop {
                let k = self.next_k;
                self.next_k += 1;
                let u: f64 = self.rng.random();
                self.area += -(1.0 - u).ln();
                if k % self.shares == self.index {
                    return Some((k, self.rate.time_of_area(self.area)?));
                }
            },
        }
    }
}

/// One arrival on its way to a user.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    due: Instant,
    k: u64,
    /// When it joined the queue with every user busy; `None` if an idle user took it.
    queued_at: Option<Instant>,
}

/// The users of one worker and the arrivals waiting for them.
struct Pool {
    queue: RefCell<VecDeque<Arrival>>,
    ready: Notify,
    /// Idle users not yet promised an arrival: each promise is one `notify_one`.
    idle: Cell<u32>,
    created: Cell<u32>,
    max: u32,
}

/// How many users of share `index` of `shares` to create and connect before the first
/// arrival: enough for [`PRECONNECT_WINDOW`] at the starting rate, within the share of
/// `max_users`. Zero for the closed model.
pub fn initial_pool(load: &Load, index: u32, shares: u32) -> u32 {
    let Load::Open {
        rate, max_users, ..
    } = load
    else {
        return 0;
    };
    let share_max = segment::users_of_share(index, shares, max_users.get()).count() as u32;
    let per_share = rate.start() / f64::from(shares.max(1));
    let wanted = (per_share * PRECONNECT_WINDOW.as_secs_f64()).ceil() as u32 + 1;
    wanted.min(share_max)
}

/// Connects every user of `users` at once (each on its own task) and returns them.
pub async fn preconnect<T: Transport + 'static>(users: Vec<Vu<T>>) -> Vec<Vu<T>> {
    let mut connecting = JoinSet::new();
    for mut vu in users {
        connecting.spawn_local(async move {
            vu.transport.preconnect().await;
            vu
        });
    }
    let mut ready = Vec::new();
    while let Some(joined) = connecting.join_next().await {
        // A panic while connecting loses that user; the pool grows back as needed.
        if let Ok(vu) = joined {
            ready.push(vu);
        }
    }
    ready
}

/// Runs one worker's share of the arrivals until the stop, starting with the users of
/// `initial` (connected already). `make_user(n)` builds this worker's `n`-th user.
pub async fn run_arrivals<T, F>(
    ctx: Rc<Context>,
    (index, shares): (u32, u32),
    seed: u64,
    make_user: F,
    initial: Vec<Vu<T>>,
) where
    T: Transport + 'static,
    F: Fn(u32) -> Vu<T>,
{
    let Load::Open {
        rate,
        max_users,
        arrivals,
    } = ctx.schedule.load().clone()
    else {
        return;
    };
    let pool = Rc::new(Pool {
        queue: RefCell::new(VecDeque::new()),
        ready: Notify::new(),
        idle: Cell::new(0),
        created: Cell::new(0),
        max: segment::users_of_share(index, shares, max_users.get()).count() as u32,
    });
    let mut users = JoinSet::new();
    for vu in initial {
        pool.created.set(pool.created.get() + 1);
        users.spawn_local(serve_arrivals(vu, ctx.clone(), pool.clone()));
    }
    // Let the users just spawned reach their idle wait: the first arrival finds them.
    tokio::task::yield_now().await;
    let mut timeline = Timeline::new(rate, arrivals, index, shares, seed);
    while let Some((k, offset)) = timeline.next() {
        let due = ctx.schedule.start + offset;
        if due >= ctx.schedule.deadline {
            break;
        }
        if !ctx.dispatch_at(due).await {
            cut_the_rest(&ctx, due, &mut timeline);
            break;
        }
        if admit(&ctx, &pool, due, k) {
            let n = pool.created.get();
            pool.created.set(n + 1);
            users.spawn_local(serve_arrivals(make_user(n), ctx.clone(), pool.clone()));
        }
    }
    // Wake idle users so they see the stop, then wait for the busy ones.
    pool.ready.notify_waiters();
    while let Some(joined) = users.join_next().await {
        if let Err(error) = joined {
            ctx.note_task_end(error);
        }
    }
    let never_started: Vec<Arrival> = pool.queue.borrow_mut().drain(..).collect();
    for arrival in never_started {
        ctx.recorder_at(arrival.due)
            .borrow_mut()
            .record_cut_arrivals(1);
    }
    ctx.waiting.set(0);
}

/// The run stopped before arrival `due` started: it and every later arrival due before
/// the stop are cut (the deadline's, or a signal's when it came earlier).
fn cut_the_rest(ctx: &Context, due: Instant, timeline: &mut Timeline) {
    let now = Instant::now();
    let stopped_at = if now < ctx.schedule.deadline {
        now // a signal stopped the run: later arrivals were never due
    } else {
        ctx.schedule.deadline
    };
    if due >= stopped_at {
        return;
    }
    let start = ctx.schedule.start;
    let later = timeline
        .take_while(|&(_, offset)| start + offset < stopped_at)
        .count() as u64;
    ctx.recorder_at(due)
        .borrow_mut()
        .record_cut_arrivals(1 + later);
}

/// Hands arrival `k` (due at `due`) to an idle user, or queues it if every user is busy
/// and fewer arrivals wait than there are users, or drops it. True if the pool should
/// grow by a user (every user busy, room for more).
fn admit(ctx: &Context, pool: &Pool, due: Instant, k: u64) -> bool {
    let mut queue = pool.queue.borrow_mut();
    let idle = pool.idle.get();
    if idle > 0 {
        // Promised to one idle user, woken by exactly one notification.
        pool.idle.set(idle - 1);
        queue.push_back(Arrival {
            due,
            k,
            queued_at: None,
        });
        pool.ready.notify_one();
        return false;
    }
    if queue.len() >= pool.max as usize {
        ctx.recorder_at(due).borrow_mut().record_dropped();
        return false;
    }
    queue.push_back(Arrival {
        due,
        k,
        queued_at: Some(Instant::now()),
    });
    ctx.waiting.set(ctx.waiting.get() + 1);
    pool.created.get() < pool.max
}

/// One user of the pool: takes arrivals until the stop.
async fn serve_arrivals<T: Transport>(mut vu: Vu<T>, ctx: Rc<Context>, pool: Rc<Pool>) {
    while let Some(arrival) = next_arrival(&ctx, &pool).await {
        if ctx.stopped() {
            // Due before the end, but no request may start now.
            ctx.recorder_at(arrival.due)
                .borrow_mut()
                .record_cut_arrivals(1);
            break;
        }
        let waited = arrival
            .queued_at
            .map(|at| Instant::now().saturating_duration_since(at));
        ctx.recorder_at(arrival.due)
            .borrow_mut()
            .record_arrival(waited);
        let _busy = Busy::new(&ctx.active);
        vu.choose_for_arrival(arrival.k);
        let scenario = vu.pick(&ctx.picker);
        if !serve(&mut vu, &ctx, scenario, arrival.due).await {
            break;
        }
    }
    vu.record_lag(&ctx);
}

/// Serves one arrival due at `due`: the setup scenarios (`run = "once"`), the picked
/// `scenario`, then, if the setup was done, the teardown (`run = "last"`, through the
/// stop within the graceful stop). False if a request was cut off at the end of the
/// graceful stop.
async fn serve<T: Transport>(vu: &mut Vu<T>, ctx: &Context, scenario: usize, due: Instant) -> bool {
    let setup = roles::setup(vu, ctx, due, None).await;
    if setup != RoleEnd::Done {
        // Cut short by the stop: nothing to log out of.
        return setup != RoleEnd::Aborted;
    }
    // Timed from when it was due, like its requests (after the setup, if any). The
    // arrival's rows were drawn by its setup's first scenario, if it has one.
    let (began, draw) = if ctx.setup.is_empty() {
        (due, true)
    } else {
        (Instant::now(), false)
    };
    let turn = Turn {
        draw,
        ..Turn::looping(began, None)
    };
    let end = run_iteration(vu, scenario, ctx, turn).await;
    record_iteration(ctx, scenario, due, began, &end);
    if matches!(end, IterationEnd::Aborted) {
        return false;
    }
    roles::teardown(vu, ctx, None).await != RoleEnd::Aborted
}

/// The oldest waiting arrival, waiting for one if none; `None` at the stop.
async fn next_arrival(ctx: &Context, pool: &Pool) -> Option<Arrival> {
    loop {
        if let Some(arrival) = pool.queue.borrow_mut().pop_front() {
            if arrival.queued_at.is_some() {
                ctx.waiting.set(ctx.waiting.get().saturating_sub(1));
            }
            return Some(arrival);
        }
        if ctx.stopped() {
            return None;
        }
        pool.idle.set(pool.idle.get() + 1);
        // Woken by a notification, the arrival it promised is in the queue (and `idle`
        // was taken down by the promise); woken by the stop, the run is over.
        let woken = tokio::select! {
            _ = pool.ready.notified() => true,
            _ = ctx.stop.cancelled() => false,
        };
        if !woken {
            return None;
        }
    }
}
