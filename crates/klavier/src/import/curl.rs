//! A curl command line as a one-request profile draft.
//!
//! Every option is looked up in [`OPTIONS`]: those that shape the request become the
//! request (method, URL, headers, body, credentials) or `[target]` keys (TLS, timeouts,
//! protocol, proxy); those that only change what curl prints or saves are named in a
//! warning; the rest, and any option curl has that this table lacks, are an error that
//! names the option, as a request imported without it would not be the one written.

use base64::Engine as _;

use super::body;
use super::draft::{Body, Draft, Location, Request, Scenario, Text};
use super::write::quote;

/// What an option does to the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Url,
    Method,
    Header,
    Data(Data),
    Json,
    User,
    Insecure,
    Cookie,
    UserAgent,
    Referer,
    Range,
    Compressed,
    Get,
    Follow,
    Head,
    MaxRedirs,
    MaxTime,
    ConnectTimeout,
    Http11,
    Http2,
    Http2PriorKnowledge,
    Proxy,
    Resolve,
    CaCert,
    Cert,
    Key,
    /// Changes only what curl prints or saves: a warning.
    Harmless {
        value: bool,
    },
    /// Changes the request in a way a profile cannot say: an error.
    Unsupported {
        value: bool,
        why: &'static str,
    },
}

/// The kinds of `-d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    /// `-d`, `--data`, `--data-ascii`: `@file` reads a file.
    Ascii,
    /// `--data-raw`: as written.
    Raw,
    /// `--data-binary`: `@file` reads a file.
    Binary,
    /// `--data-urlencode`: `name=value` with the value encoded.
    UrlEncode,
}

/// curl's options: short letter, long name, what it does.
const OPTIONS: &[(Option<char>, &str, Opt)] = &[
    (None, "url", Opt::Url),
    (Some('X'), "request", Opt::Method),
    (Some('H'), "header", Opt::Header),
    (Some('d'), "data", Opt::Data(Data::Ascii)),
    (None, "data-ascii", Opt::Data(Data::Ascii)),
    (None, "data-raw", Opt::Data(Data::Raw)),
    (None, "data-binary", Opt::Data(Data::Binary)),
    (None, "data-urlencode", Opt::Data(Data::UrlEncode)),
    (None, "json", Opt::Json),
    (Some('u'), "user", Opt::User),
    (Some('k'), "insecure", Opt::Insecure),
    (Some('b'), "cookie", Opt::Cookie),
    (Some('A'), "user-agent", Opt::UserAgent),
    (Some('e'), "referer", Opt::Referer),
    (Some('r'), "range", Opt::Range),
    (None, "compressed", Opt::Compressed),
    (Some('G'), "get", Opt::Get),
    (Some('L'), "location", Opt::Follow),
    (Some('I'), "head", Opt::Head),
    (None, "max-redirs", Opt::MaxRedirs),
    (Some('m'), "max-time", Opt::MaxTime),
    (None, "connect-timeout", Opt::ConnectTimeout),
    (None, "http1.1", Opt::Http11),
    (None, "http2", Opt::Http2),
    (None, "http2-prior-knowledge", Opt::Http2PriorKnowledge),
    (Some('x'), "proxy", Opt::Proxy),
    (None, "resolve", Opt::Resolve),
    (None, "cacert", Opt::CaCert),
    (Some('E'), "cert", Opt::Cert),
    (None, "key", Opt::Key),
    (Some('s'), "silent", Opt::Harmless { value: false }),
    (Some('S'), "show-error", Opt::Harmless { value: false }),
    (Some('v'), "verbose", Opt::Harmless { value: false }),
    (Some('o'), "output", Opt::Harmless { value: true }),
    (Some('O'), "remote-name", Opt::Harmless { value: false }),
    (Some('i'), "include", Opt::Harmless { value: false }),
    (Some('f'), "fail", Opt::Harmless { value: false }),
    (None, "fail-with-body", Opt::Harmless { value: false }),
    (Some('w'), "write-out", Opt::Harmless { value: true }),
    (Some('#'), "progress-bar", Opt::Harmless { value: false }),
    (None, "no-progress-meter", Opt::Harmless { value: false }),
    (Some('N'), "no-buffer", Opt::Harmless { value: false }),
    (Some('D'), "dump-header", Opt::Harmless { value: true }),
    (Some('c'), "cookie-jar", Opt::Harmless { value: true }),
    (None, "retry", Opt::Harmless { value: true }),
    (None, "retry-delay", Opt::Harmless { value: true }),
    (None, "retry-max-time", Opt::Harmless { value: true }),
    (Some('g'), "globoff", Opt::Harmless { value: false }),
    (None, "trace", Opt::Harmless { value: true }),
    (None, "trace-ascii", Opt::Harmless { value: true }),
    (Some('4'), "ipv4", Opt::Harmless { value: false }),
    (Some('6'), "ipv6", Opt::Harmless { value: false }),
    (None, "path-as-is", Opt::Harmless { value: false }),
    (
        Some('F'),
        "form",
        Opt::Unsupported {
            value: true,
            why: "multipart bodies are not supported: send the body with --data-binary and its Content-Type",
        },
    ),
    (
        Some('T'),
        "upload-file",
        Opt::Unsupported {
            value: true,
            why: "uploading a file is not supported: paste its content with --data-binary",
        },
    ),
    (
        Some('K'),
        "config",
        Opt::Unsupported {
            value: true,
            why: "a config file's options cannot be read: put them on the command line",
        },
    ),
    (
        None,
        "digest",
        Opt::Unsupported {
            value: false,
            why: "Digest authentication is not supported",
        },
    ),
    (
        None,
        "ntlm",
        Opt::Unsupported {
            value: false,
            why: "NTLM authentication is not supported",
        },
    ),
    (
        None,
        "negotiate",
        Opt::Unsupported {
            value: false,
            why: "Negotiate authentication is not supported",
        },
    ),
    (
        None,
        "http1.0",
        Opt::Unsupported {
            value: false,
            why: "HTTP/1.0 is not supported: Klavier speaks HTTP/1.1 and HTTP/2",
        },
    ),
    (
        None,
        "http3",
        Opt::Unsupported {
            value: false,
            why: "HTTP/3 is not supported",
        },
    ),
    (
        None,
        "unix-socket",
        Opt::Unsupported {
            value: true,
            why: "Unix sockets are not supported",
        },
    ),
];

/// What the words said, before it becomes a draft.
#[derive(Debug, Default)]
struct Command {
    urls: Vec<String>,
    method: Option<String>,
    headers: Vec<(String, String)>,
    data: Vec<String>,
    json: Vec<String>,
    user: Option<String>,
    cookies: Vec<String>,
    get: bool,
    head: bool,
    redirects: Option<u32>,
    target: Vec<(&'static str, String)>,
    resolve: Vec<(String, String)>,
    notes: Vec<String>,
}

/// The draft of the curl command `words` (with or without `curl` first), and warnings
/// about options it left out because they change only curl's output.
pub fn draft(words: &[String]) -> Result<(Draft, Vec<String>), String> {
    let words = match words.first() {
        Some(first) if is_curl(first) => &words[1..],
        _ => words,
    };
    let mut command = Command::default();
    let mut warnings = Vec::new();
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            // curl's own end of options: what follows are URLs.
            command.urls.extend(rest.by_ref().cloned());
            break;
        }
        if !word.starts_with('-') || word == "-" {
            command.urls.push(word.clone());
            continue;
        }
        for (shown, opt, attached) in options_in(word)? {
            let value = if takes_value(opt) {
                match attached {
                    Some(value) => Some(value),
                    None => Some(
                        rest.next()
                            .ok_or_else(|| format!("{shown} needs a value"))?
                            .clone(),
                    ),
                }
            } else {
                None
            };
            apply(&mut command, opt, &shown, value, &mut warnings)?;
        }
    }
    Ok((build(command)?, warnings))
}

fn is_curl(word: &str) -> bool {
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    name == "curl" || name == "curl.exe"
}

fn takes_value(opt: Opt) -> bool {
    match opt {
        Opt::Harmless { value } | Opt::Unsupported { value, .. } => value,
        Opt::Insecure
        | Opt::Compressed
        | Opt::Get
        | Opt::Follow
        | Opt::Head
        | Opt::Http11
        | Opt::Http2
        | Opt::Http2PriorKnowledge => false,
        _ => true,
    }
}

/// The options in one word: `--long`, `-X` (value next or attached: `-XPOST`) or a
/// cluster of flags (`-sSL`). Each with how it was written and any attached value.
fn options_in(word: &str) -> Result<Vec<(String, Opt, Option<String>)>, String> {
    if let Some(long) = word.strip_prefix("--") {
        let found = OPTIONS.iter().find(|(_, name, _)| *name == long);
        return match found {
            Some((_, _, opt)) => Ok(vec![(word.to_owned(), *opt, None)]),
            None => Err(format!(
                "{word} is a curl option klavier import curl does not know: remove it, or write \
                 the profile by hand if it matters to the request"
            )),
        };
    }
    let mut found = Vec::new();
    let letters: Vec<char> = word.chars().skip(1).collect();
    for (index, letter) in letters.iter().enumerate() {
        let Some((_, long, opt)) = OPTIONS.iter().find(|(short, _, _)| *short == Some(*letter))
        else {
            return Err(format!(
                "-{letter} is a curl option klavier import curl does not know: remove it, or \
                 write the profile by hand if it matters to the request"
            ));
        };
        let shown = format!("-{letter} (--{long})");
        if takes_value(*opt) {
            let attached: String = letters[index + 1..].iter().collect();
            found.push((shown, *opt, (!attached.is_empty()).then_some(attached)));
            break;
        }
        found.push((shown, *opt, None));
    }
    Ok(found)
}

fn apply(
    command: &mut Command,
    opt: Opt,
    shown: &str,
    value: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let value = value.unwrap_or_default();
    match opt {
        Opt::Url => command.urls.push(value),
        Opt::Method => command.method = Some(value),
        Opt::Header => header(command, &value, warnings),
        Opt::Data(kind) => command.data.push(data(kind, shown, value)?),
        Opt::Json => command.json.push(value),
        Opt::User => command.user = Some(value),
        Opt::Insecure => set_target(command, "insecure", "true".to_owned()),
        Opt::Cookie if value.contains('=') => command.cookies.push(value),
        Opt::Cookie => {
            return Err(format!(
                "{shown} {value}: reading cookies from a file is not supported: give them as -b 'name=value; other=value'"
            ))
        }
        Opt::UserAgent => command.headers.push(("User-Agent".into(), value)),
        Opt::Referer => {
            let referer = value.trim_end_matches(";auto").to_owned();
            command.headers.push(("Referer".into(), referer));
        }
        Opt::Range => command.headers.push(("Range".into(), format!("bytes={value}"))),
        Opt::Compressed => command.notes.push(
            "--compressed: Klavier asks for compressed responses itself ([target] compression)"
                .into(),
        ),
        Opt::Get => command.get = true,
        Opt::Follow => command
            .notes
            .push("-L: Klavier follows redirects by default ([target] redirects)".into()),
        Opt::Head => command.head = true,
        Opt::MaxRedirs => command.redirects = Some(number(shown, &value)?),
        Opt::MaxTime => set_target(command, "timeout", seconds(shown, &value)?),
        Opt::ConnectTimeout => set_target(command, "connect_timeout", seconds(shown, &value)?),
        Opt::Http11 => set_target(command, "http", quote("1.1")),
        Opt::Http2 => {}
        Opt::Http2PriorKnowledge => set_target(command, "http", quote("h2c")),
        Opt::Proxy => {
            let proxy = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            set_target(command, "proxy", quote(&proxy));
        }
        Opt::Resolve => command.resolve.push(resolve(shown, &value)?),
        Opt::CaCert => set_target(command, "ca_file", quote(&value)),
        Opt::Cert => set_target(command, "client_cert", quote(&value)),
        Opt::Key => set_target(command, "client_key", quote(&value)),
        Opt::Harmless { .. } => warnings.push(format!(
            "ignored {shown}: it changes what curl prints or saves, not the request"
        )),
        Opt::Unsupported { why, .. } => return Err(format!("{shown}: {why}")),
    }
    Ok(())
}

fn set_target(command: &mut Command, key: &'static str, value: String) {
    command.target.retain(|(k, _)| *k != key);
    command.target.push((key, value));
}

/// One `-H`: `Name: value`, `Name;` (empty value) or `Name:` (curl then leaves out a
/// header it would send: nothing to import).
fn header(command: &mut Command, text: &str, warnings: &mut Vec<String>) {
    if let Some(name) = text.strip_suffix(';').filter(|n| !n.contains(':')) {
        command
            .headers
            .push((name.trim().to_owned(), String::new()));
        return;
    }
    let Some((name, value)) = text.split_once(':') else {
        warnings.push(format!("ignored -H {text:?}: not Name: value"));
        return;
    };
    let (name, value) = (name.trim(), value.trim_start());
    if value.is_empty() {
        warnings.push(format!(
            "ignored -H {text:?}: it stops curl sending {name}; Klavier sends its own defaults"
        ));
        return;
    }
    if ["host", "content-length"].contains(&name.to_ascii_lowercase().as_str()) {
        warnings.push(format!(
            "ignored -H {text:?}: Klavier writes {name} itself ([target] resolve sends a host's requests elsewhere)"
        ));
        return;
    }
    command.headers.push((name.to_owned(), value.to_owned()));
}

fn data(kind: Data, shown: &str, value: String) -> Result<String, String> {
    let reads_file = matches!(kind, Data::Ascii | Data::Binary) && value.starts_with('@');
    if reads_file {
        return Err(format!(
            "{shown} {value}: reading the body from a file is not supported: paste it with --data-raw"
        ));
    }
    if kind != Data::UrlEncode {
        return Ok(value);
    }
    // --data-urlencode: `content`, `=content`, `name=content`; `@file` forms read a file.
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    if let Some((name, _)) = value.split_once('@').filter(|(n, _)| !n.contains('=')) {
        return Err(format!(
            "{shown} {name}@…: reading a file is not supported: give the value itself"
        ));
    }
    Ok(match value.split_once('=') {
        Some(("", content)) => encode(content),
        Some((name, content)) => format!("{name}={}", encode(content)),
        None => encode(&value),
    })
}

fn number(shown: &str, text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{shown} {text}: not a whole number"))
}

/// curl's seconds (`2`, `0.5`) as a duration string.
fn seconds(shown: &str, text: &str) -> Result<String, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .ok_or_else(|| format!("{shown} {text}: not a positive number of seconds"))?;
    Ok(quote(&format!("{}ms", (seconds * 1000.0).round().max(1.0))))
}

/// `--resolve host:port:address` as `"host:port" = "address:port"`.
fn resolve(shown: &str, text: &str) -> Result<(String, String), String> {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(host), Some(port), Some(address)) if !host.is_empty() && !address.is_empty() => {
            let address = address.trim_start_matches('[').trim_end_matches(']');
            let address = if address.contains(':') {
                format!("[{address}]:{port}")
            } else {
                format!("{address}:{port}")
            };
            Ok((format!("{host}:{port}"), address))
        }
        _ => Err(format!("{shown} {text}: expected HOST:PORT:ADDRESS")),
    }
}

fn build(mut command: Command) -> Result<Draft, String> {
    let url = match command.urls.as_slice() {
        [url] => url.clone(),
        [] => return Err("the curl command has no URL".to_owned()),
        _ => {
            return Err(format!(
                "the curl command fetches {} URLs: import one request at a time",
                command.urls.len()
            ))
        }
    };
    let url = if url.contains("://") {
        url
    } else {
        format!("http://{url}") // as curl assumes
    };
    let mut url = url.split('#').next().unwrap_or("").to_owned();
    let has_data = !command.data.is_empty() || !command.json.is_empty();
    let mut request = Request::default();
    let content_type = |headers: &[(String, String)]| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
    };
    if command.get && !command.data.is_empty() {
        let separator = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{separator}{}", command.data.join("&"));
    } else if !command.json.is_empty() {
        for (name, value) in [
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ] {
            if !command
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                command.headers.push((name.to_owned(), value.to_owned()));
            }
        }
        let text = command.json.concat();
        request.body = body::classify("application/json", &text);
    } else if has_data {
        let mime = content_type(&command.headers).unwrap_or_else(|| body::FORM.to_owned());
        if content_type(&command.headers).is_none() {
            command
                .headers
                .push(("Content-Type".to_owned(), mime.clone()));
        }
        request.body = body::classify(&mime, &command.data.join("&"));
    }
    let (origin, rest) = crate::quick::split_url(&url).map_err(|e| format!("the URL: {e}"))?;
    request.method = match (&command.method, command.head, command.get, has_data) {
        (Some(method), ..) => method.clone(),
        (None, true, ..) => "HEAD".to_owned(),
        (None, false, false, true) => "POST".to_owned(),
        _ => "GET".to_owned(),
    };
    request.location = Location::Path(Text::literal(&rest));
    request.redirects = command.redirects;
    if let Some(user) = &command.user {
        request.headers.push(("Authorization".into(), basic(user)?));
        let name = user.split(':').next().unwrap_or("");
        command.notes.push(format!(
            "-u {name}:…: basic auth; Klavier shows Authorization as *** in every output, but the \
             password is in this file: keep it private, or write the header as \
             \"Basic {{{{ env('API_AUTH') | base64 }}}}\" with API_AUTH=user:password set"
        ));
    }
    if !command.cookies.is_empty() {
        let cookie = command.cookies.join("; ");
        request
            .headers
            .push(("Cookie".into(), Text::literal(&cookie)));
    }
    let mut headers: Vec<(String, Text)> = command
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), Text::literal(v)))
        .collect();
    let implied = content_type(&command.headers)
        .is_some_and(|mime| body::implied_content_type(&request.body, &mime));
    if implied {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    }
    headers.append(&mut request.headers);
    request.headers = headers;
    if matches!(request.body, Body::Raw(_)) && command.data.iter().any(|d| d.contains('\n')) {
        command
            .notes
            .push("the body is kept exactly, line breaks included".to_owned());
    }
    let mut target = command.target;
    if !command.resolve.is_empty() {
        let pairs: Vec<String> = command
            .resolve
            .iter()
            .map(|(from, to)| format!("{} = {}", quote(from), quote(to)))
            .collect();
        target.push(("resolve", format!("{{ {} }}", pairs.join(", "))));
    }
    let mut notes = vec!["Imported by `klavier import curl`: one request.".to_owned()];
    notes.append(&mut command.notes);
    Ok(Draft {
        notes,
        base_url: origin,
        target,
        scenarios: vec![Scenario {
            name: "curl".to_owned(),
            notes: Vec::new(),
            requests: vec![request],
        }],
        ..Draft::default()
    })
}

/// `-u user:password` as a basic `Authorization` value.
fn basic(user: &str) -> Result<Text, String> {
    if !user.contains(':') {
        return Err(format!(
            "-u {user}: no password (curl would ask for it): write -u {user}:PASSWORD"
        ));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(user.as_bytes());
    Ok(Text::literal(&format!("Basic {encoded}")))
}

#[cfg(test)]
#[path = "curl_tests.rs"]
mod tests;
