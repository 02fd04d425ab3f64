//! Reading `METRIC OP VALUE` (`p99 < 250ms`, `error_rate < 1%`, `rate >= 500/s`).
//! Errors are data with the byte offset they concern, so the profile compiler can
//! place them in the file and suggest the metric meant.

use std::fmt;

use super::{Comparison, Expression, Latency, Metric, Unit};

/// Every metric name (besides any `pN` percentile), for "did you mean" hints.
pub const METRIC_NAMES: &[&str] = &[
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "p99.9",
    "min",
    "mean",
    "max",
    "stddev",
    "error_rate",
    "failures",
    "rate",
    "checks",
    "check_failures",
    "dropped",
    "count",
];

/// Why an expression does not read, and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpressionError {
    /// Byte offset in the expression text of what is wrong.
    pub at: usize,
    /// What is wrong.
    pub kind: ExpressionErrorKind,
}

/// What is wrong with an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpressionErrorKind {
    /// Nothing is written.
    Empty,
    /// The metric is not one Klavier has.
    UnknownMetric {
        /// As written.
        found: String,
    },
    /// No `<`, `<=`, `>`, `>=`, `==` or `!=` after the metric.
    NoComparison {
        /// What follows the metric instead.
        found: String,
    },
    /// The value is missing or does not fit the metric.
    BadValue {
        /// As written.
        found: String,
        /// The metric.
        metric: String,
        /// What would fit, with examples.
        wanted: &'static str,
    },
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExpressionErrorKind::Empty => f.write_str("the threshold is empty"),
            ExpressionErrorKind::UnknownMetric { found } => write!(f, "unknown metric {found:?}"),
            ExpressionErrorKind::NoComparison { found } => write!(
                f,
                "expected <, <=, >, >=, == or != after the metric, found {found:?}"
            ),
            ExpressionErrorKind::BadValue {
                found,
                metric,
                wanted,
            } => write!(f, "{metric} needs {wanted}, found {found:?}"),
        }
    }
}

impl Expression {
    /// Reads `METRIC OP VALUE`; spaces between the parts are optional.
    pub fn parse(text: &str) -> Result<Expression, ExpressionError> {
        let lead = text.len() - text.trim_start().len();
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(error(0, ExpressionErrorKind::Empty));
        }
        let name_len = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '(' | ')')))
            .unwrap_or(trimmed.len());
        let name = &trimmed[..name_len];
        let metric = metric(name).ok_or_else(|| {
            let found = name.to_owned();
            error(lead, ExpressionErrorKind::UnknownMetric { found })
        })?;
        let rest = &trimmed[name_len..];
        let op_at = lead + name_len + (rest.len() - rest.trim_start().len());
        let rest = rest.trim_start();
        let (comparison, op_len) = comparison(rest).ok_or_else(|| {
            let found = rest.to_owned();
            error(op_at, ExpressionErrorKind::NoComparison { found })
        })?;
        let value = &rest[op_len..];
        let value_at = op_at + op_len + (value.len() - value.trim_start().len());
        let value = value.trim();
        let bound = bound(metric.unit(), value).ok_or_else(|| {
            let kind = ExpressionErrorKind::BadValue {
                found: value.to_owned(),
                metric: name.to_owned(),
                wanted: wanted(metric.unit()),
            };
            error(value_at, kind)
        })?;
        Ok(Expression {
            metric,
            comparison,
            bound,
            text: trimmed.to_owned(),
        })
    }
}

fn error(at: usize, kind: ExpressionErrorKind) -> ExpressionError {
    ExpressionError { at, kind }
}

fn metric(name: &str) -> Option<Metric> {
    let metric = match name.to_ascii_lowercase().as_str() {
        "min" => Metric::Latency(Latency::Min),
        "mean" | "avg" => Metric::Latency(Latency::Mean),
        "max" => Metric::Latency(Latency::Max),
        "stddev" => Metric::Latency(Latency::Stddev),
        "median" => Metric::Latency(Latency::Percentile(50.0)),
        "error_rate" => Metric::ErrorRate,
        "failures" => Metric::Failures,
        "rate" => Metric::Rate,
        "checks" => Metric::Checks,
        "check_failures" => Metric::CheckFailures,
        "dropped" => Metric::Dropped,
        "count" => Metric::Count,
        other => return percentile(other).map(|p| Metric::Latency(Latency::Percentile(p))),
    };
    Some(metric)
}

/// `p99`, `p99.9` or k6's `p(99)`: a percent above 0 and at most 100.
fn percentile(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('p')?;
    let digits = digits
        .strip_prefix('(')
        .and_then(|d| d.strip_suffix(')'))
        .unwrap_or(digits);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let p: f64 = digits.parse().ok()?;
    (p > 0.0 && p <= 100.0).then_some(p)
}

fn comparison(text: &str) -> Option<(Comparison, usize)> {
    // Two-character operators first, so `<=` is not read as `<`.
    let operators = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
        ("=", Comparison::Equal),
    ];
    operators
        .into_iter()
        .find(|(op, _)| text.starts_with(op))
        .map(|(op, comparison)| (comparison, op.len()))
}

/// The value in the metric's unit, or `None` if it does not fit it.
fn bound(unit: Unit, text: &str) -> Option<f64> {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..number_len].parse().ok()?;
    let suffix = text[number_len..].trim();
    let value = match unit {
        Unit::Us => number * micros_per(suffix)?,
        Unit::Ratio => match suffix {
            "%" if number <= 100.0 => number / 100.0,
            "" if number <= 1.0 => number,
            _ => return None,
        },
        Unit::PerSecond => match suffix {
            "" | "/s" => number,
            "/m" | "/min" => number / 60.0,
            _ => return None,
        },
        Unit::Count => match suffix {
            "" if number.fract() == 0.0 => number,
            _ => return None,
        },
    };
    value.is_finite().then_some(value)
}

fn micros_per(unit: &str) -> Option<f64> {
    match unit {
        "us" | "µs" => Some(1.0),
        "ms" => Some(1e3),
        "s" => Some(1e6),
        "m" | "min" => Some(60e6),
        "h" => Some(3600e6),
        _ => None,
    }
}

fn wanted(unit: Unit) -> &'static str {
    match unit {
        Unit::Us => "a duration such as 250ms, 1.5s or 800us",
        Unit::Ratio => "a percentage such as 1% (or a fraction such as 0.01)",
        Unit::PerSecond => "a rate such as 500/s",
        Unit::Count => "a whole number such as 0",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (Metric, Comparison, f64) {
        let e = Expression::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        (e.metric, e.comparison, e.bound)
    }

    fn failed(text: &str) -> ExpressionError {
        Expression::parse(text).expect_err(text)
    }

    #[test]
    fn every_form_of_the_brief_reads() {
        use Comparison::*;
        let p = |x| Metric::Latency(Latency::Percentile(x));
        let table = [
            ("p99 < 250ms", (p(99.0), Less, 250_000.0)),
            ("p95 <= 100ms", (p(95.0), LessOrEqual, 100_000.0)),
            ("p99.9<1s", (p(99.9), Less, 1e6)),
            ("p(90) < 800us", (p(90.0), Less, 800.0)), // k6's spelling
            (
                "mean < 2.5ms",
                (Metric::Latency(Latency::Mean), Less, 2_500.0),
            ),
            ("error_rate < 1%", (Metric::ErrorRate, Less, 0.01)),
            ("error_rate < 0.05", (Metric::ErrorRate, Less, 0.05)), // a fraction
            ("rate >= 500/s", (Metric::Rate, GreaterOrEqual, 500.0)),
            ("rate > 600/m", (Metric::Rate, Greater, 10.0)),
            ("checks > 99%", (Metric::Checks, Greater, 0.99)),
            ("dropped == 0", (Metric::Dropped, Equal, 0.0)),
            ("  failures != 3 ", (Metric::Failures, NotEqual, 3.0)),
            ("count >= 100", (Metric::Count, GreaterOrEqual, 100.0)),
        ];
        for (text, want) in table {
            assert_eq!(parsed(text), want, "{text}");
        }
        assert_eq!(
            Expression::parse("  p99 < 1s ").map(|e| e.text),
            Ok("p99 < 1s".into())
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = failed("p98.5x < 1s");
        assert_eq!(
            (e.at, e.to_string()),
            (0, r#"unknown metric "p98.5x""#.into())
        );
        let e = failed("  latency < 1s");
        assert_eq!(e.at, 2);
        let e = failed("p99 ~ 1s");
        assert_eq!(e.at, 4);
        assert!(e.to_string().contains(r#"found "~ 1s""#), "{e}");
        let e = failed("p99 < 250");
        assert_eq!(e.at, 6);
        assert_eq!(
            e.to_string(),
            r#"p99 needs a duration such as 250ms, 1.5s or 800us, found "250""#
        );
        assert_eq!(failed("error_rate < 2").at, 13); // a fraction above 1
        assert_eq!(failed("error_rate < 150%").at, 13);
        assert!(matches!(
            failed("dropped == 0.5").kind,
            ExpressionErrorKind::BadValue { .. }
        ));
        assert!(matches!(
            failed("rate > 5ms").kind,
            ExpressionErrorKind::BadValue { .. }
        ));
        assert_eq!(
            failed("p101 < 1s").kind,
            ExpressionErrorKind::UnknownMetric {
                found: "p101".into()
            }
        );
        assert_eq!(failed("   ").kind, ExpressionErrorKind::Empty);
        assert!(matches!(
            failed("p99 <").kind,
            ExpressionErrorKind::BadValue { .. }
        ));
    }

    proptest::proptest! {
        /// Whatever is written, reading it answers (never panics) and an error points
        /// inside the text.
        #[test]
        fn never_panics_and_errors_point_inside(text in "[ -~µ%]{0,24}") {
            if let Err(e) = Expression::parse(&text) {
                proptest::prop_assert!(e.at <= text.len());
                proptest::prop_assert!(text.is_char_boundary(e.at));
            }
        }

        /// A latency bound written in milliseconds reads back as that many thousand µs.
        #[test]
        fn milliseconds_are_thousands_of_micros(ms in 0u32..10_000_000) {
            let e = Expression::parse(&format!("p99 < {ms}ms")).expect("valid");
            proptest::prop_assert_eq!(e.bound, f64::from(ms) * 1e3);
        }
    }
}
