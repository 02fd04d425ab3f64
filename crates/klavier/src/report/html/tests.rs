//! The HTML writer on the shared fixture: every section, and names that try to inject
//! markup come out as text.

use super::*;
use klavier_stats::threshold::{judge, Expression, Scope, Threshold};

fn render(s: &Summary) -> String {
    let mut out = Vec::new();
    write_html(s, &mut out).expect("writes to memory");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn the_report_has_every_section_and_no_script() {
    let mut s = crate::report::fixture();
    let threshold = Threshold {
        scope: Scope::Run,
        expression: Expression::parse("p99 < 1ms").expect("valid"),
    };
    s.thresholds = judge(&s, &[threshold]).results;
    let html = render(&s);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in [
        "thresholds",
        "charts",
        "requests",
        "scenarios",
        "breakdowns",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "three charts over time and the spectrum"
    );
    assert!(html.contains("1 of 1 failed"));
    assert!(!html.contains("<script"), "nothing to run");
    assert!(
        !html.contains("http://") || !html.contains("src="),
        "nothing fetched"
    );
}

#[test]
fn names_cannot_inject_markup() {
    let mut s = crate::report::fixture();
    s.requests[0].name = "<script>alert(1)</script>".into();
    s.profile = "\"><img src=x onerror=alert(1)>".into();
    s.requests[0]
        .checks
        .insert("body_contains \"<b>\"".into(), 1);
    let html = render(&s);
    assert!(!html.contains("<script>alert"), "a request name stays text");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<img"), "the profile name stays text");
    assert!(html.contains("&lt;b&gt;"));
}
