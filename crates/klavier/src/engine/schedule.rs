//! The run's clock: when it started, when each user is active, when new requests stop.
//! Pure arithmetic on instants and the plan's load model, so it behaves the same under
//! tokio's paused clock.

use std::time::Duration;

use klavier_plan::{Load, Plan};
use tokio::time::Instant;

/// Fixed instants of one run and the load model that places users in it.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The run's start.
    pub start: Instant,
    /// No request starts at or after this instant.
    pub deadline: Instant,
    /// What is due before this instant is measured apart, as the warm-up.
    pub warmup_end: Instant,
    /// How long in-flight requests may finish after the stop.
    pub graceful_stop: Duration,
    load: Load,
    spread: Duration,
}

impl Schedule {
    /// The schedule of `plan` starting at `start`.
    pub fn new(start: Instant, plan: &Plan) -> Self {
        Self {
            start,
            deadline: start + plan.timings.duration,
            warmup_end: start + plan.timings.warmup,
            graceful_stop: plan.timings.graceful_stop,
            load: plan.load.clone(),
            spread: plan.timings.min_scenario_interval,
        }
    }

    /// The load model.
    pub fn load(&self) -> &Load {
        &self.load
    }

    /// When user `id` (closed model) is next active, at or after `from`; `None` if not
    /// again before the deadline. A constant population is spread evenly over the first
    /// scenario interval, so a paced test does not open with every user at once; a
    /// ramping one follows its stages (user `u` is active while the level is above `u`).
    pub fn activation(&self, id: u32, from: Instant) -> Option<Instant> {
        let at = match &self.load {
            Load::Closed { users } if users.is_constant() => {
                if f64::from(id) + 1.0 > users.start() {
                    return None;
                }
                let first = self.start + user_offset(id, users.start() as u32, self.spread);
                first.max(from)
            }
            Load::Closed { users } => {
                let since = from.saturating_duration_since(self.start);
                self.start + users.first_at_or_above(f64::from(id) + 1.0, since)?
            }
            Load::Open { .. } => from,
        };
        (at < self.deadline).then_some(at)
    }

    /// When user `id`, active at `from`, must leave (ramp-down); `None` if it stays.
    pub fn departure(&self, id: u32, from: Instant) -> Option<Instant> {
        match &self.load {
            Load::Closed { users } if !users.is_constant() => {
                let since = from.saturating_duration_since(self.start);
                let at = self.start + users.first_below(f64::from(id) + 1.0, since)?;
                (at < self.deadline).then_some(at)
            }
            _ => None,
        }
    }

    /// Seconds since the start at `now`, as the label of the interval that ends there.
    pub fn second_of(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start);
        (elapsed.as_millis() as u64).div_ceil(1000).max(1)
    }
}

/// `id * spread / users`, computed without overflow.
fn user_offset(id: u32, users: u32, spread: Duration) -> Duration {
    if users == 0 {
        return Duration::ZERO;
    }
    let nanos = spread.as_nanos() * u128::from(id) / u128::from(users);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_spread_evenly_over_the_first_interval() {
        let spread = Duration::from_secs(1);
        // Row: (id, users, expected offset)
        let cases = [
            (0, 4, 0),   // the first user starts at once
            (1, 4, 250), // then one every interval / users
            (3, 4, 750), // the last starts before the interval ends
            (0, 1, 0),   // a single user starts at once
        ];
        for (id, users, millis) in cases {
            assert_eq!(
                user_offset(id, users, spread),
                Duration::from_millis(millis),
                "user {id} of {users}"
            );
        }
        assert_eq!(user_offset(5, 10, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn seconds_label_the_interval_that_ends_there() {
        let plan = klavier_plan::compile(
            "[target]\nbase_url = \"http://127.0.0.1:1\"\n[timings]\ntest_duration_seconds = 1\n\
             [scenarios.a]\n[[scenarios.a.requests]]\npath = \"/\"\n",
            "t.toml",
            &klavier_plan::Overrides::default(),
        )
        .expect("profile");
        let start = Instant::now();
        let schedule = Schedule::new(start, &plan);
        assert_eq!(schedule.second_of(start), 1);
        assert_eq!(schedule.second_of(start + Duration::from_millis(1000)), 1);
        assert_eq!(schedule.second_of(start + Duration::from_millis(1001)), 2);
    }
}
