//! `klavier search --html`: the search as one self-contained page in the report's
//! style: the answer, charts of latency and errors against the load, and a row per step.
//! It takes plain figures (not the search's own types), so reports stay independent of
//! the command that produced them.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::chart::{line_chart, Series};
use super::{escape, STYLE};
use crate::report::units::micros;

/// What the page shows.
pub struct SearchPage {
    /// The profile's name and its target (secrets redacted).
    pub profile: String,
    pub target: String,
    /// The SLOs as written.
    pub slos: Vec<String>,
    /// True when steps are users (the closed model), false for arrival rates.
    pub users: bool,
    /// The answer, as the table under the text output says it.
    pub conclusion: String,
    /// Every step, in the order run.
    pub steps: Vec<SearchStep>,
}

/// One step's figures.
pub struct SearchStep {
    pub number: usize,
    /// Arrivals a second asked for, or users.
    pub level: f64,
    /// Started arrivals a second, or requests a second with users.
    pub achieved: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// A share, 0 to 1.
    pub error_rate: f64,
    /// `pass`, `fail` or `inconclusive`.
    pub verdict: &'static str,
    /// Why, when not a pass.
    pub reason: String,
}

/// Writes the page.
pub fn write_search_html<W: Write + ?Sized>(page: &SearchPage, out: &mut W) -> io::Result<()> {
    let mut html = String::with_capacity(16 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Klavier search · {}</title><style>{STYLE}</style></head><body><main>\
         <header><h1>Klavier search <span class=\"profile\">{}</span></h1><dl class=\"meta\">\
         <dt>target</dt><dd>{}</dd><dt>model</dt><dd>{}</dd><dt>SLOs</dt><dd>{}</dd></dl>\
         <p id=\"capacity\"><strong>{}</strong></p></header>",
        escape(&page.profile),
        escape(&page.profile),
        escape(&page.target),
        if page.users {
            "closed: steps of concurrent users"
        } else {
            "open: steps of arrival rate"
        },
        escape(&page.slos.join(" · ")),
        escape(&page.conclusion)
    );
    charts(page, &mut html);
    table(page, &mut html);
    html.push_str("</main></body></html>\n");
    out.write_all(html.as_bytes())?;
    out.flush()
}

/// Latency and errors against the load, each step a point in order of its level (a
/// step run twice, after an inconclusive try, is two points at one level).
fn charts(page: &SearchPage, html: &mut String) {
    let mut steps: Vec<&SearchStep> = page.steps.iter().collect();
    steps.sort_by(|a, b| a.level.total_cmp(&b.level));
    let line = |f: fn(&SearchStep) -> f64| -> Vec<(f64, f64)> {
        steps.iter().map(|s| (s.level, f(s))).collect()
    };
    let x: fn(f64) -> String = if page.users {
        |v| format!("{v:.0}")
    } else {
        |v| format!("{v:.0}/s")
    };
    let latency = [
        Series {
            name: "p50",
            colour: "#2563eb",
            points: line(|s| s.p50_us),
        },
        Series {
            name: "p99",
            colour: "#dc2626",
            points: line(|s| s.p99_us),
        },
    ];
    let errors = [Series {
        name: "error rate",
        colour: "#92400e",
        points: line(|s| s.error_rate * 100.0),
    }];
    let unit = if page.users { "users" } else { "arrival rate" };
    let _ = write!(
        html,
        "<h2>Against the load</h2><div class=\"charts\">\
         <figure><figcaption>Response time against {unit}</figcaption>{}</figure>\
         <figure><figcaption>Errors against {unit}</figcaption>{}</figure></div>",
        line_chart(
            &format!("Response time p50 and p99 against {unit}"),
            &latency,
            x,
            micros
        ),
        line_chart(
            &format!("Error rate against {unit}"),
            &errors,
            x,
            |v| format!("{v:.1}%")
        )
    );
}

fn table(page: &SearchPage, html: &mut String) {
    let (level, achieved) = if page.users {
        ("users", "requests/s")
    } else {
        ("rate/s", "achieved/s")
    };
    let _ = write!(
        html,
        "<h2>Steps</h2><table id=\"steps\" class=\"figures\"><thead><tr><th>step</th>\
         <th>{level}</th><th>{achieved}</th><th>p50</th><th>p99</th><th>errors</th>\
         <th>verdict</th><th>why</th></tr></thead><tbody>"
    );
    for s in &page.steps {
        let class = match s.verdict {
            "pass" => "pass",
            "fail" => "fail",
            _ => "inconclusive",
        };
        let level = if page.users {
            format!("{:.0}", s.level)
        } else {
            format!("{:.1}", s.level)
        };
        let _ = write!(
            html,
            "<tr class=\"{class}\"><td>{}</td><td>{level}</td><td>{:.1}</td><td>{}</td><td>{}</td>\
             <td>{:.2}%</td><td class=\"mark\">{}</td><td class=\"name\">{}</td></tr>",
            s.number,
            s.achieved,
            micros(s.p50_us),
            micros(s.p99_us),
            s.error_rate * 100.0,
            escape(s.verdict),
            escape(&s.reason)
        );
    }
    html.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(number: usize, level: f64, p99_us: f64, verdict: &'static str) -> SearchStep {
        SearchStep {
            number,
            level,
            achieved: level,
            p50_us: p99_us / 2.0,
            p99_us,
            error_rate: 0.0,
            verdict,
            reason: if verdict == "fail" {
                "p99 < 50ms (observed 80.0ms)".to_owned()
            } else {
                String::new()
            },
        }
    }

    fn render(page: &SearchPage) -> String {
        let mut out = Vec::new();
        write_search_html(page, &mut out).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_page_has_the_answer_two_charts_and_a_row_per_step_escaped() {
        let page = SearchPage {
            profile: "<b>shop</b>".into(),
            target: "http://127.0.0.1:8080".into(),
            slos: vec!["p99 < 50ms".into()],
            users: false,
            conclusion:
                "capacity: 400.0/s (the SLOs are met at 400.0/s; at 800.0/s they are missed)".into(),
            steps: vec![
                step(1, 200.0, 9_000.0, "pass"),
                step(2, 800.0, 80_000.0, "fail"),
                step(3, 400.0, 12_000.0, "pass"),
            ],
        };
        let html = render(&page);
        assert!(html.contains("&lt;b&gt;shop&lt;/b&gt;") && !html.contains("<b>shop"));
        assert!(html.contains("p99 &lt; 50ms"));
        assert!(html.contains("capacity: 400.0/s"));
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("<tr class=").count(), 3);
        assert!(html.contains("<tr class=\"fail\"><td>2</td><td>800.0</td>"));
        // The chart's points go in order of rate, not of the steps.
        let p99 = html.find("<title>p99</title>").expect("a p99 line");
        let polyline = html[..p99].rfind("points=\"").expect("points");
        let xs: Vec<f64> = html[polyline + 8..p99]
            .split('"')
            .next()
            .expect("points")
            .split(' ')
            .map(|p| p.split(',').next().and_then(|x| x.parse().ok()).expect("x"))
            .collect();
        assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{xs:?}");
    }

    #[test]
    fn a_users_search_says_users() {
        let page = SearchPage {
            profile: "p".into(),
            target: "t".into(),
            slos: Vec::new(),
            users: true,
            conclusion: "capacity: 9 users".into(),
            steps: vec![step(1, 9.0, 46_000.0, "pass")],
        };
        let html = render(&page);
        assert!(html.contains("closed: steps of concurrent users"));
        assert!(html.contains("<th>users</th><th>requests/s</th>"));
        assert!(html.contains("<td>9</td>"));
    }
}
