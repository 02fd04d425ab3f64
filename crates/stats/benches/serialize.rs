//! Costs once an interval and once a run: serializing a snapshot's latency histogram
//! (HDR V2 + DEFLATE + base64, as in the result file) and building the whole
//! `klavier.result/v1` summary of a snapshot and writing it as JSON.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion};
use klavier_stats::{
    encode_histogram, new_histogram, record_latency, Layout, Outcome, Recorder, RunInfo, Sample,
    StopReason, Summary,
};

const REQUESTS: usize = 8;
const SCENARIOS: usize = 3;

/// 100,000 latencies spread like a real run: mostly 0.3–2 ms, a slow tail.
fn latencies() -> impl Iterator<Item = Duration> {
    (0..100_000u64).map(|i| {
        let us = match i % 100 {
            0 => 2_500_000,
            1..=5 => 40_000 + i % 9_973,
            _ => 300 + (i * 7919) % 2_000,
        };
        Duration::from_micros(us)
    })
}

fn histogram(c: &mut Criterion) {
    let mut h = new_histogram();
    for d in latencies() {
        record_latency(&mut h, d);
    }
    c.bench_function("encode a latency histogram (100k samples)", |b| {
        b.iter(|| encode_histogram(black_box(&h)))
    });
}

fn summary(c: &mut Criterion) {
    let mut recorder = Recorder::new(REQUESTS, SCENARIOS);
    for (i, d) in latencies().enumerate() {
        let sample = Sample {
            outcome: Outcome::Status(if i % 50 == 0 { 503 } else { 200 }),
            service_time: d,
            response_time: d,
            bytes_sent: 120,
            bytes_received: 2048,
            in_grace: false,
        };
        recorder.record(i % REQUESTS, &sample);
    }
    for s in 0..SCENARIOS {
        recorder.record_iteration(s, Duration::from_millis(12), true);
    }
    let snapshot = recorder.take_snapshot();
    let info = RunInfo {
        profile: "bench.toml".into(),
        target: "http://127.0.0.1:8080".into(),
        started_at: SystemTime::UNIX_EPOCH,
        elapsed: Duration::from_secs(10),
        planned_duration: Duration::from_secs(10),
        users: 64,
        seed: 7,
        stop_reason: StopReason::Completed,
        klavier_version: "bench".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: (0..REQUESTS).map(|i| format!("GET /r/{i}")).collect(),
        scenarios: (0..SCENARIOS).map(|i| (format!("s{i}"), 1)).collect(),
    };
    c.bench_function(
        "summary of a snapshot to JSON (8 requests, 3 scenarios)",
        |b| {
            b.iter(|| {
                let summary = Summary::build(&info, &layout, black_box(&snapshot), Vec::new());
                serde_json::to_vec(&summary).expect("a summary serializes")
            })
        },
    );
}

criterion_group!(benches, histogram, summary);
criterion_main!(benches);
