//! Ctrl-C (SIGINT) and SIGTERM end a run early the way the end of its duration does:
//! requests in flight finish, the summary and the JSON file are written, and the exit
//! code says the run was cut short: 130 after SIGINT, 143 after SIGTERM. Real signals,
//! sent to the real binary: at 0.2 s, mid-run and during the graceful stop. Output
//! paths are checked before the first request, and a FIFO nobody reads does not hold
//! the process past a signal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{
    klavier, klavier_path, read_result, request, request_counts, target, uint, Workspace,
};

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
        Self::start_writing(ws, profile, base_url, &ws.path("result.json"))
    }

    /// As [`Running::start`], the JSON result going to `json`.
    fn start_writing(ws: &Workspace, profile: &str, base_url: &str, json: &Path) -> Self {
        let profile = ws.write("profile.toml", profile);
        let child = Command::new(klavier_path())
            .arg("run")
            .arg(&profile)
            .args(["--base-url", base_url, "--users", "4", "--json"])
            .arg(json)
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

    /// Waits for a line on stderr containing `fragment`, skipping progress lines.
    fn wait_for_line(&self, fragment: &str) -> String {
        loop {
            let line = self
                .progress
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no line with {fragment:?} within {PATIENCE:?}"));
            if line.contains(fragment) {
                return line;
            }
        }
    }

    /// Waits (bounded) until the process catches SIGINT, as /proc/PID/status says.
    fn wait_until_catching_sigint(&self) {
        let status = format!("/proc/{}/status", self.child.0.id());
        let catching = || {
            let text = std::fs::read_to_string(&status).ok()?;
            let mask = text.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            let mask = u64::from_str_radix(mask.trim(), 16).ok()?;
            (mask & (1 << (2 - 1)) != 0).then_some(())
        };
        let started = Instant::now();
        while catching().is_none() {
            assert!(started.elapsed() < PATIENCE, "klavier never caught SIGINT");
            std::thread::sleep(Duration::from_millis(5));
        }
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

/// The exit code of a run stopped by `signal`: 128 + its number.
fn exit_code_of(signal: &str) -> i32 {
    match signal {
        "INT" => 130,
        "TERM" => 143,
        other => panic!("no exit code for SIG{other}"),
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

    assert_eq!(
        code,
        Some(exit_code_of(signal)),
        "after SIG{signal}:\n{stdout}"
    );
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

    assert_eq!(code, Some(130), "{stdout}");
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

#[test]
fn a_signal_at_0_2_s_still_ends_in_a_stopped_run_with_every_report() {
    // Early enough to land while the profile loads or the users connect: the signal is
    // counted from the start, never fatal, and the run stops as soon as it begins.
    let ws = Workspace::new();
    let server = target();
    let run = Running::start(&ws, PROFILE, &server.base_url());
    std::thread::sleep(Duration::from_millis(200));
    // On a loaded machine the process may not have got that far: it catches SIGINT from
    // its first steps on, and the test waits for that (bit 2 of SigCgt), not a guess.
    run.wait_until_catching_sigint();
    run.signal("INT");
    let (code, stdout) = run.finish("SIGINT at 0.2 s");

    assert_eq!(code, Some(130), "{stdout}");
    let result = read_result(&ws.path("result.json"));
    assert_eq!(result["stop_reason"], "interrupted");
    assert!(result["duration_seconds"].as_f64().expect("a number") < 30.0);
    assert_eq!(request_counts(&result), server.counts());
    assert!(stdout.contains("GET /api/health"), "{stdout}");
}

#[test]
fn sigterm_then_sigint_during_the_graceful_stop_exits_as_the_first_signal_says() {
    // Requests take 5 s and the graceful stop would wait 30 s: the SIGINT lands while
    // the run is stopping, cuts it short, and the exit code still follows the SIGTERM.
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
    run.signal("TERM");
    run.next_progress();
    run.signal("INT");
    let (code, stdout) = run.finish("SIGTERM then SIGINT");

    assert_eq!(code, Some(143), "{stdout}");
    let result = read_result(&ws.path("result.json"));
    assert_eq!(result["stop_reason"], "interrupted");
    let row = request(&result, "GET /delay/5000");
    assert_eq!(
        uint(row, "count") + uint(row, "interrupted"),
        server.counts()["GET /delay/5000"],
        "{row}"
    );
}

#[test]
fn an_output_path_that_cannot_be_written_is_refused_before_the_first_request() {
    let ws = Workspace::new();
    let server = target();
    let profile = ws.write("profile.toml", PROFILE);
    for (json, why) in [
        (ws.path("no/such/dir/result.json"), "does not exist"),
        (ws.dir().to_owned(), "is a directory"),
    ] {
        let output = klavier()
            .arg("run")
            .arg(&profile)
            .args(["--base-url", &server.base_url(), "--quiet", "--json"])
            .arg(&json)
            .output()
            .expect("klavier starts");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&json.display().to_string()) && stderr.contains(why),
            "{stderr}"
        );
    }
    assert!(server.counts().is_empty(), "{:?}", server.counts());
}

#[test]
fn a_fifo_nobody_reads_does_not_hold_the_process_past_a_signal() {
    let ws = Workspace::new();
    let server = target();
    let fifo = ws.path("result.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let profile = PROFILE.replace("test_duration_seconds = 60", "test_duration_seconds = 1");
    let run = Running::start_writing(&ws, &profile, &server.base_url(), &fifo);
    // The run ends by itself, then waits for a reader that never comes.
    run.wait_for_line("waiting for a reader");
    run.signal("TERM");
    let (code, stdout) = run.finish("SIGTERM while waiting on a FIFO");

    assert_eq!(code, Some(143), "{stdout}");
    assert!(
        stdout.contains("GET /api/health"),
        "the summary is still printed:\n{stdout}"
    );
}
