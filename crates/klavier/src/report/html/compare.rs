//! `klavier compare --html`: the comparison as one self-contained page, in the report's
//! style: the verdicts, then each request's p50/p90/p99, base beside new.

use std::fmt::Write as _;
use std::io::{self, Write};

use klavier_stats::compare::{RequestChange, TailChange, Tolerance};

use super::{escape, STYLE};
use crate::report::units::micros;

/// Writes the comparison page; `base` and `new` name the two results.
pub fn write_comparison_html(
    changes: &[RequestChange],
    tail: &TailChange,
    tolerance: Tolerance,
    (base, new): (&str, &str),
    out: &mut impl Write,
) -> io::Result<()> {
    let regressions =
        changes.iter().filter(|c| c.regression).count() + usize::from(tail.regression);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Klavier compare</title>\
         <style>{STYLE}</style></head><body><main><header><h1>Klavier <span class=\"profile\">compare</span></h1>\
         <dl class=\"meta\"><dt>base</dt><dd>{}</dd><dt>new</dt><dd>{}</dd><dt>rule</dt><dd>a p50 slower by more \
         than {:.0}% and significantly slower (Mann-Whitney U, p &lt; {}); the median per-second p99 likewise; or \
         an error rate up by more than {:.0} points</dd></dl></header>",
        escape(base),
        escape(new),
        tolerance.max_regression * 100.0,
        tolerance.alpha,
        tolerance.max_regression * 100.0
    );
    let (class, verdict) = match regressions {
        0 => ("pass", "no significant regression".to_owned()),
        n => ("fail", format!("{n} regression(s)")),
    };
    let _ = write!(
        page,
        "<section id=\"comparison\"><h2>Requests <span class=\"{class}\">{verdict}</span></h2>\
         <table class=\"figures\"><thead><tr><th>request</th><th>rate</th><th>error rate</th>\
         <th>p50</th><th>p90</th><th>p99</th><th>P(slower)</th><th>p-value</th><th>verdict</th></tr></thead><tbody>"
    );
    for c in changes {
        let cells: Vec<String> = c
            .percentiles
            .iter()
            .map(|&(b, n)| format!("<td>{} → {}</td>", micros(b as f64), micros(n as f64)))
            .collect();
        let (effect, p) = c.test.map_or(("-".to_owned(), "-".to_owned()), |t| {
            (format!("{:.2}", t.effect), format!("{:.2e}", t.p_value))
        });
        let _ = write!(
            page,
            "<tr class=\"{}\"><td class=\"name\">{}</td><td>{:.1}/s → {:.1}/s</td><td>{:.2}% → {:.2}%</td>{}\
             <td>{effect}</td><td>{p}</td><td class=\"mark\">{}</td></tr>",
            if c.regression { "fail" } else { "pass" },
            escape(&c.name),
            c.rate.0,
            c.rate.1,
            c.error_rate.0 * 100.0,
            c.error_rate.1 * 100.0,
            cells.join(""),
            if c.regression { "REGRESSION" } else { "ok" }
        );
    }
    let _ = writeln!(
        page,
        "</tbody></table><p class=\"note\">Per-second p99, median over {} and {} seconds: {} → {}{}.</p>\
         </section></main></body></html>",
        tail.seconds.0,
        tail.seconds.1,
        micros(tail.median_p99.0 as f64),
        micros(tail.median_p99.1 as f64),
        if tail.regression { ": REGRESSION" } else { "" }
    );
    out.write_all(page.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_each_request_escaped_with_its_verdict() {
        let change = RequestChange {
            name: "<i>work</i>".into(),
            rate: (10.0, 9.0),
            error_rate: (0.0, 0.0),
            percentiles: [(5_000, 25_000), (6_000, 26_000), (7_000, 27_000)],
            test: None,
            regression: true,
        };
        let tail = TailChange {
            median_p99: (7_000, 27_000),
            seconds: (3, 3),
            test: None,
            regression: false,
        };
        let tolerance = Tolerance {
            max_regression: 0.1,
            alpha: 0.01,
        };
        let mut out = Vec::new();
        write_comparison_html(&[change], &tail, tolerance, ("a.json", "b.json"), &mut out)
            .expect("writes to memory");
        let html = String::from_utf8(out).expect("UTF-8");
        assert!(html.contains("&lt;i&gt;work&lt;/i&gt;") && !html.contains("<i>"));
        assert!(html.contains("5.00ms → 25.0ms"));
        assert!(html.contains("1 regression(s)"));
    }
}
