//! `docs/cookbook.md` runs: every file it shows (a fenced block after a
//! `<!-- file: NAME -->` marker) is written out, every profile among them passes
//! `klavier check` and runs for 4 s (1 s of warm-up) against the built-in target without a failure, and
//! the capacity recipe's search runs against a target of known capacity. A TOML block
//! without a marker fails the test, so no recipe escapes it.

use std::path::PathBuf;

use serde_json::Value;

use crate::search::capacity_target;
use crate::support::{klavier, read_result, repo_file, target, uint, Workspace};

/// The files the cookbook shows: (name, content), in page order.
fn cookbook_files() -> Vec<(String, String)> {
    let path = repo_file("docs/cookbook.md");
    let page = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut files = Vec::new();
    let mut lines = page.lines().enumerate().peekable();
    let mut pending: Option<String> = None;
    while let Some((number, line)) = lines.next() {
        if let Some(name) = line
            .strip_prefix("<!-- file: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            pending = Some(name.to_owned());
            continue;
        }
        let Some(language) = line.strip_prefix("```").filter(|l| !l.is_empty()) else {
            continue;
        };
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner == "```" {
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        match pending.take() {
            Some(name) => files.push((name, body)),
            None => assert!(
                language != "toml",
                "docs/cookbook.md:{}: a TOML block without a `<!-- file: NAME -->` marker \
                 above it would not be tested",
                number + 1
            ),
        }
    }
    files
}

/// Writes every file of the cookbook into `ws`; returns the profiles' paths.
fn write_files(ws: &Workspace) -> Vec<PathBuf> {
    let files = cookbook_files();
    assert!(files.len() >= 5, "the cookbook lost its recipes: {files:?}");
    files
        .into_iter()
        .filter_map(|(name, content)| {
            let path = ws.write(&name, content);
            name.ends_with(".toml").then_some(path)
        })
        .collect()
}

#[test]
fn every_cookbook_profile_checks_and_runs_against_the_built_in_target() {
    let ws = Workspace::new();
    let server = target();
    for profile in write_files(&ws) {
        let name = profile
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let check = klavier()
            .arg("check")
            .arg(&profile)
            .output()
            .expect("starts");
        assert!(
            check.status.success(),
            "{name} fails check:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let json = ws.path(&format!("{name}.json"));
        let run = klavier()
            .arg("run")
            .arg(&profile)
            .args([
                "--base-url",
                &server.base_url(),
                "--duration",
                "4s",
                "--warmup",
                "1s",
                "--quiet",
            ])
            .arg("--json")
            .arg(&json)
            .output()
            .expect("starts");
        assert_eq!(
            run.status.code(),
            Some(0),
            "{name} did not run cleanly:\n{}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let result = read_result(&json);
        assert!(uint(&result["totals"], "count") > 0, "{name} sent nothing");
        assert_eq!(
            uint(&result["failures"], "count"),
            0,
            "{name} had failures: {}",
            result["failures"]
        );
    }
}

#[test]
fn the_capacity_recipe_searches_a_target_of_known_capacity() {
    let ws = Workspace::new();
    write_files(&ws);
    let server = capacity_target(&ws, "4", "5ms");
    let json = ws.path("search.json");
    let output = klavier()
        .arg("search")
        .arg(ws.path("capacity.toml"))
        .args(["--base-url", &server.base_url()])
        .args(["--slo", "p99 < 50ms", "--slo", "error_rate < 1%"])
        .args(["--from", "50/s", "--max", "200/s", "--step-duration", "1s"])
        .args([
            "--warmup",
            "0s",
            "--cooldown",
            "200ms",
            "--threads",
            "1",
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("JSON");
    // 50, 100 and 200/s are far below the 800/s this target serves.
    assert_eq!(document["outcome"]["kind"], "at_least_max", "{stderr}");
}
