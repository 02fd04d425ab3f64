//! After a response: run a request's extractions into the user's variables and its
//! checks, and say which failed.

use std::time::Duration;

use http::HeaderMap;
use klavier_plan::checks::Expect;
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

/// Which checks failed, by index in [`check_count`] order: `expect`'s checks
/// ([`Expect::checks`]), then one per extraction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Indices of the failed checks, ascending.
    pub failed: Vec<usize>,
}

impl Verdict {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.failed.is_empty()
    }
}

/// How many checks a request counts: `expect`'s, then one per extraction.
pub fn check_count(expect: Option<&Expect>, extract: &[Extraction]) -> usize {
    expect.map_or(0, |e| e.checks().len()) + extract.len()
}

/// Runs `extract` (setting or unsetting variables in `vars`) and `expect` on `response`.
pub fn evaluate(
    expect: Option<&Expect>,
    extract: &[Extraction],
    response: &Response<'_>,
    vars: &mut Vars,
) -> Verdict {
    let mut failed = Vec::new();
    let mut index = 0;
    if let Some(expect) = expect {
        let json = (!expect.json.is_empty()).then(|| parse_json(response.body));
        let mut check = |ok: bool| {
            if !ok {
                failed.push(index);
            }
            index += 1;
        };
        if let Some(accepted) = &expect.status {
            check(accepted.contains(&response.status));
        }
        for (name, want) in &expect.headers {
            check(
                response
                    .headers
                    .get(name)
                    .is_some_and(|v| v.as_bytes() == want.as_bytes()),
            );
        }
        if let Some(needle) = &expect.body_contains {
            check(contains(response.body, needle.as_bytes()));
        }
        for json_check in &expect.json {
            let ok = json.as_ref().and_then(Option::as_ref).is_some_and(|doc| {
                let nodes = json_check.path.query(doc).all();
                nodes.len() == 1 && *nodes[0] == json_check.value
            });
            check(ok);
        }
        if let Some(max) = expect.max_latency {
            check(response.latency <= max);
        }
    }
    let needs_json = extract
        .iter()
        .any(|e| matches!(e.from, ExtractFrom::Json { .. }));
    let json = needs_json.then(|| parse_json(response.body)).flatten();
    for extraction in extract {
        match extract_one(&extraction.from, response, json.as_ref()) {
            Some(value) => vars.set(&extraction.variable, value),
            None => {
                vars.unset(&extraction.variable);
                failed.push(index);
            }
        }
        index += 1;
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
