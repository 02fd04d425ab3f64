//! What a client keeps of a response when a request has checks, extractions or a
//! cookie jar: nothing more than asked for, so plain requests still drain bodies
//! without copying.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

/// What to keep of a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capture {
    /// All response headers.
    pub headers: bool,
    /// The whole body.
    pub body: bool,
    /// `Set-Cookie` values.
    pub cookies: bool,
    /// The `Location` of a redirect (3xx), to follow it.
    pub location: bool,
}

impl Capture {
    /// Whether anything is kept at all.
    pub fn any(self) -> bool {
        self.headers || self.body || self.cookies || self.location
    }
}

/// What was kept of a response (empty parts were not asked for, or not there).
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
    /// `Set-Cookie` values.
    pub set_cookies: Vec<HeaderValue>,
    /// The `Location` of a 3xx response.
    pub location: Option<HeaderValue>,
}

impl Captured {
    /// Keeps what `capture` asks for of a response head.
    pub(super) fn keep_head(&mut self, capture: Capture, headers: &HeaderMap) {
        if capture.headers {
            self.headers = headers.clone();
        }
        if capture.cookies {
            self.set_cookies
                .extend(headers.get_all(http::header::SET_COOKIE).iter().cloned());
        }
    }
}
