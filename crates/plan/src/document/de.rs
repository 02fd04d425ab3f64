//! A serde deserializer over the parsed document ([`toml_edit::ImDocument`]): each value
//! knows its dotted path and span, so every error it raises says where, and says what as
//! data ([`Problem`]) rather than in serde's English.

use serde::de::value::{
    BorrowedStrDeserializer, MapDeserializer, SeqDeserializer, UsizeDeserializer,
};
use serde::de::{DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use toml_edit::{Array, ArrayOfTables, InlineTable, Item, Table, Value as Scalar};

use super::error::{Error, Found, Problem, Wanted};
use super::{spanned, value, DURATION};
use crate::error::Span;
use crate::locate::{index, join};

/// One value of the document, of any kind toml_edit distinguishes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node<'a> {
    /// A `[header]` table, or one implied by dotted keys or a deeper header.
    Table(&'a Table),
    /// A `{ … }` table.
    Inline(&'a InlineTable),
    /// `[[header]]` tables.
    Tables(&'a ArrayOfTables),
    /// A `[ … ]` array.
    Array(&'a Array),
    /// A string, number, boolean or datetime.
    Scalar(&'a Scalar),
}

impl<'a> Node<'a> {
    pub fn of_item(item: &'a Item) -> Option<Self> {
        match item {
            Item::None => None,
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Tables(a)),
            Item::Value(v) => Some(Node::of_value(v)),
        }
    }

    pub fn of_value(value: &'a Scalar) -> Self {
        match value {
            Scalar::InlineTable(t) => Node::Inline(t),
            Scalar::Array(a) => Node::Array(a),
            scalar => Node::Scalar(scalar),
        }
    }

    /// Where the value is written: its own span, or for an implied table (which has
    /// none) from its first key on.
    pub fn span(self) -> Option<Span> {
        match self {
            Node::Table(t) if t.span().is_none() => self
                .entries()
                .into_iter()
                .filter_map(|(_, key, child)| {
                    let child = child.span();
                    let start = match (key, child) {
                        (Some(k), Some(c)) => k.start.min(c.start),
                        (k, c) => k.or(c)?.start,
                    };
                    Some(start..start)
                })
                .min_by_key(|s| s.start),
            Node::Table(t) => t.span(),
            Node::Inline(t) => t.span(),
            Node::Tables(a) => a.span(),
            Node::Array(a) => a.span(),
            Node::Scalar(v) => v.span(),
        }
    }

    /// A table's keys in file order, each with its key's span and its value.
    pub fn entries(self) -> Vec<(&'a str, Option<Span>, Node<'a>)> {
        let key_span = |key: Option<&toml_edit::Key>| key.and_then(toml_edit::Key::span);
        match self {
            Node::Table(t) => t
                .iter()
                .filter_map(|(k, item)| Some((k, key_span(t.key(k)), Node::of_item(item)?)))
                .collect(),
            Node::Inline(t) => t
                .iter()
                .map(|(k, v)| (k, key_span(t.key(k)), Node::of_value(v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// An array's elements in order.
    pub fn elements(self) -> Vec<Node<'a>> {
        match self {
            Node::Tables(a) => a.iter().map(Node::Table).collect(),
            Node::Array(a) => a.iter().map(Node::of_value).collect(),
            _ => Vec::new(),
        }
    }

    fn found(self) -> Found {
        match self {
            Node::Table(t) => Found::Table {
                implicit: t.is_implicit() || t.is_dotted(),
            },
            Node::Inline(_) => Found::Table { implicit: false },
            Node::Tables(_) | Node::Array(_) => Found::Array,
            Node::Scalar(v) => match v {
                Scalar::String(s) => Found::String(s.value().clone()),
                Scalar::Integer(i) => Found::Integer(*i.value()),
                Scalar::Float(x) => Found::Float(*x.value()),
                Scalar::Boolean(b) => Found::Boolean(*b.value()),
                Scalar::Datetime(d) => Found::Datetime(d.value().to_string()),
                Scalar::Array(_) => Found::Array,
                Scalar::InlineTable(_) => Found::Table { implicit: false },
            },
        }
    }
}

/// A value of the document at a dotted path: the deserializer.
#[derive(Debug, Clone)]
pub(crate) struct At<'a> {
    node: Node<'a>,
    path: String,
}

impl<'a> At<'a> {
    /// The whole document.
    pub fn root(table: &'a Table) -> Self {
        Self {
            node: Node::Table(table),
            path: String::new(),
        }
    }

    fn mismatch(&self, wanted: Wanted) -> Error {
        let problem = Problem::Mismatch {
            wanted,
            found: self.node.found(),
        };
        Error::new(problem).at(&self.path, self.node.span())
    }

    fn locate(&self, error: Error) -> Error {
        error.at(&self.path, self.node.span())
    }

    fn string(&self, wanted: Wanted) -> Result<&'a str, Error> {
        match self.node {
            Node::Scalar(Scalar::String(s)) => Ok(s.value()),
            _ => Err(self.mismatch(wanted)),
        }
    }

    fn table<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let entries = match self.node {
            Node::Table(_) | Node::Inline(_) => self.node.entries(),
            _ => return Err(self.mismatch(Wanted::Table)),
        };
        let access = TableAccess {
            entries: entries.into_iter(),
            path: &self.path,
            value: None,
        };
        visitor
            .visit_map(access)
            .map_err(|error| match error.problem {
                // Raised once every key is read: the key belongs to this table.
                Problem::Missing { key } if error.span.is_none() => {
                    error.at(&join(&self.path, key), self.node.span())
                }
                _ => self.locate(error),
            })
    }

    fn spanned<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        let span = self.node.span().unwrap_or_default();
        visitor.visit_map(SpannedAccess {
            span,
            value: Some(self),
            field: 0,
        })
    }
}

impl<'de> Deserializer<'de> for At<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.node {
            Node::Scalar(Scalar::String(s)) => visitor.visit_borrowed_str(s.value()),
            Node::Scalar(Scalar::Integer(i)) => visitor.visit_i64(*i.value()),
            Node::Scalar(Scalar::Float(x)) => visitor.visit_f64(*x.value()),
            Node::Scalar(Scalar::Boolean(b)) => visitor.visit_bool(*b.value()),
            Node::Scalar(Scalar::Datetime(d)) => {
                // To [`value::Value`], as a one-entry map: our protocol for datetimes.
                let entry = (value::DATETIME_KEY, d.value().to_string());
                visitor.visit_map(MapDeserializer::new(std::iter::once(entry)))
            }
            Node::Table(_) | Node::Inline(_) => return self.table(visitor),
            Node::Tables(_) | Node::Array(_) | Node::Scalar(_) => {
                return self.deserialize_seq(visitor)
            }
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Scalar(Scalar::Boolean(b)) => visitor.visit_bool(*b.value()),
            _ => Err(self.mismatch(Wanted::Boolean)),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Scalar(Scalar::Integer(i)) => visitor.visit_i64(*i.value()),
            _ => Err(self.mismatch(Wanted::Integer)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            // As TOML readers do: an integer is a number too.
            Node::Scalar(Scalar::Integer(i)) => visitor.visit_f64(*i.value() as f64),
            Node::Scalar(Scalar::Float(x)) => visitor.visit_f64(*x.value()),
            _ => Err(self.mismatch(Wanted::Number)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.string(Wanted::String)?;
        visitor.visit_borrowed_str(text).map_err(|e| self.locate(e))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // A key that is written is always `Some`.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == DURATION {
            let text = self.string(Wanted::Duration)?;
            return visitor.visit_borrowed_str(text).map_err(|e| self.locate(e));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let elements = match self.node {
            Node::Tables(_) | Node::Array(_) => self.node.elements(),
            _ => return Err(self.mismatch(Wanted::Array)),
        };
        let path = &self.path;
        let at = |(i, node)| At {
            node,
            path: index(path, i),
        };
        let mut access = SeqDeserializer::new(elements.into_iter().enumerate().map(at));
        let value = visitor.visit_seq(&mut access).map_err(|e| self.locate(e))?;
        access.end().map_err(|e| self.locate(e))?;
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.table(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == spanned::NAME {
            return self.spanned(visitor);
        }
        self.table(visitor)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u64 u128 f32 char bytes byte_buf unit unit_struct
        tuple tuple_struct enum identifier ignored_any
    }
}

/// So arrays can use serde's own [`SeqDeserializer`].
impl<'de> IntoDeserializer<'de, Error> for At<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// A table's entries, each value deserialized at its own path.
struct TableAccess<'a, 'p> {
    entries: std::vec::IntoIter<(&'a str, Option<Span>, Node<'a>)>,
    path: &'p str,
    value: Option<At<'a>>,
}

impl<'de> MapAccess<'de> for TableAccess<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, key_span, node)) = self.entries.next() else {
            return Ok(None);
        };
        let path = join(self.path, key);
        let key_de: BorrowedStrDeserializer<'de, Error> = BorrowedStrDeserializer::new(key);
        // An unknown key is reported at the key.
        let key = seed
            .deserialize(key_de)
            .map_err(|e| e.at(&path, key_span))?;
        self.value = Some(At { node, path });
        Ok(Some(key))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let value = self
            .value
            .take()
            .expect("serde asks for a value only after its key");
        seed.deserialize(value)
    }
}

/// The fields [`spanned::Spanned`] asks for: start, end, then the value.
struct SpannedAccess<'a> {
    span: Span,
    value: Option<At<'a>>,
    field: usize,
}

impl<'de> MapAccess<'de> for SpannedAccess<'de> {
    type Error = Error;

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let field = self.field;
        self.field += 1;
        match field {
            0 => seed.deserialize(UsizeDeserializer::<Error>::new(self.span.start)),
            1 => seed.deserialize(UsizeDeserializer::<Error>::new(self.span.end)),
            _ => {
                let value = self.value.take().expect("the value is asked for once");
                seed.deserialize(value)
            }
        }
    }

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let name = spanned::FIELDS.get(self.field);
        name.map(|&name| seed.deserialize(BorrowedStrDeserializer::<Error>::new(name)))
            .transpose()
    }
}
