//! Where a redirect leads (RFC 9110 §15.4): the next hop's request from the one that
//! was redirected, its status and its `Location`.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, PROXY_AUTHORIZATION};
use http::{HeaderValue, Method, Uri};
use klavier_plan::Request;

/// Statuses that are followed: 301, 302, 303, 307 and 308 (not 300, 304, 305, 306).
pub fn is_followed(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request of the next hop, or `None` when `location` is not a URL the client can
/// follow (then the redirect itself is the result).
///
/// 303 turns any method but HEAD into GET, and so do 301 and 302 for POST (as every
/// browser and peer does); a method turned into GET loses its body and its
/// `Content-Type`. 307 and 308 keep the method and body. A hop to another origin drops
/// the credentials written for this one (`Authorization`, `Proxy-Authorization`,
/// `Cookie`, a written `Host`); the cookie jar adds the other origin's own.
pub fn next_hop(current: &Request, status: u16, location: &HeaderValue) -> Option<Request> {
    let uri = resolve(&current.uri, location.to_str().ok()?)?;
    let mut next = current.clone();
    let to_get = match status {
        303 => current.method != Method::HEAD,
        301 | 302 => current.method == Method::POST,
        _ => false,
    };
    if to_get {
        next.method = Method::GET;
        next.body = Bytes::new();
        next.headers.remove(CONTENT_TYPE);
    }
    if !same_origin(&current.uri, &uri) {
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, HOST] {
            next.headers.remove(name);
        }
    }
    next.uri = uri;
    Some(next)
}

/// `location` resolved against `base`, if the result is an `http(s)` URL.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let base = url::Url::parse(&base.to_string()).ok()?;
    let mut next = base.join(location.trim()).ok()?;
    if !matches!(next.scheme(), "http" | "https") || next.host_str().is_none() {
        return None;
    }
    // Fragments are never sent.
    next.set_fragment(None);
    Uri::try_from(next.as_str()).ok()
}

fn same_origin(a: &Uri, b: &Uri) -> bool {
    let port = |u: &Uri| {
        u.port_u16().unwrap_or(if u.scheme_str() == Some("https") {
            443
        } else {
            80
        })
    };
    a.scheme_str() == b.scheme_str() && a.host() == b.host() && port(a) == port(b)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::HeaderMap;
    use klavier_plan::WrittenNames;

    use super::*;

    fn request(method: Method, uri: &str) -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Request {
            name: "r".into(),
            stat: 0,
            method,
            uri: uri.parse().expect("a valid URI"),
            headers,
            written_names: WrittenNames::default(),
            body: Bytes::from_static(b"{}"),
            redirects: 10,
            timeout: Duration::from_secs(1),
            dynamic: None,
        }
    }

    fn hop(method: Method, status: u16, location: &str) -> Option<Request> {
        let current = request(method, "http://a.test:8080/dir/page?x=1");
        next_hop(
            &current,
            status,
            &HeaderValue::from_str(location).expect("ascii"),
        )
    }

    #[test]
    fn methods_and_bodies_follow_rfc_9110() {
        #[rustfmt::skip]
        let cases = [
            // (method, status, method after, body kept)
            (Method::POST, 301, Method::GET, false),
            (Method::POST, 302, Method::GET, false),
            (Method::PUT, 302, Method::PUT, true),
            (Method::POST, 303, Method::GET, false),
            (Method::DELETE, 303, Method::GET, false),
            (Method::HEAD, 303, Method::HEAD, true),
            (Method::POST, 307, Method::POST, true),
            (Method::PUT, 308, Method::PUT, true),
        ];
        for (method, status, after, kept) in cases {
            let next = hop(method.clone(), status, "/next").expect("followed");
            assert_eq!(next.method, after, "{method} {status}");
            assert_eq!(!next.body.is_empty(), kept, "{method} {status}");
            assert_eq!(
                next.headers.contains_key(CONTENT_TYPE),
                kept,
                "{method} {status}"
            );
        }
    }

    #[test]
    fn locations_resolve_against_the_current_uri() {
        let cases = [
            ("/abs?y=2", "http://a.test:8080/abs?y=2"),
            ("rel", "http://a.test:8080/dir/rel"),
            ("../up#frag", "http://a.test:8080/up"),
            ("//b.test/x", "http://b.test/x"),
            ("https://c.test:8443/y", "https://c.test:8443/y"),
        ];
        for (location, expected) in cases {
            let next = hop(Method::GET, 302, location).expect("followed");
            assert_eq!(next.uri, expected, "{location}");
        }
        assert!(hop(Method::GET, 302, "ftp://files.test/x").is_none());
        assert!(hop(Method::GET, 302, "mailto:someone@a.test").is_none());
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let same = hop(Method::GET, 302, "/other").expect("followed");
        assert!(same.headers.contains_key(AUTHORIZATION));
        let elsewhere = hop(Method::GET, 302, "http://b.test/").expect("followed");
        assert!(!elsewhere.headers.contains_key(AUTHORIZATION));
    }

    #[test]
    fn only_real_redirects_are_followed() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_followed(status));
        }
        for status in [300, 304, 305, 306, 200, 404] {
            assert!(!is_followed(status));
        }
    }
}
