//! The deserializer's errors as data: which key, where, what was wanted and found.

use std::collections::BTreeMap;

use super::*;
use crate::profile::DurationText;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only through Debug
struct Mirror {
    n: Option<Spanned<i64>>,
    rate: Option<f64>,
    after: Option<Spanned<DurationText>>,
    any: Option<BTreeMap<String, Value>>,
    list: Option<Vec<Item>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Item {
    name: String,
}

fn read_err(source: &str) -> (Error, &str) {
    let document = parse(source).expect("valid TOML");
    let error = read::<Mirror>(&document).expect_err("does not fit the mirror");
    // From the start of the span: an implied table's is empty, at its first key.
    let text = error.span.clone().map_or("", |s| &source[s.start..]);
    (error, text)
}

#[test]
fn errors_say_which_key_where_and_what() {
    #[rustfmt::skip]
    let cases: [(&str, &str, &str, Problem); 6] = [
        ("nn = 1", "nn", "nn",
         Problem::UnknownKey { key: "nn".into(), valid: &["n", "rate", "after", "any", "list"] }),
        ("n = \"5\"", "n", "\"5\"",
         Problem::Mismatch { wanted: Wanted::Integer, found: Found::String("5".into()) }),
        ("after = 30", "after", "30",
         Problem::Mismatch { wanted: Wanted::Duration, found: Found::Integer(30) }),
        ("n.x = 1", "n", "x",   // a dotted key: the table starts at its first key
         Problem::Mismatch { wanted: Wanted::Integer, found: Found::Table { implicit: true } }),
        ("list = [{ name = \"a\" }, {}]", "list[1]", "{}",
         Problem::Missing { key: "name" }),
        ("[[list]]\nname = 1", "list[0].name", "1",
         Problem::Mismatch { wanted: Wanted::String, found: Found::Integer(1) }),
    ];
    for (source, path, text, problem) in cases {
        let (error, found_text) = read_err(source);
        assert_eq!(error.problem, problem, "{source}");
        let want_path = match &problem {
            Problem::Missing { key } => format!("{path}.{key}"),
            _ => path.to_owned(),
        };
        assert_eq!(error.path, want_path, "{source}");
        assert!(found_text.starts_with(text), "{source}: {found_text:?}");
    }
}

#[test]
fn values_keep_their_spans_and_datetimes_their_text() {
    let source = "n = 7\nrate = 2\nany = { d = 1979-05-27T07:32:00Z, t = [1, \"a\"] }\n";
    let document = parse(source).expect("valid TOML");
    let mirror = read::<Mirror>(&document).expect("fits");
    let n = mirror.n.expect("n is written");
    assert_eq!((*n.get_ref(), &source[n.span()]), (7, "7"));
    assert_eq!(mirror.rate, Some(2.0), "an integer is a number too");
    let any = mirror.any.expect("any is written");
    assert_eq!(any["d"], Value::Datetime("1979-05-27T07:32:00Z".into()));
    assert_eq!(
        any["t"],
        Value::Array(vec![Value::Integer(1), Value::String("a".into())])
    );
}
