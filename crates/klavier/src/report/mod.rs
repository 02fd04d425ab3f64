//! Reports: pure writers from a [`Summary`](klavier_stats::Summary) to any `Write`.
//!
//! Reports depend on the statistics crate only, never on the engine or the CLI:
//! the same summary renders the same bytes, whether it comes from a run that just
//! ended or from a result file read back later.

mod checks;
mod compare;
mod csv_file;
mod failed;
mod html;
mod json;
mod junit;
mod phases;
mod preview;
mod shape;
mod style;
mod table;
mod text;
mod units;
mod verdict;

pub use compare::write_comparison;
pub use csv_file::write_csv;
pub use html::{write_comparison_html, write_html, write_search_html, SearchPage, SearchStep};
pub use json::write_json;
pub use junit::write_junit;
pub use preview::{write_preview_json, write_preview_text};
pub use style::TextStyle;
pub use text::{write_text, write_text_styled};

/// A summary built from real recorded samples, shared by the writers' tests.
#[cfg(test)]
pub(crate) fn fixture() -> klavier_stats::Summary {
    use klavier_stats::{
        FailureKind, Layout, Outcome, Recorder, RunInfo, Sample, Snapshot, StopReason, Summary,
        TimePoint,
    };
    use std::time::{Duration, UNIX_EPOCH};

    let mut recorder = Recorder::new(3, 2);
    let mut total = Snapshot::empty(3, 2);
    let mut timeseries = Vec::new();
    for second in 1..=10u64 {
        for i in 0..200u64 {
            let row = [0, 0, 0, 0, 0, 0, 0, 1, 1, 2][(i % 10) as usize];
            let base = [600, 9_000, 140_000][row];
            let us = base + (i * 7919 + second * 31) % (base * 2);
            let outcome = match i {
                0 if second == 3 => Outcome::Failed(FailureKind::ConnectRefused),
                1 if second % 2 == 0 => Outcome::Status(503),
                5 => Outcome::Status(302),
                9 if second == 7 => Outcome::Failed(FailureKind::Timeout),
                _ => Outcome::Status(200),
            };
            let sample = Sample {
                outcome,
                service_time: Duration::from_micros(us - us / 20),
                response_time: Duration::from_micros(us),
                bytes_sent: 180,
                bytes_received: [512, 4_096, 70_000][row],
                in_grace: second == 10 && i >= 195,
            };
            recorder.record(row, &sample);
            if i % 4 == 0 {
                let ok = !outcome.is_failure();
                recorder.record_iteration((i % 8 / 4) as usize, Duration::from_micros(us * 3), ok);
            }
        }
        let delta = recorder.take_snapshot();
        timeseries.push(TimePoint::from_interval(second, 20, 0, &delta));
        total += &delta;
    }
    recorder.record_interrupted(2, Duration::from_millis(5));
    recorder.record_iteration_cut(1);
    total += &recorder.take_snapshot();

    let info = RunInfo {
        profile: "examples/demo.toml".into(),
        target: "http://127.0.0.1:8080".into(),
        started_at: UNIX_EPOCH + Duration::from_millis(1_735_689_600_250),
        elapsed: Duration::from_millis(10_004),
        planned_duration: Duration::from_secs(10),
        users: 20,
        seed: 42,
        stop_reason: StopReason::Completed,
        klavier_version: "0.1.0".into(),
        open_model: false,
        worker_cpu_peak: None,
        warmup: Duration::ZERO,
        panics: Vec::new(),
    };
    let layout = Layout {
        requests: vec![
            "GET /api/health".into(),
            "GET /api/auth/login".into(),
            "POST /api/orders".into(),
        ],
        scenarios: vec![("health_check".into(), 5), ("login".into(), 1)],
    };
    Summary::build(&info, &layout, &total, timeseries)
}
