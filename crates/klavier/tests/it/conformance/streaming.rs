//! Our streaming server (`support/streaming.rs`): every framing RFC 9112 allows, cut
//! into writes where real servers cut them. One test per case, so a failure names its
//! framing; each case's bytes are known, so Klavier must count exactly them.

use super::{assert_no_failures, assert_sent, run};
use crate::support::streaming::{self, StreamingServer};
use crate::support::{request, request_counts, tally, uint, Workspace};

/// Runs 2 users for 1 s on case `name` and checks Klavier against the server.
fn conforms(name: &str) {
    let case = streaming::case(name);
    let server = StreamingServer::start();
    let ws = Workspace::new();
    let checks = match case.body_contains {
        Some(text) => format!(
            "expect = {{ status = {}, body_contains = {text:?} }}",
            case.status
        ),
        None => format!("expect = {{ status = {} }}", case.status),
    };
    let profile = format!(
        r#"[target]
base_url = "{url}"
timeout = "2s"

[scenarios.case]
[[scenarios.case.requests]]
method = "{method}"
path = "{path}"
{checks}

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 0
"#,
        url = server.base_url(),
        method = case.method,
        path = case.path(),
    );
    let run = run(&ws, &profile, 2, "1s");
    let key = format!("{} {}", case.method, case.path());
    assert_sent(&run, std::slice::from_ref(&key));
    assert_no_failures(&run, &format!("the streaming server's case {name}"));

    let reported = request_counts(&run.result);
    let answered = server.answered_once(reported.values().sum());
    assert_eq!(answered, reported, "the server's count (left) vs Klavier's");
    let row = request(&run.result, &key);
    let count = uint(row, "count");
    let statuses = tally(row, "status_codes");
    assert_eq!(statuses, [(case.status.to_string(), count)].into(), "{row}");
    // Every byte of every response (interim responses and framing included), no more.
    let wire = case.response.len() as u64;
    assert_eq!(
        uint(row, "bytes_received"),
        count * wire,
        "{count} × {wire} bytes"
    );
}

/// One test per case of the table; `CASES` lists them so none is left untested.
macro_rules! case_tests {
    ($($test:ident => $name:literal,)*) => {
        const CASES: &[&str] = &[$($name),*];
        $(
            #[test]
            fn $test() {
                conforms($name);
            }
        )*
    };
}

case_tests! {
    three_writes_each_ending_on_a_chunk_boundary => "three-writes",
    a_head_split_inside_its_lines => "split-head",
    chunk_extensions_are_skipped => "chunk-extensions",
    trailers_after_the_last_chunk => "trailers",
    interim_100_and_103_before_the_final_response => "interim-1xx",
    gzip_then_chunked_is_framed_by_chunks => "gzip-chunked",
    http11_without_length_ends_at_the_close => "close-delimited",
    a_chunk_size_line_across_byte_4096 => "straddle-4096",
    chunks_cut_at_every_place_of_their_framing => "chunk-framing-splits",
    many_one_byte_chunks => "one-byte-chunks",
    a_response_to_head_has_no_body_whatever_its_length => "head-with-length",
    no_content_has_no_body_whatever_its_length => "no-content-with-length",
    not_modified_has_no_body_whatever_its_length => "not-modified-with-length",
}

#[test]
fn every_case_of_the_streaming_server_has_a_test() {
    let table: Vec<&str> = streaming::cases().iter().map(|c| c.name).collect();
    assert_eq!(table, CASES);
}
