//! `[target]`: the base URL and how to connect.

use std::path::PathBuf;
use std::time::Duration;

use http::header::{ACCEPT_ENCODING, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue};
use url::{Position, Url};

use super::{client, headers, parse_duration, Context, Overrides, Reported};
use crate::document::Spanned;
use crate::plan::{HttpVersion, Target};
use crate::profile::TargetProfile;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const BASE_URL_HELP: &str =
    r#"a base URL looks like "https://api.example.com" or "http://127.0.0.1:8080/api""#;

/// What requests are built from: the target and its parts.
pub(super) struct CompiledTarget {
    /// `None` when `[target]` has errors.
    pub target: Option<Target>,
    /// `None` when the base URL is missing or wrong.
    pub origin: Option<Origin>,
    /// Default headers of every request (the valid ones, when some are wrong).
    pub headers: HeaderMap,
    /// Their names as written.
    pub written_names: Vec<(HeaderName, Box<str>)>,
    /// Redirects followed unless a request says otherwise.
    pub redirects: u32,
    /// The request timeout unless a request says otherwise.
    pub timeout: Duration,
}

/// The parsed base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// As it goes in a URI: IPv6 in brackets, the port only when not the default.
    pub authority: String,
    /// Host without brackets.
    pub host: String,
    /// Explicit or the scheme's default.
    pub port: u16,
    /// The base URL's path without its trailing slash (`""` or e.g. `/api`).
    pub prefix: String,
}

/// The `Accept-Encoding` sent unless the profile sets one or `compression = false`.
pub const DEFAULT_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The `User-Agent` sent unless the profile sets one.
pub const DEFAULT_USER_AGENT: &str = concat!("klavier/", env!("CARGO_PKG_VERSION"));

/// Compiles `[target]`, with `--base-url` replacing `base_url`.
pub(super) fn compile(
    profile: &TargetProfile,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> CompiledTarget {
    let (base_url, origin) = base_url(profile.base_url.as_ref(), overrides, cx);
    let timeout = timeout(profile.timeout.as_ref(), cx);
    let headers::Compiled {
        map: mut headers,
        written: written_names,
    } = headers::compile(profile.headers.as_ref(), "target.headers", cx);
    // Every peer sends one; servers and WAFs log it and some reject requests without.
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
    }
    let client = timeout
        .and_then(|timeout| client::compile(profile, timeout, cx).ok())
        .filter(|client| {
            let plain = origin.as_ref().is_some_and(|o| o.scheme == "http");
            let refused = plain && client.http == HttpVersion::Http2;
            if let (true, Some(written)) = (refused, &profile.http) {
                cx.error_help(
                    written.span(),
                    "target.http",
                    r#"http = "2" negotiates HTTP/2 over TLS, and the base URL is http://"#,
                    r#"write http = "h2c" for cleartext HTTP/2 with prior knowledge, or use https://"#,
                );
            }
            !refused
        });
    if client.as_ref().is_some_and(|c| c.compression) && !headers.contains_key(ACCEPT_ENCODING) {
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static(DEFAULT_ACCEPT_ENCODING),
        );
    }
    let redirects = client::redirects(
        profile.redirects.as_ref(),
        client::DEFAULT_REDIRECTS,
        "target.redirects",
        cx,
    );
    let ca_file = ca_file(profile.ca_file.as_ref(), cx);
    let target = match (&origin, timeout, ca_file, client) {
        (Some(origin), Some(timeout), Ok(ca_file), Some(client)) => Some(Target {
            base_url,
            tls: origin.scheme == "https",
            host: origin.host.clone(),
            port: origin.port,
            timeout,
            insecure: profile.insecure.as_ref().is_some_and(|b| *b.get_ref()),
            redact: profile
                .redact
                .iter()
                .flatten()
                .map(|name| name.get_ref().to_ascii_lowercase())
                .collect(),
            ca_file,
            client,
        }),
        _ => None,
    };
    CompiledTarget {
        target,
        origin,
        headers,
        written_names,
        redirects: redirects.unwrap_or(client::DEFAULT_REDIRECTS),
        timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
    }
}

fn base_url(
    written: Option<&Spanned<String>>,
    overrides: &Overrides,
    cx: &mut Context<'_>,
) -> (String, Option<Origin>) {
    if let Some(text) = &overrides.base_url {
        let origin = parse_origin(text)
            .map_err(|message| cx.cli_error("--base-url", message))
            .ok();
        return (text.clone(), origin);
    }
    let Some(written) = written else {
        let span = cx.span_of("target");
        cx.error_help(
            span,
            "target.base_url",
            "base_url is missing",
            r#"set [target] base_url = "https://…" or pass --base-url"#,
        );
        return (String::new(), None);
    };
    let origin = parse_origin(written.get_ref())
        .map_err(|message| {
            cx.error_help(written.span(), "target.base_url", message, BASE_URL_HELP);
        })
        .ok();
    (written.get_ref().clone(), origin)
}

/// Parses and checks a base URL; the error is a message naming the URL.
pub(super) fn parse_origin(text: &str) -> Result<Origin, String> {
    let url = parse_http_url(text, "base URL")?;
    let text = &*crate::redact::url(text, &[]);
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "base URL {text:?} has a query or fragment; put query parameters in each request's `query` table"
        ));
    }
    Ok(origin_of(&url))
}

/// Parses an absolute `http(s)://` URL with a host and no credentials. `noun` names the
/// URL in messages ("base URL", "url").
pub(super) fn parse_http_url(written: &str, noun: &str) -> Result<Url, String> {
    // Messages show the URL without its password or secret query values.
    let text = &*crate::redact::url(written, &[]);
    let url = Url::parse(written.trim()).map_err(|e| match e {
        url::ParseError::EmptyHost => format!("{noun} {text:?} has no host"),
        e => format!("{text:?} is not a valid {noun}: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{noun} must start with http:// or https://, found {:?} in {text:?}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{noun} {text:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{noun} {text:?} has credentials; send an Authorization header instead"
        ));
    }
    Ok(url)
}

/// The origin and path prefix of a URL checked by [`parse_http_url`].
pub(super) fn origin_of(url: &Url) -> Origin {
    let host = url.host_str().unwrap_or_default();
    Origin {
        scheme: url.scheme().to_owned(),
        authority: url[Position::BeforeHost..Position::AfterPort].to_owned(),
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port: url.port_or_known_default().unwrap_or_default(),
        prefix: url.path().trim_end_matches('/').to_owned(),
    }
}

fn timeout(
    written: Option<&Spanned<crate::profile::DurationText>>,
    cx: &mut Context<'_>,
) -> Option<Duration> {
    let Some(written) = written else {
        return Some(DEFAULT_TIMEOUT);
    };
    let field = "target.timeout";
    let timeout = parse_duration(&written.get_ref().0, written.span(), field, cx)?;
    if timeout.is_zero() {
        cx.error(written.span(), field, "timeout must be greater than zero");
        return None;
    }
    Some(timeout)
}

/// `ca_file`, resolved against the profile's directory.
fn ca_file(
    written: Option<&Spanned<String>>,
    cx: &mut Context<'_>,
) -> Result<Option<PathBuf>, Reported> {
    let Some(written) = written else {
        return Ok(None);
    };
    if written.get_ref().trim().is_empty() {
        let message = "ca_file must not be empty";
        return Err(cx.error(written.span(), "target.ca_file", message));
    }
    Ok(Some(cx.resolve(written.get_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_keeps_the_path_prefix_and_fills_the_default_port() {
        let origin = parse_origin("https://API.example.com/api/").unwrap();
        assert_eq!(origin.scheme, "https");
        assert_eq!(origin.authority, "api.example.com");
        assert_eq!(
            (origin.host.as_str(), origin.port),
            ("api.example.com", 443)
        );
        assert_eq!(origin.prefix, "/api");
    }

    #[test]
    fn origin_of_an_ipv6_literal_has_a_bare_host_and_a_bracketed_authority() {
        let origin = parse_origin("http://[::1]:8080").unwrap();
        assert_eq!(origin.authority, "[::1]:8080");
        assert_eq!((origin.host.as_str(), origin.port), ("::1", 8080));
        assert_eq!(origin.prefix, "");
    }

    #[test]
    fn bad_base_urls_are_explained() {
        let cases = [
            // (base URL, part of the message)
            ("ftp://example.com", "must start with http:// or https://"),
            ("http://", "has no host"),
            ("example.com", "not a valid base URL"),
            ("http://h/?a=1", "has a query or fragment"),
            ("http://h/#top", "has a query or fragment"),
            ("http://u:p@h/", "has credentials"),
        ];
        for (url, wanted) in cases {
            let message = parse_origin(url).unwrap_err();
            assert!(message.contains(wanted), "{url}: {message}");
        }
    }
}
