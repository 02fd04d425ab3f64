//! toml's serde errors (unknown keys, wrong types) retold in our words, naming the field.
//!
//! toml reports these as a message and a position only. The messages follow serde's
//! fixed wording (`unknown field `x`, expected …`, `invalid type: …, expected …`), which
//! is what is matched here; anything else is passed through unchanged.

use super::{last_key, problem, Problem};
use crate::locate::Locator;

/// Keys of the profile format that are designed (DESIGN.md §3) but not built yet.
const PLANNED: &[&str] = &["client_cert", "client_key", "thresholds"];

/// The problem described by a toml deserialization error.
pub(super) fn explain(error: &toml::de::Error, locator: &Locator) -> Problem {
    let message = error.message().trim();
    let offset = error.span().map_or(0, |span| span.start);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return unknown_key(rest, offset, locator);
    }
    if let Some(field) = table_for_value(message, offset, locator) {
        let key = last_key(&field).to_owned();
        let message = format!("{key} must be a single value, found a table");
        let help = format!("write {key} = value, without a dotted key or a [table] header");
        return problem(field, message, Some(help));
    }
    let field = locator.path_at(offset).unwrap_or_default().to_owned();
    match message.strip_prefix("invalid type: ") {
        Some(rest) => wrong_type(rest, field),
        None => problem(field, message.replace('\n', ": "), None),
    }
}

/// `rest`: "`wieght`, expected `weight` or `requests`" (or "one of `a`, `b`", or
/// "there are no fields").
fn unknown_key(rest: &str, offset: usize, locator: &Locator) -> Problem {
    // Backquoted names: the unknown key first, then the valid ones.
    let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let (key, valid) = names.split_first().map_or(("", &[][..]), |(k, v)| (*k, v));
    let field = locator.path_of_key(key, offset).unwrap_or(key).to_owned();
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

/// The field, when a single value was wanted and a table written with dotted keys
/// (`base_url.x = …`) was found: toml cannot span such a table, and `Spanned` then reports
/// the table's first key (`x`) as a string it did not expect.
fn table_for_value(message: &str, offset: usize, locator: &Locator) -> Option<String> {
    let rest = message.strip_prefix("invalid type: string \"")?;
    let (first_key, expected) = rest.split_once("\", expected ")?;
    if !matches!(expected, "a borrowed string" | "a spanned value") {
        return None;
    }
    let inner = locator.path_of_key(first_key, offset)?;
    let (table, _) = inner.rsplit_once('.')?;
    Some(table.to_owned())
}

/// `rest`: `string "5", expected i64`.
fn wrong_type(rest: &str, field: String) -> Problem {
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return problem(field, format!("invalid type: {rest}"), None);
    };
    let key = last_key(&field)
        .split('[')
        .next()
        .unwrap_or_default()
        .to_owned();
    let key = if key.is_empty() {
        "the value".to_owned()
    } else {
        key
    };
    let expected = readable_expected(expected);
    let help = type_help(found, &expected);
    let found = readable_found(found);
    problem(
        field,
        format!("{key} must be {expected}, found {found}"),
        help,
    )
}

/// serde's name of the wanted type in plain words.
fn readable_expected(expected: &str) -> String {
    let integer = ["i64", "i32", "u64", "u32", "u16", "u8", "usize"];
    match expected {
        e if integer.contains(&e) => "an integer".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "a table".to_owned(),
        e if e.starts_with("struct ") => "a table".to_owned(),
        // Only a `Spanned` leaf given a table it cannot span says this.
        "a borrowed string" | "a spanned value" => "a single value".to_owned(),
        e => e.to_owned(),
    }
}

/// serde's description of the value found (`integer `5``) in plain words.
fn readable_found(found: &str) -> String {
    let value = found.split('`').nth(1);
    match (found.split_whitespace().next(), value) {
        (Some("string"), _) => format!("the string {}", found.trim_start_matches("string ")),
        (Some("integer"), Some(v)) => format!("the integer {v}"),
        (Some("floating"), Some(v)) => format!("the number {v}"),
        (Some("boolean"), Some(v)) => format!("the boolean {v}"),
        (Some("sequence"), _) => "an array".to_owned(),
        (Some("map"), _) => "a table".to_owned(),
        _ => found.to_owned(),
    }
}

fn type_help(found: &str, expected: &str) -> Option<String> {
    let quoted = found.strip_prefix("string ").map(|s| s.trim_matches('"'));
    if expected == "an integer" {
        if let Some(n) = quoted.and_then(|s| s.trim().parse::<i64>().ok()) {
            return Some(format!("remove the quotes: {n}"));
        }
    }
    if expected.starts_with("a duration") {
        let seconds = found
            .split('`')
            .nth(1)
            .filter(|_| found.starts_with("integer"));
        return Some(match seconds {
            Some(n) => format!("durations are strings with a unit: \"{n}s\""),
            None => r#"write a number and a unit, e.g. "90s", "1m30s" or "250ms""#.to_owned(),
        });
    }
    if expected == "a string" && !found.starts_with("sequence") && !found.starts_with("map") {
        return Some("put the value in quotes".to_owned());
    }
    None
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
        assert_eq!(readable_found(r#"string "5""#), r#"the string "5""#);
        assert_eq!(readable_found("integer `5`"), "the integer 5");
        assert_eq!(readable_found("floating point `1.5`"), "the number 1.5");
        assert_eq!(readable_found("boolean `true`"), "the boolean true");
        assert_eq!(readable_found("sequence"), "an array");
    }
}
