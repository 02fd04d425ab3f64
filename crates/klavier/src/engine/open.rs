//! The open model: scenario starts arrive on a timeline fixed in advance (uniform or
//! Poisson, following the rate's stages), whatever the server does. A pool of users,
//! created as needed up to the worker's share of `max_users`, serves them; an arrival
//! with no free user waits in a bounded queue, and one that finds the queue full is
//! dropped. Either way its latency counts from when it was due.

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

use super::transport::Transport;
use super::vu::{record_iteration, run_iteration, Context, IterationEnd, Vu};

/// The arrival times of one worker's share, as offsets from the start.
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
        let stream = seed ^ 0xA55A_5AA5_0F0F_F0F0 ^ u64::from(index);
        Self {
            rate,
            arrivals,
            index: u64::from(index),
            shares: u64::from(shares),
            next_k: 0,
            area: 0.0,
            rng: Xoshiro256PlusPlus::seed_from_u64(stream),
        }
    }
}

impl Iterator for Timeline {
    type Item = Duration;

    /// The next arrival's offset; `None` once the rate stays at zero.
    fn next(&mut self) -> Option<Duration> {
        let area = match self.arrivals {
            // Arrival k is due when the rate's area reaches k: exact, no drift. This
            // share takes arrivals index, index + shares, index + 2·shares, …
            Arrivals::Uniform => {
                let k = self.index + self.next_k * self.shares;
                self.next_k += 1;
                k as f64
            }
            // A Poisson process is uniform in the rate's area with exponential gaps;
            // each of `shares` independent shares runs at 1/shares of the rate, and
            // together they make a Poisson process of the whole rate.
            Arrivals::Poisson => {
                let u: f64 = self.rng.random();
                self.area += -(1.0 - u).ln() * self.shares as f64;
                self.area
            }
        };
        self.rate.time_of_area(area)
    }
}

/// The users of one worker and the arrivals waiting for them.
struct Pool {
    queue: RefCell<VecDeque<Instant>>,
    ready: Notify,
    idle: Cell<u32>,
    created: Cell<u32>,
    max: u32,
}

/// Runs one worker's share of the arrivals until the stop. `make_user(n)` builds this
/// worker's `n`-th user.
pub async fn run_arrivals<T, F>(ctx: Rc<Context>, index: u32, shares: u32, seed: u64, make_user: F)
where
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
    for offset in Timeline::new(rate, arrivals, index, shares, seed) {
        let due = ctx.schedule.start + offset;
        if due >= ctx.schedule.deadline || !ctx.wait_until(due).await {
            break;
        }
        if pool.idle.get() == 0 && pool.created.get() < pool.max {
            let n = pool.created.get();
            pool.created.set(n + 1);
            users.spawn_local(serve_arrivals(make_user(n), ctx.clone(), pool.clone()));
        }
        admit(&ctx, &pool, due);
    }
    // Wake idle users so they see the stop, then wait for the busy ones.
    pool.ready.notify_waiters();
    while users.join_next().await.is_some() {}
    let never_started = pool.queue.borrow_mut().drain(..).count();
    let mut recorder = ctx.recorder.borrow_mut();
    for _ in 0..never_started {
        recorder.record_dropped();
    }
    ctx.waiting.set(0);
}

/// Queues arrival `due` for a user, or drops it if every user is busy and as many
/// arrivals already wait as there are users.
fn admit(ctx: &Context, pool: &Pool, due: Instant) {
    let mut queue = pool.queue.borrow_mut();
    if queue.len() >= pool.max as usize {
        ctx.recorder.borrow_mut().record_dropped();
        return;
    }
    queue.push_back(due);
    ctx.waiting.set(queue.len() as u32);
    pool.ready.notify_one();
}

/// One user of the pool: takes arrivals until the stop.
async fn serve_arrivals<T: Transport>(mut vu: Vu<T>, ctx: Rc<Context>, pool: Rc<Pool>) {
    while let Some(due) = next_arrival(&ctx, &pool).await {
        if ctx.stopped() {
            ctx.recorder.borrow_mut().record_dropped();
            return;
        }
        let wait = Instant::now().saturating_duration_since(due);
        ctx.recorder.borrow_mut().record_arrival(wait);
        ctx.active.set(ctx.active.get() + 1);
        let scenario = vu.pick(&ctx.picker);
        let end = run_iteration(&mut vu, scenario, &ctx, due, None).await;
        record_iteration(&ctx, scenario, due, &end);
        ctx.active.set(ctx.active.get() - 1);
        if matches!(end, IterationEnd::Aborted) {
            return;
        }
    }
}

/// The oldest waiting arrival, waiting for one if none; `None` at the stop.
async fn next_arrival(ctx: &Context, pool: &Pool) -> Option<Instant> {
    loop {
        if let Some(due) = pool.queue.borrow_mut().pop_front() {
            ctx.waiting.set(ctx.waiting.get().saturating_sub(1));
            return Some(due);
        }
        if ctx.stopped() {
            return None;
        }
        pool.idle.set(pool.idle.get() + 1);
        let woken = tokio::select! {
            _ = pool.ready.notified() => true,
            _ = ctx.stop.cancelled() => false,
        };
        pool.idle.set(pool.idle.get() - 1);
        if !woken {
            return None;
        }
    }
}
