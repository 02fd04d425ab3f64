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
    /// Pass/fail criteria of the run (`[thresholds]` and `--threshold`).
    pub thresholds: Thresholds,
}

/// Pass/fail criteria: judged at the end of the run and, with `abort_on_fail`, while
/// it runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// The profile's, in file order (run, requests, scenarios), then the command line's.
    pub list: Vec<klavier_stats::threshold::Threshold>,
    /// Stop the run gracefully as soon as a threshold fails on measured figures.
    pub abort_on_fail: bool,
    /// From the start, how long before `abort_on_fail` judges (early figures are few).
    pub delay: Duration,
}

/// The system under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL as written (after CLI override), for display.
    pub base_url: String,
    /// `true` for `https://`.
    pub tls: bool,
    /// `[target] redact`: header and query parameter names (lowercase) whose values
    /// are hidden in every output, beyond those [`crate::redact`] always hides.
    pub redact: Vec<String>,
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
    /// How connections are made and used.
    pub client: ClientOptions,
}

/// How users connect and what their client does beyond sending a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// The most time DNS, TCP and TLS together may take (within the request timeout).
    pub connect_timeout: Duration,
    /// False: a new connection for every request (to load a server's accept path).
    pub keep_alive: bool,
    /// Whether `Accept-Encoding` is sent by default (then bodies kept for checks are
    /// decoded).
    pub compression: bool,
    /// PEM certificate chain and private key for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// The TLS name to send and verify instead of the URL's host.
    pub server_name: Option<String>,
    /// The oldest TLS version accepted.
    pub min_tls_version: TlsVersion,
    /// Fixed addresses for `host:port` pairs, as curl's `--resolve`.
    pub resolve: Vec<Resolve>,
    /// Local addresses new connections are bound to in turn (`[target]
    /// source_addresses`): each gives another ~28,000 ephemeral ports per destination.
    pub source_addresses: Vec<std::net::IpAddr>,
    /// The HTTP proxy of the profile (`None`: the environment's, if any).
    pub proxy: Option<Proxy>,
    /// Which HTTP version to speak.
    pub http: HttpVersion,
    /// `Some(n)`: users share `n` connections per worker (HTTP/2 streams multiplexed
    /// on them); `None`: each user owns its connections.
    pub connections: Option<u32>,
    /// The most header lines a response head may have.
    pub max_response_headers: usize,
    /// The largest body kept for checks and extractions (decoded); larger ones fail
    /// as `body_too_large`. Bodies nobody reads are drained, never kept.
    pub max_body: usize,
}

/// The HTTP version users speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 over TLS, negotiated by ALPN; a server that will not is a failure.
    Http2,
    /// HTTP/2 over cleartext TCP, with prior knowledge.
    H2c,
    /// HTTP/2 where TLS's ALPN offers it, else HTTP/1.1.
    Auto,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// One `[target] resolve` entry: connections to `host:port` go to `address`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    /// Lowercase host name (an IPv6 literal without brackets).
    pub host: String,
    /// The port it applies to.
    pub port: u16,
    /// Where to connect instead.
    pub address: std::net::SocketAddr,
}

/// An HTTP proxy: plain requests are sent to it in absolute form, `https` ones through
/// a `CONNECT` tunnel.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Host (an IPv6 literal without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// `Proxy-Authorization` for the URL's `user:password` (Basic); never printed.
    pub authorization: Option<http::HeaderValue>,
    /// Hosts not to proxy (`NO_PROXY` rules: a name matches itself and its subdomains;
    /// `*` matches every host).
    pub no_proxy: Vec<String>,
}

impl Proxy {
    /// The proxy as shown to people: `http://host:port`, with `user:***@` when it has
    /// credentials.
    pub fn display(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let credentials = if self.authorization.is_some() {
            "***@"
        } else {
            ""
        };
        format!("http://{credentials}{host}:{}", self.port)
    }

    /// Whether requests to `host` go through this proxy.
    pub fn applies_to(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        !self.no_proxy.iter().any(|rule| {
            rule == "*"
                || host.eq_ignore_ascii_case(rule)
                || (host.len() > rule.len()
                    && host.to_ascii_lowercase().ends_with(&format!(".{rule}")))
        })
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.display())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
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

/// When a user runs a scenario (`[scenarios.NAME] run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Run {
    /// In the user's loop, picked by weight (`"loop"`, the default).
    #[default]
    Loop,
    /// Once when the user starts, before its loop, in profile order (`"once"`: log in).
    /// Open model: before each arrival's iteration.
    Once,
    /// Once when the user stops, after its loop, within the graceful stop, in profile
    /// order (`"last"`: log out). Open model: after each arrival's iteration.
    Last,
}

impl Run {
    /// The names a profile writes, with their roles.
    pub const NAMES: [(&'static str, Run); 3] = [
        ("loop", Run::Loop),
        ("once", Run::Once),
        ("last", Run::Last),
    ];

    /// The name a profile writes.
    pub fn name(self) -> &'static str {
        match self {
            Run::Loop => "loop",
            Run::Once => "once",
            Run::Last => "last",
        }
    }
}

/// A scenario: an ordered list of requests, picked by weight (or run once at a user's
/// start or end: [`Run`]).
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario's name (its TOML table key).
    pub name: String,
    /// Relative probability of being picked (1, and never picked, unless it runs in
    /// the loop).
    pub weight: Weight,
    /// When users run it.
    pub run: Run,
    /// Requests, sent in this order.
    pub requests: Vec<Request>,
    /// What each request declares in `parallel` (empty for most): sent together once
    /// `requests[i]` is answered, and all waited for before `requests[i + 1]`, as a
    /// browser loads a page's assets. As long as `requests`.
    pub parallel: Vec<Vec<Request>>,
}

impl Scenario {
    /// The weight it is picked with in the loop: 0 for a scenario that runs once or last.
    pub fn loop_weight(&self) -> u32 {
        match self.run {
            Run::Loop => self.weight.get(),
            Run::Once | Run::Last => 0,
        }
    }

    /// Every request, each followed by its parallel ones: the order statistics rows
    /// are named in.
    pub fn all_requests(&self) -> impl Iterator<Item = &Request> {
        self.requests
            .iter()
            .zip(&self.parallel)
            .flat_map(|(request, group)| std::iter::once(request).chain(group))
    }

    /// The same, to change at compile time.
    pub(crate) fn all_requests_mut(&mut self) -> impl Iterator<Item = &mut Request> {
        self.requests
            .iter_mut()
            .zip(&mut self.parallel)
            .flat_map(|(request, group)| std::iter::once(request).chain(group))
    }
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
    /// The most redirects followed for this request (0: a 3xx is the result).
    pub redirects: u32,
    /// From the start of sending to the last byte of the response, connecting included.
    pub timeout: Duration,
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
