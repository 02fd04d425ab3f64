//! The live dashboard under a real terminal: `klavier run` inside a detached tmux
//! session of a fixed size, read back with `tmux capture-pane`, stopped with `q`
//! through `tmux send-keys`. Needs Debian's tmux (scripts/test installs it); without it
//! the test fails, saying so. The tmux server is this test's own (a socket in its
//! workspace), killed at the end; it never touches another tmux.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{klavier_path, read_result, request, target, uint, Workspace};

/// How long each step may take before the test gives up: a stuck process is what
/// this bounds, not a slow one.
const PATIENCE: Duration = Duration::from_secs(20);

/// Long enough that only `q` ends it within the test's bounds; named `tui` by its file.
const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.browse]
weight = 4
[[scenarios.browse.requests]]
path = "/api/health"
[scenarios.broken]
weight = 1
[[scenarios.broken.requests]]
path = "/status/503"
[timings]
test_duration_seconds = 40
min_scenario_interval_ms = 20
"#;

/// A tmux server of this test's own, killed (with what runs in it) when dropped.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn new(ws: &Workspace) -> Self {
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "tmux is needed to test the live dashboard under a real terminal: install \
             Debian's tmux (scripts/test does: `apt-get install tmux`)"
        );
        Self {
            socket: ws.path("tmux.sock"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// The pane's visible text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    /// Polls the screen until `ready` holds; fails with the last screen after PATIENCE.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The shell line run in the pane: the run, then its exit code and the terminal's
/// modes (to prove raw mode was left) into files, then a pause that keeps the pane
/// (and the restored screen) readable.
fn pane_command(profile: &Path, base_url: &str, json: &Path, ws: &Workspace) -> String {
    format!(
        "env -u NO_COLOR {klavier} run {profile} --base-url {base_url} --users 4 --json {json}; \
         echo $? > {code}; stty -a > {stty}; sleep 60",
        klavier = klavier_path().display(),
        profile = profile.display(),
        json = json.display(),
        code = ws.path("exit-code").display(),
        stty = ws.path("stty").display(),
    )
}

fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return text;
            }
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{} was not written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The figure after `label` on the first screen line holding it, e.g. `users    4`.
fn figure(screen: &str, label: &str) -> u64 {
    let line = screen
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no {label:?} on screen:\n{screen}"));
    let after = &line[line.find(label).expect("found") + label.len()..];
    let digits: String = after
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after {label:?} in {line:?}"))
}

/// `klavier run` of [`PROFILE`] in a new 100×30 tmux session named `tui`; returns the
/// tmux server and the path of the run's JSON result.
fn start(ws: &Workspace, base_url: &str) -> (Tmux, PathBuf) {
    let tmux = Tmux::new(ws);
    let profile = ws.write("tui.toml", PROFILE);
    let json = ws.path("result.json");
    let command = pane_command(&profile, base_url, &json, ws);
    let size = ["-x", "100", "-y", "30"];
    tmux.run(&[&["new-session", "-d", "-s", "tui"][..], &size, &[&command]].concat());
    (tmux, json)
}

/// The terminal modes after the run: raw mode left (line editing, echo, signals back).
fn assert_cooked(ws: &Workspace) {
    let stty = wait_for_file(&ws.path("stty"));
    let modes: Vec<&str> = stty.split([' ', ';', '\n']).collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode),
            "{mode} is off after the run:\n{stty}"
        );
    }
}

#[test]
fn the_dashboard_shows_the_run_and_q_stops_it_with_every_report() {
    let ws = Workspace::new();
    let server = target();
    let (tmux, json) = start(&ws, &server.base_url());
    std::thread::sleep(Duration::from_millis(1500));

    // Headings first, then figures that prove the run is moving: requests counted,
    // the 503s among the failures.
    let screen = tmux.wait_for("the dashboard's headings", |s| s.contains("klavier · tui"));
    for heading in [
        "Load",
        "Latency (last second)",
        "Failures",
        "Throughput",
        "Requests (so far)",
    ] {
        assert!(
            screen.contains(heading),
            "{heading:?} not on screen:\n{screen}"
        );
    }
    assert!(screen.contains("q / Ctrl-C stop"), "no key help:\n{screen}");
    let screen = tmux.wait_for("requests and failures counted", |s| {
        s.contains("/ 40s") && figure(s, "total") > 0 && figure(s, "failed") > 0
    });
    assert_eq!(figure(&screen, "users"), 4, "{screen}");
    assert!(figure(&screen, "rate") > 0, "{screen}");
    for name in ["GET /api/health", "GET /status/503"] {
        assert!(
            screen.contains(name),
            "the row of {name} is missing:\n{screen}"
        );
    }
    let p99 = screen
        .lines()
        .find(|l| l.contains("p99 "))
        .expect("a p99 figure");
    assert!(p99.contains("µs") || p99.contains("ms"), "{p99:?}");

    tmux.run(&["send-keys", "-t", "tui", "q"]);
    let code = wait_for_file(&ws.path("exit-code"));
    assert_eq!(code.trim(), "130", "q stops as Ctrl-C does (exit 130)");

    // Every report is written and complete.
    let result = read_result(&json);
    assert_eq!(result["stop_reason"], "interrupted", "{result:#}");
    assert!(
        uint(request(&result, "GET /api/health"), "count") > 0,
        "{result:#}"
    );
    assert!(
        uint(request(&result, "GET /status/503"), "failures") > 0,
        "{result:#}"
    );
    // The planned 40 s were cut short by the key, not run out.
    assert!(
        result["duration_seconds"].as_f64().expect("duration") < 30.0,
        "{result:#}"
    );

    // The terminal is given back: out of raw mode, the summary on the normal screen.
    assert_cooked(&ws);
    let screen = tmux.wait_for("the summary on the restored screen", |s| {
        !s.contains("Latency (last second)") && s.contains("stopped by SIGINT")
    });
    assert!(!screen.contains("q / Ctrl-C stop"), "{screen}");
    drop(server);
}

#[test]
fn ctrl_c_in_raw_mode_stops_the_run_as_sigint_does() {
    let ws = Workspace::new();
    let server = target();
    let (tmux, json) = start(&ws, &server.base_url());
    tmux.wait_for("requests counted", |s| {
        s.contains("klavier · tui") && figure(s, "total") > 0
    });
    // Raw mode turns Ctrl-C into a key: the dashboard must pass it on as the stop.
    tmux.run(&["send-keys", "-t", "tui", "C-c"]);
    let code = wait_for_file(&ws.path("exit-code"));
    assert_eq!(code.trim(), "130", "Ctrl-C stops with exit 130");
    assert_eq!(read_result(&json)["stop_reason"], "interrupted");
    assert_cooked(&ws);
    drop(server);
}
