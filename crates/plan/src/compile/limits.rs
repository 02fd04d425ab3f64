//! Sane bounds on what a profile may ask for. Each one is far beyond what one machine
//! can do, and each catches a typo (a duration in seconds written as milliseconds, an
//! extra zero) before it turns into a run that never ends or memory that runs out.

use std::time::Duration;

use crate::load::Load;
use crate::plan::Timings;
use crate::Overrides;

use super::Context;

/// The longest duration of a run, a stage total or a graceful stop: 365 days.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
/// The most users a load may reach.
pub const MAX_USERS: u32 = 1_000_000;
/// The highest arrival rate, in scenario starts per second.
pub const MAX_RATE: f64 = 1_000_000.0;
/// The most scenarios, and the most distinct request names: each name keeps its own
/// histograms and time series (about 300 KiB), so 10,000 names would need ~3 GiB.
pub const MAX_NAMES: usize = 1_000;

/// Reports every bound the compiled load, timings and scenarios exceed.
pub(super) fn check(
    load: Option<&Load>,
    timings: Option<&Timings>,
    counts: Option<(usize, usize)>,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) {
    if let Some(load) = load {
        check_load(load, overrides, cx);
    }
    if let Some(timings) = timings {
        check_timings(timings, overrides, cx);
    }
    if let Some((scenarios, names)) = counts {
        if scenarios > MAX_NAMES {
            let message = format!("{scenarios} scenarios; at most {MAX_NAMES} are supported");
            let help = "each scenario keeps its own statistics: merge scenarios that differ only by data, and feed the data from a file";
            cx.error_help(cx.span_of("scenarios"), "scenarios", message, help);
        } else if names > MAX_NAMES {
            let message =
                format!("{names} distinct request names; at most {MAX_NAMES} are supported");
            let help = "each name keeps its own histograms (~300 KiB): give requests that differ only by an id one `name`";
            cx.error_help(cx.span_of("scenarios"), "scenarios", message, help);
        }
    }
}

fn check_load(load: &Load, overrides: &Overrides, cx: &mut Context<'_>) {
    if load.max_users() > MAX_USERS {
        let message = format!(
            "{} users; at most {MAX_USERS} are supported (split larger loads across machines)",
            load.max_users()
        );
        report(cx, overrides.users.is_some(), "--users", "load", message);
    }
    if let Load::Open { rate, .. } = load {
        if rate.peak() > MAX_RATE {
            let message = format!(
                "a rate of {} scenario starts per second; at most {MAX_RATE} are supported",
                rate.peak()
            );
            report(cx, overrides.rate.is_some(), "--rate", "load", message);
        }
    }
}

fn check_timings(timings: &Timings, overrides: &Overrides, cx: &mut Context<'_>) {
    let too_long = |what: &str, d: Duration| {
        format!(
            "{what} of {} is longer than the longest supported, 365 days",
            humantime::format_duration(d)
        )
    };
    if timings.duration > MAX_DURATION {
        let message = too_long("a duration", timings.duration);
        let flag = overrides.duration.is_some() || !overrides.stages.is_empty();
        report(cx, flag, "--duration", "timings", message);
    }
    if timings.graceful_stop > MAX_DURATION {
        let message = too_long("a graceful stop", timings.graceful_stop);
        report(cx, false, "", "timings", message);
    }
}

/// Reports `message` against the flag when it set the value, else the profile's table.
fn report(cx: &mut Context<'_>, from_flag: bool, flag: &str, table: &str, message: String) {
    if from_flag {
        cx.cli_error(flag, message);
    } else {
        cx.error(cx.span_of(table), table, message);
    }
}
