//! The plan preview (`klavier check --dry-run`): what a plan will do, predicted without
//! sending anything. Per phase of the load its level; per scenario and per request the
//! expected rate and total; the connections and file descriptors it needs; and warnings
//! about plans that will not do what they seem to say.
//!
//! The closed model follows Little's law: a user's iterations come one `cycle` apart
//! (`iteration::shape`, at an assumed latency per exchange), so `N` users make
//! `N / mean cycle` iterations a second, split by weight. The open model starts
//! iterations at the arrival rate whatever the latency. Pure: the caller supplies the
//! latency to assume and the process's open-file limits.

mod exhaust;
mod expect;
mod iteration;
mod volume;
mod warnings;

#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::Serialize;

use crate::load::Load;
use crate::plan::Plan;

pub use iteration::Shape;
pub use warnings::Warning;

/// What the prediction takes as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assumptions {
    /// How long every exchange takes (request sent to response received).
    pub latency: Duration,
    /// Worker threads the run would use (each costs a few file descriptors).
    pub threads: usize,
    /// The process's open-file limits (soft, hard), if known.
    pub open_files: Option<(u64, u64)>,
}

/// The prediction. Times and rates are seconds and per-second floats: they are
/// expectations, not schedules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// `"closed"` (a population of users) or `"open"` (iterations at a rate).
    pub model: &'static str,
    /// The latency assumed for every exchange.
    pub assumed_latency_seconds: f64,
    /// How long users start new requests.
    pub duration_seconds: f64,
    /// The warm-up at the start (measured apart), zero if none.
    pub warmup_seconds: f64,
    /// The load's phases within the test.
    pub phases: Vec<Phase>,
    /// Per scenario, in the plan's order.
    pub scenarios: Vec<ScenarioForecast>,
    /// Per request name (statistics row), in the plan's order.
    pub requests: Vec<RequestForecast>,
    /// Connections and file descriptors at the peak.
    pub connections: Connections,
    /// What looks wrong, in the order checked.
    pub warnings: Vec<Warning>,
}

/// One phase of the load: a stage, the hold after the last stage, or the whole test
/// at a constant level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    /// The stage it is, from 1; `None` for the level that holds after the last stage
    /// (or the whole test, without stages).
    pub stage: Option<usize>,
    /// When it starts, from the start of the test.
    pub start_seconds: f64,
    /// How long it lasts within the test.
    pub duration_seconds: f64,
    /// Users (closed) or arrivals per second (open) at its start.
    pub from: f64,
    /// The same at its end.
    pub to: f64,
    /// Expected requests per second (all names) at its end level.
    pub requests_per_second: f64,
}

/// One scenario's expectations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioForecast {
    /// Its name.
    pub name: String,
    /// The share of iterations it gets (weight / sum of weights).
    pub share: f64,
    /// Requests an iteration sends, parallel ones included.
    pub requests_per_iteration: usize,
    /// From the first request's start to the last response.
    pub iteration_seconds: f64,
    /// From one iteration's start to the same user's next (closed model; the open
    /// model's users take the next arrival, so this equals `iteration_seconds`).
    pub cycle_seconds: f64,
    /// Iterations per second at the peak level.
    pub per_second: f64,
    /// Iterations over the whole test.
    pub total: f64,
}

/// One request name's expectations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestForecast {
    /// The statistics row's name.
    pub name: String,
    /// Requests per second at the peak level.
    pub per_second: f64,
    /// Requests over the whole test (warm-up included).
    pub total: f64,
}

/// What the peak needs of the machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connections {
    /// Users at once: the closed model's peak; the open model's expected busy users
    /// at the peak rate (at most `max_users`).
    pub users: u32,
    /// Distinct origins (scheme, host, port) the requests go to (a user keeps at most 8).
    pub origins: u32,
    /// Connections at once.
    pub connections: u64,
    /// File descriptors: the connections plus the process's own (stdio, each worker's
    /// event loop and timer).
    pub file_descriptors: u64,
    /// The open-file soft limit (raised to the hard one at start), if known.
    pub soft_limit: Option<u64>,
    /// The open-file hard limit, the one that counts.
    pub hard_limit: Option<u64>,
}

/// File descriptors the process needs beyond connections: stdio and a few spare.
const BASE_DESCRIPTORS: u64 = 16;
/// Per worker thread: its runtime's epoll and waker, its timerfd, one spare.
const DESCRIPTORS_PER_WORKER: u64 = 4;
/// A user's client keeps a connection to at most this many origins.
const MAX_ORIGINS: u32 = 8;

/// Predicts what `plan` will do under `assumptions`.
pub fn preview(plan: &Plan, assumptions: &Assumptions) -> Preview {
    let latency = assumptions.latency.as_secs_f64();
    let shapes: Vec<Shape> = plan
        .scenarios
        .iter()
        .map(|s| iteration::shape(s, &plan.timings, latency))
        .collect();
    let mut model = Model::new(plan, &shapes);
    let run_outs = exhaust::find(plan, &model);
    exhaust::apply(&run_outs, &mut model);
    let scenarios = model.scenarios(plan, &shapes);
    let requests = model.requests(plan, &shapes);
    let connections = connections(plan, &model, assumptions);
    let mut preview = Preview {
        model: model.name(),
        assumed_latency_seconds: latency,
        duration_seconds: model.end,
        warmup_seconds: plan.timings.warmup.as_secs_f64(),
        phases: model.phases(plan),
        scenarios,
        requests,
        connections,
        warnings: Vec::new(),
    };
    preview.warnings = warnings::find(plan, &model, &shapes, &run_outs, &preview);
    preview
}

/// The load model with what every figure needs: each scenario's probability, the mean
/// cycle, and (closed) every user's active spans.
pub(crate) struct Model<'p> {
    load: &'p Load,
    /// The test's end, in seconds.
    end: f64,
    /// Each scenario's probability.
    shares: Vec<f64>,
    /// The mean time between a user's iteration starts (closed model).
    mean_cycle: f64,
    /// The mean iteration duration, over scenarios.
    mean_duration: f64,
    spans: Vec<volume::Span>,
    /// When the last iteration may start: the end, or earlier if a `unique` feeder
    /// that says `stop` runs out.
    sending_until: f64,
}

impl<'p> Model<'p> {
    fn new(plan: &'p Plan, shapes: &[Shape]) -> Self {
        let total: f64 = plan
            .scenarios
            .iter()
            .map(|s| f64::from(s.weight.get()))
            .sum();
        let shares: Vec<f64> = plan
            .scenarios
            .iter()
            .map(|s| f64::from(s.weight.get()) / total)
            .collect();
        let mean = |f: fn(&Shape) -> f64| -> f64 {
            shares.iter().zip(shapes).map(|(p, s)| p * f(s)).sum()
        };
        Self {
            load: &plan.load,
            end: plan.timings.duration.as_secs_f64(),
            mean_cycle: mean(|s| s.cycle),
            mean_duration: mean(|s| s.duration),
            sending_until: plan.timings.duration.as_secs_f64(),
            shares,
            spans: volume::spans(
                &plan.load,
                plan.timings.duration,
                plan.timings.min_scenario_interval,
            ),
        }
    }

    fn name(&self) -> &'static str {
        match self.load {
            Load::Closed { .. } => "closed",
            Load::Open { .. } => "open",
        }
    }

    /// Iterations a second at `level` users (closed) or arrivals a second (open).
    fn iterations_per_second(&self, level: f64) -> f64 {
        match self.load {
            Load::Closed { .. } if self.mean_cycle > 0.0 => level / self.mean_cycle,
            Load::Closed { .. } => 0.0,
            Load::Open { .. } => level,
        }
    }

    /// The highest level: users (closed) or arrivals a second (open).
    fn peak(&self) -> f64 {
        match self.load {
            Load::Closed { users } => users.peak().floor(),
            Load::Open { rate, .. } => rate.peak(),
        }
    }

    /// How many times something `offset` seconds into an iteration happens before
    /// `until`, per unit of probability.
    pub(crate) fn occurrences(&self, offset: f64, until: f64) -> f64 {
        match self.load {
            Load::Closed { .. } => self
                .spans
                .iter()
                .map(|&s| volume::starts(s, offset, self.mean_cycle, until))
                .sum(),
            Load::Open { rate, .. } => volume::arrivals(rate, until.min(self.end) - offset),
        }
    }

    fn scenarios(&self, plan: &Plan, shapes: &[Shape]) -> Vec<ScenarioForecast> {
        let per_second = self.iterations_per_second(self.peak());
        let iterations = self.occurrences(0.0, self.sending_until);
        plan.scenarios
            .iter()
            .zip(shapes)
            .zip(&self.shares)
            .map(|((scenario, shape), &share)| ScenarioForecast {
                name: scenario.name.clone(),
                share,
                requests_per_iteration: shape.starts.len(),
                iteration_seconds: shape.duration,
                cycle_seconds: match self.load {
                    Load::Closed { .. } => shape.cycle,
                    Load::Open { .. } => shape.duration,
                },
                per_second: per_second * share,
                total: iterations * share,
            })
            .collect()
    }

    fn requests(&self, plan: &Plan, shapes: &[Shape]) -> Vec<RequestForecast> {
        let per_second = self.iterations_per_second(self.peak());
        let mut rows: Vec<RequestForecast> = plan
            .request_names
            .iter()
            .map(|name| RequestForecast {
                name: name.clone(),
                per_second: 0.0,
                total: 0.0,
            })
            .collect();
        for (shape, &share) in shapes.iter().zip(&self.shares) {
            for &(stat, offset) in &shape.starts {
                let row = &mut rows[stat];
                row.per_second += per_second * share;
                // Sent if its iteration started in time and it comes before the end.
                let sent = self
                    .occurrences(offset, self.end)
                    .min(self.occurrences(0.0, self.sending_until));
                row.total += sent * share;
            }
        }
        rows
    }

    /// Requests a second, all names, at `level`.
    fn request_rate(&self, level: f64, shapes_requests: f64) -> f64 {
        self.iterations_per_second(level) * shapes_requests
    }

    fn phases(&self, plan: &Plan) -> Vec<Phase> {
        let per_iteration: f64 = plan
            .scenarios
            .iter()
            .zip(&self.shares)
            .map(|(s, p)| p * s.all_requests().count() as f64)
            .sum();
        let ramp = match self.load {
            Load::Closed { users } => users,
            Load::Open { rate, .. } => rate,
        };
        let mut phases = Vec::new();
        let (mut at, mut level) = (0.0, ramp.start());
        for (i, stage) in ramp.stages().iter().enumerate() {
            if at >= self.end {
                break;
            }
            let length = stage.duration.as_secs_f64().min(self.end - at);
            let to = ramp.level_at(Duration::from_secs_f64(at + length));
            let stage = Some(i + 1);
            phases.push(self.phase(stage, at, length, (level, to), per_iteration));
            (at, level) = (at + length, to);
        }
        if at < self.end {
            let hold = (level, level);
            phases.push(self.phase(None, at, self.end - at, hold, per_iteration));
        }
        phases
    }

    fn phase(
        &self,
        stage: Option<usize>,
        start: f64,
        length: f64,
        (from, to): (f64, f64),
        per_iteration: f64,
    ) -> Phase {
        let to_users = match self.load {
            Load::Closed { .. } => to.floor(),
            Load::Open { .. } => to,
        };
        Phase {
            stage,
            start_seconds: start,
            duration_seconds: length,
            from,
            to,
            requests_per_second: self.request_rate(to_users, per_iteration),
        }
    }
}

/// Connections at the peak and the file descriptors they take.
fn connections(plan: &Plan, model: &Model<'_>, assumptions: &Assumptions) -> Connections {
    let users = match plan.load {
        Load::Closed { .. } => plan.load.max_users(),
        // Little's law again: busy users = arrival rate × time each is busy.
        Load::Open { max_users, .. } => {
            let busy = (model.peak() * model.mean_duration).ceil() as u32;
            busy.clamp(1, max_users.get())
        }
    };
    let origins = origins(plan);
    let client = &plan.target.client;
    let shared = client
        .connections
        .filter(|_| client.http != crate::HttpVersion::Http1);
    let connections = match shared {
        Some(n) => u64::from(n) * u64::from(origins),
        None => u64::from(users) * u64::from(origins.min(MAX_ORIGINS)) * lanes(plan),
    };
    let threads = assumptions.threads.max(1) as u64;
    let (soft, hard) = assumptions.open_files.unzip();
    Connections {
        users,
        origins,
        connections,
        file_descriptors: connections + BASE_DESCRIPTORS + DESCRIPTORS_PER_WORKER * threads,
        soft_limit: soft,
        hard_limit: hard,
    }
}

/// Distinct origins of every request (redirects aside).
fn origins(plan: &Plan) -> u32 {
    let mut seen: Vec<(Option<&str>, Option<&str>, Option<u16>)> = Vec::new();
    for request in plan.scenarios.iter().flat_map(|s| s.all_requests()) {
        let uri = &request.uri;
        let key = (uri.scheme_str(), uri.host(), uri.port_u16());
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen.len().max(1) as u32
}

/// Connections a user holds per origin over HTTP/1.1: its own, plus a lane for each
/// request of its longest `parallel` list but the first (HTTP/2 lanes share the user's
/// connection, so this is an upper bound there).
fn lanes(plan: &Plan) -> u64 {
    let longest = plan
        .scenarios
        .iter()
        .flat_map(|s| &s.parallel)
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    if plan.target.client.http == crate::HttpVersion::Http1 {
        longest.max(1) as u64
    } else {
        1
    }
}
