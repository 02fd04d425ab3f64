//! The profile an import is about to write: what `har` and `curl` build, what `tokens`
//! rewrites, and what `write` turns into TOML text. Values that a profile would read as
//! templates are [`Text`]: literal parts (written so that `{{` in them stays literal) and
//! variables.

/// A whole profile.
#[derive(Debug, Default)]
pub struct Draft {
    /// Comment lines at the top of the file.
    pub notes: Vec<String>,
    /// `[target] base_url`.
    pub base_url: String,
    /// More `[target]` keys, each with its value written as TOML.
    pub target: Vec<(&'static str, String)>,
    /// `[target] headers`: sent with every request.
    pub headers: Vec<(String, Text)>,
    /// `[timings]` keys beyond the duration, with their TOML values.
    pub timings: Vec<(&'static str, String)>,
    /// Comment lines of `[timings]`.
    pub timing_notes: Vec<String>,
    /// The scenarios, in order.
    pub scenarios: Vec<Scenario>,
}

/// A `[scenarios.NAME]`.
#[derive(Debug, Default)]
pub struct Scenario {
    /// A bare TOML key (letters, digits, `_`).
    pub name: String,
    /// Comment lines above it.
    pub notes: Vec<String>,
    /// Its requests, in order.
    pub requests: Vec<Request>,
}

/// One `[[scenarios.NAME.requests]]`.
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// Comment lines above it.
    pub notes: Vec<String>,
    /// The method, as recorded.
    pub method: String,
    /// Where it goes.
    pub location: Location,
    /// Its own headers, in order.
    pub headers: Vec<(String, Text)>,
    /// Its body.
    pub body: Body,
    /// Variables taken from its response: name and JSONPath.
    pub extract: Vec<(String, String)>,
    /// `redirects = N`, when not the default.
    pub redirects: Option<u32>,
    /// `expect = { status = N }`, for a status the recording got that is not a success.
    pub expect_status: Option<u16>,
}

/// A request's destination.
#[derive(Debug, Clone)]
pub enum Location {
    /// `path = "/…"` below the base URL (with its query).
    Path(Text),
    /// `url = "https://…"` on another origin.
    Url(Text),
}

impl Default for Location {
    fn default() -> Self {
        Location::Path(Text::literal("/"))
    }
}

/// A request body.
#[derive(Debug, Clone, Default)]
pub enum Body {
    /// No body.
    #[default]
    None,
    /// `body = "…"`, sent as it is.
    Raw(Text),
    /// `json = …`, an inline TOML value sent as JSON.
    Json(Json),
    /// `form = { … }`, sent form-urlencoded.
    Form(Vec<(String, Text)>),
}

/// A JSON value a profile can write (TOML has no null).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `true` or `false`.
    Bool(bool),
    /// An integer within TOML's range.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A string, which may hold variables.
    Text(Text),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// `value` as a profile's `json`, or `None` when TOML cannot hold it (a `null`, an
    /// integer beyond 64 bits): such a body is kept as raw text.
    pub fn from_value(value: &serde_json::Value) -> Option<Json> {
        use serde_json::Value as V;
        Some(match value {
            V::Null => return None,
            V::Bool(b) => Json::Bool(*b),
            V::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Json::Int(i),
                (None, Some(f)) if n.is_f64() && f.is_finite() => Json::Float(f),
                _ => return None,
            },
            V::String(s) => Json::Text(Text::literal(s)),
            V::Array(items) => Json::Array(
                items
                    .iter()
                    .map(Json::from_value)
                    .collect::<Option<Vec<_>>>()?,
            ),
            V::Object(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| Some((k.clone(), Json::from_value(v)?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }

    /// Whether `f` holds for any string in it.
    pub fn any_text(&self, f: &dyn Fn(&Text) -> bool) -> bool {
        match self {
            Json::Text(text) => f(text),
            Json::Array(items) => items.iter().any(|i| i.any_text(f)),
            Json::Object(fields) => fields.iter().any(|(_, v)| v.any_text(f)),
            Json::Bool(_) | Json::Int(_) | Json::Float(_) => false,
        }
    }

    /// Calls `f` on every string in it, depth first (to rewrite them).
    pub fn each_text(&mut self, f: &mut dyn FnMut(&mut Text)) {
        match self {
            Json::Text(text) => f(text),
            Json::Array(items) => items.iter_mut().for_each(|i| i.each_text(f)),
            Json::Object(fields) => fields.iter_mut().for_each(|(_, v)| v.each_text(f)),
            Json::Bool(_) | Json::Int(_) | Json::Float(_) => {}
        }
    }
}

/// A string that may hold variables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub Vec<Part>);

/// A piece of a [`Text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Sent as it is (written with any `{{` escaped).
    Literal(String),
    /// `{{ name }}`, or `{{ name | filter }}`.
    Var {
        /// The variable.
        name: String,
        /// A filter applied to it (`urlencode`, `string`).
        filter: Option<&'static str>,
    },
}

impl Text {
    /// A text without variables.
    pub fn literal(text: &str) -> Text {
        Text(vec![Part::Literal(text.to_owned())])
    }

    /// The literal parts joined (variables left out).
    pub fn literal_parts(&self) -> String {
        self.0
            .iter()
            .filter_map(|p| match p {
                Part::Literal(text) => Some(text.as_str()),
                Part::Var { .. } => None,
            })
            .collect()
    }

    /// Whether any part is a variable.
    pub fn has_vars(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// Replaces every occurrence of `needle` in its literal parts (not at byte 0 of the
    /// whole text when `keep_start`) with the variable. Returns whether any was replaced.
    pub fn substitute(
        &mut self,
        needle: &str,
        name: &str,
        filter: Option<&'static str>,
        keep_start: bool,
    ) -> bool {
        if needle.is_empty() {
            return false;
        }
        let mut replaced = false;
        let mut parts = Vec::with_capacity(self.0.len());
        for (index, part) in std::mem::take(&mut self.0).into_iter().enumerate() {
            let text = match part {
                Part::Literal(text) => text,
                var @ Part::Var { .. } => {
                    parts.push(var);
                    continue;
                }
            };
            let mut rest = text.as_str();
            let mut at_start = index == 0 && keep_start;
            while let Some(found) = find_from(rest, needle, at_start) {
                if found > 0 {
                    parts.push(Part::Literal(rest[..found].to_owned()));
                }
                parts.push(Part::Var {
                    name: name.to_owned(),
                    filter,
                });
                rest = &rest[found + needle.len()..];
                at_start = false;
                replaced = true;
            }
            if !rest.is_empty() {
                parts.push(Part::Literal(rest.to_owned()));
            }
        }
        self.0 = parts;
        replaced
    }
}

/// The first occurrence of `needle` in `text`, skipping one at byte 0 when asked.
fn find_from(text: &str, needle: &str, skip_start: bool) -> Option<usize> {
    let start = usize::from(skip_start && text.starts_with(needle));
    let from = if start == 1 {
        text.char_indices().nth(1).map_or(text.len(), |(i, _)| i)
    } else {
        0
    };
    text[from..].find(needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str) -> Part {
        Part::Var {
            name: name.to_owned(),
            filter: None,
        }
    }

    #[test]
    fn substitution_splits_literals_around_each_occurrence() {
        let mut text = Text::literal("Bearer abc and abc");
        assert!(text.substitute("abc", "token", None, false));
        assert_eq!(
            text.0,
            [
                Part::Literal("Bearer ".into()),
                var("token"),
                Part::Literal(" and ".into()),
                var("token"),
            ]
        );
        assert!(!text.substitute("zzz", "other", None, false));
        assert_eq!(text.literal_parts(), "Bearer  and ");
    }

    #[test]
    fn a_path_never_starts_with_a_variable() {
        let mut path = Text::literal("abc/x/abc");
        assert!(path.substitute("abc", "t", None, true));
        assert_eq!(
            path.0,
            [Part::Literal("abc/x/".into()), var("t")],
            "the one at the start stays literal"
        );
    }

    #[test]
    fn json_without_null_is_kept_as_a_table() {
        let value = serde_json::json!({"a": [1, 2.5, "x", true], "b": {"c": "d"}});
        let json = Json::from_value(&value).expect("representable");
        assert!(matches!(json, Json::Object(ref fields) if fields.len() == 2));
        assert_eq!(Json::from_value(&serde_json::json!({"a": null})), None);
        assert_eq!(
            Json::from_value(&serde_json::json!(u64::MAX)),
            None,
            "beyond TOML's integers"
        );
    }
}
