//! Proof against servers we did not write: the real `klavier` binary runs for a
//! couple of seconds against nginx, httpbin under gunicorn, Python's HTTP/1.0
//! `http.server` and our own streaming server, and what it reports must agree with
//! each server's own log: the same requests counted, the same statuses, at least the
//! body bytes the server sent, checks on streamed bodies passing, and no failure of
//! any kind (above all no `malformed_response`) where the server was correct.

mod http10;
mod httpbin;
mod nginx;
mod streaming;

use crate::support::process::{self, Logged};
use crate::support::{request_counts, rows, run_profile, tally, uint, Finished, Workspace};

/// Runs `profile` with `users` users for `duration`, with a fixed seed.
pub fn run(ws: &Workspace, profile: &str, users: u32, duration: &str) -> Finished {
    let users = users.to_string();
    run_profile(
        ws,
        profile,
        &["--users", &users, "--duration", duration, "--seed", "8"],
    )
}

/// Asserts that no request failed in any way: no transport failure, no status taken
/// as a failure, no failed check, nothing skipped or cut off. The message lists each
/// row's failures and what Klavier printed on stderr (a panicking user says so there).
pub fn assert_no_failures(run: &Finished, server: &str) {
    let mut problems = Vec::new();
    for (name, row) in rows(&run.result, "requests") {
        let failures = uint(row, "failures");
        let errors = tally(row, "errors");
        let checks = uint(row, "check_failures");
        let (skipped, interrupted) = (uint(row, "skipped"), uint(row, "interrupted"));
        if failures + checks + skipped + interrupted > 0 || !errors.is_empty() {
            problems.push(format!(
                "  {name}: {failures} failures of {} requests, errors {errors:?}, statuses {:?}, \
                 {checks} failed checks {}, {skipped} skipped, {interrupted} interrupted",
                uint(row, "count"),
                tally(row, "status_codes"),
                row["checks"],
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "Klavier reported failures against {server}, which answered correctly:\n{}\n\
         --- klavier's stderr\n{}",
        problems.join("\n"),
        said(&run.stderr)
    );
}

/// Asserts Klavier's per-request counts and statuses equal the server's log, and that
/// each request received at least the body bytes the server logged for it.
pub fn assert_matches_log(run: &Finished, log: &[Logged], server: &str) {
    let reported = request_counts(&run.result);
    // The evidence, for `--nocapture` readers: each request's count on both sides.
    for (name, count) in &reported {
        let logged = log.iter().filter(|entry| entry.key() == *name).count();
        eprintln!("conformance: {server}: {name}: klavier {count}, log {logged}");
    }
    assert_eq!(
        process::counts(log),
        reported,
        "{server}'s log (left) vs Klavier's counts (right)\n--- klavier's stderr\n{}",
        said(&run.stderr)
    );
    let rows = rows(&run.result, "requests");
    for (name, statuses) in process::statuses(log) {
        let row = rows[name.as_str()];
        assert_eq!(
            tally(row, "status_codes"),
            statuses,
            "{name}: Klavier's statuses vs {server}'s"
        );
        let body: u64 = log
            .iter()
            .filter(|entry| entry.key() == name)
            .filter_map(|entry| entry.body_bytes)
            .sum();
        let received = uint(row, "bytes_received");
        assert!(
            received >= body,
            "{name}: Klavier received {received} bytes, less than the {body} body bytes \
             {server} sent"
        );
    }
}

/// Total requests Klavier counted: how many lines to wait for in a server's log.
pub fn total(run: &Finished) -> usize {
    let total: u64 = request_counts(&run.result).values().sum();
    usize::try_from(total).expect("a count fits in memory")
}

/// Asserts Klavier saw each of `names` at least once, so a run that sent nothing for
/// one of them cannot pass by agreeing with an empty log.
pub fn assert_sent(run: &Finished, names: &[String]) {
    let counts = request_counts(&run.result);
    for name in names {
        assert!(
            counts.get(name).is_some_and(|&n| n > 0),
            "{name} was never answered; counts {counts:?}\n--- klavier's stderr\n{}",
            said(&run.stderr)
        );
    }
}

/// What Klavier said on stderr, for a failure message: each panic (its first two
/// lines, how often) when a user panicked, else the last 2,000 bytes.
fn said(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut panics: Vec<(String, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("panicked at") {
            let message = lines.get(i + 1).copied().unwrap_or_default();
            let panic = format!("{line}\n    {message}");
            match panics.iter_mut().find(|(p, _)| *p == panic) {
                Some((_, n)) => *n += 1,
                None => panics.push((panic, 1)),
            }
        }
    }
    if panics.is_empty() {
        let mut start = stderr.len().saturating_sub(2000);
        while !stderr.is_char_boundary(start) {
            start += 1;
        }
        return stderr[start..].to_owned();
    }
    panics
        .iter()
        .map(|(panic, n)| format!("{n} × {panic}"))
        .collect::<Vec<_>>()
        .join("\n")
}
