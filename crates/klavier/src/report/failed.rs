//! What went wrong, in the text summary: the headline's failures by kind, the failed
//! requests timed in their own table, and how long interrupted requests had been in
//! flight. Apart, so a server that fails fast or times out never makes the main tables
//! look better.

use klavier_stats::{FailureKind, RequestSummary, Summary, DROPPED_KIND, HTTP_STATUS_KIND};

use super::table::Table;
use super::text::{latency_cells, shorten, LATENCY_HEADERS};
use super::units::{micros, percent};

/// `": 3 HTTP status, 2 request timed out, 15 dropped arrivals"`: the headline's failures
/// by kind, largest first (nothing when none failed).
pub(super) fn failure_kinds(s: &Summary) -> String {
    let mut kinds: Vec<(u64, String)> = s
        .failures
        .by_kind
        .iter()
        .map(|(kind, &n)| (n, describe_kind(kind)))
        .collect();
    if kinds.is_empty() {
        return String::new();
    }
    kinds.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let parts: Vec<String> = kinds
        .iter()
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    format!(": {}", parts.join(", "))
}

fn describe_kind(kind: &str) -> String {
    match kind {
        DROPPED_KIND => "dropped arrivals".to_owned(),
        HTTP_STATUS_KIND => "HTTP error status".to_owned(),
        other => FailureKind::ALL
            .into_iter()
            .find(|k| k.as_str() == other)
            .map_or_else(|| other.replace('_', " "), |k| k.describe().to_owned()),
    }
}

/// The failed requests of each row that had any, timed from their start to the moment
/// they failed, with their share of the row's requests.
pub(super) fn failed_table(s: &Summary) -> Table {
    let mut headers = vec!["Failed requests", "count", "share"];
    headers.extend(LATENCY_HEADERS);
    let mut table = Table::new(&headers);
    let row = |r: &RequestSummary| {
        let failed = &r.failed_time;
        let mut cells = vec![
            shorten(&r.name),
            failed.count.to_string(),
            percent(failed.count, r.count),
        ];
        cells.extend(latency_cells(failed, failed.count > 0));
        cells
    };
    let failing: Vec<&RequestSummary> = s
        .requests
        .iter()
        .filter(|r| r.failed_time.count > 0)
        .collect();
    for r in &failing {
        table.push(row(r));
    }
    if s.requests.len() != 1 {
        table.rule();
        table.push(row(&s.totals));
    }
    table
}

/// What interrupted requests are, and how long they had been in flight at the cut.
pub(super) fn interrupted_note(totals: &RequestSummary) -> String {
    let note = "requests, neither completed nor failed";
    let t = &totals.interrupted_time;
    if t.count == 0 {
        return note.to_owned();
    }
    format!(
        "{note}; in flight p50 {}, max {}",
        micros(t.p50_us as f64),
        micros(t.max_us as f64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: &Summary) -> String {
        let mut out = Vec::new();
        super::super::write_text(s, &mut out).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn failed_requests_are_timed_in_their_own_table() {
        let text = render(&super::super::fixture());
        let failed: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Failed requests"))
            .take_while(|l| !l.is_empty())
            .collect();
        // Header, the two rows that failed (health: 503s and the refusal; login: the
        // timeout), rule, total.
        assert_eq!(failed.len(), 5, "{text}");
        assert!(failed[0].ends_with("max"), "{}", failed[0]);
        let total = failed[4].trim_start();
        assert!(
            total.starts_with("total") && total.contains(" 7 "),
            "{total}"
        );
    }
}
