//! [`Value`]: any TOML value, for the keys whose type `compile` checks itself
//! (`[variables]`, `json`, `query`, `form`, `expect.status`, `expect.json`).

use indexmap::IndexMap;
use std::fmt::{self, Write as _};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Our deserializer hands a datetime over as a one-entry map with this key and the
/// datetime's text: a protocol between [`super::de`] and [`Value`], of no one else.
pub(super) const DATETIME_KEY: &str = "$klavier::Datetime";

/// A TOML value as written. A datetime keeps its text (RFC 3339 or a TOML local date or
/// time), which is also what it becomes wherever a string is sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum Value {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// A datetime, as its text.
    Datetime(String),
    /// An array.
    Array(Vec<Value>),
    /// A table, keys sorted.
    Table(IndexMap<String, Value>),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// TOML's name of the value's type, for messages.
    pub fn type_str(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Integer(_) => "integer",
            Value::Float(_) => "float",
            Value::Boolean(_) => "boolean",
            Value::Datetime(_) => "datetime",
            Value::Array(_) => "array",
            Value::Table(_) => "table",
        }
    }
}

/// The value as TOML would write it inline: `"text"`, `1.0`, `[1, 2]`, `{ a = 1 }`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_string(s, f),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Float(x) => write_float(*x, f),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Datetime(d) => f.write_str(d),
            Value::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Value::Table(table) => {
                f.write_char('{')?;
                for (i, (key, item)) in table.iter().enumerate() {
                    f.write_str(if i > 0 { ", " } else { " " })?;
                    write!(f, "{} = {item}", crate::locate::join("", key))?;
                }
                f.write_str(if table.is_empty() { "}" } else { " }" })
            }
        }
    }
}

/// A TOML basic string.
fn write_string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// A TOML float: always with a fraction or exponent, `inf` and `nan` as words.
fn write_float(x: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if x.is_nan() {
        return f.write_str(if x.is_sign_negative() { "-nan" } else { "nan" });
    }
    if x.is_infinite() {
        return f.write_str(if x < 0.0 { "-inf" } else { "inf" });
    }
    let text = x.to_string();
    if text.contains(['.', 'e', 'E']) {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Boolean(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Integer(i))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut table = IndexMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == DATETIME_KEY {
                return Ok(Value::Datetime(map.next_value()?));
            }
            table.insert(key, map.next_value()?);
        }
        Ok(Value::Table(table))
    }
}

/// Any TOML value: which ones a key accepts is the compiler's to say, with its own
/// messages (a `json` body may be anything; a `query` value a string, number or
/// boolean).
impl schemars::JsonSchema for Value {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AnyValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "any TOML value" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_display_as_inline_toml() {
        let table = IndexMap::from([
            ("a".to_owned(), Value::Integer(1)),
            ("b c".to_owned(), Value::Boolean(true)),
        ]);
        #[rustfmt::skip]
        let cases = [
            (Value::String("ok".into()), r#""ok""#),
            (Value::String("a\"b\\\n".into()), r#""a\"b\\\n""#),
            (Value::Float(1.0), "1.0"),
            (Value::Float(1.5), "1.5"),
            (Value::Float(f64::NEG_INFINITY), "-inf"),
            (Value::Datetime("1979-05-27".into()), "1979-05-27"),
            (Value::Array(vec![Value::Integer(1), Value::String("x".into())]), r#"[1, "x"]"#),
            (Value::Table(table), r#"{ a = 1, "b c" = true }"#),
            (Value::Table(IndexMap::new()), "{}"),
        ];
        for (value, want) in cases {
            assert_eq!(value.to_string(), want);
        }
    }
}
