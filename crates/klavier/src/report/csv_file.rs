//! The CSV report: one row per request, per scenario and for the run's totals, with the
//! figures of the summary's tables, for spreadsheets and CI artefacts.

use std::io::{self, Write};

use klavier_stats::{LatencyStats, RequestSummary, ScenarioSummary, Summary};

const HEADER: [&str; 20] = [
    "kind",
    "name",
    "count",
    "failures",
    "error_rate",
    "rate_per_second",
    "check_failures",
    "mean_us",
    "stddev_us",
    "min_us",
    "p50_us",
    "p75_us",
    "p90_us",
    "p95_us",
    "p99_us",
    "p99_9_us",
    "max_us",
    "bytes_sent",
    "bytes_received",
    "interrupted",
];

/// Writes the header, a `request` row per request, a `scenario` row per scenario (its
/// latencies are iteration times, its count iterations) and a `total` row.
pub fn write_csv(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(&mut *out);
    writer.write_record(HEADER)?;
    for row in &summary.requests {
        writer.write_record(request_row("request", row))?;
    }
    for row in &summary.scenarios {
        writer.write_record(scenario_row(row))?;
    }
    writer.write_record(request_row("total", &summary.totals))?;
    writer.flush()?;
    drop(writer);
    out.flush()
}

fn request_row(kind: &str, r: &RequestSummary) -> Vec<String> {
    let mut row = vec![
        kind.to_owned(),
        r.name.clone(),
        r.count.to_string(),
        r.failures.to_string(),
        ratio(r.failures, r.count),
        r.rate_per_second.to_string(),
        r.check_failures.to_string(),
    ];
    row.extend(latency(&r.response_time));
    row.extend([r.bytes_sent, r.bytes_received, r.interrupted].map(|n| n.to_string()));
    row
}

fn scenario_row(s: &ScenarioSummary) -> Vec<String> {
    let mut row = vec![
        "scenario".to_owned(),
        s.name.clone(),
        s.iterations.to_string(),
        s.failed_iterations.to_string(),
        ratio(s.failed_iterations, s.iterations),
        s.rate_per_second.to_string(),
        String::new(),
    ];
    row.extend(latency(&s.iteration_time));
    row.extend([String::new(), String::new(), s.cut_iterations.to_string()]);
    row
}

/// Empty when nothing was counted: a spreadsheet then shows no figure, not a zero.
fn ratio(part: u64, whole: u64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{:.6}", part as f64 / whole as f64)
    }
}

fn latency(l: &LatencyStats) -> Vec<String> {
    if l.count == 0 {
        return vec![String::new(); 10];
    }
    let mut cells = vec![l.mean_us.to_string(), l.stddev_us.to_string()];
    cells.extend(
        [
            l.min_us, l.p50_us, l.p75_us, l.p90_us, l.p95_us, l.p99_us, l.p99_9_us, l.max_us,
        ]
        .map(|n| n.to_string()),
    );
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_per_request_scenario_and_the_totals_read_back() {
        let mut s = super::super::fixture();
        s.requests[0].name = "GET /a,\"b\"".into(); // a name that needs quoting
        let mut out = Vec::new();
        write_csv(&s, &mut out).expect("writes to memory");
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let header: Vec<String> = reader
            .headers()
            .expect("a header")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(header, HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), s.requests.len() + s.scenarios.len() + 1);
        assert_eq!(&rows[0][1], "GET /a,\"b\"");
        assert_eq!(&rows[0][2], s.requests[0].count.to_string());
        assert_eq!(&rows[0][14], s.requests[0].response_time.p99_us.to_string());
        let last = rows.last().expect("the totals");
        assert_eq!((&last[0], &last[1]), ("total", "total"));
        assert!(rows.iter().all(|r| r.len() == HEADER.len()));
    }
}
