//! Live progress on stderr, once a second. Reads progress reports; never touches
//! statistics. On a terminal it redraws one line; otherwise it prints plain lines
//! (no ANSI codes in logs).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::engine::Progress;

/// The progress display.
#[derive(Debug)]
pub struct LiveView {
    enabled: bool,
    terminal: bool,
    drawn: bool,
}

impl LiveView {
    /// A view on stderr, silent when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            enabled: !quiet,
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// Shows one second of progress.
    pub fn show(&mut self, progress: &Progress) {
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

    /// Ends the progress display, leaving the last line in place.
    pub fn finish(&mut self) {
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
    fn durations_pick_a_readable_unit() {
        assert_eq!(short_duration(Duration::from_micros(812)), "812µs");
        assert_eq!(short_duration(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(short_duration(Duration::from_millis(1_204)), "1.20s");
    }
}
