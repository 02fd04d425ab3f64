//! The search as a pure state machine: from the verdicts so far, the next arrival rate
//! to try, or the answer. No clock, no I/O, so every path is unit- and property-tested.
//!
//! Geometric growth from `from` (×`growth`, capped at `max`) until a step fails, then
//! bisection between the highest passing rate and the lowest failing one until they are
//! within `tolerance` of each other. An inconclusive step (the generator, not the
//! server, fell short) is tried again, up to `retries` times (a shared machine's hiccup
//! passes); inconclusive every time, it is taken as a ceiling the search cannot see
//! past, and the bracket says so. The same machine searches user counts (the closed
//! model) with `whole` set: steps are then whole numbers.

use serde::Serialize;

/// How one step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every SLO held, and the generator kept its schedule.
    Pass,
    /// An SLO failed on the server's own figures.
    Fail,
    /// The generator fell short (saturated, or dropped arrivals): says nothing of the server.
    Inconclusive,
}

/// The search's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// The first rate, per second.
    pub from: f64,
    /// The highest rate tried.
    pub max: f64,
    /// The bracket is narrow enough when `high - low <= tolerance × high`.
    pub tolerance: f64,
    /// Factor of the geometric growth.
    pub growth: f64,
    /// How many times an inconclusive step is tried again before it counts as a ceiling.
    pub retries: usize,
    /// At most this many steps, whatever happens.
    pub max_steps: usize,
    /// Steps are whole numbers (users, in the closed model): growth rounds, bisection
    /// takes the whole number below the midpoint, and two neighbours are a bracket.
    pub whole: bool,
}

/// What the search concluded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The highest passing rate (`low`) and the lowest above it that did not pass.
    Found {
        /// The capacity: the highest rate that met every SLO.
        low: f64,
        /// The lowest rate above it that failed (or could not be measured).
        high: f64,
        /// True when `high` is where the generator fell short, not the server.
        generator_limited: bool,
    },
    /// Even `max` passed: the capacity is at least that.
    AtLeastMax {
        /// The highest rate tried.
        max: f64,
    },
    /// The first step failed: the capacity is below `from`.
    BelowFirst {
        /// The first rate.
        from: f64,
    },
    /// The first step could not be measured (twice).
    Unmeasurable {
        /// The first rate.
        from: f64,
    },
    /// The step budget ran out before the bracket was narrow enough.
    OutOfSteps {
        /// The highest passing rate, if any.
        low: Option<f64>,
        /// The lowest not passing above it, if any.
        high: Option<f64>,
    },
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Run a step at this rate.
    Step(f64),
    /// Stop: the answer.
    Done(Outcome),
}

/// The search so far.
#[derive(Clone, Debug)]
pub struct Search {
    config: Config,
    /// The highest passing rate.
    low: Option<f64>,
    /// The lowest rate that failed or was inconclusive twice, and whether it was the latter.
    high: Option<(f64, bool)>,
    /// A rate that was inconclusive, to try again, and how many times it was.
    retry: Option<(f64, usize)>,
    steps: usize,
    /// The first step failed or could not be measured.
    first: Option<Verdict>,
}

impl Search {
    /// A search that has run nothing yet.
    pub fn new(config: Config) -> Self {
        Search {
            config,
            low: None,
            high: None,
            retry: None,
            steps: 0,
            first: None,
        }
    }

    /// The next rate to try, or the answer.
    pub fn next(&self) -> Next {
        if let Some(done) = self.finished() {
            return Next::Done(done);
        }
        if let Some((rate, _)) = self.retry {
            return Next::Step(rate);
        }
        let c = &self.config;
        let rate = match (self.low, self.high) {
            (None, _) => c.from,
            (Some(low), None) if c.whole => (low * c.growth).round().max(low + 1.0).min(c.max),
            (Some(low), None) => (low * c.growth).min(c.max),
            (Some(low), Some((high, _))) if c.whole => ((low + high) / 2.0).floor(),
            (Some(low), Some((high, _))) => (low + high) / 2.0,
        };
        Next::Step(rate)
    }

    fn finished(&self) -> Option<Outcome> {
        let c = &self.config;
        match (self.first, self.low, self.high) {
            (Some(Verdict::Fail), None, _) => {
                return Some(Outcome::BelowFirst { from: c.from });
            }
            (Some(Verdict::Inconclusive), None, _) if self.retry.is_none() => {
                return Some(Outcome::Unmeasurable { from: c.from });
            }
            (_, Some(low), None) if low >= c.max => return Some(Outcome::AtLeastMax { max: low }),
            (_, Some(low), Some((high, generator_limited)))
                if high - low <= c.tolerance * high || (c.whole && high - low <= 1.0) =>
            {
                return Some(Outcome::Found {
                    low,
                    high,
                    generator_limited,
                });
            }
            _ => {}
        }
        (self.steps >= c.max_steps).then_some(Outcome::OutOfSteps {
            low: self.low,
            high: self.high.map(|(h, _)| h),
        })
    }

    /// Takes in how the step at `rate` went.
    pub fn record(&mut self, rate: f64, verdict: Verdict) {
        self.steps += 1;
        let tries = match self.retry.take() {
            Some((retried, tries)) if retried == rate => tries,
            _ => 0,
        };
        let verdict = match verdict {
            Verdict::Inconclusive if tries < self.config.retries => {
                self.retry = Some((rate, tries + 1));
                return;
            }
            v => v,
        };
        if self.low.is_none() && self.first.is_none() {
            self.first = Some(verdict).filter(|v| *v != Verdict::Pass);
        }
        match verdict {
            Verdict::Pass => {
                if self.low.is_none_or(|low| rate > low) {
                    self.low = Some(rate);
                }
            }
            Verdict::Fail | Verdict::Inconclusive => {
                let limited = verdict == Verdict::Inconclusive;
                if self.high.is_none_or(|(high, _)| rate < high) {
                    self.high = Some((rate, limited));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
