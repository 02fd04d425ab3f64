//! `parallel = [ … ]`: a request's list sent together once it is answered and all
//! waited for before the next, as a browser loads a page's assets — over HTTP/1.1 on
//! extra connections of the user's (kept for the next list), over HTTP/2 as streams of
//! the user's one connection. Judged by the servers' own logs.

use std::collections::BTreeMap;

use crate::support::nginx::{Nginx, SEED_SITE};
use crate::support::{
    count_of, request, request_counts, rows, run_profile, tally, target, uint, Workspace,
};

/// A page (`/api/health`) and three assets that each take 200 ms to answer.
fn page_profile(base_url: &str, target_extra: &str, asset: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"
{target_extra}

[scenarios.page]
[[scenarios.page.requests]]
name = "page"
path = "/api/health"
parallel = [
  {{ name = "a", path = "{asset}" }},
  {{ name = "b", path = "{asset}" }},
  {{ name = "c", path = "{asset}" }},
]

[timings]
test_duration_seconds = 1
"#
    )
}

/// Connections opened by every request row together.
fn connections_opened(result: &serde_json::Value) -> u64 {
    rows(result, "requests")
        .values()
        .map(|row| count_of(row, "connections_opened"))
        .sum()
}

#[test]
fn a_parallel_list_over_http1_overlaps_on_extra_connections_of_the_user() {
    let server = target();
    let ws = Workspace::new();
    let profile = page_profile(&server.base_url(), "", "/delay/200");
    let run = run_profile(&ws, &profile, &["--users", "1", "--duration", "1s"]);
    let counts = request_counts(&run.result);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    let pages = counts["page"];
    assert!(pages >= 2, "{counts:?}");
    for name in ["a", "b", "c"] {
        assert_eq!(
            counts[name], pages,
            "each page loads each asset once: {counts:?}"
        );
    }
    let served: u64 = server.counts().values().sum();
    assert_eq!(served, counts.values().sum::<u64>(), "the target's count");
    // The user's own connection and two more for the list, kept from page to page.
    assert_eq!(connections_opened(&run.result), 3, "{}", run.stdout);

    // One user: the target receives page, three assets, page, … Each asset is held for
    // 200 ms, so a list sent one by one would arrive 200 ms apart; sent together, all
    // three arrive before the first is answered, and the next page only after.
    let received = server.state().received().received_ns;
    let ms = |ns: u64| ns as f64 / 1e6;
    for load in received.chunks_exact(4) {
        let (page, assets) = (load[0], &load[1..]);
        assert!(
            assets[2] - assets[0] < 200_000_000,
            "the assets overlap: {:.1} ms from the first to the last",
            ms(assets[2] - assets[0])
        );
        assert!(assets[0] >= page, "after their page");
    }
    for pair in received.chunks_exact(4).collect::<Vec<_>>().windows(2) {
        assert!(
            pair[1][0] - pair[0][1] >= 200_000_000,
            "the next page waits for every asset: {:.1} ms",
            ms(pair[1][0] - pair[0][1])
        );
    }
}

#[test]
fn a_parallel_list_over_http2_goes_as_streams_of_the_users_connection() {
    let ws = Workspace::new();
    let nginx = Nginx::start_h2c(ws.dir(), SEED_SITE);
    let profile = page_profile(&nginx.base_url(), "http = \"h2c\"", "/api/auth/login");
    let run = run_profile(&ws, &profile, &["--users", "2", "--duration", "1s"]);
    assert_eq!(uint(&run.result["totals"], "failures"), 0, "{}", run.stdout);
    let counts = request_counts(&run.result);
    for name in ["a", "b", "c"] {
        assert_eq!(counts[name], counts["page"], "{counts:?}");
        let protocols = tally(request(&run.result, name), "protocols");
        assert_eq!(protocols, BTreeMap::from([("h2".to_owned(), counts[name])]));
    }
    // The page's request opens the user's connection (again after nginx retires it
    // at its keepalive_requests, 1,000); the lists never open one of their own.
    assert_eq!(
        connections_opened(&run.result),
        count_of(request(&run.result, "page"), "connections_opened"),
        "the lists ride the user's connection: {}",
        run.stdout
    );
    let total: u64 = counts.values().sum();
    let logged = nginx.access_log_once(total);
    let by_path = crate::support::process::counts(&logged);
    assert_eq!(by_path["GET /api/health"], counts["page"]);
    assert_eq!(by_path["GET /api/auth/login"], 3 * counts["page"]);
}
