//! `klavier import har` on the recorded journey of `tests/fixtures/journey.har` (written
//! to the HAR 1.2 spec against the built-in target's endpoints): the profile compiles
//! as `klavier check` would, and says what the recording did.

use std::path::Path;

use super::recording::{self, Grouping, Options};
use super::{har, write};

const JOURNEY: &str = include_str!("../../tests/fixtures/journey.har");

fn import(options: Options) -> (String, klavier_plan::Plan) {
    let path = Path::new("journey.har");
    let har = har::parse(JOURNEY, path).expect("the fixture is a HAR");
    let draft = recording::draft(&har, path, &options).expect("imports");
    let text = write::profile(&draft);
    let plan = klavier_plan::compile(&text, "journey.toml", &klavier_plan::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, plan)
}

fn options(grouping: Grouping) -> Options {
    Options {
        include_assets: false,
        keep_auth: false,
        grouping,
    }
}

#[test]
fn a_journey_becomes_one_scenario_in_recorded_order() {
    let (text, plan) = import(options(Grouping::Recording));
    assert_eq!(plan.scenarios.len(), 1);
    let names: Vec<&str> = plan.scenarios[0]
        .requests
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "GET /api/health",
            "GET /api/health",
            "POST /api/session/login",
            "GET /api/session/me",
            "GET /echo?from=me&token={{ access_token }}",
            "POST /echo",
            "POST /api/session/logout",
            "GET /cookies/set?theme=dark",
            "GET /cookies",
        ],
        "{text}"
    );
    let other = &plan.scenarios[0].requests[1];
    assert_eq!(other.uri.to_string(), "http://127.0.0.1:8081/api/health");
    assert!(
        text.contains(r#"base_url = "http://127.0.0.1:8080""#),
        "{text}"
    );
    assert!(
        text.contains(r#"extract = { access_token = { json = "$.access_token" } }"#),
        "{text}"
    );
    assert!(
        text.contains(r#"Authorization = "Bearer {{ access_token }}""#),
        "a correlated bearer holds no recorded secret: {text}"
    );
    assert!(text.contains(r#"ref = "{{ access_token }}""#), "{text}");
    assert!(
        !text.contains("tok-1-616e6e"),
        "no recorded token is left: {text}"
    );
    assert!(!text.contains("Cookie ="), "cookies are the jar's: {text}");
    assert!(text.contains("cookie ×"), "the comment counts them: {text}");
    for asset in ["app.css", "logo.png"] {
        assert!(!text.contains(asset), "{asset} in {text}");
    }
    for header in [
        "Host",
        "Connection",
        "Content-Length",
        "sec-fetch-mode",
        "sec-ch-ua-platform",
        "Accept-Encoding",
    ] {
        assert!(
            !text.contains(&format!("\n{header} = ")),
            "{header} in {text}"
        );
    }
    assert!(text.contains("2 static asset(s)"), "{text}");
    assert!(
        text.contains("[target.headers]\nUser-Agent = "),
        "headers every request sends are the target's: {text}"
    );
    assert!(text.contains(r#"think_time = "100ms""#), "{text}");
    assert!(
        text.contains(r#"json = { username = "ann", password = "secret-1" }"#),
        "{text}"
    );
    assert!(
        !text.contains("Content-Type"),
        "the types json and form imply are Klavier's: {text}"
    );
}

#[test]
fn pages_become_scenarios_and_dependencies_are_pointed_out() {
    let (text, plan) = import(options(Grouping::Page));
    let names: Vec<&str> = plan.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["home", "sign_in", "sign_out"], "{text}");
    assert!(
        text.contains("uses {{ access_token }}, which scenario sign_in extracts"),
        "{text}"
    );
    assert!(text.contains(r#"scenario_think_time = "1100ms""#), "{text}");
}

#[test]
fn assets_and_credentials_on_request() {
    let (text, plan) = import(Options {
        include_assets: true,
        keep_auth: true,
        grouping: Grouping::Recording,
    });
    assert_eq!(plan.scenarios[0].requests.len(), 11, "{text}");
    assert!(text.contains("app.css"), "{text}");
    assert!(text.contains("expect = { status = 404 }"), "{text}");
    assert!(text.contains("--keep-auth"), "{text}");
    assert!(
        text.contains(r#"Cookie = "sid=tok-1-616e6e""#),
        "kept as recorded: {text}"
    );
}

#[test]
fn a_recording_of_nothing_but_assets_is_refused() {
    let har = r#"{"log": {"entries": [
        {"request": {"method": "GET", "url": "http://a.test/x.png"}},
        {"request": {"method": "GET", "url": "data:text/plain,hi"}}
    ]}}"#;
    let path = Path::new("assets.har");
    let parsed = har::parse(har, path).expect("a HAR");
    let error = recording::draft(&parsed, path, &options(Grouping::Page))
        .expect_err("nothing to import")
        .0;
    assert!(
        error.starts_with("assets.har: none of the 2 entries"),
        "{error}"
    );
    assert!(error.contains("--include-assets"), "{error}");
}

#[test]
fn literal_template_syntax_and_null_json_survive() {
    let har = r#"{"log": {"entries": [
        {"request": {"method": "POST", "url": "http://a.test/p?x={{y}}",
                     "headers": [{"name": "X-T", "value": "{% raw %}"}],
                     "postData": {"mimeType": "application/json", "text": "{\"a\": null, \"b\": \"{{c}}\"}"}}}
    ]}}"#;
    let path = Path::new("odd.har");
    let parsed = har::parse(har, path).expect("a HAR");
    let draft = recording::draft(&parsed, path, &options(Grouping::Page)).expect("imports");
    let text = write::profile(&draft);
    let plan = klavier_plan::compile(&text, "odd.toml", &klavier_plan::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let request = &plan.scenarios[0].requests[0];
    assert!(
        text.contains(r#"body = "{\"a\": null"#),
        "raw, as TOML has no null: {text}"
    );
    assert!(
        request.dynamic.is_some(),
        "escaped as templates that print them"
    );
}
