//! Where the reports of a run go: the files named on the command line (`--json`,
//! `--csv`, `--junit`, `--html`), any one of which may be `-` for stdout, then the text summary —
//! on stdout, or on stderr when a report took stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;
use klavier_stats::Summary;

use crate::cli::OutputArgs;
use crate::exit::BadInput;
use crate::report::{self, TextStyle};

/// A report writer.
type Writer = fn(&Summary, &mut dyn Write) -> std::io::Result<()>;

/// The report files asked for: (path, what it is, its writer).
fn files(args: &OutputArgs) -> Vec<(&Path, &'static str, Writer)> {
    let asked: [(Option<&Path>, &'static str, Writer); 4] = [
        (args.json.as_deref(), "the JSON result", |s, mut out| {
            report::write_json(s, &mut out)
        }),
        (args.csv.as_deref(), "the CSV report", |s, mut out| {
            report::write_csv(s, &mut out)
        }),
        (args.junit.as_deref(), "the JUnit report", |s, mut out| {
            report::write_junit(s, &mut out)
        }),
        (args.html.as_deref(), "the HTML report", |s, mut out| {
            report::write_html(s, &mut out)
        }),
    ];
    asked
        .into_iter()
        .filter_map(|(path, what, writer)| Some((path?, what, writer)))
        .collect()
}

fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Before anything is sent: refuses two reports on stdout, and checks every file can
/// be written (a typo in a path must not cost a whole run).
pub fn check(args: &OutputArgs) -> Result<(), BadInput> {
    let files = files(args);
    let on_stdout: Vec<&str> = files
        .iter()
        .filter(|(path, _, _)| is_stdout(path))
        .map(|(_, what, _)| *what)
        .collect();
    if on_stdout.len() > 1 {
        return Err(BadInput(format!(
            "only one report can go to stdout (-), but {} both asked for it",
            on_stdout.join(" and ")
        )));
    }
    for (path, what, _) in files.iter().filter(|(path, _, _)| !is_stdout(path)) {
        crate::output::check_writable(path, what)?;
    }
    Ok(())
}

/// Writes every report: files first, so a closed stdout cannot lose them, then what
/// goes to stdout, then the text summary. Returns the first error after trying all.
pub fn write_all(summary: &Summary, args: &OutputArgs) -> anyhow::Result<()> {
    let files = files(args);
    let mut first_error = None;
    let (to_stdout, to_files): (Vec<_>, Vec<_>) =
        files.iter().partition(|(path, _, _)| is_stdout(path));
    for (path, what, writer) in to_files {
        if let Err(e) = write_output(path, what, |out| writer(summary, out)) {
            first_error.get_or_insert(e);
        }
    }
    for (_, what, writer) in &to_stdout {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) =
            writer(summary, &mut stdout).with_context(|| format!("writing {what} to stdout"))
        {
            first_error.get_or_insert(e);
        }
    }
    let text = if to_stdout.is_empty() {
        let stdout = std::io::stdout();
        let style = text_style(stdout.is_terminal(), args.wide);
        write_text(summary, &mut stdout.lock(), style)
    } else {
        let stderr = std::io::stderr();
        let style = text_style(stderr.is_terminal(), args.wide);
        write_text(summary, &mut stderr.lock(), style)
    };
    match first_error {
        Some(e) => Err(e),
        None => text,
    }
}

/// The text summary's layout for a stream: colour on a terminal unless `NO_COLOR`.
pub fn text_style(terminal: bool, wide: bool) -> TextStyle {
    TextStyle::for_terminal(terminal, std::env::var_os("NO_COLOR").as_deref(), wide)
}

fn write_text(summary: &Summary, mut out: &mut dyn Write, style: TextStyle) -> anyhow::Result<()> {
    report::write_text_styled(summary, &mut out, style)
        .and_then(|()| out.flush())
        .context("writing the summary")
}

/// Writes one output file (`what` names it in errors), rendered whole first, then
/// written atomically by [`crate::output::write`]: every report file goes through here.
pub fn write_output(
    path: &Path,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    write(&mut bytes).with_context(|| format!("rendering {what}"))?;
    crate::output::write(path, what, bytes)
}
