//! "Where the time went": per request, the median of each phase that happened
//! (connect, TLS, first byte, transfer) and how often a connection was reused.

use std::io::{self, Write};

use klavier_stats::{RequestSummary, Summary};

use super::table::Table;
use super::units::{micros, percent};

/// The phases shown, by their JSON names, with their column titles.
const COLUMNS: [(&str, &str); 5] = [
    ("dns", "dns p50"),
    ("connect", "connect p50"),
    ("tls", "tls p50"),
    ("first_byte", "first byte p50"),
    ("transfer", "transfer p50"),
];

/// Whether any request has phases to show.
pub(super) fn any(summary: &Summary) -> bool {
    summary.requests.iter().any(|r| !r.phases.is_empty())
}

/// Writes the section (callers check [`any`] first).
pub(super) fn write<W: Write>(summary: &Summary, out: &mut W) -> io::Result<()> {
    let shown: Vec<(&str, &str)> = COLUMNS
        .into_iter()
        .filter(|(phase, _)| {
            summary
                .requests
                .iter()
                .any(|r| r.phases.contains_key(*phase))
        })
        .collect();
    let mut headers = vec!["Where the time went"];
    headers.extend(shown.iter().map(|(_, title)| *title));
    headers.extend(["first byte p99", "reused"]);
    let mut table = Table::new(&headers);
    for row in summary.requests.iter().filter(|r| !r.phases.is_empty()) {
        table.push(cells(row, &shown));
    }
    write!(out, "{table}")
}

fn cells(row: &RequestSummary, shown: &[(&str, &str)]) -> Vec<String> {
    let median = |phase: &str| {
        row.phases
            .get(phase)
            .map_or_else(|| "-".to_owned(), |l| micros(l.p50_us as f64))
    };
    let mut cells = vec![row.name.clone()];
    cells.extend(shown.iter().map(|(phase, _)| median(phase)));
    cells.push(
        row.phases
            .get("first_byte")
            .map_or_else(|| "-".to_owned(), |l| micros(l.p99_us as f64)),
    );
    let exchanges = row.count;
    let reused = exchanges.saturating_sub(row.connections_opened);
    cells.push(percent(reused, exchanges));
    cells
}
