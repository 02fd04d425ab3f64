//! Python's own `http.server` speaking HTTP/1.0: a new connection for every request,
//! static files with a `Content-Length`, and `/text/N` bodies with none, delimited by
//! the server closing the connection. Its log on stderr is the ground truth.

use super::{assert_matches_log, assert_no_failures, assert_sent, run, total};
use crate::support::python::Http10Server;
use crate::support::{request, uint, Workspace};

#[test]
fn http10_close_delimited_and_static_bodies_match_its_log() {
    let ws = Workspace::new();
    let server = Http10Server::start(ws.dir());
    let page = format!("{}END-OF-FILE\n", "static file line\n".repeat(400));
    std::fs::write(server.root().join("file.txt"), &page).expect("the workspace is writable");
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "3s"

[scenarios.http10]
[[scenarios.http10.requests]]
method = "GET"
path = "/text/10"
expect = {{ status = 200, body_contains = "xxEND" }}
[[scenarios.http10.requests]]
method = "GET"
path = "/text/9000"
expect = {{ status = 200, body_contains = "xxEND" }}
[[scenarios.http10.requests]]
method = "GET"
path = "/file.txt"
expect = {{ status = 200, body_contains = "END-OF-FILE" }}
[[scenarios.http10.requests]]
method = "GET"
path = "/missing.txt"
expect = {{ status = 404 }}

[timings]
test_duration_seconds = 2
min_scenario_interval_ms = 0
"#,
        server.base_url()
    );
    let run = run(&ws, &profile, 4, "2s");
    let names = ["/text/10", "/text/9000", "/file.txt", "/missing.txt"].map(|p| format!("GET {p}"));
    assert_sent(&run, &names);
    assert_no_failures(&run, "http.server (HTTP/1.0)");
    let log = server.log_once(total(&run));
    assert_matches_log(&run, &log, "http.server");
    // Known bodies: every byte of each arrived (heads and the rest come on top).
    for (name, size) in [
        ("GET /text/9000", 9000),
        ("GET /file.txt", page.len() as u64),
    ] {
        let row = request(&run.result, name);
        let (count, received) = (uint(row, "count"), uint(row, "bytes_received"));
        assert!(
            received >= count * size,
            "{name}: {received} bytes for {count} × {size}"
        );
    }
}
