//! Unit tests of template compilation and its static checks.

use super::*;

fn scope() -> Scope {
    Scope {
        variables: ["token".to_owned(), "base".to_owned()].into(),
        feeders: [(
            "accounts".to_owned(),
            vec!["username".to_owned(), "password".to_owned()],
        )]
        .into(),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn add(source: &str) -> Result<Arc<str>, Vec<TemplateError>> {
    Templates::new().add(source, &scope(), &no_env)
}

fn first_error(source: &str) -> TemplateError {
    add(source).expect_err("the template is wrong").remove(0)
}

#[test]
fn detects_template_syntax() {
    assert!(is_template("/users/{{ id }}"));
    assert!(is_template("{% if x %}a{% endif %}"));
    assert!(!is_template("/api/health"));
    assert!(!is_template(r#"{"a": {"b": 1}}"#));
}

#[test]
fn known_names_compile() {
    #[rustfmt::skip]
    let good = [
        "Bearer {{ token }}",                       // a variable
        "{{ accounts.username }}",                  // a feeder column
        "{{ vu }}-{{ iteration }}-{{ scenario }}",  // built-ins
        "{{ uuid() }} {{ random_int(1, 6) }} {{ seq() }} {{ now_ms() }}", // functions
        "{{ random_choice(['a', 'b']) }} {{ random_string(8) }} {{ now_iso() }}",
        "{{ token | urlencode }} {{ token | base64 }} {{ token | upper }}", // filters
        "{% for i in range(3) %}{{ i }}{% endfor %}", // loop variables are not free
    ];
    for source in good {
        assert!(add(source).is_ok(), "{source}: {:?}", add(source));
    }
}

#[test]
fn syntax_error_points_into_the_template() {
    let e = first_error("/users/{{ id ");
    assert!(
        e.message.starts_with("template syntax error"),
        "{}",
        e.message
    );
    assert!(e.offset <= 13, "{}", e.offset);
}

#[test]
fn undefined_variable_is_named_with_its_offset_and_a_hint() {
    let e = first_error("/users/{{ tokn }}");
    assert_eq!(e.message, r#"undefined variable "tokn""#);
    assert_eq!(e.offset, 10);
    assert_eq!(e.help.as_deref(), Some(r#"did you mean "token"?"#));
}

#[test]
fn unknown_feeder_is_an_undefined_variable() {
    let e = first_error("{{ users.name }}");
    assert_eq!(e.message, r#"undefined variable "users""#);
}

#[test]
fn unknown_column_lists_the_columns() {
    let e = first_error("x={{ accounts.email }}");
    assert_eq!(e.message, r#"feeder "accounts" has no column "email""#);
    assert_eq!(e.offset, 14);
    assert_eq!(
        e.help.as_deref(),
        Some("its columns are: username, password")
    );
}

#[test]
fn unknown_filter_is_reported() {
    let e = first_error("{{ token | shout }}");
    assert_eq!(e.message, r#"unknown filter "shout""#);
    assert_eq!(e.offset, 11);
}

#[test]
fn only_code_is_scanned_for_filters_and_env_calls() {
    #[rustfmt::skip]
    let good = [
        "/search?q=a|b&id={{ token }}",          // a `|` in the literal text (issue 17)
        "a|upper {{ token }} b|shout",           // filter-like text outside tags
        r#"{{ token | default("a|shout") }}"#,   // a `|` inside a string literal
        "/env(x)/{{ token }}",                   // env( outside a tag
        "{# token | shout #}{{ token }}",        // comments are not code
    ];
    for source in good {
        assert!(add(source).is_ok(), "{source}: {:?}", add(source));
    }
    let e = first_error("a|b {{ token | shout }}");
    assert_eq!(e.message, r#"unknown filter "shout""#);
    assert_eq!(e.offset, "a|b {{ token | ".len());
}

#[test]
fn env_of_an_unset_variable_is_an_error() {
    let e = first_error(r#"{{ env("KLAVIER_TEST_UNSET") }}"#);
    assert_eq!(
        e.message,
        r#"environment variable "KLAVIER_TEST_UNSET" is not set"#
    );
    assert_eq!(e.offset, 8);
}

#[test]
fn env_needs_a_literal_name() {
    let e = first_error("{{ env(token) }}");
    assert!(e.message.starts_with("env() takes"), "{}", e.message);
}

#[test]
fn env_values_are_read_at_compile_time() {
    let mut templates = Templates::new();
    let lookup = |name: &str| (name == "HOME_URL").then(|| "http://x".to_owned());
    let name = templates
        .add(r#"{{ env("HOME_URL") }}/a"#, &scope(), &lookup)
        .expect("compiles");
    let rendered = templates
        .environment()
        .get_template(&name)
        .and_then(|t| t.render(()))
        .expect("renders");
    assert_eq!(rendered, "http://x/a");
}

#[test]
fn base64_filter_encodes_text() {
    let templates = Templates::new();
    let out = templates
        .environment()
        .render_str("{{ 'user:pass' | base64 }}", ())
        .expect("renders");
    assert_eq!(out, "dXNlcjpwYXNz");
}

#[test]
fn undefined_at_render_time_is_an_error_not_empty_text() {
    let mut templates = Templates::new();
    let name = templates
        .add("{{ token }}", &scope(), &no_env)
        .expect("compiles");
    let template = templates.environment().get_template(&name).expect("exists");
    assert!(template.render(()).is_err());
}

#[test]
fn literals_merge_and_templates_mark_a_text() {
    let mut text = Text::default();
    text.push_literal("/a");
    text.push_literal("/b");
    assert!(!text.is_templated());
    text.push_template("t0".into(), Encode::Raw);
    assert_eq!(text.pieces.len(), 2);
    assert_eq!(text.pieces[0], Piece::Literal("/a/b".into()));
    assert!(text.is_templated());
}

#[test]
fn a_single_expression_is_recognized_and_nothing_else() {
    assert!(is_single_expression("{{ n }}"));
    assert!(is_single_expression("{{- random_int(1, 5) -}}"));
    assert!(is_single_expression("{{ x | default('}}') }}"));
    assert!(!is_single_expression(" {{ n }}"));
    assert!(!is_single_expression("{{ n }} "));
    assert!(!is_single_expression("n={{ n }}"));
    assert!(!is_single_expression("{{ a }}{{ b }}"));
    assert!(!is_single_expression("{% if a %}1{% endif %}"));
    assert!(!is_single_expression("{{ n "));
}

/// `source` added as a JSON value and rendered with `n`.
fn json_value(source: &str, n: Value) -> String {
    let mut templates = Templates::new();
    let scope = Scope {
        variables: ["n".to_owned()].into(),
        ..Scope::default()
    };
    let name = templates
        .add_json_value(source, &scope, &no_env)
        .expect("compiles");
    templates
        .environment()
        .get_template(&name)
        .and_then(|t| t.render(minijinja::context! { n => n }))
        .expect("renders")
}

#[test]
fn a_json_value_template_renders_the_values_json() {
    assert_eq!(json_value("{{ n }}", Value::from(3)), "3");
    assert_eq!(json_value("{{ n }}", Value::from(-2.5)), "-2.5");
    assert_eq!(json_value("{{ n }}", Value::from(true)), "true");
    assert_eq!(json_value("{{ n }}", Value::from(())), "null");
    assert_eq!(json_value("{{ n }}", Value::from(vec![1, 2])), "[1,2]");
    // Strings stay strings, escaped: text that looks like a number included.
    assert_eq!(json_value("{{ n }}", Value::from("3")), r#""3""#);
    assert_eq!(json_value("{{ n }}", Value::from("a\"b\n")), r#""a\"b\n""#);
    // Filters decide: `string` makes a string, `int` and `float` numbers.
    assert_eq!(json_value("{{ n | string }}", Value::from(3)), r#""3""#);
    assert_eq!(json_value("{{ n | int }}", Value::from("42")), "42");
    assert_eq!(json_value("{{ n * 2 }}", Value::from(21)), "42");
    assert_eq!(json_value("{{ n > 1 }}", Value::from(2)), "true");
    // Not a number JSON can hold: null, as JSON.stringify writes it.
    assert_eq!(json_value("{{ n }}", Value::from(f64::NAN)), "null");
}

#[test]
fn other_templates_print_values_as_text() {
    let mut templates = Templates::new();
    let scope = Scope {
        variables: ["n".to_owned()].into(),
        ..Scope::default()
    };
    let name = templates.add("{{ n }}", &scope, &no_env).expect("compiles");
    let rendered = templates
        .environment()
        .get_template(&name)
        .and_then(|t| t.render(minijinja::context! { n => "3" }))
        .expect("renders");
    assert_eq!(rendered, "3");
}

#[test]
fn an_unset_variable_is_still_an_error_whatever_the_template() {
    let scope = Scope {
        variables: ["n".to_owned()].into(),
        ..Scope::default()
    };
    let mut templates = Templates::new();
    let plain = templates
        .add("/x/{{ n }}", &scope, &no_env)
        .expect("compiles");
    let typed = templates
        .add_json_value("{{ n }}", &scope, &no_env)
        .expect("compiles");
    for name in [plain, typed] {
        let rendered = templates
            .environment()
            .get_template(&name)
            .and_then(|t| t.render(minijinja::context! {}));
        let kind = rendered.as_ref().map_err(minijinja::Error::kind);
        assert_eq!(kind, Err(ErrorKind::UndefinedError), "{name}: {rendered:?}");
    }
}
