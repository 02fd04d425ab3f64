//! What a client keeps of a response, whatever the protocol carried it: the head parts
//! checks, extractions, cookies and redirects need, and, if asked, the body, up to
//! `max_body` bytes (the rest is drained, and the exchange fails as `body_too_large`),
//! decoded from its `Content-Encoding` at the end.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use klavier_stats::FailureKind;

use super::capture::{Capture, Captured};
use super::content::{self, Coding, DecodeError};
use super::failure::{self, Failure};

/// Collects one response's kept parts.
pub struct Keeper<'a> {
    keep: Option<(Capture, &'a mut Captured)>,
    body: Option<Vec<u8>>,
    max_body: usize,
    overflowed: bool,
    codings: Result<Vec<Coding>, DecodeError>,
}

impl<'a> Keeper<'a> {
    /// Keeps what `keep` asks for, bodies up to `max_body` bytes.
    pub fn new(keep: Option<(Capture, &'a mut Captured)>, max_body: usize) -> Self {
        let body = keep.as_ref().is_some_and(|(c, _)| c.body).then(Vec::new);
        Self {
            keep,
            body,
            max_body,
            overflowed: false,
            codings: Ok(Vec::new()),
        }
    }

    /// Takes in the final response's status and header lines (name, value).
    pub fn keep_head<'h>(
        &mut self,
        status: u16,
        lines: impl Iterator<Item = (&'h str, &'h [u8])> + Clone,
    ) {
        if let Some((capture, captured)) = self.keep.as_mut() {
            keep_lines(*capture, captured, status, lines.clone());
        }
        if self.body.is_some() {
            let mut codings = Vec::new();
            self.codings = lines
                .filter(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))
                .try_for_each(|(_, value)| content::codings(value, &mut codings))
                .map(|()| codings);
        }
    }

    /// Takes in body bytes, in order.
    pub fn keep_body(&mut self, bytes: &[u8]) {
        let Some(body) = self.body.as_mut().filter(|_| !self.overflowed) else {
            return;
        };
        if body.len() + bytes.len() > self.max_body {
            // Drained from here on, never held: the exchange fails at its end.
            self.overflowed = true;
            *body = Vec::new();
            return;
        }
        body.extend_from_slice(bytes);
    }

    /// Hands the kept body over, decoded; fails if it was too large or not decodable.
    pub fn finish(self) -> Result<(), Failure> {
        let (Some((_, captured)), Some(body)) = (self.keep, self.body) else {
            return Ok(());
        };
        if self.overflowed {
            return Err(FailureKind::BodyTooLarge.into());
        }
        let codings = self.codings.map_err(|e| failure::content_error(&e))?;
        captured.body = if codings.is_empty() {
            Bytes::from(body)
        } else {
            let decoded = content::decode(&codings, &body, self.max_body)
                .map_err(|e| failure::content_error(&e))?;
            Bytes::from(decoded)
        };
        Ok(())
    }
}

/// Keeps what `capture` asks for of a head. Cookies alone (the default: every user has
/// a jar) need only the `Set-Cookie` values, not a whole header map; a redirect's
/// `Location` only when following, and only for a 3xx.
fn keep_lines<'h>(
    capture: Capture,
    captured: &mut Captured,
    status: u16,
    lines: impl Iterator<Item = (&'h str, &'h [u8])> + Clone,
) {
    if capture.location && (300..400).contains(&status) {
        captured.location = lines
            .clone()
            .find(|(name, _)| name.eq_ignore_ascii_case("location"))
            .and_then(|(_, value)| HeaderValue::from_bytes(value).ok());
    }
    if capture.headers {
        captured.keep_head(capture, &header_map(lines));
    } else if capture.cookies {
        let cookies = lines
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| HeaderValue::from_bytes(value).ok());
        captured.set_cookies.extend(cookies);
    }
}

fn header_map<'h>(lines: impl Iterator<Item = (&'h str, &'h [u8])>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in lines {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    map
}
