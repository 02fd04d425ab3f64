//! The profile keys of variables, data and correlation, as written: `[variables]`,
//! `[data.NAME]`, and a request's `form`, `extract` and `expect`.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::document::{Spanned, Value};

use super::{DurationText, HeadersProfile};

/// `[data.NAME]`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DataProfile {
    pub file: Option<Spanned<String>>,
    pub strategy: Option<Spanned<String>>,
    pub per: Option<Spanned<String>>,
    pub on_exhausted: Option<Spanned<String>>,
    /// Column name → `"string"`, `"int"`, `"float"` or `"bool"`.
    pub types: Option<IndexMap<String, Spanned<String>>>,
}

/// One entry of a request's `extract` table: exactly one source.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtractProfile {
    pub json: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    pub group: Option<Spanned<i64>>,
    pub header: Option<Spanned<String>>,
}

/// A request's `expect` table.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectProfile {
    /// An integer or an array of integers.
    pub status: Option<Value>,
    pub header: Option<HeadersProfile>,
    pub body_contains: Option<Spanned<String>>,
    /// JSONPath → expected value.
    pub json: Option<BTreeMap<String, Value>>,
    pub max_latency: Option<Spanned<DurationText>>,
}
