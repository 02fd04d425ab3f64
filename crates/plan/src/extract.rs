//! Extractions (`extract`): values taken from a response into the user's variables.

use std::sync::Arc;

use http::HeaderName;
use regex::Regex;
use serde_json_path::JsonPath;

/// One `extract` entry: `token = { json = "$.access_token" }`.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The variable it sets.
    pub variable: Arc<str>,
    /// Where the value comes from.
    pub from: ExtractFrom,
}

/// The source of an extracted value.
#[derive(Debug, Clone)]
pub enum ExtractFrom {
    /// The first node an RFC 9535 JSONPath query selects in the JSON body; strings as
    /// their text, other values as JSON.
    Json {
        /// The path as written.
        written: String,
        /// The compiled query.
        path: JsonPath,
    },
    /// A capture group of the first match of a regular expression in the body.
    Regex {
        /// The compiled expression.
        regex: Regex,
        /// The group (0: the whole match).
        group: usize,
    },
    /// The first value of a response header.
    Header(HeaderName),
}

impl ExtractFrom {
    /// Whether evaluating needs the response body.
    pub fn needs_body(&self) -> bool {
        !matches!(self, ExtractFrom::Header(_))
    }
}
