//! The compiled plan as plain text, for `klavier check`: what will run, after defaults and
//! overrides, so a user can see what the profile means before running it.

use std::fmt;
use std::time::Duration;

use crate::dynamic::SessionPlan;
use crate::load::{Arrivals, Load, Ramp};
use crate::plan::HttpVersion;
use crate::plan::{Plan, Request, Run, Scenario, Target, Thresholds, Timings};

/// Width of the label column in the settings sections.
const LABEL: usize = 18;

impl fmt::Display for Plan {
    /// Sections for the target, load, timings and scenarios, aligned, without colour.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan {:?}", self.name)?;
        write_target(f, &self.target)?;
        write_load(f, &self.load, self.seed)?;
        write_timings(f, &self.timings)?;
        self.session.describe(f)?;
        write_scenarios(f, &self.scenarios, &self.session, &self.target.redact)?;
        write_thresholds(f, &self.thresholds)
    }
}

fn write_thresholds(f: &mut fmt::Formatter<'_>, thresholds: &Thresholds) -> fmt::Result {
    if thresholds.list.is_empty() {
        return Ok(());
    }
    writeln!(f, "thresholds (exit code 3 when one fails)")?;
    for threshold in &thresholds.list {
        writeln!(f, "  {threshold}")?;
    }
    if thresholds.abort_on_fail {
        let delay = human(thresholds.delay);
        row(
            f,
            "abort on fail",
            format_args!("yes, judged each second after {delay}"),
        )?;
    }
    Ok(())
}

fn row(f: &mut fmt::Formatter<'_>, label: &str, value: impl fmt::Display) -> fmt::Result {
    writeln!(f, "  {label:<LABEL$}{value}")
}

fn human(duration: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(duration)
}

fn write_target(f: &mut fmt::Formatter<'_>, target: &Target) -> fmt::Result {
    writeln!(f, "target")?;
    row(
        f,
        "base URL",
        crate::redact::url(&target.base_url, &target.redact),
    )?;
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let version = match (target.client.http, target.tls) {
        (HttpVersion::Http1, _) | (HttpVersion::Auto, false) => "HTTP/1.1",
        (HttpVersion::Http2, _) => "HTTP/2",
        (HttpVersion::H2c, _) => "cleartext HTTP/2",
        (HttpVersion::Auto, true) => "HTTP/2 or HTTP/1.1 (ALPN)",
    };
    let security = match (target.tls, target.insecure) {
        (false, _) => format!("plain {version}"),
        (true, false) => format!("{version} over TLS, certificates verified"),
        (true, true) => format!("{version} over TLS, certificates NOT verified (insecure)"),
    };
    row(
        f,
        "connect to",
        format_args!("{host}:{}, {security}", target.port),
    )?;
    if let Some(ca_file) = &target.ca_file {
        row(f, "extra CA file", ca_file.display())?;
    }
    row(f, "request timeout", human(target.timeout))
}

fn write_load(f: &mut fmt::Formatter<'_>, load: &Load, seed: Option<u64>) -> fmt::Result {
    writeln!(f, "load")?;
    match load {
        Load::Closed { users } if users.is_constant() => {
            row(f, "users", format_args!("{} (closed model)", users.start()))?
        }
        Load::Closed { users } => {
            row(f, "users", "closed model, over time:")?;
            write_stages(f, users, "users")?;
        }
        Load::Open {
            rate,
            max_users,
            arrivals,
        } => {
            let process = match arrivals {
                Arrivals::Uniform => "uniform",
                Arrivals::Poisson => "poisson",
            };
            if rate.stages().is_empty() {
                row(
                    f,
                    "arrival rate",
                    format_args!("{}/s (open model, {process})", rate.start()),
                )?;
            } else {
                row(
                    f,
                    "arrival rate",
                    format_args!("open model, {process}, from {}/s:", rate.start()),
                )?;
                write_stages(f, rate, "/s")?;
            }
            row(f, "max users", max_users)?;
        }
    }
    match seed {
        Some(seed) => row(f, "seed", seed),
        None => row(f, "seed", "random, chosen at start"),
    }
}

fn write_stages(f: &mut fmt::Formatter<'_>, ramp: &Ramp, unit: &str) -> fmt::Result {
    let mut at = Duration::ZERO;
    for stage in ramp.stages() {
        let end = at + stage.duration;
        let unit = if unit.starts_with('/') {
            unit.to_owned()
        } else {
            format!(" {unit}")
        };
        row(
            f,
            "",
            format_args!("{} → {}: to {}{unit}", human(at), human(end), stage.target),
        )?;
        at = end;
    }
    Ok(())
}

fn write_timings(f: &mut fmt::Formatter<'_>, timings: &Timings) -> fmt::Result {
    writeln!(f, "timings")?;
    row(f, "duration", human(timings.duration))?;
    let at_least = |d: Duration| match d.is_zero() {
        true => "no minimum".to_owned(),
        false => format!("at least {}", human(d)),
    };
    row(
        f,
        "scenario starts",
        at_least(timings.min_scenario_interval),
    )?;
    row(f, "request starts", at_least(timings.min_request_interval))?;
    if let Some(think) = &timings.think_time {
        row(f, "think time", think)?;
    }
    if let Some(think) = &timings.scenario_think_time {
        row(f, "scenario think", think)?;
    }
    if !timings.warmup.is_zero() {
        row(f, "warm-up", human(timings.warmup))?;
    }
    row(f, "graceful stop", human(timings.graceful_stop))
}

fn write_scenarios(
    f: &mut fmt::Formatter<'_>,
    scenarios: &[Scenario],
    session: &SessionPlan,
    redact: &[String],
) -> fmt::Result {
    let total: u64 = scenarios.iter().map(|s| u64::from(s.loop_weight())).sum();
    let count = scenarios.len();
    writeln!(f, "scenarios ({count}, total weight {total})")?;
    let name_width = scenarios.iter().map(|s| s.name.chars().count()).max();
    let weight_width = scenarios
        .iter()
        .map(|s| s.weight.get().to_string().len())
        .max();
    let (name_width, weight_width) = (name_width.unwrap_or(0), weight_width.unwrap_or(0));
    for scenario in scenarios {
        let weight = scenario.weight.get();
        let share = 100.0 * f64::from(weight) / total.max(1) as f64;
        match scenario.run {
            Run::Loop => writeln!(
                f,
                "  {:<name_width$}  weight {weight:>weight_width$}  ({share:.1}%)",
                scenario.name
            )?,
            Run::Once => writeln!(
                f,
                "  {:<name_width$}  once, at each user's start (open model: each arrival's)",
                scenario.name
            )?,
            Run::Last => writeln!(
                f,
                "  {:<name_width$}  last, at each user's end, within the graceful stop (open model: each arrival's)",
                scenario.name
            )?,
        }
        for (i, (request, group)) in scenario.requests.iter().zip(&scenario.parallel).enumerate() {
            write_request(f, &format!("{}.", i + 1), request, session, redact)?;
            // Sent together once it is answered: numbered under it.
            for (j, request) in group.iter().enumerate() {
                write_request(
                    f,
                    &format!("  {}.{}", i + 1, j + 1),
                    request,
                    session,
                    redact,
                )?;
            }
        }
    }
    Ok(())
}

fn write_request(
    f: &mut fmt::Formatter<'_>,
    number: &str,
    request: &Request,
    session: &SessionPlan,
    redact: &[String],
) -> fmt::Result {
    let dynamic = request.dynamic.as_deref();
    // A templated URI as written, not its compile-time stand-in.
    let uri = match dynamic.and_then(|d| d.template.as_ref()?.uri.as_ref()) {
        Some(text) => session.templates.describe(text),
        None => request.uri.to_string(),
    };
    let uri = crate::redact::url(&uri, redact);
    write!(
        f,
        "    {number} {} {uri}  [{}]",
        request.method, request.name
    )?;
    let mut details = Vec::new();
    match request.headers.len() {
        0 => {}
        1 => details.push("1 header".to_owned()),
        n => details.push(format!("{n} headers")),
    }
    let templated_body =
        dynamic.is_some_and(|d| d.template.as_ref().is_some_and(|t| t.body.is_some()));
    if templated_body {
        details.push("templated body".to_owned());
    } else if !request.body.is_empty() {
        details.push(format!("body {} B", request.body.len()));
    }
    if let Some(dynamic) = dynamic {
        details.extend(SessionPlan::request_details(dynamic));
    }
    if details.is_empty() {
        writeln!(f)
    } else {
        writeln!(f, "  {}", details.join(", "))
    }
}
