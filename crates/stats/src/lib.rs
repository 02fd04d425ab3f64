//! Klavier statistics: samples, failure kinds, HDR latency histograms, mergeable
//! snapshots and the result summary.
//!
//! Pure and synchronous. Each worker thread owns a [`Recorder`] and records every
//! completed request into it without sharing anything; once an interval it hands
//! over a [`Snapshot`]. Snapshots merge with `+=` by *adding* histograms (never
//! averaging percentiles), so threads, intervals and machines combine exactly and
//! in any order. At the end, [`Summary::build`] turns the merged snapshot into the
//! `klavier.result/v1` JSON contract that the reports render.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use klavier_stats::{Layout, Outcome, Recorder, RunInfo, Sample, Snapshot, StopReason, Summary};
//!
//! let mut recorder = Recorder::new(1, 1); // one request row, one scenario row
//! let sample = Sample {
//!     outcome: Outcome::Status(200),
//!     service_time: Duration::from_micros(812),
//!     response_time: Duration::from_micros(812),
//!     bytes_sent: 120,
//!     bytes_received: 512,
//!     in_grace: false,
//! };
//! recorder.record(0, &sample);
//! recorder.record_iteration(0, Duration::from_micros(900), true);
//!
//! let mut total = Snapshot::empty(1, 1);
//! total += &recorder.take_snapshot();
//! assert_eq!(total.requests(), 1);
//!
//! let info = RunInfo {
//!     profile: "demo.toml".into(),
//!     target: "http://127.0.0.1:8080".into(),
//!     started_at: SystemTime::now(),
//!     elapsed: Duration::from_secs(1),
//!     planned_duration: Duration::from_secs(1),
//!     users: 1,
//!     seed: 7,
//!     stop_reason: StopReason::Completed,
//!     klavier_version: "0.1.0".into(),
//!     open_model: false,
//!     worker_cpu_peak: None,
//!     warmup: Duration::ZERO,
//!     panics: Vec::new(),
//! };
//! let layout = Layout { requests: vec!["GET /".into()], scenarios: vec![("browse".into(), 1)] };
//! let summary = Summary::build(&info, &layout, &total, Vec::new());
//! assert_eq!(summary.requests[0].count, 1);
//! ```

mod arrivals;
mod checks;
mod detail;
mod histogram;
mod pacing;
mod phases;
mod recorder;
mod request;
mod sample;
mod scenario;
mod snapshot;
mod summary;
mod time;

pub use hdrhistogram::Histogram;

pub use arrivals::ArrivalStats;
pub use checks::CheckStats;
pub use detail::{Detail, Reason};
pub use histogram::{
    clamp_us, decode_histogram, encode_histogram, merge_into, new_histogram, record_latency,
    recorded_values, HistogramDecodeError, HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS,
};
pub use pacing::PacingStats;
pub use phases::{Phase, PhaseStats, Timing};
pub use recorder::Recorder;
pub use request::{RequestStats, StatusCounts};
pub use sample::{is_success_status, FailureKind, Outcome, Sample};
pub use scenario::ScenarioStats;
pub use snapshot::Snapshot;
pub use summary::{
    ArrivalSummary, FailureSummary, GeneratorSummary, LatencyStats, Layout, MergeError, MergeInfo,
    PacingSummary, RequestSummary, RunInfo, ScenarioSummary, SegmentInfo, StopReason, Summary,
    TimePoint, WarmupSummary, Warning, DROPPED_KIND, HTTP_STATUS_KIND, MISSED_LIMIT, SCHEMA,
    TOTAL_ROW,
};
pub use time::rfc3339_utc;
