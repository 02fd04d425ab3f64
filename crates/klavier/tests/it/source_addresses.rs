//! `[target] source_addresses`: new connections are bound to the listed local addresses
//! in turn (each another set of ephemeral ports towards the same destination). A
//! loopback server that closes every connection after one answer sees who connected.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::loopback::Loopback;
use crate::support::{klavier, one_request_profile, run_profile, uint, Workspace};

/// Connections by the client's address.
type Peers = Arc<Mutex<BTreeMap<IpAddr, u64>>>;

/// Answers one request per connection, then closes it, and counts who connected.
async fn serve(mut stream: TcpStream, peers: Peers) {
    if let Ok(peer) = stream.peer_addr() {
        *peers
            .lock()
            .expect("not poisoned")
            .entry(peer.ip())
            .or_default() += 1;
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let _ = stream.write_all(response).await;
}

#[test]
fn connections_are_bound_to_the_source_addresses_in_turn() {
    let peers = Peers::default();
    let shared = peers.clone();
    let server = Loopback::start("sources", move |stream, _stop| {
        serve(stream, shared.clone())
    });
    let ws = Workspace::new();
    let base_url = format!("http://{}", server.addr());
    let extra = r#"source_addresses = ["127.0.0.2", "127.0.0.3"]"#;
    let profile = one_request_profile(&base_url, extra, "/");
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    let completed = uint(&run.result["totals"], "count");
    let peers = peers.lock().expect("not poisoned").clone();
    let two: IpAddr = "127.0.0.2".parse().expect("an address");
    let three: IpAddr = "127.0.0.3".parse().expect("an address");
    assert_eq!(
        peers.keys().copied().collect::<Vec<_>>(),
        vec![two, three],
        "{peers:?}"
    );
    // One user, one connection per request: the two addresses alternate.
    assert!(peers[&two].abs_diff(peers[&three]) <= 1, "{peers:?}");
    assert!(
        peers.values().sum::<u64>() >= completed,
        "{peers:?} for {completed}"
    );
}

#[test]
fn a_source_address_that_is_not_one_is_a_profile_error() {
    let ws = Workspace::new();
    let extra = r#"source_addresses = ["127.0.0.2", "localhost"]"#;
    let profile = ws.write(
        "p.toml",
        one_request_profile("http://127.0.0.1:9", extra, "/"),
    );
    let output = klavier()
        .arg("check")
        .arg(&profile)
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("target.source_addresses[1]: \"localhost\" is not an IP address"),
        "{stderr}"
    );
}
