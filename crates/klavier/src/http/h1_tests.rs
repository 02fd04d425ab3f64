//! The connection's read buffer at every read boundary: responses delivered by a
//! scripted stream in pieces of any size (1 byte, exactly the buffer's 4 KiB, random)
//! give the outcome they give in one piece, and the connection stays usable.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use klavier_plan::{Request, WrittenNames};
use klavier_stats::FailureKind;

use crate::http::failure::Failure;
use proptest::prelude::*;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use klavier_h1::Limits;

use super::{Capture, Captured, Connection, Io};

/// A stream that answers reads from a script of pieces, then the end of stream.
#[derive(Debug, Default)]
struct Script {
    pieces: VecDeque<Vec<u8>>,
    written: Vec<u8>,
}

impl Script {
    fn new(wire: &[u8], cuts: &[usize]) -> Self {
        let mut pieces = VecDeque::new();
        let mut from = 0;
        for &to in cuts.iter().chain([&wire.len()]) {
            let to = to.clamp(from, wire.len());
            if to > from {
                pieces.push_back(wire[from..to].to_vec());
            }
            from = to;
        }
        Self {
            pieces,
            written: Vec::new(),
        }
    }
}

impl AsyncRead for Script {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(mut piece) = this.pieces.pop_front() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            if n < piece.len() {
                this.pieces.push_front(piece.split_off(n));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Script {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().written.extend_from_slice(b);
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Io for Script {
    fn is_stale(&self) -> bool {
        false
    }
}

fn request(method: Method) -> Request {
    Request {
        name: "GET /".into(),
        stat: 0,
        method,
        uri: Uri::from_static("http://127.0.0.1/"),
        headers: HeaderMap::new(),
        written_names: WrittenNames::default(),
        body: Bytes::new(),
        redirects: 0,
        timeout: std::time::Duration::from_secs(5),
        dynamic: None,
    }
}

/// What one exchange gave: status or failure, kept body, wire bytes, reusable.
type Outcome = (Result<u16, Failure>, Vec<u8>, u64, bool);

/// Runs exchanges on one connection over `wire` cut at `cuts`, keeping bodies.
fn exchange(wire: &[u8], cuts: &[usize], exchanges: usize) -> Vec<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut connection = Connection::new(Script::new(wire, cuts), Limits::default(), 1 << 20);
        let host = HeaderValue::from_static("127.0.0.1");
        let mut outcomes = Vec::new();
        for _ in 0..exchanges {
            let mut captured = Captured::default();
            let keep = Capture {
                body: true,
                ..Capture::default()
            };
            let req = request(Method::GET);
            let result = connection
                .exchange(&req, &host, Some((keep, &mut captured)))
                .await;
            let reusable = connection.reusable && connection.start == connection.end;
            outcomes.push((
                result,
                captured.body.to_vec(),
                connection.wire().received,
                reusable,
            ));
            if result.is_err() || !reusable {
                break;
            }
        }
        outcomes
    })
}

fn chunked(body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut rest = body;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let size = (*size).clamp(1, rest.len());
        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        out.extend_from_slice(&rest[..size]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[size..];
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn a_chunk_size_line_across_the_buffers_end_is_read_whole() {
    // The head is 47 bytes; a first chunk of 4,045 bytes puts the next size line
    // ("5\r\n") at bytes 4,096 to 4,098: across the first read buffer's end.
    let first = vec![b'a'; 4045];
    let mut wire = chunked(&first, &[4045]);
    wire.truncate(wire.len() - 5);
    wire.extend_from_slice(b"5\r\nhello\r\n0\r\n\r\n");
    let body = [first.as_slice(), b"hello"].concat();
    for cut in 4090..4100 {
        let outcome = exchange(&wire, &[cut], 1);
        let expected = (Ok(200), body.clone(), wire.len() as u64, true);
        assert_eq!(outcome, vec![expected], "cut at {cut}");
    }
}

#[test]
fn three_writes_of_a_chunked_body() {
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let head = 47;
    let outcome = exchange(wire, &[head, head + 10, head + 21], 1);
    let expected = (Ok(200), b"hello world".to_vec(), wire.len() as u64, true);
    assert_eq!(outcome, vec![expected]);
}

#[test]
fn a_failed_exchange_still_counts_its_bytes() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
    let outcome = exchange(wire, &[3], 1);
    let expected = (
        Err(Failure::from(FailureKind::ConnectionClosed)),
        Vec::new(),
        wire.len() as u64,
        false,
    );
    assert_eq!(outcome, vec![expected]);
}

#[test]
fn a_head_response_leaves_the_connection_reusable() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    runtime.block_on(async {
        let mut connection = Connection::new(Script::new(wire, &[]), Limits::default(), 1 << 20);
        let host = HeaderValue::from_static("h");
        let head = connection
            .exchange(&request(Method::HEAD), &host, None)
            .await;
        assert_eq!(head, Ok(200));
        let next = connection
            .exchange(&request(Method::GET), &host, None)
            .await;
        assert_eq!(next, Ok(204));
        assert!(connection
            .stream
            .written
            .starts_with(b"HEAD / HTTP/1.1\r\n"));
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A chunked response and a sized one on one connection, read in pieces of any
    /// size, give the statuses, bodies and byte counts they give read whole.
    #[test]
    fn keep_alive_responses_read_alike_at_any_split(
        first in prop::collection::vec(any::<u8>(), 0..12_000),
        second in prop::collection::vec(any::<u8>(), 0..3_000),
        sizes in prop::collection::vec(1usize..6000, 1..5),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        read in prop::sample::select(vec![1usize, 7, 4096, 4097, 1 << 20]),
    ) {
        let one = chunked(&first, &sizes);
        let two = [b"HTTP/1.1 201 Created\r\nContent-Length: ".as_slice(), second.len().to_string().as_bytes(), b"\r\n\r\n", &second].concat();
        let wire = [one.as_slice(), &two].concat();
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % wire.len()).collect();
        cuts.extend((1..=wire.len() / read).map(|i| i * read));
        // The server answers the second request only once it is sent.
        cuts.push(one.len());
        cuts.sort_unstable();
        let expected = vec![
            (Ok(200), first.clone(), one.len() as u64, true),
            (Ok(201), second.clone(), two.len() as u64, true),
        ];
        prop_assert_eq!(&exchange(&wire, &[one.len()], 2), &expected);
        prop_assert_eq!(exchange(&wire, &cuts, 2), expected);
    }
}
