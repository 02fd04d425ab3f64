//! No text makes `compile` panic: whatever a user writes, they get a plan or diagnostics.

use proptest::prelude::*;

use super::SEED;
use crate::compile::{compile, Overrides};

/// Compiles `source` and renders the outcome, as `klavier check` would.
fn check(source: &str) {
    match compile(source, "fuzz.toml", &Overrides::default()) {
        Ok(plan) => drop(plan.to_string()),
        Err(e) => {
            assert!(!e.diagnostics().is_empty(), "an error without diagnostics");
            drop(e.to_string());
        }
    }
}

/// `SEED` with `edits` applied: (position, character, 0 insert / 1 delete / 2 replace).
fn mutate(edits: &[(usize, char, u8)]) -> String {
    let mut chars: Vec<char> = SEED.chars().collect();
    for &(at, c, kind) in edits {
        let at = at % (chars.len() + 1);
        match kind {
            0 => chars.insert(at, c),
            _ if at == chars.len() => {}
            1 => drop(chars.remove(at)),
            _ => chars[at] = c,
        }
    }
    chars.into_iter().collect()
}

/// Characters that matter to TOML, so mutations reach past the tokenizer.
fn toml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '[', ']', '{', '}', '=', '"', '\'', '.', ',', '\n', '#', '-', '0', '5', ' ', 'x', '/',
            '\\'
        ]),
        any::<char>(),
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(source in ".*") {
        check(&source);
    }

    #[test]
    fn toml_shaped_text_never_panics(
        source in r#"(\[|\]|\[\[|\]\]|=|"|\{|\}|,|\.|\n| |[a-z_]{1,10}|-?[0-9]{1,4}|"[ -~]{0,12}"|true)*"#
    ) {
        check(&source);
    }

    #[test]
    fn mutations_of_the_seed_profile_never_panic(
        edits in prop::collection::vec((any::<usize>(), toml_char(), 0..3u8), 1..6)
    ) {
        check(&mutate(&edits));
    }
}
