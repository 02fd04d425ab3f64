//! The dynamic side of a request, between a user's loop and its connection: render the
//! request for this user and add its cookies before sending; store cookies, extract
//! variables and evaluate checks after. A plain request (no templates, checks or
//! extractions, and an empty cookie jar) passes through untouched, by reference.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::header::COOKIE;
use http::{HeaderValue, Uri};
use klavier_plan::{Dynamic, Request};
use klavier_stats::{Outcome, Recorder};

use crate::http::{Capture, Captured};
use crate::session::{self, Destination, RenderError, Session, Shared};

/// Why a request was not sent: a variable it needs is unset, or its rendering failed.
#[derive(Debug)]
pub(super) struct Skipped(pub RenderError);

/// The request as this user sends it: the plan's own when nothing changes, else a copy
/// with rendered parts and cookies.
pub(super) fn prepare<'r>(
    session: &mut Session,
    shared: &Shared,
    request: &'r Request,
    scratch: &mut String,
) -> Result<Cow<'r, Request>, Skipped> {
    let template = request.dynamic.as_ref().and_then(|d| d.template.as_ref());
    let cookies = session.jar.as_ref().is_some_and(|jar| !jar.is_empty());
    if template.is_none() && !cookies {
        return Ok(Cow::Borrowed(request));
    }
    let mut built = match template {
        Some(_) => session
            .render_request(&shared.renderer, request, scratch)
            .map_err(Skipped)?,
        None => request.clone(),
    };
    if let Some(jar) = session.jar.as_mut() {
        let destination = destination(&built.uri);
        if let Some(mut cookie) = jar.header(destination, SystemTime::now()) {
            // A Cookie header written in the profile comes first; the jar's follow.
            if let Some(written) = built.headers.get(COOKIE).and_then(|v| v.to_str().ok()) {
                cookie = format!("{written}; {cookie}");
            }
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                built.headers.insert(COOKIE, value);
            }
        }
    }
    Ok(Cow::Owned(built))
}

fn destination(uri: &Uri) -> Destination<'_> {
    Destination {
        host: uri.host().unwrap_or_default(),
        path: uri.path(),
        secure: uri.scheme_str() == Some("https"),
    }
}

/// What the client must keep of the response to `request`.
pub(super) fn capture_for(request: &Request, session: &Session) -> Capture {
    let dynamic = request.dynamic.as_deref();
    Capture {
        headers: dynamic.is_some_and(Dynamic::needs_headers),
        body: dynamic.is_some_and(Dynamic::needs_body),
        cookies: session.jar.is_some(),
    }
}

/// Takes in the response to `request` (sent as `sent`): cookies, extractions, checks.
/// Records check outcomes; returns whether every check passed.
#[allow(clippy::too_many_arguments)] // the pieces of one exchange, each from elsewhere
pub(super) fn take_in(
    session: &mut Session,
    renderer: &session::Renderer,
    request: &Request,
    sent: &Request,
    outcome: Outcome,
    captured: &Captured,
    latency: Duration,
    recorder: &mut Recorder,
) -> bool {
    if let Some(jar) = session.jar.as_mut() {
        let now = SystemTime::now();
        for value in &captured.set_cookies {
            if let Ok(text) = value.to_str() {
                jar.store(text, destination(&sent.uri), now);
            }
        }
    }
    let Some(dynamic) = request.dynamic.as_deref() else {
        return true;
    };
    let Outcome::Status(status) = outcome else {
        // No response: nothing to check, and nothing extracted.
        session::forget(&dynamic.extract, session.vars_mut());
        return true;
    };
    if let Some(expect) = &dynamic.expect {
        if expect.status.is_some() && status >= 400 && expect.accepts_status(status) {
            recorder.record_accepted(request.stat, status);
        }
    }
    let response = session::Response {
        status,
        headers: &captured.headers,
        body: &captured.body,
        latency,
    };
    // Expected values with templates are rendered for this user; one that cannot be
    // (a variable is unset) keeps its template text, which fails its check.
    let resolved = dynamic
        .expect
        .as_ref()
        .filter(|e| !e.templates.is_empty())
        .and_then(|e| e.resolve(|text| session.render_text(renderer, text)).ok());
    let verdict = session::evaluate(
        resolved.as_ref().or(dynamic.expect.as_ref()),
        &dynamic.extract,
        &response,
        session.vars_mut(),
    );
    let failed: Vec<usize> = verdict
        .failed
        .iter()
        .filter_map(|&i| dynamic.check_slots.get(i).copied())
        .collect();
    recorder.record_checks(request.stat, &failed);
    failed.is_empty()
}

/// Whether `outcome` fails `request`: a transport failure, or a status outside
/// `200..=399` unless `expect.status` lists it.
pub(super) fn is_failure(request: &Request, outcome: Outcome) -> bool {
    let expect = request.dynamic.as_ref().and_then(|d| d.expect.as_ref());
    match (outcome, expect) {
        (Outcome::Status(code), Some(expect)) if expect.status.is_some() => {
            !expect.accepts_status(code) && outcome.is_failure()
        }
        _ => outcome.is_failure(),
    }
}
