//! Merging snapshots is exact and order-independent.

use std::time::Duration;

use klavier_stats::{recorded_values, FailureKind, Outcome, Recorder, Sample, Snapshot};
use proptest::prelude::*;

const REQUESTS: usize = 3;
const SCENARIOS: usize = 2;

/// Everything observable about a snapshot, in a comparable form.
fn fingerprint(s: &Snapshot) -> impl PartialEq + std::fmt::Debug {
    let requests: Vec<_> = s
        .request_rows()
        .iter()
        .map(|r| {
            (
                recorded_values(r.response_time()),
                recorded_values(r.service_time()),
                recorded_values(r.failed_time()),
                recorded_values(r.interrupted_time()),
                r.status_codes().iter().collect::<Vec<_>>(),
                *r.errors(),
                (r.bytes_sent(), r.bytes_received()),
                (r.interrupted(), r.completed_in_grace()),
            )
        })
        .collect();
    let scenarios: Vec<_> = s
        .scenario_rows()
        .iter()
        .map(|r| {
            (
                recorded_values(r.iteration_time()),
                recorded_values(r.failed_iteration_time()),
                r.cut_iterations(),
            )
        })
        .collect();
    let overall = s.overall_response_time();
    let quantiles: Vec<_> = [0.0, 0.5, 0.9, 0.99, 0.999, 1.0]
        .iter()
        .map(|&q| overall.value_at_quantile(q))
        .collect();
    (requests, scenarios, quantiles, s.requests(), s.failures())
}

#[derive(Clone, Debug)]
enum Event {
    Request(usize, Sample),
    Interrupted(usize),
    Iteration(usize, Duration, bool),
    Cut(usize),
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        prop::sample::select(vec![200u16, 201, 301, 404, 500, 503]).prop_map(Outcome::Status),
        prop::sample::select(FailureKind::ALL.to_vec()).prop_map(Outcome::Failed),
    ]
}

fn latency() -> impl Strategy<Value = Duration> {
    prop_oneof![
        6 => (0u64..5_000).prop_map(Duration::from_micros),
        3 => (0u64..20_000_000).prop_map(Duration::from_micros),
        1 => Just(Duration::from_secs(7200)), // clamped to the 1 h ceiling
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        8 => (0..REQUESTS, outcome(), latency(), latency(), 0u64..10_000, any::<bool>()).prop_map(
            |(row, outcome, service_time, response_time, bytes, in_grace)| {
                Event::Request(row, Sample {
                    outcome,
                    service_time,
                    response_time,
                    bytes_sent: bytes / 3,
                    bytes_received: bytes,
                    in_grace,
                })
            }
        ),
        1 => (0..REQUESTS).prop_map(Event::Interrupted),
        2 => (0..SCENARIOS, latency(), any::<bool>()).prop_map(|(s, d, ok)| Event::Iteration(s, d, ok)),
        1 => (0..SCENARIOS).prop_map(Event::Cut),
    ]
}

fn apply(r: &mut Recorder, e: &Event) {
    match *e {
        Event::Request(row, ref s) => r.record(row, s),
        Event::Interrupted(row) => r.record_interrupted(row, Duration::from_millis(5)),
        Event::Iteration(s, d, ok) => r.record_iteration(s, d, ok),
        Event::Cut(s) => r.record_iteration_cut(s),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any split of the events across recorders and intervals, merged in any
    /// order, equals recording everything in one place.
    #[test]
    fn any_split_merged_in_any_order_equals_one_recorder(
        events in prop::collection::vec((event(), 0usize..4), 0..200),
        order in Just((0..8usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let mut whole = Recorder::new(REQUESTS, SCENARIOS);
        let mut parts: Vec<Recorder> = (0..4).map(|_| Recorder::new(REQUESTS, SCENARIOS)).collect();
        // Two intervals per recorder: a take in the middle must lose nothing.
        let mut first_half: Vec<Option<Snapshot>> = vec![None; 4];
        for (i, (e, part)) in events.iter().enumerate() {
            apply(&mut whole, e);
            apply(&mut parts[*part], e);
            if i == events.len() / 2 {
                for (slot, r) in first_half.iter_mut().zip(&mut parts) {
                    *slot = Some(r.take_snapshot());
                }
            }
        }
        let mut snapshots: Vec<Snapshot> = first_half
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Snapshot::empty(REQUESTS, SCENARIOS)))
            .collect();
        snapshots.extend(parts.iter_mut().map(Recorder::take_snapshot));

        let mut merged = Snapshot::empty(REQUESTS, SCENARIOS);
        for &i in &order {
            merged += &snapshots[i];
        }
        prop_assert_eq!(fingerprint(&merged), fingerprint(&whole.take_snapshot()));
    }

    /// `a += b` then `+= c` equals `c += b` then `+= a`.
    #[test]
    fn merging_is_commutative_and_associative(
        events in prop::collection::vec((event(), 0usize..3), 0..200),
    ) {
        let mut parts: Vec<Recorder> = (0..3).map(|_| Recorder::new(REQUESTS, SCENARIOS)).collect();
        for (e, part) in &events {
            apply(&mut parts[*part], e);
        }
        let [a, b, c] = [0, 1, 2].map(|i| parts[i].take_snapshot());
        let mut left = a.clone();
        left += &b;
        left += &c;
        let mut right = c.clone();
        let mut bc = b.clone();
        bc += &a;
        right += &bc;
        prop_assert_eq!(fingerprint(&left), fingerprint(&right));
    }
}

#[test]
fn snapshots_of_different_shapes_merge_to_the_larger() {
    let mut small = Snapshot::empty(1, 0);
    let mut r = Recorder::new(3, 2);
    r.record(
        2,
        &Sample {
            outcome: Outcome::Status(200),
            service_time: Duration::from_millis(1),
            response_time: Duration::from_millis(1),
            bytes_sent: 0,
            bytes_received: 0,
            in_grace: false,
        },
    );
    small += &r.take_snapshot();
    assert_eq!(small.request_rows().len(), 3);
    assert_eq!(small.scenario_rows().len(), 2);
    assert_eq!(small.request_rows()[2].count(), 1);
}
