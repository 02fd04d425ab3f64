//! The decoder, one framing per case, each fed in one piece and one byte at a time.

use crate::{Decoder, Error, Handler, Head, Limits};

/// What decoding a whole exchange produced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<u16>,
    body: Vec<u8>,
    received: u64,
    persistent: bool,
    leftover: usize,
    error: Option<Error>,
}

#[derive(Default)]
struct Keep {
    heads: u32,
    body: Vec<u8>,
}

impl Handler for Keep {
    fn head(&mut self, _head: &Head<'_>) {
        self.heads += 1;
    }
    fn body(&mut self, bytes: &[u8]) {
        self.body.extend_from_slice(bytes);
    }
}

/// Feeds `wire` in pieces of `step` bytes through a buffer that keeps what the
/// decoder left, as a connection does; then the end of the stream if not done.
fn feed(wire: &[u8], step: usize, head_request: bool) -> Outcome {
    let mut decoder = Decoder::new(head_request, Limits::default());
    let mut keep = Keep::default();
    let mut pending = Vec::new();
    let mut error = None;
    for piece in wire.chunks(step.max(1)) {
        pending.extend_from_slice(piece);
        match decoder.decode(&pending, &mut keep) {
            Ok(n) => drop(pending.drain(..n)),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        if decoder.is_done() {
            break;
        }
    }
    if error.is_none() && !decoder.is_done() {
        error = decoder.end_of_stream(pending.len()).err();
    }
    assert!(keep.heads <= 1, "one final head");
    Outcome {
        status: decoder.status(),
        body: keep.body,
        received: decoder.received(),
        persistent: decoder.is_persistent(),
        leftover: wire.len() - decoder.received() as usize,
        error,
    }
}

/// Decodes `wire` whole and one byte at a time, checks both agree, returns the outcome.
fn decode(wire: &[u8], head_request: bool) -> Outcome {
    let whole = feed(wire, wire.len(), head_request);
    for step in [1, 2, 3, 7] {
        assert_eq!(
            feed(wire, step, head_request),
            whole,
            "{step}-byte reads of {:?}",
            String::from_utf8_lossy(wire)
        );
    }
    whole
}

fn ok(status: u16, body: &[u8], wire: &[u8], persistent: bool) -> Outcome {
    Outcome {
        status: Some(status),
        body: body.to_vec(),
        received: wire.len() as u64,
        persistent,
        leftover: 0,
        error: None,
    }
}

#[test]
fn content_length() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    assert_eq!(decode(wire, false), ok(200, b"hello", wire, true));
    let empty = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(decode(empty, false), ok(200, b"", empty, true));
}

#[test]
fn chunked_with_extensions_and_trailers() {
    let three_writes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    assert_eq!(
        decode(three_writes, false),
        ok(200, b"hello world", three_writes, true)
    );
    let extended = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0;last\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n";
    assert_eq!(decode(extended, false), ok(200, b"hello", extended, true));
    let coded = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\n\x1f\x8b\x08\r\n0\r\n\r\n";
    assert_eq!(decode(coded, false), ok(200, b"\x1f\x8b\x08", coded, true));
}

#[test]
fn close_delimited_bodies() {
    let http10 = b"HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n<html>all of it</html>";
    assert_eq!(
        decode(http10, false),
        ok(200, b"<html>all of it</html>", http10, false)
    );
    let http11 = b"HTTP/1.1 200 OK\r\n\r\nuntil close";
    assert_eq!(
        decode(http11, false),
        ok(200, b"until close", http11, false)
    );
    let not_chunked_last = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw";
    assert_eq!(
        decode(not_chunked_last, false),
        ok(200, b"raw", not_chunked_last, false)
    );
}

#[test]
fn interim_responses_are_skipped() {
    let wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    assert_eq!(decode(wire, false), ok(201, b"ok", wire, true));
    let mut decoder = Decoder::new(false, Limits::default());
    decoder.decode(wire, &mut Keep::default()).expect("valid");
    assert_eq!(decoder.interim(), 2);
}

#[test]
fn responses_without_a_body_whatever_their_headers_say() {
    let no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
    assert_eq!(decode(no_content, false), ok(204, b"", no_content, true));
    let not_modified = b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(
        decode(not_modified, false),
        ok(304, b"", not_modified, true)
    );
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    assert_eq!(decode(head, true), ok(200, b"", head, true));
}

#[test]
fn persistence() {
    let close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx";
    assert_eq!(decode(close, false), ok(200, b"x", close, false));
    let keep10 = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx";
    assert_eq!(decode(keep10, false), ok(200, b"x", keep10, true));
    let both = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
    assert_eq!(decode(both, false), ok(200, b"x", both, false));
}

#[test]
fn bytes_after_a_complete_response_are_left() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200";
    let mut decoder = Decoder::new(false, Limits::default());
    let consumed = decoder.decode(wire, &mut Keep::default()).expect("valid");
    assert!(decoder.is_done());
    assert_eq!(&wire[consumed..], b"HTTP/1.1 200");
}

fn failed(wire: &[u8]) -> Option<Error> {
    decode(wire, false).error
}

#[test]
fn malformed_framing_is_an_error() {
    #[rustfmt::skip]
    let cases: [(&[u8], Error); 11] = [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", Error::InvalidHead),
        (b"HTTP/1.1 2000 OK\r\n\r\n", Error::InvalidHead),
        (b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", Error::InvalidStatus),
        (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", Error::InvalidHead),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", Error::InvalidContentLength),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", Error::InvalidContentLength),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", Error::InvalidChunkSize),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", Error::InvalidChunkSize),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", Error::InvalidChunkEnd),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", Error::InvalidTrailers),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", Error::Truncated),
    ];
    for (wire, expected) in cases {
        assert_eq!(
            failed(wire),
            Some(expected),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
}

#[test]
fn a_close_before_any_byte_is_told_apart_from_a_truncation() {
    assert_eq!(failed(b""), Some(Error::ClosedBeforeResponse));
    assert_eq!(failed(b"HTTP/1.1 200"), Some(Error::Truncated));
    assert_eq!(
        failed(b"HTTP/1.1 100 Continue\r\n\r\n"),
        Some(Error::Truncated)
    );
    let unfinished = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
    assert_eq!(failed(unfinished), Some(Error::Truncated));
}

#[test]
fn heads_are_bounded() {
    let many: String = (0..300).map(|i| format!("X-{i}: v\r\n")).collect();
    let wire = format!("HTTP/1.1 200 OK\r\n{many}Content-Length: 0\r\n\r\n");
    assert_eq!(failed(wire.as_bytes()), Some(Error::TooManyHeaders));
    let some: String = (0..200).map(|i| format!("X-{i}: v\r\n")).collect();
    let wire = format!("HTTP/1.1 200 OK\r\n{some}Content-Length: 0\r\n\r\n");
    assert_eq!(
        failed(wire.as_bytes()),
        None,
        "200 headers are within bounds"
    );
    let huge = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n", "a".repeat(70_000));
    assert_eq!(failed(huge.as_bytes()), Some(Error::HeadTooLarge));
}

#[test]
fn a_closure_takes_the_body() {
    let mut body = Vec::new();
    let mut decoder = Decoder::new(false, Limits::default());
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    decoder
        .decode(wire, &mut |bytes: &[u8]| body.extend_from_slice(bytes))
        .expect("valid");
    assert_eq!(body, b"hi");
    assert_eq!(decoder.body_len(), 2);
}
