//! Wiring of variables, data and correlation into a compilation: before the scenarios
//! (constants, feeders, the scope templates are checked against), per request (its
//! [`Dynamic`] part) and after (check names per statistics row).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::target::Origin;
use super::{correlation, templated, Context, Overrides, Reported};
use crate::dynamic::{Dynamic, SessionPlan};
use crate::plan::Scenario;
use crate::profile::{Profile, RequestProfile};

/// Reads `[variables]` and `[data]` and sets up the templating scope.
pub(super) fn prepare(
    profile: &Profile,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> SessionPlan {
    let variables = correlation::variables(profile.variables.as_ref(), &overrides.variables, cx);
    let feeders = correlation::feeders(profile.data.as_ref(), cx);
    let extracted = profile
        .scenarios
        .iter()
        .flat_map(BTreeMap::values)
        .filter_map(|s| s.requests.as_ref())
        .flat_map(|r| r.get_ref())
        .flat_map(RequestProfile::with_parallel)
        .filter_map(|r| r.extract.as_ref())
        .flat_map(BTreeMap::keys);
    // A feeder that could not be read has its own error: templates using it are not
    // also blamed on an "undefined variable".
    let unreadable = profile
        .data
        .iter()
        .flatten()
        .map(|(name, _)| name)
        .filter(|name| !feeders.iter().any(|f| &f.name == *name));
    cx.templating.scope = correlation::scope(&variables, extracted.chain(unreadable), &feeders);
    cx.templating.target_headers = profile.target.headers.clone();
    SessionPlan {
        variables,
        feeders,
        cookies: profile.target.cookies.as_ref().is_none_or(|c| *c.get_ref()),
        ..SessionPlan::default()
    }
}

/// The request's dynamic part: `None` for a plain request.
pub(super) fn dynamic(
    profile: &RequestProfile,
    field: &str,
    origin: &Origin,
    cx: &mut Context<'_>,
) -> Result<Option<Arc<Dynamic>>, Reported> {
    let template = templated::compile(profile, field, origin, cx);
    let expect = correlation::expect(profile.expect.as_ref(), field, cx);
    let extract = correlation::extractions(profile.extract.as_ref(), field, cx);
    let (template, expect, extract) = (template?, expect?, extract.ok_or(Reported)?);
    if template.is_none() && expect.is_none() && extract.is_empty() {
        return Ok(None);
    }
    Ok(Some(Arc::new(Dynamic {
        template,
        expect,
        extract,
        check_slots: Vec::new(),
    })))
}

/// Takes the compiled templates and names every row's checks.
pub(super) fn finish(
    mut session: SessionPlan,
    scenarios: &mut [Scenario],
    rows: usize,
    cx: &mut Context<'_>,
) -> SessionPlan {
    session.templates = std::mem::take(&mut cx.templating.templates);
    let mut names: Vec<Vec<String>> = vec![Vec::new(); rows];
    for request in scenarios.iter_mut().flat_map(Scenario::all_requests_mut) {
        let Some(dynamic) = request.dynamic.as_mut() else {
            continue;
        };
        let row = &mut names[request.stat];
        let slots = dynamic
            .check_labels()
            .into_iter()
            .map(|label| match row.iter().position(|n| *n == label) {
                Some(at) => at,
                None => {
                    row.push(label);
                    row.len() - 1
                }
            })
            .collect();
        Arc::make_mut(dynamic).check_slots = slots;
    }
    session.check_names = names;
    session
}

#[cfg(test)]
#[path = "tests/correlation.rs"]
mod tests;
