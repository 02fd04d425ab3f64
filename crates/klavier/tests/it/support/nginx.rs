//! A real nginx on loopback, started as a child process with its configuration, logs,
//! static files and temporary files in a test's directory: an independent HTTP peer
//! whose access log is the ground truth of what Klavier sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::{self, Logged, ServerProcess};

/// What a test adds to nginx's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// Directives at the `http` level (e.g. `gzip on;`).
    pub http: &'a str,
    /// The inside of the one `server` block (its `listen` is added).
    pub server: &'a str,
}

/// The seed profile's two endpoints.
pub const SEED_SITE: Site<'static> = Site {
    http: "",
    server: r#"
        location /api/health { return 200 "up"; }
        location /api/auth/login { return 200 "ok"; }"#,
};

/// A running nginx; terminated (and reaped) when dropped, also on panic.
pub struct Nginx {
    server: ServerProcess,
    dir: PathBuf,
}

impl Nginx {
    /// nginx answering the seed profile's `/api/health` and `/api/auth/login` with 200.
    pub fn start(dir: &Path) -> Self {
        Self::start_site(dir, SEED_SITE)
    }

    /// nginx serving `site`, with static files from `dir/www` (see [`Nginx::root`]:
    /// write them before the requests). Panics, saying how to install nginx, if it is
    /// not installed.
    pub fn start_site(dir: &Path, site: Site<'_>) -> Self {
        Self::start_listening(dir, site, "")
    }

    /// nginx speaking cleartext HTTP/2 with prior knowledge (`listen … http2`).
    pub fn start_h2c(dir: &Path, site: Site<'_>) -> Self {
        Self::start_listening(dir, site, " http2")
    }

    /// nginx speaking TLS with HTTP/2 offered by ALPN (`listen … ssl http2`), with a
    /// fresh self-signed certificate for 127.0.0.1: clients need `insecure = true`.
    pub fn start_h2_tls(dir: &Path, site: Site<'_>) -> Self {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("rcgen makes a certificate");
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).expect("writable");
        std::fs::write(dir.join("key.pem"), certified.key_pair.serialize_pem()).expect("writable");
        let d = dir.display();
        let server = format!(
            "ssl_certificate {d}/cert.pem;\n        ssl_certificate_key {d}/key.pem;\n{}",
            site.server
        );
        let site = Site {
            server: &server,
            ..site
        };
        Self::start_listening(dir, site, " ssl http2")
    }

    fn start_listening(dir: &Path, site: Site<'_>, listen_options: &str) -> Self {
        let binary = process::find_program("nginx", &["/usr/sbin", "/usr/local/nginx/sbin"])
            .unwrap_or_else(|| process::missing("nginx", "apt-get install nginx-light"));
        std::fs::create_dir_all(dir.join("www")).expect("the workspace is writable");
        let conf = dir.join("nginx.conf");
        let server = ServerProcess::start("nginx", &dir.join("nginx.out"), |addr| {
            let listen = format!("{addr}{listen_options}");
            std::fs::write(&conf, config(dir, &listen, site)).expect("the workspace is writable");
            let mut cmd = Command::new(&binary);
            cmd.arg("-p")
                .arg(dir)
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"]);
            cmd
        });
        Self {
            server,
            dir: dir.to_owned(),
        }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Where static files are served from (`root` of the server block).
    pub fn root(&self) -> PathBuf {
        self.dir.join("www")
    }

    /// The access log, once it holds at least `total` lines (bounded wait).
    pub fn access_log_once(&self, total: u64) -> Vec<Logged> {
        let total = usize::try_from(total).expect("a count fits in memory");
        process::read_log_once(&self.dir.join("access.log"), total)
    }

    /// Requests in the access log, keyed `"GET /api/health"`, once it holds `total`.
    pub fn access_counts_once(&self, total: u64) -> BTreeMap<String, u64> {
        process::counts(&self.access_log_once(total))
    }
}

/// nginx's configuration: everything inside `dir`. `master_process off` keeps nginx a
/// single process, so stopping the child by its PID leaves no orphaned worker behind.
/// The access log holds the request line, status, body bytes and all bytes sent, in
/// the shape [`process::parse_log`] reads.
fn config(dir: &Path, listen: &str, site: Site<'_>) -> String {
    let d = dir.display();
    let Site { http, server } = site;
    format!(
        r#"worker_processes 1;
master_process off;
error_log {d}/error.log;
pid {d}/nginx.pid;
events {{}}
http {{
    log_format counted '"$request" $status $body_bytes_sent $bytes_sent';
    access_log {d}/access.log counted;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{
        text/plain txt;
        application/json json;
        text/html html;
    }}
    default_type application/octet-stream;
    {http}
    server {{
        listen {listen};
        root {d}/www;
        {server}
    }}
}}
"#
    )
}
