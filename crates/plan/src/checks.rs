//! Checks (`expect`) of a response, validated: what the engine evaluates after a request.
//!
//! [`of`] is the one ordered list of a request's checks: the order in which they are
//! evaluated, counted in statistics and labelled in reports. Everything else reads it.

use std::time::Duration;

use http::HeaderName;
use serde_json_path::JsonPath;

use crate::extract::Extraction;
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

/// One check of a request, with what evaluating it needs; its `Display` is the label
/// statistics count it under.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// The status code must be one of these.
    Status(&'a [u16]),
    /// A header must have exactly this value.
    Header(&'a HeaderName, &'a str),
    /// The body must contain this text.
    BodyContains(&'a str),
    /// The single node at a JSON path must equal a value.
    Json(&'a JsonCheck),
    /// The response must complete within this time.
    MaxLatency(Duration),
    /// An extraction must find a value for its variable.
    Extract(&'a Extraction),
}

impl std::fmt::Display for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Status(_) => f.write_str("status"),
            Check::Header(name, _) => write!(f, "header {name}"),
            Check::BodyContains(_) => f.write_str("body_contains"),
            Check::Json(json) => write!(f, "json {}", json.written),
            Check::MaxLatency(_) => f.write_str("max_latency"),
            Check::Extract(extraction) => write!(f, "extract {}", extraction.variable),
        }
    }
}

/// A request's checks in the one order they are evaluated, counted and labelled:
/// `expect`'s status, headers, body_contains, json and max_latency, then one per
/// extraction. Allocates nothing: the engine walks it for every checked response.
pub fn of<'a>(
    expect: Option<&'a Expect>,
    extract: &'a [Extraction],
) -> impl Iterator<Item = Check<'a>> + 'a {
    expect
        .into_iter()
        .flat_map(|e| {
            let status = e.status.as_deref().map(Check::Status);
            let headers = e.headers.iter().map(|(name, v)| Check::Header(name, v));
            let body = e.body_contains.as_deref().map(Check::BodyContains);
            let json = e.json.iter().map(Check::Json);
            let latency = e.max_latency.map(Check::MaxLatency);
            status
                .into_iter()
                .chain(headers)
                .chain(body)
                .chain(json)
                .chain(latency)
        })
        .chain(extract.iter().map(Check::Extract))
}

impl Expect {
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
        let extract = [Extraction {
            variable: "token".into(),
            from: crate::extract::ExtractFrom::Header(http::header::ETAG),
        }];
        let labels: Vec<String> = of(Some(&expect), &extract).map(|c| c.to_string()).collect();
        assert_eq!(
            labels,
            [
                "status",
                "header content-type",
                "body_contains",
                "json $.status",
                "max_latency",
                "extract token"
            ]
        );
        assert_eq!(of(None, &extract).count(), 1);
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
