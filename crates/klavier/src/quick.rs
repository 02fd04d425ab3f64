//! Quick mode: `klavier run --url URL` load-tests one request without a profile file.
//!
//! The flags become the text of a one-scenario profile, compiled by the same
//! `klavier_plan::compile` as any file, so validation lives in one place. Each flag's
//! value sits on its own line of that text, so a problem the compiler finds there is
//! reported against the flag (`-H: …`), never against a file the user never saw.

use std::fmt::Write as _;

use clap::Args;
use klavier_plan::{Diagnostic, Overrides, Plan, ProfileError};

/// The name the quick profile goes by in reports (and `klavier compare`).
const PROFILE_NAME: &str = "quick";

/// How long a quick run lasts without `-d`: long enough for stable percentiles, short
/// enough for a first try.
const DEFAULT_DURATION: &str = "10s";

/// `klavier run --url URL …`: one request, no profile file.
#[derive(Debug, Args, Clone, Default)]
pub struct QuickArgs {
    /// Quick mode: load-test this one URL without a profile file, e.g.
    /// http://127.0.0.1:8080/api/health (10 users for 10s unless -u/-d say otherwise).
    #[arg(long, value_name = "URL", conflicts_with_all = ["profile", "base_url"])]
    pub url: Option<String>,
    /// Quick mode: the request's method.
    #[arg(short = 'X', long, value_name = "METHOD", requires = "url")]
    pub method: Option<String>,
    /// Quick mode: a request header, repeatable, e.g. -H 'Accept: application/json'.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", requires = "url",
          value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Quick mode: the request body, sent as it is (add -H 'Content-Type: …').
    #[arg(long, value_name = "TEXT", requires = "url")]
    pub body: Option<String>,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not NAME: VALUE, e.g. -H 'Accept: text/html'"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{text:?} has no header name before the colon"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// Compiles the quick-mode flags into a plan, with the command line's `overrides`.
pub fn compile(args: &QuickArgs, overrides: &Overrides) -> Result<Plan, ProfileError> {
    let url = args.url.as_deref().unwrap_or_default();
    let (origin, path) = split_url(url).map_err(|message| flag_error("--url", message))?;
    let profile = Profile::write(args, &origin, &path);
    klavier_plan::compile(&profile.text, PROFILE_NAME, overrides)
        .map_err(|error| profile.name_flags(error))
}

/// `http://host:port/path?query` as its origin and the rest (at least `/`).
pub(crate) fn split_url(text: &str) -> Result<(String, String), String> {
    let parsed = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(format!(
            "{text:?} is not an http:// or https:// URL (e.g. http://127.0.0.1:8080/)"
        ));
    }
    let origin = parsed.origin().ascii_serialization();
    // After the origin, exactly as typed: templates (`{{ … }}`) stay unencoded.
    let rest = text
        .split_once("://")
        .and_then(|(_, after)| after.find('/').map(|slash| &after[slash..]))
        .unwrap_or("/");
    let rest = rest.split('#').next().unwrap_or("/");
    Ok((origin, rest.to_owned()))
}

/// The generated profile text and, for each line holding a flag's value, that flag.
struct Profile {
    text: String,
    flags: Vec<(usize, &'static str)>,
}

impl Profile {
    fn write(args: &QuickArgs, origin: &str, path: &str) -> Self {
        let mut profile = Profile {
            text: String::new(),
            flags: Vec::new(),
        };
        profile.line(None, "[target]");
        profile.line(Some("--url"), &format!("base_url = {}", quote(origin)));
        profile.line(None, "[timings]");
        profile.line(None, &format!("duration = {}", quote(DEFAULT_DURATION)));
        profile.line(None, "[scenarios.quick]");
        profile.line(None, "[[scenarios.quick.requests]]");
        profile.line(Some("--url"), &format!("path = {}", quote(path)));
        if let Some(method) = &args.method {
            profile.line(Some("-X"), &format!("method = {}", quote(method)));
        }
        if let Some(body) = &args.body {
            profile.line(Some("--body"), &format!("body = {}", quote(body)));
        }
        if !args.headers.is_empty() {
            profile.line(None, "[scenarios.quick.requests.headers]");
            for (name, value) in &args.headers {
                profile.line(Some("-H"), &format!("{} = {}", quote(name), quote(value)));
            }
        }
        profile
    }

    fn line(&mut self, flag: Option<&'static str>, text: &str) {
        let number = self.text.lines().count() + 1;
        if let Some(flag) = flag {
            self.flags.push((number, flag));
        }
        let _ = writeln!(self.text, "{text}");
    }

    /// The compiler's diagnostics, told against the flags rather than the hidden text.
    fn name_flags(&self, error: ProfileError) -> ProfileError {
        let ProfileError::Invalid(diagnostics) = error else {
            return error;
        };
        let named = diagnostics
            .into_iter()
            .map(|d| match d.path.is_some() {
                true => self.name_flag(d),
                false => d,
            })
            .collect();
        ProfileError::Invalid(named)
    }

    fn name_flag(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        let flag = self
            .flags
            .iter()
            .find(|(line, _)| *line == diagnostic.line)
            .map_or("--url", |(_, flag)| flag);
        diagnostic.path = None;
        diagnostic.line = 0;
        diagnostic.column = 0;
        diagnostic.field = flag.to_owned();
        diagnostic
    }
}

/// A TOML basic string: JSON's escapes are a subset of TOML's.
pub(crate) fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn flag_error(flag: &str, message: String) -> ProfileError {
    ProfileError::Invalid(vec![Diagnostic {
        path: None,
        line: 0,
        column: 0,
        field: flag.to_owned(),
        message,
        help: None,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(url: &str) -> QuickArgs {
        QuickArgs {
            url: Some(url.to_owned()),
            ..QuickArgs::default()
        }
    }

    #[test]
    fn urls_split_into_origin_and_path_with_query() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/a/b?x=1#frag"),
            Ok(("http://127.0.0.1:8080".to_owned(), "/a/b?x=1".to_owned()))
        );
        assert_eq!(
            split_url("https://example.test"),
            Ok(("https://example.test".to_owned(), "/".to_owned()))
        );
        assert!(split_url("ftp://127.0.0.1/x").is_err());
        assert!(split_url("127.0.0.1:8080/x").is_err());
    }

    #[test]
    fn headers_need_a_name_and_a_colon() {
        assert_eq!(
            parse_header("Accept:  text/html "),
            Ok(("Accept".to_owned(), "text/html".to_owned()))
        );
        assert!(parse_header("Accept text/html").is_err());
        assert!(parse_header(": x").is_err());
    }

    #[test]
    fn flags_compile_to_one_request() {
        let mut args = quick("http://127.0.0.1:9/echo?q=1");
        args.method = Some("POST".to_owned());
        args.body = Some("say \"hi\"\n".to_owned());
        args.headers = vec![("X-Test".to_owned(), "yes".to_owned())];
        let plan = compile(&args, &Overrides::default()).expect("compiles");
        assert_eq!(plan.name, "quick");
        assert_eq!(plan.scenarios.len(), 1);
        assert_eq!(plan.request_names, ["POST /echo?q=1"]);
    }

    #[test]
    fn problems_are_told_against_the_flag() {
        let mut args = quick("http://127.0.0.1:9/");
        args.method = Some("get".to_owned());
        let error = compile(&args, &Overrides::default()).expect_err("lower-case method");
        let text = error.to_string();
        assert!(text.starts_with("-X: "), "{text}");
        assert!(!text.contains("quick:"), "{text}");
        let error =
            compile(&quick("mailto:me@example.test"), &Overrides::default()).expect_err("not http");
        assert!(error.to_string().starts_with("--url: "), "{error}");
    }
}
