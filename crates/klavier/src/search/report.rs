//! What the search found: a line per step while it runs, the table and capacity at the
//! end, and the JSON document of every step (`klavier.search/v1`).

use std::io::{self, Write};

use klavier_stats::threshold::ThresholdResult;
use klavier_stats::Summary;
use serde::Serialize;

use super::args::SearchArgs;
use super::machine::{Outcome, Verdict};
use super::step::{seconds, Step, Stepper};
use crate::report::{SearchPage, SearchStep};

/// The JSON document's schema name.
pub const SCHEMA: &str = "klavier.search/v1";

/// The whole search as JSON.
#[derive(Serialize)]
pub struct Document<'a> {
    schema: &'static str,
    klavier_version: &'static str,
    profile: &'a str,
    target: &'a str,
    slos: Vec<String>,
    settings: Settings,
    /// `null` when the search was stopped by a signal before it concluded.
    outcome: Option<&'a Outcome>,
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct Settings {
    /// `open` (steps are arrival rates) or `closed` (steps are users).
    model: &'static str,
    from: f64,
    max: f64,
    tolerance: f64,
    step_duration_seconds: f64,
    warmup_seconds: f64,
    cooldown_seconds: f64,
    max_drain_seconds: f64,
}

#[derive(Serialize)]
struct StepJson<'a> {
    number: usize,
    /// The arrival rate asked for (the open model), else `null`.
    rate: Option<f64>,
    /// The users run (the closed model), else `null`.
    users: Option<u64>,
    verdict: Verdict,
    reason: &'a str,
    #[serde(flatten)]
    figures: Figures,
    slos: &'a [ThresholdResult],
    /// The wait for the previous step's queue to drain, when that step did not pass.
    drain: Option<DrainJson>,
    /// The step's full result (`klavier.result/v1`), warm-up apart.
    result: &'a Summary,
}

#[derive(Serialize)]
struct DrainJson {
    seconds: f64,
    probes: usize,
    rate: f64,
    drained: bool,
}

/// The figures of the table.
#[derive(Serialize)]
struct Figures {
    achieved_rate: f64,
    requests: u64,
    p50_ms: f64,
    p99_ms: f64,
    error_rate: f64,
    dropped: u64,
}

impl Figures {
    /// The figures of a step: its achieved rate is started arrivals a second in the
    /// open model, requests a second in the closed one.
    fn of(summary: &Summary) -> Self {
        let totals = &summary.totals;
        Figures {
            achieved_rate: summary
                .arrivals
                .as_ref()
                .map_or(totals.rate_per_second, |a| a.rate_per_second),
            requests: totals.count,
            p50_ms: totals.response_time.p50_us as f64 / 1000.0,
            p99_ms: totals.response_time.p99_us as f64 / 1000.0,
            error_rate: summary.failures.ratio,
            dropped: summary.arrivals.as_ref().map_or(0, |a| a.dropped),
        }
    }
}

impl<'a> Document<'a> {
    /// The document of `steps` and, if the search concluded, its outcome.
    pub fn new(
        args: &SearchArgs,
        stepper: &'a Stepper,
        steps: &'a [Step],
        outcome: Option<&'a Outcome>,
    ) -> Self {
        Document {
            schema: SCHEMA,
            klavier_version: env!("CARGO_PKG_VERSION"),
            profile: &stepper.name,
            target: &stepper.target,
            slos: stepper.slos.iter().map(|t| t.to_string()).collect(),
            settings: Settings {
                model: if args.users { "closed" } else { "open" },
                from: args.from,
                max: args.max,
                tolerance: args.tolerance,
                step_duration_seconds: seconds(args.step_duration),
                warmup_seconds: seconds(args.warmup),
                cooldown_seconds: seconds(args.cooldown),
                max_drain_seconds: seconds(args.max_drain),
            },
            outcome,
            steps: steps
                .iter()
                .map(|s| StepJson {
                    number: s.number,
                    rate: (!args.users).then_some(s.rate),
                    users: args.users.then_some(s.rate as u64),
                    verdict: s.judged.verdict,
                    reason: &s.judged.reason,
                    figures: Figures::of(&s.summary),
                    slos: &s.judged.slos,
                    drain: s.drain.as_ref().map(|d| DrainJson {
                        seconds: seconds(d.waited),
                        probes: d.probes,
                        rate: d.rate,
                        drained: d.drained,
                    }),
                    result: &s.summary,
                })
                .collect(),
        }
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::Inconclusive => "inconclusive",
    }
}

/// What a step's level counts: arrivals a second, or users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// The open model: arrivals per second.
    Rate,
    /// The closed model: concurrent users.
    Users,
}

impl Unit {
    /// The unit of `args`.
    pub fn of(args: &SearchArgs) -> Self {
        if args.users {
            Unit::Users
        } else {
            Unit::Rate
        }
    }

    /// `200.0/s` or `16 users`.
    pub fn label(self, level: f64) -> String {
        match self {
            Unit::Rate => format!("{level:.1}/s"),
            Unit::Users if level == 1.0 => "1 user".to_owned(),
            Unit::Users => format!("{level:.0} users"),
        }
    }

    /// The label right-aligned in `width`.
    fn level(self, level: f64, width: usize) -> String {
        format!("{:>width$}", self.label(level))
    }
}

/// `step 3   200.0/s  p50 5.1ms  p99 7.9ms  errors 0.00%  pass`, as it finishes.
pub fn progress_line(step: &Step, unit: Unit) -> String {
    let f = Figures::of(&step.summary);
    let mut line = format!(
        "step {:>2} {}  p50 {:>8.1}ms  p99 {:>8.1}ms  errors {:>6.2}%  {}",
        step.number,
        unit.level(step.rate, 11),
        f.p50_ms,
        f.p99_ms,
        f.error_rate * 100.0,
        verdict_word(step.judged.verdict)
    );
    if !step.judged.reason.is_empty() {
        line.push_str(&format!(": {}", step.judged.reason));
    }
    line
}

/// The table of every step, then the capacity and its bracket.
pub fn write_table(
    steps: &[Step],
    outcome: Option<&Outcome>,
    unit: Unit,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (level, achieved) = match unit {
        Unit::Rate => ("rate/s", "achieved/s"),
        Unit::Users => ("users", "requests/s"),
    };
    writeln!(
        out,
        "{:>4} {:>10} {:>10} {:>10} {:>10} {:>8}  verdict",
        "step", level, achieved, "p50 ms", "p99 ms", "errors"
    )?;
    for step in steps {
        let f = Figures::of(&step.summary);
        let level = match unit {
            Unit::Rate => format!("{:.1}", step.rate),
            Unit::Users => format!("{:.0}", step.rate),
        };
        writeln!(
            out,
            "{:>4} {:>10} {:>10.1} {:>10.1} {:>10.1} {:>7.2}%  {}",
            step.number,
            level,
            f.achieved_rate,
            f.p50_ms,
            f.p99_ms,
            f.error_rate * 100.0,
            verdict_word(step.judged.verdict)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", conclusion(outcome, unit, steps))
}

/// The page `--html` writes.
pub fn html_page(
    args: &SearchArgs,
    stepper: &Stepper,
    steps: &[Step],
    outcome: Option<&Outcome>,
) -> SearchPage {
    let unit = Unit::of(args);
    SearchPage {
        profile: stepper.name.clone(),
        target: stepper.target.clone(),
        slos: stepper.slos.iter().map(|t| t.to_string()).collect(),
        users: args.users,
        conclusion: conclusion(outcome, unit, steps),
        steps: steps
            .iter()
            .map(|s| {
                let f = Figures::of(&s.summary);
                SearchStep {
                    number: s.number,
                    level: s.rate,
                    achieved: f.achieved_rate,
                    p50_us: f.p50_ms * 1000.0,
                    p99_us: f.p99_ms * 1000.0,
                    error_rate: f.error_rate,
                    verdict: match s.judged.verdict {
                        Verdict::Pass => "pass",
                        Verdict::Fail => "fail",
                        Verdict::Inconclusive => "inconclusive",
                    },
                    reason: s.judged.reason.clone(),
                }
            })
            .collect(),
    }
}

/// The answer in one sentence.
fn conclusion(outcome: Option<&Outcome>, unit: Unit, steps: &[Step]) -> String {
    let at = |level: f64| unit.label(level);
    // In the closed model the answer is a number of users; what they achieved is the
    // throughput a reader wants beside it.
    let throughput = |level: f64| match unit {
        Unit::Rate => String::new(),
        Unit::Users => steps
            .iter()
            .rev()
            .find(|s| s.rate == level && s.judged.verdict == Verdict::Pass)
            .map(|s| format!(", {:.1} requests/s", Figures::of(&s.summary).achieved_rate))
            .unwrap_or_default(),
    };
    let with = match unit {
        Unit::Rate => "at",
        Unit::Users => "with",
    };
    match outcome {
        None => "stopped before the search concluded".to_owned(),
        Some(Outcome::Found {
            low,
            high,
            generator_limited,
        }) => {
            let above = if *generator_limited {
                "the generator, not the server, fell short"
            } else {
                "they are missed"
            };
            format!(
                "capacity: {}{} (the SLOs are met {with} {}; {with} {} {above})",
                at(*low),
                throughput(*low),
                at(*low),
                at(*high)
            )
        }
        Some(Outcome::AtLeastMax { max }) => format!(
            "capacity: at least {}{} (every step up to --max passed)",
            at(*max),
            throughput(*max)
        ),
        Some(Outcome::BelowFirst { from }) => {
            format!(
                "capacity: below {} (the first step missed the SLOs)",
                at(*from)
            )
        }
        Some(Outcome::Unmeasurable { from }) => {
            format!(
                "no capacity: the first step ({}) could not be measured",
                at(*from)
            )
        }
        Some(Outcome::OutOfSteps { low, high }) => format!(
            "out of steps: capacity between {} and {} (not narrowed to the tolerance)",
            low.map_or("?".to_owned(), at),
            high.map_or("?".to_owned(), at)
        ),
    }
}
