//! The HTTP/2 connections a worker thread's users share (`[target] connections`):
//! per origin, at most the worker's share, opened on demand and handed out in turn,
//! each carrying many users' streams at once. One worker thread owns its pool
//! (a thread-local), so nothing is locked.

use std::cell::RefCell;
use std::time::Duration;

use tokio::time::{sleep, Instant};

use super::conn::Conn;
use super::connector::Connector;
use super::failure::Failure;
use super::h2::H2Connection;
use super::origin::Origin;
use klavier_stats::{FailureKind, Timing};

/// One origin's shared connections.
struct Shared {
    origin: Origin,
    open: Vec<H2Connection>,
    /// Connections being opened right now.
    opening: usize,
    next: usize,
}

thread_local! {
    static POOL: RefCell<Vec<Shared>> = const { RefCell::new(Vec::new()) };
}

/// How often a user waiting for the pool's first connection looks again.
const WAIT_STEP: Duration = Duration::from_micros(200);

/// A connection to `origin` for one exchange: a shared HTTP/2 one when the pool has
/// its share (or is opening them), else a new one. A new HTTP/2 connection joins the
/// pool; an HTTP/1.1 one (the server did not offer HTTP/2) stays the user's own.
pub async fn connect(
    connector: &Connector,
    origin: &Origin,
    share: usize,
    deadline: Instant,
) -> Result<(Conn, Timing), Failure> {
    loop {
        match pick(origin, share) {
            Pick::Use(connection) => return Ok((Conn::H2(connection), Timing::default())),
            Pick::Open => break,
            Pick::Wait if Instant::now() >= deadline => {
                return Err(FailureKind::ConnectTimeout.into())
            }
            Pick::Wait => sleep(WAIT_STEP).await,
        }
    }
    let opened = connector.connect(origin, deadline).await;
    with_shared(origin, |shared| {
        shared.opening -= 1;
        if let Ok((Conn::H2(connection), _)) = &opened {
            shared.open.push(connection.clone());
        }
    });
    opened
}

enum Pick {
    Use(H2Connection),
    Open,
    Wait,
}

fn pick(origin: &Origin, share: usize) -> Pick {
    with_shared(origin, |shared| {
        shared.open.retain(H2Connection::is_open);
        if shared.open.len() + shared.opening < share {
            shared.opening += 1;
            return Pick::Open;
        }
        if shared.open.is_empty() {
            return Pick::Wait;
        }
        shared.next = (shared.next + 1) % shared.open.len();
        Pick::Use(shared.open[shared.next].clone())
    })
}

fn with_shared<T>(origin: &Origin, f: impl FnOnce(&mut Shared) -> T) -> T {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let index = match pool.iter().position(|s| s.origin == *origin) {
            Some(index) => index,
            None => {
                pool.push(Shared {
                    origin: origin.clone(),
                    open: Vec::new(),
                    opening: 0,
                    next: 0,
                });
                pool.len() - 1
            }
        };
        f(&mut pool[index])
    })
}
