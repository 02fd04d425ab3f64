//! The terminal while the dashboard is up: raw mode and the alternate screen, given
//! back on drop (the end of the run, an error unwinding through it) and from a panic
//! hook (before the panic message is printed, so it is readable); and a thread that
//! reads keys, turning `q` and Ctrl-C into the run's ordinary stop.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

use crate::engine::{self, StopSignal};

/// The dashboard is up: the panic hook must give the terminal back.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Something (a caught panic's message) wrote over the screen: redraw it whole.
static SCRIBBLED: AtomicBool = AtomicBool::new(false);
static OWNER: std::sync::OnceLock<ThreadId> = std::sync::OnceLock::new();

/// How often the key thread looks at its stop flag.
const KEY_POLL: Duration = Duration::from_millis(100);

/// The terminal, taken over until dropped.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    keys: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Screen {
    /// Takes over the terminal: raw mode (keys unbuffered, unechoed), the alternate
    /// screen (the shell's scrollback is left as it was), no cursor.
    pub fn open() -> io::Result<Self> {
        install_panic_hook();
        let _ = OWNER.set(std::thread::current().id());
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, terminal::EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => terminal,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let keys = std::thread::Builder::new()
            .name("klavier-keys".into())
            .spawn({
                let stop = stop.clone();
                move || read_keys(&stop)
            })?;
        Ok(Self {
            terminal,
            keys: Some((stop, keys)),
        })
    }

    /// Draws a frame; a failed draw is skipped (the run goes on regardless).
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) {
        if SCRIBBLED.swap(false, Ordering::SeqCst) {
            let _ = self.terminal.clear();
        }
        let _ = self.terminal.draw(render);
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Some((stop, keys)) = self.keys.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = keys.join();
        }
        restore();
    }
}

/// Gives the terminal back as it was; harmless when it already is.
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// Once per process: a panic on the thread that owns the screen gives the terminal
/// back before the message is printed. A panic elsewhere (a user task's, which the
/// engine catches and counts) leaves the dashboard up, to be redrawn whole.
fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if OWNER.get() == Some(&std::thread::current().id()) {
                restore();
            } else {
                SCRIBBLED.store(true, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// Until `stop`: `q`, `Esc` and Ctrl-C stop the run as a SIGINT would (raw mode
/// turns Ctrl-C into a key, so it must be passed on by hand); a second press cuts off
/// the requests still in flight, as a second SIGINT does.
fn read_keys(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match event::poll(KEY_POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            // No terminal to read from: the run goes on; Ctrl-C still works as a signal.
            Err(_) => return,
        }
        let Ok(Event::Key(key)) = event::read() else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c || matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
            engine::deliver(StopSignal::Interrupt);
        }
    }
}
