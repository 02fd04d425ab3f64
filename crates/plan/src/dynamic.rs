//! What a plan holds for variables, data and correlation: per run a [`SessionPlan`],
//! per request an optional [`Dynamic`]. A request without one is sent exactly as
//! prebuilt, at no extra cost.

use std::collections::BTreeMap;
use std::fmt;

use crate::checks::{self, Check, Expect};
use crate::data::Feeder;
use crate::extract::Extraction;
use crate::template::{RequestTemplate, Templates};

/// Per run: constants, feeders, every compiled template, cookies, check names.
#[derive(Debug, Clone, Default)]
pub struct SessionPlan {
    /// `[variables]` with `--var` on top.
    pub variables: BTreeMap<String, minijinja::Value>,
    /// `[data.NAME]` feeders, loaded.
    pub feeders: Vec<Feeder>,
    /// Every template of the profile.
    pub templates: Templates,
    /// Whether each user keeps a cookie jar (`[target] cookies`, default true).
    pub cookies: bool,
    /// The checks of each request row (by `Request::stat`), as statistics labels:
    /// the union over the requests sharing the row, in first-seen order.
    pub check_names: Vec<Vec<String>>,
}

/// What one request does beyond its prebuilt form.
#[derive(Debug, Clone, Default)]
pub struct Dynamic {
    /// Templated parts, rendered before sending.
    pub template: Option<RequestTemplate>,
    /// Checks of the response.
    pub expect: Option<Expect>,
    /// Variables taken from the response.
    pub extract: Vec<Extraction>,
    /// For each of the request's checks (`expect`'s, then one per extraction), its index
    /// in the row's `SessionPlan::check_names`.
    pub check_slots: Vec<usize>,
}

impl Dynamic {
    /// Whether the response's body must be kept for checks or extractions.
    pub fn needs_body(&self) -> bool {
        self.expect.as_ref().is_some_and(Expect::needs_body)
            || self.extract.iter().any(|e| e.from.needs_body())
    }

    /// Whether the response's headers must be kept.
    pub fn needs_headers(&self) -> bool {
        self.expect.as_ref().is_some_and(|e| !e.headers.is_empty()) || !self.extract.is_empty()
    }

    /// The request's checks, in [`checks::of`] order.
    pub fn checks(&self) -> impl Iterator<Item = Check<'_>> {
        checks::of(self.expect.as_ref(), &self.extract)
    }

    /// The labels of the request's checks, in [`checks::of`] order.
    pub fn check_labels(&self) -> Vec<String> {
        self.checks().map(|c| c.to_string()).collect()
    }
}

impl SessionPlan {
    /// The `variables and data` section of `klavier check`; nothing when there is none.
    pub(crate) fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.variables.is_empty() && self.feeders.is_empty() && self.templates.is_empty() {
            return Ok(());
        }
        writeln!(f, "variables and data")?;
        if !self.variables.is_empty() {
            let names: Vec<&str> = self.variables.keys().map(String::as_str).collect();
            writeln!(f, "  variables         {}", names.join(", "))?;
        }
        for feeder in &self.feeders {
            writeln!(
                f,
                "  data {:<12} {} rows ({}), {} per {}",
                feeder.name,
                feeder.table.rows(),
                feeder.table.describe_columns(),
                format!("{:?}", feeder.strategy).to_lowercase(),
                format!("{:?}", feeder.per).to_lowercase(),
            )?;
        }
        writeln!(f, "  templates         {}", self.templates.len())?;
        writeln!(f, "  cookies           {}", on_off(self.cookies))
    }

    /// A request's extra details for `klavier check`: checks and extractions.
    pub(crate) fn request_details(dynamic: &Dynamic) -> Vec<String> {
        let mut details = Vec::new();
        let checks = checks::of(dynamic.expect.as_ref(), &[]).count();
        match checks {
            0 => {}
            1 => details.push("1 check".to_owned()),
            n => details.push(format!("{n} checks")),
        }
        if !dynamic.extract.is_empty() {
            let names: Vec<&str> = dynamic.extract.iter().map(|e| &*e.variable).collect();
            details.push(format!("extracts {}", names.join(", ")));
        }
        details
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on, one jar per user"
    } else {
        "off"
    }
}
