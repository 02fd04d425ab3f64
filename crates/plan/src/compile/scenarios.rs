//! `[scenarios.NAME]`: weights, requests, and the statistics rows they share.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use super::target::CompiledTarget;
use super::{positive_u32, request, Context};
use crate::locate::{index, join};
use crate::plan::{Request, Run, Scenario, Weight};
use crate::profile::{RequestProfile, ScenarioProfile};

/// The scenarios in file order, and the request statistics rows.
pub(super) struct CompiledScenarios {
    pub scenarios: Vec<Scenario>,
    pub request_names: Vec<String>,
}

/// Compiles every scenario, reporting every problem; `None` if there was any.
pub(super) fn compile(
    scenarios: Option<&BTreeMap<String, ScenarioProfile>>,
    target: &CompiledTarget,
    cx: &mut Context<'_>,
) -> Option<CompiledScenarios> {
    let Some(scenarios) = scenarios.filter(|s| !s.is_empty()) else {
        let span = cx.span_of("scenarios");
        cx.error_help(
            span,
            "scenarios",
            "the profile has no scenarios",
            "add a [scenarios.NAME] table and a [[scenarios.NAME.requests]] table with a path",
        );
        return None;
    };
    let mut compiled = Vec::new();
    for (name, profile) in in_file_order(scenarios, cx) {
        compiled.push(scenario(name, profile, target, cx));
    }
    let mut scenarios: Vec<Scenario> = compiled.into_iter().collect::<Option<_>>()?;
    if !scenarios.iter().any(|s| s.run == Run::Loop) {
        let span = cx.span_of("scenarios");
        cx.error_help(
            span,
            "scenarios",
            "every scenario runs once or last: users have nothing to do in between",
            "give at least one scenario run = \"loop\" (the default: leave run out)",
        );
        return None;
    }
    let request_names = assign_stats(&mut scenarios);
    Some(CompiledScenarios {
        scenarios,
        request_names,
    })
}

/// TOML tables come out of serde sorted by name; the text says in which order they were
/// written, which is the order users expect to see them in.
fn in_file_order<'p>(
    scenarios: &'p BTreeMap<String, ScenarioProfile>,
    cx: &Context<'_>,
) -> Vec<(&'p String, &'p ScenarioProfile)> {
    let mut ordered: Vec<_> = scenarios.iter().collect();
    ordered.sort_by_cached_key(|(name, _)| cx.span_of(&join("scenarios", name)).start);
    ordered
}

fn scenario(
    name: &str,
    profile: &ScenarioProfile,
    target: &CompiledTarget,
    cx: &mut Context<'_>,
) -> Option<Scenario> {
    let field = join("scenarios", name);
    let run = run(profile, &field, cx);
    let weight = match &profile.weight {
        Some(weight) => positive_u32(weight, &join(&field, "weight"), cx),
        None => Some(NonZeroU32::MIN),
    };
    let requests = requests(profile, &field, target, cx);
    if name.trim().is_empty() {
        let span = cx.span_of(&field);
        cx.error(span, &field, "a scenario name must not be empty");
        return None;
    }
    let (requests, parallel) = requests?.into_iter().unzip();
    Some(Scenario {
        name: name.to_owned(),
        weight: Weight(weight?),
        run: run?,
        requests,
        parallel,
    })
}

/// `run = "loop" | "once" | "last"`; a scenario that runs once or last takes no weight.
fn run(profile: &ScenarioProfile, field: &str, cx: &mut Context<'_>) -> Option<Run> {
    let Some(written) = &profile.run else {
        return Some(Run::Loop);
    };
    let run_field = join(field, "run");
    let Some((word, run)) = Run::NAMES.iter().find(|(w, _)| w == written.get_ref()) else {
        let message = format!(
            "{:?} is not one of \"loop\", \"once\", \"last\"",
            written.get_ref()
        );
        let help = "\"once\" runs at each user's start (log in), \"last\" at its end (log out), \"loop\" (the default) is picked by weight in between";
        cx.error_help(written.span(), run_field, message, help);
        return None;
    };
    if let (Some(weight), Run::Once | Run::Last) = (&profile.weight, run) {
        let message = format!("a scenario with run = {word:?} takes no weight: it is not picked, it runs once per user");
        let help = "remove weight, or remove run to pick the scenario by weight in the loop";
        cx.error_help(weight.span(), join(field, "weight"), message, help);
        return None;
    }
    Some(*run)
}

/// Each request with its parallel ones.
fn requests(
    profile: &ScenarioProfile,
    field: &str,
    target: &CompiledTarget,
    cx: &mut Context<'_>,
) -> Option<Vec<(Request, Vec<Request>)>> {
    let requests_field = join(field, "requests");
    let Some(requests) = &profile.requests else {
        let span = cx.span_of(field);
        cx.error_help(
            span,
            field,
            "the scenario has no requests",
            format!(r#"add a [[{requests_field}]] table with path = "/…""#),
        );
        return None;
    };
    if requests.get_ref().is_empty() {
        cx.error(
            requests.span(),
            requests_field,
            "requests must not be empty",
        );
        return None;
    }
    let compiled: Vec<Option<(Request, Vec<Request>)>> = requests
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = index(&requests_field, i);
            let request = request::compile(r, &field, target, cx);
            let parallel = parallel(r, &field, target, cx);
            Some((request?, parallel?))
        })
        .collect();
    compiled.into_iter().collect()
}

/// The most requests one `parallel` list may hold: more than any browser sends at once
/// to one page, and each is a connection of the user's over HTTP/1.1.
const MAX_PARALLEL: usize = 64;

/// A request's `parallel` list, compiled like any request (one level deep).
fn parallel(
    profile: &RequestProfile,
    field: &str,
    target: &CompiledTarget,
    cx: &mut Context<'_>,
) -> Option<Vec<Request>> {
    let Some(list) = &profile.parallel else {
        return Some(Vec::new());
    };
    let field = join(field, "parallel");
    let requests = list.get_ref();
    if requests.is_empty() || requests.len() > MAX_PARALLEL {
        cx.error_help(
            list.span(),
            &field,
            format!(
                "parallel lists {} requests; it takes 1 to {MAX_PARALLEL}",
                requests.len()
            ),
            "list the requests to send together, e.g. parallel = [{ path = \"/app.js\" }]",
        );
        return None;
    }
    let compiled: Vec<Option<Request>> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = index(&field, i);
            if let Some(nested) = &r.parallel {
                cx.error_help(
                    nested.span(),
                    join(&at, "parallel"),
                    "a parallel request cannot have parallel requests of its own",
                    "list them all in the outer request's parallel",
                );
            }
            let compiled = request::compile(r, &at, target, cx);
            compiled.filter(|_| r.parallel.is_none())
        })
        .collect();
    compiled.into_iter().collect()
}

/// Gives each request its statistics row: one per distinct name, in first-seen order.
fn assign_stats(scenarios: &mut [Scenario]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for request in scenarios.iter_mut().flat_map(Scenario::all_requests_mut) {
        request.stat = match names.iter().position(|n| *n == request.name) {
            Some(stat) => stat,
            None => {
                names.push(request.name.clone());
                names.len() - 1
            }
        };
    }
    names
}
