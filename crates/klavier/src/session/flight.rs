//! One request's life for one user: render it and add cookies (or pass the plan's own
//! through untouched), say what the client must keep of the response, follow
//! redirects hop by hop with each hop's cookies, then take the final response in:
//! cookies, extractions, checks. The engine's loop only sends and records.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::header::COOKIE;
use http::{HeaderValue, Uri};
use klavier_plan::{Dynamic, Request};
use klavier_stats::{Outcome, Recorder};

use super::redirect;
use super::{Destination, RenderError, Session, Shared};
use crate::http::{Capture, Captured};

/// A request on its way: what is sent now (the plan's, rendered, or a redirect hop),
/// what to keep of its response, and what was kept.
#[derive(Debug)]
pub struct Flight<'r> {
    /// The plan's request: its row, checks and extractions.
    request: &'r Request,
    /// What goes on the wire next.
    current: Cow<'r, Request>,
    /// The `Cookie` the profile wrote (rendered), before the jar's were added.
    written_cookie: Option<HeaderValue>,
    capture: Capture,
    captured: Captured,
    hops: u32,
}

/// What to do after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The response is the final one.
    Done,
    /// Send [`Flight::to_send`] again: the next hop of a redirect.
    Follow,
    /// Another redirect, beyond the request's limit.
    TooManyRedirects,
}

impl<'r> Flight<'r> {
    /// Prepares `request` for this user: its templates rendered, its cookies added.
    /// A plain request (no templates, an empty jar) is sent as the plan built it.
    pub fn new(
        session: &mut Session,
        shared: &Shared,
        request: &'r Request,
        scratch: &mut String,
    ) -> Result<Self, RenderError> {
        let template = request.dynamic.as_ref().and_then(|d| d.template.as_ref());
        let jar_has_cookies = session.jar.as_ref().is_some_and(|jar| !jar.is_empty());
        let current = match template {
            Some(_) => Cow::Owned(session.render_request(shared, request, scratch)?),
            None => Cow::Borrowed(request),
        };
        let dynamic = request.dynamic.as_deref();
        let mut flight = Flight {
            request,
            written_cookie: current.headers.get(COOKIE).cloned(),
            current,
            capture: Capture {
                headers: dynamic.is_some_and(Dynamic::needs_headers),
                body: dynamic.is_some_and(Dynamic::needs_body),
                cookies: session.jar.is_some(),
                location: request.redirects > 0,
            },
            captured: Captured::default(),
            hops: 0,
        };
        if jar_has_cookies {
            flight.add_cookies(session);
        }
        Ok(flight)
    }

    /// The request to send now, what to keep of its response and where to keep it.
    pub fn outgoing(&mut self) -> (&Request, Capture, &mut Captured) {
        (&self.current, self.capture, &mut self.captured)
    }

    /// Redirects followed so far.
    pub fn hops(&self) -> u32 {
        self.hops
    }

    /// After a response: stores its cookies, and if it is a redirect to follow,
    /// prepares the next hop (its own cookies added) and says so.
    pub fn after(&mut self, session: &mut Session, outcome: Outcome) -> Next {
        let Outcome::Status(status) = outcome else {
            return Next::Done;
        };
        let location = match &self.captured.location {
            Some(location) if redirect::is_followed(status) => location.clone(),
            _ => return Next::Done,
        };
        if self.hops >= self.request.redirects {
            return Next::TooManyRedirects;
        }
        let Some(mut next) = redirect::next_hop(&self.current, status, &location) else {
            return Next::Done;
        };
        self.store_cookies(session);
        if !next.headers.contains_key(COOKIE) {
            self.written_cookie = None;
        } else if let Some(written) = &self.written_cookie {
            next.headers.insert(COOKIE, written.clone());
        }
        self.current = Cow::Owned(next);
        self.captured = Captured::default();
        self.hops += 1;
        self.add_cookies(session);
        Next::Follow
    }

    /// Takes the final response in: cookies, extractions, checks (recorded). Returns
    /// whether every check passed.
    pub fn finish(
        mut self,
        session: &mut Session,
        shared: &Shared,
        outcome: Outcome,
        latency: Duration,
        recorder: &mut Recorder,
    ) -> bool {
        self.store_cookies(session);
        super::respond::take_in(
            session,
            &shared.renderer,
            self.request,
            outcome,
            &self.captured,
            latency,
            recorder,
        )
    }

    /// Adds the jar's cookies for where the current request goes, after the `Cookie`
    /// the profile wrote.
    fn add_cookies(&mut self, session: &mut Session) {
        let Some(jar) = session.jar.as_mut() else {
            return;
        };
        let Some(mut cookie) = jar.header(destination(&self.current.uri), SystemTime::now()) else {
            return;
        };
        if let Some(written) = self.written_cookie.as_ref().and_then(|v| v.to_str().ok()) {
            cookie = format!("{written}; {cookie}");
        }
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            self.current.to_mut().headers.insert(COOKIE, value);
        }
    }

    /// Stores the `Set-Cookie`s of the response to the current request.
    fn store_cookies(&mut self, session: &mut Session) {
        let Some(jar) = session.jar.as_mut() else {
            return;
        };
        let now = SystemTime::now();
        for value in self.captured.set_cookies.drain(..) {
            if let Ok(text) = value.to_str() {
                jar.store(text, destination(&self.current.uri), now);
            }
        }
    }
}

fn destination(uri: &Uri) -> Destination<'_> {
    Destination {
        host: uri.host().unwrap_or_default(),
        path: uri.path(),
        secure: uri.scheme_str() == Some("https"),
    }
}

/// Whether `outcome` fails `request`: a transport failure, or a status outside
/// `200..=399` unless `expect.status` lists it.
pub fn is_failure(request: &Request, outcome: Outcome) -> bool {
    let expect = request.dynamic.as_ref().and_then(|d| d.expect.as_ref());
    match (outcome, expect) {
        (Outcome::Status(code), Some(expect)) if expect.status.is_some() => {
            !expect.accepts_status(code) && outcome.is_failure()
        }
        _ => outcome.is_failure(),
    }
}
