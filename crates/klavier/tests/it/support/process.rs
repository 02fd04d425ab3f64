//! A server we did not write, run as a child process on a loopback port: started with
//! its files in a test's directory, waited for until it listens, stopped by its PID
//! (SIGTERM, then SIGKILL) and reaped when dropped, also when the test panics. And what
//! the logs of such servers have in common: one line per answered request, with the
//! request line in quotes, then the status and a byte count.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;

/// How long a server may take to listen, to stop after SIGTERM, or to write its
/// last log lines.
pub const PATIENCE: Duration = Duration::from_secs(15);
/// Step of the bounded waits.
const POLL: Duration = Duration::from_millis(20);
/// Ports tried: a port found free may be taken by someone else before the server binds it.
const ATTEMPTS: usize = 3;

/// A running server process; stopped and reaped when dropped.
pub struct ServerProcess {
    name: String,
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Runs the command `command` builds for a free loopback address, with its stdout
    /// and stderr appended to `output`, and waits until the address accepts
    /// connections. Panics with `output`'s contents if it exits or never listens.
    pub fn start(
        name: &str,
        output: &Path,
        mut command: impl FnMut(SocketAddr) -> Command,
    ) -> Self {
        let mut failures = Vec::new();
        for _attempt in 0..ATTEMPTS {
            let addr = free_port();
            let mut cmd = command(addr);
            match Self::spawn(name, &mut cmd, addr, output) {
                Ok(server) => return server,
                Err(why) => failures.push(why),
            }
        }
        panic!(
            "{name} did not start (output in {}):\n{}",
            output.display(),
            failures.join("\n---\n")
        );
    }

    fn spawn(
        name: &str,
        cmd: &mut Command,
        addr: SocketAddr,
        output: &Path,
    ) -> Result<Self, String> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(output)
            .map_err(|e| format!("opening {}: {e}", output.display()))?;
        let err = log.try_clone().map_err(|e| format!("{e}"))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawning {cmd:?}: {e}"))?;
        let mut server = Self {
            name: name.to_owned(),
            child,
            addr,
        };
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(Some(status)) = server.child.try_wait() {
                let said = std::fs::read_to_string(output).unwrap_or_default();
                return Err(format!("{name} exited with {status}:\n{said}"));
            }
            if TcpStream::connect_timeout(&addr, POLL).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(POLL);
        }
        server.stop();
        Err(format!(
            "{name} did not listen on {addr} within {PATIENCE:?}"
        ))
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM by PID (the servers here stop their own workers on it), then SIGKILL
    /// if it lingers; always reaped.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if poll_until(PATIENCE, || self.child.try_wait().ok().flatten()).is_none() {
            eprintln!("{} ignored SIGTERM; killing it", self.name);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback address that was free a moment ago.
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port 0 binds");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// Calls `probe` every few milliseconds until it returns something or `patience` ends.
pub fn poll_until<T>(patience: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if started.elapsed() > patience {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// `program` on `PATH` or in one of `also_in`.
pub fn find_program(program: &str, also_in: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(also_in.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Fails the test because `what` is not installed: a test that cannot find its server
/// never passes silently.
pub fn missing(what: &str, how_to_install: &str) -> ! {
    panic!(
        "{what} is not installed, so this test cannot run. `scripts/test` installs \
         everything the tests need; or by hand: {how_to_install}"
    )
}

/// One request as a server logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    /// The request target as sent: path and query.
    pub target: String,
    /// The protocol of the request line (`HTTP/1.1`, `HTTP/2.0`), where it has one.
    pub protocol: Option<String>,
    pub status: u16,
    /// Body bytes as the server counts them (`None` for `-`).
    pub body_bytes: Option<u64>,
    /// The whole response (head, body and framing), where the server logs it.
    pub wire_bytes: Option<u64>,
}

impl Logged {
    /// `"GET /stream/20"`: how Klavier names a request whose path is written so.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.target)
    }
}

/// Every line of `log` that looks like `… "METHOD TARGET PROTOCOL" STATUS BYTES [WIRE]`
/// (nginx, gunicorn and http.server are all told or made to log so); other lines are
/// left out.
pub fn parse_log(log: &str) -> Vec<Logged> {
    static LINE: OnceLock<Regex> = OnceLock::new();
    let line = LINE.get_or_init(|| {
        Regex::new(r#""(\S+) (\S+)(?: (\S+))?[^"]*" (\d{3}) (\d+|-)(?: (\d+))?"#)
            .expect("a valid regex")
    });
    log.lines()
        .filter_map(|text| line.captures(text))
        .map(|c| Logged {
            method: c[1].to_owned(),
            target: c[2].to_owned(),
            protocol: c.get(3).map(|m| m.as_str().to_owned()),
            status: c[4].parse().expect("three digits"),
            body_bytes: c[5].parse().ok(),
            wire_bytes: c.get(6).and_then(|m| m.as_str().parse().ok()),
        })
        .collect()
}

/// The entries of the log file `path`, waiting (bounded) until there are at least
/// `total`: servers log a request just after answering it, so the last lines may
/// trail the client a little.
pub fn read_log_once(path: &Path, total: usize) -> Vec<Logged> {
    let read = || parse_log(&std::fs::read_to_string(path).unwrap_or_default());
    poll_until(PATIENCE, || {
        Some(read()).filter(|entries| entries.len() >= total)
    })
    .unwrap_or_else(read)
}

/// Requests per key (`"GET /stream/20"`), comparable with Klavier's `request_counts`.
pub fn counts(entries: &[Logged]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for entry in entries {
        *counts.entry(entry.key()).or_default() += 1;
    }
    counts
}

/// Status codes per key, as the JSON result's `status_codes` spells them.
pub fn statuses(entries: &[Logged]) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut statuses: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for entry in entries {
        *statuses
            .entry(entry.key())
            .or_default()
            .entry(entry.status.to_string())
            .or_default() += 1;
    }
    statuses
}
