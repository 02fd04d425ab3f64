//! Timers precise to the microsecond, for arrivals and paced starts.
//!
//! tokio's timer wheel ticks in milliseconds and its driver sleeps in whole milliseconds,
//! so a tokio sleep fires 0–2 ms late, and every arrival due within one millisecond goes
//! out in one clump. A [`Timer::Precise`] instead arms one Linux `timerfd` per worker
//! (nanosecond resolution, no timer slack) for the earliest waiter, a little before it is
//! due, and the waiter covers the last stretch by yielding to the runtime until the
//! instant comes: other users' I/O keeps flowing while it waits.
//!
//! How early: the kernel wakes a timerfd's thread some tens of microseconds late on this
//! kind of machine (measured on the 2-core VM: own lateness p50 43 µs with no early
//! wake-up, 14 µs at 20 µs early, 1 µs at 60 µs). Yielding costs a core while it lasts, so
//! the early wake-up is [`SPIN`] at most and shrinks as waits get more frequent, keeping
//! the yielding within [`SPIN_BUDGET`] of a core: 60 µs at 200 waits/s, 10 µs at 2,000/s,
//! 1 µs at 20,000/s (where the worker is awake most of the time anyway).
//!
//! [`Timer::Tokio`] is tokio's own sleep: the engine's tests use it, since only it follows
//! tokio's paused clock.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

/// At most how long before its instant a precise waiter is woken, to yield until it comes.
pub const SPIN: Duration = Duration::from_micros(60);

/// The share of a core the yielding before instants may take, whatever the rate of waits.
pub const SPIN_BUDGET: f64 = 0.02;

/// How often the rate of waits (hence how early to wake) is re-estimated.
const RATE_WINDOW: Duration = Duration::from_millis(100);

/// How early to wake for `waits` waits over `elapsed`: [`SPIN`], or less when waits are
/// so frequent that yielding that long before each would exceed [`SPIN_BUDGET`].
pub fn spin_for(waits: u32, elapsed: Duration) -> Duration {
    let per_second = f64::from(waits) / elapsed.as_secs_f64().max(1e-9);
    if per_second <= 0.0 {
        return SPIN;
    }
    SPIN.min(Duration::from_secs_f64(SPIN_BUDGET / per_second))
}

/// How one worker's users wait for instants.
#[derive(Debug)]
pub enum Timer {
    /// tokio's sleep: millisecond ticks, follows the paused clock (tests).
    Tokio,
    /// A timerfd and a short yield loop (Linux).
    #[cfg(target_os = "linux")]
    Precise(precise::Precise),
    /// tokio's sleep, always this much late: tests of what lateness does.
    #[cfg(test)]
    Late(Duration),
}

impl Timer {
    /// The most precise timer this platform has; tokio's if none better can be made
    /// (then lateness shows in the report, as before). Call inside a
    /// [`LocalSet`](tokio::task::LocalSet): a task of its own reads the timerfd.
    pub fn precise() -> Self {
        #[cfg(target_os = "linux")]
        if let Ok(precise) = precise::Precise::new() {
            return Timer::Precise(precise);
        }
        Timer::Tokio
    }

    /// Waits until `at`.
    pub async fn sleep_until(&self, at: Instant) {
        match self {
            Timer::Tokio => sleep_until(at).await,
            #[cfg(target_os = "linux")]
            Timer::Precise(precise) => precise.sleep_until(at).await,
            #[cfg(test)]
            Timer::Late(late) => sleep_until(at + *late).await,
        }
    }
}

#[cfg(target_os = "linux")]
mod precise {
    use std::cell::{Cell, RefCell};
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};
    use std::future::poll_fn;
    use std::os::fd::OwnedFd;
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    use std::time::Duration;

    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;
    use tokio::time::Instant;

    use super::{spin_for, RATE_WINDOW, SPIN};

    /// One worker's timerfd and the waiters it serves.
    #[derive(Debug)]
    pub struct Precise {
        inner: Rc<Inner>,
    }

    /// Single-threaded: it lives in one worker's context.
    #[derive(Debug)]
    struct Inner {
        fd: AsyncFd<OwnedFd>,
        /// (wake-up instant, waiter id), earliest first; ids whose waiter is gone are
        /// skipped when they come up.
        queue: RefCell<BinaryHeap<Reverse<(Instant, u64)>>>,
        wakers: RefCell<HashMap<u64, Waker>>,
        next_id: Cell<u64>,
        /// The instant the timerfd is armed for, if any.
        armed: Cell<Option<Instant>>,
        /// How early waiters are woken now, and the waits counted since `window`.
        spin: Cell<Duration>,
        window: Cell<(Instant, u32)>,
    }

    impl Precise {
        /// Creates the timerfd and the task that reads it; must be called inside a
        /// [`LocalSet`](tokio::task::LocalSet) on a runtime with I/O enabled.
        pub fn new() -> std::io::Result<Self> {
            let fd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )?;
            // `AsyncFd::new` is deprecated because an arbitrary `AsRawFd` could close or
            // swap its descriptor behind tokio's back; an `OwnedFd` owned by the `AsyncFd`
            // cannot, which is the contract of the `unsafe` replacement (`register`) that
            // this crate, forbidding `unsafe`, cannot call.
            #[allow(deprecated)]
            let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
            let inner = Rc::new(Inner {
                fd,
                queue: RefCell::new(BinaryHeap::new()),
                wakers: RefCell::new(HashMap::new()),
                next_id: Cell::new(0),
                armed: Cell::new(None),
                spin: Cell::new(SPIN),
                window: Cell::new((Instant::now(), 0)),
            });
            // Ends with the runtime: a worker's timer lives as long as the worker.
            tokio::task::spawn_local(drive(inner.clone()));
            Ok(Self { inner })
        }

        pub async fn sleep_until(&self, at: Instant) {
            let inner = &*self.inner;
            let wake = at.checked_sub(inner.count_wait()).unwrap_or(at);
            if Instant::now() < wake {
                let id = inner.next_id.get();
                inner.next_id.set(id + 1);
                let registered = Registered { inner, id };
                inner.queue.borrow_mut().push(Reverse((wake, id)));
                poll_fn(|cx| {
                    if Instant::now() >= wake {
                        return Poll::Ready(());
                    }
                    inner.wakers.borrow_mut().insert(id, cx.waker().clone());
                    inner.arm();
                    Poll::Pending
                })
                .await;
                drop(registered);
            }
            // The last stretch: let every other task run, then look at the clock again.
            while Instant::now() < at {
                tokio::task::yield_now().await;
            }
        }
    }

    /// Reads the timerfd each time it fires, wakes the waiters whose instant has come
    /// and arms it for the next.
    async fn drive(inner: Rc<Inner>) {
        loop {
            let Ok(mut ready) = inner.fd.readable().await else {
                return; // the runtime is shutting down
            };
            let mut expirations = [0u8; 8];
            // Nonblocking: an error only means it has not fired since the last read.
            let _ = rustix::io::read(inner.fd.get_ref(), &mut expirations);
            ready.clear_ready();
            inner.armed.set(None);
            inner.wake_due();
            inner.arm();
        }
    }

    impl Inner {
        /// Counts one wait and returns how early to wake for it.
        fn count_wait(&self) -> Duration {
            let (since, waits) = self.window.get();
            let elapsed = Instant::now().saturating_duration_since(since);
            if elapsed >= RATE_WINDOW {
                self.spin.set(spin_for(waits + 1, elapsed));
                self.window.set((Instant::now(), 0));
            } else {
                self.window.set((since, waits + 1));
            }
            self.spin.get()
        }

        fn wake_due(&self) {
            let now = Instant::now();
            let mut queue = self.queue.borrow_mut();
            let mut wakers = self.wakers.borrow_mut();
            while let Some(&Reverse((wake, id))) = queue.peek() {
                if wake > now {
                    break;
                }
                queue.pop();
                if let Some(waker) = wakers.remove(&id) {
                    waker.wake();
                }
            }
        }

        /// Arms the timerfd for the earliest waiter, unless it already is.
        fn arm(&self) {
            let Some(&Reverse((wake, _))) = self.queue.borrow().peek() else {
                return;
            };
            if self.armed.get().is_some_and(|armed| armed <= wake) {
                return;
            }
            // A relative time: tokio's Instant is CLOCK_MONOTONIC, but not as a timespec.
            let after = wake
                .saturating_duration_since(Instant::now())
                .max(Duration::from_nanos(1));
            let Ok(value) = Timespec::try_from(after) else {
                return;
            };
            let spec = Itimerspec {
                it_interval: Timespec::default(),
                it_value: value,
            };
            if timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::empty(), &spec).is_ok() {
                self.armed.set(Some(wake));
            }
        }
    }

    /// Removes a waiter's waker when its wait ends or is abandoned (a `select!` took
    /// another branch), so the queue never wakes a task that stopped waiting.
    struct Registered<'a> {
        inner: &'a Inner,
        id: u64,
    }

    impl Drop for Registered<'_> {
        fn drop(&mut self) {
            self.inner.wakers.borrow_mut().remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waking_early_stays_within_its_budget_of_a_core() {
        let second = Duration::from_secs(1);
        // (waits per second, how early) — the table of the module's doc.
        let cases = [(0, 60), (200, 60), (2_000, 10), (20_000, 1)];
        for (waits, us) in cases {
            assert_eq!(
                spin_for(waits, second),
                Duration::from_micros(us),
                "{waits}/s"
            );
        }
    }

    #[test]
    fn a_precise_wait_ends_at_its_instant_not_before() {
        // Real time: only that the wait never ends early, and that several waiters
        // interleave; how late it ends depends on the machine (bench/ measures it).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let timer = Timer::precise();
            #[cfg(target_os = "linux")]
            assert!(matches!(timer, Timer::Precise(_)), "a timerfd on Linux");
            let start = Instant::now();
            let waits = [3_000u64, 500, 1_500, 100].map(|us| {
                let timer = &timer;
                async move {
                    let at = start + Duration::from_micros(us);
                    timer.sleep_until(at).await;
                    Instant::now() >= at
                }
            });
            let [a, b, c, d] = waits;
            let (a, b, c, d) = tokio::join!(a, b, c, d);
            assert!(a && b && c && d, "no wait ends before its instant");
        });
    }

    #[test]
    fn an_abandoned_wait_does_not_wake_anyone() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let timer = Timer::precise();
            let start = Instant::now();
            // The far wait is dropped when the near one ends; then a new wait works.
            tokio::select! {
                () = timer.sleep_until(start + Duration::from_secs(60)) => panic!("too soon"),
                () = timer.sleep_until(start + Duration::from_micros(200)) => {}
            }
            let at = Instant::now() + Duration::from_micros(300);
            timer.sleep_until(at).await;
            assert!(Instant::now() >= at);
        });
    }
}
