//! The bad-input corpus: `tests/bad_input/cases/*.toml`, each a profile (or a valid
//! one used with bad flags) whose first comment lines say what must happen:
//!
//! ```text
//! # exit: 2                         the exit code
//! # expect: did you mean GET?       a fragment of the output (repeatable; all required)
//! # args: check {profile} --users 0 the command line (default `check {profile}`);
//! #                                 {profile} is the case file, {dir} the corpus copy
//! # generate: many-scenarios        appended at run time: many-scenarios, deep-nesting, huge
//! # symlink-loop: A B               creates A -> B -> A (relative to the corpus copy)
//! ```
//!
//! The corpus is copied into a temporary directory first, so generated files and
//! symbolic links never touch the repository. Every case runs; the test fails once,
//! listing every case that did not behave.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{klavier, repo_file, Workspace};

/// One case's expectations, read from its header.
#[derive(Debug, Default)]
struct Expectation {
    exit: Option<i32>,
    fragments: Vec<String>,
    args: Option<String>,
    generate: Option<String>,
    symlink_loop: Option<(String, String)>,
}

/// Reads the `# key: value` lines at the top of a case (after a BOM, with CRLF or LF).
fn expectation(bytes: &[u8]) -> Expectation {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes));
    let mut expected = Expectation::default();
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(": ")) else {
            break;
        };
        match key {
            "exit" => expected.exit = value.parse().ok(),
            "expect" => expected.fragments.push(value.to_owned()),
            "args" => expected.args = Some(value.to_owned()),
            "generate" => expected.generate = Some(value.to_owned()),
            "symlink-loop" => {
                let (a, b) = value.split_once(' ').expect("symlink-loop: A B");
                expected.symlink_loop = Some((a.to_owned(), b.to_owned()));
            }
            other => panic!("unknown corpus header {other:?}"),
        }
    }
    expected
}

/// What a `# generate:` line appends to its case.
fn generated(kind: &str) -> Vec<u8> {
    match kind {
        "many-scenarios" => {
            let mut text = String::new();
            for i in 0..10_000 {
                text.push_str(&format!(
                    "[scenarios.s{i}]\n[[scenarios.s{i}.requests]]\npath = \"/{i}\"\n"
                ));
            }
            text.push_str("[timings]\ntest_duration_seconds = 5\n");
            text.into_bytes()
        }
        "deep-nesting" => {
            format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()
        }
        // 17 MiB of comments: past the 16 MiB bound on a profile.
        "huge" => "# padding padding padding padding padding padding padding pad\n"
            .repeat(17 * 1024 * 1024 / 64)
            .into_bytes(),
        other => panic!("unknown generator {other:?}"),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("the workspace is writable");
    for entry in fs::read_dir(from).expect("the corpus is readable") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("a corpus file copies");
        }
    }
}

/// Runs one case; `None` if it behaved, else what went wrong.
fn run_case(dir: &Path, case: &Path) -> Option<String> {
    let bytes = fs::read(case).expect("a case is readable");
    let expected = expectation(&bytes);
    if let Some(kind) = &expected.generate {
        let mut grown = bytes.clone();
        grown.extend(generated(kind));
        fs::write(case, grown).expect("the workspace is writable");
    }
    if let Some((a, b)) = &expected.symlink_loop {
        std::os::unix::fs::symlink(dir.join(b), dir.join(a)).expect("a symlink");
        std::os::unix::fs::symlink(dir.join(a), dir.join(b)).expect("a symlink");
    }
    let args = expected.args.as_deref().unwrap_or("check {profile}");
    let args: Vec<String> = args
        .split_whitespace()
        .map(|a| {
            a.replace("{profile}", &case.display().to_string())
                .replace("{dir}", &dir.display().to_string())
        })
        .collect();
    let output = klavier()
        .args(&args)
        .env_remove("KLAVIER_CORPUS_SURELY_UNSET")
        .current_dir(dir)
        .output()
        .expect("klavier starts");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut wrong = Vec::new();
    if output.status.code() != expected.exit {
        wrong.push(format!(
            "exit {:?}, expected {:?}",
            output.status.code(),
            expected.exit
        ));
    }
    for fragment in &expected.fragments {
        if !said.contains(fragment.as_str()) {
            wrong.push(format!("no {fragment:?}"));
        }
    }
    if said.contains("panicked") {
        wrong.push("a panic".into());
    }
    let name = case.file_name().unwrap_or_default().to_string_lossy();
    (!wrong.is_empty()).then(|| format!("{name}: {}\n{said}", wrong.join(", ")))
}

#[test]
fn every_case_of_the_bad_input_corpus_exits_and_says_what_its_file_expects() {
    let ws = Workspace::new();
    let dir = ws.path("bad_input");
    copy_dir(&repo_file("crates/klavier/tests/bad_input"), &dir);
    let mut cases: Vec<PathBuf> = fs::read_dir(dir.join("cases"))
        .expect("the corpus has cases")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let failed: Vec<String> = cases.iter().filter_map(|c| run_case(&dir, c)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases misbehaved:\n\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
