//! One `[[scenarios.NAME.requests]]` entry into a ready-to-send [`Request`].

use indexmap::IndexMap;

use crate::document::{Spanned, Value};
use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_TYPE, USER_AGENT};
use http::uri::PathAndQuery;
use http::{HeaderValue, Method, Uri};

use super::target::{origin_of, parse_http_url, CompiledTarget, Origin};
use super::{client, headers, session, Context, Reported};
use crate::locate::join;
use crate::plan::Request;
use crate::profile::RequestProfile;
use crate::template::is_template;

/// Where a request goes, as written: the path and query, before the base prefix.
struct Location {
    /// Path (and query, if written in it), e.g. `/api/health?x=1`.
    path: String,
    /// `true` for `path` (the base URL's path is prepended), `false` for `url`.
    under_base: bool,
    /// `scheme://authority` of a `url` to another origin than the base URL's.
    elsewhere: Option<String>,
}

/// Compiles one request at `field` (e.g. `scenarios.login.requests[0]`). Its `stat` is
/// left at 0 for the caller to assign.
pub(super) fn compile(
    profile: &RequestProfile,
    field: &str,
    target: &CompiledTarget,
    cx: &mut Context<'_>,
) -> Option<Request> {
    let method = method(profile.method.as_ref(), field, cx);
    let location = location(profile, field, target.origin.as_ref(), cx);
    let query = query(profile.query.as_ref(), field, cx);
    let own = headers::compile(profile.headers.as_ref(), &join(field, "headers"), cx);
    let body = body(profile, field, cx);
    let name = name(profile.name.as_ref(), field, cx);
    let redirects = client::redirects(
        profile.redirects.as_ref(),
        target.redirects,
        &join(field, "redirects"),
        cx,
    );
    let timeout = match &profile.timeout {
        Some(written) => client::positive(written, &join(field, "timeout"), cx),
        None => Ok(target.timeout),
    };
    let dynamic = match target.origin.as_ref() {
        Some(origin) => session::dynamic(profile, field, origin, cx),
        None => Ok(None),
    };
    let (method, location, query, (body, content_type), name, dynamic) =
        (method?, location?, query?, body?, name.ok()?, dynamic.ok()?);
    let (redirects, timeout) = (redirects.ok()?, timeout.ok()?);
    let templated_uri = dynamic
        .as_ref()
        .and_then(|d| d.template.as_ref())
        .is_some_and(|t| t.uri.is_some());
    // A templated URI is rendered whole; the prebuilt one is only a valid stand-in.
    let stand_in = Location {
        path: "/".to_owned(),
        under_base: true,
        elsewhere: None,
    };
    let uri = if templated_uri {
        uri(target.origin.as_ref()?, &stand_in, "", field, cx)?
    } else {
        uri(target.origin.as_ref()?, &location, &query, field, cx)?
    };
    let mut headers = target.headers.clone();
    headers.extend(own.map);
    let written_names = headers::written_names(
        &target.written_names,
        &own.written,
        &[
            (USER_AGENT, "User-Agent"),
            (ACCEPT_ENCODING, "Accept-Encoding"),
            (CONTENT_TYPE, "Content-Type"),
        ],
    );
    if let Some(content_type) = content_type.filter(|_| !headers.contains_key(CONTENT_TYPE)) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    Some(Request {
        // The name shows in every report: a secret in the path's query is hidden.
        name: name.unwrap_or_else(|| {
            let redact = target.target.as_ref().map_or(&[][..], |t| &t.redact[..]);
            format!("{method} {}", crate::redact::url(&location.path, redact))
        }),
        stat: 0,
        method,
        uri,
        headers,
        written_names,
        body,
        redirects,
        timeout,
        dynamic,
    })
}

fn method(written: Option<&Spanned<String>>, field: &str, cx: &mut Context<'_>) -> Option<Method> {
    let Some(written) = written else {
        return Some(Method::GET);
    };
    // Methods are case-sensitive tokens: sent exactly as written.
    let method = Method::from_bytes(written.get_ref().as_bytes()).ok();
    if method.is_none() {
        cx.error_help(
            written.span(),
            join(field, "method"),
            format!("{:?} is not a valid HTTP method", written.get_ref()),
            "a method is one word, such as GET, POST, PUT or DELETE",
        );
        return None;
    }
    // Servers compare methods exactly (nginx answers `get` with 400): a standard
    // method in the wrong case is a typo, not a custom method.
    let upper = written.get_ref().to_ascii_uppercase();
    if upper != *written.get_ref() && STANDARD_METHODS.contains(&upper.as_str()) {
        cx.error_help(
            written.span(),
            join(field, "method"),
            format!(
                "{:?} is not {upper}: HTTP methods are case-sensitive",
                written.get_ref()
            ),
            format!("did you mean {upper}?"),
        );
        return None;
    }
    method
}

/// The methods of RFC 9110 and RFC 5789, as they must be written.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The request's `name`, if given.
fn name(
    written: Option<&Spanned<String>>,
    field: &str,
    cx: &mut Context<'_>,
) -> Result<Option<String>, Reported> {
    match written {
        Some(name) if name.get_ref().trim().is_empty() => {
            Err(cx.error(name.span(), join(field, "name"), "name must not be empty"))
        }
        Some(name) => Ok(Some(name.get_ref().clone())),
        None => Ok(None),
    }
}

fn location(
    profile: &RequestProfile,
    field: &str,
    origin: Option<&Origin>,
    cx: &mut Context<'_>,
) -> Option<Location> {
    match (&profile.path, &profile.url) {
        (Some(_), Some(url)) => {
            let message = "path and url are both set";
            cx.error_help(url.span(), join(field, "url"), message, "keep one of them");
            None
        }
        (Some(path), None) => request_path(path, &join(field, "path"), cx).map(|path| Location {
            path,
            under_base: true,
            elsewhere: None,
        }),
        (None, Some(url)) => absolute_url(url, &join(field, "url"), origin, cx),
        (None, None) => {
            let span = cx.span_of(field);
            cx.error_help(
                span,
                field,
                "the request has no path",
                r#"add path = "/…" (joined to the base URL) or an absolute url = "https://…""#,
            );
            None
        }
    }
}

fn request_path(path: &Spanned<String>, field: &str, cx: &mut Context<'_>) -> Option<String> {
    let text = path.get_ref();
    // `"{{ prefix }}/items"`: where a template starts the path, what it renders is
    // checked at run time (a path that does not start with / fails as invalid_url).
    let starts_templated = text.starts_with("{{") || text.starts_with("{%");
    let problem = if !text.starts_with('/') && !starts_templated {
        Some((
            format!("path must start with \"/\", found {text:?}"),
            format!("write path = \"/{}\"", text.trim_start_matches('/')),
        ))
    } else if is_template(text) {
        None // checked once rendered
    } else {
        path_problem(&crate::encode::non_ascii(text))
    };
    match problem {
        Some((message, help)) => {
            cx.error_help(path.span(), field, message, help);
            None
        }
        None => Some(crate::encode::non_ascii(text).into_owned()),
    }
}

/// What is wrong with a path (and query) that starts with `/`, if anything.
fn path_problem(text: &str) -> Option<(String, String)> {
    if text.contains('#') {
        let help = "fragments are never sent to the server: remove the part from #";
        return Some((format!("path {text:?} has a fragment"), help.to_owned()));
    }
    match PathAndQuery::try_from(text) {
        Ok(_) => None,
        Err(e) => Some((
            format!("{text:?} is not a valid request path: {e}"),
            "percent-encode spaces and other special characters, e.g. %20 for a space".to_owned(),
        )),
    }
}

/// An absolute `url`, to the base URL's origin or any other.
fn absolute_url(
    url: &Spanned<String>,
    field: &str,
    origin: Option<&Origin>,
    cx: &mut Context<'_>,
) -> Option<Location> {
    if is_template(url.get_ref()) {
        // Rendered whole at run time and sent to the origin it names.
        return Some(Location {
            path: url.get_ref().clone(),
            under_base: false,
            elsewhere: None,
        });
    }
    let parsed = match parse_http_url(url.get_ref(), "url") {
        Ok(parsed) if parsed.fragment().is_some() => {
            let help = "fragments are never sent to the server: remove the part from #";
            cx.error_help(url.span(), field, "url has a fragment", help);
            return None;
        }
        Ok(parsed) => parsed,
        Err(message) => {
            cx.error(url.span(), field, message);
            return None;
        }
    };
    let theirs = origin_of(&parsed);
    let same = origin.is_some_and(|origin| {
        (&theirs.scheme, &theirs.host, theirs.port) == (&origin.scheme, &origin.host, origin.port)
    });
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(Location {
        path: format!("{}{query}", parsed.path()),
        under_base: false,
        elsewhere: (!same).then(|| format!("{}://{}", theirs.scheme, theirs.authority)),
    })
}

/// The `query` table, form-encoded in the order written (`""` when there is none).
fn query(
    query: Option<&IndexMap<String, Value>>,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<String> {
    let mut encoder = url::form_urlencoded::Serializer::new(String::new());
    let mut valid = true;
    for (key, value) in query.into_iter().flatten() {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Boolean(b) => b.to_string(),
            other => {
                let key_field = join(&join(field, "query"), key);
                let span = cx.span_of(&key_field);
                let message = format!(
                    "a query value must be a string, number or boolean, found {}",
                    other.type_str()
                );
                let help = r#"repeat a parameter by writing it in the path: path = "/x?id=1&id=2""#;
                cx.error_help(span, key_field, message, help);
                valid = false;
                continue;
            }
        };
        encoder.append_pair(key, &text);
    }
    valid.then(|| encoder.finish())
}

/// The body, and the content type it implies.
fn body(
    profile: &RequestProfile,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<(Bytes, Option<&'static str>)> {
    if let Some(form) = &profile.form {
        let form_field = join(field, "form");
        if profile.body.is_some() || profile.json.is_some() {
            let span = cx.span_of(&form_field);
            let message = "form is set with body or json";
            cx.error_help(span, form_field, message, "keep one of them");
            return None;
        }
        let urlencoded = Some("application/x-www-form-urlencoded");
        let mut encoder = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in form {
            match value {
                Value::String(s) => encoder.append_pair(key, s),
                other => encoder.append_pair(key, &other.to_string()),
            };
        }
        return Some((Bytes::from(encoder.finish()), urlencoded));
    }
    let json_type = Some("application/json");
    match (&profile.body, &profile.json) {
        (Some(_), Some(_)) => {
            let json_field = join(field, "json");
            let span = cx.span_of(&json_field);
            cx.error_help(
                span,
                json_field,
                "body and json are both set",
                "keep one of them",
            );
            None
        }
        (Some(body), None) => Some((Bytes::from(body.get_ref().clone()), None)),
        (None, Some(json)) => {
            match to_json(json).and_then(|j| serde_json::to_vec(&j).map_err(|e| e.to_string())) {
                Ok(bytes) => Some((Bytes::from(bytes), json_type)),
                Err(message) => {
                    let json_field = join(field, "json");
                    let span = cx.span_of(&json_field);
                    cx.error(span, json_field, message);
                    None
                }
            }
        }
        (None, None) => Some((Bytes::new(), None)),
    }
}

/// A TOML value as JSON. Datetimes become strings; JSON has no NaN or infinity.
pub(super) fn to_json(value: &Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as Json;
    Ok(match value {
        Value::String(s) => Json::String(s.clone()),
        Value::Integer(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| format!("{f} cannot be written in JSON"))?,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Datetime(d) => Json::String(d.to_string()),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Table(table) => Json::Object(
            table
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// The absolute URI: base origin, base path prefix (for `path`), path, query.
fn uri(
    origin: &Origin,
    location: &Location,
    query: &str,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<Uri> {
    let prefix = if location.under_base {
        origin.prefix.as_str()
    } else {
        ""
    };
    let separator = match (query.is_empty(), location.path.contains('?')) {
        (true, _) => "",
        (false, true) => "&",
        (false, false) => "?",
    };
    let base = format!("{}://{}", origin.scheme, origin.authority);
    let text = format!(
        "{}{prefix}{}{separator}{query}",
        location.elsewhere.as_deref().unwrap_or(&base),
        location.path
    );
    match Uri::try_from(text.as_str()) {
        Ok(uri) => Some(uri),
        Err(e) => {
            let span = cx.span_of(field);
            cx.error(
                span,
                field,
                format!("cannot build a URI from {text:?}: {e}"),
            );
            None
        }
    }
}
