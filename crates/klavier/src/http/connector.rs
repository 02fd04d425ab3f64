//! How to reach an origin, shared by every user of a run: DNS (or a `resolve`
//! entry), TCP, an HTTP proxy's tunnel, and TLS with the run's one client
//! configuration (roots, `ca_file`, `insecure`, client certificate), checked once at
//! the start so a bad file stops the run before anything is sent. Times each phase.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use klavier_h1::{Decoder, Limits};
use klavier_plan::{ClientOptions, HttpVersion, Proxy, Request, Target};
use klavier_stats::{FailureKind, Phase, Timing};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;

use super::conn::Conn;
use super::failure::{self, Failure};
use super::h1::{self, Connection, Forward};
use super::h2::H2Connection;
use super::origin::Origin;
use super::stream::Stream;
use super::tls::{self, TlsSetupError};

/// How to reach origins; built once per run and shared by every user.
pub struct Connector {
    tls: TlsConnector,
    /// The request timeout of requests that do not set their own.
    pub(super) timeout: Duration,
    /// The base URL's origin.
    pub(super) base: Origin,
    options: ClientOptions,
    /// The proxy for `http` and for `https` origins.
    proxies: [Option<Proxy>; 2],
    /// HTTP/2 connections each worker thread shares among its users
    /// (`[target] connections`, split across the threads).
    pub(super) shared: Option<usize>,
    /// `[target] source_addresses`, taken in turn by new connections.
    sources: Sources,
}

/// Local addresses to bind connections to, by family, and the turn.
#[derive(Default)]
struct Sources {
    v4: Vec<IpAddr>,
    v6: Vec<IpAddr>,
    /// One step per connection opened (not per request), shared by every worker.
    turn: AtomicUsize,
}

impl Sources {
    fn new(addresses: &[IpAddr]) -> Self {
        let (v4, v6) = addresses.iter().partition(|ip| ip.is_ipv4());
        Self {
            v4,
            v6,
            turn: AtomicUsize::new(0),
        }
    }

    /// The next local address of `to`'s family, if any was given.
    fn next_for(&self, to: &SocketAddr) -> Option<IpAddr> {
        let family = if to.is_ipv4() { &self.v4 } else { &self.v6 };
        if family.is_empty() {
            return None;
        }
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        Some(family[turn % family.len()])
    }
}

impl Connector {
    /// Prepares connections for `target`: reads `ca_file` and the client certificate,
    /// builds the TLS configuration (which also serves `https` origins other than the
    /// base URL's), and takes the proxy from the profile or, failing that, from
    /// `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` as curl does.
    pub fn new(target: &Target) -> Result<Self, TlsSetupError> {
        let config = tls::client_config(target)?;
        let invalid = |what: &str| {
            TlsSetupError::Config(rustls::Error::General(format!(
                "{:?} is not a valid {what}",
                target.host
            )))
        };
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
            .ok_or_else(|| invalid("host"))?;
        let connector = Self {
            tls: TlsConnector::from(config),
            timeout: target.timeout,
            base,
            proxies: proxies(&target.client),
            shared: target.client.connections.map(|n| n as usize),
            options: target.client.clone(),
            sources: Sources::new(&target.client.source_addresses),
        };
        if connector.base.tls {
            connector
                .server_name(&connector.base)
                .map_err(|_| invalid("TLS server name"))?;
        }
        Ok(connector)
    }

    /// Splits `[target] connections` across `threads` worker threads (each gets its
    /// share, at least one).
    pub fn shared_by(mut self, threads: usize) -> Self {
        self.shared = self
            .options
            .connections
            .map(|n| (n as usize).div_ceil(threads.max(1)));
        self
    }

    /// The proxy `origin` is reached through, if any.
    fn proxy_for(&self, origin: &Origin) -> Option<&Proxy> {
        let proxy = self.proxies[usize::from(origin.tls)].as_ref()?;
        proxy.applies_to(origin.bare_host()).then_some(proxy)
    }

    /// Opens a connection to `origin` by `deadline` (and within the connect timeout).
    pub(super) async fn connect(
        &self,
        origin: &Origin,
        deadline: Instant,
    ) -> Result<(Conn, Timing), Failure> {
        let deadline = deadline.min(Instant::now() + self.options.connect_timeout);
        let late = || Failure::from(FailureKind::ConnectTimeout);
        let proxy = self.proxy_for(origin);
        let (host, port) = match proxy {
            Some(proxy) => (proxy.host.as_str(), proxy.port),
            None => (origin.bare_host(), origin.port),
        };
        let mut timing = Timing {
            opened: true,
            ..Timing::default()
        };
        let started = Instant::now();
        let (addrs, looked_up) = timeout_at(deadline, self.resolve(host, port))
            .await
            .map_err(|_| late())??;
        if looked_up {
            timing.set(Phase::Dns, started.elapsed());
        }
        let connecting = Instant::now();
        let mut tcp = timeout_at(deadline, connect_any(&addrs, &self.sources))
            .await
            .map_err(|_| late())??;
        // Requests are small and sent whole; Nagle would only add latency.
        let _ = tcp.set_nodelay(true);
        if let (Some(proxy), true) = (proxy, origin.tls) {
            timeout_at(deadline, tunnel(&mut tcp, origin, proxy))
                .await
                .map_err(|_| late())??;
        }
        timing.set(Phase::Connect, connecting.elapsed());
        let forward = match proxy {
            Some(proxy) if !origin.tls => Some(Forward {
                authorization: proxy.authorization.clone(),
            }),
            _ => None,
        };
        let (stream, h2) = if origin.tls {
            let handshake = Instant::now();
            let name = self.server_name(origin)?;
            let tls = timeout_at(deadline, self.tls.connect(name, tcp))
                .await
                .map_err(|_| late())?
                .map_err(|e| failure::handshake_error(&e))?;
            timing.set(Phase::Tls, handshake.elapsed());
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            if self.options.http == HttpVersion::Http2 && !h2 {
                return Err(FailureKind::Protocol.into());
            }
            (Stream::Tls(Box::new(tls)), h2)
        } else {
            let h2c = self.options.http == HttpVersion::H2c && forward.is_none();
            (Stream::Plain(tcp), h2c)
        };
        if h2 {
            let connection = timeout_at(
                deadline,
                H2Connection::handshake(stream, self.options.max_body),
            )
            .await
            .map_err(|_| late())??;
            return Ok((Conn::H2(connection), timing));
        }
        let limits = Limits {
            max_headers: self.options.max_response_headers,
            ..Limits::default()
        };
        let mut connection = Connection::new(stream, limits, self.options.max_body);
        connection.set_forward(forward);
        connection.set_keep_alive(self.options.keep_alive);
        Ok((Conn::H1(connection), timing))
    }

    /// The TLS name for `origin`: `server_name` for the base URL's origin when set.
    fn server_name(&self, origin: &Origin) -> Result<ServerName<'static>, Failure> {
        let name = match &self.options.server_name {
            Some(name) if *origin == self.base => name.as_str(),
            _ => origin.bare_host(),
        };
        ServerName::try_from(name.to_owned()).map_err(|_| FailureKind::InvalidUrl.into())
    }

    /// The addresses of `host:port`, and whether DNS was asked (not for IP literals
    /// nor `resolve` entries).
    async fn resolve(&self, host: &str, port: u16) -> Result<(Vec<SocketAddr>, bool), Failure> {
        if let Some(entry) = self
            .options
            .resolve
            .iter()
            .find(|r| r.port == port && r.host.eq_ignore_ascii_case(host))
        {
            return Ok((vec![entry.address], false));
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok((vec![SocketAddr::new(ip, port)], false));
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| FailureKind::Dns)?
            .collect();
        if addrs.is_empty() {
            return Err(FailureKind::Dns.into());
        }
        Ok((addrs, true))
    }

    /// Writes the request head for `req` as a user does into a fresh buffer and
    /// returns its size. For the benchmarks (`benches/hot_path.rs`).
    #[doc(hidden)]
    pub fn build_and_drop(&self, req: &Request) -> u64 {
        let mut out = Vec::with_capacity(256);
        h1::write_head(&mut out, req, &self.base.host_header, None, true);
        (std::hint::black_box(out).len() + req.body.len()) as u64
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("proxies", &self.proxies)
            .finish()
    }
}

/// The proxies for `http` and `https` origins: the profile's for both, else the
/// environment's (`HTTP_PROXY`, `HTTPS_PROXY`, lowercase first, as curl reads them),
/// which never apply to loopback hosts (as Go's clients do: a test server on this
/// machine is not behind a corporate proxy).
fn proxies(options: &ClientOptions) -> [Option<Proxy>; 2] {
    let no_proxy: Vec<String> = env_var(&["no_proxy", "NO_PROXY"])
        .map(|list| {
            list.split(',')
                .map(|rule| rule.trim().trim_start_matches('.').to_ascii_lowercase())
                .filter(|rule| !rule.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(proxy) = &options.proxy {
        let mut proxy = proxy.clone();
        proxy.no_proxy = no_proxy;
        return [Some(proxy.clone()), Some(proxy)];
    }
    let from_env = |names: &[&str]| {
        let mut proxy = Proxy::parse(&env_var(names)?).ok()?;
        proxy.no_proxy = no_proxy.clone();
        proxy
            .no_proxy
            .extend(["localhost", "127.0.0.1", "::1"].map(String::from));
        Some(proxy)
    };
    [
        from_env(&["http_proxy", "HTTP_PROXY"]),
        from_env(&["https_proxy", "HTTPS_PROXY"]),
    ]
}

fn env_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .filter(|v| !v.trim().is_empty())
}

/// Asks `proxy` for a tunnel to `origin` (`CONNECT host:port`) and reads its answer.
async fn tunnel(tcp: &mut TcpStream, origin: &Origin, proxy: &Proxy) -> Result<(), Failure> {
    let authority = format!("{}:{}", bracketed(origin.bare_host()), origin.port);
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n").into_bytes();
    if let Some(auth) = &proxy.authorization {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(auth.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    tcp.write_all(&head)
        .await
        .map_err(|e| failure::io_error(&e))?;
    // The answer has no body (a 2xx to CONNECT) or is not read: decode it as a
    // response to HEAD, byte by byte, so nothing of the tunnel is consumed.
    let mut decoder = Decoder::new(true, Limits::default());
    let mut pending = Vec::new();
    let mut byte = [0u8; 1];
    while !decoder.is_done() {
        if tcp
            .read(&mut byte)
            .await
            .map_err(|e| failure::io_error(&e))?
            == 0
        {
            return Err(FailureKind::Proxy.into());
        }
        pending.push(byte[0]);
        let used = decoder
            .decode(&pending, &mut |_: &[u8]| {})
            .map_err(|_| FailureKind::Proxy)?;
        pending.drain(..used);
    }
    match decoder.status() {
        Some(200..=299) => Ok(()),
        _ => Err(FailureKind::Proxy.into()),
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

async fn connect_any(addrs: &[SocketAddr], sources: &Sources) -> Result<TcpStream, Failure> {
    let mut last = Failure::from(FailureKind::Dns);
    for addr in addrs {
        let connected = match sources.next_for(addr) {
            Some(local) => connect_from(local, *addr).await,
            None => TcpStream::connect(addr).await,
        };
        match connected {
            Ok(stream) => return Ok(stream),
            Err(e) => last = failure::connect_error(&e),
        }
    }
    Err(last)
}

/// Connects to `to` from the local address `local` (any port): another source address
/// is another set of ephemeral ports towards the same destination.
async fn connect_from(local: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = if local.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(to).await
}
