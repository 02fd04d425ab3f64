//! A request's `parallel` list, as a browser loads a page's assets: its requests
//! rendered in list order, sent together (the first on the user's own transport, the
//! others on its lanes: connections of their own over HTTP/1.1, streams of the user's
//! connection over HTTP/2), all waited for, then taken in and recorded in list order.

use std::cell::RefCell;

use futures_util::future::join_all;
use klavier_plan::Request;
use tokio::time::Instant;

use super::context::Context;
use super::exchange::{self, Flown};
use super::transport::Transport;
use super::vu::{cut_off, prepare, record_flown, Flew, Vu};

/// What came back for one request of the list: when it was sent, when it ended, what
/// it produced.
type Came = Option<(Instant, Instant, Flown)>;

/// Sends `group` for `vu` and records each request. `Some(ok)` when every request came
/// back (`ok` if none failed or went unrendered); `None` when the stop cut some off:
/// those are counted as interrupted, timed to the cut, the others as they came back.
pub(super) async fn run_group<T: Transport>(
    vu: &mut Vu<T>,
    group: &[Request],
    ctx: &Context,
    cutoff: Option<Instant>,
) -> Option<bool> {
    let intended = Instant::now();
    let session = vu.session.as_mut().expect("an iteration has begun");
    let mut ok = true;
    let mut flights = Vec::with_capacity(group.len());
    for request in group {
        // In list order, as a feeder draws its rows; one that cannot render is not sent.
        match prepare(ctx, session.get_mut(), request, &mut vu.scratch, intended) {
            Some(flight) => flights.push((request, flight)),
            None => ok = false,
        }
    }
    let lanes_needed = flights.len().saturating_sub(1);
    while vu.lanes.len() < lanes_needed {
        vu.lanes.push(vu.transport.lane());
    }
    for lane in &mut vu.lanes[..lanes_needed] {
        vu.transport.share_with(lane);
    }
    let session: &RefCell<_> = session;
    let came: RefCell<Vec<Came>> = RefCell::new(vec![None; flights.len()]);
    let transports = std::iter::once(&mut vu.transport).chain(vu.lanes.iter_mut());
    let sends =
        transports
            .zip(flights.iter_mut())
            .enumerate()
            .map(|(j, (transport, (_, flight)))| {
                let came = &came;
                async move {
                    let sent = Instant::now();
                    let flown = exchange::send(transport, flight, session).await;
                    came.borrow_mut()[j] = Some((sent, Instant::now(), flown));
                }
            });
    tokio::select! {
        biased;
        _ = ctx.abort.cancelled() => {}
        _ = cut_off(cutoff) => {}
        _ = join_all(sends) => {}
    }
    let cut = Instant::now();
    let mut recorder = ctx.recorder_at(intended).borrow_mut();
    let mut complete = true;
    for (j, ((request, flight), came)) in flights.into_iter().zip(came.into_inner()).enumerate() {
        let Some((sent, done, flown)) = came else {
            complete = false;
            recorder.record_interrupted(request.stat, cut - intended);
            let transport = match j {
                0 => &mut vu.transport,
                _ => &mut vu.lanes[j - 1],
            };
            let (sent, received) = transport.abandon();
            recorder.record_wire(request.stat, sent, received);
            continue;
        };
        let flew = Flew {
            intended,
            sent,
            done,
        };
        ok &= record_flown(ctx, request, flight, session, flew, &flown, &mut recorder);
    }
    complete.then_some(ok)
}
