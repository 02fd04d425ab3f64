//! The profile's JSON Schema, derived from the serde mirror of the file
//! (the crate's private `profile` module), so an editor's completion and validation (taplo, Even Better
//! TOML) know exactly the keys and TOML types the compiler reads. What the schema cannot
//! say (a weight above zero, a path starting with `/`, a template's variables) stays
//! the compiler's, with its line:column messages. `schema/profile.v1.json` is this,
//! written out; a test keeps the two equal.

use schemars::generate::SchemaSettings;

use crate::profile::Profile;

/// Where the schema is published in the repository.
pub const PATH: &str = "schema/profile.v1.json";

/// The schema, as JSON.
pub fn profile_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Profile>().to_value();
    // TOML has no null: an optional key is one that may be left out, not one that may
    // be null, so the `null` schemars adds to every `Option` is taken out again.
    without_null(&mut schema);
    if let serde_json::Value::Object(root) = &mut schema {
        root.insert("title".into(), "Klavier profile".into());
        root.insert(
            "description".into(),
            "A Klavier load-test profile (TOML). Keys and types only: `klavier check` \
             validates the rest, with line and column."
                .into(),
        );
    }
    schema
}

/// Removes `null` from every `"type"` list and every `anyOf`, recursively; an `anyOf`
/// left with one schema is replaced by it (its keys merged into the parent's).
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Array(items) => items.iter_mut().for_each(without_null),
        Value::Object(map) => {
            map.values_mut().for_each(without_null);
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            let null = serde_json::json!({ "type": "null" });
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| *o != null);
                if options.len() == 1 {
                    if let Some(Value::Object(only)) = options.pop() {
                        map.remove("anyOf");
                        for (key, v) in only {
                            map.entry(key).or_insert(v);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The schema as the committed file holds it: pretty, with a final newline.
pub fn profile_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&profile_schema()).expect("a JSON value serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_schema_is_the_one_the_types_make() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(PATH);
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            published == profile_schema_text(),
            "{PATH} is out of date with the profile's types: run\n  \
             cargo run -p klavier-plan --example profile_schema > {PATH}"
        );
    }

    #[test]
    fn optional_keys_may_be_left_out_but_are_never_null() {
        let text = profile_schema_text();
        assert!(!text.contains("\"null\""), "TOML has no null");
        let schema = profile_schema();
        assert_eq!(
            schema["additionalProperties"], false,
            "unknown keys are errors"
        );
        let request = &schema["$defs"]["RequestProfile"]["properties"];
        assert_eq!(request["path"]["type"], "string");
        assert_eq!(request["timeout"]["type"], "string");
    }
}
