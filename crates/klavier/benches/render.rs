//! What a templated request costs: rendering a typical one (a path with an id, a query
//! value, a bearer token header and a JSON body with two feeder columns) for one user,
//! against cloning the same request prebuilt.

// Benchmarks state their setup with expect(); a failure there is a broken benchmark.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use klavier::{Session, Shared};
use minijinja::Value;

const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:8080/api"
headers = { "User-Agent" = "Klavier/1.0" }
[timings]
duration = "1s"
[variables]
tenant = "acme"
[data.accounts]
file = "ACCOUNTS"
[scenarios.s]
[[scenarios.s.requests]]
method = "POST"
path = "/t/{{ tenant }}/orders/{{ random_int(1, 100000) }}"
query = { request_id = "{{ uuid() }}" }
headers = { Authorization = "Bearer {{ token }}" }
json = { user = "{{ accounts.username }}", note = "{{ accounts.password | upper }}", qty = 3 }
extract = { token = { json = "$.token" } }
[[scenarios.s.requests]]
path = "/health"
"#;

fn render(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("klavier-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let csv = dir.join("accounts.csv");
    let rows: String = (0..1000).map(|i| format!("user{i},pw{i}\n")).collect();
    std::fs::write(&csv, format!("username,password\n{rows}")).expect("write csv");
    let source = PROFILE.replace("ACCOUNTS", &csv.display().to_string());
    let plan = klavier_plan::compile(&source, dir.join("p.toml"), &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let shared = Shared::new(&plan);
    let mut session = Session::start(&shared, 0, 42).expect("a row");
    session
        .begin_iteration(&shared, 0, &Value::from("s"))
        .expect("a row");
    session
        .vars_mut()
        .set(&"token".into(), Value::from("eyJhbGciOiJIUzI1NiJ9.e30.abc"));
    let templated = &plan.scenarios[0].requests[0];
    let plain = &plan.scenarios[0].requests[1];
    let mut scratch = String::new();

    let mut group = c.benchmark_group("request");
    group.bench_function("render templated", |b| {
        b.iter(|| {
            let built = session
                .render_request(&shared, black_box(templated), &mut scratch)
                .expect("renders");
            black_box(built)
        })
    });
    group.bench_function("clone prebuilt", |b| {
        b.iter(|| black_box(black_box(plain).clone()))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, render);
criterion_main!(benches);
