//! Checks in the statistics: counted per request and per check, apart from transport
//! failures, named in the summary, and absent fields of older result files read as zero.

use std::time::{Duration, UNIX_EPOCH};

use klavier_stats::{
    Layout, Outcome, Recorder, RequestSummary, RunInfo, Sample, Snapshot, StopReason, Summary,
};

fn sample(code: u16) -> Sample {
    Sample {
        outcome: Outcome::Status(code),
        service_time: Duration::from_micros(900),
        response_time: Duration::from_micros(900),
        bytes_sent: 10,
        bytes_received: 20,
        in_grace: false,
    }
}

fn summary(total: &Snapshot) -> Summary {
    let info = RunInfo {
        profile: "journey.toml".into(),
        target: "http://127.0.0.1:8080".into(),
        started_at: UNIX_EPOCH,
        elapsed: Duration::from_secs(1),
        planned_duration: Duration::from_secs(1),
        users: 1,
        seed: 1,
        stop_reason: StopReason::Completed,
        klavier_version: "0.1.0".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["login".into(), "me".into()],
        scenarios: vec![("journey".into(), 1)],
    };
    Summary::build(&info, &layout, total, Vec::new())
}

#[test]
fn check_failures_are_counted_per_request_and_per_check_and_named() {
    let mut recorder = Recorder::new(2, 1);
    for failed in [&[][..], &[1], &[0, 1]] {
        recorder.record(0, &sample(200));
        recorder.record_checks(0, failed);
    }
    recorder.record(1, &sample(404));
    recorder.record_accepted(1, 404); // expect.status listed 404
    recorder.record_skipped(1);
    let mut total = Snapshot::empty(2, 1);
    total += &recorder.take_snapshot();
    let mut s = summary(&total);
    s.name_checks(&[vec!["status".into(), "extract token".into()], Vec::new()]);
    let login = &s.requests[0];
    assert_eq!(
        (login.count, login.failures, login.check_failures),
        (3, 0, 2)
    );
    assert_eq!(login.checks["status"], 1);
    assert_eq!(login.checks["extract token"], 2);
    let me = &s.requests[1];
    assert_eq!(
        (me.count, me.failures, me.skipped),
        (1, 0, 1),
        "an accepted 404 is no failure"
    );
    assert_eq!(me.accepted_status_codes, [(404, 1)].into());
    assert_eq!(s.totals.accepted_status_codes, [(404, 1)].into());
    assert_eq!(s.totals.check_failures, 2);
    assert_eq!(s.totals.checks["extract token"], 2);
    assert_eq!(s.totals.skipped, 1);
    let json = serde_json::to_string(&s).expect("serializes");
    let back: Summary = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, s);
}

#[test]
fn rows_written_before_checks_existed_read_as_zero() {
    let s = summary(&Snapshot::empty(2, 1));
    let mut row = serde_json::to_value(&s.requests[0]).expect("serializes");
    let object = row.as_object_mut().expect("an object");
    for field in ["check_failures", "checks", "skipped"] {
        assert!(object.remove(field).is_some(), "{field} is written");
    }
    let old: RequestSummary = serde_json::from_value(row).expect("an old row still reads");
    assert_eq!((old.check_failures, old.skipped), (0, 0));
    assert!(old.checks.is_empty());
}
