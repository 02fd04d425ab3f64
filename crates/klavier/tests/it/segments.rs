//! `--segment I/N`: each segment runs exactly its users and its share of `unique` rows,
//! and records what `klavier merge` needs (segment, plan digest).

use std::collections::BTreeMap;

use crate::support::{klavier, run_profile, target, uint, Workspace};

/// Three users in all; each iteration takes the next row of a `unique` feeder of 12
/// rows and GETs `/bytes/ROW`, so the target's counts say which rows a segment took.
const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"
[data.rows]
file = "rows.csv"
strategy = "unique"
[scenarios.fetch]
[[scenarios.fetch.requests]]
path = "/bytes/{{ rows.n }}"
[timings]
test_duration_seconds = 30
"#;

/// What the target saw since `before`.
fn delta(before: &BTreeMap<String, u64>, after: BTreeMap<String, u64>) -> Vec<String> {
    let mut seen: Vec<String> = after
        .into_iter()
        .filter(|(key, n)| before.get(key) != Some(n))
        .map(|(key, _)| key)
        .collect();
    seen.sort();
    seen
}

#[test]
fn each_segment_runs_its_users_and_takes_its_own_unique_rows() {
    let ws = Workspace::new();
    let rows: String = (1..=12).map(|n| format!("{n}\n")).collect();
    ws.write("rows.csv", format!("n\n{rows}"));
    let server = target();
    let url = server.base_url();
    let mut digests = Vec::new();
    let mut taken = Vec::new();
    for index in 0..3 {
        let before = server.counts();
        let segment = format!("{index}/3");
        let run = run_profile(
            &ws,
            PROFILE,
            &[
                "--base-url",
                &url,
                "--users",
                "3",
                "--seed",
                "9",
                "--segment",
                &segment,
            ],
        );
        let seen = delta(&before, server.counts());
        // Rows r (0-based) with r mod 3 == index hold the values r + 1.
        let mut expected: Vec<String> = (0..12)
            .filter(|r| r % 3 == index)
            .map(|r| format!("GET /bytes/{}", r + 1))
            .collect();
        expected.sort();
        assert_eq!(seen, expected, "segment {segment} took other rows");
        assert_eq!(run.result["segment"]["index"], index);
        assert_eq!(run.result["segment"]["count"], 3);
        assert_eq!(
            uint(&run.result, "users"),
            1,
            "one user of three per segment"
        );
        assert_eq!(uint(&run.result["totals"], "count"), 4);
        digests.push(
            run.result["plan_digest"]
                .as_str()
                .expect("a digest")
                .to_owned(),
        );
        taken.extend(seen);
    }
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 12, "the segments together took every row once");
    assert!(
        digests.iter().all(|d| d == &digests[0]),
        "segments of one run share the plan digest: {digests:?}"
    );
}

#[test]
fn a_whole_run_records_its_digest_and_no_segment() {
    let ws = Workspace::new();
    ws.write("rows.csv", "n\n1\n2\n");
    let server = target();
    let url = server.base_url();
    let run = run_profile(
        &ws,
        PROFILE,
        &["--base-url", &url, "--users", "1", "--seed", "9"],
    );
    assert!(run.result.get("segment").is_none(), "{}", run.result);
    let digest = run.result["plan_digest"].as_str().expect("a digest");
    assert!(digest.starts_with("sha256:"), "{digest}");
}

#[test]
fn auto_segments_need_the_job_completion_index() {
    let ws = Workspace::new();
    ws.write("rows.csv", "n\n1\n");
    let profile = ws.write("profile.toml", PROFILE);
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--segment", "auto/4", "--quiet"])
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("JOB_COMPLETION_INDEX") && stderr.contains("--segment 0/4"),
        "{stderr}"
    );
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--segment", "4/4", "--quiet"])
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("numbered 0 to 3"), "{stderr}");
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--segment", "3/4", "--users", "3", "--quiet"])
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("segment 3/4 has no users"), "{stderr}");
}
