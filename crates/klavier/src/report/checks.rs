//! The checks section of the text summary: which requests failed which checks, and which
//! were skipped. Written only when something failed or was skipped, so a run without
//! checks reads as before.

use std::io::{self, Write};

use klavier_stats::Summary;

use super::units::percent;

/// Whether the section has anything to say.
pub(super) fn has_checks(s: &Summary) -> bool {
    s.requests
        .iter()
        .any(|r| r.check_failures > 0 || r.skipped > 0 || r.render_failures > 0)
}

/// `Checks  N requests failed a check, M skipped` (and, if any, `K not rendered`), then
/// a line per failed check and per request with skips or render failures.
pub(super) fn write_checks<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let failed: u64 = s.requests.iter().map(|r| r.check_failures).sum();
    let skipped: u64 = s.requests.iter().map(|r| r.skipped).sum();
    let unrendered: u64 = s.requests.iter().map(|r| r.render_failures).sum();
    write!(
        out,
        "Checks        {failed} {} failed a check, {skipped} skipped (a variable was unset)",
        if failed == 1 { "response" } else { "responses" }
    )?;
    if unrendered > 0 {
        write!(out, ", {unrendered} not rendered (not valid HTTP)")?;
    }
    writeln!(out)?;
    let mut lines = Vec::new();
    for row in &s.requests {
        for (check, &n) in &row.checks {
            lines.push((row.name.as_str(), check.clone(), n, percent(n, row.count)));
        }
        for (what, n) in [
            ("skipped", row.skipped),
            ("not rendered", row.render_failures),
        ] {
            if n > 0 {
                lines.push((row.name.as_str(), what.to_owned(), n, String::new()));
            }
        }
    }
    let name_width = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
    let check_width = lines.iter().map(|l| l.1.chars().count()).max().unwrap_or(0);
    for (name, check, n, share) in lines {
        let line = format!("  {name:<name_width$}  {check:<check_width$}  {n:>8}  {share}");
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_failed_checks_has_no_section() {
        let summary = super::super::fixture();
        assert!(!has_checks(&summary));
    }

    #[test]
    fn failed_checks_and_skips_are_listed_per_request() {
        let mut summary = super::super::fixture();
        let row = &mut summary.requests[0];
        row.check_failures = 3;
        row.checks.insert("json $.ok".into(), 3);
        row.skipped = 2;
        assert!(has_checks(&summary));
        let mut out = Vec::new();
        write_checks(&summary, &mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.starts_with("Checks        3 responses failed a check, 2 skipped"),
            "{text}"
        );
        assert!(text.contains("json $.ok"), "{text}");
        assert!(text.contains("skipped"), "{text}");
    }

    #[test]
    fn requests_that_could_not_be_rendered_are_not_called_unset() {
        // Issue 17: a rendered path that is not a valid URI is no unset variable.
        let mut summary = super::super::fixture();
        summary.requests[1].render_failures = 4;
        assert!(has_checks(&summary));
        let mut out = Vec::new();
        write_checks(&summary, &mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "Checks        0 responses failed a check, 0 skipped (a variable was unset), \
             4 not rendered (not valid HTTP)"
        );
        let row = text.lines().nth(1).unwrap_or_default();
        assert!(
            row.contains("GET /api/auth/login  not rendered") && row.ends_with('4'),
            "{row}"
        );
    }
}
