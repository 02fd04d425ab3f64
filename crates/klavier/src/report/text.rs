//! The end-of-run summary for a terminal: a header, aligned tables of requests
//! and scenarios, then status codes, errors, transfer and the graceful stop.
//!
//! Plain text without colours, so it reads the same in a terminal, a CI log or a
//! file. Latencies are shown in the unit that suits each value (`812µs`,
//! `12.4ms`, `1.20s`) with three significant digits, like the histograms keep.

use std::io::{self, Write};

use super::failed;
use super::phases;
use super::shape;
use super::style::{colourize, wrap_prose, TextStyle, DROP_ORDER};
use super::table::Table;
use super::units::{byte_size, micros, percent, rate, seconds};
use klavier_stats::{
    is_success_status, FailureKind, LatencyStats, RequestSummary, ScenarioSummary, StopReason,
    Summary,
};

/// Names longer than this are shortened with an ellipsis so tables stay readable.
const MAX_NAME: usize = 48;

/// One section of the summary.
type Section<W> = fn(&Summary, &mut W) -> io::Result<()>;

/// Writes the human-readable summary of a run, in at most 100 columns, without colour.
pub fn write_text<W: Write>(summary: &Summary, out: &mut W) -> io::Result<()> {
    write_text_styled(summary, out, TextStyle::default())
}

/// Writes the human-readable summary of a run, laid out as `style` says.
pub fn write_text_styled<W: Write>(
    summary: &Summary,
    out: &mut W,
    style: TextStyle,
) -> io::Result<()> {
    let mut plain = Vec::new();
    write_sections(summary, &mut plain, style.width.unwrap_or(usize::MAX))?;
    let mut text = String::from_utf8_lossy(&plain).into_owned();
    if let Some(width) = style.width {
        text = wrap_prose(&text, width);
    }
    if style.colour {
        text = colourize(&text);
    }
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn write_sections<W: Write>(summary: &Summary, out: &mut W, width: usize) -> io::Result<()> {
    let fit = |table: Table| table.fit(width, DROP_ORDER);
    write_header(summary, out)?;
    writeln!(out)?;
    let requests = request_table(summary, "Requests", |r| &r.response_time);
    write!(out, "{}", fit(requests))?;
    if summary.model == "open" {
        // Beside what users saw, what the server took once it had the request.
        writeln!(out)?;
        let service = request_table(summary, "Service time", |r| &r.service_time);
        write!(out, "{}", fit(service))?;
    }
    if summary.totals.failed_time.count > 0 {
        // Every failure is timed too, apart: a server that fails fast or times out
        // must not make the figures above look better.
        writeln!(out)?;
        write!(out, "{}", fit(failed::failed_table(summary)))?;
    }
    if !summary.scenarios.is_empty() {
        writeln!(out)?;
        write!(out, "{}", fit(scenario_table(summary)))?;
    }
    for section in [
        write_status_codes,
        write_errors,
        write_transfer,
        write_graceful_stop,
        shape::write_generator,
    ] {
        writeln!(out)?;
        section(summary, out)?;
    }
    let optional: [(bool, Section<W>); 4] = [
        (phases::any(summary), phases::write),
        (summary.arrivals.is_some(), shape::write_arrivals),
        (summary.pacing.is_some(), shape::write_pacing),
        (summary.warmup.is_some(), shape::write_warmup),
    ];
    for (present, section) in optional {
        if present {
            writeln!(out)?;
            section(summary, out)?;
        }
    }
    if super::checks::has_checks(summary) {
        writeln!(out)?;
        super::checks::write_checks(summary, out)?;
    }
    writeln!(out)?;
    shape::write_latency_note(summary, out)?;
    if !summary.thresholds.is_empty() {
        writeln!(out)?;
        super::verdict::write_thresholds(summary, out)?;
    }
    out.flush()
}

fn write_header(s: &Summary, out: &mut impl Write) -> io::Result<()> {
    let stop = match s.stop_reason {
        StopReason::Completed => "completed",
        StopReason::Interrupted => "interrupted before the planned end",
        StopReason::AbortedByThreshold => "stopped early: a threshold failed (abort_on_fail)",
    };
    writeln!(out, "Klavier {} · {}", s.klavier_version, s.profile)?;
    writeln!(out, "  target     {}", s.target)?;
    writeln!(out, "  started    {}", s.started_at)?;
    let warmup = s.warmup.as_ref().map_or(String::new(), |w| {
        format!(
            " (the first {} a warm-up, shown apart)",
            seconds(w.duration_seconds)
        )
    });
    writeln!(
        out,
        "  duration   {:.2}s of {} planned, {stop}{warmup}",
        s.duration_seconds,
        seconds(s.planned_duration_seconds)
    )?;
    match &s.arrivals {
        Some(a) => writeln!(
            out,
            "  users      up to {} serving arrivals (open model), {} started, {} dropped",
            s.users, a.started, a.dropped
        )?,
        None => writeln!(out, "  users      {} (closed model)", s.users)?,
    }
    writeln!(out, "  seed       {}", s.seed)?;
    let t = &s.totals;
    let measured = s.duration_seconds - s.warmup.as_ref().map_or(0.0, |w| w.duration_seconds);
    let dropped = s.arrivals.as_ref().map_or(0, |a| a.dropped);
    write!(
        out,
        "  requests   {} in {:.2}s, {}, {} failed{}",
        t.count,
        measured,
        rate(t.rate_per_second),
        failures(s.failures.count.max(t.failures), t.count + dropped),
        failed::failure_kinds(s)
    )?;
    // Failed checks are failures too, of another kind: the headline never hides them.
    if t.check_failures > 0 {
        write!(
            out,
            ", {} failed a check",
            failures(t.check_failures, t.count)
        )?;
    }
    writeln!(out)
}

pub(super) const LATENCY_HEADERS: [&str; 9] = [
    "mean", "stddev", "min", "p50", "p90", "p95", "p99", "p99.9", "max",
];

/// The latency cells of a row; dashes when nothing was timed.
pub(super) fn latency_cells(l: &LatencyStats, timed: bool) -> Vec<String> {
    if !timed {
        return vec!["-".to_owned(); LATENCY_HEADERS.len()];
    }
    let values = [
        l.mean_us,
        l.stddev_us,
        l.min_us as f64,
        l.p50_us as f64,
        l.p90_us as f64,
        l.p95_us as f64,
        l.p99_us as f64,
        l.p99_9_us as f64,
        l.max_us as f64,
    ];
    values.into_iter().map(micros).collect()
}

fn request_table(s: &Summary, title: &str, latency: fn(&RequestSummary) -> &LatencyStats) -> Table {
    let mut headers = vec![title, "count", "rate"];
    headers.extend(LATENCY_HEADERS);
    headers.push("failures");
    let mut table = Table::new(&headers);
    let row = |r: &RequestSummary| {
        let mut cells = vec![
            shorten(&r.name),
            r.count.to_string(),
            rate(r.rate_per_second),
        ];
        let timed = latency(r).count > 0;
        cells.extend(latency_cells(latency(r), timed));
        cells.push(failures(r.failures, r.count));
        cells
    };
    for r in &s.requests {
        table.push(row(r));
    }
    if s.requests.len() != 1 {
        table.rule();
        table.push(row(&s.totals));
    }
    table
}

fn scenario_table(s: &Summary) -> Table {
    let mut headers = vec!["Scenarios", "weight", "iterations", "rate"];
    headers.extend(LATENCY_HEADERS);
    headers.extend(["failed", "cut"]);
    let mut table = Table::new(&headers);
    for sc in &s.scenarios {
        let ScenarioSummary {
            name,
            weight,
            iterations,
            failed_iterations,
            cut_iterations,
            rate_per_second,
            iteration_time,
            failed_iteration_time,
            run,
        } = sc;
        let mut cells = vec![
            shorten(name),
            // A setup or teardown scenario is not picked by weight: its role says when.
            run.clone().unwrap_or_else(|| weight.to_string()),
            iterations.to_string(),
            rate(*rate_per_second),
        ];
        cells.extend(latency_cells(iteration_time, iteration_time.count > 0));
        cells.push(failures(*failed_iterations, *iterations));
        cells.push(cut_iterations.to_string());
        table.push(cells);
        if failed_iteration_time.count > 0 {
            // The failed iterations, timed apart like failed requests.
            let mut cells = vec![
                "  failed".to_owned(),
                String::new(),
                failed_iterations.to_string(),
                String::new(),
            ];
            cells.extend(latency_cells(failed_iteration_time, true));
            cells.extend([String::new(), String::new()]);
            table.push(cells);
        }
    }
    table
}

fn write_status_codes<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let total = s.totals.count;
    if s.totals.status_codes.is_empty() {
        return writeln!(out, "Status codes  none (no response received)");
    }
    let mut table = Table::new(&["Status codes", "count", "share", ""]).note_column();
    for (&code, &n) in &s.totals.status_codes {
        let accepted = |r: &RequestSummary| r.accepted_status_codes.get(&code).copied();
        let note = if is_success_status(code) {
            String::new()
        } else if accepted(&s.totals) == Some(n) {
            // Every one was listed in its request's `expect.status`.
            "expected".to_owned()
        } else {
            let failed = |r: &RequestSummary| {
                let seen = r.status_codes.get(&code).copied().unwrap_or(0);
                Some(seen - accepted(r).unwrap_or(0).min(seen))
            };
            format!("failure{}", per_request(s, failed))
        };
        table.push(vec![
            code.to_string(),
            n.to_string(),
            percent(n, total),
            note,
        ]);
    }
    write!(out, "{table}")
}

fn write_errors<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    if s.totals.errors.is_empty() {
        return writeln!(out, "Errors        none");
    }
    let mut table = Table::new(&["Errors", "count", "share", ""]).note_column();
    for kind in FailureKind::ALL {
        let Some(&n) = s.totals.errors.get(&kind) else {
            continue;
        };
        let by_request = per_request(s, |r| r.errors.get(&kind).copied());
        table.push(vec![
            kind.describe().to_owned(),
            n.to_string(),
            percent(n, s.totals.count),
            by_request.trim_start_matches(": ").to_owned(),
        ]);
        // Why, where the kind alone is too coarse to act on.
        for (reason, &n) in s
            .totals
            .error_reasons
            .iter()
            .filter(|(r, _)| r.kind() == kind)
        {
            table.push(vec![
                format!("  {}", reason.describe()),
                n.to_string(),
                percent(n, s.totals.count),
                String::new(),
            ]);
        }
    }
    write!(out, "{table}")?;
    if s.totals.reconnect_backoffs > 0 {
        writeln!(
            out,
            "  reconnect backoff: {} pauses, {} in total, after connections that failed at once",
            s.totals.reconnect_backoffs,
            seconds(s.totals.reconnect_backoff_seconds)
        )?;
    }
    Ok(())
}

/// `": name n, name n"` for the requests where `count` is non-zero, when there are several requests.
fn per_request(s: &Summary, count: impl Fn(&RequestSummary) -> Option<u64>) -> String {
    if s.requests.len() < 2 {
        return String::new();
    }
    let parts: Vec<String> = s
        .requests
        .iter()
        .filter_map(|r| {
            count(r)
                .filter(|&n| n > 0)
                .map(|n| format!("{} {n}", r.name))
        })
        .collect();
    format!(": {}", parts.join(", "))
}

fn write_transfer<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let mut table = Table::new(&["Transfer", "total", "rate"]);
    for (what, bytes) in [
        ("sent", s.totals.bytes_sent),
        ("received", s.totals.bytes_received),
    ] {
        let per_second = if s.duration_seconds > 0.0 {
            format!("{}/s", byte_size(bytes as f64 / s.duration_seconds))
        } else {
            "-".to_owned()
        };
        table.push(vec![what.to_owned(), byte_size(bytes as f64), per_second]);
    }
    write!(out, "{table}")
}

fn write_graceful_stop<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let cut: u64 = s.scenarios.iter().map(|sc| sc.cut_iterations).sum();
    let mut table = Table::new(&["Graceful stop", "", ""]).note_column();
    let interrupted = failed::interrupted_note(&s.totals);
    let rows = [
        (
            "completed during it",
            s.totals.completed_in_grace,
            "requests, counted above",
        ),
        (
            "interrupted at its end",
            s.totals.interrupted,
            interrupted.as_str(),
        ),
        ("iterations cut short", cut, "not counted as iterations"),
    ];
    for (what, n, note) in rows {
        table.push(vec![what.to_owned(), n.to_string(), note.to_owned()]);
    }
    write!(out, "{table}")
}

/// `0`, or the count with its share of the total.
pub(super) fn failures(failed: u64, total: u64) -> String {
    if failed == 0 {
        "0".to_owned()
    } else {
        format!("{failed} ({})", percent(failed, total))
    }
}

pub(super) fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME {
        return name.to_owned();
    }
    let kept: String = name.chars().take(MAX_NAME - 1).collect();
    format!("{kept}…")
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
