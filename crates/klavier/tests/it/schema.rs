//! `schema/profile.v1.json` against real profiles: every example and every cookbook
//! profile is valid; every case of the bad-input corpus that is a wrong TOML type or an
//! unknown key (what a schema can express) is invalid, so an editor flags it as
//! `klavier check` would.

use std::path::Path;

use serde_json::Value;

use crate::support::repo_file;

pub fn validator() -> jsonschema::Validator {
    let path = repo_file("schema/profile.v1.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// A TOML profile as JSON, as an editor's TOML language server sees it.
pub fn as_json(text: &str, name: &str) -> Value {
    let value: toml::Value =
        toml::from_str(text).unwrap_or_else(|e| panic!("{name} is not TOML: {e}"));
    serde_json::to_value(value).expect("TOML converts to JSON")
}

pub fn problems(validator: &jsonschema::Validator, profile: &Value) -> Vec<String> {
    validator
        .iter_errors(profile)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

/// The TOML blocks of the cookbook marked as files.
fn cookbook_profiles() -> Vec<(String, String)> {
    let page = std::fs::read_to_string(repo_file("docs/cookbook.md")).expect("the cookbook");
    page.split("<!-- file: ")
        .skip(1)
        .filter_map(|part| {
            let (name, rest) = part.split_once(" -->\n```toml\n")?;
            let (body, _) = rest.split_once("\n```")?;
            Some((name.to_owned(), format!("{body}\n")))
        })
        .collect()
}

#[test]
fn every_example_and_cookbook_profile_is_valid_against_the_schema() {
    let validator = validator();
    let mut profiles: Vec<(String, String)> = cookbook_profiles();
    assert!(
        profiles.len() >= 5,
        "the cookbook's profiles were not found"
    );
    for entry in std::fs::read_dir(repo_file("examples")).expect("examples/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).expect("readable");
            profiles.push((path.display().to_string(), text));
        }
    }
    let mut invalid = Vec::new();
    for (name, text) in &profiles {
        let found = problems(&validator, &as_json(text, name));
        if !found.is_empty() {
            invalid.push(format!("{name}:\n  {}", found.join("\n  ")));
        }
    }
    assert!(
        invalid.is_empty(),
        "valid profiles the schema refuses:\n{}",
        invalid.join("\n")
    );
}

#[test]
fn wrong_types_and_unknown_keys_of_the_corpus_are_invalid_against_the_schema() {
    let validator = validator();
    let cases = repo_file("crates/klavier/tests/bad_input/cases");
    let mut checked = 0;
    let mut accepted = Vec::new();
    for entry in std::fs::read_dir(&cases).expect("the corpus") {
        let path = entry.expect("an entry").path();
        let name = file_name(&path);
        if !(name.starts_with("type-") || name.starts_with("unknown-key")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        checked += 1;
        if problems(&validator, &as_json(&text, &name)).is_empty() {
            accepted.push(name);
        }
    }
    assert!(checked >= 25, "only {checked} corpus cases found");
    assert!(
        accepted.is_empty(),
        "the schema accepts what check refuses: {accepted:?}"
    );
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}
