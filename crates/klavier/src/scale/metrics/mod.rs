//! `--metrics-addr`: the run's figures as Prometheus metrics while it runs, updated once
//! a second from the aggregator's progress (never from the hot path) and served at
//! `/metrics` in the OpenMetrics text format by the Prometheus project's own crate.
//! Latencies are histograms with fixed buckets, never averaged percentiles.

mod latency;
mod server;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use klavier_plan::{Load, Plan};
use klavier_stats::{FailureKind, Snapshot};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub use server::MetricsServer;

use crate::engine::Progress;

/// Labels of a request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    request: String,
    status: String,
}

/// Labels of a transport-failure counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    request: String,
    kind: String,
}

/// Labels of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    request: String,
}

/// Every metric of a run, and the names its rows are known by.
pub struct Metrics {
    registry: Registry,
    names: Vec<String>,
    /// The open model's arrival rate, and this process's share of it.
    rate: Option<(klavier_plan::Ramp, f64)>,
    responses: Family<Status, Counter>,
    errors: Family<Kind, Counter>,
    latency: Family<Request, latency::Latency>,
    users: Gauge,
    arrivals: Counter,
    dropped: Counter,
    rate_target: Gauge<f64, AtomicU64>,
    rate_achieved: Gauge<f64, AtomicU64>,
}

impl Metrics {
    /// The metrics of a run of `plan`, of which this process runs `share` (1/N for a
    /// segment of N).
    pub fn new(plan: &Plan, share: f64) -> Self {
        let mut registry = Registry::with_prefix("klavier");
        let metrics = Metrics {
            registry: Registry::default(),
            names: plan.request_names.clone(),
            rate: match &plan.load {
                Load::Open { rate, .. } => Some((rate.clone(), share)),
                Load::Closed { .. } => None,
            },
            responses: Family::default(),
            errors: Family::default(),
            latency: Family::default(),
            users: Gauge::default(),
            arrivals: Counter::default(),
            dropped: Counter::default(),
            rate_target: Gauge::default(),
            rate_achieved: Gauge::default(),
        };
        registry.register(
            "responses",
            "Responses by request name and status code",
            metrics.responses.clone(),
        );
        registry.register(
            "transport_errors",
            "Requests that got no response, by request name and failure kind",
            metrics.errors.clone(),
        );
        registry.register(
            "response_time_seconds",
            "Response time of successful requests (from when each was due)",
            metrics.latency.clone(),
        );
        registry.register(
            "active_users",
            "Virtual users running (closed model) or busy (open model)",
            metrics.users.clone(),
        );
        registry.register(
            "arrivals_started",
            "Open model: arrivals that started their scenario",
            metrics.arrivals.clone(),
        );
        registry.register(
            "arrivals_dropped",
            "Open model: arrivals that found no free user",
            metrics.dropped.clone(),
        );
        registry.register(
            "arrival_rate_target",
            "Open model: scenario starts per second this process should make now",
            metrics.rate_target.clone(),
        );
        registry.register(
            "arrival_rate_achieved",
            "Open model: scenario starts per second in the last second",
            metrics.rate_achieved.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Adds one second of the run.
    pub fn update(&self, progress: &Progress) {
        self.add(&progress.delta);
        self.users.set(i64::from(progress.point.users));
        self.arrivals.inc_by(progress.point.arrivals);
        self.dropped.inc_by(progress.point.dropped);
        if let Some((rate, share)) = &self.rate {
            let elapsed = Duration::from_secs(progress.point.second);
            self.rate_target.set(rate.level_at(elapsed) * share);
            self.rate_achieved.set(progress.point.arrivals as f64);
        }
    }

    fn add(&self, delta: &Snapshot) {
        for (i, row) in delta.request_rows().iter().enumerate() {
            let request = self
                .names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("#{i}"));
            for (status, n) in row.status_codes().iter() {
                let labels = Status {
                    request: request.clone(),
                    status: status.to_string(),
                };
                self.responses.get_or_create(&labels).inc_by(n);
            }
            for (kind, &n) in FailureKind::ALL.iter().zip(row.errors()) {
                if n > 0 {
                    let labels = Kind {
                        request: request.clone(),
                        kind: kind.as_str().to_owned(),
                    };
                    self.errors.get_or_create(&labels).inc_by(n);
                }
            }
            if !row.response_time().is_empty() {
                self.latency
                    .get_or_create(&Request { request })
                    .add(row.response_time());
            }
        }
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use klavier_stats::{Outcome, Recorder, Sample, TimePoint};

    use super::*;

    fn plan() -> Plan {
        let source = "[target]\nbase_url = \"http://127.0.0.1:1\"\n[scenarios.a]\n\
                      [[scenarios.a.requests]]\npath = \"/a\"\n[timings]\n\
                      test_duration_seconds = 5\n";
        let overrides = klavier_plan::Overrides {
            rate: Some(30.0),
            ..Default::default()
        };
        klavier_plan::compile(source, "p.toml", &overrides).expect("valid")
    }

    fn progress(delta: Snapshot) -> Progress {
        Progress {
            point: TimePoint::from_interval(1, 3, 0, &delta),
            planned: Duration::from_secs(5),
            total_requests: delta.requests(),
            total_failures: delta.failures(),
            p99: Duration::ZERO,
            open_model: true,
            delta,
        }
    }

    #[test]
    fn a_second_of_the_run_becomes_counters_gauges_and_buckets() {
        let metrics = Metrics::new(&plan(), 0.5);
        let mut recorder = Recorder::new(1, 1);
        for (outcome, ms) in [
            (Outcome::Status(200), 2),
            (Outcome::Status(200), 300),
            (Outcome::Status(503), 1),
            (Outcome::Failed(FailureKind::Timeout), 30_000),
        ] {
            let time = Duration::from_millis(ms);
            let sample = Sample {
                outcome,
                service_time: time,
                response_time: time,
                bytes_sent: 1,
                bytes_received: 1,
                in_grace: false,
            };
            recorder.record(0, &sample);
        }
        recorder.record_arrival(None);
        metrics.update(&progress(recorder.take_snapshot()));
        metrics.update(&progress(recorder.take_snapshot()));
        let text = metrics.encode();
        for line in [
            "klavier_responses_total{request=\"GET /a\",status=\"200\"} 2",
            "klavier_responses_total{request=\"GET /a\",status=\"503\"} 1",
            "klavier_transport_errors_total{request=\"GET /a\",kind=\"timeout\"} 1",
            "klavier_response_time_seconds_count{request=\"GET /a\"} 2",
            "klavier_response_time_seconds_bucket{le=\"0.0025\",request=\"GET /a\"} 1",
            "klavier_response_time_seconds_bucket{le=\"0.5\",request=\"GET /a\"} 2",
            "klavier_active_users 3",
            "klavier_arrivals_started_total 1",
            "klavier_arrival_rate_target 15.0",
            "# TYPE klavier_response_time_seconds histogram",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
    }
}
