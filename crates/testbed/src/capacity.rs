//! A known capacity: a fixed pool of `workers`, each holding one request for `service`,
//! so the target serves at most `workers / service` requests per second and, beyond
//! that, queues them (FIFO) and their latency grows without bound. Lets `klavier search`
//! be tested against a knee known analytically.
//!
//! The pool is kept as each worker's next free instant, and a request's finish is
//! computed from them (start = max(arrival, earliest free worker), finish = start +
//! service) before it sleeps until then. A timer that wakes late delays that one
//! response but not the next request's slot, so the capacity is exactly
//! `workers / service` whatever the timer's granularity (tokio's is a millisecond, which
//! would otherwise turn a 5 ms service into 5–6 ms).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// `workers` requests at a time, each for `service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Requests served at once.
    pub workers: u32,
    /// How long each is held.
    pub service: Duration,
}

impl Capacity {
    /// Requests per second the pool can serve: `workers / service`.
    pub fn per_second(&self) -> f64 {
        f64::from(self.workers) / self.service.as_secs_f64()
    }
}

/// The pool in the target's state: unlimited until set.
#[derive(Debug, Default)]
pub struct CapacityPool {
    pool: Mutex<Option<Pool>>,
}

#[derive(Debug)]
struct Pool {
    service: Duration,
    /// When each worker is next free.
    free_at: Vec<Instant>,
}

impl CapacityPool {
    /// Limits the target to `capacity` (every worker free now), or lifts the limit.
    pub fn set(&self, capacity: Option<Capacity>) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        *pool = capacity.map(|c| Pool {
            service: c.service,
            free_at: vec![Instant::now(); c.workers as usize],
        });
    }

    /// Waits for a worker and its service time: returns when this request is served.
    pub async fn serve(&self) {
        let finish = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let Some(pool) = pool.as_mut() else { return };
            pool.book(Instant::now())
        };
        tokio::time::sleep_until(finish).await;
    }
}

impl Pool {
    /// Books the earliest free worker for a request arriving at `now`: its finish.
    fn book(&mut self, now: Instant) -> Instant {
        let service = self.service;
        let Some(worker) = self.free_at.iter_mut().min() else {
            return now;
        };
        let finish = (*worker).max(now) + service;
        *worker = finish;
        finish
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_workers_over_service() {
        let c = Capacity {
            workers: 4,
            service: Duration::from_millis(5),
        };
        assert!((c.per_second() - 800.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn beyond_the_workers_requests_queue_in_order() {
        let start = Instant::now();
        let mut pool = Pool {
            service: Duration::from_millis(5),
            free_at: vec![start; 2],
        };
        let ms = |n| start + Duration::from_millis(n);
        // Five at once on two workers: 5, 5, 10, 10, 15 ms.
        let finishes: Vec<Instant> = (0..5).map(|_| pool.book(start)).collect();
        assert_eq!(finishes, vec![ms(5), ms(5), ms(10), ms(10), ms(15)]);
        // One arriving after every worker is free again starts at once.
        assert_eq!(pool.book(ms(100)), ms(105));
    }
}
