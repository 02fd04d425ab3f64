//! Errors of the serde stage retold in our words: an unknown key with the key it
//! probably meant, a value of the wrong kind with what would fix it.
//!
//! The deserializer ([`crate::document`]) reports them as data (the key's path and
//! span, the valid keys, the kind wanted and the value found), so nothing here reads
//! serde's or toml's messages.

use super::{last_key, problem, Problem};
use crate::document::{Error, Found, Problem as Fault, Wanted};

/// Keys of the profile format that are designed (DESIGN.md §3) but not built yet.
const PLANNED: &[&str] = &["client_cert", "client_key"];

/// The problem `error` describes.
pub(super) fn explain(error: Error) -> Problem {
    let Error {
        problem: fault,
        path,
        ..
    } = error;
    match fault {
        Fault::UnknownKey { key, valid } => unknown_key(&key, valid, path),
        Fault::Mismatch { wanted, found } => mismatch(wanted, &found, path),
        Fault::Missing { key } => problem(path, format!("{key} is missing"), None),
        Fault::Other(message) => problem(path, message.replace('\n', ": "), None),
    }
}

fn unknown_key(key: &str, valid: &[&str], field: String) -> Problem {
    let close = closest(key, valid);
    if close.is_none() && PLANNED.contains(&key) {
        let message = format!("key {key:?} is not supported yet");
        return problem(field, message, Some(list_keys(valid)));
    }
    let help = match close {
        Some(close) => format!("did you mean {close:?}?"),
        None => list_keys(valid),
    };
    problem(field, format!("unknown key {key:?}"), Some(help))
}

/// The valid key most like `key`, if any is alike enough to be a typo of it.
fn closest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (strsim::jaro_winkler(&key.to_lowercase(), v), *v))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| v)
}

fn list_keys(valid: &[&str]) -> String {
    if valid.is_empty() {
        "this table takes no keys".to_owned()
    } else {
        format!("valid keys here: {}", valid.join(", "))
    }
}

fn mismatch(wanted: Wanted, found: &Found, field: String) -> Problem {
    let key = last_key(&field)
        .split('[')
        .next()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    let key = if key.is_empty() {
        "the value".to_owned()
    } else {
        key
    };
    if wanted.is_leaf() && *found == (Found::Table { implicit: true }) {
        // `base_url.x = …`: a dotted key made a table of what should be one value.
        let message = format!("{key} must be a single value, found a table");
        let help = format!("write {key} = value, without a dotted key or a [table] header");
        return problem(field, message, Some(help));
    }
    let help = help(wanted, found);
    let message = format!(
        "{key} must be {}, found {}",
        wanted_words(wanted),
        found_words(found)
    );
    problem(field, message, help)
}

fn wanted_words(wanted: Wanted) -> &'static str {
    match wanted {
        Wanted::Integer => "an integer",
        Wanted::Number => "a number",
        Wanted::Boolean => "a boolean",
        Wanted::String => "a string",
        Wanted::Duration => r#"a duration string such as "30s""#,
        Wanted::Array => "an array",
        Wanted::Table => "a table",
    }
}

fn found_words(found: &Found) -> String {
    match found {
        Found::String(s) => format!("the string {s:?}"),
        Found::Integer(n) => format!("the integer {n}"),
        Found::Float(x) => format!("the number {x}"),
        Found::Boolean(b) => format!("the boolean {b}"),
        Found::Datetime(d) => format!("the datetime {d}"),
        Found::Array => "an array".to_owned(),
        Found::Table { .. } => "a table".to_owned(),
    }
}

fn help(wanted: Wanted, found: &Found) -> Option<String> {
    match (wanted, found) {
        (Wanted::Integer, Found::String(s)) => {
            let n = s.trim().parse::<i64>().ok()?;
            Some(format!("remove the quotes: {n}"))
        }
        (Wanted::Duration, Found::Integer(n)) => {
            Some(format!("durations are strings with a unit: \"{n}s\""))
        }
        (Wanted::Duration, _) => {
            Some(r#"write a number and a unit, e.g. "90s", "1m30s" or "250ms""#.to_owned())
        }
        (Wanted::String, Found::Array | Found::Table { .. }) => None,
        (Wanted::String, _) => Some("put the value in quotes".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_tolerates_swapped_letters_and_case_but_not_strangers() {
        let valid = ["weight", "requests"];
        assert_eq!(closest("wieght", &valid), Some("weight"));
        assert_eq!(closest("Weight", &valid), Some("weight"));
        assert_eq!(closest("request", &valid), Some("requests"));
        assert_eq!(closest("xyz", &valid), None);
    }

    #[test]
    fn found_values_read_as_words() {
        assert_eq!(found_words(&Found::String("5".into())), r#"the string "5""#);
        assert_eq!(found_words(&Found::Integer(5)), "the integer 5");
        assert_eq!(found_words(&Found::Float(1.5)), "the number 1.5");
        assert_eq!(found_words(&Found::Boolean(true)), "the boolean true");
        assert_eq!(found_words(&Found::Array), "an array");
    }
}
