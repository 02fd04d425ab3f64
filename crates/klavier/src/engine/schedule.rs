//! The run's clock: when it started, when users start, when new requests stop.
//! Pure arithmetic on instants, so it works the same under tokio's paused clock.

use std::time::Duration;

use klavier_plan::Plan;
use tokio::time::Instant;

/// Fixed instants of one run.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The run's start.
    pub start: Instant,
    /// No request starts at or after this instant.
    pub deadline: Instant,
    /// How long in-flight requests may finish after the stop.
    pub graceful_stop: Duration,
    users: u32,
    spread: Duration,
}

impl Schedule {
    /// The schedule of `plan` starting at `start`.
    pub fn new(start: Instant, plan: &Plan) -> Self {
        Self {
            start,
            deadline: start + plan.timings.duration,
            graceful_stop: plan.timings.graceful_stop,
            users: plan.load.max_users(),
            spread: plan.timings.min_scenario_interval,
        }
    }

    /// When user `id` starts its first scenario. Users are spread evenly over the first
    /// scenario interval, so a paced test does not open with every user at once.
    pub fn user_start(&self, id: u32) -> Instant {
        self.start + user_offset(id, self.users, self.spread)
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
        let start = Instant::now();
        let plan_free = Schedule {
            start,
            deadline: start,
            graceful_stop: Duration::ZERO,
            users: 1,
            spread: Duration::ZERO,
        };
        assert_eq!(plan_free.second_of(start), 1);
        assert_eq!(plan_free.second_of(start + Duration::from_millis(1000)), 1);
        assert_eq!(plan_free.second_of(start + Duration::from_millis(1001)), 2);
    }
}
