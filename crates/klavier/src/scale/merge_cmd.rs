//! `klavier merge`: the results of a run's segments, from files or from standard input
//! (one JSON result per line, other lines skipped, so `kubectl logs` can be piped in),
//! merged into the result of the whole run.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use klavier_stats::Summary;

use crate::exit::BadInput;
use crate::report;

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

/// One JSON document, or JSON lines among other lines (a pod's log: the text summary,
/// then the result).
fn parse(text: &str, label: &str) -> Result<Vec<Summary>, String> {
    if let Ok(one) = serde_json::from_str::<Summary>(text) {
        return Ok(vec![one]);
    }
    let mut results = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if !line.trim_start().starts_with('{') {
            continue;
        }
        let result = serde_json::from_str(line).map_err(|e| {
            format!(
                "{label}:{}: not a Klavier result (klavier.result/v1): {e}",
                n + 1
            )
        })?;
        results.push(result);
    }
    if results.is_empty() {
        return Err(format!(
            "{label}: no Klavier result in it (expected the JSON of `klavier run --json`, or \
             lines of it)"
        ));
    }
    Ok(results)
}

fn write_json(summary: &Summary, path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("creating the merged result {}", path.display()))?;
    let mut out = BufWriter::new(file);
    report::write_json(summary, &mut out)
        .and_then(|()| out.flush())
        .with_context(|| format!("writing the merged result {}", path.display()))
}
