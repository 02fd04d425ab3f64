//! HTTP/2 servers that end streams and connections early: nginx closing every
//! connection with GOAWAY after three requests (its `keepalive_requests`), the h2
//! crate's server resetting or refusing streams, and a server in shutdown that
//! answers every connection with GOAWAY at once. Resets and GOAWAYs are failure kinds
//! of their own (`stream_reset`, `goaway`); a request the server says it did no work
//! on (refused, or above a GOAWAY's last stream) is sent once more, as browsers do,
//! whatever its method.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::loopback::Loopback;
use crate::support::nginx::{Nginx, Site, SEED_SITE};
use crate::support::{
    count_of, one_request_profile, request, request_counts, run_profile, tally, uint,
};
use crate::support::{Finished, Workspace};

/// What the h2 crate's server did with the streams it was sent.
#[derive(Debug, Default)]
struct Tally {
    answered: AtomicU64,
    reset: AtomicU64,
}

impl Tally {
    fn answered(&self) -> u64 {
        self.answered.load(Ordering::SeqCst)
    }

    fn reset(&self) -> u64 {
        self.reset.load(Ordering::SeqCst)
    }
}

/// An h2c server (prior knowledge) that resets every `every`-th stream of each
/// connection with `reason` and answers the others `200 ok`. Counted per connection,
/// so a request sent again on a fresh connection is answered.
fn resetting_server(every: u64, reason: h2::Reason) -> (Loopback, Arc<Tally>) {
    let tally = Arc::new(Tally::default());
    let counted = tally.clone();
    let server = Loopback::start("h2-reset", move |stream, stop| {
        let tally = counted.clone();
        async move {
            let Ok(mut connection) = h2::server::handshake(stream).await else {
                return;
            };
            let mut streams = 0u64;
            loop {
                let next = tokio::select! {
                    next = connection.accept() => next,
                    () = stop.cancelled() => None,
                };
                let Some(Ok((_request, mut respond))) = next else {
                    break;
                };
                streams += 1;
                if streams % every == 0 {
                    respond.send_reset(reason);
                    tally.reset.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                let head = http::Response::builder()
                    .status(200)
                    .body(())
                    .expect("a valid response head");
                if let Ok(mut body) = respond.send_response(head, false) {
                    if body.send_data(Bytes::from_static(b"ok"), true).is_ok() {
                        tally.answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
    });
    (server, tally)
}

/// A server in shutdown: it reads the client's preface and answers with its
/// SETTINGS and a GOAWAY whose last stream is 0, so it will process nothing.
fn going_away_server() -> Loopback {
    const SETTINGS: [u8; 9] = [0, 0, 0, 4, 0, 0, 0, 0, 0];
    const GOAWAY_NONE: [u8; 17] = [0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    Loopback::start("h2-goaway", |mut stream, stop| async move {
        let mut preface = [0u8; 24];
        if stream.read_exact(&mut preface).await.is_err() {
            return;
        }
        assert_eq!(
            &preface, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "an h2c preface"
        );
        if stream.write_all(&SETTINGS).await.is_err()
            || stream.write_all(&GOAWAY_NONE).await.is_err()
        {
            return;
        }
        // Whatever else comes is ignored until the client hangs up.
        let mut buf = [0u8; 4096];
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => if matches!(read, Ok(0) | Err(_)) { break },
                () = stop.cancelled() => break,
            }
        }
    })
}

/// One request to `/item` over h2c, users back to back; a POST carries a body.
fn h2c_profile(base_url: &str, method: &str) -> String {
    let profile = one_request_profile(base_url, "http = \"h2c\"", "/item")
        .replace("min_scenario_interval_ms = 50", "");
    match method {
        "POST" => profile.replace("method = \"GET\"", "method = \"POST\"\nbody = \"x\""),
        _ => profile,
    }
}

fn errors(run: &Finished, name: &str) -> std::collections::BTreeMap<String, u64> {
    tally(request(&run.result, name), "errors")
}

#[test]
fn nginx_closing_each_connection_with_goaway_costs_no_request() {
    let row = nginx_goaway_after(3, "http = \"h2c\"", "4");
    assert!(
        uint(&row, "connections_opened") >= uint(&row, "count") / 3,
        "nginx carries at most 3 requests per connection: {row}"
    );
}

#[test]
fn nginx_going_away_under_streams_in_flight_costs_no_request() {
    // Eight users share one connection: streams are in flight past the 50th when
    // the GOAWAY comes, so h2 fails them as above its last stream, and they are sent
    // again on the next connection.
    let row = nginx_goaway_after(50, "http = \"h2c\"\nconnections = 1", "8");
    assert!(
        count_of(&row, "retried") > 0,
        "some streams were cut by a GOAWAY and sent again: {row}"
    );
}

/// Runs `users` over h2c against nginx closing each connection with a GOAWAY after
/// `requests`; checks nothing failed and nginx logged what Klavier counted.
fn nginx_goaway_after(requests: u64, target: &str, users: &str) -> serde_json::Value {
    let ws = Workspace::new();
    let keepalive = format!("keepalive_requests {requests};");
    let site = Site {
        http: &keepalive,
        ..SEED_SITE
    };
    let nginx = Nginx::start_h2c(ws.dir(), site);
    let profile = one_request_profile(&nginx.base_url(), target, "/api/health")
        .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", users, "--duration", "1s"]);
    let row = request(&run.result, "GET /api/health").clone();
    let n = uint(&row, "count");
    assert!(
        n >= 4 * requests,
        "enough requests to meet several GOAWAYs: {row}"
    );
    assert_eq!(
        uint(&row, "failures"),
        0,
        "a GOAWAY is not a failure: {row}"
    );
    let logged = nginx.access_log_once(n);
    assert_eq!(
        crate::support::process::counts(&logged),
        request_counts(&run.result),
        "nginx's log vs Klavier's counts"
    );
    row
}

/// 2 users POST for 1 s to a server resetting every 3rd stream of a connection with
/// `reason`: the run, and what the server did.
fn post_to_resetting_server(reason: h2::Reason) -> (Finished, Arc<Tally>) {
    let (server, tally) = resetting_server(3, reason);
    let ws = Workspace::new();
    let base = format!("http://{}", server.addr());
    let run = run_profile(
        &ws,
        &h2c_profile(&base, "POST"),
        &["--users", "2", "--duration", "1s"],
    );
    drop(server);
    (run, tally)
}

#[test]
fn a_reset_stream_is_a_stream_reset_failure_and_not_sent_again() {
    let (run, tally) = post_to_resetting_server(h2::Reason::INTERNAL_ERROR);
    let row = request(&run.result, "POST /item");
    let reset = tally.reset();
    assert!(reset > 0, "the server reset some streams: {row}");
    assert_eq!(
        errors(&run, "POST /item"),
        [("stream_reset".to_owned(), reset)].into(),
        "each reset once, by its kind: {row}"
    );
    assert_eq!(uint(row, "count"), tally.answered() + reset);
    assert_eq!(
        count_of(row, "retried"),
        0,
        "a reset stream may have been processed"
    );
}

#[test]
fn a_refused_stream_is_sent_again_even_a_post() {
    let (run, tally) = post_to_resetting_server(h2::Reason::REFUSED_STREAM);
    let row = request(&run.result, "POST /item");
    let refused = tally.reset();
    assert!(refused > 0, "the server refused some streams: {row}");
    assert_eq!(
        uint(row, "failures"),
        0,
        "a refused stream did no harm: {row}"
    );
    assert_eq!(
        uint(row, "count"),
        tally.answered(),
        "each answer once: {row}"
    );
    assert_eq!(
        count_of(row, "retried"),
        refused,
        "each refusal retried: {row}"
    );
}

#[test]
fn a_server_that_goes_away_at_once_fails_every_request_as_goaway() {
    let server = going_away_server();
    let ws = Workspace::new();
    let base = format!("http://{}", server.addr());
    let run = run_profile(
        &ws,
        &h2c_profile(&base, "GET"),
        &["--users", "2", "--duration", "1s"],
    );
    let row = request(&run.result, "GET /item");
    let n = uint(row, "count");
    assert!(n > 0, "{row}");
    assert_eq!(
        errors(&run, "GET /item"),
        [("goaway".to_owned(), n)].into(),
        "every request a goaway: {row}"
    );
    assert_eq!(
        count_of(row, "retried"),
        n,
        "each tried on a second connection"
    );
    assert!(
        server.accepted() >= 2 * n,
        "two connections per request: {} for {n}",
        server.accepted()
    );
    assert!(
        run.stdout.contains("GOAWAY"),
        "the summary names it: {}",
        run.stdout
    );
}
