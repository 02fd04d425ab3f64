//! SIGINT and SIGTERM, listened to once per process from a thread of their own and
//! counted, so a signal is never lost between the moments something waits for one:
//! one that arrives while the profile loads or the first connections open stops the
//! run as soon as it starts, one that arrives while a report waits on a FIFO gives up
//! that report.

use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

/// The signal that stopped a run: it decides the exit code (128 + its number, as
/// shells report a process the signal killed), so CI sees the run was not a full one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl-C): exit code 130.
    Interrupt,
    /// SIGTERM: exit code 143.
    Terminate,
}

impl StopSignal {
    /// The signal's conventional name.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }
}

/// The signals received since listening began: how many, and the first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Received {
    /// How many SIGINTs and SIGTERMs arrived.
    pub count: u32,
    /// The first of them: the one the exit code follows.
    pub first: Option<StopSignal>,
}

static RECEIVED: OnceLock<Arc<watch::Sender<Received>>> = OnceLock::new();

/// Starts counting SIGINT and SIGTERM (once per process; later calls share it) and
/// returns a view of the count. From the first call on, these signals no longer kill
/// Klavier: it must stop by itself, reports written. If the handlers cannot be
/// installed the count stays at zero and the signals keep their default effect.
pub fn listen_to_os_signals() -> watch::Receiver<Received> {
    RECEIVED.get_or_init(start_listening).subscribe()
}

/// Counts `signal` as if the OS had delivered it: the live UI's `q` (and Ctrl-C, which
/// its raw terminal mode turns into a key) takes the very path of a real SIGINT, so the
/// stop, the second-press abort, the reports and the exit code are the same.
pub fn deliver(signal: StopSignal) {
    RECEIVED
        .get_or_init(start_listening)
        .send_modify(|received| count(received, signal));
}

fn count(received: &mut Received, signal: StopSignal) {
    received.count += 1;
    received.first.get_or_insert(signal);
}

/// How many signals have arrived so far (0 if nothing listens).
pub fn received() -> Received {
    RECEIVED.get().map(|tx| *tx.borrow()).unwrap_or_default()
}

fn start_listening() -> Arc<watch::Sender<Received>> {
    let counter = Arc::new(watch::Sender::new(Received::default()));
    let view = counter.clone();
    let (installed, wait_installed) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("klavier-signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(count_signals(&counter, installed));
        });
    if spawned.is_ok() {
        // The handlers are in place before the caller goes on: none can slip through.
        let _ = wait_installed.recv();
    }
    view
}

async fn count_signals(counter: &watch::Sender<Received>, installed: std::sync::mpsc::Sender<()>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let _ = installed.send(());
    loop {
        let signal = tokio::select! {
            Some(()) = interrupt.recv() => StopSignal::Interrupt,
            Some(()) = terminate.recv() => StopSignal::Terminate,
            else => return,
        };
        counter.send_modify(|received| count(received, signal));
    }
}

/// Waits until more than `seen` signals have arrived, takes the next one (`seen` moves
/// on by one) and returns the first signal of all. Pending forever if nothing listens.
pub async fn next(view: &mut watch::Receiver<Received>, seen: &mut u32) -> StopSignal {
    loop {
        let received = *view.borrow_and_update();
        if received.count > *seen {
            *seen += 1;
            return received.first.unwrap_or(StopSignal::Interrupt);
        }
        if view.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
