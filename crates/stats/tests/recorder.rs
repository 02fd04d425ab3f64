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
    // Successes in one histogram, every failure (status or transport) in the other.
    assert_eq!(row.response_time().len(), 2);
    assert_eq!(row.failed_time().len(), 4);
    assert_eq!(row.bytes_sent(), 600);
    assert_eq!(row.bytes_received(), 6000);
}

#[test]
fn interrupted_and_grace_are_counted_apart() {
    let mut r = Recorder::new(2, 0);
    let mut late = sample(Outcome::Status(200), 10);
    late.in_grace = true;
    r.record(1, &late);
    r.record_interrupted(1, Duration::from_millis(5));
    r.record_interrupted(1, Duration::from_millis(5));
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
    // Timed apart: the good iteration in one histogram, the failed one in the other.
    assert!(row
        .iteration_time()
        .equivalent(row.iteration_time().max(), 3_000));
    assert!(row
        .failed_iteration_time()
        .equivalent(row.failed_iteration_time().max(), 5_000));
    assert_eq!(snap.scenario_rows()[0].iterations(), 0);
}

#[test]
fn every_request_sent_is_timed_failures_apart() {
    // A 1 s timeout, a reset after 2 ms, a 503 after 4 ms and two good 1 ms responses:
    // the successful histogram holds only the good ones, the failed one the rest, each
    // to the moment it failed; nothing sent goes untimed.
    let mut r = Recorder::new(1, 0);
    r.record(0, &sample(Outcome::Failed(FailureKind::Timeout), 1_000_000));
    r.record(
        0,
        &sample(Outcome::Failed(FailureKind::ConnectionReset), 2_000),
    );
    r.record(0, &sample(Outcome::Status(503), 4_000));
    r.record(0, &sample(Outcome::Status(200), 1_000));
    r.record(0, &sample(Outcome::Status(200), 1_000));
    r.record_interrupted(0, Duration::from_secs(30));
    let snap = r.take_snapshot();
    let row = &snap.request_rows()[0];
    assert_eq!(row.response_time().len(), 2);
    assert_eq!(row.service_time().len(), 2);
    assert!(row
        .response_time()
        .equivalent(row.response_time().max(), 1_000));
    assert_eq!(row.failed_time().len(), 3);
    assert_eq!(row.failed_time().len(), row.failures());
    assert!(row
        .failed_time()
        .equivalent(row.failed_time().max(), 1_000_000));
    assert!(row.failed_time().equivalent(row.failed_time().min(), 2_000));
    assert_eq!(row.interrupted(), 1);
    assert!(row
        .interrupted_time()
        .equivalent(row.interrupted_time().max(), 30_000_000));
}

#[test]
fn a_status_the_caller_accepts_is_timed_as_a_success() {
    // `expect.status = [404]`: the engine counts the 404 as accepted and judges it a success.
    let mut r = Recorder::new(1, 0);
    r.record_accepted(0, 404);
    r.record_judged(0, &sample(Outcome::Status(404), 700), false);
    r.record_judged(0, &sample(Outcome::Status(404), 900), true);
    let snap = r.take_snapshot();
    let row = &snap.request_rows()[0];
    assert_eq!(row.failures(), 1);
    assert_eq!(row.failed_time().len(), 1);
    assert_eq!(row.response_time().len(), 1);
}

#[test]
fn latencies_beyond_the_range_are_counted_as_overflow() {
    let mut r = Recorder::new(1, 1);
    r.record(0, &sample(Outcome::Status(200), 2 * 3_600_000_000));
    r.record(0, &sample(Outcome::Status(200), 3_600_000_000));
    r.record_iteration(0, Duration::from_secs(5 * 3600), true);
    r.record_lag(Duration::from_secs(7200));
    let snap = r.take_snapshot();
    assert_eq!(snap.request_rows()[0].overflow(), 1, "one hour itself fits");
    assert_eq!(snap.scenario_rows()[0].overflow(), 1);
    assert_eq!(snap.overflow(), 3);
    let mut total = Snapshot::empty(1, 1);
    total += &snap;
    total += &snap;
    assert_eq!(total.overflow(), 6, "overflow merges like every count");
}

#[test]
fn arrivals_due_are_started_dropped_or_cut() {
    let mut r = Recorder::new(0, 0);
    r.record_arrival(None);
    r.record_arrival(Some(Duration::from_millis(3)));
    r.record_dropped();
    r.record_cut_arrivals(4);
    let snap = r.take_snapshot();
    let a = snap.arrivals();
    assert_eq!((a.started(), a.dropped(), a.cut(), a.due()), (2, 1, 4, 7));
    assert_eq!(
        a.wait().len(),
        1,
        "only the arrival that found no idle user waited"
    );
    assert_eq!(snap.failures_with_dropped(), 1);
}

#[test]
fn pacing_counts_planned_and_missed_starts() {
    let mut r = Recorder::new(0, 0);
    for _ in 0..90 {
        r.record_paced_start();
    }
    r.record_missed_starts(10);
    r.record_user_lag(Duration::from_millis(100));
    let snap = r.take_snapshot();
    assert_eq!(snap.pacing().planned(), 100);
    assert_eq!(snap.pacing().missed(), 10);
    assert_eq!(snap.pacing().user_lag().len(), 1);
    assert!(!snap.is_empty());
}

#[test]
fn take_snapshot_resets_the_recorder() {
    let mut r = Recorder::new(1, 1);
    r.record(0, &sample(Outcome::Status(500), 2_000_000));
    r.record_interrupted(0, Duration::from_millis(5));
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
