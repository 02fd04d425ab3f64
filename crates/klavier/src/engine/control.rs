//! When the run stops: at the end of its duration, or at Ctrl-C / SIGTERM; and when
//! in-flight requests are cut off: at the end of the graceful stop, or at once on a
//! second Ctrl-C (the reports are still written: nothing recorded is lost).

use klavier_stats::StopReason;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;

/// Where interruption requests come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// Ctrl-C (SIGINT) and SIGTERM.
    Os,
    /// None (the engine's own tests).
    #[cfg(test)]
    Ignore,
}

impl Signals {
    /// Starts listening; must be called inside a tokio runtime.
    fn listen(self) -> mpsc::UnboundedReceiver<()> {
        let (tx, rx) = mpsc::unbounded_channel();
        if self == Signals::Os {
            tokio::spawn(async move {
                while next_os_signal().await {
                    if tx.send(()).is_err() {
                        break;
                    }
                }
            });
        }
        rx
    }
}

/// Waits for Ctrl-C or SIGTERM; false if signals cannot be listened to.
async fn next_os_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
            };
        }
    }
    tokio::signal::ctrl_c().await.is_ok()
}

/// Owns the stop and abort tokens and decides when to cancel them.
pub struct Controller {
    schedule: Schedule,
    stop: CancellationToken,
    abort: CancellationToken,
    signals: mpsc::UnboundedReceiver<()>,
    stopped_at: Option<(Instant, StopReason)>,
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
            signals: signals.listen(),
            stopped_at: None,
        }
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
                    Some(()) = self.signals.recv() => (Instant::now(), StopReason::Interrupted),
                };
                self.stop.cancel();
                self.stopped_at = Some(stopped_at);
            }
            Some((at, _)) if !self.abort.is_cancelled() => {
                tokio::select! {
                    _ = sleep_until(at + self.schedule.graceful_stop) => {}
                    Some(()) = self.signals.recv() => {}
                }
                self.abort.cancel();
            }
            Some(_) => std::future::pending().await,
        }
    }
}
