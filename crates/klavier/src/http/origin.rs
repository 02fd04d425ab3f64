//! Where a request goes: scheme, host and port, read off the request's own URI, so a
//! `url` that names (or renders to) another host is sent there with its own `Host`.

use http::{HeaderValue, Uri};
use klavier_stats::FailureKind;

/// An origin a user talks to (RFC 6454: scheme, host, port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `https`.
    pub tls: bool,
    /// The host as the URI writes it (IPv6 in brackets).
    host: String,
    /// Explicit or the scheme's default.
    pub port: u16,
    /// `Host` header value: the host, and the port unless it is the scheme's default.
    pub host_header: HeaderValue,
}

impl Origin {
    /// The origin of an absolute `http`/`https` URI; `InvalidUrl` for anything else.
    pub fn of(uri: &Uri) -> Result<Self, FailureKind> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(FailureKind::InvalidUrl),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or(FailureKind::InvalidUrl)?;
        let default_port = if tls { 443 } else { 80 };
        let port = uri.port_u16().unwrap_or(default_port);
        let authority = if port == default_port {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        let host_header = HeaderValue::from_str(&authority).map_err(|_| FailureKind::InvalidUrl)?;
        Ok(Self {
            tls,
            host: host.to_owned(),
            port,
            host_header,
        })
    }

    /// True if `uri` goes to this origin (compared without allocating: on the hot path).
    pub fn serves(&self, uri: &Uri) -> bool {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return false,
        };
        let default_port = if tls { 443 } else { 80 };
        tls == self.tls
            && uri.host() == Some(self.host.as_str())
            && uri.port_u16().unwrap_or(default_port) == self.port
    }

    /// The host for DNS and TLS: without an IPv6 literal's brackets.
    pub fn bare_host(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(uri: &str) -> Result<Origin, FailureKind> {
        Origin::of(&uri.parse().expect("a valid URI"))
    }

    #[test]
    fn origins_and_host_headers() {
        let cases = [
            (
                "http://example.test/a",
                false,
                "example.test",
                80,
                "example.test",
            ),
            (
                "https://example.test:443/",
                true,
                "example.test",
                443,
                "example.test",
            ),
            (
                "http://127.0.0.1:8080/x?y",
                false,
                "127.0.0.1",
                8080,
                "127.0.0.1:8080",
            ),
            ("https://[::1]:8443/", true, "::1", 8443, "[::1]:8443"),
            ("http://[::1]/", false, "::1", 80, "[::1]"),
        ];
        for (uri, tls, host, port, header) in cases {
            let o = origin(uri).expect(uri);
            assert_eq!((o.tls, o.bare_host(), o.port), (tls, host, port), "{uri}");
            assert_eq!(o.host_header, header, "{uri}");
            assert!(o.serves(&uri.parse().expect("valid")), "{uri}");
        }
    }

    #[test]
    fn serves_only_its_own_scheme_host_and_port() {
        let o = origin("http://a.test:8080/").expect("valid");
        for other in [
            "https://a.test:8080/",
            "http://b.test:8080/",
            "http://a.test/",
            "/relative",
        ] {
            assert!(!o.serves(&other.parse().expect("valid")), "{other}");
        }
    }

    #[test]
    fn a_uri_without_an_http_origin_is_invalid() {
        for uri in ["/relative", "ftp://a.test/", "mailto:x"] {
            let parsed: Result<Uri, _> = uri.parse();
            if let Ok(parsed) = parsed {
                assert_eq!(Origin::of(&parsed), Err(FailureKind::InvalidUrl), "{uri}");
            }
        }
    }
}
