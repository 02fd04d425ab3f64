//! The HTML report: one self-contained file (styles inline, charts as inline SVG, no
//! script, nothing fetched) that opens by double-click, offline. Everything that comes
//! from the profile or the server — names, check names, targets — is escaped, so no
//! name can inject markup or script.

mod chart;
mod compare;
mod search;

pub use compare::write_comparison_html;
pub use search::{write_search_html, SearchPage, SearchStep};

use std::fmt::Write as _;
use std::io::{self, Write};

use klavier_stats::{LatencyStats, RequestSummary, StopReason, Summary};

use super::junit::escape;
use super::units::{byte_size, micros, percent, rate};
use super::verdict::observed;
use chart::{line_chart, Series};

const STYLE: &str = include_str!("report.css");

/// Writes the whole report.
pub fn write_html(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    let title = format!("Klavier · {}", summary.profile);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        escape(&title)
    );
    header(summary, &mut page);
    thresholds(summary, &mut page);
    charts(summary, &mut page);
    requests(summary, &mut page);
    scenarios(summary, &mut page);
    breakdowns(summary, &mut page);
    warnings(summary, &mut page);
    page.push_str("</main></body></html>\n");
    out.write_all(page.as_bytes())?;
    out.flush()
}

fn header(s: &Summary, page: &mut String) {
    let stop = match s.stop_reason {
        StopReason::Completed => "completed",
        StopReason::Interrupted => "interrupted before the planned end",
        StopReason::AbortedByThreshold => "stopped early: a threshold failed",
    };
    let t = &s.totals;
    let dropped = s.arrivals.as_ref().map_or(0, |a| a.dropped);
    let failed = s.failures.count.max(t.failures);
    let _ = write!(
        page,
        "<header><h1>Klavier <span class=\"profile\">{}</span></h1><dl class=\"meta\">",
        escape(&s.profile)
    );
    let facts = [
        ("target", s.target.clone()),
        ("started", s.started_at.clone()),
        (
            "duration",
            format!(
                "{:.2}s of {}s planned, {stop}",
                s.duration_seconds, s.planned_duration_seconds
            ),
        ),
        ("model", format!("{} · {} users", s.model, s.users)),
        ("seed", s.seed.to_string()),
        ("klavier", s.klavier_version.clone()),
    ];
    for (term, value) in facts {
        let _ = write!(page, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    page.push_str("</dl></header><section class=\"tiles\">");
    let tiles = [
        ("requests", t.count.to_string(), false),
        ("rate", rate(t.rate_per_second), false),
        ("p99", latency(&t.response_time, |l| l.p99_us), false),
        (
            "failed",
            format!("{failed} ({})", percent(failed, t.count + dropped)),
            failed > 0,
        ),
        (
            "failed a check",
            format!(
                "{} ({})",
                t.check_failures,
                percent(t.check_failures, t.count)
            ),
            t.check_failures > 0,
        ),
    ];
    for (label, value, bad) in tiles {
        let class = if bad { "tile bad" } else { "tile" };
        let _ = write!(
            page,
            "<div class=\"{class}\"><div class=\"value\">{}</div><div class=\"label\">{label}</div></div>",
            escape(&value)
        );
    }
    page.push_str("</section>");
}

fn latency(l: &LatencyStats, figure: fn(&LatencyStats) -> u64) -> String {
    if l.count == 0 {
        "-".to_owned()
    } else {
        micros(figure(l) as f64)
    }
}

fn thresholds(s: &Summary, page: &mut String) {
    if s.thresholds.is_empty() {
        return;
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    let verdict = if failed == 0 {
        format!("all {} passed", s.thresholds.len())
    } else {
        format!("{failed} of {} failed", s.thresholds.len())
    };
    let _ = write!(
        page,
        "<section id=\"thresholds\"><h2>Thresholds <span class=\"{}\">{verdict}</span></h2>\
         <table class=\"text\"><thead><tr><th></th><th>scope</th><th>threshold</th><th>reached</th></tr></thead><tbody>",
        if failed == 0 { "pass" } else { "fail" }
    );
    for t in &s.thresholds {
        let (class, mark) = if t.passed {
            ("pass", "pass")
        } else {
            ("fail", "FAIL")
        };
        let scope = match &t.name {
            Some(name) => format!("{} {name}", t.scope),
            None => t.scope.clone(),
        };
        let _ = write!(
            page,
            "<tr class=\"{class}\"><td class=\"mark\">{mark}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&scope),
            escape(&t.expression),
            escape(&observed(t))
        );
    }
    page.push_str("</tbody></table></section>");
}

fn charts(s: &Summary, page: &mut String) {
    let series = &s.timeseries;
    let seconds = |f: fn(&klavier_stats::TimePoint) -> f64| -> Vec<(f64, f64)> {
        series.iter().map(|p| (p.second as f64, f(p))).collect()
    };
    let time = |v: f64| format!("{v:.0}s");
    let ms = |v: f64| micros(v);
    let count = |v: f64| format!("{v:.0}");
    page.push_str("<section id=\"charts\"><h2>Over time</h2><div class=\"charts\">");
    let charts = [
        (
            "Throughput (requests and failures per second)",
            vec![
                Series {
                    name: "requests/s",
                    colour: "#2563eb",
                    points: seconds(|p| p.requests as f64),
                },
                Series {
                    name: "failures/s",
                    colour: "#dc2626",
                    points: seconds(|p| p.failures as f64),
                },
            ],
            count as chart::Label,
        ),
        (
            "Latency (response time, per second)",
            vec![
                Series {
                    name: "p50",
                    colour: "#16a34a",
                    points: seconds(|p| p.p50_us as f64),
                },
                Series {
                    name: "p99",
                    colour: "#9333ea",
                    points: seconds(|p| p.p99_us as f64),
                },
            ],
            ms as chart::Label,
        ),
        (
            "Active users",
            vec![Series {
                name: "users",
                colour: "#0891b2",
                points: seconds(|p| f64::from(p.users)),
            }],
            count as chart::Label,
        ),
    ];
    for (title, lines, y) in charts {
        let _ = write!(
            page,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            escape(title),
            line_chart(title, &lines, time, y)
        );
    }
    spectrum(s, page);
    page.push_str("</div></section>");
}

/// The percentile spectrum on a log scale (HDR style): x is the number of nines, so the
/// tail, where the trouble is, gets the room.
fn spectrum(s: &Summary, page: &mut String) {
    let Ok(histogram) = s.totals.response_time.histogram() else {
        return;
    };
    if histogram.is_empty() {
        return;
    }
    let nines = [
        0.0, 0.3, 0.6, 1.0, 1.3, 1.6, 2.0, 2.3, 2.6, 3.0, 3.3, 3.6, 4.0,
    ];
    let points = nines
        .iter()
        .map(|&x: &f64| (x, histogram.value_at_quantile(1.0 - 10f64.powf(-x)) as f64))
        .collect();
    let lines = [Series {
        name: "response time",
        colour: "#ea580c",
        points,
    }];
    let title = "Percentile spectrum (log scale)";
    let percentile = |x: f64| {
        let p = 100.0 * (1.0 - 10f64.powf(-x));
        format!("p{}", (p * 100.0).round() / 100.0)
    };
    let _ = write!(
        page,
        "<figure><figcaption>{title}</figcaption>{}</figure>",
        line_chart(title, &lines, percentile, micros)
    );
}

const LATENCY_HEADERS: &str =
    "<th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th>";

fn latency_cells(l: &LatencyStats) -> String {
    let figures: [fn(&LatencyStats) -> u64; 6] = [
        |l| l.p50_us,
        |l| l.p90_us,
        |l| l.p95_us,
        |l| l.p99_us,
        |l| l.p99_9_us,
        |l| l.max_us,
    ];
    let mut cells = String::new();
    let mean = if l.count == 0 {
        "-".to_owned()
    } else {
        micros(l.mean_us)
    };
    let _ = write!(cells, "<td>{mean}</td>");
    for figure in figures {
        let _ = write!(cells, "<td>{}</td>", latency(l, figure));
    }
    cells
}

fn requests(s: &Summary, page: &mut String) {
    let _ = write!(
        page,
        "<section id=\"requests\"><h2>Requests</h2><table class=\"figures\"><thead><tr>\
         <th>request</th><th>count</th><th>rate</th>{LATENCY_HEADERS}<th>failures</th><th>failed a check</th>\
         </tr></thead><tbody>"
    );
    let row = |r: &RequestSummary, class: &str| {
        format!(
            "<tr class=\"{class}\"><td class=\"name\">{}</td><td>{}</td><td>{}</td>{}<td class=\"{}\">{}</td><td class=\"{}\">{}</td></tr>",
            escape(&r.name),
            r.count,
            rate(r.rate_per_second),
            latency_cells(&r.response_time),
            if r.failures > 0 { "bad" } else { "" },
            r.failures,
            if r.check_failures > 0 { "bad" } else { "" },
            r.check_failures
        )
    };
    for r in &s.requests {
        page.push_str(&row(r, ""));
    }
    page.push_str(&row(&s.totals, "total"));
    page.push_str("</tbody></table></section>");
}

fn scenarios(s: &Summary, page: &mut String) {
    if s.scenarios.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<section id=\"scenarios\"><h2>Scenarios</h2><p class=\"note\">Latencies are iteration times.</p>\
         <table class=\"figures\"><thead><tr><th>scenario</th><th>weight</th><th>iterations</th><th>rate</th>\
         {LATENCY_HEADERS}<th>failed</th><th>cut</th></tr></thead><tbody>"
    );
    for sc in &s.scenarios {
        let _ = write!(
            page,
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td>{}<td class=\"{}\">{}</td><td>{}</td></tr>",
            escape(&sc.name),
            sc.weight,
            sc.iterations,
            rate(sc.rate_per_second),
            latency_cells(&sc.iteration_time),
            if sc.failed_iterations > 0 { "bad" } else { "" },
            sc.failed_iterations,
            sc.cut_iterations
        );
    }
    page.push_str("</tbody></table></section>");
}

/// Status codes, failures by kind, failed checks and transfer, side by side.
fn breakdowns(s: &Summary, page: &mut String) {
    page.push_str("<section id=\"breakdowns\" class=\"columns\">");
    let statuses: Vec<(String, u64)> = s
        .totals
        .status_codes
        .iter()
        .map(|(code, n)| (code.to_string(), *n))
        .collect();
    small_table(page, "Status codes", "status", &statuses, s.totals.count);
    let kinds: Vec<(String, u64)> = s
        .failures
        .by_kind
        .iter()
        .map(|(k, n)| (k.replace('_', " "), *n))
        .collect();
    small_table(page, "Failures by kind", "kind", &kinds, s.totals.count);
    let checks: Vec<(String, u64)> = s
        .requests
        .iter()
        .flat_map(|r| {
            r.checks
                .iter()
                .map(move |(c, n)| (format!("{} · {c}", r.name), *n))
        })
        .collect();
    small_table(
        page,
        "Failed checks",
        "request · check",
        &checks,
        s.totals.count,
    );
    let transfer = [
        ("sent".to_owned(), byte_size(s.totals.bytes_sent as f64)),
        (
            "received".to_owned(),
            byte_size(s.totals.bytes_received as f64),
        ),
    ];
    page.push_str("<div><h2>Transfer</h2><table><tbody>");
    for (what, size) in transfer {
        let _ = write!(page, "<tr><td>{what}</td><td>{}</td></tr>", escape(&size));
    }
    page.push_str("</tbody></table></div></section>");
}

fn small_table(page: &mut String, title: &str, key: &str, rows: &[(String, u64)], whole: u64) {
    let _ = write!(page, "<div><h2>{title}</h2>");
    if rows.is_empty() {
        page.push_str("<p class=\"note\">none</p></div>");
        return;
    }
    let _ = write!(
        page,
        "<table><thead><tr><th>{}</th><th>count</th><th>share</th></tr></thead><tbody>",
        escape(key)
    );
    for (name, n) in rows {
        let _ = write!(
            page,
            "<tr><td class=\"name\">{}</td><td>{n}</td><td>{}</td></tr>",
            escape(name),
            percent(*n, whole)
        );
    }
    page.push_str("</tbody></table></div>");
}

fn warnings(s: &Summary, page: &mut String) {
    if s.generator.warnings.is_empty() {
        return;
    }
    page.push_str("<section id=\"warnings\"><h2>Warnings</h2><ul>");
    for w in &s.generator.warnings {
        let _ = write!(page, "<li>{}</li>", escape(&w.message));
    }
    page.push_str("</ul></section>");
}

#[cfg(test)]
mod tests;
