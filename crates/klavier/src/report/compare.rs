//! `klavier compare` as text: per request, base → new and the verdict, with the test
//! that tells a real change from noise.

use std::io::{self, Write};

use klavier_stats::compare::{RequestChange, TailChange, Tolerance};

use super::table::Table;
use super::text::shorten;
use super::units::{micros, rate};

/// Writes a line on the rule, then a row per request.
pub fn write_comparison(
    changes: &[RequestChange],
    tail: &TailChange,
    tolerance: Tolerance,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "A regression: a p50 slower by more than {:.0}% with the latencies significantly \
         slower (Mann-Whitney U over the histograms, p < {}); the median per-second p99 \
         slower by as much, significantly over the seconds; or an error rate up by more \
         than {:.0} points.",
        tolerance.max_regression * 100.0,
        tolerance.alpha,
        tolerance.max_regression * 100.0
    )?;
    writeln!(out)?;
    let mut table = Table::new(&[
        "Request",
        "rate",
        "errors",
        "p50",
        "p90",
        "p99",
        "P(slower)",
        "p-value",
        "verdict",
    ])
    .note_column();
    for c in changes {
        let [p50, p90, p99] = c.percentiles.map(|(b, n)| latency_change(b, n));
        let (effect, p_value) = match c.test {
            Some(t) => (format!("{:.2}", t.effect), format!("{:.2e}", t.p_value)),
            None => ("-".to_owned(), "-".to_owned()),
        };
        table.push(vec![
            shorten(&c.name),
            format!("{} {}", rate(c.rate.1), relative(c.rate.0, c.rate.1)),
            format!(
                "{:.2}% → {:.2}%",
                c.error_rate.0 * 100.0,
                c.error_rate.1 * 100.0
            ),
            p50,
            p90,
            p99,
            effect,
            p_value,
            verdict(c, tolerance).to_owned(),
        ]);
    }
    write!(out, "{table}")?;
    writeln!(out)?;
    let (b, n) = tail.median_p99;
    let (tail_verdict, p_value) = match tail.test {
        _ if tail.regression => ("REGRESSION", tail.test.map_or(1.0, |t| t.p_value)),
        Some(t) if t.p_value < tolerance.alpha => ("changed, within tolerance", t.p_value),
        Some(t) => ("no significant change", t.p_value),
        None => ("not enough seconds to test", 1.0),
    };
    writeln!(
        out,
        "Per-second p99 (median over {} and {} seconds): {} → {} {}, p-value {p_value:.2e}: {tail_verdict}",
        tail.seconds.0,
        tail.seconds.1,
        micros(b as f64),
        micros(n as f64),
        relative(b as f64, n as f64)
    )?;
    let regressions =
        changes.iter().filter(|c| c.regression).count() + usize::from(tail.regression);
    if regressions == 0 {
        writeln!(out, "No significant regression.")
    } else {
        writeln!(out, "{regressions} regression(s) (exit code 3).")
    }
}

fn verdict(c: &RequestChange, tolerance: Tolerance) -> &'static str {
    let significant = c.test.is_some_and(|t| t.p_value < tolerance.alpha);
    let faster = c.test.is_some_and(|t| t.effect < 0.5);
    match (c.regression, significant, faster) {
        (true, _, _) => "REGRESSION",
        (false, true, true) => "faster",
        (false, true, false) => "slower, within tolerance",
        (false, false, _) => "no significant change",
    }
}

/// `25.3ms +386%`: the new value and its change.
fn latency_change(base: u64, new: u64) -> String {
    format!(
        "{} {}",
        micros(new as f64),
        relative(base as f64, new as f64)
    )
}

fn relative(base: f64, new: f64) -> String {
    if base <= 0.0 {
        return "(new)".to_owned();
    }
    let change = (new / base - 1.0) * 100.0;
    format!("{change:+.0}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use klavier_stats::compare::MannWhitney;

    #[test]
    fn a_regression_is_named_with_its_figures() {
        let change = RequestChange {
            name: "work".into(),
            rate: (200.0, 40.0),
            error_rate: (0.0, 0.0),
            percentiles: [(5_000, 25_000), (5_500, 25_500), (6_000, 26_000)],
            test: Some(MannWhitney {
                u: 10.0,
                effect: 1.0,
                p_value: 1e-30,
            }),
            regression: true,
        };
        let tolerance = Tolerance {
            max_regression: 0.1,
            alpha: 0.01,
        };
        let tail = TailChange {
            median_p99: (6_000, 6_100),
            seconds: (30, 30),
            test: None,
            regression: false,
        };
        let mut out = Vec::new();
        write_comparison(&[change], &tail, tolerance, &mut out).expect("writes to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.contains("40.0/s -80%"), "{text}");
        assert!(text.contains("25.0ms +400%"), "{text}");
        assert!(text.contains("REGRESSION"), "{text}");
        assert!(text.contains("6.00ms → 6.10ms +2%"), "{text}");
        assert!(text.contains("not enough seconds to test"), "{text}");
        assert!(text.ends_with("1 regression(s) (exit code 3).\n"), "{text}");
    }
}
