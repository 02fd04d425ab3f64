//! The thresholds section of the text summary: each threshold, pass or fail, with the
//! figure the run reached. Written last, where a CI log's reader looks first.

use std::io::{self, Write};

use klavier_stats::threshold::{ThresholdResult, Unit};
use klavier_stats::Summary;

use super::text::shorten;
use super::units::{micros, rate};

/// `Thresholds    2 of 5 failed (exit code 3)`, then a line per threshold.
pub(super) fn write_thresholds<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    let total = s.thresholds.len();
    if failed == 0 {
        writeln!(out, "Thresholds    all {total} passed")?;
    } else {
        writeln!(
            out,
            "Thresholds    {failed} of {total} failed (exit code 3)"
        )?;
    }
    let rows: Vec<(String, &ThresholdResult)> =
        s.thresholds.iter().map(|t| (scope(t), t)).collect();
    let scope_width = rows
        .iter()
        .map(|(s, _)| s.chars().count())
        .max()
        .unwrap_or(0);
    let expression_width = rows
        .iter()
        .map(|(_, t)| t.expression.chars().count())
        .max()
        .unwrap_or(0);
    for (scope, t) in &rows {
        let mark = if t.passed { "ok  " } else { "FAIL" };
        writeln!(
            out,
            "  {mark}  {scope:<scope_width$}  {:<expression_width$}  {}",
            t.expression,
            observed(t)
        )?;
    }
    Ok(())
}

/// `run`, `request GET /api/health`, `scenario login`.
fn scope(t: &ThresholdResult) -> String {
    match &t.name {
        Some(name) => format!("{} {}", t.scope, shorten(name)),
        None => t.scope.clone(),
    }
}

/// The figure reached, in the metric's unit: `was 12.3ms`, or `no data`.
pub(super) fn observed(t: &ThresholdResult) -> String {
    match t.observed {
        Some(value) => format!("was {}", in_unit(value, t.unit)),
        None => "no data (nothing was measured)".to_owned(),
    }
}

fn in_unit(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Us => micros(value),
        Unit::Ratio => format!("{:.2}%", value * 100.0),
        Unit::PerSecond => rate(value),
        Unit::Count => format!("{value:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klavier_stats::threshold::{judge, Expression, Scope, Threshold};

    #[test]
    fn each_threshold_shows_its_mark_scope_and_figure() {
        let mut s = super::super::fixture();
        let parse = |scope: Scope, text: &str| Threshold {
            scope,
            expression: Expression::parse(text).expect("valid"),
        };
        let thresholds = [
            parse(Scope::Run, "p99 < 1h"),
            parse(
                Scope::Request("GET /api/health".into()),
                "error_rate < 0.1%",
            ),
            parse(Scope::Scenario("nobody".into()), "count > 0"),
        ];
        s.thresholds = judge(&s, &thresholds).results;
        let mut out = Vec::new();
        write_thresholds(&s, &mut out).expect("writes to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Thresholds    2 of 3 failed (exit code 3)");
        assert!(
            lines[1].starts_with("  ok    run                      p99 < 1h"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("  FAIL  request GET /api/health  error_rate < 0.1%  was "),
            "{text}"
        );
        assert!(lines[2].ends_with('%'), "{text}");
        assert!(
            lines[3].ends_with("count > 0          no data (nothing was measured)"),
            "{text}"
        );
    }
}
