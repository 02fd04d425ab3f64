//! Live progress, once a second. Reads progress reports; never touches statistics.
//! When stdout is a terminal it is the dashboard of [`tui`]; otherwise (or with
//! `--no-tui`, `NO_COLOR`, `--json -`) lines on stderr: on a terminal one redrawn line,
//! elsewhere plain lines (no ANSI codes in logs).

pub mod tui;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use klavier_plan::segment::Segment;
use klavier_plan::Plan;

use crate::engine::Progress;

/// Which live display a run gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// None (`--quiet`).
    Off,
    /// One line a second on stderr.
    Lines,
    /// The dashboard on stdout.
    Dashboard,
}

/// What decides the display.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wishes {
    /// `--quiet`.
    pub quiet: bool,
    /// `--no-tui`.
    pub no_tui: bool,
    /// `NO_COLOR` is set (and not empty).
    pub no_color: bool,
    /// stdout is a terminal.
    pub stdout_terminal: bool,
    /// A report goes to stdout (`--json -` and the like): the screen is not ours.
    pub report_on_stdout: bool,
}

impl Mode {
    /// The display for these wishes: the dashboard only where it is wanted and has a
    /// terminal to itself.
    pub fn choose(w: Wishes) -> Self {
        if w.quiet {
            Mode::Off
        } else if w.no_tui || w.no_color || !w.stdout_terminal || w.report_on_stdout {
            Mode::Lines
        } else {
            Mode::Dashboard
        }
    }
}

/// The progress display.
#[derive(Debug)]
pub struct LiveView {
    enabled: bool,
    terminal: bool,
    drawn: bool,
    dashboard: Option<tui::Tui>,
}

impl LiveView {
    /// A view in `mode` of `plan` (this process's `segment` of it); if the dashboard cannot take the terminal, lines instead.
    pub fn new(mode: Mode, plan: &Plan, segment: Segment) -> Self {
        let dashboard = match mode {
            Mode::Dashboard => match tui::Tui::open(plan, segment) {
                Ok(tui) => Some(tui),
                Err(e) => {
                    eprintln!("klavier: no live dashboard ({e}); progress lines instead");
                    None
                }
            },
            _ => None,
        };
        Self {
            enabled: mode != Mode::Off,
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
            dashboard,
        }
    }

    /// Shows one second of progress.
    pub fn show(&mut self, progress: &Progress) {
        if let Some(dashboard) = &mut self.dashboard {
            dashboard.show(progress);
            return;
        }
        if !self.enabled {
            return;
        }
        let line = render(progress);
        let mut err = std::io::stderr().lock();
        // Progress is best effort: a closed stderr must not stop the run.
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends the progress display: the dashboard gives the terminal back (the summary
    /// follows on the normal screen); a redrawn line is left in place.
    pub fn finish(&mut self) {
        if self.dashboard.take().is_some() {
            return;
        }
        if self.enabled && self.terminal && self.drawn {
            eprintln!();
        }
    }
}

/// One line of progress, e.g.
/// `[   3s/10s] users 20 | 1843 req/s | failures 12 (0.6%) | p99 12.3ms | total 5530`.
pub fn render(p: &Progress) -> String {
    let point = &p.point;
    let planned = p.planned.as_secs();
    let width = planned.to_string().len();
    let failure_share = if p.total_requests == 0 {
        0.0
    } else {
        100.0 * p.total_failures as f64 / p.total_requests as f64
    };
    let second = point.second;
    let phase = if second > planned { " stopping" } else { "" };
    let checks = if p.total_check_failures > 0 {
        format!(" | failed checks {}", p.total_check_failures)
    } else {
        String::new()
    };
    let mut line = format!(
        "[{second:>width$}s/{planned}s{phase}] users {} | {} req/s | failures {} ({failure_share:.1}%){checks} | p99 {} | total {}",
        point.users,
        point.requests,
        p.total_failures,
        short_duration(p.p99),
        p.total_requests,
    );
    if p.open_model {
        line.push_str(&format!(
            " | arrivals {}/s, waiting {}, dropped {}",
            point.arrivals, point.waiting, point.dropped
        ));
    }
    line
}

/// A duration in the unit that suits it: `812µs`, `12.3ms`, `1.20s`.
pub fn short_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", micros as f64 / 1e3)
    } else {
        format!("{:.2}s", micros as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_needs_a_terminal_of_its_own() {
        let tty = Wishes {
            stdout_terminal: true,
            ..Wishes::default()
        };
        assert_eq!(Mode::choose(tty), Mode::Dashboard);
        let quiet = Wishes { quiet: true, ..tty };
        assert_eq!(Mode::choose(quiet), Mode::Off);
        for lines in [
            Wishes {
                no_tui: true,
                ..tty
            },
            Wishes {
                no_color: true,
                ..tty
            },
            Wishes {
                report_on_stdout: true,
                ..tty
            },
            Wishes::default(),
        ] {
            assert_eq!(Mode::choose(lines), Mode::Lines, "{lines:?}");
        }
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(short_duration(Duration::from_micros(812)), "812µs");
        assert_eq!(short_duration(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(short_duration(Duration::from_millis(1_204)), "1.20s");
    }
}
