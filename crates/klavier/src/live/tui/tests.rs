//! The dashboard drawn on ratatui's TestBackend from progress a Recorder made: the
//! buffer shows the figures the progress carries, and nothing the run did not do.

use std::time::Duration;

use klavier_stats::{FailureKind, Outcome, Recorder, Sample, TimePoint};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::draw::draw;
use super::model::{Dashboard, Target};
use crate::engine::Progress;

fn sample(outcome: Outcome, millis: u64) -> Sample {
    Sample {
        outcome,
        service_time: Duration::from_millis(millis),
        response_time: Duration::from_millis(millis),
        bytes_sent: 100,
        bytes_received: 200,
        in_grace: false,
    }
}

/// Two requests: `home` answered 200 in 10 ms 98 times and 503 twice, with 3 failed
/// checks; `login` timed out 4 times.
fn recorded() -> Recorder {
    let mut recorder = Recorder::new(2, 1);
    for _ in 0..98 {
        recorder.record(0, &sample(Outcome::Status(200), 10));
    }
    recorder.record(0, &sample(Outcome::Status(503), 1));
    recorder.record(0, &sample(Outcome::Status(503), 1));
    recorder.record_checks(0, &[0]);
    recorder.record_checks(0, &[0]);
    recorder.record_checks(0, &[0]);
    for _ in 0..4 {
        recorder.record(1, &sample(Outcome::Failed(FailureKind::Timeout), 5_000));
    }
    recorder
}

fn progress(total: &klavier_stats::Snapshot, second: u64) -> Progress<'_> {
    Progress {
        point: TimePoint {
            second,
            users: 20,
            requests: 104,
            failures: 6,
            p50_us: 10_000,
            p99_us: 12_300,
            arrivals: 0,
            dropped: 0,
            waiting: 0,
            histogram: None,
        },
        planned: Duration::from_secs(10),
        total_requests: 104,
        total_failures: 6,
        total_check_failures: 3,
        p99: Duration::from_micros(12_300),
        open_model: false,
        total,
        delta: klavier_stats::Snapshot::empty(2, 1),
    }
}

fn dashboard(second: u64, asked_to_stop: bool) -> Dashboard {
    let total = recorded().take_snapshot();
    let mut view = Dashboard::new("shop", &["home".to_owned(), "login".to_owned()]);
    view.update(
        &progress(&total, second),
        asked_to_stop,
        Some(Target::Users(20)),
    );
    view
}

/// The screen as text, one line per row.
fn screen(view: &Dashboard, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| draw(frame, view)).expect("draws");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
        .collect()
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} on screen:\n{}", lines.join("\n")))
}

#[test]
fn the_model_folds_progress_into_figures() {
    let view = dashboard(3, false);
    assert_eq!((view.second, view.users, view.rate), (3, 20, 104));
    assert!(!view.stopping);
    assert_eq!(view.failures.total, 6);
    assert_eq!(view.failures.checks, 3);
    assert_eq!(view.failures.status, vec![(503, 2)]);
    assert_eq!(view.failures.transport, vec![("timeout", 4)]);
    let home = &view.requests[0];
    assert_eq!((home.count, home.failures, home.failed_checks), (100, 2, 3));
    // Only the 98 successes are in the response-time histogram: 10 ms, within HDR precision.
    let p50 = home.p50.expect("home has responses");
    assert!(
        p50.abs_diff(Duration::from_millis(10)) < Duration::from_micros(50),
        "{p50:?}"
    );
    assert_eq!(view.requests[1].p50, None, "login never got a response");
    assert_eq!(
        view.throughput.iter().copied().collect::<Vec<_>>(),
        vec![104]
    );
    assert_eq!(
        view.p99_history.iter().copied().collect::<Vec<_>>(),
        vec![12_300]
    );
}

#[test]
fn the_rate_of_a_request_is_its_growth_over_the_second() {
    let mut recorder = recorded();
    let first = recorder.peek().clone();
    let mut view = Dashboard::new("shop", &["home".to_owned(), "login".to_owned()]);
    view.update(&progress(&first, 1), false, None);
    for _ in 0..7 {
        recorder.record(0, &sample(Outcome::Status(200), 10));
    }
    let second = recorder.take_snapshot();
    view.update(&progress(&second, 2), false, None);
    assert_eq!(view.requests[0].rate, 7);
    assert_eq!(view.requests[1].rate, 0);
    assert_eq!(view.throughput.len(), 2);
}

#[test]
fn the_screen_shows_headings_and_figures() {
    let lines = screen(&dashboard(3, false), 100, 30);
    assert!(line_with(&lines, "klavier · shop").contains('┌'));
    assert!(
        line_with(&lines, "3s / 10s").contains('█'),
        "the bar is drawn"
    );
    assert!(line_with(&lines, "users").contains("20 of 20"));
    assert!(line_with(&lines, "rate").contains("104 req/s"));
    assert!(line_with(&lines, "p50").contains("10.0ms"));
    assert!(line_with(&lines, "p99").contains("12.3ms"));
    assert!(line_with(&lines, "failed").contains("6 (5.8%)"));
    assert!(line_with(&lines, "checks ").contains('3'));
    assert!(line_with(&lines, "timeout").contains('4'));
    assert!(line_with(&lines, "HTTP 503").contains('2'));
    line_with(&lines, "Throughput · max 104/s");
    line_with(&lines, "p99 · max 12.3ms");
    let header = line_with(&lines, "request");
    for column in ["req/s", "total", "failed", "checks", "p50", "p99"] {
        assert!(header.contains(column), "{column} in {header:?}");
    }
    let home: Vec<&str> = line_with(&lines, "│home").split_whitespace().collect();
    assert_eq!(home[1..6], ["100", "100", "2", "3", "10.0ms"]);
    let login: Vec<&str> = line_with(&lines, "│login").split_whitespace().collect();
    assert_eq!(login[1..7], ["4", "4", "4", "0", "-", "-"]);
    assert!(line_with(&lines, "q / Ctrl-C").contains("stop"));
}

#[test]
fn a_stop_is_shown_in_the_bar_and_the_footer() {
    let lines = screen(&dashboard(4, true), 100, 30);
    line_with(&lines, "4s / 10s · stopping");
    line_with(&lines, "requests in flight finish");
    // Past the planned duration is the graceful stop, asked for or not.
    let lines = screen(&dashboard(11, false), 100, 30);
    line_with(&lines, "11s / 10s · stopping");
}

#[test]
fn failures_are_red_and_quiet_figures_are_not() {
    let view = dashboard(3, false);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test backend");
    terminal.draw(|frame| draw(frame, &view)).expect("draws");
    let buffer = terminal.backend().buffer();
    let cell_of = |needle: &str| {
        (0..30u16)
            .find_map(|y| {
                let line: String = (0..100u16).map(|x| buffer[(x, y)].symbol()).collect();
                line.find(needle).map(|byte| {
                    let x = line[..byte].chars().count() as u16;
                    buffer[(x, y)].fg
                })
            })
            .unwrap_or_else(|| panic!("{needle:?} not on screen"))
    };
    assert_eq!(cell_of("6 (5.8%)"), ratatui::style::Color::Red);
    assert_ne!(cell_of("104 req/s"), ratatui::style::Color::Red);
}

#[test]
fn a_small_terminal_is_drawn_without_a_panic() {
    for (width, height) in [(20, 5), (1, 1), (60, 12)] {
        let lines = screen(&dashboard(3, false), width, height);
        assert_eq!(lines.len(), usize::from(height));
    }
}

#[test]
fn the_open_model_shows_arrivals_against_the_target_rate() {
    let mut recorder = recorded();
    for _ in 0..3 {
        recorder.record_dropped();
    }
    let total = recorder.take_snapshot();
    let mut p = progress(&total, 2);
    p.open_model = true;
    p.point.arrivals = 48;
    p.point.waiting = 2;
    let mut view = Dashboard::new("shop", &["home".to_owned(), "login".to_owned()]);
    view.update(&p, false, Some(Target::Rate(50.0)));
    let lines = screen(&view, 100, 30);
    assert!(line_with(&lines, "arrivals").contains("48/s of 50/s"));
    assert!(line_with(&lines, "dropped").contains("3 · waiting 2"));
    assert!(
        !line_with(&lines, "users").contains(" of "),
        "no user target in the open model"
    );
}

#[test]
fn the_target_follows_the_load_model_and_the_segment() {
    use klavier_plan::load::Ramp;
    use klavier_plan::segment::Segment;
    use klavier_plan::Load;
    let whole = Segment::new(0, 1).expect("a segment");
    let half = Segment::new(1, 2).expect("a segment");
    let closed = Load::Closed {
        users: Ramp::constant(9.0),
    };
    let at = Duration::from_millis(2_500);
    assert_eq!(Target::of(&closed, whole, at), Target::Users(9));
    assert_eq!(Target::of(&closed, half, at), Target::Users(4));
}

#[test]
fn a_status_that_expect_accepts_is_not_a_failure_on_screen() {
    let mut recorder = recorded();
    // Two 404s, one of them listed in `expect.status` (the engine records both ways).
    recorder.record_judged(1, &sample(Outcome::Status(404), 2), true);
    recorder.record_judged(1, &sample(Outcome::Status(404), 2), false);
    recorder.record_accepted(1, 404);
    let total = recorder.take_snapshot();
    let mut view = Dashboard::new("shop", &["home".to_owned(), "login".to_owned()]);
    view.update(&progress(&total, 1), false, None);
    assert_eq!(view.failures.status, vec![(404, 1), (503, 2)]);
}
