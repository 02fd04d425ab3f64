//! The dashboard's layout: a pure function of [`Dashboard`] into a frame, so tests
//! draw it on ratatui's `TestBackend` and read the buffer.
//!
//! ```text
//! ┌ klavier · profile ──────────────────────────────────────────┐
//! │██████████░░░░░░░░░░░░░░░  3s / 10s                          │  progress
//! ├ Load ──────────┬ Latency (last second) ┬ Failures ──────────┤  figures
//! ├ Throughput (req/s) ──────────┬ p99 ─────────────────────────┤  sparklines
//! ├ Requests ───────────────────────────────────────────────────┤  per-request table
//!  q / Ctrl-C stop (reports are still written)                     footer
//! ```

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::model::{Dashboard, RequestRow, Target};
use crate::live::short_duration;

/// Draws the whole dashboard into `frame`.
pub fn draw(frame: &mut Frame, view: &Dashboard) {
    // The table takes what its rows need (borders and header: 3 lines), the charts the rest.
    let table_height = u16::try_from(view.requests.len() + 3).unwrap_or(u16::MAX);
    let [progress, figures, charts, table, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Min(5),
        Constraint::Max(table_height),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_progress(frame, progress, view);
    draw_figures(frame, figures, view);
    draw_charts(frame, charts, view);
    draw_requests(frame, table, view);
    draw_footer(frame, footer, view);
}

fn block(title: &str) -> Block<'static> {
    Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" {title} "),
        Style::default().add_modifier(Modifier::BOLD),
    ))
}

fn draw_progress(frame: &mut Frame, area: Rect, view: &Dashboard) {
    let stage = if view.stopping { " · stopping" } else { "" };
    let label = format!("{}s / {}s{stage}", view.second, view.planned.as_secs());
    let gauge = Gauge::default()
        .block(block(&format!("klavier · {}", view.profile)))
        .gauge_style(Style::default().fg(Color::Cyan))
        .ratio(view.progress())
        .label(label);
    frame.render_widget(gauge, area);
}

fn draw_figures(frame: &mut Frame, area: Rect, view: &Dashboard) {
    let [load, latency, failures] = Layout::horizontal([
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
    ])
    .areas(area);
    let lines = load_lines(view);
    frame.render_widget(Paragraph::new(lines).block(block("Load")), load);
    let lines = vec![
        figure("p50", short_duration(view.p50)),
        figure("p99", short_duration(view.p99)),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block("Latency (last second)")),
        latency,
    );
    frame.render_widget(
        Paragraph::new(failure_lines(view)).block(block("Failures")),
        failures,
    );
}

fn load_lines(view: &Dashboard) -> Vec<Line<'static>> {
    let users = match view.target {
        Some(Target::Users(target)) => format!("{} of {target}", view.users),
        _ => view.users.to_string(),
    };
    let mut lines = vec![
        figure("users", users),
        figure("rate", format!("{} req/s", view.rate)),
        figure("total", view.total_requests.to_string()),
    ];
    if let Some(a) = view.arrivals {
        let target = match view.target {
            Some(Target::Rate(rate)) => format!(" of {rate:.0}/s"),
            _ => String::new(),
        };
        lines.push(figure("arrivals", format!("{}/s{target}", a.started)));
        let dropped = format!("{} · waiting {}", a.dropped, a.waiting);
        lines.push(alarm("dropped", dropped, a.dropped));
    }
    lines
}

fn failure_lines(view: &Dashboard) -> Vec<Line<'static>> {
    let f = &view.failures;
    let share = if view.total_requests == 0 {
        0.0
    } else {
        100.0 * f.total as f64 / view.total_requests as f64
    };
    let mut lines = vec![
        alarm("failed", format!("{} ({share:.1}%)", f.total), f.total),
        alarm("checks", f.checks.to_string(), f.checks),
    ];
    for (code, n) in &f.status {
        lines.push(alarm(&format!("HTTP {code}"), n.to_string(), *n));
    }
    for (kind, n) in &f.transport {
        lines.push(alarm(kind, n.to_string(), *n));
    }
    lines
}

/// `name  value`, the name dimmed.
fn figure(name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<9}"), Style::default().fg(Color::DarkGray)),
        Span::styled(value, Style::default().add_modifier(Modifier::BOLD)),
    ])
}

/// A figure in red when it is not zero: failures must stand out.
fn alarm(name: &str, value: String, n: u64) -> Line<'static> {
    let mut line = figure(name, value);
    if n > 0 {
        line = line.style(Style::default().fg(Color::Red));
    }
    line
}

fn draw_charts(frame: &mut Frame, area: Rect, view: &Dashboard) {
    let [rate, p99] =
        Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(area);
    let per_second = |n: u64| format!("{n}/s");
    let micros = |n: u64| short_duration(std::time::Duration::from_micros(n));
    let rate_title: (&str, &dyn Fn(u64) -> String) = ("Throughput", &per_second);
    let p99_title: (&str, &dyn Fn(u64) -> String) = ("p99", &micros);
    sparkline(frame, rate, rate_title, &view.throughput, Color::Green);
    sparkline(frame, p99, p99_title, &view.p99_history, Color::Yellow);
}

/// The newest values that fit the area's inner width, newest on the right.
fn sparkline(
    frame: &mut Frame,
    area: Rect,
    (title, unit): (&str, &dyn Fn(u64) -> String),
    history: &std::collections::VecDeque<u64>,
    color: Color,
) {
    let width = usize::from(area.width.saturating_sub(2));
    let skip = history.len().saturating_sub(width);
    let data: Vec<u64> = history.iter().skip(skip).copied().collect();
    let peak = data.iter().copied().max().unwrap_or(0);
    let widget = Sparkline::default()
        .block(block(&format!("{title} · max {}", unit(peak))))
        .style(Style::default().fg(color))
        .data(&data);
    frame.render_widget(widget, area);
}

fn draw_requests(frame: &mut Frame, area: Rect, view: &Dashboard) {
    let header = Row::new([
        "request", "req/s", "total", "failed", "checks", "p50", "p99",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows = view.requests.iter().map(request_row);
    let widths = [
        Constraint::Min(16),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block("Requests (so far)"));
    frame.render_widget(table, area);
}

fn request_row(r: &RequestRow) -> Row<'static> {
    let red = |n: u64| {
        let cell = Cell::from(n.to_string());
        if n > 0 {
            cell.style(Style::default().fg(Color::Red))
        } else {
            cell
        }
    };
    Row::new(vec![
        Cell::from(r.name.clone()),
        Cell::from(r.rate.to_string()),
        Cell::from(r.count.to_string()),
        red(r.failures),
        red(r.failed_checks),
        Cell::from(r.p50.map_or_else(|| "-".to_owned(), short_duration)),
        Cell::from(r.p99.map_or_else(|| "-".to_owned(), short_duration)),
    ])
}

fn draw_footer(frame: &mut Frame, area: Rect, view: &Dashboard) {
    let text = if view.stopping {
        " stopping: requests in flight finish · q / Ctrl-C again cuts them off"
    } else {
        " q / Ctrl-C stop (every report is still written)"
    };
    frame.render_widget(
        Paragraph::new(text).style(Style::default().fg(Color::DarkGray)),
        area,
    );
}
