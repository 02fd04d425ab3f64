//! The profile file as written: a serde mirror of the TOML format that checks only key
//! names and TOML types. Every other rule lives in `compile`.
//!
//! Integers are `i64` (TOML's own integer) so that `weight = -1` reaches `compile`, which
//! says what is wrong in our words. Leaf values are [`Spanned`] so diagnostics can point at
//! them; `compile` finds tables with [`crate::locate::Locator`]. Read by
//! [`crate::document::read`], which reports unknown keys and wrong types as data.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::document::{Spanned, Value};

pub(crate) mod correlation;

use correlation::{DataProfile, ExpectProfile, ExtractProfile};

/// The whole file. Tables are keyed by name in a `BTreeMap` (sorted by name); `compile`
/// restores file order from spans.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    #[serde(default)]
    pub target: TargetProfile,
    #[serde(default)]
    pub load: LoadProfile,
    #[serde(default)]
    pub timings: TimingsProfile,
    pub scenarios: Option<BTreeMap<String, ScenarioProfile>>,
    /// `[variables]`: template constants.
    pub variables: Option<BTreeMap<String, Value>>,
    /// `[data.NAME]`: feeders.
    pub data: Option<BTreeMap<String, DataProfile>>,
    /// `[thresholds]`: pass/fail criteria.
    pub thresholds: Option<ThresholdsProfile>,
}

/// Threshold expressions as written (`"p99 < 250ms"`).
pub(crate) type ExpressionsProfile = Vec<Spanned<String>>;

/// `[thresholds]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThresholdsProfile {
    /// On the whole run.
    pub run: Option<ExpressionsProfile>,
    /// By request name.
    pub requests: Option<IndexMap<String, ExpressionsProfile>>,
    /// By scenario name.
    pub scenarios: Option<IndexMap<String, ExpressionsProfile>>,
    pub abort_on_fail: Option<Spanned<bool>>,
    pub delay: Option<Spanned<DurationText>>,
}

/// Header names to values, as written.
/// Header tables keep the order they are written in: headers go out in that order.
pub(crate) type HeadersProfile = IndexMap<String, Spanned<String>>;

/// `[target]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetProfile {
    pub base_url: Option<Spanned<String>>,
    pub timeout: Option<Spanned<DurationText>>,
    pub headers: Option<HeadersProfile>,
    pub insecure: Option<Spanned<bool>>,
    pub ca_file: Option<Spanned<String>>,
    #[schemars(extend("enum" = ["auto", "2", "h2c", "1.1"]))]
    pub http: Option<Spanned<String>>,
    pub cookies: Option<Spanned<bool>>,
    pub redirects: Option<Spanned<i64>>,
    pub compression: Option<Spanned<bool>>,
    pub client_cert: Option<Spanned<String>>,
    pub client_key: Option<Spanned<String>>,
    pub server_name: Option<Spanned<String>>,
    #[schemars(extend("enum" = ["1.2", "1.3"]))]
    pub min_tls_version: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<DurationText>>,
    pub keep_alive: Option<Spanned<bool>>,
    /// `"host:port" = "ip:port"`, as curl's `--resolve`.
    pub resolve: Option<IndexMap<String, Spanned<String>>>,
    pub proxy: Option<Spanned<String>>,
    pub max_response_headers: Option<Spanned<i64>>,
    pub max_body: Option<Spanned<String>>,
    pub connections: Option<Spanned<i64>>,
    /// Local addresses to bind outgoing connections to, in turn.
    pub source_addresses: Option<Vec<Spanned<String>>>,
    /// Header and query parameter names whose values no output shows.
    pub redact: Option<Vec<Spanned<String>>>,
}

/// `[load]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoadProfile {
    pub users: Option<Spanned<i64>>,
    pub ramp_up: Option<Spanned<DurationText>>,
    pub stages: Option<Spanned<Vec<StageProfile>>>,
    pub arrival_rate: Option<Spanned<f64>>,
    pub max_users: Option<Spanned<i64>>,
    #[schemars(extend("enum" = ["uniform", "poisson"]))]
    pub arrivals: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
}

/// One entry of `[load] stages`: a duration and a target, users or rate.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageProfile {
    pub duration: Spanned<DurationText>,
    pub users: Option<Spanned<i64>>,
    pub rate: Option<Spanned<f64>>,
}

/// `[timings]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimingsProfile {
    pub test_duration_seconds: Option<Spanned<i64>>,
    pub duration: Option<Spanned<DurationText>>,
    pub min_scenario_interval_ms: Option<Spanned<i64>>,
    pub min_request_interval_ms: Option<Spanned<i64>>,
    pub graceful_stop: Option<Spanned<DurationText>>,
    pub warmup: Option<Spanned<DurationText>>,
    pub think_time: Option<Spanned<String>>,
    pub scenario_think_time: Option<Spanned<String>>,
}

/// `[scenarios.NAME]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioProfile {
    pub weight: Option<Spanned<i64>>,
    pub requests: Option<Spanned<Vec<RequestProfile>>>,
}

/// One entry of `[[scenarios.NAME.requests]]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RequestProfile {
    pub name: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    /// Values may be any TOML value here (and may be tables, which cannot be spanned);
    /// `compile` accepts strings, numbers and booleans.
    pub query: Option<IndexMap<String, Value>>,
    pub headers: Option<HeadersProfile>,
    pub body: Option<Spanned<String>>,
    /// Any TOML value, sent as JSON.
    pub json: Option<Value>,
    /// Form fields, sent form-urlencoded.
    pub form: Option<IndexMap<String, Value>>,
    pub extract: Option<BTreeMap<String, ExtractProfile>>,
    pub expect: Option<ExpectProfile>,
    pub redirects: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<DurationText>>,
    /// Requests sent together after this one is answered (one level deep).
    pub parallel: Option<Spanned<Vec<RequestProfile>>>,
}

impl RequestProfile {
    /// This request and its parallel ones.
    pub fn with_parallel(&self) -> impl Iterator<Item = &RequestProfile> {
        let group = self.parallel.as_ref().map(|p| p.get_ref().as_slice());
        std::iter::once(self).chain(group.unwrap_or_default())
    }
}

/// A human-readable duration (`"30s"`, `"1m30s"`), kept as text: parsing it is
/// validation, which belongs to `compile`, where all problems are reported at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DurationText(pub String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The name tells the deserializer a duration is wanted; it hands over the string.
        deserializer.deserialize_newtype_struct(crate::document::DURATION, DurationTextVisitor)
    }
}

/// A duration string in the schema, with the forms the compiler reads.
impl schemars::JsonSchema for DurationText {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "a duration such as \"30s\", \"1m30s\" or \"250ms\"",
            "examples": ["30s", "1m30s", "250ms"]
        })
    }
}

struct DurationTextVisitor;

impl Visitor<'_> for DurationTextVisitor {
    type Value = DurationText;

    // Shown in type errors: "expected a duration string such as "30s", found …".
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a duration string such as "30s""#)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<DurationText, E> {
        Ok(DurationText(text.to_owned()))
    }
}
