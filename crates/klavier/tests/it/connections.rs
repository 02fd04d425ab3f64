//! How users connect: through a real HTTP proxy (Debian's tinyproxy: plain requests
//! forwarded, https through CONNECT), without keep-alive (one connection per request),
//! and within a request's own timeout or the connect timeout.

use std::collections::BTreeMap;

use crate::support::faults::{Fault, FaultServer};
use crate::support::tinyproxy::{self, Tinyproxy};
use crate::support::tls::TlsTarget;
use crate::support::wiretap::Wiretap;
use crate::support::{one_request_profile, request, run_profile, tally, target, uint, Workspace};

#[test]
fn plain_and_tls_requests_go_through_an_authenticating_proxy() {
    let ws = Workspace::new();
    let proxy = Tinyproxy::start(ws.dir());
    let (plain, tls) = (target(), TlsTarget::start());
    ws.write("ca.pem", tls.ca_pem());
    let profile = format!(
        r#"[target]
base_url = "{plain}"
proxy = "{proxy}"
ca_file = "ca.pem"

[scenarios.s]
[[scenarios.s.requests]]
name = "plain"
path = "/api/health"
[[scenarios.s.requests]]
name = "tunnelled"
url = "{tls}/api/health"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 100
"#,
        plain = plain.base_url(),
        proxy = proxy.url_with_credentials(),
        tls = tls.base_url(),
    );
    let run = run_profile(&ws, &profile, &["--users", "2"]);
    let (forwarded, tunnelled) = (
        uint(request(&run.result, "plain"), "count"),
        uint(request(&run.result, "tunnelled"), "count"),
    );
    assert!(forwarded > 0 && tunnelled > 0);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    // The servers saw what went through the proxy.
    assert_eq!(
        plain.counts(),
        BTreeMap::from([("GET /api/health".to_owned(), forwarded)])
    );
    assert_eq!(
        tls.counts(),
        BTreeMap::from([("GET /api/health".to_owned(), tunnelled)])
    );
    // The proxy's own log: forwarded requests in absolute form, one CONNECT per tunnel.
    let logged = proxy.requests();
    let absolute = format!("GET {}/api/health HTTP/1.1", plain.base_url());
    assert_eq!(
        logged.iter().filter(|r| **r == absolute).count() as u64,
        forwarded,
        "{logged:?}"
    );
    let tunnels = logged.iter().filter(|r| r.starts_with("CONNECT ")).count();
    assert!(
        (1..=2).contains(&tunnels),
        "one tunnel per user: {logged:?}"
    );
    // The password is never printed.
    let printed = format!("{}{}", run.stdout, run.stderr);
    assert!(!printed.contains(tinyproxy::PASSWORD), "{printed}");
}

#[test]
fn a_proxy_that_refuses_says_so() {
    let ws = Workspace::new();
    let proxy = Tinyproxy::start(ws.dir());
    let tls = TlsTarget::start();
    let extra = format!("proxy = \"{}\"\ninsecure = true", proxy.url());
    let profile = one_request_profile(&tls.base_url(), &extra, "/api/health");
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    let row = request(&run.result, "GET /api/health");
    let n = uint(row, "count");
    assert!(n > 0);
    assert_eq!(
        tally(row, "errors"),
        BTreeMap::from([("proxy".to_owned(), n)]),
        "{row}"
    );
    assert!(tls.counts().is_empty());
}

#[test]
fn without_keep_alive_every_request_has_its_own_connection() {
    let ws = Workspace::new();
    let server = Wiretap::start();
    let profile = one_request_profile(&server.base_url(), "keep_alive = false", "/api/health");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    let n = uint(request(&run.result, "GET /api/health"), "count");
    assert!(n > 1);
    assert_eq!(uint(&run.result["totals"], "failures"), 0);
    assert_eq!(server.connections(), n, "one connection per request");
    for sent in server.requests() {
        assert_eq!(sent.header("connection"), ["close"], "{sent:?}");
    }
}

#[test]
fn a_request_timeout_of_its_own_and_the_connect_timeout_apply() {
    let ws = Workspace::new();
    let server = target();
    let profile = format!(
        r#"[target]
base_url = "{}"
timeout = "5s"

[scenarios.s]
[[scenarios.s.requests]]
name = "slow"
path = "/delay/400"
timeout = "100ms"
[[scenarios.s.requests]]
name = "patient"
path = "/delay/200"

[timings]
test_duration_seconds = 1
"#,
        server.base_url()
    );
    let run = run_profile(&ws, &profile, &["--users", "1"]);
    let slow = request(&run.result, "slow");
    let n = uint(slow, "count");
    assert_eq!(
        tally(slow, "errors"),
        BTreeMap::from([("timeout".to_owned(), n)]),
        "{slow}"
    );
    assert_eq!(uint(request(&run.result, "patient"), "failures"), 0);

    // A TLS handshake that never completes is bounded by the connect timeout.
    let silent = FaultServer::start(Fault::Silent);
    let https = silent.base_url().replace("http://", "https://");
    let extra = "timeout = \"5s\"\nconnect_timeout = \"150ms\"";
    let profile = one_request_profile(&https, extra, "/api/health");
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    let row = request(&run.result, "GET /api/health");
    let n = uint(row, "count");
    assert!(n >= 2, "several attempts in a second: {row}");
    assert_eq!(
        tally(row, "errors"),
        BTreeMap::from([("connect_timeout".to_owned(), n)]),
        "{row}"
    );
}
