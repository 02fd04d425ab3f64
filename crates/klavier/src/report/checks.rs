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
        .any(|r| r.check_failures > 0 || r.skipped > 0)
}

/// `Checks  N requests failed a check, M skipped`, then a line per failed check and per
/// request with skips.
pub(super) fn write_checks<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let failed: u64 = s.requests.iter().map(|r| r.check_failures).sum();
    let skipped: u64 = s.requests.iter().map(|r| r.skipped).sum();
    writeln!(
        out,
        "Checks        {failed} {} failed a check, {skipped} skipped (a variable was unset)",
        if failed == 1 { "response" } else { "responses" }
    )?;
    let mut lines = Vec::new();
    for row in &s.requests {
        for (check, &n) in &row.checks {
            lines.push((row.name.as_str(), check.clone(), n, percent(n, row.count)));
        }
        if row.skipped > 0 {
            lines.push((
                row.name.as_str(),
                "skipped".to_owned(),
                row.skipped,
                String::new(),
            ));
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
}
