//! Our own streaming server: each response is exact bytes, cut into separate writes at
//! chosen offsets with a pause before each, so a client meets every framing of
//! RFC 9112 split where real servers split it (between chunks, inside a chunk-size
//! line, across byte 4,096). It counts the requests it answered: its "log".
//!
//! The cases are a table; a request's path picks its case.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::loopback::Loopback;
use super::process::{poll_until, PATIENCE};

/// One response and how it is written.
#[derive(Debug, Clone)]
pub struct Case {
    /// The request path that asks for it: `/NAME`.
    pub name: &'static str,
    /// `GET`, or `HEAD` for the case about responses to HEAD.
    pub method: &'static str,
    /// The whole response as it goes on the wire (interim responses included).
    pub response: Vec<u8>,
    /// Offsets at which the response is cut into separate writes.
    pub splits: Vec<usize>,
    /// The pause before each write after the first.
    pub pause: Duration,
    /// Close the connection after the response (its body ends there).
    pub close: bool,
    /// The final status a correct client reads.
    pub status: u16,
    /// Text a correct client finds in the (decoded) body, for `expect.body_contains`.
    pub body_contains: Option<&'static str>,
}

impl Case {
    /// The path Klavier requests (and names its request row by).
    pub fn path(&self) -> String {
        format!("/{}", self.name)
    }

    /// The pieces written, in order.
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let mut bounds = vec![0];
        bounds.extend(self.splits.iter().copied());
        bounds.push(self.response.len());
        (0..bounds.len() - 1).map(move |i| &self.response[bounds[i]..bounds[i + 1]])
    }
}

const PAUSE: Duration = Duration::from_millis(3);
/// Where a client's read buffer commonly ends (Klavier's starts at 4 KiB).
const BUFFER_END: usize = 4096;
/// A chunked 200 head.
const CHUNKED: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
/// `hello world, compressed and chunked\n`, gzipped (mtime 0).
const GZIPPED: [u8; 56] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57,
    0x28, 0xcf, 0x2f, 0xca, 0x49, 0xd1, 0x51, 0x48, 0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e,
    0x4d, 0x51, 0x48, 0xcc, 0x4b, 0x51, 0x48, 0xce, 0x28, 0xcd, 0xcb, 0x4e, 0x4d, 0xe1, 0x02, 0x00,
    0x56, 0xaf, 0x3d, 0x26, 0x24, 0x00, 0x00, 0x00,
];

/// Every case, one per framing a client must read whatever the read boundaries.
pub fn cases() -> Vec<Case> {
    let case = |name, response: Vec<u8>, splits: Vec<usize>, body_contains| Case {
        name,
        method: "GET",
        response,
        splits,
        pause: PAUSE,
        close: false,
        status: 200,
        body_contains,
    };
    let head = CHUNKED.len();
    vec![
        // The case of issue 8: three writes, each ending on a chunk boundary.
        case(
            "three-writes",
            [CHUNKED, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"].concat().into(),
            vec![head + 10, head + 21],
            Some("hello world"),
        ),
        // The head itself arrives in pieces: inside the status line, inside a header
        // name, and between the CR and LF that end its last header line.
        case(
            "split-head",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
                .to_vec(),
            vec![5, 22, 62],
            Some("hello world"),
        ),
        // Chunk extensions, cut inside them.
        case(
            "chunk-extensions",
            [CHUNKED, "5;name=val\r\nhello\r\n6;a=b;q=\"x y\"\r\n world\r\n0;last=1\r\n\r\n"]
                .concat()
                .into(),
            vec![head + 4, head + 25, head + 45],
            Some("hello world"),
        ),
        // Trailers after the last chunk, cut inside them.
        case(
            "trailers",
            [
                "HTTP/1.1 200 OK\r\nTrailer: X-Checksum, Server-Timing\r\nTransfer-Encoding: chunked\r\n\r\n",
                "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 5eb63bbbe0\r\nServer-Timing: total;dur=3\r\n\r\n",
            ]
            .concat()
            .into(),
            vec![104, 118, 130],
            Some("hello world"),
        ),
        // 100 Continue and 103 Early Hints before the final response.
        case(
            "interim-1xx",
            [
                "HTTP/1.1 100 Continue\r\n\r\n",
                "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
            ]
            .concat()
            .into(),
            vec![25, 97],
            Some("hello world"),
        ),
        // Another transfer coding before chunked: the body is gzip, framed by chunks.
        case("gzip-chunked", gzip_chunked(), vec![80, 105], None),
        // HTTP/1.1 without Content-Length or chunked: the body ends at the close.
        Case {
            close: true,
            ..case(
                "close-delimited",
                [
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                    &"x".repeat(2997),
                    "END",
                ]
                .concat()
                .into(),
                vec![44, 1000, 2000],
                Some("xEND"),
            )
        },
        // A chunk-size line that starts 2 bytes before byte 4,096 and is cut there.
        case("straddle-4096", straddle(), vec![BUFFER_END], Some("END")),
        // Chunks of 1,000 bytes cut once each at every place of their framing.
        case(
            "chunk-framing-splits",
            chunked(&[1000; 7], b'k'),
            framing_splits(),
            Some("kkkEND"),
        ),
        // Many tiny chunks of one byte, in pieces that cut through their framing.
        Case {
            pause: Duration::from_millis(1),
            ..case(
                "one-byte-chunks",
                one_byte_chunks(),
                (1..20).map(|k| k * 97).collect(),
                Some("quick brown fox"),
            )
        },
        // A response to HEAD announces a length but has no body.
        Case {
            method: "HEAD",
            ..case(
                "head-with-length",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n"
                    .to_vec(),
                vec![],
                None,
            )
        },
        // 204 and 304 never have a body, whatever their Content-Length says.
        Case {
            status: 204,
            ..case(
                "no-content-with-length",
                b"HTTP/1.1 204 No Content\r\nContent-Length: 42\r\n\r\n".to_vec(),
                vec![],
                None,
            )
        },
        Case {
            status: 304,
            ..case(
                "not-modified-with-length",
                b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 5000\r\n\r\n"
                    .to_vec(),
                vec![],
                None,
            )
        },
    ]
}

/// The case called `name`.
pub fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no streaming case {name:?}"))
}

/// A chunked response of chunks of `sizes` filled with `fill`, the body ending in `END`.
fn chunked(sizes: &[usize], fill: u8) -> Vec<u8> {
    let total: usize = sizes.iter().sum();
    let mut body = vec![fill; total];
    body[total - 3..].copy_from_slice(b"END");
    let mut out = CHUNKED.as_bytes().to_vec();
    let mut at = 0;
    for &size in sizes {
        out.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        out.extend_from_slice(&body[at..at + size]);
        out.extend_from_slice(b"\r\n");
        at += size;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// One cut in each of 7 chunks of 1,000 bytes (`3e8\r\n`, data, `\r\n`): before its
/// size line, inside it, between its CR and LF, after it, inside the data, after the
/// data, between the CR and LF that follow.
fn framing_splits() -> Vec<usize> {
    const CHUNK: usize = 5 + 1000 + 2;
    [0, 1, 4, 5, 500, 1005, 1006]
        .iter()
        .enumerate()
        .map(|(k, offset)| CHUNKED.len() + k * CHUNK + offset)
        .collect()
}

/// A chunked response whose second chunk-size line (`400\r\n`) starts at byte 4,094.
fn straddle() -> Vec<u8> {
    // head + "fc5\r\n" + data + "\r\n" ends at 4,094 when data is that long.
    let first = BUFFER_END - 2 - CHUNKED.len() - "fc5\r\n".len() - 2;
    let response = chunked(&[first, 1024], b's');
    assert_eq!(
        format!("{first:x}").len(),
        3,
        "the first size line is 5 bytes"
    );
    assert_eq!(&response[BUFFER_END - 2..BUFFER_END + 3], b"400\r\n");
    response
}

fn gzip_chunked() -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            .to_vec();
    for piece in GZIPPED.chunks(20) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn one_byte_chunks() -> Vec<u8> {
    let text = "the quick brown fox jumps over the lazy dog. ".repeat(7);
    let mut out = CHUNKED.as_bytes().to_vec();
    for byte in text.bytes() {
        out.extend_from_slice(b"1\r\n");
        out.push(byte);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Requests answered, keyed `"GET /three-writes"`.
type Answered = Arc<Mutex<BTreeMap<String, u64>>>;

/// The streaming server; stops when dropped.
pub struct StreamingServer {
    server: Loopback,
    answered: Answered,
}

impl StreamingServer {
    /// Serves every case of [`cases`] on a loopback port.
    pub fn start() -> Self {
        let cases = Arc::new(cases());
        let answered = Answered::default();
        let counted = answered.clone();
        let server = Loopback::start("streaming", move |stream, stop| {
            let (cases, counted) = (cases.clone(), counted.clone());
            async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = serve(stream, &cases, &counted) => {}
                }
            }
        });
        Self { server, answered }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// What it answered, once that is at least `total` requests (bounded wait: a
    /// response is counted just after its last write).
    pub fn answered_once(&self, total: u64) -> BTreeMap<String, u64> {
        let now = || {
            self.answered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        };
        poll_until(PATIENCE, || {
            Some(now()).filter(|c| c.values().sum::<u64>() >= total)
        })
        .unwrap_or_else(now)
    }
}

/// Answers requests on one connection until the client closes it or a case closes it.
async fn serve(mut stream: TcpStream, cases: &[Case], answered: &Answered) {
    // Each write leaves at once, as its own segment.
    let _ = stream.set_nodelay(true);
    let mut buffered = Vec::new();
    while let Some((method, path)) = read_request(&mut stream, &mut buffered).await {
        let found = cases
            .iter()
            .find(|c| c.path() == path && c.method == method);
        let Some(case) = found else {
            let _ = stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .await;
            continue;
        };
        for (i, piece) in case.pieces().enumerate() {
            if i > 0 {
                tokio::time::sleep(case.pause).await;
            }
            if stream.write_all(piece).await.is_err() {
                return;
            }
        }
        *answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(format!("{method} {path}"))
            .or_default() += 1;
        if case.close {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// Reads one request (head, and a `Content-Length` body, discarded); returns its
/// method and target, or `None` when the client closed the connection.
async fn read_request(stream: &mut TcpStream, buffered: &mut Vec<u8>) -> Option<(String, String)> {
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(at) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffered.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffered[..end]).into_owned();
    let mut words = head.split_whitespace();
    let (method, target) = (words.next()?.to_owned(), words.next()?.to_owned());
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while buffered.len() < end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffered.extend_from_slice(&buf[..n]),
        }
    }
    buffered.drain(..end + length);
    Some((method, target))
}
