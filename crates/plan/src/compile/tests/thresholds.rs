//! `[thresholds]` and `--threshold`: read, placed, and held to the plan's names.

use klavier_stats::threshold::{Comparison, Scope};

use super::{plan, plan_with, problems, problems_with, BASE};
use crate::compile::Overrides;

const SCENARIOS: &str = r#"[scenarios.journey]
[[scenarios.journey.requests]]
name = "login"
path = "/login"
[[scenarios.journey.requests]]
path = "/me"
"#;

fn with(thresholds: &str) -> String {
    format!("{BASE}{SCENARIOS}[thresholds]\n{thresholds}")
}

/// Line of the `[thresholds]` table's first key.
const FIRST: usize = 12;

#[test]
fn run_request_and_scenario_thresholds_compile_in_file_order() {
    let plan = plan(&with(
        r#"run = ["p99 < 250ms", "error_rate < 1%"]
requests.login = ["p95 <= 100ms"]
requests."GET /me" = ["checks > 99%"]
scenarios.journey = ["rate >= 5/s"]
abort_on_fail = true
delay = "10s"
"#,
    ));
    let t = &plan.thresholds;
    let scopes: Vec<_> = t.list.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        scopes,
        [
            "p99 < 250ms",
            "error_rate < 1%",
            r#"request "login": p95 <= 100ms"#,
            r#"request "GET /me": checks > 99%"#,
            r#"scenario "journey": rate >= 5/s"#,
        ]
    );
    assert_eq!(t.list[2].expression.comparison, Comparison::LessOrEqual);
    assert!(t.abort_on_fail);
    assert_eq!(t.delay, std::time::Duration::from_secs(10));
}

#[test]
fn an_unknown_name_or_metric_is_an_error_with_the_name_meant() {
    let p = problems(&with(
        r#"run = ["p99 < 250ms", "latncy < 1s"]
requests.logn = ["p95 < 1s"]
scenarios.jorney = ["p95 < 1s"]
"#,
    ));
    let seen: Vec<_> = p
        .iter()
        .map(|d| {
            (
                d.line,
                d.column,
                d.field.as_str(),
                d.message.as_str(),
                d.help.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            // The metric inside the string; a name's list of thresholds.
            (
                FIRST,
                24,
                "thresholds.run[1]",
                r#"unknown metric "latncy""#,
                Some(
                    "metrics: p50, p75, p90, p95, p99, p99.9, min, mean, max, stddev, error_rate, \
                 failures, rate, checks, check_failures, dropped, count, or any pN"
                )
            ),
            (
                FIRST + 1,
                17,
                "thresholds.requests.logn",
                r#"no request is named "logn""#,
                Some(r#"did you mean "login"?"#)
            ),
            (
                FIRST + 2,
                20,
                "thresholds.scenarios.jorney",
                r#"no scenario is named "jorney""#,
                Some(r#"did you mean "journey"?"#)
            ),
        ]
    );
}

#[test]
fn values_must_fit_their_metric_and_metrics_their_scope() {
    let p = problems(&with(
        "run = [\"p99 < 250\", \"error_rte < 1%\"]\nscenarios.journey = [\"checks > 99%\"]\ndelay = \"5s\"\n",
    ));
    let messages: Vec<_> = p
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        messages[0],
        (
            FIRST,
            15,
            r#"p99 needs a duration such as 250ms, 1.5s or 800us, found "250""#
        )
    );
    assert_eq!(p[1].help.as_deref(), Some(r#"did you mean "error_rate"?"#));
    assert_eq!(
        messages[2],
        (FIRST + 1, 22, "checks is not measured per scenario")
    );
    assert_eq!(
        messages[3],
        (FIRST + 2, 9, "delay only applies with abort_on_fail = true")
    );
}

#[test]
fn command_line_thresholds_add_to_the_profile_and_are_checked_too() {
    let overrides = Overrides {
        thresholds: vec![
            "p99 < 1s".into(),
            r#"request "GET /me": error_rate < 5%"#.into(),
            "scenario journey: dropped == 0".into(),
            "request logn: p99 < 1s".into(),
            "p99 < soon".into(),
        ],
        ..Default::default()
    };
    let p = problems_with(&format!("{BASE}{SCENARIOS}"), &overrides);
    let messages: Vec<_> = p
        .iter()
        .map(|d| (d.field.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            ("--threshold", "dropped is not measured per scenario: bound it on the whole run ([thresholds] run) or on a request"),
            ("--threshold", r#"no request is named "logn": did you mean "login"?"#),
            ("--threshold", r#""p99 < soon": p99 needs a duration such as 250ms, 1.5s or 800us, found "soon""#),
        ]
    );
    let overrides = Overrides {
        thresholds: overrides.thresholds[..2].to_vec(),
        ..Default::default()
    };
    let plan = plan_with(&with("run = [\"count > 0\"]\n"), &overrides);
    let scopes: Vec<_> = plan
        .thresholds
        .list
        .iter()
        .map(|t| t.scope.clone())
        .collect();
    assert_eq!(
        scopes,
        [Scope::Run, Scope::Run, Scope::Request("GET /me".into())]
    );
}
