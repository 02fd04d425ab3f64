//! Servers written in Python that we did not write: httpbin under gunicorn, from the
//! project's virtualenv (`scripts/test` makes it with pinned versions), and Python's own
//! `http.server` speaking HTTP/1.0. Each logs one line per answered request, the ground
//! truth the conformance tests compare Klavier's counts with.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::{self, Logged, ServerProcess};
use super::repo_root;

/// Where the tests look for the virtualenv: this variable, else `.venv` in the repository.
pub const VENV_VAR: &str = "KLAVIER_TEST_VENV";

/// How to get what these servers need.
const INSTALL: &str =
    "python3 -m venv .venv && .venv/bin/pip install -r scripts/test-requirements.txt \
                       (then point KLAVIER_TEST_VENV at it if it is elsewhere)";

/// The virtualenv holding httpbin and gunicorn.
pub fn venv() -> PathBuf {
    std::env::var_os(VENV_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"))
}

/// The virtualenv's Python, failing the test (with how to make it) if there is none.
fn venv_python() -> PathBuf {
    let python = venv().join("bin/python");
    if !python.is_file() {
        process::missing(
            &format!("the test virtualenv ({})", python.display()),
            INSTALL,
        );
    }
    python
}

/// How gunicorn runs httpbin.
#[derive(Debug, Clone, Copy)]
pub enum Worker {
    /// `sync` workers: one request per connection, every response `Connection: close`.
    Sync,
    /// `gthread` workers with this many threads: keep-alive connections.
    Threads(u32),
}

/// httpbin under gunicorn; stopped (gunicorn stops its workers on SIGTERM) when dropped.
pub struct Httpbin {
    server: ServerProcess,
    access_log: PathBuf,
}

impl Httpbin {
    pub fn start(dir: &Path, worker: Worker) -> Self {
        let python = venv_python();
        let importable = |module: &str| {
            Command::new(&python)
                .args(["-c", &format!("import {module}")])
                .output()
                .is_ok_and(|out| out.status.success())
        };
        for module in ["gunicorn", "httpbin"] {
            if !importable(module) {
                process::missing(&format!("{module} (in the test virtualenv)"), INSTALL);
            }
        }
        let access_log = dir.join("gunicorn-access.log");
        let server = ServerProcess::start("gunicorn", &dir.join("gunicorn.out"), |addr| {
            let mut cmd = Command::new(&python);
            cmd.args(["-m", "gunicorn", "--bind", &addr.to_string()])
                .args(["--workers", "2", "--graceful-timeout", "2"])
                .arg("--access-logfile")
                .arg(&access_log)
                // The request line, status and body length (%(B)s: without chunk framing).
                .args(["--access-logformat", r#""%(r)s" %(s)s %(B)s"#]);
            match worker {
                Worker::Sync => cmd.args(["--worker-class", "sync"]),
                Worker::Threads(n) => cmd
                    .args(["--worker-class", "gthread", "--threads"])
                    .arg(n.to_string()),
            };
            cmd.arg("httpbin:app");
            cmd
        });
        Self { server, access_log }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// gunicorn's access log, once it holds at least `total` lines (bounded wait).
    pub fn access_log_once(&self, total: usize) -> Vec<Logged> {
        process::read_log_once(&self.access_log, total)
    }
}

/// Python's `http.server` running `support/http10_server.py`: HTTP/1.0, a new
/// connection per request, bodies delimited by closing the connection.
pub struct Http10Server {
    server: ServerProcess,
    log: PathBuf,
}

impl Http10Server {
    /// Serves `dir/www` (static files, with `Content-Length`) and `/text/N` (N bytes,
    /// without it). Any Python 3 will do: the virtualenv's, else `python3`.
    pub fn start(dir: &Path) -> Self {
        let python = Some(venv().join("bin/python"))
            .filter(|p| p.is_file())
            .or_else(|| process::find_program("python3", &[]))
            .unwrap_or_else(|| process::missing("python3", "apt-get install python3"));
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/http10_server.py");
        let www = dir.join("www");
        std::fs::create_dir_all(&www).expect("the workspace is writable");
        // Its log goes to stderr, as http.server's does.
        let log = dir.join("http10.log");
        let server = ServerProcess::start("http.server", &log, |addr| {
            let mut cmd = Command::new(&python);
            cmd.arg(&script).arg(addr.port().to_string()).arg(&www);
            cmd
        });
        Self { server, log }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Where static files are served from.
    pub fn root(&self) -> PathBuf {
        self.log.with_file_name("www")
    }

    /// Its log (stderr), once it holds at least `total` requests (bounded wait).
    pub fn log_once(&self, total: usize) -> Vec<Logged> {
        process::read_log_once(&self.log, total)
    }
}
