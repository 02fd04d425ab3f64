//! One user's session: variables, feeder rows, rendering, extraction, checks and cookies.
//!
//! Knows nothing of scheduling or sockets. The engine asks it to start an iteration
//! (drawing feeder rows), then gives each request a [`Flight`]: rendered, cookies
//! added, redirects followed hop by hop, and the final response taken in (cookies,
//! extractions, checks).

mod cookies;
mod feed;
mod flight;
mod redirect;
mod render;
mod rendered_uri;
mod respond;
mod vars;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use klavier_plan::data::Per;
use klavier_plan::segment::Segment;
use klavier_plan::Request;
use minijinja::Value;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use cookies::{CookieJar, Destination};
pub use feed::{Exhausted, Feeds};
pub use flight::{is_failure, Flight, Next};
pub use render::{RenderError, Renderer};
#[cfg(test)]
use respond::{evaluate, extract_one, Response};
pub use vars::Vars;

/// What every session of a run shares.
#[derive(Debug)]
pub struct Shared {
    /// Scenario names as template values, by scenario index.
    pub scenario_names: Vec<Value>,
    /// Templates with the engine's functions.
    pub renderer: Renderer,
    /// Feeders and their cursors.
    pub feeds: Feeds,
    /// `[variables]` and `--var`.
    pub constants: Arc<BTreeMap<String, Value>>,
    /// Whether users keep cookies.
    pub cookies: bool,
    /// Why the first request that could not be rendered was not sent: the reason a
    /// run that sent nothing gives, instead of a count alone.
    pub not_rendered: std::sync::OnceLock<String>,
    /// Why the first request that failed as `invalid_url` once rendered did: the
    /// request's name, the rendered value and the place at fault.
    pub invalid_url: std::sync::OnceLock<String>,
    /// `[target] redact`: more query parameter names hidden in those reasons.
    pub redact: Vec<String>,
}

impl Shared {
    /// The shared state of a run of `plan`: one per run, so `seq()` and `unique` feeders
    /// count across every worker.
    pub fn new(plan: &klavier_plan::Plan) -> Self {
        Self::for_segment(plan, Segment::WHOLE)
    }

    /// The shared state of segment `segment` of a run of `plan`: `seq()` values and
    /// `unique` rows follow the partition rule, so no two segments share one.
    pub fn for_segment(plan: &klavier_plan::Plan, segment: Segment) -> Self {
        let session = &plan.session;
        Self {
            scenario_names: plan
                .scenarios
                .iter()
                .map(|s| Value::from(s.name.as_str()))
                .collect(),
            renderer: Renderer::for_segment(&session.templates, segment),
            feeds: Feeds::for_segment(&session.feeders, segment),
            constants: Arc::new(session.variables.clone()),
            cookies: session.cookies,
            not_rendered: std::sync::OnceLock::new(),
            invalid_url: std::sync::OnceLock::new(),
            redact: plan.target.redact.clone(),
        }
    }
}

/// One user's state across iterations.
#[derive(Debug)]
pub struct Session {
    vars: Arc<Vars>,
    /// The stream template functions draw from; separate from the user's scenario picks,
    /// so adding a template does not change which scenarios a seed picks.
    rng: Xoshiro256PlusPlus,
    positions: Vec<usize>,
    /// `None` when cookies are turned off.
    pub jar: Option<CookieJar>,
}

impl Session {
    /// The session of user `vu` in a run seeded with `seed`; draws the per-user rows.
    pub fn start(shared: &Shared, vu: u32, seed: u64) -> Result<Self, Exhausted> {
        let stream =
            seed ^ 0x5EED_7E3D_0000_0000 ^ u64::from(vu).wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut session = Self {
            vars: Arc::new(Vars::new(vu, shared.constants.clone())),
            rng: Xoshiro256PlusPlus::seed_from_u64(stream),
            positions: shared.feeds.start_positions(vu),
            jar: shared.cookies.then(CookieJar::default),
        };
        session.draw(shared, Per::User)?;
        Ok(session)
    }

    /// Starts an iteration of `scenario`: sets `iteration` and `scenario`, draws the
    /// per-iteration rows.
    pub fn begin_iteration(
        &mut self,
        shared: &Shared,
        iteration: u64,
        scenario: &Value,
    ) -> Result<(), Exhausted> {
        let vars = Arc::make_mut(&mut self.vars);
        vars.iteration = iteration;
        vars.scenario = scenario.clone();
        self.draw(shared, Per::Iteration)
    }

    /// Starts an iteration of `scenario` that keeps the rows the user has: a user's
    /// setup after its first scenario, and its teardown, use the rows it logged in with.
    pub fn continue_iteration(&mut self, iteration: u64, scenario: &Value) {
        let vars = Arc::make_mut(&mut self.vars);
        vars.iteration = iteration;
        vars.scenario = scenario.clone();
    }

    fn draw(&mut self, shared: &Shared, per: Per) -> Result<(), Exhausted> {
        let vars = Arc::make_mut(&mut self.vars);
        shared
            .feeds
            .draw(per, vars, &mut self.positions, &mut self.rng)
    }

    /// Renders `text` into `out` with this user's variables and random stream.
    pub fn render(
        &mut self,
        renderer: &Renderer,
        text: &klavier_plan::template::Text,
        out: &mut String,
    ) -> Result<(), RenderError> {
        let vars = Value::from_dyn_object(self.vars.clone());
        renderer.render(text, &vars, &mut self.rng, out)
    }

    /// `text` rendered with this user's variables, as a new string.
    pub fn render_text(
        &mut self,
        renderer: &Renderer,
        text: &klavier_plan::template::Text,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        self.render(renderer, text, &mut out)?;
        Ok(out)
    }

    /// `request` with its templated parts rendered for this user (`scratch` is reused
    /// between calls). Fails when a variable is unset or the result is not valid HTTP.
    pub fn render_request(
        &mut self,
        shared: &Shared,
        request: &Request,
        scratch: &mut String,
    ) -> Result<Request, RenderError> {
        let renderer = &shared.renderer;
        let mut built = request.clone();
        let Some(template) = request.dynamic.as_ref().and_then(|d| d.template.as_ref()) else {
            return Ok(built);
        };
        if let Some(uri) = &template.uri {
            scratch.clear();
            self.render(renderer, uri, scratch)?;
            built.uri = rendered_uri::parse(scratch, template.path_at, &shared.redact)
                .map_err(RenderError::InvalidUrl)?;
        }
        for (name, text) in &template.headers {
            scratch.clear();
            self.render(renderer, text, scratch)?;
            // The value is not repeated: it may hold a secret (a token, an env() value).
            let value = HeaderValue::from_str(scratch).map_err(|_| {
                RenderError::Invalid(format!(
                    "the rendered value of header {name} is not a valid header value \
                     (it holds CR, LF or another control character)"
                ))
            })?;
            built.headers.insert(name.clone(), value);
        }
        if let Some(body) = &template.body {
            let mut rendered = String::with_capacity(request.body.len() + 64);
            self.render(renderer, body, &mut rendered)?;
            built.body = Bytes::from(rendered);
        }
        Ok(built)
    }

    /// The user's variables, to change after a response.
    pub fn vars_mut(&mut self) -> &mut Vars {
        Arc::make_mut(&mut self.vars)
    }

    /// The user's variables.
    pub fn vars(&self) -> &Vars {
        &self.vars
    }
}
