//! Tests of `compile`, read as the profile format's specification.

mod bad;
mod fuzz;
mod good;
mod load;
mod thresholds;

use super::{compile, Overrides};
use crate::error::Diagnostic;
use crate::plan::Plan;

/// The seed profile (DESIGN.md §2): it must compile unchanged, forever.
const SEED: &str = include_str!("../../../../examples/seed.toml");
/// The profile `klavier demo` runs.
const DEMO: &str = include_str!("../../../../examples/demo.toml");

/// Four lines that make a valid profile once a scenario is added.
const BASE: &str = r#"[target]
base_url = "http://localhost:8080/api"
[timings]
test_duration_seconds = 5
"#;

/// A minimal valid scenario, to append to [`BASE`].
const SCENARIO: &str = r#"[scenarios.s]
[[scenarios.s.requests]]
path = "/x"
"#;

fn plan(source: &str) -> Plan {
    plan_with(source, &Overrides::default())
}

fn plan_with(source: &str, overrides: &Overrides) -> Plan {
    compile(source, "t.toml", overrides).unwrap_or_else(|e| panic!("{e}\n--- in ---\n{source}"))
}

fn problems(source: &str) -> Vec<Diagnostic> {
    problems_with(source, &Overrides::default())
}

fn problems_with(source: &str, overrides: &Overrides) -> Vec<Diagnostic> {
    match compile(source, "t.toml", overrides) {
        Ok(_) => panic!("compiled, but should not have:\n{source}"),
        Err(e) => e.diagnostics().to_vec(),
    }
}
