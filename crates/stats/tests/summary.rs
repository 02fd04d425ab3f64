//! The `klavier.result/v1` contract: fields, figures and a lossless round trip.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use klavier_stats::{
    recorded_values, FailureKind, Layout, Outcome, Recorder, RunInfo, Sample, Snapshot, StopReason,
    Summary, TimePoint, SCHEMA,
};

fn run() -> Summary {
    let mut r = Recorder::new(2, 2);
    let mut timeseries = Vec::new();
    let mut total = Snapshot::empty(2, 2);
    for second in 1..=3u64 {
        for i in 0..100u64 {
            let outcome = match i {
                0 => Outcome::Failed(FailureKind::ConnectRefused),
                1 => Outcome::Status(503),
                2 => Outcome::Status(301),
                _ => Outcome::Status(200),
            };
            let us = 1_000 + i * 10 * second;
            let sample = Sample {
                outcome,
                service_time: Duration::from_micros(us),
                response_time: Duration::from_micros(us + 50),
                bytes_sent: 100,
                bytes_received: 1_000,
                in_grace: second == 3 && i == 99,
            };
            r.record((i % 2) as usize, &sample);
        }
        r.record_iteration(0, Duration::from_millis(20), true);
        r.record_iteration(1, Duration::from_millis(30), false);
        let delta = r.take_snapshot();
        timeseries.push(TimePoint::from_interval(second, 10, 0, &delta));
        total += &delta;
    }
    r.record_interrupted(1, Duration::from_millis(5));
    r.record_iteration_cut(1);
    total += &r.take_snapshot();

    let info = RunInfo {
        profile: "examples/seed.toml".into(),
        target: "http://127.0.0.1:8080".into(),
        started_at: UNIX_EPOCH + Duration::from_millis(1_735_689_600_250),
        elapsed: Duration::from_secs(3),
        planned_duration: Duration::from_secs(3),
        users: 10,
        seed: 42,
        stop_reason: StopReason::Completed,
        klavier_version: "0.1.0".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["GET /api/health".into(), "GET /api/auth/login".into()],
        scenarios: vec![("health_check".into(), 5), ("login".into(), 1)],
    };
    Summary::build(&info, &layout, &total, timeseries)
}

#[test]
fn header_fields() {
    let s = run();
    assert_eq!(s.schema, SCHEMA);
    assert_eq!(s.started_at, "2025-01-01T00:00:00.250Z");
    assert_eq!(s.duration_seconds, 3.0);
    assert_eq!(s.stop_reason, StopReason::Completed);
    assert_eq!((s.users, s.seed), (10, 42));
}

#[test]
fn request_rows_and_totals() {
    let s = run();
    assert_eq!(s.requests.len(), 2);
    let health = &s.requests[0];
    assert_eq!(health.name, "GET /api/health");
    // Even i: 0 (refused), 2 (301) and 48 more 200s, per second.
    assert_eq!(health.count, 150);
    assert_eq!(
        health.failures, 3,
        "connection refused counts, a 301 does not"
    );
    assert_eq!(health.rate_per_second, 50.0);
    assert_eq!(health.errors.get(&FailureKind::ConnectRefused), Some(&3));
    assert_eq!(health.status_codes.get(&301), Some(&3));
    assert_eq!(
        health.response_time.min_us, 1_070,
        "i = 2 at 1 020 µs + 50 µs; i = 0 was refused"
    );

    assert_eq!(health.failed_time.count, 3, "failures are timed apart");
    assert_eq!(health.response_time.count, 147);

    let login = &s.requests[1];
    assert_eq!(login.failures, 3, "the 503s");
    assert_eq!(login.interrupted_time.count, 1, "timed to the cut");
    assert_eq!(login.interrupted, 1);
    assert_eq!(login.completed_in_grace, 1);
    assert!(login.errors.is_empty());

    assert_eq!(s.totals.name, "total");
    assert_eq!(s.totals.count, 300);
    assert_eq!(s.totals.failures, 6);
    assert_eq!(s.totals.bytes_received, 300_000);
    assert!(s.totals.response_time.p50_us <= s.totals.response_time.p99_us);
    assert!(s.totals.response_time.max_us >= 3_000);
}

#[test]
fn scenario_rows() {
    let s = run();
    let login = &s.scenarios[1];
    assert_eq!((login.name.as_str(), login.weight), ("login", 1));
    assert_eq!(login.iterations, 3);
    assert_eq!(login.failed_iterations, 3);
    assert_eq!(login.cut_iterations, 1);
    assert_eq!(login.rate_per_second, 1.0);
    assert!(login.iteration_time.histogram().is_ok());
}

#[test]
fn timeseries_points() {
    let s = run();
    assert_eq!(s.timeseries.len(), 3);
    let first = &s.timeseries[0];
    assert_eq!(
        (first.second, first.users, first.requests, first.failures),
        (1, 10, 100, 2)
    );
    assert!(first.p50_us < first.p99_us);
}

#[test]
fn json_round_trip_is_lossless() {
    let s = run();
    let json = serde_json::to_string_pretty(&s).expect("serializes");
    let back: Summary = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, s);
}

#[test]
fn json_field_names_are_the_contract() {
    let v = serde_json::to_value(run()).expect("serializes");
    assert_eq!(v["schema"], "klavier.result/v1");
    assert_eq!(v["stop_reason"], "completed");
    let row = &v["requests"][0];
    assert_eq!(row["status_codes"]["200"], 144);
    assert_eq!(row["errors"]["connect_refused"], 3);
    for key in [
        "mean_us",
        "stddev_us",
        "min_us",
        "p50_us",
        "p75_us",
        "p90_us",
        "p95_us",
    ] {
        assert!(row["response_time"][key].is_number(), "{key}");
    }
    for key in ["p99_us", "p99_9_us", "max_us"] {
        assert!(row["service_time"][key].is_number(), "{key}");
    }
    assert!(row["response_time"]["histogram"].is_string());
    assert!(v["scenarios"][0]["iteration_time"]["p99_9_us"].is_number());
    assert!(v["timeseries"][0]["p99_us"].is_number());
}

#[test]
fn encoded_histograms_decode_to_the_recorded_ones() {
    let s = run();
    // The two request rows' histograms merged equal the totals' histogram.
    let mut merged = s.requests[0].response_time.histogram().expect("decodes");
    let login = s.requests[1].response_time.histogram().expect("decodes");
    klavier_stats::merge_into(&mut merged, &login);
    let totals = s.totals.response_time.histogram().expect("decodes");
    assert_eq!(recorded_values(&merged), recorded_values(&totals));
    assert_eq!(
        totals.len(),
        294,
        "successes only: the 6 failures are timed apart"
    );
    assert_eq!(s.totals.failed_time.count, 6);
}

#[test]
fn empty_run_has_finite_figures() {
    let info = RunInfo {
        profile: "p".into(),
        target: "t".into(),
        started_at: SystemTime::now(),
        elapsed: Duration::ZERO,
        planned_duration: Duration::from_secs(1),
        users: 0,
        seed: 0,
        stop_reason: StopReason::Interrupted,
        klavier_version: "0".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec!["a".into()],
        scenarios: vec![("s".into(), 1)],
    };
    let s = Summary::build(&info, &layout, &Snapshot::empty(0, 0), Vec::new());
    assert_eq!(s.requests.len(), 1, "rows come from the layout");
    assert_eq!(s.totals.rate_per_second, 0.0);
    assert_eq!(s.totals.response_time.mean_us, 0.0);
    let json = serde_json::to_string(&s).expect("serializes");
    let back: Summary = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, s);
}

#[test]
fn the_headline_counts_failures_by_kind() {
    let s = run();
    assert_eq!(s.failures.count, 6);
    let kinds: Vec<(&str, u64)> = s
        .failures
        .by_kind
        .iter()
        .map(|(k, &n)| (k.as_str(), n))
        .collect();
    assert_eq!(kinds, [("connect_refused", 3), ("http_status", 3)]);
    assert!((s.failures.ratio - 0.02).abs() < 1e-9);
    assert!(
        s.generator.warnings.is_empty(),
        "{:?}",
        s.generator.warnings
    );
}

fn info(open_model: bool) -> RunInfo {
    RunInfo {
        profile: "p.toml".into(),
        target: "http://127.0.0.1:1".into(),
        started_at: UNIX_EPOCH,
        elapsed: Duration::from_secs(10),
        planned_duration: Duration::from_secs(10),
        users: 2,
        seed: 1,
        stop_reason: StopReason::Completed,
        klavier_version: "0.1.0".into(),
        open_model,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    }
}

fn ok(us: u64) -> Sample {
    Sample {
        outcome: Outcome::Status(200),
        service_time: Duration::from_micros(us),
        response_time: Duration::from_micros(us),
        bytes_sent: 1,
        bytes_received: 1,
        in_grace: false,
    }
}

#[test]
fn dropped_arrivals_are_failures_and_a_warning() {
    // 85 arrivals started, 15 dropped: 15% of the due, failures of kind `dropped`.
    let mut r = Recorder::new(1, 1);
    for _ in 0..85 {
        r.record_arrival(None);
        r.record(0, &ok(1_000));
    }
    for _ in 0..15 {
        r.record_dropped();
    }
    let layout = Layout {
        requests: vec!["GET /".into()],
        scenarios: vec![("a".into(), 1)],
    };
    let s = Summary::build(&info(true), &layout, &r.take_snapshot(), Vec::new());
    assert_eq!(s.totals.failures, 0, "no request failed");
    assert_eq!(s.failures.count, 15);
    assert_eq!(s.failures.by_kind.get("dropped"), Some(&15));
    assert!((s.failures.ratio - 0.15).abs() < 1e-9);
    let arrivals = s.arrivals.expect("open model");
    assert_eq!((arrivals.due, arrivals.cut), (100, 0));
    let warning = &s.generator.warnings[0];
    assert_eq!(warning.kind, "dropped_arrivals");
    assert_eq!(
        warning.message,
        "15.0% of arrivals were dropped: raise max_users; the percentiles cover only the rest"
    );
}

#[test]
fn held_back_users_overflow_and_panics_are_warned_about() {
    let mut r = Recorder::new(1, 1);
    for _ in 0..90 {
        r.record_paced_start();
    }
    r.record_missed_starts(10);
    r.record(0, &ok(2 * 3_600_000_000));
    let mut info = info(false);
    info.panics = vec!["boom".into(), "boom".into()];
    let layout = Layout::default();
    let s = Summary::build(&info, &layout, &r.take_snapshot(), Vec::new());
    let kinds: Vec<&str> = s
        .generator
        .warnings
        .iter()
        .map(|w| w.kind.as_str())
        .collect();
    assert_eq!(kinds, ["held_back", "overflow", "panics"]);
    assert!(s.generator.warnings[0]
        .message
        .contains("10.0% of the planned requests"));
    let pacing = s.pacing.expect("paced");
    assert_eq!((pacing.planned, pacing.missed), (100, 10));
    assert_eq!(s.generator.overflow, 1);
    assert_eq!(s.requests[0].overflow, 1);
    assert_eq!(s.generator.panics, 2);
    assert_eq!(s.generator.panic_messages, ["boom"], "distinct messages");
}

#[test]
fn the_warmup_is_kept_apart_and_rates_are_per_the_time_after_it() {
    let mut measured = Recorder::new(1, 0);
    let mut warm = Recorder::new(1, 0);
    for _ in 0..80 {
        measured.record(0, &ok(1_000));
    }
    for _ in 0..40 {
        warm.record(0, &ok(250_000));
    }
    let mut info = info(false);
    info.warmup = Duration::from_secs(2);
    let layout = Layout {
        requests: vec!["GET /".into()],
        scenarios: Vec::new(),
    };
    let s = Summary::build(&info, &layout, &measured.take_snapshot(), Vec::new())
        .with_warmup(&warm.take_snapshot(), info.warmup);
    assert_eq!(s.totals.count, 80);
    assert_eq!(
        s.totals.rate_per_second, 10.0,
        "80 in the 8 s after the warm-up"
    );
    assert!(
        s.totals.response_time.max_us < 2_000,
        "cold starts kept out"
    );
    let warmup = s.warmup.expect("a warm-up");
    assert_eq!(warmup.duration_seconds, 2.0);
    assert_eq!(warmup.totals.count, 40);
    assert!(warmup.totals.response_time.p50_us >= 249_000);
}

#[test]
fn files_written_before_the_new_fields_still_read() {
    // An older result: no failed_time, failures, pacing, warm-up or warnings.
    let mut v: serde_json::Value = serde_json::to_value(run()).expect("serializes");
    for row in v["requests"].as_array_mut().expect("rows") {
        let row = row.as_object_mut().expect("object");
        for key in ["failed_time", "interrupted_time", "overflow"] {
            row.remove(key);
        }
        row["response_time"]
            .as_object_mut()
            .expect("latency")
            .remove("count");
    }
    let top = v.as_object_mut().expect("object");
    for key in ["failures", "pacing", "warmup"] {
        top.remove(key);
    }
    let generator = top["generator"].as_object_mut().expect("generator");
    for key in ["warnings", "panics", "panic_messages", "overflow"] {
        generator.remove(key);
    }
    let back: Summary = serde_json::from_value(v).expect("an older file reads");
    assert_eq!(back.requests[0].failed_time.count, 0);
    assert_eq!(back.failures.count, 0);
    assert!(back.warmup.is_none());
}
