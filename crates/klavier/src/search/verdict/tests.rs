//! Steps judged on a summary of 100 requests of 1..=100 ms, all 200.

use std::time::{Duration, UNIX_EPOCH};

use klavier_stats::threshold::{Expression, Scope, Threshold};
use klavier_stats::{Layout, Outcome, Recorder, RunInfo, Sample, Snapshot, StopReason, Summary};

use super::*;

fn summary() -> Summary {
    let mut recorder = Recorder::new(1, 1);
    for ms in 1..=100u64 {
        let time = Duration::from_millis(ms);
        let sample = Sample {
            outcome: Outcome::Status(200),
            service_time: time,
            response_time: time,
            bytes_sent: 10,
            bytes_received: 20,
            in_grace: false,
        };
        recorder.record(0, &sample);
    }
    let mut total = Snapshot::empty(1, 1);
    total += &recorder.take_snapshot();
    let info = RunInfo {
        profile: "p".into(),
        target: "http://127.0.0.1:1".into(),
        started_at: UNIX_EPOCH,
        elapsed: Duration::from_secs(1),
        planned_duration: Duration::from_secs(1),
        users: 1,
        seed: 1,
        stop_reason: StopReason::Completed,
        klavier_version: "0".into(),
        open_model: true,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["get".into()],
        scenarios: vec![("s".into(), 1)],
    };
    Summary::build(&info, &layout, &total, Vec::new())
}

/// `summary()` with `dropped` arrivals dropped, counted as the summary counts them.
fn with_drops(dropped: u64) -> Summary {
    let mut s = summary();
    s.arrivals.as_mut().expect("an open-model summary").dropped = dropped;
    s.failures.count += dropped;
    s
}

fn slos(texts: &[&str]) -> Vec<Threshold> {
    texts
        .iter()
        .map(|t| Threshold {
            scope: Scope::Run,
            expression: Expression::parse(t).expect("valid"),
        })
        .collect()
}

#[test]
fn met_slos_pass_and_missed_ones_fail_with_the_figure() {
    let pass = classify(&summary(), &slos(&["p99 < 200ms", "error_rate < 1%"]));
    assert_eq!(pass.verdict, Verdict::Pass);
    assert_eq!(pass.slos.len(), 2);
    let fail = classify(&summary(), &slos(&["p99 < 50ms"]));
    assert_eq!(fail.verdict, Verdict::Fail);
    assert!(
        fail.reason.contains("p99 < 50ms (observed 99"),
        "{}",
        fail.reason
    );
}

#[test]
fn a_saturated_generator_makes_a_step_inconclusive() {
    let mut s = summary();
    s.generator.saturated = true;
    s.generator.reason = "a worker thread was on the CPU 99% of a second".into();
    let judged = classify(&s, &slos(&["p99 < 50ms"]));
    assert_eq!(judged.verdict, Verdict::Inconclusive);
    assert!(judged.reason.contains("CPU 99%"), "{}", judged.reason);
}

#[test]
fn slos_met_despite_a_late_generator_are_a_pass() {
    // Response times run from when arrivals were due: lateness only adds to them.
    let mut s = summary();
    s.generator.saturated = true;
    let judged = classify(&s, &slos(&["p99 < 200ms"]));
    assert_eq!(judged.verdict, Verdict::Pass);
}

#[test]
fn drops_alone_are_inconclusive_not_a_failure() {
    let judged = classify(&with_drops(50), &slos(&["p99 < 200ms", "error_rate < 1%"]));
    assert_eq!(judged.verdict, Verdict::Inconclusive);
    assert!(
        judged.reason.contains("50 arrivals dropped"),
        "{}",
        judged.reason
    );
    // The SLO results shown are the step's own, drops counted.
    assert!(!judged.slos[1].passed);
}

#[test]
fn drops_over_a_failure_the_server_caused_are_a_failure() {
    let judged = classify(&with_drops(50), &slos(&["p99 < 50ms"]));
    assert_eq!(judged.verdict, Verdict::Fail);
}
