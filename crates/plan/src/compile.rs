//! The one place validation lives: profile text (plus command-line overrides) → [`Plan`].
//!
//! Compilation runs in two stages. The TOML is parsed once into a spanned document
//! ([`crate::document`]) and read from it into the serde mirror ([`crate::profile`]); a
//! syntax, unknown-key or type error there stops it, as serde stops at the first. Then
//! every rule is checked and *every* broken one reported, each pointing at the text that
//! breaks it.

mod client;
mod correlation;
mod headers;
mod limits;
mod load;
mod request;
mod scenarios;
mod serde_error;
mod session;
mod target;
mod templated;
mod thresholds;
mod timings;

#[cfg(test)]
mod tests;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::document::Spanned;

use crate::document;
use crate::error::{line_column, Diagnostic, ProfileError, Span};
use crate::locate::Locator;
use crate::plan::Plan;
use crate::profile::Profile;

/// Values given on the command line, which win over the profile's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--base-url`: replaces `[target] base_url`, which is then not checked (this one is,
    /// the same way; its problems are reported against the field `--base-url`).
    pub base_url: Option<String>,
    /// `--users`: replaces `[load] users`.
    pub users: Option<u32>,
    /// `--duration`: replaces `[timings] duration` / `test_duration_seconds`.
    pub duration: Option<Duration>,
    /// `--seed`: replaces `[load] seed`.
    pub seed: Option<u64>,
    /// `--var name=value`: replaces or adds `[variables]` entries.
    pub variables: Vec<(String, String)>,
    /// `--ramp-up`: replaces `[load] ramp_up` (closed model).
    pub ramp_up: Option<Duration>,
    /// `--stage DURATION:TARGET`, repeated: replaces `[load] stages`; targets are users,
    /// or scenario starts per second in the open model.
    pub stages: Vec<(Duration, f64)>,
    /// `--rate`: the open model at this many scenario starts per second.
    pub rate: Option<f64>,
    /// `--warmup`: replaces `[timings] warmup`.
    pub warmup: Option<Duration>,
    /// `--threshold`, repeated: added to `[thresholds]`; `"p99 < 250ms"` on the run,
    /// `"request NAME: …"` or `"scenario NAME: …"` on one row.
    pub thresholds: Vec<String>,
    /// The flag `thresholds` came from, for messages (`--threshold` when `None`;
    /// `klavier search` passes `--slo`).
    pub threshold_flag: Option<&'static str>,
}

/// Compiles profile text into a plan, or reports every problem in it.
///
/// `path` is only shown in messages and used to resolve a relative `ca_file`; nothing is
/// read from it. `Plan::seed` is `None` when neither the profile nor `overrides` sets one.
pub fn compile(
    source: &str,
    path: impl AsRef<Path>,
    overrides: &Overrides,
) -> Result<Plan, ProfileError> {
    let path = path.as_ref();
    let mut cx = Context::new(source, path);
    let Some(profile) = read(source, &mut cx) else {
        return Err(cx.into_error());
    };
    let target = target::compile(&profile.target, overrides, &mut cx);
    let load = load::compile(&profile.load, overrides, &mut cx);
    let seed = timings::seed(&profile.load, overrides, &mut cx);
    let staged = load.as_ref().map(staged_duration).unwrap_or_default();
    let timings = timings::compile(&profile.timings, overrides, staged, &mut cx);
    let session = session::prepare(&profile, overrides, &mut cx);
    let mut compiled = scenarios::compile(profile.scenarios.as_ref(), &target, &mut cx);
    limits::check(
        load.as_ref(),
        timings.as_ref(),
        compiled
            .as_ref()
            .map(|c| (c.scenarios.len(), c.request_names.len())),
        overrides,
        &mut cx,
    );
    let session = match compiled.as_mut() {
        Some(c) => session::finish(session, &mut c.scenarios, c.request_names.len(), &mut cx),
        None => session,
    };
    let names = compiled.as_ref().map(|c| thresholds::Names {
        requests: &c.request_names,
        scenarios: &c.scenarios,
    });
    let thresholds = thresholds::compile(profile.thresholds.as_ref(), overrides, names, &mut cx);
    match (target.target, load, timings, compiled) {
        (Some(target), Some(load), Some(timings), Some(compiled)) if cx.diagnostics.is_empty() => {
            Ok(Plan {
                name: plan_name(path),
                target,
                scenarios: compiled.scenarios,
                request_names: compiled.request_names,
                timings,
                load,
                seed,
                session: std::sync::Arc::new(session),
                thresholds,
            })
        }
        _ => Err(cx.into_error()),
    }
}

/// The largest profile read: a profile is configuration; data belongs in feeder files,
/// which have no such bound.
const MAX_PROFILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads at most [`MAX_PROFILE_BYTES`], so a huge file (or `/dev/zero`) is refused
/// without being read whole.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_PROFILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(std::io::Error::other(
            "it is larger than 16 MiB; keep data in feeder files ([data.NAME] file = …)",
        ));
    }
    Ok(bytes)
}

/// Reads and compiles the profile file at `path`.
pub fn load(path: impl AsRef<Path>, overrides: &Overrides) -> Result<Plan, ProfileError> {
    let path = path.as_ref();
    let bytes = read_bounded(path).map_err(|source| ProfileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let source = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = line_column(&bytes, e.valid_up_to());
        ProfileError::NotUtf8 {
            path: path.to_owned(),
            line,
            column,
        }
    })?;
    compile(source, path, overrides)
}

/// The serde stage: TOML syntax, then key names and types.
fn read(source: &str, cx: &mut Context<'_>) -> Option<Profile> {
    // Syntax first, alone: its errors (duplicate keys included) have no field to name.
    let document = match document::parse(source) {
        Ok(document) => document,
        Err(e) => {
            let span = e.span().unwrap_or_default();
            let message = format!(
                "TOML syntax error: {}",
                e.message().trim().replace('\n', ": ")
            );
            cx.error(span, "", message);
            return None;
        }
    };
    cx.locator = Locator::new(&document);
    match document::read::<Profile>(&document) {
        Ok(profile) => Some(profile),
        Err(e) => {
            let span = e.span.clone().unwrap_or_default();
            cx.push(span, serde_error::explain(e));
            None
        }
    }
}

/// How long the load's stages last, the duration of a run that sets none.
fn staged_duration(load: &crate::load::Load) -> Option<Duration> {
    let ramp = match load {
        crate::load::Load::Closed { users } => users,
        crate::load::Load::Open { rate, .. } => rate,
    };
    Some(ramp.total_duration()).filter(|d| !d.is_zero())
}

fn plan_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.is_empty())
        .unwrap_or_else(|| "profile".to_owned())
}

/// A problem before it is placed: what [`Context::push`] turns into a [`Diagnostic`].
#[derive(Debug)]
struct Problem {
    field: String,
    message: String,
    help: Option<String>,
}

/// A problem was reported to the [`Context`]: the value it concerns is unusable, and the
/// profile will not compile. A step compiling an optional key returns
/// `Result<Option<T>, Reported>`: `Ok(None)` when it is not written, `Ok(Some(value))`
/// when it is valid, `Err(Reported)` when it is wrong and the problem was reported (the
/// [`Context`]'s reporting methods return one, so `return Err(cx.error(…))` says both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reported;

/// Shared state of one compilation: the text, where things are in it, and the problems
/// found so far.
struct Context<'a> {
    source: &'a str,
    path: &'a Path,
    locator: Locator,
    diagnostics: Vec<Diagnostic>,
    templating: templated::Templating,
}

impl<'a> Context<'a> {
    fn new(source: &'a str, path: &'a Path) -> Self {
        Self {
            source,
            path,
            locator: Locator::default(),
            diagnostics: Vec::new(),
            templating: templated::Templating::default(),
        }
    }

    /// Reports a problem at `span` of the profile.
    fn error(
        &mut self,
        span: Span,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Reported {
        self.push(span, problem(field, message, None))
    }

    /// Reports a problem at `span`, with a hint to fix it.
    fn error_help(
        &mut self,
        span: Span,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Reported {
        self.push(span, problem(field, message, Some(help.into())))
    }

    fn push(&mut self, span: Span, problem: Problem) -> Reported {
        let (line, column) = line_column(self.source.as_bytes(), span.start);
        self.diagnostics.push(Diagnostic {
            path: Some(self.path.to_owned()),
            line,
            column,
            field: problem.field,
            message: problem.message,
            help: problem.help,
        });
        Reported
    }

    /// Reports a problem with a command-line override (`field` is the flag).
    fn cli_error(&mut self, field: &str, message: impl Into<String>) -> Reported {
        self.diagnostics.push(Diagnostic {
            path: None,
            line: 0,
            column: 0,
            field: field.to_owned(),
            message: message.into(),
            help: None,
        });
        Reported
    }

    /// Where the table or value at `path` is written (the file start if nowhere).
    fn span_of(&self, path: &str) -> Span {
        self.locator.span_of(path).unwrap_or(0..0)
    }

    /// Resolves a path written in the profile against the profile's directory.
    fn resolve(&self, written: &str) -> PathBuf {
        match self.path.parent() {
            Some(dir) => dir.join(written),
            None => PathBuf::from(written),
        }
    }

    fn into_error(mut self) -> ProfileError {
        // Command-line problems first, then the file's from top to bottom.
        self.diagnostics
            .sort_by_key(|d| (d.path.is_some(), d.line, d.column));
        ProfileError::Invalid(self.diagnostics)
    }
}

fn problem(field: impl Into<String>, message: impl Into<String>, help: Option<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
        help,
    }
}

/// Reads a humantime duration, reporting a parse error with examples.
fn parse_duration(text: &str, span: Span, field: &str, cx: &mut Context<'_>) -> Option<Duration> {
    match humantime::parse_duration(text.trim()) {
        Ok(duration) => Some(duration),
        Err(e) => {
            cx.error_help(
                span,
                field,
                format!("{text:?} is not a duration ({e})"),
                r#"write a number and a unit, e.g. "90s", "1m30s" or "250ms""#,
            );
            None
        }
    }
}

/// The last key of a dotted field path, for messages: `scenarios.login.weight` → `weight`.
fn last_key(field: &str) -> &str {
    field.rsplit('.').next().unwrap_or(field)
}

/// A positive integer that fits in a `u32` (`weight`, `users`).
fn positive_u32(value: &Spanned<i64>, field: &str, cx: &mut Context<'_>) -> Option<NonZeroU32> {
    let n = positive(value, field, cx)?;
    let n = u32::try_from(n).ok().and_then(NonZeroU32::new);
    if n.is_none() {
        let message = format!(
            "{} must be at most {}, found {}",
            last_key(field),
            u32::MAX,
            value.get_ref()
        );
        cx.error(value.span(), field, message);
    }
    n
}

/// An integer greater than zero.
fn positive(value: &Spanned<i64>, field: &str, cx: &mut Context<'_>) -> Option<u64> {
    match u64::try_from(*value.get_ref()) {
        Ok(n) if n > 0 => Some(n),
        _ => {
            let message = format!(
                "{} must be a positive integer, found {}",
                last_key(field),
                value.get_ref()
            );
            cx.error(value.span(), field, message);
            None
        }
    }
}

/// An integer zero or greater.
fn non_negative(value: &Spanned<i64>, field: &str, cx: &mut Context<'_>) -> Option<u64> {
    let n = u64::try_from(*value.get_ref()).ok();
    if n.is_none() {
        let message = format!(
            "{} must be zero or more, found {}",
            last_key(field),
            value.get_ref()
        );
        cx.error(value.span(), field, message);
    }
    n
}
