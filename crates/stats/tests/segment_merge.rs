//! `Summary::merge`: the results of N segments merge into exactly the result of the whole
//! run, histograms included, and results of other runs are refused.

use std::time::{Duration, UNIX_EPOCH};

use klavier_stats::{
    decode_histogram, recorded_values, FailureKind, Layout, MergeError, Outcome, Recorder, RunInfo,
    Sample, SegmentInfo, Snapshot, StopReason, Summary, TimePoint,
};
use proptest::prelude::*;
use serde_json::Value;

/// One recorded event: (second, request row, outcome code, latency µs).
type Event = (u64, usize, u8, u64);

fn sample(code: u8, us: u64) -> Sample {
    let outcome = match code % 4 {
        0 => Outcome::Status(200),
        1 => Outcome::Status(503),
        2 => Outcome::Failed(FailureKind::Timeout),
        _ => Outcome::Status(302),
    };
    Sample {
        outcome,
        service_time: Duration::from_micros(us),
        response_time: Duration::from_micros(us + u64::from(code)),
        bytes_sent: 10 + u64::from(code),
        bytes_received: us % 977,
        in_grace: false,
    }
}

/// The result of recording `events` (one event per arrival), `users` users, as segment
/// `segment` (or the whole run).
fn result(events: &[Event], users: u32, segment: Option<SegmentInfo>) -> Summary {
    let mut recorder = Recorder::new(2, 1);
    let mut total = Snapshot::empty(2, 1);
    let mut timeseries = Vec::new();
    for second in 1..=3 {
        for &(_, row, code, us) in events.iter().filter(|e| e.0 == second) {
            if code == 7 {
                recorder.record_dropped();
                continue;
            }
            recorder.record_arrival((code == 5).then(|| Duration::from_micros(us / 3)));
            recorder.record(row, &sample(code, us));
            recorder.record_iteration(0, Duration::from_micros(us * 2), code % 4 == 0);
        }
        let delta = recorder.take_snapshot();
        timeseries.push(TimePoint::from_interval(second, users, 0, &delta));
        total += &delta;
    }
    let info = RunInfo {
        profile: "p.toml".into(),
        target: "http://127.0.0.1:1".into(),
        started_at: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        elapsed: Duration::from_secs(3),
        planned_duration: Duration::from_secs(3),
        users,
        seed: 5,
        stop_reason: StopReason::Completed,
        klavier_version: "0.1.0".into(),
        open_model: true,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["GET /a".into(), "GET /b".into()],
        scenarios: vec![("s".into(), 1)],
    };
    let mut summary = Summary::build(&info, &layout, &total, timeseries);
    summary.segment = segment;
    summary.plan_digest = Some(format!("sha256:{}", "ab".repeat(32)));
    summary
}

/// The result as JSON, every histogram replaced by its recorded values: two encodings
/// of equal histograms may differ in their header (the range it grew to).
fn comparable(summary: &Summary) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    if let (true, Some(text)) = (key == "histogram", field.as_str()) {
                        let h = decode_histogram(text).expect("decodes");
                        *field = serde_json::json!(recorded_values(&h));
                    } else {
                        walk(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(summary).expect("serializes");
    walk(&mut value);
    value
}

fn segments(events: &[Event], count: u32) -> Vec<Summary> {
    (0..count)
        .map(|index| {
            let mine: Vec<Event> = events
                .iter()
                .enumerate()
                .filter(|(k, _)| *k as u32 % count == index)
                .map(|(_, e)| *e)
                .collect();
            result(&mine, 10 / count, Some(SegmentInfo { index, count }))
        })
        .collect()
}

proptest! {
    // Each case builds and merges a few results in a debug build: enough cases to vary
    // the split, few enough to keep the test quick.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn segments_merge_into_exactly_the_whole_run(
        events in prop::collection::vec((1u64..=3, 0usize..2, 0u8..8, 1u64..5_000_000), 0..300),
        count in 1u32..5,
    ) {
        let mut whole = result(&events, 10 / count * count, None);
        let mut parts = segments(&events, count);
        parts.reverse(); // order does not matter
        let mut merged = Summary::merge(&parts).expect("merges");
        let info = merged.merge.take().expect("says what it merged");
        prop_assert!(!info.partial);
        prop_assert_eq!(info.merged, (0..count).collect::<Vec<_>>());
        whole.segment = None;
        prop_assert_eq!(comparable(&merged), comparable(&whole));
    }
}

#[test]
fn a_missing_or_duplicated_segment_makes_the_merge_partial() {
    let events: Vec<Event> = (0..40)
        .map(|i| (1 + i % 3, (i % 2) as usize, 0, 1000 + i))
        .collect();
    let parts = segments(&events, 4);
    let merged =
        Summary::merge(&[parts[0].clone(), parts[2].clone(), parts[2].clone()]).expect("merges");
    let info = merged.merge.expect("merge info");
    assert!(info.partial);
    assert_eq!(
        (info.merged, info.missing, info.duplicated),
        (vec![0, 2], vec![1, 3], vec![2])
    );
    assert_eq!(
        merged.totals.count,
        parts[0].totals.count + parts[2].totals.count
    );
    // A merge of merges covers what its parts covered.
    let rest = Summary::merge(&[parts[1].clone(), parts[3].clone()]).expect("merges");
    let first = Summary::merge(&[parts[0].clone(), parts[2].clone()]).expect("merges");
    let all = Summary::merge(&[first, rest]).expect("merges");
    assert!(!all.merge.expect("merge info").partial);
    assert_eq!(all.totals.count, 40);
}

#[test]
fn results_of_other_runs_are_refused() {
    let events: Vec<Event> = (0..10).map(|i| (1, 0, 0, 1000 + i)).collect();
    let parts = segments(&events, 2);
    let mut other = parts[1].clone();
    other.seed = 6;
    let err = Summary::merge(&[parts[0].clone(), other]).expect_err("another seed");
    assert!(
        matches!(
            err,
            MergeError::Mismatch {
                part: 2,
                what: "seed",
                ..
            }
        ),
        "{err}"
    );
    let mut other = parts[1].clone();
    other.plan_digest = Some(format!("sha256:{}", "cd".repeat(32)));
    let err = Summary::merge(&[parts[0].clone(), other]).expect_err("another plan");
    assert!(err.to_string().contains("plan digest differs"), "{err}");
    let mut other = parts[1].clone();
    other.segment = Some(SegmentInfo { index: 1, count: 3 });
    let err = Summary::merge(&[parts[0].clone(), other]).expect_err("another split");
    assert!(err.to_string().contains("number of segments"), "{err}");
    let mut broken = parts[1].clone();
    broken.totals.response_time.histogram = "not base64!".into();
    let err = Summary::merge(&[parts[0].clone(), broken]).expect_err("a bad histogram");
    assert!(
        err.to_string()
            .starts_with("result 2: totals.response_time:"),
        "{err}"
    );
    assert!(matches!(Summary::merge(&[]), Err(MergeError::Empty)));
}
