//! Fuzzes the template engine end to end: any text placed in a request's path, a
//! header value and the body is either refused when the profile is compiled, or
//! renders for a user to a request (or to a counted render error), never a panic.
#![no_main]

use klavier::{Session, Shared};
use klavier_plan::{compile, Overrides};
use libfuzzer_sys::fuzz_target;

/// `text` as the inside of a TOML basic string.
fn toml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 1024 {
        return;
    }
    let t = toml_escape(text);
    let profile = format!(
        r#"[target]
base_url = "http://127.0.0.1:9"
[variables]
name = "ann"
items = "a,b,c"
[scenarios.s]
[[scenarios.s.requests]]
path = "/x/{t}"
headers = {{ "X-A" = "{t}" }}
body = "{t}"
[timings]
test_duration_seconds = 1
"#
    );
    let Ok(plan) = compile(&profile, "fuzz.toml", &Overrides::default()) else {
        return;
    };
    let shared = Shared::new(&plan);
    let Ok(mut session) = Session::start(&shared, 0, 7) else {
        return;
    };
    let scenario = shared.scenario_names[0].clone();
    if session.begin_iteration(&shared, 0, &scenario).is_err() {
        return;
    }
    let mut scratch = String::new();
    for request in &plan.scenarios[0].requests {
        let _ = session.render_request(&shared.renderer, request, &mut scratch);
    }
});
