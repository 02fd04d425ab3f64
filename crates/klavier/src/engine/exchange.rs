//! Sending one request's flight on the user's transport: hop after hop while it
//! redirects, adding up what crossed the wire, so the request's row measures the
//! whole chain (first byte sent to the last byte of the final response).

use std::cell::RefCell;

use klavier_stats::{FailureKind, Outcome};

use crate::http::Exchanged;
use crate::session::{Flight, Next, Session};

use super::transport::Transport;

/// What a whole flight produced: the final outcome, every hop's bytes, and the
/// redirects it followed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flown {
    /// The last exchange, with the bytes and timing of every hop added up.
    pub exchanged: Exchanged,
    /// Redirects followed.
    pub hops: u32,
}

/// Sends `flight` until its final response (or a failure). The session is borrowed
/// only between hops (for their cookies), so flights of a `parallel` list share it.
pub(super) async fn send<T: Transport>(
    transport: &mut T,
    flight: &mut Flight<'_>,
    session: &RefCell<Session>,
) -> Flown {
    let mut total: Option<Exchanged> = None;
    loop {
        let (request, capture, captured) = flight.outgoing();
        let hop = transport.send_keeping(request, capture, captured).await;
        let mut sum = hop;
        if let Some(before) = total {
            sum.bytes_sent += before.bytes_sent;
            sum.bytes_received += before.bytes_received;
            sum.retried |= before.retried;
            sum.timing.add(&before.timing);
        }
        total = Some(sum);
        let next = flight.after(&mut session.borrow_mut(), hop.outcome);
        match next {
            Next::Follow => continue,
            Next::Done => break,
            Next::TooManyRedirects => {
                sum.outcome = Outcome::Failed(FailureKind::TooManyRedirects);
                total = Some(sum);
                break;
            }
        }
    }
    Flown {
        exchanged: total.expect("at least one hop was sent"),
        hops: flight.hops(),
    }
}
