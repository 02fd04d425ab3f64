//! `klavier import`: a profile from what people already have — a browser's HAR
//! recording (`import har`) or a curl command line (`import curl`).
//!
//! Both build a [`draft::Draft`] (`recording.rs` from a HAR, `curl.rs` from curl's
//! words) that `write.rs` turns into TOML. Before the profile is written it is compiled
//! as `klavier check` would, so an import never hands over a profile that does not pass.

mod assets;
mod body;
mod curl;
mod draft;
mod har;
mod headers;
mod recording;
mod tokens;
mod words;
mod write;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::exit::BadInput;

pub use recording::Grouping;

/// `klavier import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import from.
    #[command(subcommand)]
    pub source: Source,
}

/// The sources a profile can be imported from.
#[derive(Debug, Subcommand)]
pub enum Source {
    /// A browser recording (HAR 1.2, "Save all as HAR" in the network panel): a
    /// scenario per page, static assets and credentials left out, think times from the
    /// recording's pauses, tokens from responses carried in variables.
    Har(HarArgs),
    /// One request from a curl command line: `klavier import curl 'curl -X POST …'`, or
    /// its words after `--`: `klavier import curl -- curl -X POST …`.
    Curl(CurlArgs),
}

/// Where an imported profile goes.
#[derive(Debug, Args)]
pub struct Destination {
    /// Write the profile to FILE (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// `klavier import har`.
#[derive(Debug, Args)]
pub struct HarArgs {
    /// The recording (a .har file).
    pub file: PathBuf,
    /// Where the profile goes.
    #[command(flatten)]
    pub destination: Destination,
    /// Keep requests for images, style sheets, scripts, fonts and media.
    #[arg(long)]
    pub include_assets: bool,
    /// Copy the recorded Cookie, Authorization and Proxy-Authorization headers (a live
    /// session: keep the profile private).
    #[arg(long)]
    pub keep_auth: bool,
    /// A scenario per page (each picked at random), or one for the whole recording in
    /// order.
    #[arg(long, value_enum, value_name = "GROUPING", default_value = "page")]
    pub scenario_per: Grouping,
}

/// `klavier import curl`.
#[derive(Debug, Args)]
pub struct CurlArgs {
    /// The curl command: one quoted string, or its words after `--`.
    #[arg(required = true, value_name = "CURL")]
    pub command: Vec<String>,
    /// Where the profile goes.
    #[command(flatten)]
    pub destination: Destination,
}

/// Runs `klavier import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    match &args.source {
        Source::Har(har) => import_har(har),
        Source::Curl(curl) => import_curl(curl),
    }
}

fn import_har(args: &HarArgs) -> anyhow::Result<()> {
    let har = har::read(&args.file)?;
    let options = recording::Options {
        include_assets: args.include_assets,
        keep_auth: args.keep_auth,
        grouping: args.scenario_per,
    };
    let draft = recording::draft(&har, &args.file, &options)?;
    let requests: usize = draft.scenarios.iter().map(|s| s.requests.len()).sum();
    let summary = format!(
        "{requests} request(s) in {} scenario(s) from {}",
        draft.scenarios.len(),
        args.file.display()
    );
    deliver(&write::profile(&draft), &args.destination, &summary)
}

fn import_curl(args: &CurlArgs) -> anyhow::Result<()> {
    let words = match args.command.as_slice() {
        [line] => words::split(line).map_err(|e| BadInput(format!("the curl command: {e}")))?,
        words => words.to_vec(),
    };
    let (draft, warnings) =
        curl::draft(&words).map_err(|e| BadInput(format!("klavier import curl: {e}")))?;
    for warning in warnings {
        eprintln!("klavier import curl: {warning}");
    }
    deliver(&write::profile(&draft), &args.destination, "one request")
}

/// Checks the profile compiles, then writes it where asked.
fn deliver(text: &str, destination: &Destination, summary: &str) -> anyhow::Result<()> {
    let name = destination
        .output
        .as_deref()
        .unwrap_or(Path::new("imported.toml"));
    // Relative files a profile names (ca_file) are found beside where it will live.
    klavier_plan::compile(text, name, &klavier_plan::Overrides::default()).map_err(|e| {
        BadInput(format!(
            "the imported profile does not pass check (please report this):\n{e}\n\n{text}"
        ))
    })?;
    let Some(path) = &destination.output else {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing the profile");
    };
    if path.exists() && !destination.force {
        return Err(BadInput(format!(
            "{} exists; pass --force to replace it, or -o another file",
            path.display()
        ))
        .into());
    }
    crate::output::check_writable(path, "the profile")?;
    crate::output::write(path, "the profile", text.as_bytes().to_vec())?;
    eprintln!(
        "klavier import: wrote {} ({summary}); next: klavier check {0}",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
