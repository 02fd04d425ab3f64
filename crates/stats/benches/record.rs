//! Costs on the hot path and once an interval: `Recorder::record`,
//! `Recorder::take_snapshot` and `Snapshot +=`.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use klavier_stats::{FailureKind, Outcome, Recorder, Sample, Snapshot};

const REQUESTS: usize = 8;
const SCENARIOS: usize = 3;

/// A spread of realistic samples: mostly fast 200s, some slow, a few failures.
fn samples() -> Vec<(usize, Sample)> {
    (0..1024u64)
        .map(|i| {
            let us = match i % 100 {
                0 => 2_500_000,
                1..=5 => 40_000 + i * 97,
                _ => 300 + (i * 7919) % 2_000,
            };
            let outcome = match i % 50 {
                0 => Outcome::Failed(FailureKind::Timeout),
                1 => Outcome::Status(503),
                2 => Outcome::Status(301),
                _ => Outcome::Status(200),
            };
            let sample = Sample {
                outcome,
                service_time: Duration::from_micros(us),
                response_time: Duration::from_micros(us + 13),
                bytes_sent: 120,
                bytes_received: 2048,
                in_grace: false,
            };
            ((i as usize) % REQUESTS, sample)
        })
        .collect()
}

/// A recorder that has seen one interval of traffic, so its histograms are grown.
fn warm_recorder(samples: &[(usize, Sample)]) -> Recorder {
    let mut r = Recorder::new(REQUESTS, SCENARIOS);
    for (row, s) in samples {
        r.record(*row, s);
    }
    for s in 0..SCENARIOS {
        r.record_iteration(s, Duration::from_millis(12), true);
    }
    r
}

fn record(c: &mut Criterion) {
    let samples = samples();
    let mut r = warm_recorder(&samples);
    let mut i = 0usize;
    c.bench_function("Recorder::record", |b| {
        b.iter(|| {
            let (row, s) = &samples[i % samples.len()];
            r.record(black_box(*row), black_box(s));
            i = i.wrapping_add(1);
        })
    });
}

fn take_snapshot(c: &mut Criterion) {
    let samples = samples();
    c.bench_function("Recorder::take_snapshot (8 requests, 3 scenarios)", |b| {
        b.iter_batched_ref(
            || warm_recorder(&samples),
            |r| black_box(r.take_snapshot()),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("Recorder::take_snapshot_reusing", |b| {
        let mut r = warm_recorder(&samples);
        let mut spare = r.take_snapshot();
        b.iter(|| {
            spare = r.take_snapshot_reusing(std::mem::replace(&mut spare, Snapshot::empty(0, 0)));
        })
    });
}

fn merge(c: &mut Criterion) {
    let samples = samples();
    let delta = warm_recorder(&samples).take_snapshot();
    let mut total = Snapshot::empty(REQUESTS, SCENARIOS);
    c.bench_function("Snapshot += (8 requests, 3 scenarios)", |b| {
        b.iter(|| total += black_box(&delta))
    });
}

criterion_group!(benches, record, take_snapshot, merge);
criterion_main!(benches);
