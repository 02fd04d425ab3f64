//! One user's HTTP client: a connection per origin it talks to (a few at most, the
//! least recently used closed first), a request sent on the connection of its URI's
//! origin, the whole response read, every problem classified. Reconnects
//! transparently when the server has closed an idle keep-alive connection.

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use klavier_plan::Request;
use klavier_stats::{FailureKind, Outcome, Phase, Reason, Timing};
use tokio::time::{timeout_at, Instant};

use super::capture::{Capture, Captured};
use super::conn::{Conn, Protocol};
use super::connector::Connector;
use super::failure::Failure;
use super::origin::Origin;
use super::pool;

/// The most origins a user keeps a connection open to at once.
const MAX_ORIGINS: usize = 8;
/// The first pause after a connection that failed at once; it doubles with each
/// failure in a row, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(1);
/// The longest pause between reconnects: a dead server is still tried 10 times a
/// second per user, and the generator does not become a busy loop.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// What one request/response exchange produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchanged {
    /// The status received, or why none was.
    pub outcome: Outcome,
    /// Bytes written: request line, headers and body, exactly as sent.
    pub bytes_sent: u64,
    /// Bytes read: status line, headers, body and its framing, exactly as received.
    pub bytes_received: u64,
    /// The request was sent twice: first on a reused connection the server had
    /// already closed (no response byte came back), then on a fresh one.
    pub retried: bool,
    /// Why it failed, where the kind alone is too coarse.
    pub reason: Option<Reason>,
    /// Where its time went: connecting (when it opened a connection), the first
    /// response byte, the transfer.
    pub timing: Timing,
    /// The protocol it went over (none when no connection was made).
    pub protocol: Option<Protocol>,
}

/// A user's connection to one origin (none while closed).
#[derive(Debug)]
struct Slot {
    origin: Origin,
    connection: Option<Conn>,
}

/// One user's connections.
#[derive(Debug)]
pub struct Client {
    connector: Arc<Connector>,
    /// Most recently used first.
    slots: Vec<Slot>,
    /// After a connection failed at once, no new one before this.
    backoff: Backoff,
}

/// The pause before reconnecting after connections that failed at once (refused,
/// reset, closed or not TLS before any response byte), growing while they keep failing.
#[derive(Debug, Default)]
struct Backoff {
    until: Option<Instant>,
    step: Duration,
}

impl Backoff {
    fn failed(&mut self) {
        self.step = (self.step * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF);
        self.until = Some(Instant::now() + self.step);
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

impl Client {
    /// A client that connects lazily, on its first request to each origin.
    pub fn new(connector: Arc<Connector>) -> Self {
        Self {
            connector,
            slots: Vec::new(),
            backoff: Backoff::default(),
        }
    }

    /// Another client of the same user, for the requests of a `parallel` list sent
    /// beside this one's: its own HTTP/1.1 connections; before each list the engine
    /// lends it this client's HTTP/2 connections (see [`share_with`](Self::share_with)).
    pub fn lane(&self) -> Self {
        Client::new(self.connector.clone())
    }

    /// Puts this client's open HTTP/2 connections into `lane`, so its requests to
    /// those origins go as streams of the same connection, as a browser's do. Its
    /// HTTP/1.1 connections stay its own.
    pub fn share_with(&self, lane: &mut Client) {
        for slot in &self.slots {
            let Some(Conn::H2(connection)) = &slot.connection else {
                continue;
            };
            if !connection.is_open() {
                continue;
            }
            let shared = Some(Conn::H2(connection.clone()));
            match lane.slots.iter().position(|s| s.origin == slot.origin) {
                Some(own) => lane.slots[own].connection = shared,
                None if lane.slots.len() < MAX_ORIGINS => lane.slots.push(Slot {
                    origin: slot.origin.clone(),
                    connection: shared,
                }),
                None => {}
            }
        }
    }

    /// When the next request may start, if connections failed at once just before:
    /// the engine waits until then (counted as reconnect backoff), so a dead server
    /// does not turn the user into a busy loop.
    pub fn backoff_until(&self) -> Option<Instant> {
        self.backoff.until.filter(|&until| until > Instant::now())
    }

    /// Sends `req` and reads the whole response, within the target's timeout.
    /// Never fails: every problem is an [`Outcome::Failed`].
    pub async fn send(&mut self, req: &Request) -> Exchanged {
        self.send_keeping(req, None).await
    }

    /// Like [`send`](Self::send), also keeping what `keep` asks for of the response
    /// (headers, body, `Set-Cookie`) for checks, extractions and cookies.
    ///
    /// A reused keep-alive connection that the server had already closed fails
    /// before any response byte; an idempotent request is then sent once more on a
    /// fresh connection (within the same timeout), as browsers and hyper do, and
    /// counted as retried rather than as the server's failure. So is any request an
    /// HTTP/2 server did no work on (refused, or cut by a GOAWAY).
    pub async fn send_keeping(
        &mut self,
        req: &Request,
        mut keep: Option<(Capture, &mut Captured)>,
    ) -> Exchanged {
        let deadline = Instant::now() + req.timeout;
        if let Err(kind) = self.bring_to_front(req) {
            return failed(kind);
        }
        let slot = &mut self.slots[0];
        let first = attempt(&self.connector, slot, req, reborrow(&mut keep), deadline).await;
        let again = first.unprocessed || (first.stale_connection && is_idempotent(&req.method));
        if !again {
            self.pace(&first);
            return first.exchanged;
        }
        let second = attempt(&self.connector, slot, req, keep, deadline).await;
        self.pace(&second);
        let mut exchanged = second.exchanged;
        exchanged.bytes_sent += first.exchanged.bytes_sent;
        exchanged.retried = true;
        exchanged
    }

    /// Grows the reconnect backoff after a fresh connection that failed before any
    /// response byte or was sent away at once (not by a timeout: that took its time
    /// already); a response resets it.
    fn pace(&mut self, attempt: &Attempt) {
        match attempt.exchanged.outcome {
            Outcome::Status(_) => self.backoff.succeeded(),
            Outcome::Failed(FailureKind::Timeout | FailureKind::ConnectTimeout) => {}
            Outcome::Failed(FailureKind::GoAway) if attempt.fresh => self.backoff.failed(),
            Outcome::Failed(_) if attempt.fresh && attempt.exchanged.bytes_received == 0 => {
                self.backoff.failed();
            }
            Outcome::Failed(_) => {}
        }
    }

    /// Opens a connection to the base URL's origin ahead of the first request (the
    /// open model's initial pool), so the first arrivals do not pay for it. A failure
    /// is left for the first request to meet, count and classify.
    pub async fn preconnect(&mut self) {
        let origin = self.connector.base.clone();
        if self
            .slots
            .iter()
            .any(|s| s.origin == origin && s.connection.is_some())
        {
            return;
        }
        let deadline = Instant::now() + self.connector.timeout;
        if let Ok((connection, _timing)) = self.connector.connect(&origin, deadline).await {
            self.slots.retain(|s| s.origin != origin);
            self.slots.truncate(MAX_ORIGINS - 1);
            let connection = Some(connection);
            self.slots.insert(0, Slot { origin, connection });
        }
    }

    /// Drops the connection of an exchange that was cut off from outside (the
    /// graceful stop ran out) and returns the bytes it had sent and received.
    pub fn abandon(&mut self) -> (u64, u64) {
        let Some(slot) = self.slots.first_mut() else {
            return (0, 0);
        };
        let wire = slot.connection.take().map(|c| c.wire()).unwrap_or_default();
        (wire.sent, wire.received)
    }

    /// Moves the slot of `req`'s origin to the front; a new one (closing the least
    /// recently used beyond [`MAX_ORIGINS`]) for an origin not seen yet.
    fn bring_to_front(&mut self, req: &Request) -> Result<(), FailureKind> {
        match self.slots.iter().position(|s| s.origin.serves(&req.uri)) {
            Some(0) => {}
            Some(i) => self.slots[..=i].rotate_right(1),
            None => {
                let origin = Origin::of(&req.uri)?;
                self.slots.truncate(MAX_ORIGINS - 1);
                self.slots.insert(
                    0,
                    Slot {
                        origin,
                        connection: None,
                    },
                );
            }
        }
        Ok(())
    }
}

/// What one attempt of an exchange gave.
struct Attempt {
    exchanged: Exchanged,
    /// The attempt ran on a reused connection that closed before any response byte.
    stale_connection: bool,
    /// The attempt opened (or tried to open) a connection.
    fresh: bool,
    /// The server said it did no work on the request.
    unprocessed: bool,
}

/// One attempt: a ready connection to the slot's origin, one exchange on it.
async fn attempt(
    connector: &Connector,
    slot: &mut Slot,
    req: &Request,
    keep: Option<(Capture, &mut Captured)>,
    deadline: Instant,
) -> Attempt {
    let reused = slot.connection.as_ref().is_some_and(Conn::is_reusable);
    let mut timing = Timing::default();
    if !reused {
        slot.connection = None;
        let opened = match connector.shared {
            Some(share) => pool::connect(connector, &slot.origin, share, deadline).await,
            None => connector.connect(&slot.origin, deadline).await,
        };
        match opened {
            Ok((connection, opened)) => {
                slot.connection = Some(connection);
                timing = opened;
            }
            Err(failure) => {
                return Attempt {
                    exchanged: failed(failure),
                    stale_connection: false,
                    fresh: true,
                    unprocessed: false,
                }
            }
        }
    }
    let connection = slot.connection.as_mut().expect("a connection is ready");
    let host = &slot.origin.host_header;
    let result = timeout_at(deadline, connection.exchange(req, host, keep))
        .await
        .unwrap_or(Err(FailureKind::Timeout.into()));
    // What went over the wire, also when the exchange failed half-way.
    let wire = connection.wire();
    let protocol = connection.protocol();
    let (first_byte, transfer) = wire.phases();
    if let Some(took) = first_byte {
        timing.set(Phase::FirstByte, took);
    }
    if let Some(took) = transfer {
        timing.set(Phase::Transfer, took);
    }
    let unprocessed = result.as_ref().is_err_and(Failure::unprocessed);
    let (outcome, reason) = match result {
        Ok(status) => (Outcome::Status(status), None),
        Err(failure) => {
            // The connection's state is unknown (a late response may still arrive): start afresh.
            slot.connection = None;
            (Outcome::Failed(failure.kind), failure.reason)
        }
    };
    let closed_unanswered = matches!(
        outcome,
        Outcome::Failed(FailureKind::ConnectionClosed | FailureKind::ConnectionReset)
    ) && wire.received == 0;
    Attempt {
        exchanged: Exchanged {
            outcome,
            bytes_sent: wire.sent,
            bytes_received: wire.received,
            retried: false,
            reason,
            timing,
            protocol: Some(protocol),
        },
        stale_connection: reused && closed_unanswered,
        fresh: !reused,
        unprocessed,
    }
}

fn failed(failure: impl Into<Failure>) -> Exchanged {
    let failure = failure.into();
    Exchanged {
        outcome: Outcome::Failed(failure.kind),
        bytes_sent: 0,
        bytes_received: 0,
        retried: false,
        reason: failure.reason,
        timing: Timing::default(),
        protocol: None,
    }
}

/// A shorter-lived copy of `keep`, so it can be lent to two attempts in turn.
fn reborrow<'a>(
    keep: &'a mut Option<(Capture, &mut Captured)>,
) -> Option<(Capture, &'a mut Captured)> {
    keep.as_mut()
        .map(|(capture, captured)| (*capture, &mut **captured))
}

/// Methods whose repetition has the effect of one request (RFC 9110 §9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}
