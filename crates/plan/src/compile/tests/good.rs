//! Profiles that compile, and what they compile to.

use std::time::Duration;

use super::{plan, plan_with, BASE, DEMO, SCENARIO, SEED};
use crate::compile::Overrides;
use crate::load::Load;

fn users(n: u32) -> Load {
    Load::Closed {
        users: crate::load::Ramp::constant(f64::from(n)),
    }
}

#[test]
fn the_seed_profile_compiles_with_its_defaults() {
    let plan = plan(SEED);
    assert_eq!(plan.name, "t");
    assert_eq!(plan.target.base_url, "https://api.example.com");
    assert!(plan.target.tls && !plan.target.insecure);
    assert_eq!(
        (plan.target.host.as_str(), plan.target.port),
        ("api.example.com", 443)
    );
    assert_eq!(plan.target.timeout, Duration::from_secs(30));
    assert_eq!(plan.load, users(10));
    assert_eq!(plan.seed, None);
    assert_eq!(plan.timings.duration, Duration::from_secs(60));
    assert_eq!(plan.timings.min_scenario_interval, Duration::from_secs(1));
    assert_eq!(plan.timings.min_request_interval, Duration::ZERO);
    assert_eq!(plan.timings.graceful_stop, Duration::from_secs(5));
    let scenarios: Vec<(&str, u32)> = plan
        .scenarios
        .iter()
        .map(|s| (s.name.as_str(), s.weight.get()))
        .collect();
    assert_eq!(scenarios, [("health_check", 5), ("login", 1)]);
    let health = &plan.scenarios[0].requests[0];
    assert_eq!(health.uri, "https://api.example.com/api/health");
    assert_eq!(health.headers["user-agent"], "Klavier/1.0");
    assert!(health.body.is_empty());
    assert_eq!(
        plan.request_names,
        ["GET /api/health", "GET /api/auth/login"]
    );
    assert_eq!(plan.scenarios[1].requests[0].stat, 1);
}

#[test]
fn the_demo_profile_compiles_with_scenarios_in_file_order() {
    let plan = plan(DEMO);
    let names: Vec<&str> = plan.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["health_check", "login", "report", "broken"]);
    assert_eq!(plan.load, users(20));
    assert_eq!(plan.target.timeout, Duration::from_secs(5));
    let login = &plan.scenarios[1].requests[0];
    assert_eq!(login.method, http::Method::POST);
    assert_eq!(login.headers["content-type"], "application/json");
    assert_eq!(login.headers["user-agent"], "Klavier-demo");
    let body: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"username": "demo", "password": "secret"})
    );
    assert_eq!(plan.scenarios[1].requests[1].name, "GET /bytes (page)");
}

#[test]
fn request_paths_join_the_base_path_prefix() {
    let cases = [
        // (base URL, request path, URI)
        ("http://h/api", "/health", "http://h/api/health"),
        ("http://h/api/", "/health", "http://h/api/health"),
        ("http://h", "/health", "http://h/health"),
        ("http://h:8080/", "/", "http://h:8080/"),
        (
            "http://[::1]:8080/v1",
            "/x?y=1",
            "http://[::1]:8080/v1/x?y=1",
        ),
    ];
    for (base, path, wanted) in cases {
        let source = format!(
            "[target]\nbase_url = {base:?}\n[timings]\nduration = \"1s\"\n\
             [[scenarios.s.requests]]\npath = {path:?}\n"
        );
        let plan = plan(&source);
        let request = &plan.scenarios[0].requests[0];
        assert_eq!(request.uri, wanted, "{base} + {path}");
        assert_eq!(
            request.name,
            format!("GET {path}"),
            "the name has the path as written"
        );
    }
}

#[test]
fn an_absolute_url_on_the_base_origin_is_used_as_is() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\nurl = \"http://localhost:8080/other?a=1\"\n"
    ));
    let request = &plan.scenarios[0].requests[0];
    assert_eq!(request.uri, "http://localhost:8080/other?a=1");
    assert_eq!(request.name, "GET /other?a=1");
}

#[test]
fn an_absolute_url_on_another_origin_goes_there() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\nurl = \"https://auth.example.com/token?a=1\"\n\
         [[scenarios.s.requests]]\nurl = \"http://localhost:9090/x\"\n"
    ));
    let [auth, port] = &plan.scenarios[0].requests[..] else {
        panic!("two requests");
    };
    assert_eq!(auth.uri, "https://auth.example.com/token?a=1");
    assert_eq!(auth.name, "GET /token?a=1");
    assert_eq!(port.uri, "http://localhost:9090/x");
}

#[test]
fn query_tables_are_encoded_in_the_order_written_after_any_query_in_the_path() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\npath = \"/search?x=1\"\n\
         query = {{ q = \"a b&c/é\", n = 2, flag = true, f = 0.5 }}\n"
    ));
    let request = &plan.scenarios[0].requests[0];
    assert_eq!(
        request.uri,
        "http://localhost:8080/api/search?x=1&q=a+b%26c%2F%C3%A9&n=2&flag=true&f=0.5"
    );
    assert_eq!(request.name, "GET /search?x=1");
}

#[test]
fn request_headers_override_target_headers_of_the_same_name() {
    let plan = plan(&format!(
        "{BASE}[target.headers]\nUser-Agent = \"a\"\nX-Team = \"t\"\n\
         [[scenarios.s.requests]]\npath = \"/x\"\nheaders = {{ user-agent = \"b\" }}\n"
    ));
    let headers = &plan.scenarios[0].requests[0].headers;
    assert_eq!(headers.len(), 3, "with the default Accept-Encoding");
    assert_eq!(headers["user-agent"], "b");
    assert_eq!(headers["x-team"], "t");
}

#[test]
fn a_json_body_sets_its_content_type_unless_a_header_does() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\nmethod = \"PUT\"\npath = \"/a\"\njson = [1, \"two\", {{ three = 3.0 }}]\n\
         [[scenarios.s.requests]]\nmethod = \"PUT\"\npath = \"/b\"\njson = {{ a = 1 }}\n\
         headers = {{ Content-Type = \"application/vnd.x+json\" }}\n\
         [[scenarios.s.requests]]\nmethod = \"POST\"\npath = \"/c\"\nbody = \"raw\"\n"
    ));
    let [a, b, c] = &plan.scenarios[0].requests[..] else {
        panic!("three requests");
    };
    assert_eq!(a.body, r#"[1,"two",{"three":3.0}]"#);
    assert_eq!(a.headers["content-type"], "application/json");
    assert_eq!(b.headers["content-type"], "application/vnd.x+json");
    assert_eq!(c.body, "raw");
    assert!(!c.headers.contains_key("content-type"));
}

#[test]
fn requests_with_the_same_name_share_a_statistics_row() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.b.requests]]\npath = \"/x\"\n[[scenarios.b.requests]]\npath = \"/y\"\n\
         [[scenarios.a.requests]]\npath = \"/y\"\n[[scenarios.a.requests]]\nname = \"GET /x\"\npath = \"/z\"\n"
    ));
    assert_eq!(plan.request_names, ["GET /x", "GET /y"]);
    let stats: Vec<Vec<usize>> = plan
        .scenarios
        .iter()
        .map(|s| s.requests.iter().map(|r| r.stat).collect())
        .collect();
    assert_eq!(stats, [vec![0, 1], vec![1, 0]]);
}

#[test]
fn overrides_win_over_the_profile() {
    let overrides = Overrides {
        base_url: Some("https://[::1]:8443/v2".into()),
        users: Some(3),
        duration: Some(Duration::from_millis(1500)),
        seed: Some(7),
        ..Default::default()
    };
    let plan = plan_with(
        &format!("{BASE}[load]\nusers = 50\nseed = 1\n{SCENARIO}"),
        &overrides,
    );
    assert_eq!(plan.target.base_url, "https://[::1]:8443/v2");
    assert_eq!(
        (plan.target.host.as_str(), plan.target.port, plan.target.tls),
        ("::1", 8443, true)
    );
    assert_eq!(plan.scenarios[0].requests[0].uri, "https://[::1]:8443/v2/x");
    assert_eq!(plan.load, users(3));
    assert_eq!(plan.timings.duration, Duration::from_millis(1500));
    assert_eq!(plan.seed, Some(7));
}

#[test]
fn a_base_url_override_fills_a_missing_one() {
    let overrides = Overrides {
        base_url: Some("http://127.0.0.1:1234".into()),
        ..Overrides::default()
    };
    let plan = plan_with(
        &format!("[timings]\nduration = \"2s\"\n{SCENARIO}"),
        &overrides,
    );
    assert_eq!(plan.scenarios[0].requests[0].uri, "http://127.0.0.1:1234/x");
}

#[test]
fn new_keys_compile_to_their_values() {
    let plan = plan(&format!(
        "[target]\nbase_url = \"https://h\"\ninsecure = true\nca_file = \"certs/ca.pem\"\nhttp = \"1.1\"\n\
         [load]\nseed = 42\n\
         [timings]\nduration = \"1m30s\"\nmin_request_interval_ms = 250\ngraceful_stop = \"0s\"\n{SCENARIO}"
    ));
    assert!(plan.target.insecure);
    assert_eq!(
        plan.target.ca_file.as_deref(),
        Some(std::path::Path::new("certs/ca.pem"))
    );
    assert_eq!(plan.seed, Some(42));
    assert_eq!(plan.timings.duration, Duration::from_secs(90));
    assert_eq!(
        plan.timings.min_request_interval,
        Duration::from_millis(250)
    );
    assert_eq!(plan.timings.graceful_stop, Duration::ZERO);
    assert_eq!(
        plan.timings.warmup,
        Duration::ZERO,
        "no warm-up unless asked"
    );
}

#[test]
fn a_warmup_comes_from_the_profile_or_the_flag() {
    let source = format!("[target]\nbase_url = \"http://h\"\n[timings]\nduration = \"1m\"\nwarmup = \"10s\"\n{SCENARIO}");
    let plan = crate::compile(&source, "p.toml", &Overrides::default()).unwrap();
    assert_eq!(plan.timings.warmup, Duration::from_secs(10));
    let overrides = Overrides {
        warmup: Some(Duration::from_secs(3)),
        ..Overrides::default()
    };
    let plan = crate::compile(&source, "p.toml", &overrides).unwrap();
    assert_eq!(plan.timings.warmup, Duration::from_secs(3), "--warmup wins");
    assert!(plan.to_string().contains("warm-up"), "{plan}");
}

#[test]
fn ca_file_is_relative_to_the_profile() {
    let source = format!(
        "[target]\nbase_url = \"http://h\"\nca_file = \"ca.pem\"\n[timings]\nduration = \"1s\"\n{SCENARIO}"
    );
    let plan = crate::compile(&source, "profiles/api.toml", &Overrides::default()).unwrap();
    assert_eq!(plan.name, "api");
    assert_eq!(
        plan.target.ca_file.as_deref(),
        Some(std::path::Path::new("profiles/ca.pem"))
    );
}

#[test]
fn methods_are_any_token_kept_as_written() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\nmethod = \"PURGE\"\npath = \"/x\"\n"
    ));
    assert_eq!(plan.scenarios[0].requests[0].method.as_str(), "PURGE");
    assert_eq!(plan.request_names, ["PURGE /x"]);
}

#[test]
fn the_description_shows_what_will_run() {
    let text = plan(SEED).to_string();
    let wanted = "\
plan \"t\"
target
  base URL          https://api.example.com
  connect to        api.example.com:443, HTTP/2 or HTTP/1.1 (ALPN) over TLS, certificates verified
  request timeout   30s
load
  users             10 (closed model)
  seed              random, chosen at start
timings
  duration          1m
  scenario starts   at least 1s
  request starts    no minimum
  graceful stop     5s
scenarios (2, total weight 6)
  health_check  weight 5  (83.3%)
    1. GET https://api.example.com/api/health  [GET /api/health]  2 headers
  login         weight 1  (16.7%)
    1. GET https://api.example.com/api/auth/login  [GET /api/auth/login]  2 headers
";
    assert_eq!(text, wanted);
}

#[test]
fn tables_may_be_written_inline_dotted_or_as_sub_tables() {
    let plan = plan(&format!(
        "{BASE}[scenarios.inline]\nrequests = [{{ path = \"/a\" }}, {{ path = \"/b\", json.k = \"v\" }}]\n\
         [[scenarios.sub.requests]]\npath = \"/c\"\n[scenarios.sub.requests.json]\nk = 1\n\
         [[scenarios.sub.requests]]\npath = \"/d\"\nquery.page = 2\nheaders.X-Id = \"7\"\n"
    ));
    let uris: Vec<String> = plan
        .scenarios
        .iter()
        .flat_map(|s| s.requests.iter().map(|r| r.uri.to_string()))
        .collect();
    let base = "http://localhost:8080/api";
    let wanted = ["/a", "/b", "/c", "/d?page=2"].map(|p| format!("{base}{p}"));
    assert_eq!(uris, wanted);
    assert_eq!(plan.scenarios[0].requests[1].body, r#"{"k":"v"}"#);
    assert_eq!(plan.scenarios[1].requests[0].body, r#"{"k":1}"#);
    assert_eq!(plan.scenarios[1].requests[1].headers["x-id"], "7");
}

#[test]
fn header_names_keep_their_written_case_and_a_default_user_agent_is_added() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\npath = \"/x\"\n\
         headers = {{ \"X-Request-Id\" = \"1\", accept = \"*/*\" }}\njson = {{ a = 1 }}\n"
    ));
    let request = &plan.scenarios[0].requests[0];
    let names = &request.written_names;
    let get =
        |name: &str| names.get(&http::HeaderName::from_bytes(name.as_bytes()).expect("a name"));
    assert_eq!(get("x-request-id"), Some("X-Request-Id"));
    assert_eq!(
        get("accept"),
        None,
        "written in lowercase: nothing to remember"
    );
    assert_eq!(get("user-agent"), Some("User-Agent"));
    assert_eq!(get("content-type"), Some("Content-Type"));
    assert_eq!(
        request.headers["user-agent"],
        concat!("klavier/", env!("CARGO_PKG_VERSION"))
    );
    let order: Vec<&str> = request.headers.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        order,
        [
            "user-agent",
            "accept-encoding",
            "x-request-id",
            "accept",
            "content-type"
        ]
    );
    assert_eq!(
        request.headers["accept-encoding"],
        "gzip, deflate, br, zstd"
    );
}

#[test]
fn parallel_requests_get_rows_after_their_request_and_are_described_under_it() {
    let plan = plan(&format!(
        "{BASE}[[scenarios.s.requests]]\npath = \"/page\"\n\
         parallel = [{{ path = \"/app.js\" }}, {{ path = \"/style.css\", name = \"css\" }}]\n\
         [[scenarios.s.requests]]\npath = \"/next\"\n"
    ));
    let scenario = &plan.scenarios[0];
    assert_eq!(scenario.requests.len(), 2);
    assert_eq!(scenario.parallel.len(), 2, "one group per request");
    assert!(scenario.parallel[1].is_empty());
    let group: Vec<(&str, usize)> = scenario.parallel[0]
        .iter()
        .map(|r| (r.name.as_str(), r.stat))
        .collect();
    assert_eq!(group, [("GET /app.js", 1), ("css", 2)]);
    assert_eq!(
        plan.request_names,
        ["GET /page", "GET /app.js", "css", "GET /next"]
    );
    assert_eq!(
        scenario.parallel[0][0].uri,
        "http://localhost:8080/api/app.js"
    );
    let described = plan.to_string();
    assert!(
        described.contains("1.1 GET http://localhost:8080/api/app.js"),
        "{described}"
    );
    assert!(
        described.contains("1.2 GET http://localhost:8080/api/style.css  [css]"),
        "{described}"
    );
}

#[test]
fn setup_and_teardown_scenarios_take_no_weight_and_are_described_by_role() {
    let source = format!(
        "{BASE}[scenarios.login]\nrun = \"once\"\n[[scenarios.login.requests]]\npath = \"/in\"\n\
         [scenarios.browse]\nweight = 3\n[[scenarios.browse.requests]]\npath = \"/b\"\n\
         [scenarios.logout]\nrun = \"last\"\n[[scenarios.logout.requests]]\npath = \"/out\"\n\
         [scenarios.other]\nrun = \"loop\"\n[[scenarios.other.requests]]\npath = \"/o\"\n"
    );
    let plan = plan(&source);
    let roles: Vec<(&str, crate::plan::Run, u32)> = plan
        .scenarios
        .iter()
        .map(|s| (s.name.as_str(), s.run, s.loop_weight()))
        .collect();
    use crate::plan::Run;
    assert_eq!(
        roles,
        [
            ("login", Run::Once, 0),
            ("browse", Run::Loop, 3),
            ("logout", Run::Last, 0),
            ("other", Run::Loop, 1)
        ]
    );
    let text = plan.to_string();
    assert!(text.contains("scenarios (4, total weight 4)"), "{text}");
    assert!(
        text.contains("  login   once, at each user's start"),
        "{text}"
    );
    assert!(text.contains("  browse  weight 3  (75.0%)"), "{text}");
    assert!(
        text.contains("  logout  last, at each user's end, within the graceful stop"),
        "{text}"
    );
}
