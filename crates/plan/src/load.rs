//! The load models as pure functions of elapsed time: how many users should be active
//! (closed model) or how many scenario starts per second are due (open model). A level
//! is piecewise linear: each stage ramps from the previous level to its target over its
//! duration; after the last stage the level holds.

use std::num::NonZeroU32;
use std::time::Duration;

/// Slack for float comparisons of levels (a user count or a rate).
const EPSILON: f64 = 1e-9;

/// One stage: reach `target` linearly over `duration` (at once if zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// How long the ramp to `target` takes.
    pub duration: Duration,
    /// The level at the end of the stage.
    pub target: f64,
}

/// A level over time: `start`, then each stage in turn, then the last level forever.
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    start: f64,
    stages: Vec<Stage>,
}

/// One linear piece of a ramp, on absolute times `[from, to]`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    from: f64,
    to: f64,
    level_from: f64,
    level_to: f64,
}

impl Piece {
    fn level_at(&self, t: f64) -> f64 {
        if self.to <= self.from {
            return self.level_to;
        }
        let x = ((t - self.from) / (self.to - self.from)).clamp(0.0, 1.0);
        self.level_from + (self.level_to - self.level_from) * x
    }

    /// The time in this piece at which the level crosses `level`, if it does.
    fn crossing(&self, level: f64) -> Option<f64> {
        let (a, b) = (self.level_from, self.level_to);
        if (a - level) * (b - level) > 0.0 || a == b {
            return None;
        }
        Some(self.from + (self.to - self.from) * (level - a) / (b - a))
    }

    fn area(&self) -> f64 {
        (self.to - self.from) * (self.level_from + self.level_to) / 2.0
    }

    /// The time `area` after the start of this piece (which must hold that much).
    fn time_of_area(&self, area: f64) -> f64 {
        let (a, b, d) = (self.level_from, self.level_to, self.to - self.from);
        if d <= 0.0 {
            return self.from;
        }
        let slope = (b - a) / d;
        // Solve a·x + slope·x²/2 = area in the form that stays exact as slope → 0.
        let root = (a * a + 2.0 * slope * area).max(0.0).sqrt();
        let x = if a + root > 0.0 {
            2.0 * area / (a + root)
        } else {
            0.0
        };
        self.from + x.min(d)
    }
}

impl Ramp {
    /// A level that never changes.
    pub fn constant(level: f64) -> Self {
        Self {
            start: level,
            stages: Vec::new(),
        }
    }

    /// A level starting at `start` and following `stages`.
    pub fn new(start: f64, stages: Vec<Stage>) -> Self {
        Self { start, stages }
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The level before any stage.
    pub fn start(&self) -> f64 {
        self.start
    }

    /// True when the level never changes.
    pub fn is_constant(&self) -> bool {
        self.stages
            .iter()
            .all(|s| (s.target - self.start).abs() < EPSILON)
    }

    /// The sum of the stage durations.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    /// The highest level ever reached.
    pub fn peak(&self) -> f64 {
        self.stages
            .iter()
            .map(|s| s.target)
            .fold(self.start, f64::max)
    }

    /// The pieces, the last one holding the final level until `f64::INFINITY`.
    fn pieces(&self) -> impl Iterator<Item = Piece> + '_ {
        let mut at = 0.0;
        let mut level = self.start;
        let stages = self.stages.iter().map(move |stage| {
            let piece = Piece {
                from: at,
                to: at + stage.duration.as_secs_f64(),
                level_from: level,
                level_to: stage.target,
            };
            at = piece.to;
            level = stage.target;
            piece
        });
        let last = self.stages.last().map_or(self.start, |s| s.target);
        let end = self.total_duration().as_secs_f64();
        stages.chain(std::iter::once(Piece {
            from: end,
            to: f64::INFINITY,
            level_from: last,
            level_to: last,
        }))
    }

    /// The level at `elapsed`.
    pub fn level_at(&self, elapsed: Duration) -> f64 {
        let t = elapsed.as_secs_f64();
        self.pieces()
            .find(|p| t <= p.to)
            .map_or(self.start, |p| p.level_at(t))
    }

    /// The first time at or after `from` when the level is at least `level`.
    pub fn first_at_or_above(&self, level: f64, from: Duration) -> Option<Duration> {
        self.first_time(from, |l| l >= level - EPSILON, level)
    }

    /// The first time at or after `from` when the level is below `level`.
    pub fn first_below(&self, level: f64, from: Duration) -> Option<Duration> {
        self.first_time(from, |l| l < level - EPSILON, level)
    }

    /// The first time at or after `from` when `holds(level)`, where `holds` is a
    /// threshold test at `level`: inside a piece it can only start holding where the
    /// line crosses the threshold (the crossing is in the right direction, or it would
    /// already have held at the piece's start).
    fn first_time(
        &self,
        from: Duration,
        holds: impl Fn(f64) -> bool,
        level: f64,
    ) -> Option<Duration> {
        let t0 = from.as_secs_f64();
        for piece in self.pieces().filter(|p| p.to >= t0) {
            let start = piece.from.max(t0);
            if holds(piece.level_at(start)) {
                return Some(seconds(start));
            }
            // A jump (zero-length stage) takes effect at the next piece's start.
            let jump = piece.to <= piece.from;
            if let Some(t) = piece.crossing(level).filter(|&t| t >= start && !jump) {
                // At the crossing itself the level equals the threshold: a strict test
                // ("below") holds only just after it.
                let t = if holds(piece.level_at(t)) {
                    t
                } else {
                    t + 1e-6
                };
                return Some(seconds(t));
            }
        }
        None
    }

    /// The area under the level from 0 to `elapsed` (for a rate: the arrivals due).
    pub fn area_until(&self, elapsed: Duration) -> f64 {
        let t = elapsed.as_secs_f64();
        let mut area = 0.0;
        for piece in self.pieces() {
            if t <= piece.from {
                break;
            }
            let end = t.min(piece.to);
            area += (end - piece.from) * (piece.level_from + piece.level_at(end)) / 2.0;
        }
        area
    }

    /// The time at which the area under the level reaches `area`, or `None` if it never
    /// does (the level drops to zero for good).
    pub fn time_of_area(&self, area: f64) -> Option<Duration> {
        let mut left = area;
        for piece in self.pieces() {
            if !piece.to.is_finite() {
                return (piece.level_from > EPSILON)
                    .then(|| seconds(piece.from + left / piece.level_from));
            }
            let here = piece.area();
            if left <= here {
                return Some(seconds(piece.time_of_area(left)));
            }
            left -= here;
        }
        None
    }
}

fn seconds(t: f64) -> Duration {
    Duration::from_secs_f64(t.max(0.0))
}

/// How arrivals are spaced in the open model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrivals {
    /// Evenly spaced: arrival k is due when k arrivals' worth of rate has elapsed.
    Uniform,
    /// A Poisson process: exponential gaps, as independent clients produce.
    Poisson,
}

/// The workload model.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// A population of users, each looping over scenarios; its size follows `users`.
    Closed {
        /// Users that should be active over time; user `u` is active while the level is
        /// above `u`.
        users: Ramp,
    },
    /// Scenario starts at a rate, whatever the server does, served by a pool of users.
    Open {
        /// Scenario starts per second over time.
        rate: Ramp,
        /// The most users serving arrivals at once (created as needed).
        max_users: NonZeroU32,
        /// How arrivals are spaced.
        arrivals: Arrivals,
    },
}

impl Load {
    /// The largest number of users this load ever runs at once.
    pub fn max_users(&self) -> u32 {
        match self {
            Load::Closed { users } => users.peak().floor() as u32,
            Load::Open { max_users, .. } => max_users.get(),
        }
    }

    /// How many users should be active at `elapsed` (closed model).
    pub fn users_at(&self, elapsed: Duration) -> u32 {
        match self {
            Load::Closed { users } => (users.level_at(elapsed) + EPSILON).floor() as u32,
            Load::Open { max_users, .. } => max_users.get(),
        }
    }
}

#[cfg(test)]
mod tests;
