//! `[target]`'s client options: TLS (mutual TLS, server name, version), connect
//! timeout, keep-alive, `resolve`, `proxy`, redirects and compression.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use http::HeaderValue;
use url::Url;

use super::{parse_duration, Context, Reported};
use crate::document::Spanned;
use crate::locate::join;
use crate::plan::{ClientOptions, HttpVersion, Proxy, Resolve, TlsVersion};
use crate::profile::{DurationText, TargetProfile};

/// Response header lines accepted when the profile does not say (nginx's default
/// buffers hold about 100; 256 leaves room for chatty proxies and CDNs).
pub const DEFAULT_MAX_RESPONSE_HEADERS: usize = 256;
/// Bodies kept for checks when the profile does not say: 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// Redirects followed when the profile does not say (as k6, Locust, Gatling and oha).
pub const DEFAULT_REDIRECTS: u32 = 10;
/// The most redirects a profile may allow: a longer chain is a loop in all but name.
const MAX_REDIRECTS: i64 = 100;

/// Compiles the client options of `[target]`; `timeout` is the request timeout, the
/// default connect timeout.
pub(super) fn compile(
    profile: &TargetProfile,
    timeout: Duration,
    cx: &mut Context<'_>,
) -> Result<ClientOptions, Reported> {
    let connect_timeout = match &profile.connect_timeout {
        Some(written) => positive(written, "target.connect_timeout", cx),
        None => Ok(timeout),
    };
    let client_cert = client_cert(profile, cx);
    let server_name = server_name(profile.server_name.as_ref(), cx);
    let min_tls_version = min_tls_version(profile.min_tls_version.as_ref(), cx);
    let resolve = resolve(profile, cx);
    let proxy = match &profile.proxy {
        Some(written) => Proxy::parse(written.get_ref())
            .map(Some)
            .map_err(|message| {
                let help =
                    r#"write proxy = "http://host:port" or "http://user:password@host:port""#;
                cx.error_help(written.span(), "target.proxy", message, help)
            }),
        None => Ok(None),
    };
    let max_response_headers = match &profile.max_response_headers {
        Some(written) => match *written.get_ref() {
            n @ 1..=10_000 => Ok(usize::try_from(n).expect("1..=10000 fits")),
            n => Err(cx.error(
                written.span(),
                "target.max_response_headers",
                format!("max_response_headers must be from 1 to 10000, found {n}"),
            )),
        },
        None => Ok(DEFAULT_MAX_RESPONSE_HEADERS),
    };
    let max_body = match &profile.max_body {
        Some(written) => parse_size(written.get_ref()).map_err(|message| {
            let help = r#"write a size such as "16MiB", "512KiB" or "1GB""#;
            cx.error_help(written.span(), "target.max_body", message, help)
        }),
        None => Ok(DEFAULT_MAX_BODY),
    };
    let http = http_version(profile.http.as_ref(), cx);
    let connections = match &profile.connections {
        Some(written) => match *written.get_ref() {
            n @ 1..=100_000 => Ok(Some(u32::try_from(n).expect("1..=100000 fits"))),
            n => Err(cx.error_help(
                written.span(),
                "target.connections",
                format!("connections must be from 1 to 100000, found {n}"),
                "leave it out for one connection per user",
            )),
        },
        None => Ok(None),
    };
    let source_addresses = source_addresses(profile, cx);
    Ok(ClientOptions {
        source_addresses: source_addresses?,
        http: http?,
        connections: connections?,
        max_response_headers: max_response_headers?,
        max_body: max_body?,
        connect_timeout: connect_timeout?,
        keep_alive: flag(profile.keep_alive.as_ref(), true),
        compression: flag(profile.compression.as_ref(), true),
        client_cert: client_cert?,
        server_name: server_name?,
        min_tls_version: min_tls_version?,
        resolve: resolve?,
        proxy: proxy?,
    })
}

/// `[target] source_addresses`: every entry an IP address.
fn source_addresses(
    profile: &TargetProfile,
    cx: &mut Context<'_>,
) -> Result<Vec<std::net::IpAddr>, Reported> {
    let mut found = Ok(Vec::new());
    for (i, written) in profile.source_addresses.iter().flatten().enumerate() {
        match (written.get_ref().trim().parse(), &mut found) {
            (Ok(ip), Ok(list)) => list.push(ip),
            (Ok(_), Err(_)) => {}
            (Err(_), _) => {
                found = Err(cx.error_help(
                    written.span(),
                    format!("target.source_addresses[{i}]"),
                    format!("{:?} is not an IP address", written.get_ref()),
                    "write local addresses, e.g. [\"127.0.0.2\", \"127.0.0.3\"] (all of \
                     127.0.0.0/8 is loopback) or addresses of this machine's interfaces",
                ))
            }
        }
    }
    found
}

fn http_version(
    written: Option<&Spanned<String>>,
    cx: &mut Context<'_>,
) -> Result<HttpVersion, Reported> {
    let Some(written) = written else {
        return Ok(HttpVersion::Auto);
    };
    match written.get_ref().trim() {
        "1.1" | "1" => Ok(HttpVersion::Http1),
        "2" | "2.0" | "h2" => Ok(HttpVersion::Http2),
        "h2c" => Ok(HttpVersion::H2c),
        "auto" => Ok(HttpVersion::Auto),
        other => Err(cx.error_help(
            written.span(),
            "target.http",
            format!("unknown HTTP version {other:?}"),
            r#"write "1.1", "2" (HTTP/2 over TLS), "h2c" (cleartext HTTP/2) or "auto""#,
        )),
    }
}

fn flag(written: Option<&Spanned<bool>>, default: bool) -> bool {
    written.map_or(default, |b| *b.get_ref())
}

/// A duration greater than zero at `field`.
pub(super) fn positive(
    written: &Spanned<DurationText>,
    field: &str,
    cx: &mut Context<'_>,
) -> Result<Duration, Reported> {
    let duration =
        parse_duration(&written.get_ref().0, written.span(), field, cx).ok_or(Reported)?;
    if duration.is_zero() {
        return Err(cx.error(written.span(), field, "must be greater than zero"));
    }
    Ok(duration)
}

/// A redirect limit at `field` (`[target] redirects` or a request's).
pub(super) fn redirects(
    written: Option<&Spanned<i64>>,
    default: u32,
    field: &str,
    cx: &mut Context<'_>,
) -> Result<u32, Reported> {
    let Some(written) = written else {
        return Ok(default);
    };
    match *written.get_ref() {
        n @ 0..=MAX_REDIRECTS => Ok(u32::try_from(n).expect("0..=100 fits")),
        n => Err(cx.error_help(
            written.span(),
            field,
            format!("redirects must be from 0 to {MAX_REDIRECTS}, found {n}"),
            "0 turns following off: a 3xx response is then the result",
        )),
    }
}

fn client_cert(
    profile: &TargetProfile,
    cx: &mut Context<'_>,
) -> Result<Option<(std::path::PathBuf, std::path::PathBuf)>, Reported> {
    match (&profile.client_cert, &profile.client_key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some((
            cx.resolve(cert.get_ref()),
            cx.resolve(key.get_ref()),
        ))),
        (Some(cert), None) => Err(cx.error_help(
            cert.span(),
            "target.client_cert",
            "client_cert is set without client_key",
            r#"add client_key = "client.key" (the PEM private key of the certificate)"#,
        )),
        (None, Some(key)) => Err(cx.error_help(
            key.span(),
            "target.client_key",
            "client_key is set without client_cert",
            r#"add client_cert = "client.pem" (the PEM certificate chain of the key)"#,
        )),
    }
}

fn server_name(
    written: Option<&Spanned<String>>,
    cx: &mut Context<'_>,
) -> Result<Option<String>, Reported> {
    let Some(written) = written else {
        return Ok(None);
    };
    let name = written.get_ref().trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !valid {
        let message = format!("server_name {name:?} is not a host name or IP address");
        return Err(cx.error(written.span(), "target.server_name", message));
    }
    Ok(Some(name.to_owned()))
}

fn min_tls_version(
    written: Option<&Spanned<String>>,
    cx: &mut Context<'_>,
) -> Result<TlsVersion, Reported> {
    let Some(written) = written else {
        return Ok(TlsVersion::Tls12);
    };
    match written.get_ref().trim() {
        "1.2" => Ok(TlsVersion::Tls12),
        "1.3" => Ok(TlsVersion::Tls13),
        other => Err(cx.error_help(
            written.span(),
            "target.min_tls_version",
            format!("unknown TLS version {other:?}"),
            r#"write "1.2" or "1.3" (older versions are not offered)"#,
        )),
    }
}

fn resolve(profile: &TargetProfile, cx: &mut Context<'_>) -> Result<Vec<Resolve>, Reported> {
    let mut entries = Vec::new();
    let mut result = Ok(());
    for (key, to) in profile.resolve.iter().flatten() {
        let field = join("target.resolve", key);
        match resolve_entry(key, to.get_ref()) {
            Ok(entry) => entries.push(entry),
            Err(message) => {
                let help = r#"write "api.example.com:443" = "127.0.0.1:8443""#;
                result = Err(cx.error_help(to.span(), field, message, help));
            }
        }
    }
    result.map(|()| entries)
}

fn resolve_entry(key: &str, to: &str) -> Result<Resolve, String> {
    let (host, port) = key
        .rsplit_once(':')
        .ok_or_else(|| format!("{key:?} is not host:port"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{key:?} has no valid port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{key:?} has no host"));
    }
    let address: SocketAddr = to
        .trim()
        .parse()
        .map_err(|_| format!("{to:?} is not an IP address and port (e.g. 127.0.0.1:8443)"))?;
    Ok(Resolve {
        host: host.to_ascii_lowercase(),
        port,
        address,
    })
}

/// A size such as `"16MiB"`, `"512 KB"` or `"1048576"` (bytes), up to 4 GiB.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "kib" => 1024.0,
        "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit {other:?} in {text:?}")),
    };
    let bytes = number * scale;
    if !(1.0..=4.0 * 1024.0 * 1024.0 * 1024.0).contains(&bytes) {
        return Err(format!("{text:?} must be from 1 byte to 4GiB"));
    }
    Ok(bytes as usize)
}

impl Proxy {
    /// Parses a proxy URL, `http://[user:password@]host[:port]` (port 80 by default);
    /// the message says what is wrong without repeating a password.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let url = Url::parse(text.trim()).map_err(|e| {
            format!(
                "the proxy is not a valid URL ({e}): {}",
                without_password(text)
            )
        })?;
        if url.scheme() != "http" {
            return Err(format!(
                "only http:// proxies are supported (https targets go through them with CONNECT), found {}://",
                url.scheme()
            ));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the proxy URL has no host")?;
        let authorization = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => {
                let user = percent_decode(user);
                let password = percent_decode(password.unwrap_or_default());
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                HeaderValue::from_str(&format!("Basic {token}")).ok()
            }
        };
        Ok(Proxy {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: url.port_or_known_default().unwrap_or(80),
            authorization,
            no_proxy: Vec::new(),
        })
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `text` with anything between `:` and `@` after the scheme hidden.
fn without_password(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &text[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &text[..scheme + 3], &text[at..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_parse_with_credentials_kept_out_of_sight() {
        let proxy = Proxy::parse("http://ann:s3cr%40t@127.0.0.1:3128").expect("valid");
        assert_eq!((proxy.host.as_str(), proxy.port), ("127.0.0.1", 3128));
        let expected = base64::engine::general_purpose::STANDARD.encode("ann:s3cr@t");
        assert_eq!(
            proxy.authorization,
            Some(HeaderValue::from_str(&format!("Basic {expected}")).expect("ascii"))
        );
        assert_eq!(proxy.display(), "http://***@127.0.0.1:3128");
        assert!(!format!("{proxy:?}").contains("s3cr"));
        let plain = Proxy::parse("http://[::1]").expect("valid");
        assert_eq!((plain.host.as_str(), plain.port), ("::1", 80));
        assert_eq!(plain.display(), "http://[::1]:80");
    }

    #[test]
    fn bad_proxies_are_explained_without_the_password() {
        let message = Proxy::parse("socks5://u:pw@h:1080").expect_err("unsupported");
        assert!(message.contains("only http://"), "{message}");
        let message = Proxy::parse("http://u:pw@").expect_err("no host");
        assert!(!message.contains("pw"), "{message}");
    }

    #[test]
    fn no_proxy_matches_names_and_their_subdomains() {
        let mut proxy = Proxy::parse("http://p:1").expect("valid");
        proxy.no_proxy = vec!["example.com".into(), "10.0.0.1".into()];
        assert!(!proxy.applies_to("example.com"));
        assert!(!proxy.applies_to("api.Example.com"));
        assert!(!proxy.applies_to("10.0.0.1"));
        assert!(proxy.applies_to("notexample.com"));
        assert!(proxy.applies_to("127.0.0.1"));
        proxy.no_proxy = vec!["*".into()];
        assert!(!proxy.applies_to("anything"));
    }

    #[test]
    fn sizes() {
        for (text, bytes) in [
            ("16MiB", 16 << 20),
            ("512 KB", 512_000),
            ("100", 100),
            ("1.5kib", 1536),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
        for text in ["", "0", "MiB", "5 parsecs", "5GiB"] {
            assert!(parse_size(text).is_err(), "{text}");
        }
    }

    #[test]
    fn resolve_entries() {
        let entry = resolve_entry("API.example.com:443", "127.0.0.1:8443").expect("valid");
        assert_eq!((entry.host.as_str(), entry.port), ("api.example.com", 443));
        assert_eq!(entry.address, "127.0.0.1:8443".parse().expect("addr"));
        let v6 = resolve_entry("[::1]:80", "[::1]:8080").expect("valid");
        assert_eq!(v6.host, "::1");
        for (key, to) in [
            ("nohost", "1.2.3.4:1"),
            ("h:x", "1.2.3.4:1"),
            ("h:1", "localhost:1"),
        ] {
            assert!(resolve_entry(key, to).is_err(), "{key} = {to}");
        }
    }
}
