//! What a preview warns about: plans that will not do what they seem to say. Each
//! warning is data; its text (`Display`) says what, by how much, and what follows.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::data::{OnExhausted, Per};
use crate::load::Load;
use crate::plan::Plan;

use super::exhaust::RunOut;
use super::{expect, Model, Preview, Shape};

/// One thing that looks wrong with a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// The warm-up takes at least half the test (compile refuses one as long as it).
    LongWarmup {
        /// The warm-up, in seconds.
        warmup: f64,
        /// The test, in seconds.
        duration: f64,
    },
    /// `min_scenario_interval` is at least the test: each user starts one iteration.
    PacingLongerThanTest {
        /// The interval, in seconds.
        interval: f64,
        /// The test, in seconds.
        duration: f64,
    },
    /// The open model starts iterations at arrivals: scenario pacing does nothing.
    PacingIgnored,
    /// One iteration of a scenario outlasts the test.
    IterationLongerThanTest {
        /// The scenario.
        scenario: String,
        /// Its iteration, in seconds.
        iteration: f64,
        /// The test, in seconds.
        duration: f64,
    },
    /// A scenario is expected to run less than once in the whole test.
    RarelyRuns {
        /// The scenario.
        scenario: String,
        /// Its expected iterations.
        expected: f64,
    },
    /// A `unique` feeder has fewer rows than the test draws.
    DataRunsOut {
        /// The feeder.
        feeder: String,
        /// Its rows.
        rows: usize,
        /// When the first draw finds none left, in seconds.
        at: f64,
        /// Drawn per iteration or per user.
        per: Per,
        /// What happens then.
        on_exhausted: OnExhausted,
    },
    /// A stage is shorter than a mean think time: few users finish a pause within it.
    StageShorterThanThink {
        /// The stage, from 1.
        stage: usize,
        /// Its length, in seconds.
        length: f64,
        /// `think_time` or `scenario_think_time`.
        which: &'static str,
        /// The think time's mean, in seconds.
        mean: f64,
    },
    /// The open model needs more users at once than `max_users` allows.
    PoolTooSmall {
        /// Busy users at the peak, at the assumed latency.
        needed: u32,
        /// `max_users`.
        max_users: u32,
    },
    /// More file descriptors than the hard open-file limit.
    TooFewFileDescriptors {
        /// Descriptors needed at the peak.
        needed: u64,
        /// The hard limit.
        hard: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::LongWarmup { warmup, duration } => write!(
                f,
                "the warm-up ({}) is {:.0}% of the {} test: only the last {} is measured",
                human(*warmup),
                100.0 * warmup / duration,
                human(*duration),
                human(duration - warmup),
            ),
            Warning::PacingLongerThanTest { interval, duration } => write!(
                f,
                "min_scenario_interval ({}) is not shorter than the test ({}): each user \
                 starts one iteration",
                human(*interval),
                human(*duration),
            ),
            Warning::PacingIgnored => f.write_str(
                "the open model starts an iteration at each arrival: min_scenario_interval \
                 and scenario_think_time have no effect",
            ),
            Warning::IterationLongerThanTest {
                scenario,
                iteration,
                duration,
            } => write!(
                f,
                "scenario {scenario:?}: one iteration takes {}, longer than the {} test: \
                 its later requests are never sent",
                human(*iteration),
                human(*duration),
            ),
            Warning::RarelyRuns { scenario, expected } => write!(
                f,
                "scenario {scenario:?} is expected to run {expected:.2} times in the whole \
                 test: it may never run (raise its weight or the test's length)",
            ),
            Warning::DataRunsOut {
                feeder,
                rows,
                at,
                per,
                on_exhausted,
            } => {
                let per = match per {
                    Per::Iteration => "one per iteration",
                    Per::User => "one per user",
                };
                let then = match on_exhausted {
                    OnExhausted::Stop => "then users that need a row stop (so do the totals here)",
                    OnExhausted::Recycle => "then rows are used again",
                };
                write!(
                    f,
                    "data {feeder:?}: its {rows} unique rows ({per}) run out after {}, in \
                     minute {}; {then}",
                    human(*at),
                    (at / 60.0).floor() as u64 + 1,
                )
            }
            Warning::StageShorterThanThink {
                stage,
                length,
                which,
                mean,
            } => write!(
                f,
                "stage {stage} lasts {}, shorter than the {which} (mean {}): few users \
                 finish a pause within it",
                human(*length),
                human(*mean),
            ),
            Warning::PoolTooSmall { needed, max_users } => write!(
                f,
                "at the peak rate about {needed} users are busy at once, more than \
                 max_users = {max_users}: arrivals will queue and be dropped"
            ),
            Warning::TooFewFileDescriptors { needed, hard } => write!(
                f,
                "about {needed} file descriptors are needed, more than the hard open-file \
                 limit ({hard}): connections beyond it fail; raise it (`ulimit -Hn` as \
                 root, or LimitNOFILE= for a service)"
            ),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A duration in seconds as people read it, to the millisecond.
pub(super) fn human(seconds: f64) -> String {
    let rounded = Duration::from_millis((seconds.max(0.0) * 1000.0).round() as u64);
    humantime::format_duration(rounded).to_string()
}

/// Every warning for `plan`, given its preview's figures.
pub(super) fn find(
    plan: &Plan,
    model: &Model<'_>,
    shapes: &[Shape],
    run_outs: &[RunOut],
    preview: &Preview,
) -> Vec<Warning> {
    let mut found = Vec::new();
    found.extend(timing(plan, model));
    found.extend(scenarios(plan, model, shapes, preview));
    found.extend(data(run_outs));
    found.extend(stages(plan));
    found.extend(capacity(plan, preview));
    found
}

fn timing(plan: &Plan, model: &Model<'_>) -> Vec<Warning> {
    let timings = &plan.timings;
    let (warmup, duration) = (timings.warmup.as_secs_f64(), model.end);
    let interval = timings.min_scenario_interval.as_secs_f64();
    let paced = interval > 0.0 || timings.scenario_think_time.is_some();
    let closed = matches!(plan.load, Load::Closed { .. });
    let mut found = Vec::new();
    if warmup > 0.0 && warmup * 2.0 >= duration {
        found.push(Warning::LongWarmup { warmup, duration });
    }
    if closed && interval >= duration {
        found.push(Warning::PacingLongerThanTest { interval, duration });
    }
    if !closed && paced {
        found.push(Warning::PacingIgnored);
    }
    found
}

fn scenarios(plan: &Plan, model: &Model<'_>, shapes: &[Shape], preview: &Preview) -> Vec<Warning> {
    let mut found = Vec::new();
    for ((scenario, shape), forecast) in plan.scenarios.iter().zip(shapes).zip(&preview.scenarios) {
        if shape.duration > model.end {
            found.push(Warning::IterationLongerThanTest {
                scenario: scenario.name.clone(),
                iteration: shape.duration,
                duration: model.end,
            });
        }
        if forecast.total < 1.0 {
            found.push(Warning::RarelyRuns {
                scenario: scenario.name.clone(),
                expected: forecast.total,
            });
        }
    }
    found
}

/// `unique` feeders whose rows the test uses up, and when.
fn data(run_outs: &[RunOut]) -> Vec<Warning> {
    run_outs
        .iter()
        .map(|r| Warning::DataRunsOut {
            feeder: r.feeder.clone(),
            rows: r.rows,
            at: r.at,
            per: r.per,
            on_exhausted: r.on_exhausted,
        })
        .collect()
}

/// Stages shorter than a mean think time (a zero-length stage is a jump, meant so).
fn stages(plan: &Plan) -> Vec<Warning> {
    let ramp = match &plan.load {
        Load::Closed { users } => users,
        Load::Open { rate, .. } => rate,
    };
    let thinks = [
        ("think_time", expect::mean(plan.timings.think_time.as_ref())),
        (
            "scenario_think_time",
            expect::mean(plan.timings.scenario_think_time.as_ref()),
        ),
    ];
    let mut found = Vec::new();
    for (i, stage) in ramp.stages().iter().enumerate() {
        let length = stage.duration.as_secs_f64();
        let longest = thinks
            .iter()
            .filter(|&&(_, mean)| length > 0.0 && length < mean)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(&(which, mean)) = longest {
            found.push(Warning::StageShorterThanThink {
                stage: i + 1,
                length,
                which,
                mean,
            });
        }
    }
    found
}

fn capacity(plan: &Plan, preview: &Preview) -> Vec<Warning> {
    let mut found = Vec::new();
    if let Load::Open {
        rate, max_users, ..
    } = &plan.load
    {
        let mean_duration: f64 = preview
            .scenarios
            .iter()
            .map(|s| s.share * s.iteration_seconds)
            .sum();
        let needed = (rate.peak() * mean_duration).ceil() as u32;
        if needed > max_users.get() {
            found.push(Warning::PoolTooSmall {
                needed,
                max_users: max_users.get(),
            });
        }
    }
    let connections = &preview.connections;
    if let Some(hard) = connections.hard_limit {
        if connections.file_descriptors > hard {
            found.push(Warning::TooFewFileDescriptors {
                needed: connections.file_descriptors,
                hard,
            });
        }
    }
    found
}
