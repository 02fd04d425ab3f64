//! HTTP/2: cleartext with prior knowledge against nginx (an independent server whose
//! access log counts the requests) and the built-in target, negotiated by ALPN over
//! TLS, refused clearly when the server will not, and users sharing a few
//! multiplexed connections.

use std::collections::BTreeMap;

use crate::support::nginx::{Nginx, SEED_SITE};
use crate::support::tls::{Setup, TlsTarget};
use crate::support::{
    one_request_profile, request, request_counts, run_profile, tally, target, uint,
};
use crate::support::{Finished, Workspace};

fn protocols(run: &Finished, name: &str) -> BTreeMap<String, u64> {
    tally(request(&run.result, name), "protocols")
}

#[test]
fn nginx_over_h2c_counts_every_stream_in_its_log() {
    let ws = Workspace::new();
    let nginx = Nginx::start_h2c(ws.dir(), SEED_SITE);
    let profile = one_request_profile(&nginx.base_url(), "http = \"h2c\"", "/api/health")
        .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", "4", "--duration", "1s"]);
    let n = uint(request(&run.result, "GET /api/health"), "count");
    assert!(n > 10, "{}", run.stdout);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    assert_eq!(
        protocols(&run, "GET /api/health"),
        BTreeMap::from([("h2".to_owned(), n)])
    );
    let logged = nginx.access_log_once(n);
    assert!(logged.iter().all(|l| l.status == 200));
    assert!(
        logged
            .iter()
            .all(|l| l.protocol.as_deref() == Some("HTTP/2.0")),
        "nginx logged every request as HTTP/2.0"
    );
    assert_eq!(
        crate::support::process::counts(&logged),
        request_counts(&run.result)
    );
}

#[test]
fn alpn_picks_http2_where_offered_and_http1_where_not() {
    let ws = Workspace::new();
    let h2 = TlsTarget::start();
    let run = run_profile(
        &ws,
        &one_request_profile(&h2.base_url(), "insecure = true", "/api/health"),
        &["--users", "2", "--duration", "1s"],
    );
    let n = uint(request(&run.result, "GET /api/health"), "count");
    assert_eq!(
        protocols(&run, "GET /api/health"),
        BTreeMap::from([("h2".to_owned(), n)])
    );
    assert_eq!(request_counts(&run.result), h2.counts());

    let ws = Workspace::new();
    let old = TlsTarget::start_with(Setup {
        http1_only: true,
        ..Setup::default()
    });
    let run = run_profile(
        &ws,
        &one_request_profile(&old.base_url(), "insecure = true", "/api/health"),
        &["--users", "2", "--duration", "1s"],
    );
    let n = uint(request(&run.result, "GET /api/health"), "count");
    assert_eq!(
        protocols(&run, "GET /api/health"),
        BTreeMap::from([("http/1.1".to_owned(), n)])
    );

    // Asked for HTTP/2 only, a server that will not is a failure of its own kind.
    let ws = Workspace::new();
    let run = run_profile(
        &ws,
        &one_request_profile(
            &old.base_url(),
            "insecure = true\nhttp = \"2\"",
            "/api/health",
        ),
        &["--users", "1", "--duration", "1s"],
    );
    let row = request(&run.result, "GET /api/health");
    let n = uint(row, "count");
    assert_eq!(
        tally(row, "errors"),
        BTreeMap::from([("protocol".to_owned(), n)]),
        "{row}"
    );
}

#[test]
fn many_users_share_a_few_multiplexed_connections() {
    let ws = Workspace::new();
    let server = target();
    let profile = one_request_profile(
        &server.base_url(),
        "http = \"h2c\"\nconnections = 2",
        "/delay/20",
    )
    .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(
        &ws,
        &profile,
        &["--users", "20", "--duration", "1s", "--threads", "1"],
    );
    let row = request(&run.result, "GET /delay/20");
    let n = uint(row, "count");
    assert_eq!(uint(row, "failures"), 0, "{row}");
    // 20 users, each waiting 20 ms: about 1,000 requests in a second, over 2 connections.
    assert!(
        n > 200,
        "the users ran concurrently on shared connections: {row}"
    );
    assert_eq!(uint(row, "connections_opened"), 2, "{row}");
    assert_eq!(request_counts(&run.result), server.counts());
}

#[test]
fn nginx_over_tls_negotiates_http2_by_alpn_and_logs_every_stream() {
    let ws = Workspace::new();
    let nginx = Nginx::start_h2_tls(ws.dir(), SEED_SITE);
    let base = nginx.base_url().replace("http://", "https://");
    let profile = one_request_profile(&base, "insecure = true", "/api/health")
        .replace("min_scenario_interval_ms = 50", "");
    let run = run_profile(&ws, &profile, &["--users", "4", "--duration", "1s"]);
    let n = uint(request(&run.result, "GET /api/health"), "count");
    assert!(n > 10, "{}", run.stdout);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    assert_eq!(
        protocols(&run, "GET /api/health"),
        BTreeMap::from([("h2".to_owned(), n)]),
        "ALPN chose h2 (http = \"auto\")"
    );
    let logged = nginx.access_log_once(n);
    assert_eq!(
        crate::support::process::counts(&logged),
        request_counts(&run.result)
    );
    assert!(
        logged
            .iter()
            .all(|l| l.protocol.as_deref() == Some("HTTP/2.0")),
        "nginx logged every request as HTTP/2.0"
    );
}
