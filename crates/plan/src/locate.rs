//! Where each key's value sits in the TOML text, by dotted path (`scenarios.login.weight`,
//! `scenarios.login.requests[0].path`), read from the parsed document's spans: for
//! diagnostics that point at tables and at values the serde mirror keeps unspanned.

use crate::document::{Document, Node};
use crate::error::Span;

/// Every key and array element of a document, flattened, with its span.
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
    /// Indexes `document`.
    pub fn new(document: &Document<'_>) -> Self {
        let mut entries = Vec::new();
        flatten(Node::Table(document.as_table()), "", &mut entries);
        Self { entries }
    }

    /// The span of `path`: its own, or else (implied tables) from its first spanned
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

fn flatten(node: Node<'_>, path: &str, entries: &mut Vec<Entry>) {
    let children: Vec<(String, Node<'_>)> = match node {
        Node::Table(_) | Node::Inline(_) => node
            .entries()
            .into_iter()
            .map(|(key, _, child)| (join(path, key), child))
            .collect(),
        Node::Tables(_) | Node::Array(_) => node
            .elements()
            .into_iter()
            .enumerate()
            .map(|(i, child)| (index(path, i), child))
            .collect(),
        Node::Scalar(_) => return,
    };
    for (child_path, child) in children {
        // An implied table has no span of its own: `span_of` looks below it.
        let span = match child {
            Node::Table(t) if t.span().is_none() => None,
            _ => child.span(),
        };
        entries.push(Entry {
            path: child_path.clone(),
            span,
        });
        flatten(child, &child_path, entries);
    }
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
        let document = crate::document::parse(SOURCE).expect("valid TOML");
        let locator = Locator::new(&document);
        let span = locator.span_of("scenarios.login.requests[1].path");
        assert_eq!(span.map(text_at), Some(r#""/b""#));
        let span = locator.span_of("scenarios.login.requests[0].headers.X-A");
        assert_eq!(span.map(text_at), Some(r#""1""#));
    }

    #[test]
    fn implicit_tables_borrow_their_first_descendant_span() {
        // `[scenarios]` is never written: toml gives it no span of its own.
        let document = crate::document::parse(SOURCE).expect("valid TOML");
        let locator = Locator::new(&document);
        let span = locator.span_of("scenarios").map(|s| s.start);
        assert_eq!(span, SOURCE.find("[scenarios.login]"));
    }

    #[test]
    fn join_quotes_keys_that_are_not_bare() {
        assert_eq!(join("", "target"), "target");
        assert_eq!(join("a", "b-c_1"), "a.b-c_1");
        assert_eq!(join("a", "my key"), r#"a."my key""#);
    }
}
