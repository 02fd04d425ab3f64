//! The target's endpoints: parse a request into a [`Route`], count it, answer it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::accounts::Journey;
use super::body::ResponseBody;
use super::counts::TargetState;

/// Longest `/delay/{ms}`; longer requests are cut to this.
pub const MAX_DELAY_MS: u64 = 60_000;
/// Largest `/bytes/{n}`; larger requests get 400.
pub const MAX_BYTES: u64 = 100 * 1024 * 1024;
/// How much of a request body `/echo` reflects; the rest is read and counted only.
pub const ECHO_MAX_BODY: usize = 1024 * 1024;
/// Largest chunk of `/api/chunked` (the shared filler it is cut from); larger gets 400.
pub const MAX_CHUNK_SIZE: usize = crate::counts::FILLER_LEN;
/// `/api/chunked` without `chunks=`.
pub const DEFAULT_CHUNKS: u64 = 8;
/// `/api/chunked` without `size=`.
pub const DEFAULT_CHUNK_SIZE: usize = 1024;

const HEALTH_BODY: &[u8] = br#"{"status":"up"}"#;
const LOGIN_BODY: &[u8] = br#"{"token":"klavier-demo-token","expires_in":3600}"#;
const RESET_BODY: &[u8] = br#"{"reset":true}"#;

/// What a request asks for, decided from its method and path alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    Login,
    Delay(Duration),
    Status(StatusCode),
    Bytes(u64),
    /// `count` chunks of `size` bytes, no `Content-Length`.
    Chunked {
        count: u64,
        size: usize,
    },
    Echo,
    /// A user-journey endpoint (login, token, cookies): see `accounts`.
    Journey(Journey),
    Counts,
    Timing,
    Received,
    Reset,
    /// A known endpoint with an unusable parameter, e.g. `/status/42`.
    BadParam,
    NotFound,
}

impl Route {
    fn parse(method: &Method, path: &str, query: Option<&str>) -> Self {
        let get = method == Method::GET || method == Method::HEAD;
        if let Some(journey) = Journey::parse(method, path) {
            return Self::Journey(journey);
        }
        match path {
            "/api/health" if get => Self::Health,
            "/api/auth/login" if get || method == Method::POST => Self::Login,
            "/api/chunked" if get => Self::parse_chunked(query.unwrap_or("")),
            "/echo" => Self::Echo,
            "/__klavier/counts" if get => Self::Counts,
            "/__klavier/timing" if get => Self::Timing,
            "/__klavier/received" if get => Self::Received,
            "/__klavier/reset" if method == Method::POST => Self::Reset,
            _ => Self::parse_with_param(path).unwrap_or(Self::NotFound),
        }
    }

    /// `/delay/{ms}`, `/status/{code}`, `/bytes/{n}` for any method; `None` if the
    /// path is none of these.
    fn parse_with_param(path: &str) -> Option<Self> {
        let (name, param) = path.strip_prefix('/')?.split_once('/')?;
        let route = match name {
            "delay" => param
                .parse()
                .ok()
                .map(|ms: u64| Self::Delay(Duration::from_millis(ms.min(MAX_DELAY_MS)))),
            "status" => param
                .parse()
                .ok()
                .filter(|code: &u16| (200..=999).contains(code))
                .and_then(|code| StatusCode::from_u16(code).ok())
                .map(Self::Status),
            "bytes" => param
                .parse()
                .ok()
                .filter(|n: &u64| *n <= MAX_BYTES)
                .map(Self::Bytes),
            _ => return None,
        };
        Some(route.unwrap_or(Self::BadParam))
    }

    /// `chunks=N&size=M` (both optional; other parameters ignored). The body may not
    /// exceed [`MAX_BYTES`] nor a chunk [`MAX_CHUNK_SIZE`]; a chunk has at least one byte,
    /// since an empty one would end a chunked body.
    fn parse_chunked(query: &str) -> Self {
        let (mut count, mut size) = (Some(DEFAULT_CHUNKS), Some(DEFAULT_CHUNK_SIZE));
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("chunks", n)) => count = n.parse().ok(),
                Some(("size", n)) => size = n.parse().ok(),
                _ => {}
            }
        }
        let fits = |count: u64, size: usize| {
            (1..=MAX_CHUNK_SIZE).contains(&size)
                && count
                    .checked_mul(size as u64)
                    .is_some_and(|n| n <= MAX_BYTES)
        };
        match (count, size) {
            (Some(count), Some(size)) if fits(count, size) => Self::Chunked { count, size },
            _ => Self::BadParam,
        }
    }

    /// The target's own control endpoints do not count, so reading counts never
    /// changes them.
    fn is_counted(self) -> bool {
        !matches!(
            self,
            Self::Counts
                | Self::Timing
                | Self::Received
                | Self::Reset
                | Self::Journey(Journey::Report)
        )
    }
}

/// Answer one request. Counts it on arrival (before any delay), reads its body to the
/// end so the connection can be reused, then responds, noting how long that took
/// (from here, where hyper hands over the parsed head, to the response handed back).
/// Never fails: hyper owns protocol errors, everything else is an HTTP status.
pub(crate) async fn handle(
    request: Request<Incoming>,
    state: Arc<TargetState>,
) -> Result<Response<ResponseBody>, Infallible> {
    let arrived = Instant::now();
    let route = Route::parse(
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    let counted = route.is_counted();
    if counted {
        state.record(request.method(), request.uri().path());
    }
    if counted {
        state.stall.wait().await;
        state.capacity.serve().await;
    }
    let response = match route {
        Route::Echo => echo(request).await,
        Route::Journey(journey) => answer_journey(journey, request, &state).await,
        route => {
            read_body(request.into_body(), 0).await;
            respond(route, &state).await
        }
    };
    if counted {
        state.record_service(arrived, arrived.elapsed());
    }
    Ok(response)
}

async fn respond(route: Route, state: &TargetState) -> Response<ResponseBody> {
    match route {
        Route::Health => json(Bytes::from_static(HEALTH_BODY)),
        Route::Login => json(Bytes::from_static(LOGIN_BODY)),
        Route::Delay(delay) => {
            tokio::time::sleep(delay).await;
            Response::new(ResponseBody::empty())
        }
        Route::Status(code) => status(code),
        Route::Bytes(n) => {
            let body = ResponseBody::repeat(state.filler().clone(), n);
            with_type(body, "application/octet-stream")
        }
        Route::Chunked { count, size } => {
            let body = ResponseBody::chunked(state.filler().slice(..size), count);
            with_type(body, "application/octet-stream")
        }
        Route::Counts => json(to_json(&state.counts())),
        Route::Timing => json(to_json(&state.timing())),
        Route::Received => json(to_json(&state.received())),
        Route::Reset => {
            state.reset();
            json(Bytes::from_static(RESET_BODY))
        }
        Route::BadParam => text(StatusCode::BAD_REQUEST, "bad parameter\n"),
        Route::NotFound | Route::Echo | Route::Journey(_) => {
            text(StatusCode::NOT_FOUND, "not found\n")
        }
    }
}

/// `/status/{code}`: the code, with its reason phrase as a small body. Statuses that
/// must not carry a body get none.
fn status(code: StatusCode) -> Response<ResponseBody> {
    let bodyless = matches!(code.as_u16(), 204 | 205 | 304);
    let reason = code.canonical_reason().unwrap_or("");
    let mut response = if bodyless {
        Response::new(ResponseBody::empty())
    } else {
        with_type(
            ResponseBody::full(Bytes::from_static(reason.as_bytes())),
            "text/plain",
        )
    };
    *response.status_mut() = code;
    response
}

async fn answer_journey(
    journey: Journey,
    request: Request<Incoming>,
    state: &TargetState,
) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let (kept, _) = read_body(body, ECHO_MAX_BODY).await;
    let answer = state
        .accounts()
        .answer(journey, &parts.headers, parts.uri.query(), &kept);
    let mut response = json(to_json(&answer.body));
    *response.status_mut() = answer.status;
    for cookie in answer.set_cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response
                .headers_mut()
                .append(hyper::header::SET_COOKIE, value);
        }
    }
    response
}

async fn echo(request: Request<Incoming>) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let (kept, len) = read_body(body, ECHO_MAX_BODY).await;
    let doc = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "version": format!("{:?}", parts.version),
        "headers": headers_json(&parts.headers),
        "body": String::from_utf8_lossy(&kept),
        "body_len": len,
        "body_truncated": len > kept.len() as u64,
        // The body as the JSON value it is (null when it is none), so a client can
        // check the types it sent: `{"qty":3}` is not `{"qty":"3"}`.
        "json": serde_json::from_slice::<Value>(&kept).ok(),
    });
    json(to_json(&doc))
}

/// Header names to a string, or to an array of strings when repeated.
fn headers_json(headers: &HeaderMap) -> Value {
    let lossy = |v: &HeaderValue| Value::from(String::from_utf8_lossy(v.as_bytes()));
    let object: Map<String, Value> = headers
        .keys()
        .map(|name| {
            let mut values: Vec<Value> = headers.get_all(name).iter().map(lossy).collect();
            let value = if values.len() == 1 {
                values.swap_remove(0)
            } else {
                Value::Array(values)
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    Value::Object(object)
}

/// Read a body to its end, keeping at most `keep` bytes; returns them with the full
/// length. A body the client abandons just ends early: the response is what matters.
async fn read_body(mut body: Incoming, keep: usize) -> (Vec<u8>, u64) {
    let mut kept = Vec::new();
    let mut len = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        len += data.len() as u64;
        let room = keep - kept.len();
        kept.extend_from_slice(&data[..room.min(data.len())]);
    }
    (kept, len)
}

fn to_json(value: &impl serde::Serialize) -> Bytes {
    serde_json::to_vec(value)
        .expect("maps with string keys and plain values always serialize")
        .into()
}

fn json(body: Bytes) -> Response<ResponseBody> {
    with_type(ResponseBody::full(body), "application/json")
}

fn text(code: StatusCode, body: &'static str) -> Response<ResponseBody> {
    let mut response = with_type(
        ResponseBody::full(Bytes::from_static(body.as_bytes())),
        "text/plain",
    );
    *response.status_mut() = code;
    response
}

fn with_type(body: ResponseBody, content_type: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    let value = HeaderValue::from_static(content_type);
    response.headers_mut().insert(CONTENT_TYPE, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_parsed_from_method_and_path() {
        let ms = Duration::from_millis;
        #[rustfmt::skip]
        let cases = [
            (Method::GET, "/api/health", Route::Health),
            (Method::HEAD, "/api/health", Route::Health),     // HEAD goes where GET goes
            (Method::POST, "/api/health", Route::NotFound),   // wrong method is just unknown
            (Method::POST, "/api/auth/login", Route::Login),
            (Method::GET, "/api/auth/login", Route::Login),
            (Method::PUT, "/echo", Route::Echo),              // echo takes any method
            (Method::GET, "/delay/50", Route::Delay(ms(50))),
            (Method::POST, "/delay/0", Route::Delay(ms(0))),
            (Method::GET, "/delay/999999", Route::Delay(ms(MAX_DELAY_MS))), // capped
            (Method::GET, "/delay/soon", Route::BadParam),
            (Method::GET, "/delay/", Route::BadParam),
            (Method::GET, "/status/503", Route::Status(StatusCode::SERVICE_UNAVAILABLE)),
            (Method::GET, "/status/999", Route::Status(StatusCode::from_u16(999).expect("valid"))),
            (Method::GET, "/status/101", Route::BadParam),    // 1xx would break the exchange
            (Method::GET, "/status/1000", Route::BadParam),
            (Method::GET, "/status/42", Route::BadParam),
            (Method::GET, "/bytes/2048", Route::Bytes(2048)),
            (Method::GET, "/bytes/104857600", Route::Bytes(MAX_BYTES)),
            (Method::GET, "/bytes/104857601", Route::BadParam), // over the cap
            (Method::GET, "/bytes/-1", Route::BadParam),
            (Method::GET, "/__klavier/counts", Route::Counts),
            (Method::GET, "/__klavier/timing", Route::Timing),
            (Method::GET, "/__klavier/received", Route::Received),
            (Method::POST, "/__klavier/reset", Route::Reset),
            (Method::GET, "/__klavier/reset", Route::NotFound), // resetting needs POST
            (Method::GET, "/", Route::NotFound),
            (Method::GET, "/nope/1", Route::NotFound),
            (Method::GET, "*", Route::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(Route::parse(&method, path, None), want, "{method} {path}");
        }
    }

    #[test]
    fn chunked_takes_its_shape_from_the_query() {
        let chunked = |count, size| Route::Chunked { count, size };
        #[rustfmt::skip]
        let cases = [
            (None, chunked(DEFAULT_CHUNKS, DEFAULT_CHUNK_SIZE)),
            (Some("chunks=3&size=10"), chunked(3, 10)),
            (Some("size=10&x=y&chunks=0"), chunked(0, 10)),      // order free, others ignored
            (Some("chunks=1&size=262144"), chunked(1, MAX_CHUNK_SIZE)),
            (Some("chunks=400&size=262144"), chunked(400, MAX_CHUNK_SIZE)), // exactly MAX_BYTES
            (Some("chunks=401&size=262144"), Route::BadParam), // over MAX_BYTES
            (Some("size=262145"), Route::BadParam),            // over the chunk cap
            (Some("size=0"), Route::BadParam),                 // would end the body at once
            (Some("chunks=-1"), Route::BadParam),
            (Some("chunks=18446744073709551615"), Route::BadParam), // overflows
        ];
        for (query, want) in cases {
            assert_eq!(
                Route::parse(&Method::GET, "/api/chunked", query),
                want,
                "{query:?}"
            );
        }
        let post = Route::parse(&Method::POST, "/api/chunked", None);
        assert_eq!(post, Route::NotFound);
    }

    #[test]
    fn only_control_endpoints_go_uncounted() {
        assert!(!Route::Counts.is_counted());
        assert!(!Route::Timing.is_counted());
        assert!(!Route::Received.is_counted());
        assert!(!Route::Reset.is_counted());
        assert!(Route::NotFound.is_counted());
        assert!(Route::BadParam.is_counted());
    }
}
