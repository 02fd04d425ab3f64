//! The plan preview of `klavier check --dry-run`: what a plan will do, as text and as
//! JSON (`klavier.preview/v1`, `schema/preview.v1.json`). Pure writers of a
//! [`Preview`], which the plan crate computes; like the summary's writers they know
//! nothing of how it was made.

use std::io::{self, Write};

use klavier_plan::preview::{Phase, Preview};

use super::table::Table;
use super::units::rate;

/// The JSON document's `schema` tag.
pub const PREVIEW_SCHEMA: &str = "klavier.preview/v1";

/// Writes `preview` as JSON (one document, its `schema` tag first, then a newline).
pub fn write_preview_json(preview: &Preview, out: &mut impl Write) -> io::Result<()> {
    let mut document = serde_json::Map::new();
    document.insert("schema".into(), PREVIEW_SCHEMA.into());
    if let serde_json::Value::Object(fields) = serde_json::to_value(preview)? {
        document.extend(fields);
    }
    // Into memory first, so a reader that went away is a broken pipe, not a JSON error.
    let bytes = serde_json::to_vec_pretty(&document)?;
    out.write_all(&bytes)?;
    writeln!(out)
}

/// Writes `preview` as text: a headline, then the load, scenarios, requests,
/// connections and warnings.
pub fn write_preview_text(preview: &Preview, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", headline(preview))?;
    writeln!(out, "\nLoad\n{}", load(preview))?;
    writeln!(out, "Scenarios\n{}", scenarios(preview))?;
    writeln!(out, "Requests\n{}", requests(preview))?;
    writeln!(out, "Connections\n  {}", connections(preview))?;
    if preview.warnings.is_empty() {
        writeln!(out, "\nNo warnings.")
    } else {
        writeln!(out, "\nWarnings")?;
        for warning in &preview.warnings {
            writeln!(out, "  ! {warning}")?;
        }
        Ok(())
    }
}

fn headline(preview: &Preview) -> String {
    let warmup = if preview.warmup_seconds > 0.0 {
        format!(", of which {} warm-up", human(preview.warmup_seconds))
    } else {
        String::new()
    };
    let model = match preview.model {
        "open" => "open model (iterations at a rate)",
        _ => "closed model (a population of users)",
    };
    format!(
        "Plan preview (dry run, nothing sent): {model}, {}{warmup}.\n\
         Assuming every exchange takes {} (--assume-latency); rates are at the peak level.",
        human(preview.duration_seconds),
        human(preview.assumed_latency_seconds),
    )
}

fn load(preview: &Preview) -> Table {
    let open = preview.model == "open";
    let level = if open { "arrivals/s" } else { "users" };
    let mut table = Table::new(&["phase", "from", "lasts", level, "requests/s"]);
    for phase in &preview.phases {
        let name = match phase.stage {
            Some(n) => format!("stage {n}"),
            None if preview.phases.len() == 1 => "constant".to_owned(),
            None => "hold".to_owned(),
        };
        table.push(vec![
            name,
            human(phase.start_seconds),
            human(phase.duration_seconds),
            levels(phase, open),
            rate(phase.requests_per_second),
        ]);
    }
    table
}

fn levels(phase: &Phase, open: bool) -> String {
    let show = |level: f64| {
        if open {
            format!("{level:.2}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned()
        } else {
            format!("{}", level.floor())
        }
    };
    if phase.from == phase.to {
        show(phase.to)
    } else {
        format!("{} → {}", show(phase.from), show(phase.to))
    }
}

fn scenarios(preview: &Preview) -> Table {
    let mut table = Table::new(&[
        "scenario",
        "share",
        "requests",
        "iteration",
        "cycle",
        "iterations/s",
        "total",
    ]);
    for s in &preview.scenarios {
        table.push(vec![
            s.name.clone(),
            format!("{:.1}%", s.share * 100.0),
            s.requests_per_iteration.to_string(),
            human(s.iteration_seconds),
            human(s.cycle_seconds),
            rate(s.per_second),
            count(s.total),
        ]);
    }
    table
}

fn requests(preview: &Preview) -> Table {
    let mut table = Table::new(&["request", "rate", "total"]);
    for r in &preview.requests {
        table.push(vec![r.name.clone(), rate(r.per_second), count(r.total)]);
    }
    table.rule();
    let per_second = preview.requests.iter().map(|r| r.per_second).sum();
    let total = preview.requests.iter().map(|r| r.total).sum();
    table.push(vec!["all".into(), rate(per_second), count(total)]);
    table
}

fn connections(preview: &Preview) -> String {
    let c = &preview.connections;
    let users = match preview.model {
        "open" => format!("{} busy users at the peak", c.users),
        _ => format!("{} users at the peak", c.users),
    };
    let origins = if c.origins == 1 { "origin" } else { "origins" };
    let limit = match (c.soft_limit, c.hard_limit) {
        (Some(soft), Some(hard)) => {
            let (soft, hard) = (limit(soft), limit(hard));
            let verdict = if c.hard_limit.is_some_and(|hard| c.file_descriptors > hard) {
                "too few"
            } else {
                "enough"
            };
            format!("open-file limit {soft} soft, {hard} hard (raised to the hard one at start): {verdict}")
        }
        _ => "open-file limit unknown".to_owned(),
    };
    format!(
        "{users}, {} {origins}: {} connections, about {} file descriptors;\n  {limit}",
        c.origins, c.connections, c.file_descriptors,
    )
}

/// An open-file limit (`RLIM_INFINITY` is the largest value).
fn limit(value: u64) -> String {
    if value == u64::MAX {
        "unlimited".to_owned()
    } else {
        value.to_string()
    }
}

/// An expected count: whole, as a count is.
fn count(expected: f64) -> String {
    format!("{:.0}", expected.round())
}

/// Seconds as people read them, to the millisecond.
fn human(seconds: f64) -> String {
    let rounded = std::time::Duration::from_millis((seconds.max(0.0) * 1000.0).round() as u64);
    if rounded.is_zero() {
        return "0s".to_owned();
    }
    humantime::format_duration(rounded).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
    use super::*;
    use klavier_plan::preview::{preview, Assumptions};
    use std::time::Duration;

    const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:1"
[load]
stages = [{ duration = "10s", users = 20 }]
[scenarios.browse]
[[scenarios.browse.requests]]
name = "home"
path = "/"
[timings]
duration = "1m"
min_scenario_interval_ms = 1000
"#;

    fn rendered(json: bool) -> String {
        let plan = klavier_plan::compile(PROFILE, "p.toml", &Default::default()).unwrap();
        let assumptions = Assumptions {
            latency: Duration::from_millis(50),
            threads: 2,
            open_files: Some((1024, 4096)),
        };
        let preview = preview(&plan, &assumptions);
        let mut out = Vec::new();
        if json {
            write_preview_json(&preview, &mut out).unwrap();
        } else {
            write_preview_text(&preview, &mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_shows_each_section() {
        let text = rendered(false);
        let expected = "\
Plan preview (dry run, nothing sent): closed model (a population of users), 1m.
Assuming every exchange takes 50ms (--assume-latency); rates are at the peak level.

Load
phase      from  lasts   users  requests/s
  stage 1    0s    10s  0 → 20      20.0/s
  hold      10s    50s      20      20.0/s

Scenarios
scenario   share  requests  iteration  cycle  iterations/s  total
  browse  100.0%         1       50ms     1s        20.0/s   1100

Requests
request    rate  total
  home   20.0/s   1100
  ────────────────────
  all    20.0/s   1100

Connections
  20 users at the peak, 1 origin: 20 connections, about 44 file descriptors;
  open-file limit 1024 soft, 4096 hard (raised to the hard one at start): enough

No warnings.
";
        assert_eq!(text, expected);
    }

    #[test]
    fn json_carries_its_schema_tag() {
        let value: serde_json::Value = serde_json::from_str(&rendered(true)).unwrap();
        assert_eq!(value["schema"], PREVIEW_SCHEMA);
        assert_eq!(value["requests"][0]["total"], 1100.0);
        assert_eq!(value["connections"]["hard_limit"], 4096);
    }
}
