//! `[variables]`, `[data.NAME]` and a request's `extract` and `expect`: validated into
//! the plan's constants, feeders, extractions and checks, and the [`Scope`] templates
//! are checked against.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::document::{Spanned, Value};
use http::HeaderName;
use serde_json_path::JsonPath;

use super::request::to_json;
use super::{parse_duration, templated, Context, Reported};
use crate::checks::{Expect, Expected, JsonCheck};
use crate::data::{self, ColumnType, Feeder, OnExhausted, Per, Strategy};
use crate::error::Span;
use crate::extract::{ExtractFrom, Extraction};
use crate::locate::join;
use crate::profile::correlation::{DataProfile, ExpectProfile, ExtractProfile};
use crate::template::{is_template, Encode, Scope, Text, BUILTINS, FUNCTIONS};

/// Whether `name` can be a template variable: an identifier that is not a built-in.
fn variable_name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Some(format!(
            "{name:?} is not a valid variable name: use letters, digits and _, not starting with a digit"
        ));
    }
    if BUILTINS.contains(&name) || FUNCTIONS.contains(&name) {
        return Some(format!(
            "{name:?} is a built-in name and cannot be redefined"
        ));
    }
    None
}

/// `[variables]` with `--var name=value` on top, as template values.
pub(super) fn variables(
    profile: Option<&BTreeMap<String, Value>>,
    overrides: &[(String, String)],
    cx: &mut Context<'_>,
) -> BTreeMap<String, minijinja::Value> {
    let mut values = BTreeMap::new();
    for (name, value) in profile.into_iter().flatten() {
        let field = join("variables", name);
        if let Some(problem) = variable_name_problem(name) {
            let span = cx.span_of(&field);
            cx.error(span, field, problem);
            continue;
        }
        if matches!(value, Value::Table(_) | Value::Datetime(_)) {
            let span = cx.span_of(&field);
            let message = format!(
                "a variable must be a string, number, boolean or array, found {}",
                value.type_str()
            );
            cx.error(span, field, message);
            continue;
        }
        values.insert(name.clone(), minijinja::Value::from_serialize(value));
    }
    for (name, value) in overrides {
        match variable_name_problem(name) {
            Some(problem) => _ = cx.cli_error("--var", problem),
            None => match like(values.get(name), value) {
                Ok(typed) => {
                    values.insert(name.clone(), typed);
                }
                Err(problem) => _ = cx.cli_error("--var", format!("{name}={value}: {problem}")),
            },
        }
    }
    values
}

/// A `--var` value, of the type of the `[variables]` entry it replaces: a number or
/// boolean there stays one (a `json` value `"{{ n }}"` stays a number), text otherwise.
fn like(written: Option<&minijinja::Value>, text: &str) -> Result<minijinja::Value, String> {
    use minijinja::value::ValueKind;
    let Some(written) = written else {
        return Ok(minijinja::Value::from(text));
    };
    let kind = match written.kind() {
        ValueKind::Bool => ColumnType::Bool,
        ValueKind::Number if written.is_integer() => ColumnType::Int,
        ValueKind::Number => ColumnType::Float,
        _ => ColumnType::Text,
    };
    kind.value(text)
        .map_err(|e| format!("{e}, as [variables] declares it"))
}

/// `[data.NAME]` tables: each file read now, relative to the profile.
pub(super) fn feeders(
    profile: Option<&BTreeMap<String, DataProfile>>,
    cx: &mut Context<'_>,
) -> Vec<Feeder> {
    let mut feeders = Vec::new();
    for (name, data) in profile.into_iter().flatten() {
        let field = join("data", name);
        if let Some(problem) = variable_name_problem(name) {
            let span = cx.span_of(&field);
            cx.error(span, field, problem.replace("variable", "feeder"));
            continue;
        }
        if let Some(feeder) = feeder(name, data, &field, cx) {
            feeders.push(feeder);
        }
    }
    feeders
}

fn feeder(name: &str, data: &DataProfile, field: &str, cx: &mut Context<'_>) -> Option<Feeder> {
    let strategy = choice(
        data.strategy.as_ref(),
        &join(field, "strategy"),
        &[
            ("sequential", Strategy::Sequential),
            ("random", Strategy::Random),
            ("unique", Strategy::Unique),
        ],
        cx,
    );
    let per = choice(
        data.per.as_ref(),
        &join(field, "per"),
        &[("iteration", Per::Iteration), ("user", Per::User)],
        cx,
    );
    let on_exhausted = choice(
        data.on_exhausted.as_ref(),
        &join(field, "on_exhausted"),
        &[
            ("stop", OnExhausted::Stop),
            ("recycle", OnExhausted::Recycle),
        ],
        cx,
    );
    let Some(file) = &data.file else {
        let span = cx.span_of(field);
        let help = r#"add file = "accounts.csv" (CSV with a header row, .json or .jsonl), relative to the profile"#;
        cx.error_help(span, field, "the feeder has no file", help);
        return None;
    };
    let types = column_types(data, field, cx)?;
    let table = match data::load_typed(&cx.resolve(file.get_ref()), &types) {
        Ok(table) => table,
        Err(e) => {
            cx.error(file.span(), join(field, "file"), e.to_string());
            return None;
        }
    };
    if !declared_columns_exist(data, &table, field, cx) {
        return None;
    }
    Some(Feeder {
        name: name.to_owned(),
        table: Arc::new(table),
        strategy: strategy?,
        per: per?,
        on_exhausted: on_exhausted?,
    })
}

/// `types = { qty = "int", … }`: each column's declared type.
fn column_types(data: &DataProfile, field: &str, cx: &mut Context<'_>) -> Option<data::Types> {
    let mut types = data::Types::new();
    let mut valid = true;
    for (column, written) in data.types.iter().flatten() {
        let kind = ColumnType::NAMES
            .iter()
            .find(|(name, _)| name == written.get_ref());
        match kind {
            Some((_, kind)) => {
                types.insert(column.clone(), *kind);
            }
            None => {
                let names: Vec<String> = ColumnType::NAMES
                    .iter()
                    .map(|(n, _)| format!("{n:?}"))
                    .collect();
                let message = format!(
                    "{:?} is not a column type: one of {}",
                    written.get_ref(),
                    names.join(", ")
                );
                let help = r#"e.g. types = { qty = "int", price = "float", active = "bool" }"#;
                let at = join(&join(field, "types"), column);
                cx.error_help(written.span(), at, message, help);
                valid = false;
            }
        }
    }
    valid.then_some(types)
}

/// Every column `types` names is one of the file's.
fn declared_columns_exist(
    data: &DataProfile,
    table: &data::Table,
    field: &str,
    cx: &mut Context<'_>,
) -> bool {
    let mut valid = true;
    for (column, written) in data.types.iter().flatten() {
        if table.column(column).is_some() {
            continue;
        }
        let columns = table.columns();
        let near = columns
            .iter()
            .map(|c| (strsim::jaro_winkler(column, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let help = match near {
            Some((_, c)) => format!("did you mean {c:?}?"),
            None => format!("its columns are: {}", columns.join(", ")),
        };
        let message = format!("the file has no column {column:?}");
        cx.error_help(
            written.span(),
            join(&join(field, "types"), column),
            message,
            help,
        );
        valid = false;
    }
    valid
}

/// One of a few words; the first is the default.
fn choice<T: Copy>(
    written: Option<&Spanned<String>>,
    field: &str,
    options: &[(&str, T)],
    cx: &mut Context<'_>,
) -> Option<T> {
    let Some(written) = written else {
        return Some(options[0].1);
    };
    let found = options.iter().find(|(word, _)| word == written.get_ref());
    if found.is_none() {
        let words: Vec<String> = options.iter().map(|(w, _)| format!("{w:?}")).collect();
        let message = format!("{:?} is not one of {}", written.get_ref(), words.join(", "));
        cx.error(written.span(), field, message);
    }
    found.map(|(_, value)| *value)
}

/// What templates can name: constants, every extracted variable, feeders and columns.
pub(super) fn scope<'p>(
    variables: &BTreeMap<String, minijinja::Value>,
    extracted: impl Iterator<Item = &'p String>,
    feeders: &[Feeder],
) -> Scope {
    Scope {
        variables: variables
            .keys()
            .cloned()
            .chain(extracted.cloned())
            .collect(),
        feeders: feeders
            .iter()
            .map(|f| (f.name.clone(), f.table.columns().to_vec()))
            .collect(),
    }
}

/// A request's `extract` table.
pub(super) fn extractions(
    profile: Option<&BTreeMap<String, ExtractProfile>>,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<Vec<Extraction>> {
    let mut valid = true;
    let mut extractions = Vec::new();
    for (variable, source) in profile.into_iter().flatten() {
        let field = join(&join(field, "extract"), variable);
        if let Some(problem) = variable_name_problem(variable) {
            let span = cx.span_of(&field);
            cx.error(span, &field, problem);
            valid = false;
            continue;
        }
        match extract_from(source, &field, cx) {
            Some(from) => extractions.push(Extraction {
                variable: variable.as_str().into(),
                from,
            }),
            None => valid = false,
        }
    }
    valid.then_some(extractions)
}

fn extract_from(source: &ExtractProfile, field: &str, cx: &mut Context<'_>) -> Option<ExtractFrom> {
    let given = [
        source.json.is_some(),
        source.regex.is_some(),
        source.header.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        let span = cx.span_of(field);
        let help = r#"e.g. { json = "$.access_token" }, { regex = "id=(\\d+)", group = 1 } or { header = "ETag" }"#;
        cx.error_help(
            span,
            field,
            "give exactly one of json, regex or header",
            help,
        );
        return None;
    }
    if let (Some(group), None) = (&source.group, &source.regex) {
        cx.error(group.span(), join(field, "group"), "group goes with regex");
        return None;
    }
    if let Some(written) = &source.json {
        let path = json_path(written.get_ref(), written.span(), &join(field, "json"), cx)?;
        return Some(ExtractFrom::Json {
            written: written.get_ref().clone(),
            path,
        });
    }
    if let Some(written) = &source.regex {
        return regex(written, source.group.as_ref(), field, cx);
    }
    let header = source.header.as_ref()?;
    match HeaderName::from_bytes(header.get_ref().as_bytes()) {
        Ok(name) => Some(ExtractFrom::Header(name)),
        Err(_) => {
            let message = format!("invalid header name {:?}", header.get_ref());
            cx.error(header.span(), join(field, "header"), message);
            None
        }
    }
}

fn regex(
    written: &Spanned<String>,
    group: Option<&Spanned<i64>>,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<ExtractFrom> {
    let regex = match regex::Regex::new(written.get_ref()) {
        Ok(regex) => regex,
        Err(e) => {
            let message = format!("invalid regular expression: {e}");
            cx.error(written.span(), join(field, "regex"), message);
            return None;
        }
    };
    let groups = regex.captures_len() - 1;
    let default = usize::from(groups > 0);
    let group = match group {
        None => default,
        Some(g) => match usize::try_from(*g.get_ref()) {
            Ok(g) if g <= groups => g,
            _ => {
                let message = format!(
                    "group {} does not exist: the expression has {groups} capture group(s)",
                    g.get_ref()
                );
                cx.error(g.span(), join(field, "group"), message);
                return None;
            }
        },
    };
    Some(ExtractFrom::Regex { regex, group })
}

fn json_path(text: &str, span: Span, field: &str, cx: &mut Context<'_>) -> Option<JsonPath> {
    match JsonPath::parse(text) {
        Ok(path) => Some(path),
        Err(e) => {
            let help =
                r#"JSONPath (RFC 9535) starts with $, e.g. "$.access_token" or "$.items[0].id""#;
            cx.error_help(span, field, format!("invalid JSONPath {text:?}: {e}"), help);
            None
        }
    }
}

/// A request's `expect` table.
pub(super) fn expect(
    profile: Option<&ExpectProfile>,
    field: &str,
    cx: &mut Context<'_>,
) -> Result<Option<Expect>, Reported> {
    let Some(profile) = profile else {
        return Ok(None);
    };
    let field = join(field, "expect");
    let status = match &profile.status {
        Some(value) => Some(statuses(value, &join(&field, "status"), cx).ok_or(Reported)?),
        None => None,
    };
    let headers = expected_headers(profile, &field, cx).ok_or(Reported)?;
    let mut templates = Vec::new();
    for (i, (name, _)) in profile.header.iter().flatten().enumerate() {
        let value = &profile.header.as_ref().expect("iterating it")[name];
        let header_field = join(&join(&field, "header"), name);
        let span = Some(value.span());
        templates.extend(expected(
            value.get_ref(),
            span,
            &header_field,
            Expected::Header(i),
            cx,
        )?);
    }
    if let Some(body) = &profile.body_contains {
        let body_field = join(&field, "body_contains");
        let span = Some(body.span());
        templates.extend(expected(
            body.get_ref(),
            span,
            &body_field,
            Expected::BodyContains,
            cx,
        )?);
    }
    let mut json = Vec::new();
    for (path, value) in profile.json.iter().flatten() {
        let json_field = join(&join(&field, "json"), path);
        let span = cx.span_of(&json_field);
        let compiled = json_path(path, span.clone(), &json_field, cx).ok_or(Reported)?;
        if let Some(text) = value.as_str() {
            let which = Expected::Json(json.len());
            templates.extend(expected(text, None, &json_field, which, cx)?);
        }
        // As a request's `json` body is written: a datetime is its RFC 3339 text.
        let value = to_json(value).map_err(|problem| cx.error(span, json_field, problem))?;
        json.push(JsonCheck {
            written: path.clone(),
            path: compiled,
            value,
        });
    }
    let max_latency = match &profile.max_latency {
        Some(text) => {
            let field = join(&field, "max_latency");
            let parsed = parse_duration(&text.get_ref().0, text.span(), &field, cx);
            Some(parsed.ok_or(Reported)?)
        }
        None => None,
    };
    Ok(Some(Expect {
        status,
        headers,
        body_contains: profile.body_contains.as_ref().map(|b| b.get_ref().clone()),
        json,
        max_latency,
        templates,
    }))
}

/// An expected value: a template when it holds `{{ … }}`, `None` when literal.
fn expected(
    text: &str,
    span: Option<Span>,
    field: &str,
    which: Expected,
    cx: &mut Context<'_>,
) -> Result<Option<(Expected, Text)>, Reported> {
    if !is_template(text) {
        return Ok(None);
    }
    let mut out = Text::default();
    match templated::add(text, span, field, Encode::Raw, &mut out, cx) {
        true => Ok(Some((which, out))),
        false => Err(Reported), // `add` reported each problem
    }
}

fn expected_headers(
    profile: &ExpectProfile,
    field: &str,
    cx: &mut Context<'_>,
) -> Option<Vec<(HeaderName, String)>> {
    let mut headers = Vec::new();
    for (name, value) in profile.header.iter().flatten() {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(parsed) => headers.push((parsed, value.get_ref().clone())),
            Err(_) => {
                let header_field = join(&join(field, "header"), name);
                cx.error(
                    value.span(),
                    header_field,
                    format!("invalid header name {name:?}"),
                );
                return None;
            }
        }
    }
    Some(headers)
}

fn statuses(value: &Value, field: &str, cx: &mut Context<'_>) -> Option<Vec<u16>> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let codes: Option<Vec<u16>> = items
        .iter()
        .map(|v| {
            v.as_integer()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| (100..=999).contains(n))
        })
        .collect();
    match codes {
        Some(codes) if !codes.is_empty() => Some(codes),
        _ => {
            let span = cx.span_of(field);
            let message = format!("status must be a status code or a list of them, found {value}");
            cx.error_help(
                span,
                field,
                message,
                "e.g. status = 200 or status = [200, 201]",
            );
            None
        }
    }
}
