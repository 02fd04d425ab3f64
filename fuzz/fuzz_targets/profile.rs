//! Fuzzes the profile compiler: any text, as `klavier check` reads it, gives a plan
//! (which renders) or diagnostics that say something, never a panic.
#![no_main]

use klavier_plan::{compile, Overrides};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match compile(source, "fuzz.toml", &Overrides::default()) {
        Ok(plan) => drop(plan.to_string()),
        Err(e) => {
            assert!(!e.diagnostics().is_empty(), "an error without diagnostics");
            drop(e.to_string());
        }
    }
});
