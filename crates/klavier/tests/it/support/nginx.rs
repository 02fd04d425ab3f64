//! A real nginx on loopback, started as a child process with its configuration, logs
//! and temporary files in a test's directory: an independent HTTP peer whose access
//! log is the ground truth of what Klavier sent.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long nginx may take to listen, and to stop after SIGTERM.
const PATIENCE: Duration = Duration::from_secs(10);
/// Step of the bounded waits.
const POLL: Duration = Duration::from_millis(20);

/// A running nginx; terminated (and reaped) when dropped, also on panic.
pub struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Nginx {
    /// nginx answering `/api/health` and `/api/auth/login` with 200, or `None` if it
    /// is not installed (CI installs it, so there its absence is a failure).
    pub fn start(dir: &Path) -> Option<Self> {
        let Some(binary) = find_nginx() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "nginx is not installed, and CI must run the nginx tests (.ci/run installs it)"
            );
            eprintln!(
                "SKIPPED: nginx not installed (install nginx or nginx-light to run this test)"
            );
            return None;
        };
        // The free port is found by binding port 0 and releasing it; if something takes
        // it before nginx binds, nginx exits and we try another.
        let mut failures = Vec::new();
        for _attempt in 0..3 {
            match Self::try_start(&binary, dir) {
                Ok(nginx) => return Some(nginx),
                Err(why) => failures.push(why),
            }
        }
        panic!("nginx did not start:\n{}", failures.join("\n---\n"));
    }

    fn try_start(binary: &Path, dir: &Path) -> Result<Self, String> {
        let addr = free_port();
        std::fs::write(dir.join("nginx.conf"), config(dir, addr))
            .map_err(|e| format!("writing nginx.conf: {e}"))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning {}: {e}", binary.display()))?;
        let mut nginx = Self {
            child,
            addr,
            dir: dir.to_owned(),
        };
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                return Err(format!("nginx exited with {status}; error.log:\n{log}"));
            }
            if TcpStream::connect_timeout(&addr, POLL).is_ok() {
                return Ok(nginx);
            }
            std::thread::sleep(POLL);
        }
        nginx.stop();
        Err(format!(
            "nginx did not listen on {addr} within {PATIENCE:?}"
        ))
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests in the access log, keyed `"GET /api/health"` (query excluded).
    pub fn access_counts(&self) -> BTreeMap<String, u64> {
        let log = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        let mut counts = BTreeMap::new();
        for line in log.lines() {
            // combined format: 127.0.0.1 - - [date] "GET /api/health HTTP/1.1" 200 2 "-" "UA"
            let request = line.split('"').nth(1).unwrap_or_default();
            let mut parts = request.split(' ');
            let (method, target) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
            let path = target.split('?').next().unwrap_or(target);
            *counts.entry(format!("{method} {path}")).or_default() += 1;
        }
        counts
    }

    /// Waits (bounded) until the access log holds `total` lines: nginx logs a request
    /// just after sending its response, so the last lines may trail the client a little.
    pub fn access_counts_once(&self, total: u64) -> BTreeMap<String, u64> {
        let started = Instant::now();
        loop {
            let counts = self.access_counts();
            if counts.values().sum::<u64>() >= total || started.elapsed() > PATIENCE {
                return counts;
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGTERM (nginx's fast shutdown) by PID, then SIGKILL if it lingers; always reaped.
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(POLL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// nginx's configuration: everything inside `dir`. `master_process off` keeps nginx a
/// single process, so stopping the child by its PID leaves no orphaned worker behind.
fn config(dir: &Path, addr: SocketAddr) -> String {
    let d = dir.display();
    format!(
        r#"worker_processes 1;
master_process off;
error_log {d}/error.log;
pid {d}/nginx.pid;
events {{}}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen {addr};
        location /api/health {{ return 200 "up"; }}
        location /api/auth/login {{ return 200 "ok"; }}
    }}
}}
"#
    )
}

/// A loopback address that was free a moment ago.
fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port 0 binds");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// nginx on `PATH`, or where Debian puts it.
fn find_nginx() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}
