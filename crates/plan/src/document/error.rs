//! What can go wrong reading the profile into its serde mirror, as data: which key,
//! where, what was wanted and what was found. `compile` words it for the user.

use std::fmt;

use serde::de;

use crate::error::Span;

/// The kind of value a key of the profile takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// An integer.
    Integer,
    /// An integer or a float.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A string.
    String,
    /// A duration string such as `"30s"`.
    Duration,
    /// An array.
    Array,
    /// A table.
    Table,
}

impl Wanted {
    /// Whether this is a single value rather than an array or a table.
    pub fn is_leaf(self) -> bool {
        !matches!(self, Wanted::Array | Wanted::Table)
    }
}

/// The value found where another kind was wanted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// A datetime, as written.
    Datetime(String),
    /// An array (of values or of tables).
    Array,
    /// A table; `implicit` when no `[header]` or `{ … }` writes it, only dotted keys
    /// (`base_url.x = …`) or a deeper header.
    Table {
        /// Whether the table is only implied.
        implicit: bool,
    },
}

/// Why the profile does not fit its mirror.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    /// A key the table does not take; `valid` are the keys it does take.
    UnknownKey {
        /// The key as written.
        key: String,
        /// The table's keys.
        valid: &'static [&'static str],
    },
    /// A value of the wrong kind.
    Mismatch {
        /// What the key takes.
        wanted: Wanted,
        /// What was written.
        found: Found,
    },
    /// A required key that is not written.
    Missing {
        /// The key.
        key: &'static str,
    },
    /// Anything else, in serde's words (no profile type raises one).
    Other(String),
}

/// A [`Problem`], with the dotted path of the key (`scenarios.s.weight`) and the span of
/// the text it concerns, once known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Error {
    /// What is wrong.
    pub problem: Problem,
    /// The key's dotted path.
    pub path: String,
    /// Where in the text.
    pub span: Option<Span>,
}

impl Error {
    pub(super) fn new(problem: Problem) -> Self {
        Self {
            problem,
            path: String::new(),
            span: None,
        }
    }

    /// Locates the error at `path`/`span` unless a deeper value already did.
    pub(super) fn at(mut self, path: &str, span: Option<Span>) -> Self {
        if self.span.is_none() {
            self.path = path.to_owned();
            self.span = span;
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.path, self.problem)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(Problem::Other(message.to_string()))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(Problem::UnknownKey {
            key: field.to_owned(),
            valid: expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        // The table's deserializer adds the table's path and span.
        Self::new(Problem::Missing { key: field })
    }
}
