//! The judge on a summary built from recorded samples: 100 requests of 1..=100 ms on
//! `login` (every tenth a 503, every fifth failing a check), none on `idle`.

use std::time::{Duration, UNIX_EPOCH};

use crate::threshold::{judge, Expression, Scope, Threshold, Unit};
use crate::{Layout, Outcome, Recorder, RunInfo, Sample, Snapshot, StopReason, Summary};

fn summary() -> Summary {
    let mut recorder = Recorder::new(2, 1);
    for ms in 1..=100u64 {
        let outcome = Outcome::Status(if ms % 10 == 0 { 503 } else { 200 });
        let time = Duration::from_millis(ms);
        let sample = Sample {
            outcome,
            service_time: time,
            response_time: time,
            bytes_sent: 10,
            bytes_received: 20,
            in_grace: false,
        };
        recorder.record(0, &sample);
        if ms % 5 == 0 {
            recorder.record_checks(0, &[0]);
        }
        recorder.record_iteration(0, time * 2, ms % 10 != 0);
    }
    let mut total = Snapshot::empty(2, 1);
    total += &recorder.take_snapshot();
    let info = RunInfo {
        profile: "p".into(),
        target: "http://127.0.0.1:1".into(),
        started_at: UNIX_EPOCH,
        elapsed: Duration::from_secs(10),
        planned_duration: Duration::from_secs(10),
        users: 1,
        seed: 1,
        stop_reason: StopReason::Completed,
        klavier_version: "0".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["login".into(), "idle".into()],
        scenarios: vec![("journey".into(), 1)],
    };
    Summary::build(&info, &layout, &total, Vec::new())
}

fn threshold(scope: Scope, text: &str) -> Threshold {
    let expression = Expression::parse(text).expect("valid");
    Threshold { scope, expression }
}

/// Judges one threshold: (passed, observed).
fn one(scope: Scope, text: &str) -> (bool, Option<f64>) {
    let verdict = judge(&summary(), &[threshold(scope, text)]);
    let r = &verdict.results[0];
    (r.passed, r.observed)
}

fn near(observed: Option<f64>, want: f64) -> bool {
    observed.is_some_and(|o| (o - want).abs() <= want * 0.001 + 1e-9)
}

#[test]
fn each_metric_reads_the_figure_it_names() {
    let login = || Scope::Request("login".into());
    // Successful responses only: 90 of them, 1..=99 ms without the tens.
    let (ok, p50) = one(Scope::Run, "p50 < 60ms");
    assert!(ok && near(p50, 49_000.0), "{p50:?}");
    assert!(!one(Scope::Run, "p99 < 90ms").0, "p99 is 99 ms");
    assert!(one(Scope::Run, "p97 < 98ms").0, "read from the histogram");
    assert!(near(one(login(), "error_rate < 11%").1, 0.10));
    assert!(one(login(), "error_rate < 11%").0);
    assert!(!one(login(), "error_rate < 10%").0, "10% is not below 10%");
    assert!(near(one(Scope::Run, "checks > 79%").1, 0.80));
    assert!(!one(Scope::Run, "checks > 99%").0);
    assert_eq!(one(Scope::Run, "check_failures == 20"), (true, Some(20.0)));
    assert_eq!(one(Scope::Run, "rate >= 10/s"), (true, Some(10.0)));
    assert_eq!(one(Scope::Run, "dropped == 0"), (true, Some(0.0)));
    assert_eq!(one(Scope::Run, "failures <= 10"), (true, Some(10.0)));
    assert!(!one(Scope::Run, "count > 100").0);
    // A scenario's latency is its iteration time; its failures are failed iterations.
    let journey = || Scope::Scenario("journey".into());
    assert!(near(one(journey(), "max < 1s").1, 198_000.0));
    assert_eq!(one(journey(), "failures == 10"), (true, Some(10.0)));
}

#[test]
fn no_data_is_not_a_pass() {
    let idle = || Scope::Request("idle".into());
    assert_eq!(one(idle(), "p99 < 1h"), (false, None));
    assert_eq!(one(idle(), "error_rate < 100%"), (false, None));
    assert_eq!(
        one(Scope::Request("gone".into()), "count == 0"),
        (false, None)
    );
    // Counts and rates are measured even when nothing happened.
    assert_eq!(one(idle(), "count == 0"), (true, Some(0.0)));
}

#[test]
fn the_verdict_counts_failures_and_tells_decided_ones_apart() {
    let s = summary();
    let thresholds = [
        threshold(Scope::Run, "p99 < 1s"),
        threshold(Scope::Request("idle".into()), "p99 < 1s"),
    ];
    let verdict = judge(&s, &thresholds);
    assert_eq!((verdict.passed(), verdict.failures()), (false, 1));
    assert!(
        !verdict.failed_on_data(),
        "idle has no data yet: not decided"
    );
    let r = &verdict.results[1];
    assert_eq!(
        (r.scope.as_str(), r.name.as_deref()),
        ("request", Some("idle"))
    );
    assert_eq!((r.metric.as_str(), r.unit, r.bound), ("p99", Unit::Us, 1e6));
    let verdict = judge(&s, &[threshold(Scope::Run, "p50 < 1ms")]);
    assert!(verdict.failed_on_data());
    assert!(judge(&s, &[]).passed(), "no thresholds, nothing failed");
}

#[test]
fn a_result_reads_back_as_the_threshold_it_judged() {
    let s = summary();
    let thresholds = [
        threshold(Scope::Run, "p99 < 1s"),
        threshold(Scope::Request("login".into()), "error_rate < 5%"),
        threshold(Scope::Scenario("journey".into()), "rate >= 1/s"),
    ];
    let verdict = judge(&s, &thresholds);
    let back: Vec<Threshold> = verdict
        .results
        .iter()
        .filter_map(|r| r.threshold())
        .collect();
    assert_eq!(back, thresholds);
    // Judged again, the same verdict.
    assert_eq!(judge(&s, &back), verdict);
}
