//! `[load]`: the workload model — closed (a population of users over time) or open
//! (scenario starts per second over time) — with the command line's overrides.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::document::Spanned;

use super::{parse_duration, positive_u32, Context, Overrides};
use crate::error::Span;
use crate::load::{Arrivals, Load, Ramp, Stage};
use crate::profile::{LoadProfile, StageProfile};

const DEFAULT_USERS: u32 = 10;
/// The open model's default pool: ten seconds' worth of arrivals at the peak rate,
/// within these bounds.
const DEFAULT_POOL: (f64, f64) = (100.0, 10_000.0);

/// The workload model; `None` (with diagnostics) if the profile's `[load]` is invalid.
pub(super) fn compile(
    profile: &LoadProfile,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> Option<Load> {
    if is_open(profile, overrides) {
        open(profile, overrides, cx)
    } else {
        closed(profile, overrides, cx)
    }
}

/// The open model is chosen by `--rate`, or by the profile unless `--users` says closed.
fn is_open(profile: &LoadProfile, overrides: &Overrides) -> bool {
    if overrides.rate.is_some() {
        return true;
    }
    if overrides.users.is_some() {
        return false;
    }
    let rate_stages = profile
        .stages
        .as_ref()
        .is_some_and(|s| s.get_ref().iter().any(|stage| stage.rate.is_some()));
    profile.arrival_rate.is_some() || rate_stages
}

fn closed(profile: &LoadProfile, overrides: &Overrides, cx: &mut Context<'_>) -> Option<Load> {
    // `--users` may switch an open-model profile to the closed model: its open-model
    // keys are then ignored rather than reported.
    let from_cli = overrides.users.is_some();
    for (key, value) in [
        ("max_users", profile.max_users.as_ref().map(Spanned::span)),
        ("arrivals", profile.arrivals.as_ref().map(Spanned::span)),
    ] {
        if let Some(span) = value.filter(|_| !from_cli) {
            let help = "set [load] arrival_rate (or pass --rate) for the open model";
            let message = format!("{key} belongs to the open model (arrival_rate)");
            cx.error_help(span, format!("load.{key}"), message, help);
        }
    }
    let users = if !overrides.stages.is_empty() {
        let stages = cli_stages(overrides, "users", cx)?;
        Ramp::new(0.0, stages)
    } else if let (None, Some(stages)) = (overrides.users, &profile.stages) {
        if let Some(users) = &profile.users {
            let help = "stages start from 0 users; remove users or the stages";
            cx.error_help(
                users.span(),
                "load.users",
                "users and stages are both set",
                help,
            );
        }
        if let Some(ramp) = &profile.ramp_up {
            let help = "make the ramp the first stage";
            cx.error_help(
                ramp.span(),
                "load.ramp_up",
                "ramp_up and stages are both set",
                help,
            );
        }
        Ramp::new(0.0, file_stages(stages, Target::Users, cx)?)
    } else {
        constant_users(profile, overrides, cx)?
    };
    if users.peak() < 1.0 {
        let span = cx.span_of("load");
        cx.error_help(
            span,
            "load.stages",
            "the stages never reach one user",
            "give at least one stage users >= 1",
        );
        return None;
    }
    Some(Load::Closed { users })
}

/// `users` (default 10), optionally reached over `ramp_up`.
fn constant_users(
    profile: &LoadProfile,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> Option<Ramp> {
    let users = match (overrides.users, &profile.users) {
        (Some(users), _) => {
            let users = NonZeroU32::new(users);
            if users.is_none() {
                cx.cli_error("--users", "users must be a positive integer, found 0");
            }
            users?
        }
        (None, Some(users)) => positive_u32(users, "load.users", cx)?,
        (None, None) => NonZeroU32::new(DEFAULT_USERS)?,
    };
    let ramp_up = match (overrides.ramp_up, &profile.ramp_up) {
        (Some(ramp), _) => ramp,
        (None, Some(text)) => parse_duration(&text.get_ref().0, text.span(), "load.ramp_up", cx)?,
        (None, None) => Duration::ZERO,
    };
    let level = f64::from(users.get());
    Some(if ramp_up.is_zero() {
        Ramp::constant(level)
    } else {
        Ramp::new(
            0.0,
            vec![Stage {
                duration: ramp_up,
                target: level,
            }],
        )
    })
}

fn open(profile: &LoadProfile, overrides: &Overrides, cx: &mut Context<'_>) -> Option<Load> {
    if let (None, Some(users)) = (overrides.rate, &profile.users) {
        let help = "the open model sizes its pool of users with max_users";
        let message = "users belongs to the closed model; arrival_rate is set";
        cx.error_help(users.span(), "load.users", message, help);
    }
    if let (None, Some(ramp)) = (overrides.rate, &profile.ramp_up) {
        let help = "ramp the rate with stages = [{ duration = \"30s\", rate = 100 }]";
        cx.error_help(
            ramp.span(),
            "load.ramp_up",
            "ramp_up is for users, not for a rate",
            help,
        );
    }
    let start = match (overrides.rate, &profile.arrival_rate) {
        (Some(rate), _) => Some(rate),
        (None, Some(rate)) => checked_rate(*rate.get_ref(), rate.span(), "load.arrival_rate", cx),
        (None, None) => Some(0.0),
    };
    let stages = if !overrides.stages.is_empty() {
        cli_stages(overrides, "rate", cx)
    } else {
        match (&profile.stages, overrides.rate) {
            (Some(stages), None) => file_stages(stages, Target::Rate, cx),
            _ => Some(Vec::new()),
        }
    };
    let rate = Ramp::new(start?, stages?);
    if rate.peak() <= 0.0 {
        let span = profile
            .arrival_rate
            .as_ref()
            .map_or(cx.span_of("load"), Spanned::span);
        cx.error_help(
            span,
            "load.arrival_rate",
            "the arrival rate is never above zero",
            "set arrival_rate = 100 (scenario starts per second)",
        );
        return None;
    }
    let max_users = match &profile.max_users {
        Some(n) => positive_u32(n, "load.max_users", cx)?,
        None => default_pool(rate.peak()),
    };
    let arrivals = arrivals(profile.arrivals.as_ref(), cx)?;
    Some(Load::Open {
        rate,
        max_users,
        arrivals,
    })
}

fn default_pool(peak_rate: f64) -> NonZeroU32 {
    let (low, high) = DEFAULT_POOL;
    let pool = (peak_rate * 10.0).ceil().clamp(low, high) as u32;
    NonZeroU32::new(pool).unwrap_or(NonZeroU32::MIN)
}

fn arrivals(text: Option<&Spanned<String>>, cx: &mut Context<'_>) -> Option<Arrivals> {
    let Some(text) = text else {
        return Some(Arrivals::Uniform);
    };
    match text.get_ref().as_str() {
        "uniform" => Some(Arrivals::Uniform),
        "poisson" => Some(Arrivals::Poisson),
        other => {
            let message = format!("arrivals must be \"uniform\" or \"poisson\", found {other:?}");
            let help =
                "uniform spaces arrivals evenly; poisson spaces them like independent clients";
            cx.error_help(text.span(), "load.arrivals", message, help);
            None
        }
    }
}

fn checked_rate(rate: f64, span: Span, field: &str, cx: &mut Context<'_>) -> Option<f64> {
    if rate.is_finite() && rate >= 0.0 {
        return Some(rate);
    }
    let message =
        format!("{field} must be a number of scenario starts per second (0 or more), found {rate}");
    cx.error(span, field, message);
    None
}

/// What a stage's target counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Users,
    Rate,
}

fn file_stages(
    stages: &Spanned<Vec<StageProfile>>,
    target: Target,
    cx: &mut Context<'_>,
) -> Option<Vec<Stage>> {
    if stages.get_ref().is_empty() {
        cx.error(
            stages.span(),
            "load.stages",
            "stages is empty; give at least one stage",
        );
        return None;
    }
    let compiled: Vec<Option<Stage>> = stages
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, stage)| file_stage(stage, &format!("load.stages[{i}]"), target, cx))
        .collect();
    compiled.into_iter().collect()
}

fn file_stage(
    stage: &StageProfile,
    field: &str,
    target: Target,
    cx: &mut Context<'_>,
) -> Option<Stage> {
    let text = &stage.duration;
    let duration = parse_duration(
        &text.get_ref().0,
        text.span(),
        &format!("{field}.duration"),
        cx,
    );
    let level = match (target, &stage.users, &stage.rate) {
        (Target::Users, Some(users), None) => {
            let n = *users.get_ref();
            match u32::try_from(n) {
                Ok(n) => Some(f64::from(n)),
                Err(_) => {
                    let message = format!("users must be zero or more, found {n}");
                    cx.error(users.span(), format!("{field}.users"), message);
                    None
                }
            }
        }
        (Target::Rate, None, Some(rate)) => {
            checked_rate(*rate.get_ref(), rate.span(), &format!("{field}.rate"), cx)
        }
        (_, users, rate) => {
            let (want, other) = match target {
                Target::Users => ("users", "rate"),
                Target::Rate => ("rate", "users"),
            };
            let message = if users.is_some() && rate.is_some() {
                "a stage sets both users and rate".to_owned()
            } else if users.is_none() && rate.is_none() {
                format!("a stage needs a target: {want}")
            } else {
                format!("this load's stages set {want}, not {other}")
            };
            let help = format!("write {{ duration = \"30s\", {want} = 100 }}");
            cx.error_help(text.span(), field, message, help);
            None
        }
    };
    Some(Stage {
        duration: duration?,
        target: level?,
    })
}

fn cli_stages(overrides: &Overrides, unit: &str, cx: &mut Context<'_>) -> Option<Vec<Stage>> {
    let bad = overrides
        .stages
        .iter()
        .any(|&(_, level)| !level.is_finite() || level < 0.0);
    if bad {
        cx.cli_error(
            "--stage",
            format!("stage targets must be {unit} of 0 or more"),
        );
        return None;
    }
    Some(
        overrides
            .stages
            .iter()
            .map(|&(duration, target)| Stage { duration, target })
            .collect(),
    )
}
