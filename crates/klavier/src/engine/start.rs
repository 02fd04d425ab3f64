//! A common wall-clock start (`--start-at`): the segments of a run, in many processes,
//! wait for the same instant, so their seconds line up and their load adds up as planned.

use std::time::{Duration, SystemTime};

use klavier_plan::segment::Segment;

/// Which part of a run this process runs, and when it starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Part {
    /// The segment of the run.
    pub segment: Segment,
    /// Start at this wall-clock time instead of as soon as the workers are ready.
    pub start_at: Option<StartAt>,
}

/// `--start-at` and `--max-start-lag`.
#[derive(Debug, Clone, Copy)]
pub struct StartAt {
    /// When every segment starts.
    pub at: SystemTime,
    /// Starting later than this after `at` is an error: the segments would not overlap
    /// as planned.
    pub max_lag: Duration,
}

/// A segment that could not start in time.
#[derive(Debug, thiserror::Error)]
#[error(
    "this segment was ready {} after --start-at {}, later than --max-start-lag {}: its \
     load would not line up with the other segments'; start it earlier or choose a later \
     --start-at (nothing was sent)",
    humantime::format_duration(*lag),
    klavier_stats::rfc3339_utc(*at),
    humantime::format_duration(*max_lag)
)]
pub struct TooLate {
    /// How late it was (whole milliseconds).
    pub lag: Duration,
    /// The common start.
    pub at: SystemTime,
    /// The lag allowed.
    pub max_lag: Duration,
}

/// Sleeps until `start.at`, then returns how late the clock says we are (zero if on time,
/// up to the sleep's own lateness), or an error if later than `start.max_lag`.
pub fn wait_for(start: StartAt) -> Result<Duration, TooLate> {
    loop {
        let now = SystemTime::now();
        match start.at.duration_since(now) {
            // Short sleeps near the end: a long one can overshoot, and the clock may step.
            Ok(left) if !left.is_zero() => std::thread::sleep(left.min(Duration::from_millis(200))),
            _ => break,
        }
    }
    let lag = SystemTime::now()
        .duration_since(start.at)
        .unwrap_or(Duration::ZERO);
    if lag > start.max_lag {
        return Err(TooLate {
            lag: Duration::from_millis(lag.as_millis() as u64),
            at: start.at,
            max_lag: start.max_lag,
        });
    }
    Ok(lag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_a_future_start_and_measures_its_lag() {
        let at = SystemTime::now() + Duration::from_millis(30);
        let max_lag = Duration::from_secs(3600);
        let lag = wait_for(StartAt { at, max_lag }).expect("in time");
        assert!(SystemTime::now() >= at);
        assert!(lag < max_lag);
    }

    #[test]
    fn a_start_long_past_is_too_late() {
        let at = SystemTime::now() - Duration::from_secs(10);
        let max_lag = Duration::from_secs(1);
        let err = wait_for(StartAt { at, max_lag }).expect_err("too late");
        assert!(err.lag >= Duration::from_secs(10));
        let text = err.to_string();
        assert!(text.contains("later than --max-start-lag 1s"), "{text}");
    }
}
