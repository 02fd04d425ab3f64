//! After a response: run a request's extractions into the user's variables and its
//! checks, and say which failed.

use std::time::Duration;

use http::HeaderMap;
use klavier_plan::checks::{self, Check, Expect};
use klavier_plan::extract::{ExtractFrom, Extraction};
use minijinja::Value;

use super::vars::Vars;

/// What a request's checks see of its response.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body (empty when neither checks nor extractions need it).
    pub body: &'a [u8],
    /// From sending to the last byte.
    pub latency: Duration,
}

/// Which checks failed, by index in [`checks::of`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Indices of the failed checks, ascending.
    pub failed: Vec<usize>,
}

/// Runs `expect` and `extract` (setting or unsetting variables in `vars`) on `response`,
/// in [`checks::of`] order.
pub fn evaluate(
    expect: Option<&Expect>,
    extract: &[Extraction],
    response: &Response<'_>,
    vars: &mut Vars,
) -> Verdict {
    let mut failed = Vec::new();
    // The body as JSON, parsed at most once and only if a check needs it.
    let mut json: Option<Option<serde_json::Value>> = None;
    for (index, check) in checks::of(expect, extract).enumerate() {
        let ok = match check {
            Check::Status(accepted) => accepted.contains(&response.status),
            Check::Header(name, want) => response
                .headers
                .get(name)
                .is_some_and(|v| v.as_bytes() == want.as_bytes()),
            Check::BodyContains(needle) => contains(response.body, needle.as_bytes()),
            Check::Json(json_check) => json
                .get_or_insert_with(|| parse_json(response.body))
                .as_ref()
                .is_some_and(|doc| {
                    let nodes = json_check.path.query(doc).all();
                    nodes.len() == 1 && *nodes[0] == json_check.value
                }),
            Check::MaxLatency(max) => response.latency <= max,
            Check::Extract(extraction) => {
                let doc = match extraction.from {
                    ExtractFrom::Json { .. } => json
                        .get_or_insert_with(|| parse_json(response.body))
                        .as_ref(),
                    _ => None,
                };
                let found = extract_one(&extraction.from, response, doc);
                let ok = found.is_some();
                match found {
                    Some(value) => vars.set(&extraction.variable, value),
                    None => vars.unset(&extraction.variable),
                }
                ok
            }
        };
        if !ok {
            failed.push(index);
        }
    }
    Verdict { failed }
}

/// Unsets every variable `extract` would set: the request got no response.
pub fn forget(extract: &[Extraction], vars: &mut Vars) {
    for extraction in extract {
        vars.unset(&extraction.variable);
    }
}

fn parse_json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(body).ok()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The extracted value, or `None` when there is nothing to extract.
pub fn extract_one(
    from: &ExtractFrom,
    response: &Response<'_>,
    json: Option<&serde_json::Value>,
) -> Option<Value> {
    match from {
        ExtractFrom::Json { path, .. } => {
            let node = path.query(json?).first()?;
            Some(match node {
                serde_json::Value::String(s) => Value::from(s.as_str()),
                other => Value::from(other.to_string()),
            })
        }
        ExtractFrom::Regex { regex, group } => {
            let body = std::str::from_utf8(response.body).ok()?;
            let found = regex.captures(body)?.get(*group)?;
            Some(Value::from(found.as_str()))
        }
        ExtractFrom::Header(name) => {
            let value = response.headers.get(name)?.to_str().ok()?;
            Some(Value::from(value))
        }
    }
}

/// Takes in the final response to `request`: extractions into the user's variables
/// and checks (recorded, with any `expect.status` acceptance). Returns whether every
/// check passed. Cookies are the flight's business, hop by hop.
pub(super) fn take_in(
    session: &mut super::Session,
    renderer: &super::Renderer,
    request: &klavier_plan::Request,
    outcome: klavier_stats::Outcome,
    captured: &crate::http::Captured,
    latency: Duration,
    recorder: &mut klavier_stats::Recorder,
) -> bool {
    let Some(dynamic) = request.dynamic.as_deref() else {
        return true;
    };
    let klavier_stats::Outcome::Status(status) = outcome else {
        // No response: nothing to check, and nothing extracted.
        forget(&dynamic.extract, session.vars_mut());
        return true;
    };
    if let Some(expect) = &dynamic.expect {
        if expect.status.is_some() && status >= 400 && expect.accepts_status(status) {
            recorder.record_accepted(request.stat, status);
        }
    }
    let response = Response {
        status,
        headers: &captured.headers,
        body: &captured.body,
        latency,
    };
    // Expected values with templates are rendered for this user; one that cannot be
    // (a variable is unset) keeps its template text, which fails its check.
    let resolved = dynamic
        .expect
        .as_ref()
        .filter(|e| !e.templates.is_empty())
        .and_then(|e| e.resolve(|text| session.render_text(renderer, text)).ok());
    let verdict = evaluate(
        resolved.as_ref().or(dynamic.expect.as_ref()),
        &dynamic.extract,
        &response,
        session.vars_mut(),
    );
    let failed: Vec<usize> = verdict
        .failed
        .iter()
        .filter_map(|&i| dynamic.check_slots.get(i).copied())
        .collect();
    recorder.record_checks(request.stat, &failed);
    failed.is_empty()
}
