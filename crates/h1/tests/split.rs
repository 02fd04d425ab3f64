//! Property: a response decodes the same however its bytes are split across reads.
//!
//! Valid responses are generated from a model (every framing the decoder knows,
//! random headers, bodies from empty to several times a 4 KiB read buffer) and the
//! model says what decoding must produce; each is then fed split at arbitrary
//! points, one byte at a time, and in 4 KiB reads (splits exactly at a buffer's
//! end). Arbitrary and mutated bytes must give the same outcome at every split and
//! never panic.

use klavier_h1::{Decoder, Error, Handler, Head, Limits};
use proptest::prelude::*;

/// What decoding produced, to compare across splits and with the model.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: Option<u16>,
    body: Vec<u8>,
    received: u64,
    persistent: bool,
    error: Option<Error>,
}

#[derive(Default)]
struct Keep(Vec<u8>);

impl Handler for Keep {
    fn head(&mut self, head: &Head<'_>) {
        assert!(head.status >= 200 || head.status == 101, "final heads only");
    }
    fn body(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Feeds `wire` cut at `cuts` (sorted positions) through a connection-like buffer.
fn feed(wire: &[u8], cuts: &[usize], head_request: bool) -> Outcome {
    let mut decoder = Decoder::new(head_request, Limits::default());
    let mut keep = Keep::default();
    let mut pending: Vec<u8> = Vec::new();
    let mut from = 0;
    let mut error = None;
    let ends = cuts.iter().copied().chain([wire.len()]);
    for to in ends {
        let to = to.clamp(from, wire.len());
        pending.extend_from_slice(&wire[from..to]);
        from = to;
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
    Outcome {
        status: decoder.status(),
        body: keep.0,
        received: decoder.received(),
        persistent: decoder.is_persistent(),
        error,
    }
}

fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

fn every(len: usize, size: usize) -> Vec<usize> {
    (1..=len / size).map(|i| i * size).collect()
}

/// How a generated body is framed.
#[derive(Debug, Clone)]
enum Framing {
    Length,
    /// Chunk sizes (cycled over the body), an extension on each, trailers.
    Chunked {
        sizes: Vec<usize>,
        extension: bool,
        trailers: Vec<(String, String)>,
        gzip_first: bool,
    },
    UntilClose,
}

/// A valid response, and what its decoding must give.
#[derive(Debug, Clone)]
struct Model {
    interim: Vec<u16>,
    minor: u8,
    status: u16,
    headers: Vec<(String, String)>,
    connection: Option<&'static str>,
    framing: Framing,
    body: Vec<u8>,
    head_request: bool,
}

impl Model {
    fn bodyless(&self) -> bool {
        self.head_request || self.status == 204 || self.status == 304
    }

    fn wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for status in &self.interim {
            out.extend_from_slice(
                format!("HTTP/1.1 {status} Interim\r\nX-Hint: a\r\n\r\n").as_bytes(),
            );
        }
        out.extend_from_slice(
            format!("HTTP/1.{} {} Some Reason\r\n", self.minor, self.status).as_bytes(),
        );
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if let Some(connection) = self.connection {
            out.extend_from_slice(format!("Connection: {connection}\r\n").as_bytes());
        }
        match &self.framing {
            Framing::Length => {
                out.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", self.body.len()).as_bytes(),
                );
                if !self.bodyless() {
                    out.extend_from_slice(&self.body);
                }
            }
            Framing::Chunked {
                sizes,
                extension,
                trailers,
                gzip_first,
            } => {
                let coding = if *gzip_first {
                    "gzip, chunked"
                } else {
                    "chunked"
                };
                out.extend_from_slice(format!("Transfer-Encoding: {coding}\r\n\r\n").as_bytes());
                if !self.bodyless() {
                    chunk(&mut out, &self.body, sizes, *extension, trailers);
                }
            }
            Framing::UntilClose => {
                out.extend_from_slice(b"\r\n");
                if !self.bodyless() {
                    out.extend_from_slice(&self.body);
                }
            }
        }
        out
    }

    fn expected(&self) -> Outcome {
        let wire = self.wire();
        let until_close = matches!(self.framing, Framing::UntilClose) && !self.bodyless();
        let persistent = !until_close
            && match (self.minor, self.connection) {
                (_, Some("close")) => false,
                (0, Some("keep-alive")) => {
                    !matches!(self.framing, Framing::Chunked { .. } if !self.bodyless())
                }
                (0, _) => false,
                _ => true,
            };
        Outcome {
            status: Some(self.status),
            body: if self.bodyless() {
                Vec::new()
            } else {
                self.body.clone()
            },
            received: wire.len() as u64,
            persistent,
            error: None,
        }
    }
}

fn chunk(
    out: &mut Vec<u8>,
    body: &[u8],
    sizes: &[usize],
    extension: bool,
    trailers: &[(String, String)],
) {
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let size = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        let ext = if extension { ";name=\"v a\"" } else { "" };
        out.extend_from_slice(format!("{size:x}{ext}\r\n").as_bytes());
        out.extend_from_slice(&rest[..size]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[size..];
    }
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

fn header() -> impl Strategy<Value = (String, String)> {
    ("X-[A-Za-z0-9-]{1,20}", "[ -~]{0,60}").prop_map(|(n, v)| (n, v.trim().to_owned()))
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Length),
        Just(Framing::UntilClose),
        (
            prop::collection::vec(1usize..5000, 1..6),
            any::<bool>(),
            prop::collection::vec(header(), 0..4),
            any::<bool>(),
        )
            .prop_map(
                |(sizes, extension, trailers, gzip_first)| Framing::Chunked {
                    sizes,
                    extension,
                    trailers,
                    gzip_first
                }
            ),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::collection::vec(prop::sample::select(vec![100u16, 102, 103]), 0..3),
        0u8..=1,
        prop::sample::select(vec![200u16, 201, 204, 302, 304, 404, 500, 503]),
        prop::collection::vec(header(), 0..40),
        prop::sample::select(vec![None, Some("close"), Some("keep-alive")]),
        framing(),
        prop::collection::vec(any::<u8>(), 0..13_000),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(interim, minor, status, headers, connection, framing, body, head_request)| Model {
                interim,
                minor,
                status,
                headers,
                connection,
                framing,
                body,
                head_request,
            },
        )
}

/// Cut points for `len` bytes: a random set, or reads of one fixed size.
fn cuts(len: usize, seed: &[usize], size: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = seed.iter().map(|c| c % len.max(1)).collect();
    cuts.sort_unstable();
    cuts.extend(every(len, size));
    cuts.sort_unstable();
    cuts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn valid_responses_decode_alike_at_every_split(
        model in model(),
        seed in prop::collection::vec(any::<usize>(), 0..40),
        size in 1usize..9000,
    ) {
        let wire = model.wire();
        let expected = model.expected();
        prop_assert_eq!(&feed(&wire, &[], model.head_request), &expected, "in one piece");
        prop_assert_eq!(&feed(&wire, &cuts(wire.len(), &seed, size), model.head_request), &expected, "random splits");
        prop_assert_eq!(&feed(&wire, &every(wire.len(), 4096), model.head_request), &expected, "4 KiB reads");
    }

    #[test]
    fn valid_responses_decode_alike_one_byte_at_a_time(model in model()) {
        let wire = model.wire();
        prop_assert_eq!(feed(&wire, &every_byte(wire.len()), model.head_request), model.expected());
    }

    #[test]
    fn mutated_responses_give_one_outcome_at_every_split(
        model in model(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..6),
        seed in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut wire = model.wire();
        for (at, byte, op) in edits {
            let at = at % (wire.len() + 1);
            match op {
                0 if at < wire.len() => wire[at] = byte,
                1 => wire.insert(at, byte),
                _ if at < wire.len() => { wire.remove(at); }
                _ => {}
            }
        }
        let whole = feed(&wire, &[], model.head_request);
        prop_assert_eq!(&feed(&wire, &cuts(wire.len(), &seed, 4096), model.head_request), &whole);
        prop_assert_eq!(&feed(&wire, &every_byte(wire.len()), model.head_request), &whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_give_one_outcome(
        prefix in prop::sample::select(vec![&b""[..], b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        head_request in any::<bool>(),
    ) {
        let wire = [prefix, &bytes].concat();
        let whole = feed(&wire, &[], head_request);
        prop_assert_eq!(feed(&wire, &every_byte(wire.len()), head_request), whole);
    }
}
