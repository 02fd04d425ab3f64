//! The one response body type: a shared chunk repeated until a length is reached.
//! Covers empty, fixed, `/bytes/{n}` and `/api/chunked` bodies without boxing or copying.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// A response body of exactly `remaining` bytes, cut from `chunk` (refcounted slices,
/// never copies). Its exact size hint makes hyper send `Content-Length`, unless it is
/// [`chunked`](Self::chunked).
#[derive(Debug)]
pub(crate) struct ResponseBody {
    chunk: Bytes,
    remaining: u64,
    /// Whether to tell hyper the length: without it, HTTP/1.1 frames the body chunked.
    announce_length: bool,
}

impl ResponseBody {
    /// No body at all.
    pub(crate) fn empty() -> Self {
        Self::full(Bytes::new())
    }

    /// Exactly these bytes.
    pub(crate) fn full(bytes: Bytes) -> Self {
        let remaining = bytes.len() as u64;
        Self {
            chunk: bytes,
            remaining,
            announce_length: true,
        }
    }

    /// `len` bytes: `chunk` repeated, the last copy cut short.
    pub(crate) fn repeat(chunk: Bytes, len: u64) -> Self {
        // An empty chunk could never make progress towards `len`.
        let remaining = if chunk.is_empty() { 0 } else { len };
        Self {
            chunk,
            remaining,
            announce_length: true,
        }
    }

    /// `count` frames, each all of `chunk`, with no length announced: over HTTP/1.1 hyper
    /// sends each frame as one chunk of `Transfer-Encoding: chunked`.
    pub(crate) fn chunked(chunk: Bytes, count: u64) -> Self {
        Self {
            remaining: chunk.len() as u64 * count,
            chunk,
            announce_length: false,
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let take = this.remaining.min(this.chunk.len() as u64);
        if take == 0 {
            return Poll::Ready(None);
        }
        this.remaining -= take;
        // `take` is at most `chunk.len()`, so it fits in usize.
        Poll::Ready(Some(Ok(Frame::data(this.chunk.slice(..take as usize)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.announce_length {
            SizeHint::with_exact(self.remaining)
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn bytes_of(body: ResponseBody) -> Bytes {
        body.collect().await.expect("infallible").to_bytes()
    }

    #[tokio::test]
    async fn repeat_yields_exactly_len_bytes() {
        let chunk = Bytes::from_static(b"abc");
        // (len, expected body)
        for (len, want) in [(0, &b""[..]), (2, b"ab"), (3, b"abc"), (7, b"abcabca")] {
            let body = ResponseBody::repeat(chunk.clone(), len);
            assert_eq!(body.size_hint().exact(), Some(len));
            assert_eq!(&bytes_of(body).await[..], want, "len {len}");
        }
    }

    #[tokio::test]
    async fn chunked_yields_count_whole_chunks_and_no_length() {
        let body = ResponseBody::chunked(Bytes::from_static(b"abc"), 3);
        assert_eq!(body.size_hint().exact(), None);
        let mut body = std::pin::pin!(body);
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.expect("infallible").into_data().expect("data"));
        }
        assert_eq!(frames, vec![Bytes::from_static(b"abc"); 3]);
    }

    #[tokio::test]
    async fn an_empty_chunk_ends_at_once() {
        let body = ResponseBody::repeat(Bytes::new(), 10);
        assert!(body.is_end_stream());
        assert!(bytes_of(body).await.is_empty());
    }
}
