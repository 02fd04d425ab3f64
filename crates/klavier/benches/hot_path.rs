//! Costs per request in the binary crate: picking a scenario by weight and building
//! the HTTP request from the plan (headers, `Host`, `Content-Length`, wire size).
//! Recording the sample and serializing snapshots are measured in `klavier-stats`.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use klavier::Connector;
use klavier_plan::{compile, Overrides, Plan, ScenarioPicker};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The demo's shape: four weighted scenarios, a default header, a JSON body.
const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:8080"
headers = { "User-Agent" = "Klavier-bench" }

[scenarios.health_check]
weight = 6
[[scenarios.health_check.requests]]
method = "GET"
path = "/api/health"

[scenarios.login]
weight = 3
[[scenarios.login.requests]]
method = "POST"
path = "/api/auth/login"
json = { username = "demo", password = "secret" }
[[scenarios.login.requests]]
path = "/bytes/2048"
query = { page = "2", size = "50" }

[scenarios.report]
weight = 1
[[scenarios.report.requests]]
path = "/delay/50"

[scenarios.broken]
weight = 1
[[scenarios.broken.requests]]
path = "/status/503"

[timings]
test_duration_seconds = 10
"#;

fn plan() -> Plan {
    compile(PROFILE, "bench.toml", &Overrides::default()).expect("the bench profile is valid")
}

fn pick(c: &mut Criterion) {
    let plan = plan();
    let picker = ScenarioPicker::new(&plan.scenarios);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    // What a user does before each iteration: one roll, one lookup.
    c.bench_function("pick a scenario (4 weighted)", |b| {
        b.iter(|| picker.pick(rng.random_range(0..picker.total())))
    });
}

fn build(c: &mut Criterion) {
    let plan = plan();
    let connector = Connector::new(&plan.target).expect("plain HTTP needs no TLS setup");
    let get = &plan.scenarios[0].requests[0];
    let post = &plan.scenarios[1].requests[0];
    c.bench_function("build a request: GET, 1 header", |b| {
        b.iter(|| connector.build_and_drop(black_box(get)))
    });
    c.bench_function("build a request: POST JSON, 1 header", |b| {
        b.iter(|| connector.build_and_drop(black_box(post)))
    });
}

criterion_group!(benches, pick, build);
criterion_main!(benches);
