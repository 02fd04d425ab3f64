//! `[load]` and `[timings]`: how many users, for how long, how fast.

use std::time::Duration;

use crate::document::Spanned;

use super::{non_negative, parse_duration, positive, Context, Overrides, Reported};
use crate::plan::Timings;
use crate::profile::{DurationText, LoadProfile, TimingsProfile};
use crate::think::Think;

const DEFAULT_GRACEFUL_STOP: Duration = Duration::from_secs(5);

/// The run's seed (`--seed` wins); `None` when nobody chose one.
pub(super) fn seed(
    profile: &LoadProfile,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> Option<u64> {
    match (overrides.seed, &profile.seed) {
        (Some(seed), _) => Some(seed),
        (None, Some(seed)) => non_negative(seed, "load.seed", cx),
        (None, None) => None,
    }
}

/// The timing rules (`--duration` wins over the profile's duration).
/// `staged` is how long the load's stages last: the duration when none is written.
pub(super) fn compile(
    profile: &TimingsProfile,
    overrides: &Overrides,
    staged: Option<Duration>,
    cx: &mut Context<'_>,
) -> Option<Timings> {
    let duration = duration(profile, overrides, staged, cx);
    let think_time = think(profile.think_time.as_ref(), "timings.think_time", cx);
    let scenario_think_time = think(
        profile.scenario_think_time.as_ref(),
        "timings.scenario_think_time",
        cx,
    );
    let min_scenario_interval = millis(
        profile.min_scenario_interval_ms.as_ref(),
        "timings.min_scenario_interval_ms",
        cx,
    );
    let min_request_interval = millis(
        profile.min_request_interval_ms.as_ref(),
        "timings.min_request_interval_ms",
        cx,
    );
    let graceful_stop = match &profile.graceful_stop {
        Some(text) => human(text, "timings.graceful_stop", cx),
        None => Some(DEFAULT_GRACEFUL_STOP),
    };
    let warmup = warmup(profile, overrides, duration, cx);
    Some(Timings {
        warmup: warmup?,
        duration: duration?,
        min_scenario_interval: min_scenario_interval?,
        min_request_interval: min_request_interval?,
        graceful_stop: graceful_stop?,
        think_time: think_time.ok()?,
        scenario_think_time: scenario_think_time.ok()?,
    })
}

fn duration(
    profile: &TimingsProfile,
    overrides: &Overrides,
    staged: Option<Duration>,
    cx: &mut Context<'_>,
) -> Option<Duration> {
    let in_file = match (&profile.test_duration_seconds, &profile.duration) {
        (Some(_), Some(duration)) => {
            cx.error_help(
                duration.span(),
                "timings.duration",
                "duration and test_duration_seconds are both set",
                "keep one of them",
            );
            None
        }
        (Some(seconds), None) => {
            positive(seconds, "timings.test_duration_seconds", cx).map(Duration::from_secs)
        }
        (None, Some(duration)) => positive_duration(duration, "timings.duration", cx),
        (None, None) => None,
    };
    let written = profile.test_duration_seconds.is_some() || profile.duration.is_some();
    match overrides.duration {
        Some(duration) if duration.is_zero() => {
            cx.cli_error("--duration", "duration must be greater than zero");
            None
        }
        Some(duration) => Some(duration),
        None if !written && staged.is_some() => staged,
        None if !written => {
            let span = cx.span_of("timings");
            cx.error_help(
                span,
                "timings.test_duration_seconds",
                "the test duration is not set",
                "set [timings] test_duration_seconds, [load] stages, or pass --duration",
            );
            None
        }
        None => in_file,
    }
}

/// `[timings] warmup` (`--warmup` wins): zero by default, shorter than the duration.
fn warmup(
    profile: &TimingsProfile,
    overrides: &Overrides,
    duration: Option<Duration>,
    cx: &mut Context<'_>,
) -> Option<Duration> {
    let warmup = match (overrides.warmup, &profile.warmup) {
        (Some(warmup), _) => warmup,
        (None, Some(text)) => human(text, "timings.warmup", cx)?,
        (None, None) => return Some(Duration::ZERO),
    };
    let Some(duration) = duration else {
        return Some(warmup); // the duration's own error is reported
    };
    if warmup.is_zero() || warmup < duration {
        return Some(warmup);
    }
    let message = format!(
        "the warm-up ({}) must be shorter than the duration ({}): nothing would be measured",
        humantime::format_duration(warmup),
        humantime::format_duration(duration)
    );
    match (&overrides.warmup, &profile.warmup) {
        (Some(_), _) => {
            cx.cli_error("--warmup", &message);
        }
        (None, Some(text)) => {
            cx.error(text.span(), "timings.warmup", &message);
        }
        (None, None) => {}
    }
    None
}

fn positive_duration(
    text: &Spanned<DurationText>,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<Duration> {
    let duration = human(text, field, cx)?;
    if duration.is_zero() {
        cx.error(text.span(), field, "duration must be greater than zero");
        return None;
    }
    Some(duration)
}

fn human(text: &Spanned<DurationText>, field: &str, cx: &mut Context<'_>) -> Option<Duration> {
    parse_duration(&text.get_ref().0, text.span(), field, cx)
}

/// An optional `_ms` key: zero by default.
fn millis(value: Option<&Spanned<i64>>, field: &str, cx: &mut Context<'_>) -> Option<Duration> {
    match value {
        Some(value) => non_negative(value, field, cx).map(Duration::from_millis),
        None => Some(Duration::ZERO),
    }
}

/// An optional think time.
fn think(
    text: Option<&Spanned<String>>,
    field: &str,
    cx: &mut Context<'_>,
) -> Result<Option<Think>, Reported> {
    let Some(text) = text else {
        return Ok(None);
    };
    match Think::parse(text.get_ref()) {
        Ok(think) => Ok(Some(think)),
        Err(message) => {
            let help = r#"write "2s", "uniform(1s, 3s)", "exponential(2s)" or "normal(2s, 500ms)""#;
            Err(cx.error_help(text.span(), field, message, help))
        }
    }
}
