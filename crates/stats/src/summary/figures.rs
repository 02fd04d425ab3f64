//! The run-wide figures beside the rows: failures by kind (dropped arrivals included),
//! the open model's arrivals, the closed model's pacing and the warm-up kept apart.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sample::FailureKind;
use crate::snapshot::Snapshot;

use super::{per_second, ratio, seconds, LatencyStats, RequestSummary, TOTAL_ROW};

/// The key of failed statuses in [`FailureSummary::by_kind`].
pub const HTTP_STATUS_KIND: &str = "http_status";
/// The key of dropped arrivals in [`FailureSummary::by_kind`].
pub const DROPPED_KIND: &str = "dropped";

/// Everything that went wrong, by kind: the headline's failure count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureSummary {
    /// Failed requests plus dropped arrivals.
    pub count: u64,
    /// `count` over completed requests plus dropped arrivals (0 when there were none).
    pub ratio: f64,
    /// By kind: `http_status` (a status outside `200..=399` not accepted by
    /// `expect.status`), each transport [`FailureKind`] by name, `dropped` (arrivals that
    /// found no free user); only kinds that occurred.
    pub by_kind: BTreeMap<String, u64>,
}

impl FailureSummary {
    pub(super) fn build(total: &Snapshot) -> Self {
        let rows = total.total();
        let mut by_kind = BTreeMap::new();
        by_kind.insert(HTTP_STATUS_KIND.to_owned(), rows.status_failures());
        for kind in FailureKind::ALL {
            by_kind.insert(kind.as_str().to_owned(), rows.errors()[kind.index()]);
        }
        by_kind.insert(DROPPED_KIND.to_owned(), total.arrivals().dropped());
        by_kind.retain(|_, n| *n > 0);
        let count = total.failures_with_dropped();
        FailureSummary {
            count,
            ratio: ratio(count, rows.count() + total.arrivals().dropped()),
            by_kind,
        }
    }
}

/// The open model's arrivals over the run: every arrival due before the end is
/// started, dropped or cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArrivalSummary {
    /// Arrivals that started their scenario.
    pub started: u64,
    /// Arrivals that found no free user and no room to wait: never started.
    pub dropped: u64,
    /// Arrivals due before the end not started when the run stopped (absent in older files).
    #[serde(default)]
    pub cut: u64,
    /// Arrivals due: started + dropped + cut (absent in older files).
    #[serde(default)]
    pub due: u64,
    /// Started arrivals per second.
    pub rate_per_second: f64,
    /// How long arrivals that found every user busy waited for one (its `count` is how
    /// many waited; in older files, every started arrival's wait, punctual or not).
    pub wait: LatencyStats,
}

impl ArrivalSummary {
    pub(super) fn build(total: &Snapshot, measured: Duration) -> Self {
        let a = total.arrivals();
        ArrivalSummary {
            started: a.started(),
            dropped: a.dropped(),
            cut: a.cut(),
            due: a.due(),
            rate_per_second: per_second(a.started(), measured),
            wait: LatencyStats::from_histogram(a.wait()),
        }
    }
}

/// The closed model's pacing: how many paced starts the schedule planned and how many a
/// slow server made the users miss (the closed model's blind spot, which the open model
/// measures).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PacingSummary {
    /// Paced starts the schedule planned (made plus missed).
    pub planned: u64,
    /// Planned starts never made because the server held the user past them.
    pub missed: u64,
    /// `missed` over `planned`.
    pub missed_ratio: f64,
    /// How far behind its schedule each user was when it stopped.
    pub user_lag: LatencyStats,
}

impl PacingSummary {
    pub(super) fn build(total: &Snapshot) -> Option<Self> {
        let p = total.pacing();
        (p.planned() > 0).then(|| PacingSummary {
            planned: p.planned(),
            missed: p.missed(),
            missed_ratio: ratio(p.missed(), p.planned()),
            user_lag: LatencyStats::from_histogram(p.user_lag()),
        })
    }
}

/// The warm-up: measured like the rest but kept out of every other figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarmupSummary {
    /// How long it lasted from the start, in seconds.
    pub duration_seconds: f64,
    /// Its requests, all rows merged.
    pub totals: RequestSummary,
    /// Arrivals dropped during it (open model).
    pub dropped: u64,
    /// How late the generator was during it.
    pub schedule_lag: LatencyStats,
}

impl WarmupSummary {
    pub(super) fn build(warmup: &Snapshot, duration: Duration) -> Self {
        WarmupSummary {
            duration_seconds: seconds(duration),
            totals: RequestSummary::build(TOTAL_ROW.to_owned(), &warmup.total(), duration),
            dropped: warmup.arrivals().dropped(),
            schedule_lag: LatencyStats::from_histogram(warmup.arrivals().lag()),
        }
    }
}
