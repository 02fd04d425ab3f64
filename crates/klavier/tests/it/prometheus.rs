//! `--metrics-addr`: a real Prometheus (Debian's package, which `scripts/test`
//! installs) on loopback scrapes a run every second, and its query API returns the
//! series Klavier served: request counters, fixed-bucket latency histograms and gauges.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::process::{find_program, free_port, missing, poll_until, ServerProcess};
use crate::support::{one_request_profile, run_profile, target, uint, Workspace};

/// GETs `path` from `addr` over HTTP/1.0 (the connection closes after the answer), and
/// returns the body of a 200 answer.
fn get(addr: &str, path: &str) -> Option<String> {
    let addr: SocketAddr = addr.parse().ok()?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.lines().next()?;
    // Go's server answers an HTTP/1.0 request as HTTP/1.0.
    status.split(' ').nth(1).filter(|&code| code == "200")?;
    Some(body.to_owned())
}

/// The samples of PromQL `query` at the present time, as (labels, value).
fn query(prometheus: &str, promql: &str) -> Vec<(Value, f64)> {
    let encoded: String = url::form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    let Some(body) = get(prometheus, &format!("/api/v1/query?query={encoded}")) else {
        return Vec::new();
    };
    let answer: Value = serde_json::from_str(&body).expect("Prometheus answers JSON");
    answer["data"]["result"]
        .as_array()
        .map(|series| {
            series
                .iter()
                .map(|s| {
                    let value = s["value"][1].as_str().and_then(|v| v.parse().ok());
                    (s["metric"].clone(), value.unwrap_or(f64::NAN))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_real_prometheus_scrapes_the_metrics_of_a_run() {
    let Some(program) = find_program("prometheus", &["/usr/bin"]) else {
        missing(
            "Prometheus",
            "apt-get install prometheus (Debian's package)",
        )
    };
    let ws = Workspace::new();
    let metrics = free_port();
    let config = ws.write(
        "prometheus.yml",
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  \
             - job_name: klavier\n    static_configs:\n      - targets: ['{metrics}']\n"
        ),
    );
    let log = ws.path("prometheus.log");
    let prometheus = ServerProcess::start("prometheus", &log, |addr| {
        let mut cmd = Command::new(&program);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", ws.path("data").display()))
            .arg(format!("--web.listen-address={addr}"));
        cmd
    });
    let prometheus_addr = prometheus.base_url().replace("http://", "");
    // Listening is not ready: Prometheus opens its TSDB and loads the configuration
    // first, and scrapes nothing until then. On a loaded machine that took longer than
    // the whole 6 s run once (a clean-clone CI run), so the run waits for /-/ready.
    poll_until(Duration::from_secs(60), || {
        get(&prometheus_addr, "/-/ready")
    })
    .unwrap_or_else(|| {
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("Prometheus never became ready; its log:\n{said}")
    });
    let server = target();
    let profile = one_request_profile(&server.base_url(), "", "/api/health");
    let run = run_profile(
        &ws,
        &profile,
        &[
            "--users",
            "2",
            "--duration",
            "6s",
            "--metrics-addr",
            &metrics.to_string(),
        ],
    );
    let completed = uint(&run.result["totals"], "count") as f64;

    // The run is over and its endpoint gone: read what was scraped while it ran.
    let responses = poll_until(Duration::from_secs(15), || {
        let found = query(
            &prometheus_addr,
            "max_over_time(klavier_responses_total[5m])",
        );
        (!found.is_empty()).then_some(found)
    })
    .unwrap_or_else(|| {
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("Prometheus never stored klavier_responses_total; its log:\n{said}")
    });
    let [(labels, scraped)] = responses.as_slice() else {
        panic!("one series expected: {responses:?}")
    };
    assert_eq!(labels["request"], "GET /api/health", "{labels}");
    assert_eq!(labels["status"], "200", "{labels}");
    assert_eq!(labels["job"], "klavier", "{labels}");
    // Scrapes see the counts of whole seconds: at least one, never more than the run did.
    assert!(
        *scraped > 0.0 && *scraped <= completed,
        "scraped {scraped} of {completed} responses"
    );
    let users = query(&prometheus_addr, "max_over_time(klavier_active_users[5m])");
    assert_eq!(users.first().map(|u| u.1), Some(2.0), "{users:?}");
    let buckets = query(
        &prometheus_addr,
        "max_over_time(klavier_response_time_seconds_bucket{le=\"+Inf\"}[5m])",
    );
    assert_eq!(buckets.len(), 1, "{buckets:?}");
    assert!(
        buckets[0].1 > 0.0 && buckets[0].1 <= completed,
        "{buckets:?}"
    );
    let count = query(
        &prometheus_addr,
        "max_over_time(klavier_response_time_seconds_count[5m])",
    );
    assert_eq!(
        count.first().map(|c| c.1),
        Some(buckets[0].1),
        "+Inf bucket is the count"
    );
}
