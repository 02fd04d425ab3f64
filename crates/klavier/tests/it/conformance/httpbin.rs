//! httpbin under gunicorn, from the test virtualenv. gunicorn frames every body that
//! has no length with chunks (`/stream`, `/stream-bytes`), one write per chunk after
//! the head; `/drip` has a length and trickles its bytes; `/status/204` and `/304` have
//! neither. `sync` workers answer `Connection: close`, `gthread` workers keep the
//! connection alive. gunicorn's access log (request line, status, body length) is the
//! ground truth.

use super::{assert_matches_log, assert_no_failures, assert_sent, run, total};
use crate::support::python::{Httpbin, Worker};
use crate::support::{request, uint, Workspace};

/// The endpoints with a length or no body at all.
const FIXED: &str = r#"
[[scenarios.fixed.requests]]
method = "GET"
path = "/status/200"
[[scenarios.fixed.requests]]
method = "GET"
path = "/status/204"
expect = { status = 204 }
[[scenarios.fixed.requests]]
method = "GET"
path = "/status/304"
expect = { status = 304 }
[[scenarios.fixed.requests]]
method = "GET"
path = "/status/404"
expect = { status = 404 }
[[scenarios.fixed.requests]]
method = "GET"
path = "/status/500"
expect = { status = 500 }
[[scenarios.fixed.requests]]
method = "POST"
path = "/anything"
json = { tool = "klavier", suite = "conformance" }
expect = { status = 200, body_contains = "conformance" }
[[scenarios.fixed.requests]]
method = "GET"
path = "/cookies/set?flavour=oatmeal"
redirects = 0
expect = { status = 302 }
[[scenarios.fixed.requests]]
method = "GET"
path = "/drip?duration=0.05&numbytes=5&delay=0"
expect = { status = 200, body_contains = "*****" }
"#;

/// The chunked endpoints. With gunicorn's head of 233 bytes (sync; the Date header
/// has a fixed width), chunks of 1,280 bytes put the size line of the fourth chunk
/// across byte 4,096 of the response; chunks of 2,040 put the third across byte
/// 4,096 of the body (a client that read the head alone); 1,000 is issue 8's case.
const STREAMS: &str = r#"
[[scenarios.streams.requests]]
method = "GET"
path = "/stream/20"
expect = { status = 200, body_contains = '"id": 19' }
[[scenarios.streams.requests]]
method = "GET"
path = "/stream-bytes/100"
[[scenarios.streams.requests]]
method = "GET"
path = "/stream-bytes/50000?chunk_size=1000"
[[scenarios.streams.requests]]
method = "GET"
path = "/stream-bytes/20000?chunk_size=1280"
[[scenarios.streams.requests]]
method = "GET"
path = "/stream-bytes/20000?chunk_size=2040"
"#;

const FIXED_NAMES: [&str; 8] = [
    "GET /status/200",
    "GET /status/204",
    "GET /status/304",
    "GET /status/404",
    "GET /status/500",
    "POST /anything",
    "GET /cookies/set?flavour=oatmeal",
    "GET /drip?duration=0.05&numbytes=5&delay=0",
];

const STREAM_NAMES: [(&str, u64); 5] = [
    ("GET /stream/20", 0),
    ("GET /stream-bytes/100", 100),
    ("GET /stream-bytes/50000?chunk_size=1000", 50_000),
    ("GET /stream-bytes/20000?chunk_size=1280", 20_000),
    ("GET /stream-bytes/20000?chunk_size=2040", 20_000),
];

/// Runs `scenarios` (TOML, each scenario's requests) against httpbin under `worker`
/// with 4 users for 2 s and checks Klavier against gunicorn's access log.
fn conforms(worker: Worker, scenarios: &[&str], names: &[&str]) -> crate::support::Finished {
    let ws = Workspace::new();
    let httpbin = Httpbin::start(ws.dir(), worker);
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "3s"
{}
[timings]
test_duration_seconds = 2
min_scenario_interval_ms = 0
"#,
        httpbin.base_url(),
        scenarios.concat()
    );
    let run = run(&ws, &profile, 4, "2s");
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    assert_sent(&run, &names);
    assert_no_failures(&run, "httpbin under gunicorn");
    let log = httpbin.access_log_once(total(&run));
    assert_matches_log(&run, &log, "gunicorn");
    run
}

/// Asserts each stream received at least its known body size per request.
fn assert_stream_sizes(run: &crate::support::Finished) {
    for (name, size) in STREAM_NAMES {
        let row = request(&run.result, name);
        let (count, received) = (uint(row, "count"), uint(row, "bytes_received"));
        assert!(
            received >= count * size,
            "{name}: {received} bytes for {count} bodies of {size}"
        );
    }
}

#[test]
fn httpbin_endpoints_with_a_length_or_no_body_match_gunicorns_log() {
    conforms(Worker::Sync, &["[scenarios.fixed]\n", FIXED], &FIXED_NAMES);
}

#[test]
fn httpbin_chunked_streams_under_sync_workers_match_gunicorns_log() {
    let names = STREAM_NAMES.map(|(name, _)| name);
    let run = conforms(Worker::Sync, &["[scenarios.streams]\n", STREAMS], &names);
    assert_stream_sizes(&run);
}

#[test]
fn httpbin_under_threaded_keepalive_workers_matches_gunicorns_log() {
    let names: Vec<&str> = FIXED_NAMES
        .into_iter()
        .chain(STREAM_NAMES.map(|(name, _)| name))
        .collect();
    let scenarios = [
        "[scenarios.fixed]\n",
        FIXED,
        "[scenarios.streams]\n",
        STREAMS,
    ];
    let run = conforms(Worker::Threads(4), &scenarios, &names);
    assert_stream_sizes(&run);
}
