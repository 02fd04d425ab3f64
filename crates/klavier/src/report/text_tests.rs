//! Tests of the text summary (`text.rs`).
use super::*;
use std::collections::BTreeMap;

/// Failure counts by description, to cross-check the errors section.
fn error_lines(s: &Summary) -> BTreeMap<&'static str, u64> {
    s.totals
        .errors
        .iter()
        .map(|(kind, &n)| (kind.describe(), n))
        .collect()
}

/// Every column, unwrapped: these tests read the content (fitting is tested apart).
fn render(s: &Summary) -> String {
    let mut out = Vec::new();
    let wide = TextStyle {
        width: None,
        colour: false,
    };
    write_text_styled(s, &mut out, wide).expect("writes to memory");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn header_says_what_ran_and_how_it_ended() {
    let text = render(&super::super::fixture());
    assert!(
        text.starts_with("Klavier 0.1.0 · examples/demo.toml\n"),
        "{text}"
    );
    assert!(text.contains("  target     http://127.0.0.1:8080\n"));
    assert!(text.contains("  started    2025-01-01T00:00:00.250Z\n"));
    assert!(text.contains("  duration   10.00s of 10s planned, completed\n"));
    assert!(text.contains("  users      20 (closed model)\n"));
    assert!(text.contains("  seed       42\n"));
    assert!(
        text.contains(
            "  requests   2000 in 10.00s, 200/s, 7 (0.35%) failed: 5 HTTP error status, \
             1 connection refused, 1 request timed out\n"
        ),
        "{text}"
    );
}

#[test]
fn tables_are_aligned() {
    let text = render(&super::super::fixture());
    let requests: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Requests"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        requests.len(),
        6,
        "header, 3 requests, rule, total:\n{text}"
    );
    let width = |l: &str| l.chars().count();
    for line in &requests {
        assert_eq!(width(line), width(requests[0]), "misaligned:\n{text}");
    }
    assert!(requests[5].trim_start().starts_with("total"));
    // Each column ends at the same place as its header: "failures" is last.
    assert!(requests[0].ends_with("failures"));
}

#[test]
fn rows_use_human_units_and_show_failures() {
    let text = render(&super::super::fixture());
    let health = text
        .lines()
        .find(|l| l.trim_start().starts_with("GET /api/health"))
        .expect("a health row");
    assert!(health.contains("µs") || health.contains("ms"), "{health}");
    assert!(health.contains("1400"), "count: {health}");
    let orders = text
        .lines()
        .find(|l| l.trim_start().starts_with("POST /api/orders"))
        .expect("an orders row");
    assert!(orders.contains("ms"), "{orders}");
}

#[test]
fn status_codes_errors_and_transfer() {
    let summary = super::super::fixture();
    let text = render(&summary);
    assert!(text.contains("\n  302 "), "a redirect is listed:\n{text}");
    let line_503 = text
        .lines()
        .find(|l| l.starts_with("  503"))
        .expect("503 listed");
    assert!(
        line_503.contains("failure: GET /api/health 5"),
        "{line_503}"
    );
    for (description, n) in error_lines(&summary) {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(description))
            .expect("each error kind is described");
        assert!(line.contains(&n.to_string()), "{line}");
    }
    assert!(text.contains("connection refused"));
    assert!(text.contains("request timed out"));
    assert!(
        text.contains("  sent       352 KiB  35.1 KiB/s\n"),
        "{text}"
    );
    assert!(text.contains("received"));
}

#[test]
fn statuses_listed_in_expect_status_are_not_called_failures() {
    // Issue 17: a 404 that `expect.status` lists is no failure, and the Status codes
    // section says so. Rows 0 and 1 see 404s; row 0 lists it, row 1 does not.
    let line_404 = |summary: &Summary| {
        let text = render(summary);
        let line = text
            .lines()
            .find(|l| l.starts_with("  404"))
            .map(str::to_owned);
        line.unwrap_or_else(|| panic!("404 listed:\n{text}"))
    };
    let mut summary = super::super::fixture();
    let add = |r: &mut RequestSummary, seen: u64, accepted: u64| {
        r.status_codes.insert(404, seen);
        if accepted > 0 {
            r.accepted_status_codes.insert(404, accepted);
        }
    };
    add(&mut summary.requests[0], 3, 3);
    add(&mut summary.totals, 3, 3);
    let all_listed = line_404(&summary);
    assert!(all_listed.ends_with("expected"), "{all_listed}");

    add(&mut summary.requests[1], 2, 0);
    add(&mut summary.totals, 5, 3);
    let some_listed = line_404(&summary);
    assert!(
        some_listed.ends_with("failure: GET /api/auth/login 2"),
        "{some_listed}"
    );
}

#[test]
fn graceful_stop_and_latency_note() {
    let text = render(&super::super::fixture());
    let grace: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Graceful stop"))
        .skip(1)
        .take(3)
        .collect();
    assert_eq!(
        grace,
        [
            "  completed during it     5  requests, counted above",
            "  interrupted at its end  1  requests, neither completed nor failed; in flight p50 5.00ms, max 5.00ms",
            "  iterations cut short    1  not counted as iterations",
        ]
    );
    assert!(text.contains("Latency is response time"));
    assert!(text.contains("Every request sent is timed"));
    assert!(!text.contains('\u{1b}'), "no colour escapes");
}

#[test]
fn empty_run_renders_without_figures() {
    let mut summary = super::super::fixture();
    let empty = |r: &mut RequestSummary| {
        r.count = 0;
        r.failures = 0;
        r.status_codes.clear();
        r.errors.clear();
    };
    summary.requests.iter_mut().for_each(empty);
    empty(&mut summary.totals);
    summary.stop_reason = StopReason::Interrupted;
    let text = render(&summary);
    assert!(text.contains("interrupted before the planned end"));
    assert!(text.contains("Status codes  none"));
    assert!(text.contains("Errors        none"));
    assert!(text.contains("  -  "), "untimed rows show dashes:\n{text}");
}

#[test]
fn long_names_are_shortened() {
    let long = "GET /".to_owned() + &"x".repeat(100);
    let short = shorten(&long);
    assert_eq!(short.chars().count(), MAX_NAME);
    assert!(short.ends_with('…'));
}

#[test]
fn the_summary_fits_100_columns_unless_wide() {
    let summary = crate::report::fixture();
    let render = |style| {
        let mut out = Vec::new();
        write_text_styled(&summary, &mut out, style).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    };
    let narrow = render(TextStyle::default());
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest(&narrow) <= 100, "{narrow}");
    let wide = render(TextStyle {
        width: None,
        colour: false,
    });
    assert!(widest(&wide) > 100, "the fixture's full tables are wider");
    assert!(wide.contains("stddev") && !narrow.contains("stddev"));
}
