//! How many iterations and requests a whole test makes: for the closed model, user by
//! user over the times the load keeps it active (`engine::schedule`: user `u` is active
//! while the level is at least `u + 1`; a constant population starts user `i` of `N`
//! at `i × min_scenario_interval / N`), each active span starting an iteration every
//! cycle; for the open model, from the area under the arrival rate.

use std::time::Duration;

use crate::load::{Load, Ramp};

/// One span of time during which a user is active, in seconds from the start (`to` is
/// at most the test's end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// The user's id.
    pub user: u32,
    /// When the user becomes active.
    pub from: f64,
    /// When it leaves or the test ends.
    pub to: f64,
}

/// Every user's active spans within `duration` (closed model; empty for the open one).
pub fn spans(load: &Load, duration: Duration, spread: Duration) -> Vec<Span> {
    let Load::Closed { users } = load else {
        return Vec::new();
    };
    let end = duration.as_secs_f64();
    if users.is_constant() {
        let n = users.start().floor() as u32;
        return (0..n)
            .map(|id| Span {
                user: id,
                from: spread.as_secs_f64() * f64::from(id) / f64::from(n),
                to: end,
            })
            .filter(|s| s.from < end)
            .collect();
    }
    let peak = users.peak().floor() as u32;
    (0..peak)
        .flat_map(|id| ramp_spans(users, id, duration))
        .collect()
}

/// The spans of user `id` under a changing level.
fn ramp_spans(users: &Ramp, id: u32, duration: Duration) -> Vec<Span> {
    let level = f64::from(id) + 1.0;
    let mut spans = Vec::new();
    let mut from = Duration::ZERO;
    while let Some(on) = users
        .first_at_or_above(level, from)
        .filter(|&t| t < duration)
    {
        // Searched from just after the activation: at the crossing itself the level
        // may read a hair below the threshold.
        let off = users
            .first_below(level, on + Duration::from_micros(1))
            .map_or(duration, |t| t.min(duration));
        spans.push(Span {
            user: id,
            from: on.as_secs_f64(),
            to: off.as_secs_f64(),
        });
        if off >= duration || off <= on {
            break;
        }
        from = off;
    }
    spans
}

/// How many times something `offset` seconds into each iteration happens before `until`
/// in a span, iterations starting every `cycle` seconds: at `from + offset + k·cycle`.
pub fn starts(span: Span, offset: f64, cycle: f64, until: f64) -> f64 {
    let room = span.to.min(until) - span.from - offset;
    if room <= 0.0 {
        return 0.0;
    }
    if cycle <= 0.0 {
        return f64::INFINITY;
    }
    // Slack so a start planned exactly at the end (not sent) is not counted.
    (room / cycle - 1e-9).ceil()
}

/// Open model: arrivals due before `until` seconds.
pub fn arrivals(rate: &Ramp, until: f64) -> f64 {
    rate.area_until(Duration::from_secs_f64(until.max(0.0)))
}

/// The first time in `[0, end]` at which the non-decreasing `count` reaches `target`,
/// if it does.
pub fn time_reaching(count: impl Fn(f64) -> f64, target: f64, end: f64) -> Option<f64> {
    if count(end) < target {
        return None;
    }
    let (mut lo, mut hi) = (0.0, end);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if count(mid) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Stage;

    fn secs(n: f64) -> Duration {
        Duration::from_secs_f64(n)
    }

    #[test]
    fn a_constant_population_starts_over_the_first_interval() {
        let load = Load::Closed {
            users: Ramp::constant(4.0),
        };
        let spans = spans(&load, secs(10.0), secs(1.0));
        let froms: Vec<f64> = spans.iter().map(|s| s.from).collect();
        assert_eq!(froms, [0.0, 0.25, 0.5, 0.75]);
        // Paced at 1 s, each makes exactly 10 starts before the end.
        let total: f64 = spans.iter().map(|&s| starts(s, 0.0, 1.0, 10.0)).sum();
        assert_eq!(total, 40.0);
        // A request 0.5 s into the iteration misses the end once for the last two.
        let late: f64 = spans.iter().map(|&s| starts(s, 0.5, 1.0, 10.0)).sum();
        assert_eq!(late, 38.0);
    }

    #[test]
    fn a_ramp_activates_each_user_when_the_level_reaches_it() {
        // 0 → 4 users over 4 s, hold 2 s, down to 0 over 4 s.
        let users = Ramp::new(
            0.0,
            vec![
                Stage {
                    duration: secs(4.0),
                    target: 4.0,
                },
                Stage {
                    duration: secs(2.0),
                    target: 4.0,
                },
                Stage {
                    duration: secs(4.0),
                    target: 0.0,
                },
            ],
        );
        let spans = spans(&Load::Closed { users }, secs(10.0), Duration::ZERO);
        let rounded: Vec<(f64, f64)> = spans
            .iter()
            .map(|s| ((s.from * 1e3).round() / 1e3, (s.to * 1e3).round() / 1e3))
            .collect();
        assert_eq!(rounded, [(1.0, 9.0), (2.0, 8.0), (3.0, 7.0), (4.0, 6.0)]);
    }

    #[test]
    fn the_time_a_count_reaches_a_target() {
        let t = time_reaching(|t| 2.0 * t, 5.0, 10.0).unwrap();
        assert!((t - 2.5).abs() < 1e-9);
        assert_eq!(time_reaching(|t| 2.0 * t, 50.0, 10.0), None);
    }
}
