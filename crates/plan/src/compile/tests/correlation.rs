//! Variables, data and correlation in profiles: what compiles into what, and every
//! static-check error with its line and column.

use std::path::PathBuf;

use crate::compile::{compile, Overrides};
use crate::data::{Per, Strategy};
use crate::error::Diagnostic;
use crate::plan::Plan;

const HEAD: &str = r#"[target]
base_url = "http://localhost:8080/api"
[timings]
test_duration_seconds = 5
"#;

/// A CSV of accounts in a fresh directory; returns its path.
fn accounts_csv(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("klavier-plan-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("accounts.csv");
    std::fs::write(&path, "username,password\nann,a1\nbob,b2\n").expect("write csv");
    path
}

fn plan(source: &str) -> Plan {
    compile(source, "t.toml", &Overrides::default()).unwrap_or_else(|e| panic!("{e}\n{source}"))
}

fn problems(source: &str) -> Vec<Diagnostic> {
    problems_with(source, &Overrides::default())
}

fn problems_with(source: &str, overrides: &Overrides) -> Vec<Diagnostic> {
    match compile(source, "t.toml", overrides) {
        Ok(_) => panic!("compiled, but should not have:\n{source}"),
        Err(e) => e.diagnostics().to_vec(),
    }
}

/// The one diagnostic of `request` (TOML lines of one request, starting at line 7).
fn one_problem(extra: &str, request: &str) -> Diagnostic {
    let source = format!("{HEAD}{extra}[scenarios.s]\n[[scenarios.s.requests]]\n{request}");
    let mut found = problems(&source);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

#[test]
fn a_journey_compiles_with_templates_checks_and_extractions() {
    let csv = accounts_csv("good");
    let source = format!(
        r#"{HEAD}[variables]
tenant = "acme"
[data.accounts]
file = "{}"
strategy = "unique"
per = "user"
[scenarios.journey]
[[scenarios.journey.requests]]
method = "POST"
path = "/login"
json = {{ username = "{{{{ accounts.username }}}}", remember = true }}
extract = {{ token = {{ json = "$.access_token" }}, sid = {{ header = "X-Sid" }} }}
expect = {{ status = [200, 201], json = {{ "$.ok" = true }}, max_latency = "1s" }}
[[scenarios.journey.requests]]
path = "/t/{{{{ tenant }}}}/me"
query = {{ q = "{{{{ token }}}}", page = 2 }}
headers = {{ Authorization = "Bearer {{{{ token }}}}" }}
[[scenarios.journey.requests]]
path = "/plain"
"#,
        csv.display()
    );
    let plan = plan(&source);
    let session = &plan.session;
    assert_eq!(session.variables["tenant"].as_str(), Some("acme"));
    assert_eq!(session.feeders[0].strategy, Strategy::Unique);
    assert_eq!(session.feeders[0].per, Per::User);
    assert!(session.cookies);
    let requests = &plan.scenarios[0].requests;
    let login = requests[0].dynamic.as_ref().expect("dynamic");
    assert!(login.template.as_ref().is_some_and(|t| t.body.is_some()));
    assert_eq!(login.extract.len(), 2);
    assert_eq!(
        session.check_names[requests[0].stat],
        [
            "status",
            "json $.ok",
            "max_latency",
            "extract sid",
            "extract token"
        ]
    );
    assert_eq!(login.check_slots, [0, 1, 2, 3, 4]);
    let me = requests[1].dynamic.as_ref().expect("dynamic");
    let template = me.template.as_ref().expect("templated");
    assert!(template.uri.is_some());
    assert_eq!(template.headers.len(), 1);
    // Statistics group by the path as written, never the rendered one.
    assert_eq!(requests[1].name, "GET /t/{{ tenant }}/me");
    assert!(
        requests[2].dynamic.is_none(),
        "a plain request stays prebuilt"
    );
    assert!(plan.session.templates.len() >= 4);
}

#[test]
fn a_form_without_variables_is_prebuilt() {
    let source = format!(
        "{HEAD}[scenarios.s]\n[[scenarios.s.requests]]\nmethod = \"POST\"\npath = \"/f\"\nform = {{ a = \"x y\", n = 1 }}\n"
    );
    let plan = plan(&source);
    let request = &plan.scenarios[0].requests[0];
    assert!(request.dynamic.is_none());
    assert_eq!(&request.body[..], b"a=x+y&n=1");
    assert_eq!(
        request.headers[http::header::CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
}

#[test]
fn cookies_can_be_turned_off_and_vars_override() {
    let source = "[target]\nbase_url = \"http://h\"\ncookies = false\n[timings]\nduration = \"1s\"\n[variables]\nx = \"a\"\n[scenarios.s]\n[[scenarios.s.requests]]\npath = \"/{{ x }}\"\n";
    let overrides = Overrides {
        variables: vec![("x".into(), "b".into()), ("y".into(), "c".into())],
        ..Overrides::default()
    };
    let plan = compile(source, "t.toml", &overrides).expect("compiles");
    assert!(!plan.session.cookies);
    assert_eq!(plan.session.variables["x"].as_str(), Some("b"));
    assert_eq!(plan.session.variables["y"].as_str(), Some("c"));
}

#[test]
fn every_static_check_names_line_column_and_field() {
    let csv = accounts_csv("bad");
    let data = format!("[data.accounts]\nfile = \"{}\"\n", csv.display());
    let r = "scenarios.s.requests[0]";
    /// (why, extra tables, request, (line, column), field, message start)
    type Case<'a> = (&'a str, String, &'a str, (usize, usize), String, &'a str);
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        // (why, extra tables, request, (line, column), field, message start)
        ("undefined variable", String::new(), "path = \"/u/{{ idd }}\"\n", (7, 15), format!("{r}.path"), "undefined variable \"idd\""),
        ("syntax error", String::new(), "path = \"/u/{{ id \"\n", (7, 15), format!("{r}.path"), "template syntax error"),
        ("unknown column", data.clone(), "path = \"/u/{{ accounts.email }}\"\n", (9, 24), format!("{r}.path"), "feeder \"accounts\" has no column \"email\""),
        ("unknown filter", String::new(), "path = \"/u/{{ vu | shout }}\"\n", (7, 20), format!("{r}.path"), "unknown filter \"shout\""),
        ("unset env", String::new(), "path = \"/{{ env('KLAVIER_NEVER_SET_X') }}\"\n", (7, 18), format!("{r}.path"), "environment variable \"KLAVIER_NEVER_SET_X\" is not set"),
        ("header template", String::new(), "path = \"/\"\nheaders = { A = \"{{ nope }}\" }\n", (8, 21), format!("{r}.headers.A"), "undefined variable \"nope\""),
        ("bad strategy", format!("{data}strategy = \"shuffled\"\n"), "path = \"/\"\n", (7, 12), "data.accounts.strategy".into(), "\"shuffled\" is not one of"),
        ("missing file", "[data.accounts]\nfile = \"nope.csv\"\n".into(), "path = \"/\"\n", (6, 8), "data.accounts.file".into(), "nope.csv: cannot read"),
        ("no file", "[data.accounts]\nper = \"user\"\n".into(), "path = \"/\"\n", (5, 1), "data.accounts".into(), "the feeder has no file"),
        ("two sources", String::new(), "path = \"/\"\nextract = { t = { json = \"$.a\", header = \"X\" } }\n", (8, 17), format!("{r}.extract.t"), "give exactly one of json, regex or header"),
        ("bad jsonpath", String::new(), "path = \"/\"\nextract = { t = { json = \"a.b\" } }\n", (8, 26), format!("{r}.extract.t.json"), "invalid JSONPath \"a.b\""),
        ("bad regex", String::new(), "path = \"/\"\nextract = { t = { regex = \"(\" } }\n", (8, 27), format!("{r}.extract.t.regex"), "invalid regular expression"),
        ("bad group", String::new(), "path = \"/\"\nextract = { t = { regex = \"a(b)\", group = 2 } }\n", (8, 43), format!("{r}.extract.t.group"), "group 2 does not exist"),
        ("builtin as variable", String::new(), "path = \"/\"\nextract = { vu = { header = \"X\" } }\n", (8, 18), format!("{r}.extract.vu"), "\"vu\" is a built-in name"),
        ("bad status", String::new(), "path = \"/\"\nexpect = { status = \"ok\" }\n", (8, 21), format!("{r}.expect.status"), "status must be a status code"),
        ("template in expect", String::new(), "path = \"/\"\nexpect = { body_contains = \"{{ nope }}\" }\n", (8, 32), format!("{r}.expect.body_contains"), "undefined variable \"nope\""),
        ("bad max_latency", String::new(), "path = \"/\"\nexpect = { max_latency = \"fast\" }\n", (8, 26), format!("{r}.expect.max_latency"), "\"fast\" is not a duration"),
        ("bad variable name", "[variables]\n\"a-b\" = 1\n".into(), "path = \"/\"\n", (6, 9), "variables.a-b".into(), "\"a-b\" is not a valid variable name"),
    ];
    for (why, extra, request, at, field, message) in cases {
        let d = one_problem(&extra, request);
        assert_eq!((d.line, d.column), at, "{why}: {d}");
        assert_eq!(d.field, field, "{why}: {d}");
        assert!(d.message.contains(message), "{why}: {d}");
    }
}

#[test]
fn a_bad_var_override_is_a_command_line_error() {
    let source = format!("{HEAD}[scenarios.s]\n[[scenarios.s.requests]]\npath = \"/\"\n");
    let overrides = Overrides {
        variables: vec![("1x".into(), "v".into())],
        ..Overrides::default()
    };
    let found = problems_with(&source, &overrides);
    assert_eq!(found[0].field, "--var");
    assert!(found[0].message.contains("not a valid variable name"));
}

#[test]
fn a_var_replacing_a_number_or_boolean_must_be_one() {
    let source = format!(
        "{HEAD}[variables]\nn = 3\nx = 1.5\nok = true\nt = \"a\"\n[scenarios.s]\n[[scenarios.s.requests]]\npath = \"/\"\n"
    );
    let overrides = |pairs: &[(&str, &str)]| Overrides {
        variables: pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        ..Overrides::default()
    };
    let good = overrides(&[
        ("n", "5"),
        ("x", "2"),
        ("ok", "false"),
        ("t", "7"),
        ("new", "8"),
    ]);
    let plan = compile(&source, "t.toml", &good).expect("compiles");
    let vars = &plan.session.variables;
    assert_eq!(vars["n"], minijinja::Value::from(5));
    assert_eq!(vars["x"], minijinja::Value::from(2.0));
    assert_eq!(vars["ok"], minijinja::Value::from(false));
    // Text stays text; a new name is text.
    assert_eq!(vars["t"], minijinja::Value::from("7"));
    assert_eq!(vars["new"], minijinja::Value::from("8"));
    let found = problems_with(&source, &overrides(&[("n", "five")]));
    assert_eq!(found[0].field, "--var");
    assert!(
        found[0]
            .message
            .starts_with("n=five: \"five\" is not an int"),
        "{}",
        found[0]
    );
}

#[test]
fn feeder_column_types_are_checked_where_written() {
    let csv = accounts_csv("types");
    let data = |types: &str| {
        format!(
            "[data.accounts]\nfile = \"{}\"\ntypes = {types}\n",
            csv.display()
        )
    };
    let plan = plan(&format!(
        "{HEAD}{}[scenarios.s]\n[[scenarios.s.requests]]\npath = \"/{{{{ accounts.username }}}}\"\n",
        data("{ username = \"string\" }")
    ));
    assert_eq!(
        plan.session.feeders[0].table.describe_columns(),
        "username, password"
    );
    let d = one_problem(&data("{ password = \"int\" }"), "path = \"/\"\n");
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (6, 8, "data.accounts.file"),
        "{d}"
    );
    assert!(d.message.ends_with("accounts.csv:2: column \"password\": \"a1\" is not an int (a whole number such as 42 or -7)"), "{d}");
    let d = one_problem(&data("{ password = \"number\" }"), "path = \"/\"\n");
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (7, 22, "data.accounts.types.password"),
        "{d}"
    );
    let d = one_problem(&data("{ pasword = \"int\" }"), "path = \"/\"\n");
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (7, 21, "data.accounts.types.pasword"),
        "{d}"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean \"password\"?"), "{d}");
}

#[test]
fn a_path_may_start_with_a_template_and_is_checked_once_rendered() {
    let source = format!(
        "{HEAD}[variables]\nprefix = \"/v2\"\n[scenarios.s]\n[[scenarios.s.requests]]\npath = \"{{{{ prefix }}}}/items\"\n"
    );
    let plan = plan(&source);
    let request = &plan.scenarios[0].requests[0];
    assert_eq!(plan.request_names[request.stat], "GET {{ prefix }}/items");
    let template = request.dynamic.as_ref().and_then(|d| d.template.as_ref());
    // Where the path starts in the rendered URI: after "http://localhost:8080/api".
    assert_eq!(template.and_then(|t| t.path_at), Some(25));
    // Literal text before the slash is still refused at once.
    let d = one_problem("", "path = \"items/{{ vu }}\"\n");
    assert!(d.message.starts_with("path must start with \"/\""), "{d}");
}

#[test]
fn a_datetime_in_expect_json_is_its_rfc3339_text() {
    // Issue 17: it used to become toml's internal datetime object, which no response
    // could ever equal.
    let source = format!(
        "{HEAD}[scenarios.s]\n[[scenarios.s.requests]]\npath = \"/\"\n\
         expect = {{ json = {{ \"$.at\" = 1979-05-27T07:32:00Z, \"$.day\" = 1979-05-27 }} }}\n"
    );
    let plan = plan(&source);
    let dynamic = plan.scenarios[0].requests[0]
        .dynamic
        .as_ref()
        .expect("dynamic");
    let expect = dynamic.expect.as_ref().expect("expect");
    let values: Vec<_> = expect.json.iter().map(|j| j.value.clone()).collect();
    assert_eq!(
        values,
        [
            serde_json::json!("1979-05-27T07:32:00Z"),
            serde_json::json!("1979-05-27")
        ]
    );
}
