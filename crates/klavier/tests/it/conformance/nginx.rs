//! nginx: static files with a length, gzip compressed on the fly (so chunked), `return
//! 204` and 304s, and `keepalive_requests 3`, so nginx closes connections under
//! Klavier every third request. nginx logs every byte it sent per request, so Klavier's
//! received bytes must equal them exactly.

use super::{assert_matches_log, assert_no_failures, assert_sent, run, total};
use crate::support::nginx::{Nginx, Site};
use crate::support::process::Logged;
use crate::support::{request, uint, Workspace};

/// Static files, a 204, two kinds of 304, gzip for text and JSON, 3 requests a connection.
const SITE: Site<'static> = Site {
    http: "
    keepalive_requests 3;
    gzip on;
    gzip_min_length 20;
    gzip_types text/plain application/json;
    if_modified_since before;",
    server: "
        location = /empty { return 204; }
        location = /unchanged { return 304; }
        location /trickle/ { gzip_buffers 4 1k; output_buffers 1 1k; }",
};

/// Starts nginx with [`SITE`] and its files: `page.html` (11 KiB), `words.txt` (82 KiB
/// of words that compress to 31 KiB: one chunk), `trickle/words.txt` (the same, but
/// nginx compresses it into 4 KiB chunks and writes them 1 KiB at a time) and
/// `data.json`.
fn start(ws: &Workspace) -> Nginx {
    let nginx = Nginx::start_site(ws.dir(), SITE);
    let root = nginx.root();
    let page = format!("<p>{}</p>END-OF-PAGE\n", words(1500));
    std::fs::write(root.join("page.html"), page).expect("the workspace is writable");
    let text = format!("{}\nEND-OF-WORDS\n", words(9000));
    std::fs::write(root.join("words.txt"), &text).expect("the workspace is writable");
    std::fs::create_dir_all(root.join("trickle")).expect("the workspace is writable");
    std::fs::write(root.join("trickle/words.txt"), text).expect("the workspace is writable");
    let json = format!(r#"{{"status": "up", "words": "{}"}}"#, words(60));
    std::fs::write(root.join("data.json"), json).expect("the workspace is writable");
    nginx
}

/// `n` words drawn by a fixed linear congruential generator: text that compresses,
/// but not to nothing.
fn words(n: usize) -> String {
    const WORDS: [&str; 16] = [
        "load", "test", "user", "scenario", "latency", "klavier", "chunk", "nginx", "gzip",
        "request", "response", "byte", "buffer", "read", "write", "server",
    ];
    let mut state: u64 = 2024;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let word = WORDS[(state >> 60) as usize];
        let number = (state >> 40) % 1000;
        out.push(format!("{word}{number}"));
    }
    out.join(" ")
}

/// Runs `profile` (with `{url}` for nginx's address) for 2 s with 4 users and checks
/// Klavier against nginx's access log, bytes included.
fn conforms(ws: &Workspace, nginx: &Nginx, profile: &str, names: &[&str]) {
    let profile = profile.replace("{url}", &nginx.base_url());
    let run = run(ws, &profile, 4, "2s");
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    assert_sent(&run, &names);
    assert_no_failures(&run, "nginx");
    let log = nginx.access_log_once(total(&run) as u64);
    assert_matches_log(&run, &log, "nginx");
    for name in &names {
        let row = request(&run.result, name);
        let wire = wire_bytes(&log, name);
        assert_eq!(
            uint(row, "bytes_received"),
            wire,
            "{name}: Klavier's bytes received vs nginx's $bytes_sent"
        );
    }
}

/// nginx's `$bytes_sent` for `key`, added up.
fn wire_bytes(log: &[Logged], key: &str) -> u64 {
    log.iter()
        .filter(|entry| entry.key() == key)
        .map(|entry| entry.wire_bytes.expect("nginx logs $bytes_sent"))
        .sum()
}

#[test]
fn nginx_static_files_204_304_and_closed_keepalives_match_its_log() {
    let ws = Workspace::new();
    let nginx = start(&ws);
    let profile = r#"
[target]
base_url = "{url}"
timeout = "3s"

[scenarios.plain]
[[scenarios.plain.requests]]
method = "GET"
path = "/page.html"
expect = { status = 200, body_contains = "END-OF-PAGE" }
[[scenarios.plain.requests]]
method = "GET"
path = "/empty"
expect = { status = 204 }
[[scenarios.plain.requests]]
method = "GET"
path = "/unchanged"
expect = { status = 304 }
[[scenarios.plain.requests]]
method = "GET"
path = "/page.html?conditional"
headers = { "If-Modified-Since" = "Fri, 01 Jan 2100 00:00:00 GMT" }
expect = { status = 304 }

[timings]
test_duration_seconds = 2
min_scenario_interval_ms = 0
"#;
    conforms(
        &ws,
        &nginx,
        profile,
        &[
            "GET /page.html",
            "GET /empty",
            "GET /unchanged",
            "GET /page.html?conditional",
        ],
    );
}

#[test]
fn nginx_gzip_chunked_static_files_match_its_log() {
    let ws = Workspace::new();
    let nginx = start(&ws);
    // Klavier asks for no coding by itself yet, so the profile does; the header checks
    // prove nginx really answered gzip in chunks.
    let profile = r#"
[target]
base_url = "{url}"
timeout = "3s"
headers = { "Accept-Encoding" = "gzip" }

[scenarios.gzip]
[[scenarios.gzip.requests]]
method = "GET"
path = "/words.txt"
expect = { status = 200, header = { "Content-Encoding" = "gzip", "Transfer-Encoding" = "chunked" } }
[[scenarios.gzip.requests]]
method = "GET"
path = "/trickle/words.txt"
expect = { status = 200, header = { "Content-Encoding" = "gzip", "Transfer-Encoding" = "chunked" } }
[[scenarios.gzip.requests]]
method = "GET"
path = "/data.json"
expect = { status = 200, header = { "Content-Encoding" = "gzip", "Transfer-Encoding" = "chunked" } }

[timings]
test_duration_seconds = 2
min_scenario_interval_ms = 0
"#;
    conforms(&ws, &nginx, profile, &["GET /words.txt", "GET /data.json"]);
}
