//! The validated plan: what the engine runs. Every value here has been checked by
//! `compile`, so the engine never re-validates and never meets a string that means "unset".

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use bytes::Bytes;

use crate::load::Load;
use crate::think::Think;
use http::{HeaderMap, HeaderName, Method, Uri};

use crate::dynamic::{Dynamic, SessionPlan};

/// A compiled profile, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// A short name for the run, usually the profile's file stem.
    pub name: String,
    /// Where requests go and how to connect.
    pub target: Target,
    /// The scenarios, in the order they are first written in the profile (a change of order
    /// changes which scenario a given random roll picks, as does any change of weights).
    pub scenarios: Vec<Scenario>,
    /// Names of the statistics rows for requests. `Request::stat` indexes into this list;
    /// requests with the same name (in any scenario) share one row.
    pub request_names: Vec<String>,
    /// How long, and how fast, each user works.
    pub timings: Timings,
    /// The workload model.
    pub load: Load,
    /// Seed of every random choice in the run; a run with the same seed makes the same choices.
    /// `None` when neither the profile (`[load] seed`) nor `--seed` chose one: the app then
    /// draws a seed and should print it, so the run can be repeated.
    pub seed: Option<u64>,
    /// Variables, feeders, templates, cookies and check names.
    pub session: Arc<SessionPlan>,
}

/// The system under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL as written (after CLI override), for display.
    pub base_url: String,
    /// `true` for `https://`.
    pub tls: bool,
    /// Host name or IP literal (without brackets), used for DNS and TLS server name.
    pub host: String,
    /// TCP port (explicit or the scheme's default).
    pub port: u16,
    /// Per-request timeout: from the start of sending to the last byte of the response.
    pub timeout: Duration,
    /// Skip TLS certificate verification.
    pub insecure: bool,
    /// Extra PEM file of trusted CA certificates (resolved relative to the profile).
    pub ca_file: Option<PathBuf>,
}

/// Timing rules of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    /// How long users start new requests.
    pub duration: Duration,
    /// Minimum time from the start of one scenario to the start of the same user's next one.
    pub min_scenario_interval: Duration,
    /// Minimum time from the start of one request to the start of the next in a scenario.
    pub min_request_interval: Duration,
    /// How long in-flight requests may still finish after the end before they are cut off.
    pub graceful_stop: Duration,
    /// From the start, how long requests are measured apart and kept out of the figures
    /// (the generator's and the server's start-up transient); zero: none.
    pub warmup: Duration,
    /// Pause after each response before the next request of a scenario (the longer of
    /// this and the minimum request interval wins).
    pub think_time: Option<Think>,
    /// Pause after each scenario before the next (closed model; the longer of this and
    /// the minimum scenario interval wins).
    pub scenario_think_time: Option<Think>,
}

/// A scenario: an ordered list of requests, picked by weight.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario's name (its TOML table key).
    pub name: String,
    /// Relative probability of being picked.
    pub weight: Weight,
    /// Requests, sent in this order.
    pub requests: Vec<Request>,
}

/// A scenario's weight: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weight(pub NonZeroU32);

impl Weight {
    /// The weight as an integer.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

/// One request, fully built at compile time: the hot path only clones it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Statistics name: the profile's `name`, else `METHOD path` with the path (and any query
    /// written in it) as written, without the base URL's path prefix or the `query` table.
    pub name: String,
    /// Index into `Plan::request_names`.
    pub stat: usize,
    /// HTTP method.
    pub method: Method,
    /// Absolute URI (scheme, authority, path and query): the base URL's path prefix joined
    /// with the request's path, then the `query` table form-encoded in the order written.
    pub uri: Uri,
    /// Headers to send, in the order written: target defaults overlaid by the
    /// request's own, plus a `content-type` where a `json` body implies one. `host`
    /// is added by the client.
    pub headers: HeaderMap,
    /// How the profile writes the header names whose case `headers` loses.
    pub written_names: WrittenNames,
    /// Request body (empty when none).
    pub body: Bytes,
    /// Templates, checks and extractions; `None` for a request sent exactly as prebuilt.
    pub dynamic: Option<Arc<Dynamic>>,
}

/// Header names as the profile writes them, for those whose case a `HeaderMap` (which
/// keeps names lowercase) loses: they go out on the wire as written, because some
/// legacy servers and proxies care. Cloning shares the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrittenNames(Option<Arc<[WrittenName]>>);

/// A header name and how the profile writes it.
pub type WrittenName = (HeaderName, Box<str>);

impl WrittenNames {
    /// The names in `written` that are not all lowercase (none: nothing to look up).
    pub fn new(written: impl IntoIterator<Item = WrittenName>) -> Self {
        let kept: Vec<_> = written
            .into_iter()
            .filter(|(name, text)| name.as_str() != &**text)
            .collect();
        Self((!kept.is_empty()).then(|| kept.into()))
    }

    /// How `name` is written, if its case differs from the lowercase form.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        let names = self.0.as_deref()?;
        names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| &**text)
    }
}
