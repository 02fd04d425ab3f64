//! Recording and snapshot accounting, as the engine uses them.

use std::time::Duration;

use klavier_stats::{
    recorded_values, FailureKind, Outcome, Recorder, Sample, Snapshot, HIGHEST_US, LOWEST_US,
};

fn sample(outcome: Outcome, us: u64) -> Sample {
    Sample {
        outcome,
        service_time: Duration::from_micros(us),
        response_time: Duration::from_micros(us),
        bytes_sent: 100,
        bytes_received: 1000,
        in_grace: false,
    }
}

#[test]
fn failures_are_transport_errors_and_statuses_outside_200_to_399() {
    let mut r = Recorder::new(1, 0);
    // (outcome, counts as a failure)
    let table = [
        (Outcome::Status(200), false),
        (Outcome::Status(301), false), // a redirect is a success
        (Outcome::Status(404), true),
        (Outcome::Status(503), true),
        (Outcome::Failed(FailureKind::ConnectRefused), true),
        (Outcome::Failed(FailureKind::Timeout), true),
    ];
    for (outcome, _) in table {
        r.record(0, &sample(outcome, 500));
    }
    let snap = r.take_snapshot();
    let expected_failures = table.iter().filter(|(_, f)| *f).count() as u64;
    assert_eq!(snap.requests(), table.len() as u64);
    assert_eq!(snap.failures(), expected_failures);

    let row = &snap.request_rows()[0];
    assert_eq!(row.status_codes().get(301), 1);
    assert_eq!(row.status_codes().failures(), 2);
    assert_eq!(row.errors()[FailureKind::ConnectRefused.index()], 1);
    assert_eq!(row.errors()[FailureKind::Timeout.index()], 1);
    // Transport failures have no response to time.
    assert_eq!(row.response_time().len(), 4);
    assert_eq!(row.bytes_sent(), 600);
    assert_eq!(row.bytes_received(), 6000);
}

#[test]
fn interrupted_and_grace_are_counted_apart() {
    let mut r = Recorder::new(2, 0);
    let mut late = sample(Outcome::Status(200), 10);
    late.in_grace = true;
    r.record(1, &late);
    r.record_interrupted(1);
    r.record_interrupted(1);
    let snap = r.take_snapshot();
    let row = &snap.request_rows()[1];
    assert_eq!(
        row.count(),
        1,
        "an interrupted request is not a completed one"
    );
    assert_eq!(row.failures(), 0, "nor a failure");
    assert_eq!(row.interrupted(), 2);
    assert_eq!(row.completed_in_grace(), 1);
}

#[test]
fn iterations_ok_failed_and_cut() {
    let mut r = Recorder::new(0, 2);
    r.record_iteration(1, Duration::from_millis(3), true);
    r.record_iteration(1, Duration::from_millis(5), false);
    r.record_iteration_cut(1);
    let snap = r.take_snapshot();
    let row = &snap.scenario_rows()[1];
    assert_eq!(row.iterations(), 2);
    assert_eq!(row.failed_iterations(), 1);
    assert_eq!(row.cut_iterations(), 1);
    assert!(row
        .iteration_time()
        .equivalent(row.iteration_time().max(), 5_000));
    assert_eq!(snap.scenario_rows()[0].iterations(), 0);
}

#[test]
fn take_snapshot_resets_the_recorder() {
    let mut r = Recorder::new(1, 1);
    r.record(0, &sample(Outcome::Status(500), 2_000_000));
    r.record_interrupted(0);
    r.record_iteration(0, Duration::from_secs(1), false);
    r.record_iteration_cut(0);
    let first = r.take_snapshot();
    assert!(!first.is_empty());
    assert_eq!(first.requests(), 1);

    let second = r.take_snapshot();
    assert!(second.is_empty());
    assert_eq!(second.requests(), 0);
    assert_eq!(second.failures(), 0);
    assert_eq!(second.response_time_quantile(0.99), Duration::ZERO);
    assert_eq!(second.request_rows()[0].status_codes().iter().count(), 0);

    // What is recorded next is all the next snapshot holds.
    r.record(0, &sample(Outcome::Status(200), 7));
    let third = r.take_snapshot();
    assert_eq!(third.requests(), 1);
    assert_eq!(third.failures(), 0);
    assert_eq!(third.response_time_quantile(1.0), Duration::from_micros(7));
}

#[test]
fn take_snapshot_reusing_swaps_in_the_spare() {
    let mut r = Recorder::new(1, 0);
    r.record(0, &sample(Outcome::Status(200), 5));
    let first = r.take_snapshot();
    r.record(0, &sample(Outcome::Status(200), 6));
    // The aggregator hands back a snapshot it has merged; its contents must not leak.
    let second = r.take_snapshot_reusing(first);
    assert_eq!(second.requests(), 1);
    assert_eq!(second.response_time_quantile(1.0), Duration::from_micros(6));
    assert!(r.peek().is_empty());
    // A spare of the wrong shape is not used.
    let third = r.take_snapshot_reusing(Snapshot::empty(5, 5));
    assert_eq!(third.request_rows().len(), 1);
}

#[test]
fn zero_and_huge_latencies_are_clamped_not_dropped() {
    let mut r = Recorder::new(1, 1);
    let mut s = sample(Outcome::Status(200), 0);
    r.record(0, &s);
    s.response_time = Duration::from_secs(100 * 3600);
    s.service_time = Duration::MAX;
    r.record(0, &s);
    r.record_iteration(0, Duration::MAX, true);
    let snap = r.take_snapshot();
    let row = &snap.request_rows()[0];
    assert_eq!(row.response_time().len(), 2);
    assert_eq!(row.response_time().min(), LOWEST_US);
    assert!(row
        .response_time()
        .equivalent(row.response_time().max(), HIGHEST_US));
    assert!(row
        .service_time()
        .equivalent(row.service_time().max(), HIGHEST_US));
    assert_eq!(snap.scenario_rows()[0].iterations(), 1);
}

#[test]
fn quantiles_match_a_brute_force_sort_within_hdr_precision() {
    // A skewed spread from 1 µs to ~10 s, deterministic.
    let mut values: Vec<u64> = (1..=20_000u64)
        .map(|i| (i * i * 7919) % 10_000_000 + 1)
        .collect();
    let mut r = Recorder::new(1, 0);
    for &v in &values {
        r.record(0, &sample(Outcome::Status(200), v));
    }
    let snap = r.take_snapshot();
    let h = snap.request_rows()[0].response_time();
    values.sort_unstable();
    for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
        // The rank HdrHistogram uses: the ceil(q·n)-th smallest value, at least the first.
        let rank = ((q * values.len() as f64).ceil() as usize).max(1);
        let exact = values[rank - 1];
        let got = snap.response_time_quantile(q).as_micros() as u64;
        assert!(
            h.equivalent(got, exact),
            "q={q}: histogram {got} µs, exact {exact} µs"
        );
        // 3 significant digits: within 0.1 % (plus one unit for tiny values).
        let tolerance = exact / 1000 + 1;
        assert!(got.abs_diff(exact) <= tolerance, "q={q}: {got} vs {exact}");
    }
    assert_eq!(
        recorded_values(h).iter().map(|&(_, n)| n).sum::<u64>(),
        values.len() as u64
    );
}
