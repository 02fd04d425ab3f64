//! Where a request's time went: DNS, connecting (TCP and a proxy's tunnel), the TLS
//! handshake, waiting for the first response byte, and transferring the rest. Each is
//! recorded only when it happened (a reused connection has no DNS, connect or TLS), in
//! histograms allocated on first use, so rows that never open a connection stay small.

use std::ops::AddAssign;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::histogram::{merge_into, new_histogram, record_latency};

/// A phase of an exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Name resolution.
    Dns,
    /// The TCP handshake (and a proxy's tunnel).
    Connect,
    /// The TLS handshake.
    Tls,
    /// From the first request byte written to the first response byte read.
    FirstByte,
    /// From the first response byte to the last.
    Transfer,
}

impl Phase {
    /// How many phases there are.
    pub const COUNT: usize = 5;
    /// Every phase, in the order they happen.
    pub const ALL: [Phase; Phase::COUNT] = [
        Phase::Dns,
        Phase::Connect,
        Phase::Tls,
        Phase::FirstByte,
        Phase::Transfer,
    ];

    /// The snake_case name used in the JSON result.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::FirstByte => "first_byte",
            Phase::Transfer => "transfer",
        }
    }
}

/// How long each phase of one exchange took (those that happened), and whether it
/// opened a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// Per phase, by [`Phase::ALL`] index.
    pub phases: [Option<Duration>; Phase::COUNT],
    /// A new connection was opened for it.
    pub opened: bool,
}

impl Timing {
    /// The time of `phase`, if it happened.
    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.phases[phase as usize]
    }

    /// Sets the time of `phase`.
    pub fn set(&mut self, phase: Phase, took: Duration) {
        self.phases[phase as usize] = Some(took);
    }

    /// Adds `other`'s phases to these (the hops of a redirect chain).
    pub fn add(&mut self, other: &Timing) {
        for (mine, theirs) in self.phases.iter_mut().zip(other.phases) {
            *mine = match (*mine, theirs) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
        }
        self.opened |= other.opened;
    }
}

/// Per-row histograms of the phases, and the connections opened.
#[derive(Clone, Debug, Default)]
pub struct PhaseStats {
    histograms: [Option<Box<Histogram<u64>>>; Phase::COUNT],
    opened: u64,
}

impl PhaseStats {
    pub(crate) fn record(&mut self, timing: &Timing) {
        for (slot, took) in self.histograms.iter_mut().zip(timing.phases) {
            if let Some(took) = took {
                let histogram = slot.get_or_insert_with(|| Box::new(new_histogram()));
                record_latency(histogram, took);
            }
        }
        self.opened += u64::from(timing.opened);
    }

    /// The histogram of `phase`, if it ever happened.
    pub fn histogram(&self, phase: Phase) -> Option<&Histogram<u64>> {
        self.histograms[phase as usize]
            .as_deref()
            .filter(|h| !h.is_empty())
    }

    /// Connections opened.
    pub fn opened(&self) -> u64 {
        self.opened
    }

    pub(crate) fn reset(&mut self) {
        for histogram in self.histograms.iter_mut().flatten() {
            histogram.reset();
        }
        self.opened = 0;
    }
}

impl AddAssign<&PhaseStats> for PhaseStats {
    fn add_assign(&mut self, other: &PhaseStats) {
        for (mine, theirs) in self.histograms.iter_mut().zip(&other.histograms) {
            if let Some(theirs) = theirs {
                let mine = mine.get_or_insert_with(|| Box::new(new_histogram()));
                merge_into(mine, theirs);
            }
        }
        self.opened += other.opened;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_phases_that_happened_are_recorded_and_merged() {
        let mut reused = Timing::default();
        reused.set(Phase::FirstByte, Duration::from_micros(300));
        reused.set(Phase::Transfer, Duration::from_micros(20));
        let mut fresh = reused;
        fresh.set(Phase::Connect, Duration::from_micros(90));
        fresh.opened = true;
        let mut a = PhaseStats::default();
        a.record(&reused);
        let mut b = PhaseStats::default();
        b.record(&fresh);
        a += &b;
        assert_eq!(a.histogram(Phase::FirstByte).map(|h| h.len()), Some(2));
        assert_eq!(a.histogram(Phase::Connect).map(|h| h.len()), Some(1));
        assert!(a.histogram(Phase::Dns).is_none());
        assert_eq!(a.opened(), 1);
    }

    #[test]
    fn hops_add_up() {
        let mut first = Timing::default();
        first.set(Phase::FirstByte, Duration::from_micros(100));
        let mut second = Timing::default();
        second.set(Phase::FirstByte, Duration::from_micros(50));
        second.set(Phase::Tls, Duration::from_micros(500));
        first.add(&second);
        assert_eq!(
            first.get(Phase::FirstByte),
            Some(Duration::from_micros(150))
        );
        assert_eq!(first.get(Phase::Tls), Some(Duration::from_micros(500)));
    }
}
