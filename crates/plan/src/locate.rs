//! Where each key's value sits in the TOML text, by dotted path (`scenarios.login.weight`,
//! `scenarios.login.requests[0].path`). Two uses, both for diagnostics only:
//! naming the field of a toml/serde error (toml reports a position but no key path), and
//! pointing at tables, which the serde mirror cannot span.
//!
//! The tree is read through toml's `Spanned` protocol, but tolerantly: toml gives no span to
//! implicit tables and `serde_spanned::Spanned` fails on them, so this module speaks the
//! protocol itself and accepts a plain table where a spanned value was asked for.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_spanned::__unstable as spanned;

use crate::error::Span;

/// Every key and array element of a document, flattened, with its span when toml has one.
#[derive(Debug, Default)]
pub(crate) struct Locator {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    path: String,
    span: Option<Span>,
}

impl Locator {
    /// Indexes `source`; a document that does not parse gives an empty index.
    pub fn new(source: &str) -> Self {
        let mut entries = Vec::new();
        if let Ok(root) = toml::from_str::<Located>(source) {
            flatten(&root.node, String::new(), &mut entries);
        }
        Self { entries }
    }

    /// The span of `path`: its own, or else (implicit tables) from its first spanned
    /// descendant.
    pub fn span_of(&self, path: &str) -> Option<Span> {
        let own = self.entries.iter().find(|e| e.path == path);
        if let Some(span) = own.and_then(|e| e.span.clone()) {
            return Some(span);
        }
        self.entries
            .iter()
            .filter(|e| is_descendant(&e.path, path))
            .filter_map(|e| e.span.clone())
            .min_by_key(|s| s.start)
    }

    /// The path of the innermost value whose span contains `offset`.
    pub fn path_at(&self, offset: usize) -> Option<&str> {
        self.entries
            .iter()
            .filter_map(|e| Some((e, e.span.clone()?)))
            .filter(|(_, s)| s.start <= offset && offset < s.end.max(s.start + 1))
            .min_by_key(|(_, s)| s.end - s.start)
            .map(|(e, _)| e.path.as_str())
    }

    /// The path of key `key` written at `offset`: the entry with that last key whose value
    /// contains `offset` (a `[table]` header) or else starts soonest after it (`key = value`).
    pub fn path_of_key(&self, key: &str, offset: usize) -> Option<&str> {
        let candidates = || {
            self.entries
                .iter()
                .filter(|e| last_key(&e.path) == key)
                .filter_map(|e| Some((e, e.span.clone()?)))
        };
        let containing = candidates()
            .filter(|(_, s)| s.contains(&offset))
            .min_by_key(|(_, s)| s.end - s.start);
        let following = || {
            candidates()
                .filter(|(_, s)| s.start >= offset)
                .min_by_key(|(_, s)| s.start)
        };
        containing.or_else(following).map(|(e, _)| e.path.as_str())
    }
}

/// `parent.key`, quoting `key` unless it is a bare TOML key.
pub(crate) fn join(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

fn is_descendant(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn last_key(path: &str) -> &str {
    let tail = path.rsplit('.').next().unwrap_or(path);
    tail.trim_matches('"')
}

fn flatten(node: &Node, path: String, entries: &mut Vec<Entry>) {
    let children: Vec<(String, &Located)> = match node {
        Node::Leaf => return,
        Node::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (index(&path, i), item))
            .collect(),
        Node::Table(pairs) => pairs.iter().map(|(k, v)| (join(&path, k), v)).collect(),
    };
    for (child, located) in children {
        entries.push(Entry {
            path: child.clone(),
            span: located.span.clone(),
        });
        flatten(&located.node, child, entries);
    }
}

/// A TOML value with its span, if toml knows it.
#[derive(Debug)]
struct Located {
    span: Option<Span>,
    node: Node,
}

#[derive(Debug)]
enum Node {
    Leaf,
    Array(Vec<Located>),
    Table(Vec<(String, Located)>),
}

impl Located {
    fn unspanned(node: Node) -> Self {
        Self { span: None, node }
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Asking for the spanned struct makes toml hand over the span where it has one.
        const FIELDS: [&str; 3] = [
            spanned::START_FIELD,
            spanned::END_FIELD,
            spanned::VALUE_FIELD,
        ];
        deserializer.deserialize_struct(spanned::NAME, &FIELDS, LocatedVisitor)
    }
}

/// The value inside a spanned wrapper: read as-is, so it is not unwrapped twice.
struct Plain(Located);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LocatedVisitor).map(Plain)
    }
}

struct LocatedVisitor;

impl<'de> Visitor<'de> for LocatedVisitor {
    type Value = Located;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Located, E> {
        Ok(Located::unspanned(Node::Leaf))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Located, E> {
        Ok(Located::unspanned(Node::Leaf))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Located, E> {
        Ok(Located::unspanned(Node::Leaf))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Located, E> {
        Ok(Located::unspanned(Node::Leaf))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Located, E> {
        Ok(Located::unspanned(Node::Leaf))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Located, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Located::unspanned(Node::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Located::unspanned(Node::Table(Vec::new())));
        };
        if first == spanned::START_FIELD {
            return read_spanned(map);
        }
        let mut pairs = vec![(first, map.next_value::<Located>()?)];
        while let Some((key, value)) = map.next_entry::<String, Located>()? {
            pairs.push((key, value));
        }
        Ok(Located::unspanned(Node::Table(pairs)))
    }
}

/// The rest of a spanned wrapper, after its start key.
fn read_spanned<'de, A: MapAccess<'de>>(mut map: A) -> Result<Located, A::Error> {
    let start: usize = map.next_value()?;
    let (mut end, mut node) = (start, Node::Leaf);
    while let Some(key) = map.next_key::<String>()? {
        if key == spanned::END_FIELD {
            end = map.next_value()?;
        } else if key == spanned::VALUE_FIELD {
            node = map.next_value::<Plain>()?.0.node;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(Located {
        span: Some(start..end),
        node,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/a"
headers = { "X-A" = "1" }
[[scenarios.login.requests]]
path = "/b"
[target]
base_url = "http://h"
"#;

    fn text_at(span: Span) -> &'static str {
        &SOURCE[span]
    }

    #[test]
    fn leaves_have_their_value_span() {
        let locator = Locator::new(SOURCE);
        let span = locator.span_of("scenarios.login.requests[1].path");
        assert_eq!(span.map(text_at), Some(r#""/b""#));
        let span = locator.span_of("scenarios.login.requests[0].headers.X-A");
        assert_eq!(span.map(text_at), Some(r#""1""#));
    }

    #[test]
    fn implicit_tables_borrow_their_first_descendant_span() {
        // `[scenarios]` is never written: toml gives it no span of its own.
        let locator = Locator::new(SOURCE);
        let span = locator.span_of("scenarios").map(|s| s.start);
        assert_eq!(span, SOURCE.find("[scenarios.login]"));
    }

    #[test]
    fn path_at_finds_the_innermost_value() {
        let locator = Locator::new(SOURCE);
        let offset = SOURCE.find("\"/b\"").unwrap_or_default();
        assert_eq!(
            locator.path_at(offset),
            Some("scenarios.login.requests[1].path")
        );
    }

    #[test]
    fn path_of_key_finds_the_key_written_there() {
        let locator = Locator::new(SOURCE);
        let offset = SOURCE.find("weight").unwrap_or_default();
        assert_eq!(
            locator.path_of_key("weight", offset),
            Some("scenarios.login.weight")
        );
    }

    #[test]
    fn join_quotes_keys_that_are_not_bare() {
        assert_eq!(join("", "target"), "target");
        assert_eq!(join("a", "b-c_1"), "a.b-c_1");
        assert_eq!(join("a", "my key"), r#"a."my key""#);
    }
}
