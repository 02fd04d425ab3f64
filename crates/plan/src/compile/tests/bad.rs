//! Profiles that must be refused, each with the line, column, field and words of the
//! diagnostic a user sees.

use super::{problems, problems_with, BASE, SCENARIO};
use crate::compile::Overrides;
use crate::ProfileError;

/// One bad profile and the single diagnostic it must produce.
struct Case {
    why: &'static str,
    source: String,
    at: (usize, usize),
    field: &'static str,
    message: &'static str,
    help: Option<&'static str>,
}

fn case(
    why: &'static str,
    source: impl Into<String>,
    at: (usize, usize),
    field: &'static str,
) -> Case {
    Case {
        why,
        source: source.into(),
        at,
        field,
        message: "",
        help: None,
    }
}

impl Case {
    fn says(mut self, message: &'static str) -> Self {
        self.message = message;
        self
    }

    fn helps(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }
}

/// `BASE`, then a scenario whose body (after `[scenarios.s]`, line 5) is `scenario`,
/// then its request (after `[[scenarios.s.requests]]`) with `request` lines.
fn with(scenario: &str, request: &str) -> String {
    format!("{BASE}[scenarios.s]\n{scenario}[[scenarios.s.requests]]\n{request}")
}

/// Line of the first request key in `with("", …)`.
const REQUEST_LINE: usize = 7;

fn cases() -> Vec<Case> {
    let r = REQUEST_LINE;
    vec![
        case("not TOML at all", "this is not toml\n", (1, 6), "")
            .says("TOML syntax error: expected `.`, `=`"),
        case("a key given twice", with("weight = 1\nweight = 2\n", "path = \"/x\"\n"), (7, 1), "")
            .says("duplicate key `weight` in table `scenarios.s`"),
        case("a table given twice", format!("{BASE}[target]\n{SCENARIO}"), (5, 1), "")
            .says("duplicate key `target`"),
        case("no base URL, no [target]", format!("[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (1, 1), "target.base_url")
            .says("base_url is missing")
            .helps("pass --base-url"),
        case("no base URL in [target]", format!("[timings]\ntest_duration_seconds = 5\n[target]\ntimeout = \"5s\"\n{SCENARIO}"), (3, 1), "target.base_url")
            .says("base_url is missing"),
        case("an ftp:// base URL", format!("[target]\nbase_url = \"ftp://files.example.com\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (2, 12), "target.base_url")
            .says(r#"base URL must start with http:// or https://, found "ftp""#),
        case("a base URL without host", format!("[target]\nbase_url = \"http://\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (2, 12), "target.base_url")
            .says(r#"base URL "http://" has no host"#),
        case("a base URL with a query", format!("[target]\nbase_url = \"http://h/?k=v\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (2, 12), "target.base_url")
            .says("has a query or fragment"),
        case("a warm-up as long as the run", format!("[target]\nbase_url = \"http://h\"\n[timings]\nduration = \"5s\"\nwarmup = \"5s\"\n{SCENARIO}"), (5, 10), "timings.warmup")
            .says("the warm-up (5s) must be shorter than the duration (5s)"),
        case("no scenarios", BASE, (1, 1), "scenarios")
            .says("the profile has no scenarios")
            .helps("add a [scenarios.NAME] table"),
        case("an empty [scenarios] table", format!("{BASE}[scenarios]\n"), (5, 1), "scenarios")
            .says("the profile has no scenarios"),
        case("a scenario without requests", format!("{BASE}[scenarios.s]\nweight = 2\n"), (5, 1), "scenarios.s")
            .says("the scenario has no requests")
            .helps("add a [[scenarios.s.requests]] table"),
        case("empty requests", format!("{BASE}[scenarios.s]\nrequests = []\n"), (6, 12), "scenarios.s.requests")
            .says("requests must not be empty"),
        case("weight 0", with("weight = 0\n", "path = \"/x\"\n"), (6, 10), "scenarios.s.weight")
            .says("weight must be a positive integer, found 0"),
        case("weight -1", with("weight = -1\n", "path = \"/x\"\n"), (6, 10), "scenarios.s.weight")
            .says("weight must be a positive integer, found -1"),
        case("weight too large for u32", with("weight = 5000000000\n", "path = \"/x\"\n"), (6, 10), "scenarios.s.weight")
            .says("weight must be at most 4294967295, found 5000000000"),
        case("weight as a string", with("weight = \"5\"\n", "path = \"/x\"\n"), (6, 10), "scenarios.s.weight")
            .says(r#"weight must be an integer, found the string "5""#)
            .helps("remove the quotes: 5"),
        case("a method with a space", with("", "method = \"GE T\"\npath = \"/x\"\n"), (r, 10), "scenarios.s.requests[0].method")
            .says(r#""GE T" is not a valid HTTP method"#),
        case("a header name with a space", with("", "path = \"/x\"\nheaders = { \"Bad Name\" = \"x\" }\n"), (r + 1, 13), r#"scenarios.s.requests[0].headers."Bad Name""#)
            .says(r#"invalid header name "Bad Name""#),
        case("a header value with a newline", format!("{BASE}[target.headers]\nX-A = \"a\\nb\"\n{SCENARIO}"), (6, 7), "target.headers.X-A")
            .says(r#"invalid value for header "X-A""#),
        case("a content-length header", with("", "path = \"/x\"\nheaders = { Content-Length = \"3\" }\n"), (r + 1, 13), "scenarios.s.requests[0].headers.Content-Length")
            .says("cannot be set: it is computed from the body"),
        case("a negative test duration", format!("[target]\nbase_url = \"http://h\"\n[timings]\ntest_duration_seconds = -5\n{SCENARIO}"), (4, 25), "timings.test_duration_seconds")
            .says("test_duration_seconds must be a positive integer, found -5"),
        case("a test duration in words", format!("[target]\nbase_url = \"http://h\"\n[timings]\ntest_duration_seconds = \"sixty\"\n{SCENARIO}"), (4, 25), "timings.test_duration_seconds")
            .says(r#"test_duration_seconds must be an integer, found the string "sixty""#),
        case("a duration that is not one", format!("[target]\nbase_url = \"http://h\"\n[timings]\nduration = \"soon\"\n{SCENARIO}"), (4, 12), "timings.duration")
            .says(r#""soon" is not a duration"#)
            .helps(r#""90s", "1m30s" or "250ms""#),
        case("a duration as a bare number", format!("[target]\nbase_url = \"http://h\"\n[timings]\nduration = 60\n{SCENARIO}"), (4, 12), "timings.duration")
            .says(r#"duration must be a duration string such as "30s", found the integer 60"#)
            .helps(r#""60s""#),
        case("two durations", format!("{BASE}duration = \"5s\"\n{SCENARIO}"), (5, 12), "timings.duration")
            .says("duration and test_duration_seconds are both set"),
        case("no duration", format!("[target]\nbase_url = \"http://h\"\n{SCENARIO}"), (1, 1), "timings.test_duration_seconds")
            .says("the test duration is not set")
            .helps("set [timings] test_duration_seconds, [load] stages, or pass --duration"),
        case("a negative interval", format!("{BASE}min_scenario_interval_ms = -1\n{SCENARIO}"), (5, 28), "timings.min_scenario_interval_ms")
            .says("min_scenario_interval_ms must be zero or more, found -1"),
        case("a typo in a key", with("wieght = 5\n", "path = \"/x\"\n"), (6, 1), "scenarios.s.wieght")
            .says(r#"unknown key "wieght""#)
            .helps(r#"did you mean "weight"?"#),
        case("a key nothing like a valid one", format!("{BASE}colour = 1\n{SCENARIO}"), (5, 1), "timings.colour")
            .says(r#"unknown key "colour""#)
            .helps("valid keys here: test_duration_seconds, duration, min_scenario_interval_ms"),
        case("an unknown table", format!("{BASE}[thresholdz]\n{SCENARIO}"), (5, 2), "thresholdz")
            .says(r#"unknown key "thresholdz""#)
            .helps(r#"did you mean "thresholds"?"#),
        case("an unknown sub-table", format!("{BASE}[target.x]\n"), (5, 9), "target.x")
            .says(r#"unknown key "x""#),
        case("both body and json", with("", "path = \"/x\"\nbody = \"a\"\njson = { a = 1 }\n"), (r + 2, 8), "scenarios.s.requests[0].json")
            .says("body and json are both set"),
        case("a path without its leading slash", with("", "path = \"api/x\"\n"), (r, 8), "scenarios.s.requests[0].path")
            .says(r#"path must start with "/", found "api/x""#)
            .helps(r#"write path = "/api/x""#),
        case("a path with a space", with("", "path = \"/a b\"\n"), (r, 8), "scenarios.s.requests[0].path")
            .says("is not a valid request path"),
        case("no path nor url", with("", "method = \"GET\"\n"), (r - 1, 1), "scenarios.s.requests[0]")
            .says("the request has no path"),
        case("both path and url", with("", "path = \"/x\"\nurl = \"http://localhost:8080/x\"\n"), (r + 1, 7), "scenarios.s.requests[0].url")
            .says("path and url are both set"),
        case("an array as a query value", with("", "path = \"/x\"\nquery = { id = [1, 2] }\n"), (r + 1, 16), "scenarios.s.requests[0].query.id")
            .says("a query value must be a string, number or boolean, found array"),
        case("zero users", format!("{BASE}[load]\nusers = 0\n{SCENARIO}"), (6, 9), "load.users")
            .says("users must be a positive integer, found 0"),
        case("a negative seed", format!("{BASE}[load]\nseed = -1\n{SCENARIO}"), (6, 8), "load.seed")
            .says("seed must be zero or more, found -1"),
        case("a table where a value belongs", format!("{BASE}[target.http]\n"), (5, 1), "target.http")
            .says("http must be a string, found a table"),
        case("a dotted key where a value belongs", format!("[target]\nbase_url.x = \"http://h\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (2, 10), "target.base_url")
            .says("base_url must be a single value, found a table")
            .helps("write base_url = value"),
        case("HTTP/2 over plain http", format!("[target]\nbase_url = \"http://h\"\nhttp = \"2\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (3, 8), "target.http")
            .says("http = \"2\" negotiates HTTP/2 over TLS, and the base URL is http://")
            .helps("write http = \"h2c\" for cleartext HTTP/2 with prior knowledge, or use https://"),
        case("an unknown HTTP version", format!("[target]\nbase_url = \"http://h\"\nhttp = \"3\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (3, 8), "target.http")
            .says("unknown HTTP version \"3\""),
        case("a zero timeout", format!("[target]\nbase_url = \"http://h\"\ntimeout = \"0s\"\n[timings]\ntest_duration_seconds = 5\n{SCENARIO}"), (3, 11), "target.timeout")
            .says("timeout must be greater than zero"),
        case("an empty parallel list", with("", "path = \"/\"\nparallel = []\n"), (r + 1, 12), "scenarios.s.requests[0].parallel")
            .says("parallel lists 0 requests; it takes 1 to 64")
            .helps("list the requests to send together"),
        case("parallel within parallel", with("", "path = \"/\"\nparallel = [{ path = \"/a\", parallel = [{ path = \"/b\" }] }]\n"), (r + 1, 39), "scenarios.s.requests[0].parallel[0].parallel")
            .says("a parallel request cannot have parallel requests of its own"),
        case("a bad request in parallel", with("", "path = \"/\"\nparallel = [{ path = \"/a\" }, { path = \"/b\", method = 5 }]\n"), (r + 1, 54), "scenarios.s.requests[0].parallel[1].method")
            .says("method must be a string"),
    ]
}

#[test]
fn each_bad_profile_gets_one_precise_diagnostic() {
    let failures: Vec<String> = cases().iter().filter_map(check).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// What is wrong with the diagnostics `case` gets, if anything.
fn check(case: &Case) -> Option<String> {
    let found = problems(&case.source);
    let [d] = found.as_slice() else {
        return Some(format!(
            "{}: wanted one diagnostic, found {found:#?}",
            case.why
        ));
    };
    let help = d.help.as_deref().unwrap_or_default();
    let right = (d.line, d.column) == case.at
        && d.field == case.field
        && d.message.contains(case.message)
        && case.help.is_none_or(|wanted| help.contains(wanted));
    let wanted = format!(
        "{:?} {:?} {:?} {:?}",
        case.at, case.field, case.message, case.help
    );
    (!right).then(|| format!("{}:\n  got    {d}\n  wanted {wanted}", case.why))
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let source = "[target]\nbase_url = \"ftp://x\"\n\
                  [scenarios.a]\nweight = 0\n[[scenarios.a.requests]]\nmethod = \"GE T\"\npath = \"x\"\n";
    let fields: Vec<(usize, String)> = problems(source)
        .into_iter()
        .map(|d| (d.line, d.field))
        .collect();
    let wanted = [
        (1, "timings.test_duration_seconds"),
        (2, "target.base_url"),
        (4, "scenarios.a.weight"),
        (6, "scenarios.a.requests[0].method"),
        (7, "scenarios.a.requests[0].path"),
    ];
    let wanted: Vec<(usize, String)> = wanted.iter().map(|(l, f)| (*l, f.to_string())).collect();
    assert_eq!(fields, wanted);
}

#[test]
fn the_error_lists_every_problem_with_path_position_and_help() {
    let source = with("weight = 0\n", "path = \"x\"\n");
    let error = crate::compile(&source, "examples/x.toml", &Overrides::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "examples/x.toml:6:10: scenarios.s.weight: weight must be a positive integer, found 0\n\
         examples/x.toml:8:8: scenarios.s.requests[0].path: path must start with \"/\", found \"x\"\n  \
         help: write path = \"/x\""
    );
}

#[test]
fn bad_overrides_are_reported_against_their_flag() {
    let overrides = Overrides {
        base_url: Some("localhost:8080".into()),
        users: Some(0),
        duration: Some(std::time::Duration::ZERO),
        seed: None,
        ..Default::default()
    };
    let found = problems_with(&format!("{BASE}{SCENARIO}"), &overrides);
    let fields: Vec<&str> = found.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["--base-url", "--users", "--duration"]);
    assert!(found.iter().all(|d| d.path.is_none()));
    assert_eq!(
        found[1].to_string(),
        "--users: users must be a positive integer, found 0"
    );
}

#[test]
fn load_reports_a_missing_file_and_text_that_is_not_utf8() {
    let dir = std::env::temp_dir().join(format!("klavier-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = crate::load(dir.join("missing.toml"), &Overrides::default()).unwrap_err();
    assert!(matches!(missing, ProfileError::Read { .. }), "{missing}");
    assert!(missing.to_string().starts_with("cannot read profile "));

    let latin1 = dir.join("latin1.toml");
    std::fs::write(&latin1, b"[target]\nbase_url = \"http://h/caf\xe9\"\n").unwrap();
    let error = crate::load(&latin1, &Overrides::default()).unwrap_err();
    assert!(
        matches!(
            error,
            ProfileError::NotUtf8 {
                line: 2,
                column: 25,
                ..
            }
        ),
        "{error}"
    );
    assert!(error
        .to_string()
        .ends_with("latin1.toml:2:25: the profile is not valid UTF-8 text"));
    std::fs::remove_dir_all(&dir).unwrap();
}
