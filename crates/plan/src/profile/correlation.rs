//! The profile keys of variables, data and correlation, as written: `[variables]`,
//! `[data.NAME]`, and a request's `form`, `extract` and `expect`.

use std::collections::BTreeMap;

use crate::document::{Spanned, Value};

use super::{DurationText, HeadersProfile};

/// `[data.NAME]`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DataProfile {
    pub file: Option<Spanned<String>>,
    #[schemars(extend("enum" = ["sequential", "random", "unique"]))]
    pub strategy: Option<Spanned<String>>,
    #[schemars(extend("enum" = ["iteration", "user"]))]
    pub per: Option<Spanned<String>>,
    #[schemars(extend("enum" = ["stop", "recycle"]))]
    pub on_exhausted: Option<Spanned<String>>,
}

/// One entry of a request's `extract` table: exactly one source.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtractProfile {
    pub json: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    pub group: Option<Spanned<i64>>,
    pub header: Option<Spanned<String>>,
}

/// A request's `expect` table.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectProfile {
    /// An integer or an array of integers.
    #[schemars(schema_with = "status_schema")]
    pub status: Option<Value>,
    pub header: Option<HeadersProfile>,
    pub body_contains: Option<Spanned<String>>,
    /// JSONPath → expected value.
    pub json: Option<BTreeMap<String, Value>>,
    pub max_latency: Option<Spanned<DurationText>>,
}

/// `expect.status`: one status code or a list of them.
fn status_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "the expected status code, or a list of them",
        "oneOf": [
            { "type": "integer" },
            { "type": "array", "items": { "type": "integer" } }
        ]
    })
}
