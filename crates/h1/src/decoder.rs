//! The resumable decoder: a state per part of the message, fed any slice of bytes.

use crate::chunk;
use crate::framing::{self, Framing};
use crate::Error;

/// Bounds on what a response may make the decoder wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest response head (status line and headers), and trailer section.
    pub max_head: usize,
    /// The most header lines in a head (or trailer section).
    pub max_headers: usize,
    /// The longest chunk-size line, extensions included.
    pub max_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head: 64 * 1024,
            max_headers: 256,
            max_line: 4096,
        }
    }
}

/// A parsed final response head, handed to [`Handler::head`].
#[derive(Debug)]
pub struct Head<'a> {
    /// The status code (100–999; never a 1xx other than 101).
    pub status: u16,
    /// The HTTP/1 minor version: 0 or 1.
    pub minor: u8,
    /// The header lines, in order, as received.
    pub headers: &'a [httparse::Header<'a>],
    /// How the body is delimited.
    pub framing: Framing,
}

/// What a caller does with a response as it is decoded. Both methods do nothing by
/// default; a closure `FnMut(&[u8])` is a handler that takes body bytes.
pub trait Handler {
    /// The final response head (interim 1xx heads are not reported).
    fn head(&mut self, _head: &Head<'_>) {}
    /// Body bytes, in order, with any chunked framing removed.
    fn body(&mut self, _bytes: &[u8]) {}
}

impl<F: FnMut(&[u8])> Handler for F {
    fn body(&mut self, bytes: &[u8]) {
        self(bytes);
    }
}

/// Where the decoder is in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a (interim or final) response head.
    Head,
    /// A body of known length, with this many bytes left.
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// Inside a chunk, with this many bytes left.
    ChunkData(u64),
    /// After a chunk's data, waiting for its CRLF.
    ChunkEnd,
    /// After the last chunk, waiting for the trailer section and the final CRLF.
    Trailers,
    /// A body that ends when the connection does.
    UntilClose,
    /// The response is complete.
    Done,
}

/// Decodes one response. Feed it with [`decode`](Self::decode) as bytes arrive and
/// call [`end_of_stream`](Self::end_of_stream) when the connection ends before it
/// is done.
#[derive(Debug, Clone)]
pub struct Decoder {
    state: State,
    limits: Limits,
    head_request: bool,
    status: Option<u16>,
    persistent: bool,
    interim: u32,
    received: u64,
    body: u64,
}

impl Decoder {
    /// A decoder for the response to a request; `head_request` if it was `HEAD`.
    pub fn new(head_request: bool, limits: Limits) -> Self {
        Self {
            state: State::Head,
            limits,
            head_request,
            status: None,
            persistent: false,
            interim: 0,
            received: 0,
            body: 0,
        }
    }

    /// True once the whole response has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The final status, once its head was decoded.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Whether the connection may carry another request after this response (only
    /// meaningful once [`is_done`](Self::is_done)).
    pub fn is_persistent(&self) -> bool {
        self.is_done() && self.persistent
    }

    /// Bytes consumed so far: heads (interim ones included), body and its framing.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Body bytes so far, without framing.
    pub fn body_len(&self) -> u64 {
        self.body
    }

    /// Interim (1xx) responses skipped before the final one.
    pub fn interim(&self) -> u32 {
        self.interim
    }

    /// Consumes what it can of `input` and returns how many bytes that was. Bytes
    /// not consumed are an incomplete part (head, chunk-size line, trailers) that
    /// must be fed again with more behind them, or what follows a complete response.
    pub fn decode(&mut self, input: &[u8], handler: &mut impl Handler) -> Result<usize, Error> {
        let mut at = 0;
        let result = loop {
            match self.step(&input[at..], handler) {
                // Nothing consumed: done, or waiting for more bytes.
                Ok(0) => break Ok(at),
                Ok(n) => at += n,
                Err(e) => break Err(e),
            }
        };
        self.received += at as u64;
        result
    }

    /// The connection ended after `pending` bytes that were fed but not consumed.
    /// A body delimited by the close is then complete; anything else is an error.
    pub fn end_of_stream(&mut self, pending: usize) -> Result<(), Error> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            State::Head if self.received == 0 && pending == 0 => Err(Error::ClosedBeforeResponse),
            _ => Err(Error::Truncated),
        }
    }

    /// One step: consumes a part of `input` and moves the state on. Consuming nothing
    /// means the response is done or the step needs more bytes (a zero-length body
    /// moves straight to done).
    fn step(&mut self, input: &[u8], handler: &mut impl Handler) -> Result<usize, Error> {
        match self.state {
            State::Done => Ok(0),
            State::Head => self.head(input, handler),
            State::Length(left) => {
                let n = self.body_bytes(input, left, handler);
                self.state = if left == n as u64 {
                    State::Done
                } else {
                    State::Length(left - n as u64)
                };
                Ok(n)
            }
            State::ChunkSize => match chunk::parse_size_line(input, self.limits.max_line)? {
                None => Ok(0),
                Some((n, 0)) => {
                    self.state = State::Trailers;
                    Ok(n)
                }
                Some((n, size)) => {
                    self.state = State::ChunkData(size);
                    Ok(n)
                }
            },
            State::ChunkData(left) => {
                let n = self.body_bytes(input, left, handler);
                self.state = if left == n as u64 {
                    State::ChunkEnd
                } else {
                    State::ChunkData(left - n as u64)
                };
                Ok(n)
            }
            State::ChunkEnd => match input {
                [b'\r', b'\n', ..] => {
                    self.state = State::ChunkSize;
                    Ok(2)
                }
                [] | [b'\r'] => Ok(0),
                _ => Err(Error::InvalidChunkEnd),
            },
            State::Trailers => self.trailers(input),
            State::UntilClose => Ok(self.body_bytes(input, u64::MAX, handler)),
        }
    }

    /// Hands up to `left` body bytes of `input` to the handler; returns how many.
    fn body_bytes(&mut self, input: &[u8], left: u64, handler: &mut impl Handler) -> usize {
        let n = usize::try_from(left).map_or(input.len(), |left| left.min(input.len()));
        if n > 0 {
            handler.body(&input[..n]);
            self.body += n as u64;
        }
        n
    }

    /// Parses a response head if it is complete. An interim 1xx head is consumed and
    /// the decoder waits for the next; a final one sets the body's framing.
    fn head(&mut self, input: &[u8], handler: &mut impl Handler) -> Result<usize, Error> {
        let input = window(input, self.limits.max_head);
        let mut few = [httparse::EMPTY_HEADER; 32];
        match parse_head(input, &mut few) {
            Err(httparse::Error::TooManyHeaders) => {
                let mut many = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
                match parse_head(input, &mut many) {
                    Err(httparse::Error::TooManyHeaders) => Err(Error::TooManyHeaders),
                    parsed => self.take_head(input, parsed, handler),
                }
            }
            parsed => self.take_head(input, parsed, handler),
        }
    }

    fn take_head(
        &mut self,
        input: &[u8],
        parsed: Result<Option<(usize, httparse::Response<'_, '_>)>, httparse::Error>,
        handler: &mut impl Handler,
    ) -> Result<usize, Error> {
        let Some((len, response)) = parsed.map_err(|_| Error::InvalidHead)? else {
            if input.len() > self.limits.max_head {
                return Err(Error::HeadTooLarge);
            }
            return Ok(0);
        };
        if len > self.limits.max_head {
            return Err(Error::HeadTooLarge);
        }
        let status = response.code.ok_or(Error::InvalidHead)?;
        let minor = response.version.ok_or(Error::InvalidHead)?;
        if !(100..=999).contains(&status) {
            return Err(Error::InvalidStatus);
        }
        if (100..200).contains(&status) && status != 101 {
            self.interim += 1;
            return Ok(len);
        }
        let delimited = framing::delimit(status, minor, response.headers, self.head_request)?;
        handler.head(&Head {
            status,
            minor,
            headers: response.headers,
            framing: delimited.framing,
        });
        self.status = Some(status);
        self.persistent = delimited.persistent;
        self.state = match delimited.framing {
            Framing::None => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        Ok(len)
    }

    /// Consumes the trailer section (header lines, then CRLF) once it is complete.
    fn trailers(&mut self, input: &[u8]) -> Result<usize, Error> {
        if input.starts_with(b"\r\n") {
            self.state = State::Done;
            return Ok(2);
        }
        let input = window(input, self.limits.max_head);
        let mut fields = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        match httparse::parse_headers(input, &mut fields) {
            Ok(httparse::Status::Complete((len, _))) if len <= self.limits.max_head => {
                self.state = State::Done;
                Ok(len)
            }
            Ok(httparse::Status::Partial) if input.len() <= self.limits.max_head => Ok(0),
            _ => Err(Error::InvalidTrailers),
        }
    }
}

/// The part of `input` a head or trailer section may occupy, plus one byte to tell
/// "too large" from "incomplete". Parsing never looks further, so the outcome cannot
/// depend on how many bytes happened to arrive at once.
fn window(input: &[u8], max: usize) -> &[u8] {
    &input[..input.len().min(max + 1)]
}

/// Parses a response head into `headers`: `Ok(None)` while it is incomplete.
fn parse_head<'h, 'b>(
    input: &'b [u8],
    headers: &'h mut [httparse::Header<'b>],
) -> Result<Option<(usize, httparse::Response<'h, 'b>)>, httparse::Error> {
    let mut response = httparse::Response::new(headers);
    match response.parse(input)? {
        httparse::Status::Complete(len) => Ok(Some((len, response))),
        httparse::Status::Partial => Ok(None),
    }
}
