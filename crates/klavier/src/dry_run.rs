//! `klavier check --dry-run`: the plan preview. Gathers what the prediction takes as
//! given from the machine (worker threads, the open-file limits), has the plan crate
//! predict, and writes the text or the JSON.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use klavier_plan::preview::{self, Assumptions};
use klavier_plan::Plan;

use crate::output;
use crate::report::{write_preview_json, write_preview_text};

/// Previews `plan` assuming `latency` per exchange; with `json`, writes the JSON there
/// (`-`: stdout, instead of the text).
pub fn preview(plan: &Plan, latency: Duration, json: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = json {
        output::check_writable(path, "the preview")?;
    }
    let assumptions = Assumptions {
        latency,
        threads: crate::app::default_threads(),
        open_files: rlimit::getrlimit(rlimit::Resource::NOFILE).ok(),
    };
    let preview = preview::preview(plan, &assumptions);
    // Not `print!`, which panics when the reader has gone: a broken pipe is success.
    let mut stdout = std::io::stdout().lock();
    match json {
        Some(path) if path == Path::new("-") => write_preview_json(&preview, &mut stdout),
        Some(path) => {
            let mut bytes = Vec::new();
            write_preview_json(&preview, &mut bytes).context("writing the preview")?;
            output::write(path, "the preview", bytes)?;
            write_preview_text(&preview, &mut stdout)
        }
        None => write_preview_text(&preview, &mut stdout),
    }
    .and_then(|()| stdout.flush())
    .context("writing the preview")
}
