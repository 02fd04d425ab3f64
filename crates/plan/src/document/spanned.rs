//! [`Spanned`]: a value of the profile with where it is written.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::error::Span;

/// Our deserializer ([`super::de`]) recognises this struct name and hands over the span
/// as the fields below: a protocol between two types of this module, of no one else.
pub(super) const NAME: &str = "$klavier::Spanned";
pub(super) const START: &str = "$klavier::Spanned::start";
pub(super) const END: &str = "$klavier::Spanned::end";
pub(super) const VALUE: &str = "$klavier::Spanned::value";
pub(super) const FIELDS: &[&str] = &[START, END, VALUE];

/// A value with the byte range of the profile text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<T> {
    span: Span,
    value: T,
}

impl<T> Spanned<T> {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        self.span.clone()
    }

    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(NAME, FIELDS, SpannedVisitor(std::marker::PhantomData))
    }
}

struct SpannedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the profile")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
        let (mut start, mut end, mut value) = (None, None, None);
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                START => start = Some(map.next_value::<usize>()?),
                END => end = Some(map.next_value::<usize>()?),
                VALUE => value = Some(map.next_value::<T>()?),
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        match (start, end, value) {
            (Some(start), Some(end), Some(value)) => Ok(Spanned {
                span: start..end,
                value,
            }),
            _ => Err(de::Error::custom(
                "a spanned value needs a start, an end and a value",
            )),
        }
    }
}

/// In the schema a spanned value is just its value: the span is where it was read.
impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}
