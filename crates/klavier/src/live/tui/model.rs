//! What the dashboard shows, as plain data: folded from the engine's per-second
//! progress reports, so drawing is a pure function of it (and testable without a run).

use std::collections::VecDeque;
use std::time::Duration;

use klavier_plan::segment::Segment;
use klavier_plan::Load;
use klavier_stats::{is_success_status, FailureKind};

use crate::engine::Progress;

/// How many seconds the sparklines remember: wider than any terminal they are drawn in.
const HISTORY: usize = 300;

/// The dashboard's view-model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// The profile's name, in the title.
    pub profile: String,
    /// Seconds since the start.
    pub second: u64,
    /// The planned duration.
    pub planned: Duration,
    /// The run was asked to stop (`q`, Ctrl-C) or is past its duration.
    pub stopping: bool,
    /// Active users at the end of the last second.
    pub users: u32,
    /// What the load model asks for at this second, to set beside what was achieved.
    pub target: Option<Target>,
    /// Open model: arrivals started in the last second, waiting, dropped so far.
    pub arrivals: Option<Arrivals>,
    /// Requests completed in the last second.
    pub rate: u64,
    /// Requests completed so far.
    pub total_requests: u64,
    /// Failures so far, by kind.
    pub failures: Failures,
    /// Median and 99th percentile response time within the last second.
    pub p50: Duration,
    /// See `p50`.
    pub p99: Duration,
    /// Requests per second, oldest first.
    pub throughput: VecDeque<u64>,
    /// p99 per second in µs, oldest first.
    pub p99_history: VecDeque<u64>,
    /// One row per request of the profile, in its order.
    pub requests: Vec<RequestRow>,
}

/// What the load model asks for at a moment of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Active users (closed model).
    Users(u32),
    /// Scenario starts per second (open model).
    Rate(f64),
}

impl Target {
    /// This process's part of what `load` asks for `elapsed` into the run.
    pub fn of(load: &Load, segment: Segment, elapsed: Duration) -> Self {
        match load {
            Load::Closed { .. } => Target::Users(segment.users(load.users_at(elapsed))),
            Load::Open { rate, .. } => {
                Target::Rate(rate.level_at(elapsed) / f64::from(segment.count()))
            }
        }
    }
}

/// The open model's arrival figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Arrivals {
    /// Arrivals started in the last second.
    pub started: u64,
    /// Arrivals waiting for a free user.
    pub waiting: u32,
    /// Arrivals dropped so far.
    pub dropped: u64,
}

/// Failures so far: the headline total and its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failures {
    /// Transport and status failures, dropped arrivals included (the summary's count).
    pub total: u64,
    /// Failing status codes (outside 200–399, less those `expect.status` accepts) and
    /// how many responses had each, by ascending code.
    pub status: Vec<(u16, u64)>,
    /// Responses that failed a check (counted apart from `total`, as in the summary).
    pub checks: u64,
    /// Transport failures by kind (`timeout`, `connect_refused`, …), those seen only.
    pub transport: Vec<(&'static str, u64)>,
}

/// One request's figures so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestRow {
    /// The request's name.
    pub name: String,
    /// Completed in the last second.
    pub rate: u64,
    /// Completed so far.
    pub count: u64,
    /// Failed so far (transport and status).
    pub failures: u64,
    /// Failed a check so far.
    pub failed_checks: u64,
    /// Median and 99th percentile response time so far (none before a response).
    pub p50: Option<Duration>,
    /// See `p50`.
    pub p99: Option<Duration>,
}

impl Dashboard {
    /// An empty dashboard for a profile and its requests.
    pub fn new(profile: &str, request_names: &[String]) -> Self {
        Self {
            profile: profile.to_owned(),
            requests: request_names
                .iter()
                .map(|name| RequestRow {
                    name: name.clone(),
                    ..RequestRow::default()
                })
                .collect(),
            ..Self::default()
        }
    }

    /// Takes in one second of progress; `asked_to_stop` says a stop was requested,
    /// `target` what the load model asked for in that second.
    pub fn update(&mut self, p: &Progress, asked_to_stop: bool, target: Option<Target>) {
        let point = &p.point;
        self.target = target;
        self.second = point.second;
        self.planned = p.planned;
        self.stopping = asked_to_stop || point.second > p.planned.as_secs();
        self.users = point.users;
        self.rate = point.requests;
        self.total_requests = p.total_requests;
        self.p50 = Duration::from_micros(point.p50_us);
        self.p99 = p.p99;
        self.arrivals = p.open_model.then(|| Arrivals {
            started: point.arrivals,
            waiting: point.waiting,
            dropped: p.total.arrivals().dropped(),
        });
        push(&mut self.throughput, point.requests);
        push(&mut self.p99_history, point.p99_us);
        self.failures = failures(p);
        self.update_rows(p);
    }

    fn update_rows(&mut self, p: &Progress) {
        for (row, stats) in self.requests.iter_mut().zip(p.total.request_rows()) {
            let count = stats.count();
            // The total restarts at the end of the warm-up: never a negative rate.
            row.rate = count.saturating_sub(row.count);
            row.count = count;
            row.failures = stats.failures();
            row.failed_checks = stats.checks().failed_requests();
            let latency = stats.response_time();
            let at = |q| Duration::from_micros(latency.value_at_quantile(q));
            (row.p50, row.p99) = if latency.is_empty() {
                (None, None)
            } else {
                (Some(at(0.50)), Some(at(0.99)))
            };
        }
    }

    /// Share of the planned duration elapsed, in `0.0..=1.0`.
    pub fn progress(&self) -> f64 {
        let planned = self.planned.as_secs_f64();
        if planned <= 0.0 {
            return 1.0;
        }
        (self.second as f64 / planned).clamp(0.0, 1.0)
    }
}

fn failures(p: &Progress) -> Failures {
    let mut by_kind = [0u64; FailureKind::COUNT];
    let mut status = std::collections::BTreeMap::<u16, u64>::new();
    for row in p.total.request_rows() {
        for (sum, n) in by_kind.iter_mut().zip(row.errors()) {
            *sum += n;
        }
        let accepted = row.checks().accepted_statuses();
        for (code, n) in row.status_codes().iter() {
            let failed = n.saturating_sub(accepted.get(code));
            if !is_success_status(code) && failed > 0 {
                *status.entry(code).or_default() += failed;
            }
        }
    }
    Failures {
        total: p.total_failures,
        status: status.into_iter().collect(),
        checks: p.total_check_failures,
        transport: FailureKind::ALL
            .iter()
            .zip(by_kind)
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| (kind.as_str(), n))
            .collect(),
    }
}

fn push(history: &mut VecDeque<u64>, value: u64) {
    if history.len() == HISTORY {
        history.pop_front();
    }
    history.push_back(value);
}
