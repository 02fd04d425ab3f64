//! Templates: `{{ … }}` expressions in request paths, queries, headers and bodies.
//!
//! Every template of a profile is compiled once, into one [`Templates`] set that the plan
//! carries; the engine only renders. A string without `{{` or `{%` is never a template,
//! so a request without variables keeps its prebuilt, zero-cost form.
//!
//! Static checks happen here, at compile time: syntax errors, undefined variables, unknown
//! feeders or columns, unknown filters, and `env("NAME")` of an unset variable, each with
//! the byte offset in the template so `compile` can point at the line and column.
//!
//! The functions that need a user's state or the clock (`uuid()`, `random_int(a, b)`,
//! `random_choice(list)`, `random_string(n)`, `now_ms()`, `now_iso()`, `seq()`) are added
//! by the engine to its copy of the environment; `env(name)` and the `base64` filter are
//! pure and live here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use base64::Engine as _;
use minijinja::value::ValueKind;
use minijinja::{Environment, ErrorKind, Output, State, UndefinedBehavior, Value};

/// Functions a template may call. `env` is resolved at compile time; the others are
/// provided by the engine's renderer.
pub const FUNCTIONS: [&str; 8] = [
    "uuid",
    "random_int",
    "random_choice",
    "random_string",
    "now_ms",
    "now_iso",
    "seq",
    "env",
];

/// Variables every template can use: the user's id (from 0), the user's iteration count
/// (from 0) and the current scenario's name.
pub const BUILTINS: [&str; 3] = ["vu", "iteration", "scenario"];

/// Globals minijinja itself provides.
const ENGINE_GLOBALS: [&str; 4] = ["range", "dict", "debug", "namespace"];

/// Whether `text` holds template syntax (and must be compiled rather than sent as is).
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// How a rendered template's output is written into the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encode {
    /// As rendered (paths, header values, raw bodies).
    Raw,
    /// Form-urlencoded (`query` and `form` values).
    Form,
    /// Escaped as the inside of a JSON string (string values of `json` bodies).
    JsonString,
    /// A whole JSON value: a `json` string that is exactly one `{{ … }}` becomes the
    /// value's JSON (a number, boolean, null, array or object as such, anything else a
    /// string). The template's own formatter writes it ([`Templates::add_json_value`]).
    JsonValue,
}

/// Names of templates whose output is a JSON value start with this; others with `t`.
const JSON_VALUE_PREFIX: &str = "j";

/// One piece of a [`Text`]: literal text, or the output of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Sent as is.
    Literal(Box<str>),
    /// The output of the template named `name` in [`Templates`], encoded.
    Template {
        /// The template's name in the environment.
        name: Arc<str>,
        /// How its output is written.
        encode: Encode,
    },
}

/// A text (a URI, a header value, a body) made of literal pieces and template outputs,
/// concatenated in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// The pieces, in order.
    pub pieces: Vec<Piece>,
}

impl Text {
    /// Appends literal text, merging it with a literal before it.
    pub fn push_literal(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(Piece::Literal(last)) = self.pieces.last_mut() {
            let mut joined = String::from(std::mem::take(last));
            joined.push_str(text);
            *last = joined.into();
        } else {
            self.pieces.push(Piece::Literal(text.into()));
        }
    }

    /// Appends a template's output.
    pub fn push_template(&mut self, name: Arc<str>, encode: Encode) {
        self.pieces.push(Piece::Template { name, encode });
    }

    /// Whether any piece is a template.
    pub fn is_templated(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Template { .. }))
    }
}

impl Text {
    /// The whole text when it has no template (e.g. a `form` body without variables).
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Template { .. } => return None,
            }
        }
        Some(out)
    }
}

/// The templated parts of a request; everything else is in its prebuilt form.
#[derive(Debug, Clone, Default)]
pub struct RequestTemplate {
    /// The absolute URI (scheme, authority, path and query), when any of it is templated.
    pub uri: Option<Text>,
    /// For a templated `path`: the length of the base URL it is appended to, where the
    /// rendered path starts (it must start with `/`, or it would change the host).
    pub path_at: Option<usize>,
    /// Header values with templates; they replace the prebuilt values of the same name.
    pub headers: Vec<(http::HeaderName, Text)>,
    /// The body, when templated.
    pub body: Option<Text>,
}

impl RequestTemplate {
    /// Whether any part needs rendering.
    pub fn is_templated(&self) -> bool {
        self.uri.is_some()
            || !self.headers.is_empty()
            || self.body.as_ref().is_some_and(Text::is_templated)
    }
}

/// What a template may refer to, for the static checks.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Variables: `[variables]`, `--var` and every `extract` target of the profile.
    pub variables: BTreeSet<String>,
    /// Feeders (`[data.NAME]`) and their columns.
    pub feeders: BTreeMap<String, Vec<String>>,
}

/// A problem in one template, at a byte offset of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the template's source.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, if there is something useful to say.
    pub help: Option<String>,
}

/// Every template of a plan, compiled into one environment.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
    count: usize,
    /// Values of the environment variables `env("NAME")` reads, read at compile time.
    env_values: BTreeMap<String, String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// An empty set.
    pub fn new() -> Self {
        let mut env = Environment::new();
        // An unset variable is an error, never an empty string sent to the server.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_debug(true);
        env.add_filter("base64", base64_filter);
        env.set_formatter(format_value);
        Self {
            env,
            count: 0,
            env_values: BTreeMap::new(),
        }
    }

    /// The environment holding every template, to add the engine's functions to a copy.
    pub fn environment(&self) -> &Environment<'static> {
        &self.env
    }

    /// How many templates the set holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// `text` as written: literal pieces and each template's source.
    pub fn describe(&self, text: &Text) -> String {
        let mut out = String::new();
        for piece in &text.pieces {
            match piece {
                Piece::Literal(literal) => out.push_str(literal),
                Piece::Template { name, .. } => {
                    let source = self.env.get_template(name).map(|t| t.source().to_owned());
                    out.push_str(&source.unwrap_or_default());
                }
            }
        }
        out
    }

    /// Whether the set holds no template.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Compiles `source` and checks it against `scope`; `env` looks up environment
    /// variables named by `env("NAME")`. Returns the template's name, or every problem.
    pub fn add(
        &mut self,
        source: &str,
        scope: &Scope,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<str>, Vec<TemplateError>> {
        self.add_named("t", source, scope, env)
    }

    /// As [`add`](Self::add), for a template that is exactly one `{{ … }}` (see
    /// [`is_single_expression`]) whose output is the value's JSON: `{{ n }}` with `n = 3`
    /// renders `3`, with `n = "3"` renders `"3"` (strings stay strings: `| string` makes
    /// a number one, `| int` a string a number).
    pub fn add_json_value(
        &mut self,
        source: &str,
        scope: &Scope,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<str>, Vec<TemplateError>> {
        self.add_named(JSON_VALUE_PREFIX, source, scope, env)
    }

    fn add_named(
        &mut self,
        prefix: &str,
        source: &str,
        scope: &Scope,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<str>, Vec<TemplateError>> {
        let name: Arc<str> = format!("{prefix}{}", self.count).into();
        if let Err(e) = self
            .env
            .add_template_owned(name.to_string(), source.to_owned())
        {
            return Err(vec![syntax_error(&e)]);
        }
        self.count += 1;
        let template = self
            .env
            .get_template(&name)
            .expect("the template was just added");
        let mut errors = undefined_names(source, &template.undeclared_variables(true), scope);
        errors.extend(self.unknown_filters(source));
        errors.extend(self.env_calls(source, env));
        if errors.is_empty() {
            Ok(name)
        } else {
            errors.sort_by_key(|e| e.offset);
            Err(errors)
        }
    }

    /// Filters (`| name`) that minijinja does not know. Only code is scanned: a `|` in
    /// the literal text around tags (`/search?q=a|b&id={{ id }}`) or in a string literal
    /// within one (`default("a|b")`) is no filter.
    fn unknown_filters(&self, source: &str) -> Vec<TemplateError> {
        let pattern = regex::Regex::new(r"\|\s*([A-Za-z_][A-Za-z0-9_]*)").expect("a valid regex");
        let code = code_only(source, Strings::Blank);
        let mut seen = BTreeSet::new();
        let mut errors = Vec::new();
        for found in pattern.captures_iter(&code) {
            let filter = found.get(1).expect("group 1 always matches");
            if !seen.insert(filter.as_str()) {
                continue;
            }
            let probe = format!("{{{{ x | {} }}}}", filter.as_str());
            let unknown = self
                .env
                .render_str(&probe, minijinja::context! { x => "" })
                .is_err_and(|e| e.kind() == ErrorKind::UnknownFilter);
            if unknown {
                errors.push(TemplateError {
                    offset: filter.start(),
                    message: format!("unknown filter {:?}", filter.as_str()),
                    help: Some(
                        "filters include urlencode, base64, upper, lower, trim, default".into(),
                    ),
                });
            }
        }
        errors
    }

    /// `env("NAME")` calls: the name must be a literal and the variable must be set.
    fn env_calls(
        &mut self,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<TemplateError> {
        let call = regex::Regex::new(r#"\benv\s*\(\s*(?:"([^"]*)"|'([^']*)'|(.))"#)
            .expect("a valid regex");
        let code = code_only(source, Strings::Keep);
        let mut errors = Vec::new();
        for found in call.captures_iter(&code) {
            let at = found.get(0).map_or(0, |m| m.start());
            let Some(name) = found.get(1).or_else(|| found.get(2)) else {
                errors.push(TemplateError {
                    offset: at,
                    message: "env() takes the variable's name as a quoted string".into(),
                    help: Some(r#"write env("NAME")"#.into()),
                });
                continue;
            };
            match env(name.as_str()) {
                Some(value) => self.remember_env(name.as_str(), value),
                None => errors.push(TemplateError {
                    offset: name.start(),
                    message: format!("environment variable {:?} is not set", name.as_str()),
                    help: Some(
                        "set it before starting Klavier, e.g. NAME=value klavier run …".into(),
                    ),
                }),
            }
        }
        errors
    }

    /// Records an environment value for `env(name)` at render time.
    fn remember_env(&mut self, name: &str, value: String) {
        self.env_values.insert(name.to_owned(), value);
        let values = self.env_values.clone();
        self.env.add_function("env", move |name: &str| {
            values.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    ErrorKind::UndefinedError,
                    format!("environment variable {name:?} was not checked at start"),
                )
            })
        });
    }
}

/// Whether `source` is exactly one `{{ … }}` expression, nothing around it: a `json`
/// string written so is a JSON value of the expression's type, not a string.
pub fn is_single_expression(source: &str) -> bool {
    source.starts_with("{{") && code_end(source, 2, "}}") == source.len() && source.ends_with("}}")
}

/// Writes a value as templates print it, or, in a template added by
/// [`Templates::add_json_value`], as JSON: numbers, booleans, none (`null`), lists and
/// maps as such; strings and anything else as a JSON string of their text.
fn format_value(
    out: &mut Output<'_>,
    state: &State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    // minijinja checks strictness only with its own formatter: an unset variable is
    // still an error here, never an empty string sent to the server.
    if value.is_undefined() && matches!(state.undefined_behavior(), UndefinedBehavior::Strict) {
        return Err(minijinja::Error::from(ErrorKind::UndefinedError));
    }
    if !state.name().starts_with(JSON_VALUE_PREFIX) {
        return minijinja::escape_formatter(out, state, value);
    }
    let json = match value.kind() {
        ValueKind::Number | ValueKind::Bool | ValueKind::None | ValueKind::Seq | ValueKind::Map => {
            serde_json::to_string(value)
        }
        _ => serde_json::to_string(&value.to_string()),
    }
    .map_err(|e| minijinja::Error::new(ErrorKind::BadSerialization, e.to_string()))?;
    out.write_str(&json)
        .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "cannot write the value"))
}

/// What [`code_only`] does with string literals inside tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strings {
    /// Keep them (`env("NAME")` reads its name from one).
    Keep,
    /// Blank them too.
    Blank,
}

/// `source` with everything outside `{{ … }}` and `{% … %}` blanked to spaces, byte for
/// byte, so offsets into it are offsets into `source`. Comments `{# … #}` are blanked.
fn code_only(source: &str, strings: Strings) -> String {
    let mut out = vec![b' '; source.len()];
    let bytes = source.as_bytes();
    let mut at = 0;
    while let Some(open) = source[at..].find('{').map(|i| at + i) {
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                at = open + 1;
                continue;
            }
        };
        let end = code_end(source, open + 2, close);
        out[open..end].copy_from_slice(&bytes[open..end]);
        if strings == Strings::Blank {
            blank_strings(&mut out[open..end]);
        }
        at = end;
    }
    String::from_utf8(out).expect("whole characters were copied, or each of their bytes blanked")
}

/// Where the tag opened before `from` ends: past `close` outside any string literal, or
/// the end of `source` for an unclosed tag.
fn code_end(source: &str, from: usize, close: &str) -> usize {
    let mut quote = None;
    for (i, c) in source[from..].char_indices() {
        let at = from + i;
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if source[at..].starts_with(close) => return at + close.len(),
            None => {}
        }
    }
    source.len()
}

/// Replaces the contents of string literals in a tag's bytes by spaces, keeping the quotes.
fn blank_strings(tag: &mut [u8]) {
    let mut quote = None;
    for byte in tag.iter_mut() {
        match quote {
            Some(q) if *byte == q => quote = None,
            Some(_) => *byte = b' ',
            None if *byte == b'"' || *byte == b'\'' => quote = Some(*byte),
            None => {}
        }
    }
}

/// `base64`: the standard alphabet with padding, of the value's text.
fn base64_filter(value: &Value) -> String {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn syntax_error(e: &minijinja::Error) -> TemplateError {
    let offset = e.range().map_or(0, |r| r.start);
    let detail = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    TemplateError {
        offset,
        message: format!("template syntax error: {detail}"),
        help: Some("expressions are written {{ name }}, {{ data.column }} or {{ uuid() }}".into()),
    }
}

/// Names the template reads that nothing defines (`nested` names such as `accounts.user`
/// are checked against the feeder's columns).
fn undefined_names(
    source: &str,
    names: &std::collections::HashSet<String>,
    scope: &Scope,
) -> Vec<TemplateError> {
    let mut errors = Vec::new();
    let mut names: Vec<&String> = names.iter().collect();
    names.sort();
    for name in names {
        let (root, field) = match name.split_once('.') {
            Some((root, field)) => (root, Some(field.split('.').next().unwrap_or(field))),
            None => (name.as_str(), None),
        };
        if BUILTINS.contains(&root)
            || FUNCTIONS.contains(&root)
            || ENGINE_GLOBALS.contains(&root)
            || scope.variables.contains(root)
        {
            continue;
        }
        let offset = find_word(source, root);
        match (scope.feeders.get(root), field) {
            (Some(columns), Some(column)) if !columns.iter().any(|c| c == column) => {
                errors.push(TemplateError {
                    offset: find_word(source, column).max(offset),
                    message: format!("feeder {root:?} has no column {column:?}"),
                    help: Some(format!("its columns are: {}", columns.join(", "))),
                });
            }
            (Some(_), _) => {}
            (None, _) => errors.push(TemplateError {
                offset,
                message: format!("undefined variable {root:?}"),
                help: Some(undefined_help(root, scope)),
            }),
        }
    }
    errors
}

fn undefined_help(root: &str, scope: &Scope) -> String {
    let candidates = scope
        .variables
        .iter()
        .chain(scope.feeders.keys())
        .map(String::as_str)
        .chain(BUILTINS)
        .chain(FUNCTIONS);
    let best = candidates
        .map(|c| (strsim::jaro_winkler(root, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!("did you mean {c:?}?"),
        None => "define it in [variables], extract it from a response, or read it from a [data.NAME] feeder".into(),
    }
}

/// Byte offset of the first whole-word occurrence of `word` in `source` (0 if none).
fn find_word(source: &str, word: &str) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    source
        .match_indices(word)
        .find(|(at, _)| {
            let before = source[..*at].chars().next_back();
            let after = source[at + word.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
        .map_or(0, |(at, _)| at)
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
