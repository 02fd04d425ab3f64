//! Thresholds: pass/fail criteria on a run's figures (`"p99 < 250ms"`,
//! `"error_rate < 1%"`, `"rate >= 500/s"`), and [`judge`], which holds a [`Summary`](crate::Summary)
//! against them.
//!
//! Pure: an expression is parsed here ([`Expression::parse`], errors as data with the
//! byte offset they concern, so the profile compiler can point at them), and judged on
//! any summary — a whole run, or a window of one. Nothing here reads a clock or a file.
//!
//! ```
//! use klavier_stats::threshold::{Expression, Scope, Threshold};
//!
//! let expression = Expression::parse("p99 < 250ms").unwrap();
//! assert_eq!(expression.bound, 250_000.0); // latencies are in µs
//! let threshold = Threshold { scope: Scope::Run, expression };
//! assert_eq!(threshold.to_string(), "p99 < 250ms");
//! ```

mod judge;
mod parse;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use judge::{judge, Verdict};
pub use parse::{ExpressionError, ExpressionErrorKind, METRIC_NAMES};

/// What a threshold applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole run: the totals row and the run-wide figures (dropped arrivals included).
    Run,
    /// One request row, by name.
    Request(String),
    /// One scenario row, by name (latencies are iteration times).
    Scenario(String),
}

impl Scope {
    /// `"run"`, `"request"` or `"scenario"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Run => "run",
            Scope::Request(_) => "request",
            Scope::Scenario(_) => "scenario",
        }
    }

    /// The row's name, for a request or scenario.
    pub fn name(&self) -> Option<&str> {
        match self {
            Scope::Run => None,
            Scope::Request(name) | Scope::Scenario(name) => Some(name),
        }
    }
}

/// A figure a threshold can bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// A latency figure: response time for the run and requests, iteration time for
    /// scenarios.
    Latency(Latency),
    /// Failures over completed requests (run: dropped arrivals included; scenario:
    /// failed iterations over iterations).
    ErrorRate,
    /// How many failed (run: failed requests plus dropped arrivals).
    Failures,
    /// Completed requests (scenario: iterations) per second.
    Rate,
    /// The share of responses that passed every check.
    Checks,
    /// Responses that failed at least one check.
    CheckFailures,
    /// Open-model arrivals dropped (run only).
    Dropped,
    /// Completed requests (scenario: iterations).
    Count,
}

/// Which latency figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// The smallest.
    Min,
    /// The arithmetic mean.
    Mean,
    /// The largest.
    Max,
    /// The standard deviation.
    Stddev,
    /// A percentile, in percent (`p99.9` is 99.9).
    Percentile(f64),
}

/// What a metric is measured in (the unit of [`Expression::bound`] and of observed values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Microseconds.
    Us,
    /// A fraction from 0 to 1.
    Ratio,
    /// Events per second.
    PerSecond,
    /// A count.
    Count,
}

impl Metric {
    /// The unit of the metric's values.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Latency(_) => Unit::Us,
            Metric::ErrorRate | Metric::Checks => Unit::Ratio,
            Metric::Rate => Unit::PerSecond,
            Metric::Failures | Metric::CheckFailures | Metric::Dropped | Metric::Count => {
                Unit::Count
            }
        }
    }

    /// Whether the metric means something for `scope` (`checks` are per request, dropped
    /// arrivals run-wide).
    pub fn applies_to(self, scope: &Scope) -> bool {
        !matches!(
            (self, scope),
            (Metric::Dropped, Scope::Request(_) | Scope::Scenario(_))
                | (Metric::Checks | Metric::CheckFailures, Scope::Scenario(_))
        )
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Latency(Latency::Min) => f.write_str("min"),
            Metric::Latency(Latency::Mean) => f.write_str("mean"),
            Metric::Latency(Latency::Max) => f.write_str("max"),
            Metric::Latency(Latency::Stddev) => f.write_str("stddev"),
            Metric::Latency(Latency::Percentile(p)) => write!(f, "p{p}"),
            Metric::ErrorRate => f.write_str("error_rate"),
            Metric::Failures => f.write_str("failures"),
            Metric::Rate => f.write_str("rate"),
            Metric::Checks => f.write_str("checks"),
            Metric::CheckFailures => f.write_str("check_failures"),
            Metric::Dropped => f.write_str("dropped"),
            Metric::Count => f.write_str("count"),
        }
    }
}

/// How an observed value compares with the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Comparison {
    /// Whether `observed` compares with `bound` this way.
    pub fn holds(self, observed: f64, bound: f64) -> bool {
        match self {
            Comparison::Less => observed < bound,
            Comparison::LessOrEqual => observed <= bound,
            Comparison::Greater => observed > bound,
            Comparison::GreaterOrEqual => observed >= bound,
            Comparison::Equal => observed == bound,
            Comparison::NotEqual => observed != bound,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
            Comparison::NotEqual => "!=",
        }
    }
}

/// `METRIC OP VALUE`, e.g. `p99 < 250ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    /// The figure bounded.
    pub metric: Metric,
    /// How it must compare.
    pub comparison: Comparison,
    /// The bound, in the metric's [`Unit`] (µs, a fraction, per second, a count).
    pub bound: f64,
    /// The expression as written (trimmed), for reports.
    pub text: String,
}

/// One pass/fail criterion: an expression on a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// What it applies to.
    pub scope: Scope,
    /// What must hold.
    pub expression: Expression,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Scope::Run => write!(f, "{}", self.expression.text),
            scope => write!(
                f,
                "{} {:?}: {}",
                scope.kind(),
                scope.name().unwrap_or_default(),
                self.expression.text
            ),
        }
    }
}

/// How one threshold fared: what the reports show and the JSON result holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// `"run"`, `"request"` or `"scenario"`.
    pub scope: String,
    /// The request's or scenario's name (absent for the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The expression as written, e.g. `"p99 < 250ms"`.
    pub expression: String,
    /// The metric's name, e.g. `"p99"`.
    pub metric: String,
    /// The unit of `bound` and `observed`.
    pub unit: Unit,
    /// The bound, in `unit`.
    pub bound: f64,
    /// The figure the run reached, in `unit`; absent when there was nothing to measure
    /// (no request completed, the row never ran), which fails the threshold.
    pub observed: Option<f64>,
    /// Whether it held.
    pub passed: bool,
}

impl ThresholdResult {
    /// The threshold this result judged, read back from its scope and expression (to
    /// judge a result again, e.g. segments merged into the whole run).
    pub fn threshold(&self) -> Option<Threshold> {
        let scope = match (self.scope.as_str(), &self.name) {
            ("run", _) => Scope::Run,
            ("request", Some(name)) => Scope::Request(name.clone()),
            ("scenario", Some(name)) => Scope::Scenario(name.clone()),
            _ => return None,
        };
        let expression = Expression::parse(&self.expression).ok()?;
        Some(Threshold { scope, expression })
    }
}
