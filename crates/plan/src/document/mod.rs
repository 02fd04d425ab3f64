//! The profile text parsed once into a document that knows where everything is written
//! (toml_edit's spans, a public API), and read from it into the serde mirror
//! ([`crate::profile`]) by our own deserializer: every error it gives names the key's
//! dotted path and span, and says what is wrong as data ([`Problem`]), so diagnostics
//! never depend on the wording of serde's or toml's messages.

mod de;
mod error;
mod spanned;
mod value;

use serde::Deserialize;
use toml_edit::ImDocument;

pub(crate) use de::Node;
pub(crate) use error::{Error, Found, Problem, Wanted};
pub(crate) use spanned::Spanned;
pub(crate) use value::Value;

/// [`crate::profile::DurationText`] asks for a newtype struct of this name, so the
/// deserializer knows a duration string is wanted (and says so when it finds another
/// kind of value).
pub(crate) const DURATION: &str = "$klavier::Duration";

/// A parsed profile.
pub(crate) type Document<'a> = ImDocument<&'a str>;

/// Parses `source`: TOML syntax only (a key written twice included).
pub(crate) fn parse(source: &str) -> Result<Document<'_>, toml_edit::TomlError> {
    ImDocument::parse(source)
}

/// Reads the whole document into `T`.
pub(crate) fn read<'a, T: Deserialize<'a>>(document: &'a Document<'a>) -> Result<T, Error> {
    T::deserialize(de::At::root(document.as_table()))
}

#[cfg(test)]
mod tests;
