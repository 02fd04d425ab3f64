//! Debian's tinyproxy on loopback: a real HTTP proxy that forwards plain requests and
//! opens CONNECT tunnels, requires Basic credentials, and logs what went through it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::{self, ServerProcess};

/// The credentials the proxy requires.
pub const USER: &str = "klavier";
/// Its password.
pub const PASSWORD: &str = "s3cretpw";

/// A running tinyproxy; stopped when dropped.
pub struct Tinyproxy {
    server: ServerProcess,
    log: PathBuf,
}

impl Tinyproxy {
    pub fn start(dir: &Path) -> Self {
        let binary =
            process::find_program("tinyproxy", &["/usr/bin", "/usr/sbin"]).unwrap_or_else(|| {
                process::missing("tinyproxy", "apt-get install tinyproxy (Debian's package)")
            });
        let log = dir.join("tinyproxy.log");
        let conf = dir.join("tinyproxy.conf");
        let output = dir.join("tinyproxy.out");
        let server = ServerProcess::start("tinyproxy", &output, |addr| {
            let config = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 200\n\
                 LogFile \"{log}\"\nLogLevel Info\nAllow 127.0.0.1\n\
                 BasicAuth {USER} {PASSWORD}\nDisableViaHeader Yes\n",
                port = addr.port(),
                log = log.display(),
            );
            std::fs::write(&conf, config).expect("the workspace is writable");
            let mut cmd = Command::new(&binary);
            cmd.arg("-d").arg("-c").arg(&conf);
            cmd
        });
        Self { server, log }
    }

    /// `http://user:password@127.0.0.1:PORT`.
    pub fn url_with_credentials(&self) -> String {
        let addr = self
            .server
            .base_url()
            .trim_start_matches("http://")
            .to_owned();
        format!("http://{USER}:{PASSWORD}@{addr}")
    }

    /// `http://127.0.0.1:PORT`, without credentials.
    pub fn url(&self) -> String {
        self.server.base_url()
    }

    /// Requests the proxy logged, as their request lines (e.g. `GET
    /// http://127.0.0.1:1234/api/health HTTP/1.1`, `CONNECT 127.0.0.1:1234 HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter_map(|line| line.split_once("Request (file descriptor ").map(|(_, r)| r))
            .filter_map(|rest| {
                rest.split_once("): ")
                    .map(|(_, request)| request.to_owned())
            })
            .collect()
    }
}
