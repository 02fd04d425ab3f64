//! What the target itself saw: one counter per `METHOD path`, so tests can compare the
//! server's view with Klavier's results.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;

use super::accounts::Accounts;
use super::capacity::CapacityPool;
use super::stall::StallSwitch;
use super::timing::{ReceivedReport, Timing, TimingReport};

/// Distinct `METHOD path` keys kept before further new paths are folded into
/// [`OVERFLOW_KEY`]: a run against random paths must not grow the target without bound.
pub const MAX_KEYS: usize = 10_000;

/// The key under which requests to paths beyond the first [`MAX_KEYS`] are counted.
/// Totals stay exact; only the breakdown is lost.
pub const OVERFLOW_KEY: &str = "* (other paths)";

/// Size of the shared buffer `/bytes/{n}` responses are sliced from.
pub(crate) const FILLER_LEN: usize = 256 * 1024;

/// State shared by every connection of one target: the request counts and the
/// read-only buffer response bodies are cut from.
#[derive(Debug)]
pub struct TargetState {
    // One lock taken once per request; on the target's current-thread runtime it is
    // never contended.
    counts: Mutex<Counts>,
    // A second lock, taken when a request is answered, for the same reason.
    timing: Mutex<Timing>,
    /// Sessions of the user-journey endpoints.
    accounts: Accounts,
    filler: Bytes,
    /// Holds responses for a moment every period, when switched on.
    pub stall: StallSwitch,
    /// Serves a fixed number of requests at a time, when limited.
    pub capacity: CapacityPool,
}

/// Counts keyed by method, then path, so a lookup borrows the request's `&str` and
/// allocates only the first time a path is seen.
#[derive(Debug, Default)]
struct Counts {
    by_method: HashMap<Method, HashMap<Box<str>, u64>>,
    keys: usize,
    overflow: u64,
}

impl TargetState {
    /// Empty counts and a freshly built filler buffer.
    pub fn new() -> Self {
        let filler: Vec<u8> = (0..FILLER_LEN).map(|i| b'a' + (i % 26) as u8).collect();
        Self {
            counts: Mutex::new(Counts::default()),
            timing: Mutex::new(Timing::new()),
            accounts: Accounts::default(),
            filler: Bytes::from(filler),
            stall: StallSwitch::default(),
            capacity: CapacityPool::default(),
        }
    }

    /// The user-journey endpoints' sessions and what they saw.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// A snapshot of the counts, keyed `"GET /api/health"` (path without query).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().snapshot()
    }

    /// Total requests counted since start or the last [`reset`](Self::reset).
    pub fn total(&self) -> u64 {
        let counts = self.lock();
        let per_path: u64 = counts.by_method.values().flat_map(|p| p.values()).sum();
        per_path + counts.overflow
    }

    /// Forget every count, service time and accepted connection.
    pub fn reset(&self) {
        *self.lock() = Counts::default();
        *self.lock_timing() = Timing::new();
    }

    /// Service times of the counted requests and the accept times of connections,
    /// since start or the last [`reset`](Self::reset).
    pub fn timing(&self) -> TimingReport {
        self.lock_timing().report()
    }

    /// When each counted request arrived, since start or the last [`reset`](Self::reset).
    pub fn received(&self) -> ReceivedReport {
        self.lock_timing().received()
    }

    /// Note when one counted request arrived and how long answering it took.
    pub(crate) fn record_service(&self, arrived: Instant, elapsed: Duration) {
        self.lock_timing().record_service(arrived, elapsed);
    }

    /// Note the time between two requests arriving on one connection.
    pub(crate) fn record_gap(&self, gap: Duration) {
        self.lock_timing().record_gap(gap);
    }

    /// Note a connection accepted at `at`.
    pub(crate) fn note_connection(&self, at: Instant) {
        self.lock_timing().note_connection(at);
    }

    /// Count one request.
    pub(crate) fn record(&self, method: &Method, path: &str) {
        self.lock().record(method, path);
    }

    /// The shared read-only buffer body bytes are sliced from (never empty).
    pub(crate) fn filler(&self) -> &Bytes {
        &self.filler
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Nothing panics while holding the lock, and counts stay meaningful even if
        // something did: recover rather than propagate the poison.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_timing(&self) -> MutexGuard<'_, Timing> {
        self.timing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for TargetState {
    fn default() -> Self {
        Self::new()
    }
}

impl Counts {
    fn record(&mut self, method: &Method, path: &str) {
        let seen = self.by_method.get_mut(method).and_then(|p| p.get_mut(path));
        if let Some(n) = seen {
            *n += 1;
        } else if self.keys >= MAX_KEYS {
            self.overflow += 1;
        } else {
            self.keys += 1;
            let paths = self.by_method.entry(method.clone()).or_default();
            paths.insert(path.into(), 1);
        }
    }

    fn snapshot(&self) -> BTreeMap<String, u64> {
        let mut out: BTreeMap<String, u64> = self
            .by_method
            .iter()
            .flat_map(|(m, paths)| paths.iter().map(move |(p, n)| (format!("{m} {p}"), *n)))
            .collect();
        if self.overflow > 0 {
            out.insert(OVERFLOW_KEY.to_owned(), self.overflow);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_keyed_by_method_and_path() {
        let state = TargetState::new();
        state.record(&Method::GET, "/a");
        state.record(&Method::GET, "/a");
        state.record(&Method::POST, "/a");
        let expected = BTreeMap::from([("GET /a".to_owned(), 2), ("POST /a".to_owned(), 1)]);
        assert_eq!(state.counts(), expected);
        assert_eq!(state.total(), 3);
        state.reset();
        assert!(state.counts().is_empty());
    }

    #[test]
    fn paths_beyond_the_cap_are_folded_but_still_counted() {
        let state = TargetState::new();
        for i in 0..MAX_KEYS + 5 {
            state.record(&Method::GET, &format!("/item/{i}"));
        }
        state.record(&Method::GET, "/item/0"); // a known key still counts under itself
        let counts = state.counts();
        assert_eq!(counts.len(), MAX_KEYS + 1);
        assert_eq!(counts[OVERFLOW_KEY], 5);
        assert_eq!(counts["GET /item/0"], 2);
        assert_eq!(state.total(), MAX_KEYS as u64 + 6);
    }
}
