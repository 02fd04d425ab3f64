//! HTTPS against the built-in target behind TLS with a certificate from a throwaway
//! CA: verified by default, trusted through `ca_file`, or not verified with `insecure`.

use std::collections::BTreeMap;

use crate::support::tls::{Setup, TlsTarget};
use crate::support::{one_request_profile, request, request_counts, run_profile, tally, uint};
use crate::support::{Finished, Workspace};

/// Runs 2 users for 1 s against `server` with `target_extra` in `[target]`.
fn run_tls(ws: &Workspace, server: &TlsTarget, target_extra: &str) -> Finished {
    let profile = one_request_profile(&server.base_url(), target_extra, "/api/health");
    run_profile(ws, &profile, &["--users", "2", "--duration", "1s"])
}

/// Asserts every request got a 200 and the server counted each of them.
fn assert_all_succeeded(run: &Finished, server: &TlsTarget) {
    let row = request(&run.result, "GET /api/health");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    assert_eq!(uint(row, "failures"), 0, "{row}");
    let ok = BTreeMap::from([("200".to_owned(), count)]);
    assert_eq!(tally(row, "status_codes"), ok, "{row}");
    assert_eq!(request_counts(&run.result), server.counts());
}

#[test]
fn an_untrusted_certificate_fails_every_request_as_tls() {
    let ws = Workspace::new();
    let server = TlsTarget::start();
    let run = run_tls(&ws, &server, "");

    let row = request(&run.result, "GET /api/health");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    let expected = BTreeMap::from([("tls".to_owned(), count)]);
    assert_eq!(tally(row, "errors"), expected, "failure kinds of {row}");
    assert_eq!(
        row["error_reasons"]["tls_unknown_issuer"].as_u64(),
        Some(count),
        "{row}"
    );
    // The handshakes were attempted, and no request got through.
    assert!(server.accepted() > 0);
    assert!(server.counts().is_empty(), "{:?}", server.counts());
}

#[test]
fn a_ca_file_relative_to_the_profile_is_trusted() {
    let ws = Workspace::new();
    let server = TlsTarget::start();
    std::fs::create_dir(ws.path("certs")).expect("the workspace is writable");
    ws.write("certs/ca.pem", server.ca_pem());
    // By host name this time: resolved, and verified against the certificate's DNS name.
    let by_name = server.base_url().replace("127.0.0.1", "localhost");
    let profile = one_request_profile(&by_name, r#"ca_file = "certs/ca.pem""#, "/api/health");
    let profile_path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");

    // Run from another directory: the path must resolve against the profile's.
    let elsewhere = Workspace::new();
    let mut cmd = crate::support::klavier();
    cmd.current_dir(elsewhere.dir())
        .arg("run")
        .arg(&profile_path)
        .args(["--quiet", "--users", "2", "--duration", "1s", "--json"])
        .arg(&json);
    let run = crate::support::run_ok(&mut cmd, &json);
    assert_all_succeeded(&run, &server);
}

#[test]
fn insecure_skips_certificate_verification() {
    let ws = Workspace::new();
    let server = TlsTarget::start();
    let run = run_tls(&ws, &server, "insecure = true");
    assert_all_succeeded(&run, &server);
}

/// Runs against `server` with its CA trusted, plus `extra` in `[target]`, from the
/// given base URL; returns the request row's count and its error reasons.
fn trusted_run(ws: &Workspace, server: &TlsTarget, base: &str, extra: &str) -> Finished {
    ws.write("ca.pem", server.ca_pem());
    let extra = format!("ca_file = \"ca.pem\"\n{extra}");
    let profile = one_request_profile(base, &extra, "/api/health");
    run_profile(ws, &profile, &["--users", "1", "--duration", "1s"])
}

/// Asserts every request failed as `tls` for `reason`.
fn assert_tls_reason(run: &Finished, reason: &str) {
    let row = request(&run.result, "GET /api/health");
    let count = uint(row, "count");
    assert!(count > 0, "{row}");
    let expected = BTreeMap::from([("tls".to_owned(), count)]);
    assert_eq!(tally(row, "errors"), expected, "{row}");
    assert_eq!(
        row["error_reasons"][reason].as_u64(),
        Some(count),
        "{reason}: {row}"
    );
    assert!(
        run.stdout.contains(
            klavier_stats::Reason::ALL
                .iter()
                .find(|r| r.as_str() == reason)
                .map_or("?", |r| r.describe())
        ),
        "the summary says why:\n{}",
        run.stdout
    );
}

#[test]
fn each_tls_failure_says_why() {
    let ws = Workspace::new();
    let expired = TlsTarget::start_with(Setup {
        expired: true,
        ..Setup::default()
    });
    assert_tls_reason(
        &trusted_run(&ws, &expired, &expired.base_url(), ""),
        "tls_expired",
    );

    let ws = Workspace::new();
    let elsewhere = Setup {
        names: vec!["api.test".to_owned()],
        ..Setup::default()
    };
    let misnamed = TlsTarget::start_with(elsewhere);
    let run = trusted_run(&ws, &misnamed, &misnamed.base_url(), "");
    assert_tls_reason(&run, "tls_name_mismatch");

    // TLS 1.3 refuses a missing client certificate after the handshake, with an alert
    // the client reads on its first read: over HTTP/1.1 that read is the response's.
    // (Over HTTP/2 the connection's own reader may meet the reset first.)
    let ws = Workspace::new();
    let strict = TlsTarget::start_with(Setup {
        client_auth: true,
        ..Setup::default()
    });
    let run = trusted_run(&ws, &strict, &strict.base_url(), "http = \"1.1\"");
    assert_tls_reason(&run, "tls_client_certificate");

    // A plaintext server on the port an https:// URL names.
    let ws = Workspace::new();
    let plain = crate::support::target();
    let https = plain.base_url().replace("http://", "https://");
    let profile = one_request_profile(&https, "", "/api/health");
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    assert_tls_reason(&run, "tls_not_tls");
}

#[test]
fn mutual_tls_with_a_client_certificate_is_accepted() {
    let ws = Workspace::new();
    let server = TlsTarget::start_with(Setup {
        client_auth: true,
        ..Setup::default()
    });
    let (cert, key) = server.client_pem();
    ws.write("client.pem", cert);
    ws.write("client.key", key);
    let extra = "client_cert = \"client.pem\"\nclient_key = \"client.key\"";
    let run = trusted_run(&ws, &server, &server.base_url(), extra);
    assert_all_succeeded(&run, &server);
}

#[test]
fn resolve_and_server_name_reach_a_made_up_host_on_loopback() {
    // The certificate is for api.test only; no DNS knows it. `resolve` sends the
    // connection to loopback, and the TLS name is the URL's host.
    let ws = Workspace::new();
    let setup = Setup {
        names: vec!["api.test".to_owned()],
        ..Setup::default()
    };
    let server = TlsTarget::start_with(setup);
    let port = server
        .base_url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let base = format!("https://api.test:{port}");
    let extra = format!("resolve = {{ \"api.test:{port}\" = \"127.0.0.1:{port}\" }}");
    let run = trusted_run(&ws, &server, &base, &extra);
    assert_all_succeeded(&run, &server);

    // By IP address, with server_name naming the certificate's host.
    let ws = Workspace::new();
    let run = trusted_run(
        &ws,
        &server,
        &server.base_url(),
        "server_name = \"api.test\"",
    );
    let row = request(&run.result, "GET /api/health");
    assert_eq!(uint(row, "failures"), 0, "{row}");
}
