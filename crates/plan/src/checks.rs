//! Checks (`expect`) of a response, validated: what the engine evaluates after a request.

use std::time::Duration;

use http::HeaderName;
use serde_json_path::JsonPath;

use crate::template::Text;

/// A request's `expect`: every check must pass for the request to pass.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `status = [200, 201]`: accepted status codes. When set, a listed status of 400 or
    /// more is not a failure, and an unlisted one fails the check.
    pub status: Option<Vec<u16>>,
    /// `header = { "Content-Type" = "application/json" }`: exact header values.
    pub headers: Vec<(HeaderName, String)>,
    /// `body_contains = "ok"`: text the body must contain.
    pub body_contains: Option<String>,
    /// `json = { "$.status" = "up" }`: the single node at each path must equal the value.
    pub json: Vec<JsonCheck>,
    /// `max_latency = "500ms"`: the response must complete within this time.
    pub max_latency: Option<Duration>,
    /// Expected values written with `{{ … }}`: rendered for the user before checking.
    pub templates: Vec<(Expected, Text)>,
}

/// Which expected value a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The value of `headers[i]`.
    Header(usize),
    /// `body_contains`.
    BodyContains,
    /// The (string) value of `json[i]`.
    Json(usize),
}

/// One `json` check.
#[derive(Debug, Clone)]
pub struct JsonCheck {
    /// The path as written, for reports.
    pub written: String,
    /// The compiled RFC 9535 query.
    pub path: JsonPath,
    /// The expected value.
    pub value: serde_json::Value,
}

/// One check of a request, as a statistics label names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check<'a> {
    /// The status code.
    Status,
    /// A header's value.
    Header(&'a HeaderName),
    /// Text in the body.
    BodyContains,
    /// A JSON value.
    Json(&'a str),
    /// The latency.
    MaxLatency,
    /// An extraction into a variable.
    Extract(&'a str),
}

impl std::fmt::Display for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Status => f.write_str("status"),
            Check::Header(name) => write!(f, "header {name}"),
            Check::BodyContains => f.write_str("body_contains"),
            Check::Json(path) => write!(f, "json {path}"),
            Check::MaxLatency => f.write_str("max_latency"),
            Check::Extract(variable) => write!(f, "extract {variable}"),
        }
    }
}

impl Expect {
    /// The checks, in the order they are evaluated and counted.
    pub fn checks(&self) -> Vec<Check<'_>> {
        let mut checks = Vec::new();
        if self.status.is_some() {
            checks.push(Check::Status);
        }
        checks.extend(self.headers.iter().map(|(name, _)| Check::Header(name)));
        if self.body_contains.is_some() {
            checks.push(Check::BodyContains);
        }
        checks.extend(self.json.iter().map(|j| Check::Json(&j.written)));
        if self.max_latency.is_some() {
            checks.push(Check::MaxLatency);
        }
        checks
    }

    /// Whether evaluating needs the response body.
    pub fn needs_body(&self) -> bool {
        self.body_contains.is_some() || !self.json.is_empty()
    }

    /// This expectation with its templated values rendered by `render`; the first
    /// render error is returned.
    pub fn resolve<E>(
        &self,
        mut render: impl FnMut(&Text) -> Result<String, E>,
    ) -> Result<Expect, E> {
        let mut resolved = self.clone();
        for (expected, text) in &self.templates {
            let value = render(text)?;
            match *expected {
                Expected::Header(i) => resolved.headers[i].1 = value,
                Expected::BodyContains => resolved.body_contains = Some(value),
                Expected::Json(i) => resolved.json[i].value = serde_json::Value::String(value),
            }
        }
        resolved.templates.clear();
        Ok(resolved)
    }

    /// Whether `status` counts as success: listed in `status` if given, else `200..=399`.
    pub fn accepts_status(&self, status: u16) -> bool {
        match &self.status {
            Some(accepted) => accepted.contains(&status),
            None => (200..=399).contains(&status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_listed_in_evaluation_order_with_labels() {
        let expect = Expect {
            status: Some(vec![200]),
            headers: vec![(http::header::CONTENT_TYPE, "application/json".into())],
            body_contains: Some("ok".into()),
            json: vec![JsonCheck {
                written: "$.status".into(),
                path: JsonPath::parse("$.status").expect("valid"),
                value: "up".into(),
            }],
            max_latency: Some(Duration::from_millis(500)),
            templates: Vec::new(),
        };
        let labels: Vec<String> = expect.checks().iter().map(ToString::to_string).collect();
        assert_eq!(
            labels,
            [
                "status",
                "header content-type",
                "body_contains",
                "json $.status",
                "max_latency"
            ]
        );
        assert!(expect.needs_body());
    }

    #[test]
    fn status_list_replaces_the_default_success_range() {
        let default = Expect::default();
        assert!(default.accepts_status(302));
        assert!(!default.accepts_status(404));
        let listed = Expect {
            status: Some(vec![404]),
            ..Expect::default()
        };
        assert!(listed.accepts_status(404));
        assert!(!listed.accepts_status(200));
    }
}
