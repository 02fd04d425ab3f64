//! `[thresholds]` and `--threshold`: pass/fail criteria, each read, placed in the file
//! and held to the plan's request and scenario names, so a typo is a profile error at
//! `klavier check` and never a threshold that silently passes.

use klavier_stats::threshold::{
    Expression, ExpressionError, ExpressionErrorKind, Scope, Threshold, METRIC_NAMES,
};

use super::{parse_duration, Context, Overrides};
use crate::document::Spanned;
use crate::locate::{index, join};
use crate::plan::{Scenario, Thresholds};
use crate::profile::{ExpressionsProfile, ThresholdsProfile};

/// The rows thresholds may name; `None` when the scenarios did not compile (names are
/// then not checked, as their own errors are reported).
pub(super) struct Names<'a> {
    pub requests: &'a [String],
    pub scenarios: &'a [Scenario],
}

/// Compiles the profile's thresholds, then the command line's.
pub(super) fn compile(
    profile: Option<&ThresholdsProfile>,
    overrides: &Overrides,
    names: Option<Names<'_>>,
    cx: &mut Context<'_>,
) -> Thresholds {
    let mut thresholds = Thresholds::default();
    if let Some(profile) = profile {
        from_profile(profile, names.as_ref(), &mut thresholds, cx);
    }
    for text in &overrides.thresholds {
        let flag = overrides.threshold_flag.unwrap_or(FLAG);
        if let Some(threshold) = from_command_line(text, flag, names.as_ref(), cx) {
            thresholds.list.push(threshold);
        }
    }
    thresholds
}

fn from_profile(
    profile: &ThresholdsProfile,
    names: Option<&Names<'_>>,
    thresholds: &mut Thresholds,
    cx: &mut Context<'_>,
) {
    let mut add = |scope: Scope, field: &str, list: &ExpressionsProfile, cx: &mut Context<'_>| {
        for (i, text) in list.iter().enumerate() {
            let field = index(field, i);
            let Some(expression) = expression(text, &field, cx) else {
                continue;
            };
            let threshold = Threshold {
                scope: scope.clone(),
                expression,
            };
            if threshold.expression.metric.applies_to(&scope) {
                thresholds.list.push(threshold);
            } else {
                report_inapplicable(&threshold, Ok((text.span(), field)), cx);
            }
        }
    };
    if let Some(list) = &profile.run {
        add(Scope::Run, "thresholds.run", list, cx);
    }
    for (name, list) in profile.requests.iter().flatten() {
        let field = join("thresholds.requests", name);
        let known = names.map(|n| n.requests.iter().map(String::as_str).collect::<Vec<_>>());
        if check_name(name, known.as_deref(), &field, "request", cx) {
            add(Scope::Request(name.clone()), &field, list, cx);
        }
    }
    for (name, list) in profile.scenarios.iter().flatten() {
        let field = join("thresholds.scenarios", name);
        let known = names.map(|n| {
            n.scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        });
        if check_name(name, known.as_deref(), &field, "scenario", cx) {
            add(Scope::Scenario(name.clone()), &field, list, cx);
        }
    }
    options(profile, thresholds, cx);
}

fn options(profile: &ThresholdsProfile, thresholds: &mut Thresholds, cx: &mut Context<'_>) {
    thresholds.abort_on_fail = profile.abort_on_fail.as_ref().is_some_and(|a| *a.get_ref());
    if let Some(delay) = &profile.delay {
        let field = "thresholds.delay";
        if let Some(d) = parse_duration(&delay.get_ref().0, delay.span(), field, cx) {
            thresholds.delay = d;
        }
        if !thresholds.abort_on_fail {
            cx.error_help(
                delay.span(),
                field,
                "delay only applies with abort_on_fail = true",
                "set abort_on_fail = true to stop the run when a threshold fails, or remove delay",
            );
        }
    }
}

/// Reads one expression of the profile, reporting an error where it is in the file.
fn expression(text: &Spanned<String>, field: &str, cx: &mut Context<'_>) -> Option<Expression> {
    match Expression::parse(text.get_ref()) {
        Ok(expression) => Some(expression),
        Err(e) => {
            let span = text.span();
            // Inside a plain "…" string, point at the offending character itself.
            let written = cx.source.get(span.start + 1..span.end.saturating_sub(1));
            let at = if written == Some(text.get_ref().as_str()) {
                span.start + 1 + e.at
            } else {
                span.start
            };
            let (message, help) = explain(&e);
            match help {
                Some(help) => cx.error_help(at..at, field, message, help),
                None => cx.error(at..at, field, message),
            };
            None
        }
    }
}

/// The message and, where there is one, the fix.
fn explain(e: &ExpressionError) -> (String, Option<String>) {
    let help = match &e.kind {
        ExpressionErrorKind::UnknownMetric { found } => Some(match closest(found, METRIC_NAMES) {
            Some(close) => format!("did you mean {close:?}?"),
            None => format!("metrics: {}, or any pN", METRIC_NAMES.join(", ")),
        }),
        ExpressionErrorKind::Empty | ExpressionErrorKind::NoComparison { .. } => {
            Some(r#"write METRIC OP VALUE, e.g. "p99 < 250ms" or "error_rate < 1%""#.to_owned())
        }
        ExpressionErrorKind::BadValue { .. } => None,
    };
    (e.to_string(), help)
}

/// Whether `name` is a row of its kind; reports it (with the name meant) if not.
fn check_name(
    name: &str,
    known: Option<&[&str]>,
    field: &str,
    kind: &str,
    cx: &mut Context<'_>,
) -> bool {
    let Some(known) = known else { return true };
    if known.contains(&name) {
        return true;
    }
    let help = unknown_name_help(name, known, kind);
    let span = cx.span_of(field);
    cx.error_help(span, field, format!("no {kind} is named {name:?}"), help);
    false
}

fn unknown_name_help(name: &str, known: &[&str], kind: &str) -> String {
    match closest(name, known) {
        Some(close) => format!("did you mean {close:?}?"),
        None => format!("{kind}s: {}", quoted(known)),
    }
}

fn quoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    quoted.join(", ")
}

/// The candidate most like `written`, if one is alike enough to be a typo of it.
fn closest<'a>(written: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let written = written.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&written, &c.to_lowercase()), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `place` is the threshold's place in the file, or the flag it came from.
fn report_inapplicable(
    t: &Threshold,
    place: Result<(crate::error::Span, String), &str>,
    cx: &mut Context<'_>,
) {
    let metric = t.expression.metric;
    let message = format!("{metric} is not measured per {}", t.scope.kind());
    let help = "bound it on the whole run ([thresholds] run) or on a request";
    match place {
        Ok((span, field)) => cx.error_help(span, field, message, help),
        Err(flag) => cx.cli_error(flag, format!("{message}: {help}")),
    };
}

const FLAG: &str = "--threshold";

/// `--threshold "p99 < 250ms"`, `--threshold "request login: p95 < 100ms"` or
/// `--threshold 'scenario journey: error_rate < 5%'` (a name may be quoted).
fn from_command_line(
    text: &str,
    flag: &str,
    names: Option<&Names<'_>>,
    cx: &mut Context<'_>,
) -> Option<Threshold> {
    let (scope, written) = match split_scope(text) {
        Some((kind, name, expression)) => {
            let known: Option<Vec<&str>> = names.map(|n| match kind {
                "request" => n.requests.iter().map(String::as_str).collect(),
                _ => n.scenarios.iter().map(|s| s.name.as_str()).collect(),
            });
            if let Some(known) = known.filter(|k| !k.contains(&name)) {
                let help = unknown_name_help(name, &known, kind);
                cx.cli_error(flag, format!("no {kind} is named {name:?}: {help}"));
                return None;
            }
            let scope = match kind {
                "request" => Scope::Request(name.to_owned()),
                _ => Scope::Scenario(name.to_owned()),
            };
            (scope, expression)
        }
        None => (Scope::Run, text),
    };
    let expression = match Expression::parse(written) {
        Ok(expression) => expression,
        Err(e) => {
            let (message, help) = explain(&e);
            let help = help.map_or(String::new(), |h| format!(" ({h})"));
            cx.cli_error(flag, format!("{text:?}: {message}{help}"));
            return None;
        }
    };
    let threshold = Threshold { scope, expression };
    if !threshold.expression.metric.applies_to(&threshold.scope) {
        report_inapplicable(&threshold, Err(flag), cx);
        return None;
    }
    Some(threshold)
}

/// `request NAME: EXPR` or `scenario NAME: EXPR` → (kind, name, expression). Names may
/// hold colons (`GET /a:b`): expressions never do, so the last colon splits.
fn split_scope(text: &str) -> Option<(&'static str, &str, &str)> {
    let trimmed = text.trim_start();
    let (kind, rest) = if let Some(rest) = trimmed.strip_prefix("request ") {
        ("request", rest)
    } else {
        ("scenario", trimmed.strip_prefix("scenario ")?)
    };
    let (name, expression) = rest.rsplit_once(':')?;
    let name = name.trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name);
    Some((kind, name, expression))
}
