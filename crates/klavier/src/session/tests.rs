//! Session tests: rendering, feeders, extraction and checks, with property tests that
//! arbitrary inputs never panic and a seed always renders the same text.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use klavier_plan::checks::{Expect, JsonCheck};
use klavier_plan::data::{
    parse_csv, parse_csv_typed, ColumnType, Feeder, OnExhausted, Per, Strategy,
};
use klavier_plan::extract::{ExtractFrom, Extraction};
use klavier_plan::template::{Encode, Scope, Templates, Text};
use minijinja::Value;
use proptest::prelude::*;
use serde_json::json;
use serde_json_path::JsonPath;

use super::*;

fn feeder(strategy: Strategy, per: Per, on_exhausted: OnExhausted) -> Feeder {
    let table = parse_csv(b"user,pass\nalice,a1\nbob,b2\ncarol,c3\n").expect("valid csv");
    Feeder {
        name: "accounts".into(),
        table: Arc::new(table),
        strategy,
        per,
        on_exhausted,
    }
}

/// A shared state whose templates are `sources`, each as one whole text.
fn shared_with(sources: &[&str], feeders: &[Feeder]) -> (Shared, Vec<Text>) {
    shared_in(Segment::WHOLE, sources, feeders)
}

/// [`shared_with`] in segment `segment` of a run.
fn shared_in(segment: Segment, sources: &[&str], feeders: &[Feeder]) -> (Shared, Vec<Text>) {
    let mut templates = Templates::new();
    let scope = Scope {
        variables: ["token".to_owned(), "greeting".to_owned()].into(),
        feeders: feeders
            .iter()
            .map(|f| (f.name.clone(), f.table.columns().to_vec()))
            .collect(),
    };
    let texts = sources
        .iter()
        .map(|source| {
            let name = templates
                .add(source, &scope, &|_| None)
                .unwrap_or_else(|e| panic!("{source}: {e:?}"));
            let mut text = Text::default();
            text.push_template(name, Encode::Raw);
            text
        })
        .collect();
    let constants = BTreeMap::from([("greeting".to_owned(), Value::from("hi"))]);
    let shared = Shared {
        scenario_names: Vec::new(),
        renderer: Renderer::for_segment(&templates, segment),
        feeds: Feeds::for_segment(feeders, segment),
        constants: Arc::new(constants),
        cookies: true,
        not_rendered: std::sync::OnceLock::new(),
        invalid_url: std::sync::OnceLock::new(),
        redact: Vec::new(),
    };
    (shared, texts)
}

fn render(session: &mut Session, shared: &Shared, text: &Text) -> Result<String, RenderError> {
    let mut out = String::new();
    session
        .render(&shared.renderer, text, &mut out)
        .map(|()| out)
}

#[test]
fn renders_builtins_constants_and_feeder_columns() {
    let feeders = [feeder(
        Strategy::Sequential,
        Per::Iteration,
        OnExhausted::Stop,
    )];
    let (shared, texts) = shared_with(
        &["{{ greeting }} {{ accounts.user }}/{{ vu }}/{{ iteration }}/{{ scenario }}"],
        &feeders,
    );
    let mut session = Session::start(&shared, 1, 7).expect("starts");
    session
        .begin_iteration(&shared, 0, &Value::from("login"))
        .expect("rows");
    assert_eq!(
        render(&mut session, &shared, &texts[0]).as_deref(),
        Ok("hi bob/1/0/login")
    );
    session
        .begin_iteration(&shared, 1, &Value::from("login"))
        .expect("rows");
    assert_eq!(
        render(&mut session, &shared, &texts[0]).as_deref(),
        Ok("hi carol/1/1/login")
    );
}

#[test]
fn an_unset_variable_fails_the_render() {
    let (shared, texts) = shared_with(&["Bearer {{ token }}"], &[]);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    assert!(render(&mut session, &shared, &texts[0]).is_err());
    session.vars_mut().set(&"token".into(), Value::from("abc"));
    assert_eq!(
        render(&mut session, &shared, &texts[0]).as_deref(),
        Ok("Bearer abc")
    );
}

#[test]
fn encodings_apply_to_template_output_only() {
    let (shared, _) = shared_with(&[], &[]);
    let mut templates = Templates::new();
    let name = templates
        .add(
            "{{ x }}",
            &Scope {
                variables: ["x".into()].into(),
                ..Scope::default()
            },
            &|_| None,
        )
        .expect("compiles");
    let renderer = Renderer::new(&templates);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    session
        .vars_mut()
        .set(&"x".into(), Value::from("a b&\"c\""));
    let mut text = Text::default();
    text.push_literal("q=");
    text.push_template(name.clone(), Encode::Form);
    text.push_literal(" j=\"");
    text.push_template(name, Encode::JsonString);
    text.push_literal("\"");
    let mut out = String::new();
    session.render(&renderer, &text, &mut out).expect("renders");
    assert_eq!(out, r#"q=a+b%26%22c%22 j="a b&\"c\"""#);
}

#[test]
fn a_json_value_keeps_the_type_of_what_it_renders() {
    let types = klavier_plan::data::Types::from([("qty".to_owned(), ColumnType::Int)]);
    let table = parse_csv_typed(b"qty,zip\n3,01234\n", &types).expect("valid csv");
    let feeders = [Feeder {
        name: "items".into(),
        table: Arc::new(table),
        strategy: Strategy::Sequential,
        per: Per::User,
        on_exhausted: OnExhausted::Stop,
    }];
    let (shared, _) = shared_with(&[], &feeders);
    let scope = Scope {
        variables: ["token".to_owned()].into(),
        feeders: [("items".to_owned(), vec!["qty".to_owned(), "zip".to_owned()])].into(),
    };
    let mut templates = Templates::new();
    let mut text = Text::default();
    text.push_literal("[");
    for (i, source) in [
        "{{ random_int(1, 5) }}",
        "{{ items.qty }}",
        "{{ items.zip }}",
        "{{ items.qty | string }}",
        "{{ token }}",
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            text.push_literal(",");
        }
        let name = templates
            .add_json_value(source, &scope, &|_| None)
            .expect("compiles");
        text.push_template(name, Encode::JsonValue);
    }
    text.push_literal("]");
    let renderer = Renderer::new(&templates);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    session.vars_mut().set(&"token".into(), Value::from("7"));
    let mut out = String::new();
    session.render(&renderer, &text, &mut out).expect("renders");
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let qty = json[0].as_i64().expect("random_int() is a number");
    assert!((1..=5).contains(&qty), "{out}");
    let rest = json.as_array().map(|items| items[1..].to_vec());
    let wanted = vec![json!(3), json!("01234"), json!("3"), json!("7")];
    assert_eq!(rest, Some(wanted), "{out}");
}

#[test]
fn unique_feeder_hands_each_row_once_then_stops_or_recycles() {
    let feeders = [feeder(Strategy::Unique, Per::User, OnExhausted::Stop)];
    let (shared, _) = shared_with(&[], &feeders);
    for vu in 0..3 {
        assert!(Session::start(&shared, vu, 1).is_ok());
    }
    let exhausted = Session::start(&shared, 3, 1).expect_err("no row left");
    assert_eq!(&*exhausted.feeder, "accounts");
    let recycling = [feeder(Strategy::Unique, Per::User, OnExhausted::Recycle)];
    let (shared, _) = shared_with(&[], &recycling);
    assert!((0..10).all(|vu| Session::start(&shared, vu, 1).is_ok()));
}

/// The users each segment's `unique` feeder gives a row to, by name, in draw order.
fn unique_users(segment: Segment, on_exhausted: OnExhausted, draws: u32) -> Vec<String> {
    let feeders = [feeder(Strategy::Unique, Per::User, on_exhausted)];
    let (shared, texts) = shared_in(segment, &["{{ accounts.user }}"], &feeders);
    (0..draws)
        .map_while(|vu| Session::start(&shared, vu, 1).ok())
        .map(|mut session| render(&mut session, &shared, &texts[0]).expect("renders"))
        .collect()
}

#[test]
fn unique_feeders_split_their_rows_between_segments() {
    let segment = |i| Segment::new(i, 2).expect("valid");
    // alice, bob, carol: rows 0 and 2 for segment 0, row 1 for segment 1.
    assert_eq!(
        unique_users(segment(0), OnExhausted::Stop, 9),
        ["alice", "carol"]
    );
    assert_eq!(unique_users(segment(1), OnExhausted::Stop, 9), ["bob"]);
    assert_eq!(
        unique_users(segment(1), OnExhausted::Recycle, 3),
        ["bob", "bob", "bob"]
    );
    // More segments than rows: a recycling segment without rows of its own takes any.
    let last = Segment::new(4, 5).expect("valid");
    assert_eq!(
        unique_users(last, OnExhausted::Stop, 9),
        Vec::<String>::new()
    );
    assert_eq!(
        unique_users(last, OnExhausted::Recycle, 2),
        ["bob", "alice"]
    );
}

#[test]
fn seq_values_of_segments_never_meet() {
    let mut seen = Vec::new();
    for i in 0..3 {
        let segment = Segment::new(i, 3).expect("valid");
        let (shared, texts) = shared_in(segment, &["{{ seq() }}"], &[]);
        let mut session = Session::start(&shared, 0, 1).expect("starts");
        for _ in 0..4 {
            seen.push(render(&mut session, &shared, &texts[0]).expect("renders"));
        }
    }
    let mut values: Vec<u64> = seen.iter().map(|v| v.parse().expect("a number")).collect();
    values.sort_unstable();
    assert_eq!(values, (1..=12).collect::<Vec<_>>());
}

#[test]
fn seq_counts_across_users() {
    let (shared, texts) = shared_with(&["{{ seq() }}"], &[]);
    let mut a = Session::start(&shared, 0, 1).expect("starts");
    let mut b = Session::start(&shared, 1, 1).expect("starts");
    assert_eq!(render(&mut a, &shared, &texts[0]).as_deref(), Ok("1"));
    assert_eq!(render(&mut b, &shared, &texts[0]).as_deref(), Ok("2"));
}

#[test]
fn generators_have_their_shapes() {
    let (shared, texts) = shared_with(
        &[
            "{{ uuid() }}",
            "{{ random_int(3, 5) }}",
            "{{ random_string(12) }}",
            "{{ now_iso() }}",
            "{{ random_choice(['x']) }}",
        ],
        &[],
    );
    let mut s = Session::start(&shared, 0, 1).expect("starts");
    let uuid = render(&mut s, &shared, &texts[0]).expect("uuid");
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"));
    let n: i64 = render(&mut s, &shared, &texts[1])
        .expect("int")
        .parse()
        .expect("a number");
    assert!((3..=5).contains(&n));
    assert_eq!(
        render(&mut s, &shared, &texts[2]).expect("string").len(),
        12
    );
    assert!(render(&mut s, &shared, &texts[3])
        .expect("iso")
        .ends_with('Z'));
    assert_eq!(render(&mut s, &shared, &texts[4]).as_deref(), Ok("x"));
}

fn response<'a>(status: u16, headers: &'a HeaderMap, body: &'a [u8]) -> Response<'a> {
    Response {
        status,
        headers,
        body,
        latency: Duration::from_millis(5),
    }
}

#[test]
fn extraction_sets_or_unsets_and_counts_failures() {
    let extract = vec![
        Extraction {
            variable: "token".into(),
            from: ExtractFrom::Json {
                written: "$.token".into(),
                path: JsonPath::parse("$.token").expect("valid"),
            },
        },
        Extraction {
            variable: "id".into(),
            from: ExtractFrom::Regex {
                regex: regex::Regex::new(r"id=(\d+)").expect("valid"),
                group: 1,
            },
        },
        Extraction {
            variable: "etag".into(),
            from: ExtractFrom::Header(http::header::ETAG),
        },
    ];
    let (shared, _) = shared_with(&[], &[]);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    let mut headers = HeaderMap::new();
    headers.insert(http::header::ETAG, HeaderValue::from_static("\"v1\""));
    let body = br#"{"token": "t-1", "next": "id=42"}"#;
    let verdict = evaluate(
        None,
        &extract,
        &response(200, &headers, body),
        session.vars_mut(),
    );
    assert!(verdict.failed.is_empty());
    assert_eq!(session.vars().get("token"), Some(&Value::from("t-1")));
    assert_eq!(session.vars().get("id"), Some(&Value::from("42")));
    assert_eq!(session.vars().get("etag"), Some(&Value::from("\"v1\"")));
    let verdict = evaluate(
        None,
        &extract,
        &response(200, &HeaderMap::new(), b"nope"),
        session.vars_mut(),
    );
    assert_eq!(verdict.failed, [0, 1, 2]);
    assert_eq!(session.vars().get("token"), None);
}

#[test]
fn checks_fail_one_by_one() {
    let expect = Expect {
        status: Some(vec![200]),
        headers: vec![(http::header::CONTENT_TYPE, "application/json".into())],
        body_contains: Some("up".into()),
        json: vec![JsonCheck {
            written: "$.status".into(),
            path: JsonPath::parse("$.status").expect("valid"),
            value: "up".into(),
        }],
        max_latency: Some(Duration::from_millis(1)),
        templates: Vec::new(),
    };
    let (shared, _) = shared_with(&[], &[]);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let ok = evaluate(
        Some(&expect),
        &[],
        &response(200, &headers, br#"{"status":"up"}"#),
        session.vars_mut(),
    );
    assert_eq!(ok.failed, [4]); // only the latency: 5 ms > 1 ms
    let bad = evaluate(
        Some(&expect),
        &[],
        &response(503, &HeaderMap::new(), b"down"),
        session.vars_mut(),
    );
    assert_eq!(bad.failed, [0, 1, 2, 3, 4]);
    assert_eq!(klavier_plan::checks::of(Some(&expect), &[]).count(), 5);
}

proptest! {
    #[test]
    fn rendering_is_deterministic_for_a_seed_and_never_panics(
        seed in any::<u64>(),
        vu in 0u32..1000,
        value in ".{0,40}",
    ) {
        let (shared, texts) = shared_with(
            &["{{ uuid() }}/{{ random_int(-5, 5) }}/{{ random_string(6) }}/{{ random_choice([1, 2, 3]) }}/{{ token | urlencode }}/{{ token | base64 }}/{{ token | upper }}"],
            &[],
        );
        let run = || {
            let mut s = Session::start(&shared, vu, seed).expect("starts");
            s.vars_mut().set(&"token".into(), Value::from(value.as_str()));
            (render(&mut s, &shared, &texts[0]), render(&mut s, &shared, &texts[0]))
        };
        let first = run();
        prop_assert!(first.0.is_ok());
        prop_assert_eq!(first, run());
    }

    #[test]
    fn arbitrary_templates_never_panic(source in ".{0,60}") {
        let mut templates = Templates::new();
        let scope = Scope { variables: ["token".to_owned()].into(), ..Scope::default() };
        if let Ok(name) = templates.add(&source, &scope, &|_| None) {
            let (shared, _) = shared_with(&[], &[]);
            let renderer = Renderer::new(&templates);
            let mut s = Session::start(&shared, 0, 1).expect("starts");
            let mut text = Text::default();
            text.push_template(name, Encode::Raw);
            let _ = s.render(&renderer, &text, &mut String::new());
        }
    }

    #[test]
    fn extraction_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200), group in 0usize..3) {
        let headers = HeaderMap::new();
        let r = response(200, &headers, &body);
        let json = serde_json::from_slice(&body).ok();
        let froms = [
            ExtractFrom::Json { written: "$..a".into(), path: JsonPath::parse("$..a").expect("valid") },
            ExtractFrom::Regex { regex: regex::Regex::new(r"(\w+)=(\d*)").expect("valid"), group },
            ExtractFrom::Header(http::header::ETAG),
        ];
        for from in &froms {
            let _ = extract_one(from, &r, json.as_ref());
        }
    }
}

#[test]
fn a_rendered_uri_that_is_not_valid_is_no_unset_variable() {
    // Issue 17: both used to read as "a variable was unset".
    let source = concat!(
        "[target]\nbase_url = \"http://127.0.0.1:1\"\n[timings]\ntest_duration_seconds = 1\n",
        "[variables]\nbad = \"a b\"\n[scenarios.s]\n",
        "[[scenarios.s.requests]]\npath = \"/x/{{ bad }}\"\n",
        "[[scenarios.s.requests]]\npath = \"/y/{{ later }}\"\n",
        "extract = { later = { header = \"X-Later\" } }\n",
    );
    let plan = klavier_plan::compile(source, "t.toml", &klavier_plan::Overrides::default())
        .expect("compiles");
    let shared = Shared::new(&plan);
    let mut session = Session::start(&shared, 0, 1).expect("starts");
    let mut scratch = String::new();
    let [bad_uri, unset] = [0, 1].map(|i| {
        let request = &plan.scenarios[0].requests[i];
        session.render_request(&shared, request, &mut scratch)
    });
    assert!(
        // Says why and where: the rendered value (secrets hidden) and the position.
        matches!(bad_uri, Err(RenderError::InvalidUrl(ref m))
            if m.contains("\"http://127.0.0.1:1/x/a b\" is not valid: character 23 (' ')")),
        "{bad_uri:?}"
    );
    assert!(matches!(unset, Err(RenderError::Unset(_))), "{unset:?}");
}
