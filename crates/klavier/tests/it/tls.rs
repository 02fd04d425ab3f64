//! HTTPS against the built-in target behind TLS with a certificate from a throwaway
//! CA: verified by default, trusted through `ca_file`, or not verified with `insecure`.

use std::collections::BTreeMap;

use crate::support::tls::TlsTarget;
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
