//! The JUnit XML report, which CI systems show as test results: a test case per
//! threshold (failed when it failed) and per request's checks (failed when a response
//! failed one, naming each check and how often).

use std::io::{self, Write};

use klavier_stats::Summary;

use super::verdict::observed;

/// Writes `<testsuites>` with a `thresholds` suite and a `checks` suite.
pub fn write_junit(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    let thresholds: Vec<Case> = summary
        .thresholds
        .iter()
        .map(|t| Case {
            class: match &t.name {
                Some(name) => format!("thresholds.{}.{name}", t.scope),
                None => "thresholds.run".to_owned(),
            },
            name: t.expression.clone(),
            failure: (!t.passed)
                .then(|| (format!("{}: {}", t.expression, observed(t)), String::new())),
        })
        .collect();
    let checks: Vec<Case> = summary
        .requests
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| Case {
            class: "checks".to_owned(),
            name: r.name.clone(),
            failure: (r.check_failures > 0).then(|| {
                let message = format!(
                    "{} of {} responses failed a check",
                    r.check_failures, r.count
                );
                let detail: Vec<String> = r
                    .checks
                    .iter()
                    .map(|(c, n)| format!("{c}: {n} failed"))
                    .collect();
                (message, detail.join("\n"))
            }),
        })
        .collect();
    let failures = |cases: &[Case]| cases.iter().filter(|c| c.failure.is_some()).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="klavier {}" tests="{}" failures="{}" time="{}">"#,
        escape(&summary.profile),
        thresholds.len() + checks.len(),
        failures(&thresholds) + failures(&checks),
        summary.duration_seconds
    )?;
    for (suite, cases) in [("thresholds", &thresholds), ("checks", &checks)] {
        write_suite(out, suite, cases, failures(cases))?;
    }
    writeln!(out, "</testsuites>")?;
    out.flush()
}

/// One test case: its class, name and, if it failed, the message and details.
struct Case {
    class: String,
    name: String,
    failure: Option<(String, String)>,
}

fn write_suite(
    out: &mut impl Write,
    suite: &str,
    cases: &[Case],
    failures: usize,
) -> io::Result<()> {
    writeln!(
        out,
        r#"  <testsuite name="{suite}" tests="{}" failures="{failures}">"#,
        cases.len()
    )?;
    for case in cases {
        let (class, name) = (escape(&case.class), escape(&case.name));
        match &case.failure {
            None => writeln!(out, r#"    <testcase classname="{class}" name="{name}"/>"#)?,
            Some((message, detail)) => {
                writeln!(out, r#"    <testcase classname="{class}" name="{name}">"#)?;
                writeln!(
                    out,
                    r#"      <failure message="{}">{}</failure>"#,
                    escape(message),
                    escape(detail)
                )?;
                writeln!(out, "    </testcase>")?;
            }
        }
    }
    writeln!(out, "  </testsuite>")
}

/// Text as XML character data or an attribute value. Characters XML 1.0 cannot hold
/// at all (control characters a server may have sent) become U+FFFD.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' | '\r' => escaped.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                escaped.push('\u{FFFD}')
            }
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
    }

    #[test]
    fn a_failed_check_is_a_failed_case_naming_the_check() {
        let mut s = super::super::fixture();
        s.requests[1].check_failures = 3;
        s.requests[1]
            .checks
            .insert("body_contains \"<ok>\"".into(), 3);
        let mut out = Vec::new();
        write_junit(&s, &mut out).expect("writes to memory");
        let xml = String::from_utf8(out).expect("UTF-8");
        assert!(
            xml.contains(r#"<testsuite name="checks" tests="3" failures="1">"#),
            "{xml}"
        );
        assert!(
            xml.contains("body_contains &quot;&lt;ok&gt;&quot;: 3 failed</failure>"),
            "{xml}"
        );
    }
}
