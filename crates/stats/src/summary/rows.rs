//! The rows of the result: one per request name (and the totals), one per scenario.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::detail::Reason;
use crate::phases::Phase;
use crate::request::RequestStats;
use crate::sample::FailureKind;
use crate::scenario::ScenarioStats;

use super::{per_second, ratio, LatencyStats};

/// One request row of the result (or the totals row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestSummary {
    /// Request name (`"total"` for the totals row).
    pub name: String,
    /// Completed requests: responses plus transport failures, including those
    /// completed during the graceful stop; interrupted requests are not counted.
    pub count: u64,
    /// Transport failures plus responses with a status outside `200..=399`.
    pub failures: u64,
    /// `count` per second of the test's measured duration.
    pub rate_per_second: f64,
    /// Response time (intended start → last byte) of successful requests (in files
    /// written before `failed_time` existed: of every request that got a response).
    pub response_time: LatencyStats,
    /// Service time (actual send → last byte) of successful requests.
    pub service_time: LatencyStats,
    /// Time from the intended start to the failure of every failed request: the error
    /// response, the timeout at its timeout, the reset when it came.
    #[serde(default)]
    pub failed_time: LatencyStats,
    /// Responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Transport failures by kind (only kinds that occurred).
    pub errors: BTreeMap<FailureKind, u64>,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Requests cut off at the end of the graceful stop.
    pub interrupted: u64,
    /// Time from the intended start to the cut of every interrupted request.
    #[serde(default)]
    pub interrupted_time: LatencyStats,
    /// Requests completed during the graceful stop (included in `count`).
    pub completed_in_grace: u64,
    /// Responses that failed at least one check (`expect`, `extract`); separate from
    /// `failures`. Absent in files written before checks existed.
    #[serde(default)]
    pub check_failures: u64,
    /// Failures per check, by the check's name (e.g. `"status"`, `"json $.ok"`,
    /// `"extract token"`); only checks that failed.
    #[serde(default)]
    pub checks: BTreeMap<String, u64>,
    /// Requests not sent because a variable they need was unset.
    #[serde(default)]
    pub skipped: u64,
    /// Latencies above the histograms' range, recorded as its highest value.
    #[serde(default)]
    pub overflow: u64,
    /// Requests not sent because rendering them failed: a template error, or a rendered
    /// URI or header that is not valid HTTP. Absent when there were none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub render_failures: u64,
    /// Responses of 400 or more that `expect.status` listed, by status code: counted in
    /// `status_codes` but not in `failures`. Absent when there were none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accepted_status_codes: BTreeMap<u16, u64>,
    /// Failures by reason, where the kind alone is too coarse (which certificate
    /// problem, which content coding). Absent when there were none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_reasons: BTreeMap<Reason, u64>,
    /// Redirects followed, over every request of the row. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redirects: u64,
    /// Requests sent again on a fresh connection because a reused one had been closed
    /// under them (counted once, as the request). Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retried: u64,
    /// Where the time went, by phase (`dns`, `connect`, `tls`, `first_byte`,
    /// `transfer`), each over the exchanges where it happened. Absent in older results.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phases: BTreeMap<String, LatencyStats>,
    /// Connections opened for the row's requests (the rest reused one).
    #[serde(default)]
    pub connections_opened: u64,
    /// Pauses before reconnecting after connections that failed at once (refused,
    /// reset, closed before any response byte), so a dead server does not make a
    /// busy loop of the generator. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reconnect_backoffs: u64,
    /// Their total time, in seconds.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub reconnect_backoff_seconds: f64,
    /// Exchanges by the protocol that carried them: `http/1.1`, `h2`. Absent in older
    /// results.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub protocols: BTreeMap<String, u64>,
}

/// For `skip_serializing_if`: a count that is written only when something happened.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

impl RequestSummary {
    pub(super) fn build(name: String, row: &RequestStats, elapsed: Duration) -> Self {
        let errors = FailureKind::ALL
            .into_iter()
            .zip(row.errors())
            .filter(|&(_, &n)| n > 0)
            .map(|(kind, &n)| (kind, n))
            .collect();
        RequestSummary {
            name,
            count: row.count(),
            failures: row.failures(),
            rate_per_second: per_second(row.count(), elapsed),
            response_time: LatencyStats::from_histogram(row.response_time()),
            service_time: LatencyStats::from_histogram(row.service_time()),
            failed_time: LatencyStats::from_histogram(row.failed_time()),
            status_codes: row.status_codes().iter().collect(),
            errors,
            bytes_sent: row.bytes_sent(),
            bytes_received: row.bytes_received(),
            interrupted: row.interrupted(),
            interrupted_time: LatencyStats::from_histogram(row.interrupted_time()),
            completed_in_grace: row.completed_in_grace(),
            check_failures: row.checks().failed_requests(),
            checks: row
                .checks()
                .by_check()
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0)
                .map(|(i, &n)| (format!("#{i}"), n))
                .collect(),
            skipped: row.checks().skipped(),
            overflow: row.overflow(),
            render_failures: row.checks().render_failures(),
            accepted_status_codes: row.checks().accepted_statuses().iter().collect(),
            error_reasons: Reason::ALL
                .into_iter()
                .zip(row.detail().reasons())
                .filter(|&(_, &n)| n > 0)
                .map(|(reason, &n)| (reason, n))
                .collect(),
            redirects: row.detail().redirects(),
            retried: row.detail().retried(),
            phases: Phase::ALL
                .into_iter()
                .filter_map(|phase| {
                    let histogram = row.phases().histogram(phase)?;
                    Some((
                        phase.as_str().to_owned(),
                        LatencyStats::from_histogram(histogram),
                    ))
                })
                .collect(),
            connections_opened: row.phases().opened(),
            reconnect_backoffs: row.detail().backoff().0,
            reconnect_backoff_seconds: row.detail().backoff().1.as_secs_f64(),
            protocols: ["http/1.1", "h2"]
                .into_iter()
                .zip(row.detail().protocols())
                .filter(|&(_, n)| n > 0)
                .map(|(name, n)| (name.to_owned(), n))
                .collect(),
        }
    }

    /// Replaces the `#INDEX` keys of `checks` with the check names, by index.
    pub fn name_checks(&mut self, names: &[String]) {
        let checks = std::mem::take(&mut self.checks);
        self.checks = checks
            .into_iter()
            .map(|(key, n)| {
                let index = key.strip_prefix('#').and_then(|i| i.parse::<usize>().ok());
                let name = index.and_then(|i| names.get(i)).cloned().unwrap_or(key);
                (name, n)
            })
            .collect();
    }

    /// Failures as a fraction of `count` (0 when nothing completed).
    pub fn failure_ratio(&self) -> f64 {
        ratio(self.failures, self.count)
    }
}

/// One scenario row of the result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// Scenario name.
    pub name: String,
    /// Scenario weight in the profile.
    pub weight: u32,
    /// Completed iterations, failed ones included.
    pub iterations: u64,
    /// Completed iterations in which at least one request failed.
    pub failed_iterations: u64,
    /// Iterations the end of the test cut short (not in `iterations`).
    pub cut_iterations: u64,
    /// `iterations` per second of the test's measured duration.
    pub rate_per_second: f64,
    /// Time of a completed iteration in which no request failed, pacing excluded (in
    /// files written before `failed_iteration_time` existed: of every completed iteration).
    pub iteration_time: LatencyStats,
    /// Time of a completed iteration in which a request failed.
    #[serde(default)]
    pub failed_iteration_time: LatencyStats,
    /// When users ran it, if not picked in the loop: `"once"` (each user's setup) or
    /// `"last"` (its teardown); absent for a loop scenario, and in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl ScenarioSummary {
    pub(super) fn build(name: String, weight: u32, row: &ScenarioStats, elapsed: Duration) -> Self {
        ScenarioSummary {
            name,
            weight,
            iterations: row.iterations(),
            failed_iterations: row.failed_iterations(),
            cut_iterations: row.cut_iterations(),
            rate_per_second: per_second(row.iterations(), elapsed),
            iteration_time: LatencyStats::from_histogram(row.iteration_time()),
            failed_iteration_time: LatencyStats::from_histogram(row.failed_iteration_time()),
            run: None,
        }
    }
}
