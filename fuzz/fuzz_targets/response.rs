//! Fuzzes the HTTP/1.1 response decoder: any bytes, fed in one piece and again split
//! by the first input byte's rule, must never panic and must give the same outcome.
#![no_main]

use klavier_h1::{Decoder, Error, Limits};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<u16>,
    body: u64,
    received: u64,
    persistent: bool,
    error: Option<Error>,
}

fn feed(wire: &[u8], step: usize, head_request: bool, limits: Limits) -> Outcome {
    let mut decoder = Decoder::new(head_request, limits);
    let mut sink = |_: &[u8]| {};
    let mut pending: Vec<u8> = Vec::new();
    let mut error = None;
    for piece in wire.chunks(step.max(1)) {
        pending.extend_from_slice(piece);
        match decoder.decode(&pending, &mut sink) {
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
        body: decoder.body_len(),
        received: decoder.received(),
        persistent: decoder.is_persistent(),
        error,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&rule, wire)) = data.split_first() else {
        return;
    };
    let head_request = rule & 0x80 != 0;
    let step = usize::from(rule & 0x3f) + 1;
    // Small limits, so the fuzzer reaches every bound with short inputs.
    let limits = Limits {
        max_head: 256,
        max_headers: 8,
        max_line: 32,
    };
    let whole = feed(wire, wire.len(), head_request, limits);
    assert_eq!(feed(wire, step, head_request, limits), whole);
    assert_eq!(feed(wire, 1, head_request, limits), whole);
});
