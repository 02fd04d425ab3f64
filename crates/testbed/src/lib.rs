//! Klavier's testbed: the built-in target server that `klavier demo` and
//! `klavier target` run, that integration tests load, and that benchmarks calibrate
//! against.
//!
//! It counts every request it receives by `METHOD path` (query excluded) so a test can
//! compare the server's own view with Klavier's results. A crate of its own, apart from
//! the load generator: it knows nothing of profiles, plans or the engine, and the
//! generator's code cannot lean on it. (Not called `target`: tools skip directories of
//! that name as Cargo's build output, and a profile's `[target]` is the server under
//! test, whichever it is.)
//!
//! | endpoint | answer |
//! | --- | --- |
//! | `GET /api/health` | 200 `{"status":"up"}` |
//! | `GET`/`POST /api/auth/login` | 200 `{"token":"…","expires_in":3600}` |
//! | `/delay/{ms}` | 200 after `ms` milliseconds (at most [`MAX_DELAY_MS`]) |
//! | `/status/{code}` | that status, 200..=999 (otherwise 400) |
//! | `/bytes/{n}` | `n` bytes (at most [`MAX_BYTES`], otherwise 400) |
//! | `GET /api/chunked?chunks=N&size=M` | `N` chunks of `M` bytes with no `Content-Length`, so HTTP/1.1 frames them `Transfer-Encoding: chunked`, one chunk each (defaults [`DEFAULT_CHUNKS`] and [`DEFAULT_CHUNK_SIZE`]; `M` from 1 to [`MAX_CHUNK_SIZE`], `N`×`M` at most [`MAX_BYTES`], otherwise 400) |
//! | `/echo` | 200 JSON: method, path, query, version, headers, body, body_len, and `json`: the body parsed as JSON (`null` if it is not) |
//! | `/api/session/…`, `/cookies…` | user journeys: login, token, logout, cookies (see `accounts`) |
//! | `GET /__klavier/counts` | 200 JSON of the counts (not counted itself) |
//! | `GET /__klavier/timing` | 200 JSON of the target's own service times and connection accepts (not counted) |
//! | `GET /__klavier/received` | 200 JSON of when each counted request arrived, in ns after the first (not counted) |
//! | `POST /__klavier/reset` | clears the counts and timing (not counted itself) |
//! | anything else | 404, counted |
//!
//! ```no_run
//! let target = klavier_testbed::spawn("127.0.0.1:0".parse()?)?;
//! // … point a run at target.base_url() …
//! let seen = target.counts();
//! target.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accounts;
mod body;
mod capacity;
mod counts;
mod routes;
mod server;
mod stall;
#[cfg(test)]
mod tests;
mod timing;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

pub use accounts::{Accounts, AccountsReport, EXPECT_USER};
pub use capacity::{Capacity, CapacityPool};
pub use counts::{TargetState, MAX_KEYS, OVERFLOW_KEY};
pub use routes::{
    DEFAULT_CHUNKS, DEFAULT_CHUNK_SIZE, ECHO_MAX_BODY, MAX_BYTES, MAX_CHUNK_SIZE, MAX_DELAY_MS,
};
pub use server::{listen, serve, serve_connection, serve_connection_until, SHUTDOWN_GRACE};
pub use stall::{Stall, StallSwitch};
pub use timing::{Percentiles, ReceivedReport, TimingReport, MAX_RECEIVED};

/// A target serving on its own OS thread with a current-thread tokio runtime.
/// Dropping it shuts it down, as [`shutdown`](Self::shutdown) does.
#[derive(Debug)]
pub struct RunningTarget {
    addr: SocketAddr,
    state: Arc<TargetState>,
    shutdown: CancellationToken,
    thread: Option<JoinHandle<()>>,
}

/// Bind `addr` now (port 0 picks a free port) and serve in the background.
/// Binding errors are returned here, not discovered later.
pub fn spawn(addr: SocketAddr) -> io::Result<RunningTarget> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = {
        let _entered = runtime.enter();
        listen(addr)?
    };
    let addr = listener.local_addr()?;
    let state = Arc::new(TargetState::new());
    let shutdown = CancellationToken::new();
    let serving = serve(listener, state.clone(), shutdown.clone());
    let thread = std::thread::Builder::new()
        .name(format!("klavier-target-{}", addr.port()))
        .spawn(move || runtime.block_on(serving))?;
    Ok(RunningTarget {
        addr,
        state,
        shutdown,
        thread: Some(thread),
    })
}

impl RunningTarget {
    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` for clients: IPv6 in brackets, an unspecified address
    /// (`0.0.0.0`, `::`) replaced by loopback.
    pub fn base_url(&self) -> String {
        base_url(self.addr)
    }

    /// A snapshot of the requests seen so far, keyed `"GET /api/health"`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts()
    }

    /// The state the target counts into, e.g. to [`reset`](TargetState::reset) it.
    pub fn state(&self) -> &Arc<TargetState> {
        &self.state
    }

    /// Stop accepting, close connections (in-flight requests get
    /// [`SHUTDOWN_GRACE`]) and join the thread. Re-raises a panic of the server thread.
    pub fn shutdown(mut self) {
        if let Err(panic) = self.stop() {
            std::panic::resume_unwind(panic);
        }
    }

    fn stop(&mut self) -> std::thread::Result<()> {
        self.shutdown.cancel();
        match self.thread.take() {
            Some(thread) => thread.join(),
            None => Ok(()),
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        // A panic cannot be raised from drop; `shutdown` reports it.
        let _ = self.stop();
    }
}

/// `http://HOST:PORT` for a bound address, as [`RunningTarget::base_url`].
pub fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// `klavier target`: serve `addr` on this thread until Ctrl-C or SIGTERM, announcing
/// `klavier target listening on http://ADDR` on stdout, then print the counts table.
/// `stall` holds responses periodically; `capacity` serves a fixed number at a time.
pub fn run_forever(
    addr: SocketAddr,
    stall: Option<Stall>,
    capacity: Option<Capacity>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the target's runtime")?;
    let state = Arc::new(TargetState::new());
    state.stall.set(stall);
    state.capacity.set(capacity);
    runtime.block_on(serve_until_signal(addr, state.clone()))?;
    write_counts(&state.counts(), &mut io::stdout().lock()).context("printing the counts")
}

async fn serve_until_signal(addr: SocketAddr, state: Arc<TargetState>) -> anyhow::Result<()> {
    let listener = listen(addr).with_context(|| format!("binding the target to {addr}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "klavier target listening on http://{bound}")?;
    stdout.flush()?;
    drop(stdout);

    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(serve(listener, state, shutdown.clone()));
    let signal = wait_for_signal().await;
    shutdown.cancel();
    serving.await.context("the target's accept loop failed")?;
    signal.context("listening for Ctrl-C/SIGTERM")
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn wait_for_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}

/// The counts as a table: a right-aligned count per `METHOD path`, then the total.
pub fn write_counts(counts: &BTreeMap<String, u64>, out: &mut impl Write) -> io::Result<()> {
    let total: u64 = counts.values().sum();
    let width = total.to_string().len().max("requests".len());
    writeln!(out, "{:>width$}  route", "requests")?;
    for (route, n) in counts {
        writeln!(out, "{n:>width$}  {route}")?;
    }
    writeln!(out, "{total:>width$}  total")
}
