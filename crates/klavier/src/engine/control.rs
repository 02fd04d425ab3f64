//! When the run stops: at the end of its duration, or at Ctrl-C / SIGTERM; and when
//! in-flight requests are cut off: at the end of the graceful stop, or at once on a
//! second Ctrl-C (the reports are still written: nothing recorded is lost).

use klavier_stats::StopReason;
use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;
use super::signals::{self, Received, StopSignal};

/// Where interruption requests come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// Ctrl-C (SIGINT) and SIGTERM.
    Os,
    /// None (the engine's own tests).
    #[cfg(test)]
    Ignore,
}

/// The signals a controller takes, one at a time.
struct Inbox {
    view: watch::Receiver<Received>,
    seen: u32,
}

impl Inbox {
    fn new(signals: Signals) -> Option<Self> {
        (signals == Signals::Os).then(|| Self {
            view: signals::listen_to_os_signals(),
            seen: 0,
        })
    }

    /// The next signal not yet taken; pending forever without signals.
    async fn recv(this: &mut Option<Self>) -> StopSignal {
        match this {
            Some(inbox) => signals::next(&mut inbox.view, &mut inbox.seen).await,
            None => std::future::pending().await,
        }
    }
}

/// Owns the stop and abort tokens and decides when to cancel them.
pub struct Controller {
    schedule: Schedule,
    stop: CancellationToken,
    abort: CancellationToken,
    signals: Option<Inbox>,
    stopped_at: Option<(Instant, StopReason)>,
    signal: Option<StopSignal>,
}

impl Controller {
    /// A controller for one run; call inside the runtime that will drive it.
    pub fn new(
        schedule: Schedule,
        stop: CancellationToken,
        abort: CancellationToken,
        signals: Signals,
    ) -> Self {
        Self {
            schedule,
            stop,
            abort,
            signals: Inbox::new(signals),
            stopped_at: None,
            signal: None,
        }
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<StopSignal> {
        self.signal
    }

    /// When and why the run stopped, once it has.
    pub fn stopped_at(&self) -> Option<(Instant, StopReason)> {
        self.stopped_at
    }

    /// Stops the run now for `reason`, as its end would (no new request starts; those in
    /// flight get the graceful stop). Nothing happens once the run has stopped.
    pub fn stop_now(&mut self, reason: StopReason) {
        if self.stopped_at.is_none() {
            self.stop.cancel();
            self.stopped_at = Some((Instant::now(), reason));
        }
    }

    /// Waits for the next thing to do and does it: first the stop (deadline or
    /// signal), then the abort (end of the graceful stop or another signal).
    /// Pending forever after.
    pub async fn step(&mut self) {
        match self.stopped_at {
            None => {
                // At the deadline, users stop by the clock themselves: the deadline is
                // the exact end, whatever the timer's lateness.
                let stopped_at = tokio::select! {
                    _ = sleep_until(self.schedule.deadline) => (self.schedule.deadline, StopReason::Completed),
                    signal = Inbox::recv(&mut self.signals) => {
                        self.signal = Some(signal);
                        (Instant::now(), StopReason::Interrupted)
                    }
                };
                self.stop.cancel();
                self.stopped_at = Some(stopped_at);
            }
            Some((at, _)) if !self.abort.is_cancelled() => {
                tokio::select! {
                    _ = sleep_until(at + self.schedule.graceful_stop) => {}
                    _ = Inbox::recv(&mut self.signals) => {}
                }
                self.abort.cancel();
            }
            Some(_) => std::future::pending().await,
        }
    }
}
