//! How to reach an origin, shared by every user of a run: DNS, TCP, and TLS with the
//! run's one client configuration (roots, `ca_file`, `insecure`), checked once at the
//! start so a bad `ca_file` stops the run before anything is sent.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Request, Target};
use klavier_stats::FailureKind;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use super::failure;
use super::h1::{self, Connection};
use super::origin::Origin;
use super::stream::Stream;
use super::tls::{self, TlsSetupError};

/// How to reach origins; built once per run and shared by every user.
pub struct Connector {
    tls: TlsConnector,
    pub(super) timeout: Duration,
    /// The base URL's origin.
    pub(super) base: Origin,
}

impl Connector {
    /// Prepares connections for `target` (reads `ca_file`, builds the TLS config, which
    /// also serves `https` origins other than the base URL's).
    pub fn new(target: &Target) -> Result<Self, TlsSetupError> {
        let config: Arc<ClientConfig> =
            tls::client_config(target.insecure, target.ca_file.as_deref())?;
        let base_uri = format!(
            "{}://{}:{}/",
            if target.tls { "https" } else { "http" },
            bracketed(&target.host),
            target.port
        );
        let base = base_uri
            .parse()
            .ok()
            .and_then(|uri| Origin::of(&uri).ok())
            .ok_or_else(|| {
                TlsSetupError::Config(rustls::Error::General(format!(
                    "{:?} is not a valid host",
                    target.host
                )))
            })?;
        if base.tls {
            server_name(&base).map_err(|_| {
                TlsSetupError::Config(rustls::Error::General(format!(
                    "{:?} is not a valid TLS server name",
                    target.host
                )))
            })?;
        }
        Ok(Self {
            tls: TlsConnector::from(config),
            timeout: target.timeout,
            base,
        })
    }

    /// Opens a connection to `origin` by `deadline`.
    pub(super) async fn connect(
        &self,
        origin: &Origin,
        deadline: Instant,
    ) -> Result<Connection, FailureKind> {
        let addrs = timeout_at(deadline, resolve(origin))
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        let tcp = timeout_at(deadline, connect_any(&addrs))
            .await
            .map_err(|_| FailureKind::ConnectTimeout)??;
        // Requests are small and sent whole; Nagle would only add latency.
        let _ = tcp.set_nodelay(true);
        let stream = if origin.tls {
            let name = server_name(origin)?;
            let tls = timeout_at(deadline, self.tls.connect(name, tcp))
                .await
                .map_err(|_| FailureKind::ConnectTimeout)?
                .map_err(|e| failure::handshake_error(&e))?;
            Stream::Tls(Box::new(tls))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection::new(stream))
    }

    /// Writes the request head for `req` as a user does into a fresh buffer and
    /// returns its size. For the benchmarks (`benches/hot_path.rs`).
    #[doc(hidden)]
    pub fn build_and_drop(&self, req: &Request) -> u64 {
        let mut out = Vec::with_capacity(256);
        h1::write_head(&mut out, req, &self.base.host_header);
        (std::hint::black_box(out).len() + req.body.len()) as u64
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

fn server_name(origin: &Origin) -> Result<ServerName<'static>, FailureKind> {
    ServerName::try_from(origin.bare_host().to_owned()).map_err(|_| FailureKind::InvalidUrl)
}

async fn resolve(origin: &Origin) -> Result<Vec<SocketAddr>, FailureKind> {
    let host = origin.bare_host();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, origin.port)]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, origin.port))
        .await
        .map_err(|_| FailureKind::Dns)?
        .collect();
    if addrs.is_empty() {
        return Err(FailureKind::Dns);
    }
    Ok(addrs)
}

async fn connect_any(addrs: &[SocketAddr]) -> Result<TcpStream, FailureKind> {
    let mut last = FailureKind::Dns;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = failure::connect_error(&e),
        }
    }
    Err(last)
}
