//! One user's cookie jar: `Set-Cookie` parsed by the `cookie` crate, stored and matched
//! by RFC 6265 rules (domain and host-only, path, expiry, `Secure`), within the limits
//! of its §6.1 that browsers keep too: a server that sets a new cookie on every
//! response must not grow every later request without bound (it grew the `Cookie`
//! header to 529,867 bytes in 8 s and throughput 33-fold down).

use std::time::{Duration, SystemTime};

/// The largest cookie kept, name and value together (RFC 6265 §6.1: at least 4096
/// bytes); a larger one is ignored, as browsers do.
pub const MAX_COOKIE_BYTES: usize = 4096;
/// The most cookies kept per domain (§6.1: at least 50); the oldest goes first.
pub const MAX_PER_DOMAIN: usize = 50;
/// The most cookies kept in one jar (§6.1: at least 3000).
pub const MAX_COOKIES: usize = 3000;
/// The longest `Cookie` header sent: 8 KiB, what common servers accept in one header
/// line (nginx's default buffer). Cookies that do not fit are left out of that request,
/// the most specific paths kept first.
pub const MAX_HEADER_BYTES: usize = 8192;

/// Cookies of one user, in the order they were first set.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: Vec<Stored>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    name: String,
    value: String,
    /// Lowercase, without a leading dot.
    domain: String,
    /// Set without a `Domain` attribute: only sent back to the very same host.
    host_only: bool,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
}

/// Where a request goes, as a jar needs it.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    /// Host name or IP literal, as in the URI.
    pub host: &'a str,
    /// Path, without the query.
    pub path: &'a str,
    /// `https`.
    pub secure: bool,
}

impl CookieJar {
    /// Whether the jar holds no cookie (then no request needs a `Cookie` header).
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// Stores one `Set-Cookie` value received from `from` at `now`; ignores what RFC 6265
    /// says to ignore (unparsable, or a `Domain` the host does not belong to).
    pub fn store(&mut self, set_cookie: &str, from: Destination<'_>, now: SystemTime) {
        let Ok(cookie) = cookie::Cookie::parse(set_cookie) else {
            return;
        };
        if cookie.name().len() + cookie.value().len() > MAX_COOKIE_BYTES {
            return;
        }
        let host = from.host.to_ascii_lowercase();
        let (domain, host_only) = match cookie.domain().map(|d| d.trim_start_matches('.')) {
            Some(d) if !d.is_empty() => {
                let d = d.to_ascii_lowercase();
                if !domain_match(&host, &d) {
                    return;
                }
                (d, false)
            }
            _ => (host, true),
        };
        let path = match cookie.path() {
            Some(p) if p.starts_with('/') => p.to_owned(),
            _ => default_path(from.path).to_owned(),
        };
        let expires = match (cookie.max_age(), cookie.expires_datetime()) {
            (Some(age), _) => {
                let secs = u64::try_from(age.whole_seconds()).unwrap_or(0);
                Some(now + Duration::from_secs(secs))
            }
            (None, Some(at)) => Some(SystemTime::from(at)),
            (None, None) => None,
        };
        let stored = Stored {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            domain,
            host_only,
            path,
            secure: cookie.secure().unwrap_or(false),
            expires,
        };
        let same = |c: &Stored| {
            (&c.name, &c.domain, &c.path) == (&stored.name, &stored.domain, &stored.path)
        };
        let expired = stored.expires.is_some_and(|at| at <= now);
        match self.cookies.iter().position(same) {
            Some(at) if expired => {
                self.cookies.remove(at);
            }
            Some(at) => self.cookies[at] = stored,
            None if expired => {}
            None => self.add(stored),
        }
    }

    /// Adds a new cookie, first making room under the per-domain and total limits by
    /// evicting the oldest (the jar keeps cookies in the order they were first set).
    fn add(&mut self, stored: Stored) {
        let same_domain = self
            .cookies
            .iter()
            .filter(|c| c.domain == stored.domain)
            .count();
        if same_domain >= MAX_PER_DOMAIN {
            if let Some(oldest) = self.cookies.iter().position(|c| c.domain == stored.domain) {
                self.cookies.remove(oldest);
            }
        }
        if self.cookies.len() >= MAX_COOKIES {
            self.cookies.remove(0);
        }
        self.cookies.push(stored);
    }

    /// The `Cookie` header value for a request to `to` at `now` (longest paths first),
    /// or `None` when no cookie applies. Drops expired cookies.
    pub fn header(&mut self, to: Destination<'_>, now: SystemTime) -> Option<String> {
        self.cookies.retain(|c| c.expires.is_none_or(|at| at > now));
        let host = to.host.to_ascii_lowercase();
        let mut matching: Vec<&Stored> = self
            .cookies
            .iter()
            .filter(|c| {
                let domain_ok = if c.host_only {
                    host == c.domain
                } else {
                    domain_match(&host, &c.domain)
                };
                domain_ok && path_match(to.path, &c.path) && (to.secure || !c.secure)
            })
            .collect();
        if matching.is_empty() {
            return None;
        }
        // Stable: among equal path lengths, earlier-set cookies first.
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let mut header = String::new();
        for c in matching {
            let separator = if header.is_empty() { 0 } else { 2 };
            if header.len() + separator + c.name.len() + 1 + c.value.len() > MAX_HEADER_BYTES {
                continue;
            }
            if separator > 0 {
                header.push_str("; ");
            }
            header.push_str(&c.name);
            header.push('=');
            header.push_str(&c.value);
        }
        (!header.is_empty()).then_some(header)
    }
}

/// RFC 6265 §5.1.3: `host` is `domain` or ends with `.domain`, and is not an IP address.
fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    let is_ip = |name: &str| name.parse::<std::net::IpAddr>().is_ok() || name.contains(':');
    let is_ip = is_ip(host) || is_ip(domain);
    !is_ip
        && host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// RFC 6265 §5.1.4: the directory of the request path.
fn default_path(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// RFC 6265 §5.1.4: `cookie_path` is a prefix of `path` at a `/` boundary.
fn path_match(path: &str, cookie_path: &str) -> bool {
    path == cookie_path
        || (path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

    fn at(host: &str, path: &str) -> Destination<'static> {
        Destination {
            host: Box::leak(host.to_owned().into_boxed_str()),
            path: Box::leak(path.to_owned().into_boxed_str()),
            secure: false,
        }
    }

    #[test]
    fn host_only_cookie_goes_back_to_the_same_host_only() {
        let mut jar = CookieJar::default();
        jar.store("sid=1", at("example.test", "/login"), NOW);
        assert_eq!(
            jar.header(at("example.test", "/x"), NOW).as_deref(),
            Some("sid=1")
        );
        assert_eq!(jar.header(at("api.example.test", "/x"), NOW), None);
    }

    #[test]
    fn domain_cookie_goes_to_subdomains_but_not_elsewhere() {
        let mut jar = CookieJar::default();
        jar.store(
            "a=1; Domain=.example.test",
            at("www.example.test", "/"),
            NOW,
        );
        jar.store("b=2; Domain=other.test", at("www.example.test", "/"), NOW); // ignored
        assert_eq!(
            jar.header(at("api.example.test", "/"), NOW).as_deref(),
            Some("a=1")
        );
        assert_eq!(jar.header(at("badexample.test", "/"), NOW), None);
    }

    #[test]
    fn the_jar_keeps_rfc_6265_limits() {
        let mut jar = CookieJar::default();
        let here = at("example.test", "/");
        // A cookie beyond 4096 bytes is ignored.
        jar.store(&format!("big={}", "x".repeat(MAX_COOKIE_BYTES)), here, NOW);
        assert!(jar.is_empty());
        // A new cookie on every response: the domain keeps its newest 50.
        for i in 0..500 {
            jar.store(&format!("c{i}={}", "v".repeat(100)), here, NOW);
        }
        assert_eq!(jar.cookies.len(), MAX_PER_DOMAIN);
        assert_eq!(jar.cookies[0].name, "c450");
        // 50 cookies of ~105 bytes fit under the header bound; 50 of ~4 KiB do not.
        let header = jar.header(here, NOW).unwrap_or_default();
        assert!(header.starts_with("c450=") && header.len() <= MAX_HEADER_BYTES);
        for i in 0..60 {
            jar.store(&format!("d{i}={}", "w".repeat(4000)), here, NOW);
        }
        let header = jar.header(here, NOW).unwrap_or_default();
        assert!(header.len() <= MAX_HEADER_BYTES, "{}", header.len());
        assert_eq!(header.matches("; ").count() + 1, 2, "two 4 KB cookies fit");
        // Other domains have their own 50; the jar as a whole at most 3000.
        for d in 0..100 {
            for i in 0..40 {
                jar.store(&format!("e{i}=1"), at(&format!("h{d}.test"), "/"), NOW);
            }
        }
        assert_eq!(jar.cookies.len(), MAX_COOKIES);
    }

    #[test]
    fn ip_hosts_only_match_exactly() {
        assert!(domain_match("127.0.0.1", "127.0.0.1"));
        assert!(!domain_match("1.127.0.0.1", "127.0.0.1"));
    }

    #[test]
    fn path_defaults_to_the_directory_and_matches_at_slashes() {
        let mut jar = CookieJar::default();
        jar.store("c=1", at("h", "/shop/cart"), NOW);
        assert_eq!(
            jar.header(at("h", "/shop/items"), NOW).as_deref(),
            Some("c=1")
        );
        assert_eq!(jar.header(at("h", "/shopping"), NOW), None);
        assert_eq!(jar.header(at("h", "/"), NOW), None);
        assert!(path_match("/a/b", "/a/"));
        assert_eq!(default_path("/"), "/");
        assert_eq!(default_path("/x"), "/");
    }

    #[test]
    fn longer_paths_come_first() {
        let mut jar = CookieJar::default();
        jar.store("root=1; Path=/", at("h", "/"), NOW);
        jar.store("deep=2; Path=/a/b", at("h", "/"), NOW);
        assert_eq!(
            jar.header(at("h", "/a/b/c"), NOW).as_deref(),
            Some("deep=2; root=1")
        );
    }

    #[test]
    fn expiry_and_deletion() {
        let mut jar = CookieJar::default();
        jar.store("s=1; Max-Age=60", at("h", "/"), NOW);
        let later = NOW + Duration::from_secs(61);
        assert_eq!(jar.header(at("h", "/"), NOW).as_deref(), Some("s=1"));
        assert_eq!(jar.header(at("h", "/"), later), None);
        jar.store("t=1", at("h", "/"), NOW);
        jar.store("t=gone; Max-Age=0", at("h", "/"), NOW); // deletes
        jar.store(
            "u=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            at("h", "/"),
            NOW,
        );
        assert!(jar.is_empty());
    }

    #[test]
    fn a_new_value_replaces_the_old_one() {
        let mut jar = CookieJar::default();
        jar.store("s=1", at("h", "/"), NOW);
        jar.store("s=2", at("h", "/"), NOW);
        assert_eq!(jar.header(at("h", "/"), NOW).as_deref(), Some("s=2"));
    }

    #[test]
    fn secure_cookies_need_https() {
        let mut jar = CookieJar::default();
        jar.store("s=1; Secure", at("h", "/"), NOW);
        assert_eq!(jar.header(at("h", "/"), NOW), None);
        let secure = Destination {
            secure: true,
            ..at("h", "/")
        };
        assert_eq!(jar.header(secure, NOW).as_deref(), Some("s=1"));
    }

    #[test]
    fn garbage_is_ignored() {
        let mut jar = CookieJar::default();
        jar.store("", at("h", "/"), NOW);
        jar.store("=;;", at("h", "/"), NOW);
        assert!(jar.header(at("h", "/"), NOW).is_none_or(|h| !h.is_empty()));
    }
}
