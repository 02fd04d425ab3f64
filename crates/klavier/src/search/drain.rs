//! Waiting out the queue a failed step built.
//!
//! A step above capacity leaves the server with a backlog: at twice its capacity for
//! 35 s, a server holds 35 s of work when the step ends. The next step, lower, would
//! inherit that queue and fail for the previous step's sake, and bisection would then
//! report too low a capacity. So after a step that did not pass, probes at the first
//! step's rate (which met the SLOs, or the search would be over) run one short window
//! at a time until they meet the SLOs again, or until `--max-drain`.

use std::time::{Duration, Instant};

use super::machine::Verdict;
use super::report::Unit;
use super::step::Stepper;
use crate::engine::StopSignal;

/// One probe's length: long enough for a few requests at a low rate, short enough
/// that the wait ends soon after the queue is gone.
const PROBE: Duration = Duration::from_secs(1);

/// How a drain went.
#[derive(Clone, Debug)]
pub struct Drain {
    /// From the first probe to the last one's end.
    pub waited: Duration,
    /// Probes run.
    pub probes: usize,
    /// The level they ran at (arrivals a second, or users).
    pub rate: f64,
    /// Whether the last probe met the SLOs (false: `--max-drain` ran out first, so the
    /// next step may be judged on the previous one's backlog).
    pub drained: bool,
    /// A signal that stopped a probe.
    pub signal: Option<StopSignal>,
}

/// Probes at `rate` until they meet the SLOs, `max` has passed or a signal came.
pub fn drain(stepper: &Stepper, rate: f64, max: Duration) -> anyhow::Result<Drain> {
    let started = Instant::now();
    let mut probes = 0;
    loop {
        let probe = stepper.probe(rate, PROBE)?;
        probes += 1;
        let drained = probe.judged.verdict == Verdict::Pass;
        let waited = started.elapsed();
        if drained || probe.signal.is_some() || waited >= max {
            return Ok(Drain {
                waited,
                probes,
                rate,
                drained,
                signal: probe.signal,
            });
        }
    }
}

impl Drain {
    /// `drained in 3.0s (3 probes at 100.0/s)`, for the line before the next step.
    pub fn describe(&self, unit: Unit) -> String {
        let what = if self.drained {
            "the server drained its queue in"
        } else {
            "the server was still behind after"
        };
        let mut line = format!(
            "{what} {:.1}s ({} probe{} {} {})",
            self.waited.as_secs_f64(),
            self.probes,
            if self.probes == 1 { "" } else { "s" },
            if unit == Unit::Rate { "at" } else { "with" },
            unit.label(self.rate)
        );
        if !self.drained {
            line.push_str(": the next step may be judged on the previous one's backlog");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(drained: bool, probes: usize) -> Drain {
        Drain {
            waited: Duration::from_millis(3_020),
            probes,
            rate: 100.0,
            drained,
            signal: None,
        }
    }

    #[test]
    fn a_drained_queue_says_how_long_it_took() {
        assert_eq!(
            drain(true, 3).describe(Unit::Rate),
            "the server drained its queue in 3.0s (3 probes at 100.0/s)"
        );
        assert_eq!(
            drain(true, 1).describe(Unit::Users),
            "the server drained its queue in 3.0s (1 probe with 100 users)"
        );
    }

    #[test]
    fn a_server_still_behind_warns_that_the_next_step_may_suffer() {
        let line = drain(false, 60).describe(Unit::Rate);
        assert!(line.starts_with("the server was still behind after 3.0s (60 probes"));
        assert!(line.ends_with("the next step may be judged on the previous one's backlog"));
    }
}
