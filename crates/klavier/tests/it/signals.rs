//! Ctrl-C (SIGINT) and SIGTERM end a run early the way the end of its duration does:
//! requests in flight finish, the summary and the JSON file are written, exit code 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{klavier_path, read_result, request, request_counts, target, uint, Workspace};

/// How long each step may take before the test gives up: generous, since a stuck
/// process is what these bounds catch, not a slow one.
const PATIENCE: Duration = Duration::from_secs(20);

const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.health_check]
weight = 5
[[scenarios.health_check.requests]]
path = "/api/health"
[scenarios.slow]
weight = 1
[[scenarios.slow.requests]]
path = "/delay/100"
[timings]
test_duration_seconds = 60
min_scenario_interval_ms = 20
"#;

/// A child process killed (and reaped) if the test ends before it does.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A `klavier run` of `profile` against `base_url` with 4 users, its live progress
/// on a channel; killed if the test ends first.
struct Running {
    child: ChildGuard,
    progress: mpsc::Receiver<String>,
}

impl Running {
    fn start(ws: &Workspace, profile: &str, base_url: &str) -> Self {
        let profile = ws.write("profile.toml", profile);
        let child = Command::new(klavier_path())
            .arg("run")
            .arg(&profile)
            .args(["--base-url", base_url, "--users", "4", "--json"])
            .arg(ws.path("result.json"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("klavier starts");
        let mut child = ChildGuard(child);
        let progress = progress_lines(&mut child.0);
        Self { child, progress }
    }

    /// Waits for the next line of live progress (one a second): proof that the run,
    /// and its signal handling, are under way, without guessing with a sleep.
    fn next_progress(&self) -> String {
        let line = self
            .progress
            .recv_timeout(PATIENCE)
            .expect("a progress line within 20 s");
        assert!(line.starts_with('['), "unexpected line on stderr: {line:?}");
        line
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Waits (bounded) for the exit; returns the exit code and stdout.
    fn finish(mut self, after: &str) -> (Option<i32>, String) {
        let child = &mut self.child.0;
        let status = wait_bounded(child, PATIENCE)
            .unwrap_or_else(|| panic!("klavier still running {PATIENCE:?} after {after}"));
        let stdout = std::io::read_to_string(child.stdout.take().expect("stdout is piped"))
            .expect("stdout is readable");
        (status.code(), stdout)
    }
}

/// Starts a 60 s run, waits until it reports progress, sends `signal` and checks the
/// run stopped gracefully with everything accounted for.
fn stops_gracefully_on(signal: &str) {
    let ws = Workspace::new();
    let server = target();
    let run = Running::start(&ws, PROFILE, &server.base_url());
    run.next_progress();
    run.signal(signal);
    let (code, stdout) = run.finish(&format!("SIG{signal}"));

    assert_eq!(code, Some(0), "after SIG{signal}:\n{stdout}");
    let result = read_result(&ws.path("result.json"));
    assert_eq!(result["stop_reason"], "interrupted", "after SIG{signal}");
    // Stopped long before the planned minute, with every request accounted for.
    let duration = result["duration_seconds"].as_f64().expect("a number");
    assert!(duration < 30.0, "ran for {duration} s");
    assert_eq!(
        request_counts(&result),
        server.counts(),
        "after SIG{signal}"
    );
    for name in ["GET /api/health", "GET /delay/100"] {
        assert_eq!(uint(request(&result, name), "interrupted"), 0, "{name}");
    }
    assert!(
        stdout.contains("GET /api/health"),
        "the summary is printed:\n{stdout}"
    );
}

/// Forwards stderr lines (live progress) to a channel, from a thread of its own.
fn progress_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The child's exit status, or `None` if it is still running after `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn sigint_stops_the_run_gracefully_and_writes_the_reports() {
    stops_gracefully_on("INT");
}

#[test]
fn sigterm_stops_the_run_gracefully_and_writes_the_reports() {
    stops_gracefully_on("TERM");
}

#[test]
fn a_second_sigint_cuts_off_requests_in_flight_and_still_reports() {
    // Every request takes 5 s and the graceful stop would wait 30 s for them: only the
    // second Ctrl-C can end this run promptly.
    let profile = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.slow]
[[scenarios.slow.requests]]
path = "/delay/5000"
[timings]
test_duration_seconds = 60
graceful_stop = "30s"
"#;
    let ws = Workspace::new();
    let server = target();
    let run = Running::start(&ws, profile, &server.base_url());
    run.next_progress();
    run.signal("INT");
    // One more second of progress: the first Ctrl-C has been taken (two signals that
    // arrive together could be seen as one).
    run.next_progress();
    run.signal("INT");
    let (code, stdout) = run.finish("a second SIGINT");

    assert_eq!(code, Some(0), "{stdout}");
    let result = read_result(&ws.path("result.json"));
    assert_eq!(result["stop_reason"], "interrupted");
    let row = request(&result, "GET /delay/5000");
    let (count, interrupted) = (uint(row, "count"), uint(row, "interrupted"));
    // The requests in flight were cut off and counted as such, neither completed nor failed.
    assert!(interrupted >= 1, "{row}");
    assert_eq!(uint(row, "failures"), 0, "{row}");
    assert_eq!(
        count + interrupted,
        server.counts()["GET /delay/5000"],
        "{row}"
    );
    assert!(
        stdout.contains("GET /delay/5000"),
        "the summary is printed:\n{stdout}"
    );
}
