//! `klavier merge`: the results of a run's segments, from files or from standard input
//! (one JSON result per line, other lines skipped, so `kubectl logs` can be piped in),
//! merged into the result of the whole run.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use klavier_stats::Summary;

use crate::exit::BadInput;
use crate::{output, report};

/// `klavier merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Result files of the segments (`klavier run --segment I/N --json FILE`); `-` reads
    /// standard input, one JSON result per line (other lines are skipped).
    #[arg(required = true, value_name = "RESULT")]
    pub results: Vec<PathBuf>,
    /// Write the merged result as JSON (klavier.result/v1) to FILE.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No summary on standard output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads, merges and writes; the summary of the whole run goes to standard output.
pub fn merge(args: &MergeArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.output {
        output::check_writable(path, "the merged result")?;
    }
    let mut parts = Vec::new();
    for path in &args.results {
        parts.extend(read(path)?);
    }
    let merged = Summary::merge(&parts).map_err(|e| BadInput(format!("klavier merge: {e}")))?;
    if let Some(info) = merged.merge.as_ref().filter(|info| info.partial) {
        eprintln!("warning: {}", info.describe());
    }
    if let Some(path) = &args.output {
        write_json(&merged, path)?;
    }
    if !args.quiet {
        let mut stdout = std::io::stdout().lock();
        report::write_text(&merged, &mut stdout)
            .and_then(|()| stdout.flush())
            .context("writing the summary")?;
    }
    Ok(())
}

/// The results in `path` (`-`: standard input).
fn read(path: &Path) -> anyhow::Result<Vec<Summary>> {
    let (label, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading results from standard input")?;
        ("standard input".to_owned(), text)
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BadInput(format!("cannot read the result {}: {e}", path.display())))?;
        (path.display().to_string(), text)
    };
    parse(&text, &label).map_err(|e| BadInput(e).into())
}

/// One JSON document, or results among other lines (a pod's log: each result starts on
/// a line of its own with `{`, on one line or pretty-printed, between lines of text).
fn parse(text: &str, label: &str) -> Result<Vec<Summary>, String> {
    if let Ok(one) = serde_json::from_str::<Summary>(text) {
        return Ok(vec![one]);
    }
    let mut results = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        if text[pos..line_end].trim_start().starts_with('{') {
            let mut stream =
                serde_json::Deserializer::from_str(&text[pos..]).into_iter::<Summary>();
            match stream.next() {
                Some(Ok(result)) => {
                    results.push(result);
                    pos += stream.byte_offset();
                    continue;
                }
                Some(Err(e)) => {
                    let line = text[..pos].matches('\n').count() + 1;
                    return Err(format!(
                        "{label}:{line}: not a Klavier result (klavier.result/v1): {e}"
                    ));
                }
                None => {}
            }
        }
        pos = line_end;
    }
    if results.is_empty() {
        return Err(format!(
            "{label}: no Klavier result in it (expected the JSON of `klavier run --json`, \
             alone or among other lines)"
        ));
    }
    Ok(results)
}

/// Through the run's own output path: a file appears whole (written beside it, then
/// renamed) or not at all.
fn write_json(summary: &Summary, path: &Path) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    report::write_json(summary, &mut bytes).context("rendering the merged result")?;
    output::write(path, "the merged result", bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_found_among_log_lines_pretty_or_not() {
        let summary = crate::report::fixture();
        let pretty = serde_json::to_string_pretty(&summary).expect("serializes");
        let line = serde_json::to_string(&summary).expect("serializes");
        let log = format!("starting\n{pretty}\nKlavier 0.1.0 · closed\n  users 3\n{line}\ndone\n");
        assert_eq!(parse(&log, "log"), Ok(vec![summary.clone(), summary]));
        let err = parse("text\n{\"schema\": 1}\n", "log").expect_err("not a result");
        assert!(err.starts_with("log:2: not a Klavier result"), "{err}");
        assert!(parse("only text\n", "log").is_err());
    }
}
