//! The command line, as clap derive types. Doc comments here are the `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Klavier: layer-7 HTTP/S load testing that simulates application usage.
///
/// Virtual users pick scenarios by weight and send their requests in order, one at a
/// time; Klavier reports throughput, latency percentiles and errors per request and
/// per scenario.
#[derive(Debug, Parser)]
#[command(name = "klavier", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a load test from a TOML profile.
    Run(RunArgs),
    /// Validate a profile and print the compiled plan, without sending anything.
    Check(CheckArgs),
    /// Run the bundled demo profile against the built-in target for ten seconds.
    Demo(DemoArgs),
    /// Serve the built-in target (for trying profiles) until Ctrl-C.
    Target(TargetArgs),
    /// Render a saved JSON result again: as an HTML report, or as the text summary.
    Report(ReportArgs),
    /// Compare two results of the same profile: per request, what changed and whether
    /// it is more than noise (exit code 3 on a significant regression).
    Compare(CompareArgs),
    /// Merge the JSON results of a run's segments (`run --segment I/N`) into the result
    /// of the whole run.
    Merge(crate::scale::MergeArgs),
    /// Print a Kubernetes manifest (a ConfigMap and an Indexed Job) that runs a profile
    /// as N segments.
    K8s(crate::scale::K8sArgs),
    /// Write a commented starter profile (every section, defaults shown) to edit and run.
    Init(crate::init::InitArgs),
    /// Write a profile from a browser recording (HAR) or a curl command line.
    Import(crate::import::ImportArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(crate::shell::CompletionsArgs),
    /// Print the man page (roff), e.g. klavier man > /usr/local/share/man/man1/klavier.1
    Man,
    /// Find the highest open-model arrival rate that still meets the SLOs: steps of
    /// rate, growing then bisecting, each judged on its own (exit 3 if even the first
    /// step fails).
    Search(crate::search::SearchArgs),
}

/// `klavier compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline result (`klavier run --json`).
    pub base: PathBuf,
    /// The result to judge against it.
    pub new: PathBuf,
    /// The largest slow-down of p50, p90 or p99 (and rise of the error rate, in points)
    /// tolerated, e.g. 10% or 0.1.
    #[arg(long, value_name = "SHARE", default_value = "10%", value_parser = parse_share)]
    pub max_regression: f64,
    /// The significance level of the test: a smaller p-value is taken as a real change.
    #[arg(long, value_name = "P", default_value_t = 0.01)]
    pub alpha: f64,
    /// Also write the comparison as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

fn parse_share(text: &str) -> Result<f64, String> {
    let value = match text.trim().strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.trim().parse::<f64>(),
    };
    match value {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{text:?} is not a share such as 10% or 0.1")),
    }
}

/// `klavier report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A result written by `klavier run --json`.
    pub result: PathBuf,
    /// Write the self-contained HTML report to FILE (without it, print the summary).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Every column of the summary's tables, unwrapped.
    #[arg(long)]
    pub wide: bool,
}

/// `klavier run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The profile (TOML); or none, with --url (quick mode).
    pub profile: Option<PathBuf>,
    /// Quick mode: one request from flags instead of a profile.
    #[command(flatten)]
    pub quick: crate::quick::QuickArgs,
    /// Changes to the profile.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Output and execution options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Running one segment of a run split over many processes.
    #[command(flatten)]
    pub scale: crate::scale::ScaleArgs,
}

/// `klavier check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The profile (TOML).
    pub profile: PathBuf,
    /// Changes to the profile.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Preview what the plan will do instead of printing it: per stage the users or
    /// rate, the expected requests per second and in total per request, connections
    /// and file descriptors against the open-file limit, and warnings. Sends nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: how long every exchange is assumed to take (the closed model's
    /// rates follow from it; a paced profile's barely depend on it).
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration, requires = "dry_run")]
    pub assume_latency: Duration,
    /// With --dry-run: write the preview as JSON (klavier.preview/v1) to FILE; `-` for
    /// stdout, instead of the text.
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub json: Option<PathBuf>,
}

/// `klavier demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Changes to the demo profile.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Output and execution options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `klavier target`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Hold every response for STALL at the start of every PERIOD, e.g. 200ms/1s (a
    /// server pausing for garbage collection), to see what each load model reports.
    #[arg(long, value_name = "STALL/PERIOD")]
    pub stall: Option<klavier_testbed::Stall>,
    /// Serve at most N requests at a time, each held for --service (a server of known
    /// capacity, N / service per second, for `klavier search`); the rest queue in order.
    #[arg(long, value_name = "N", requires = "service",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub workers: Option<u32>,
    /// How long each of the --workers holds a request, e.g. 5ms.
    #[arg(long, value_name = "DURATION", requires = "workers", value_parser = parse_positive_duration)]
    pub service: Option<Duration>,
}

impl TargetArgs {
    /// The capacity limit asked for, if any.
    pub fn capacity(&self) -> Option<klavier_testbed::Capacity> {
        let (workers, service) = (self.workers?, self.service?);
        Some(klavier_testbed::Capacity { workers, service })
    }
}

/// Values that replace the profile's.
#[derive(Debug, Args, Clone, Default)]
pub struct OverrideArgs {
    /// Number of virtual users (replaces `[load] users`).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub users: Option<u32>,
    /// Test duration, e.g. 30s, 2m, 1m30s (replaces `[timings] test_duration_seconds`).
    #[arg(short, long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Option<Duration>,
    /// Base URL of the target, e.g. http://127.0.0.1:8080 (replaces `[target] base_url`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Seed of every random choice: the same seed makes the same choices.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Reach the users linearly over this time, e.g. 30s (replaces `[load] ramp_up`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub ramp_up: Option<Duration>,
    /// Measure the first DURATION apart, out of the figures, e.g. 10s (replaces
    /// `[timings] warmup`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// A load stage, repeatable: reach TARGET users (or, with --rate, scenario starts per
    /// second) linearly over DURATION, e.g. --stage 30s:100 --stage 1m:100 --stage 20s:0
    /// (replaces `[load] stages`).
    #[arg(long = "stage", value_name = "DURATION:TARGET", value_parser = parse_stage)]
    pub stages: Vec<StageArg>,
    /// Open model: start this many scenarios per second, whatever the server does
    /// (replaces `[load] arrival_rate`).
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// A template variable, repeatable: --var tenant=acme (replaces or adds to
    /// `[variables]`).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A pass/fail criterion, repeatable (added to `[thresholds]`): "p99 < 250ms",
    /// "error_rate < 1%", "rate >= 500/s", "checks > 99%", "dropped == 0"; on one row:
    /// "request NAME: p95 < 100ms", "scenario NAME: error_rate < 5%". Exit code 3 when
    /// one fails.
    #[arg(long = "threshold", value_name = "EXPRESSION")]
    pub thresholds: Vec<String>,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| "expected NAME=VALUE, e.g. --var tenant=acme".to_owned())?;
    Ok((name.trim().to_owned(), value.to_owned()))
}

/// One `--stage DURATION:TARGET`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageArg {
    /// How long the stage takes.
    pub duration: Duration,
    /// Users, or scenario starts per second with `--rate`.
    pub target: f64,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (expected e.g. 30s, 2m, 1m30s)"))
}

fn parse_stage(text: &str) -> Result<StageArg, String> {
    let (duration, target) = text
        .split_once(':')
        .ok_or_else(|| "expected DURATION:TARGET, e.g. 30s:100".to_owned())?;
    let target: f64 = target
        .trim()
        .parse()
        .map_err(|_| format!("{target:?} is not a number (expected e.g. 30s:100)"))?;
    if !target.is_finite() || target < 0.0 {
        return Err("the target must be zero or more".to_owned());
    }
    Ok(StageArg {
        duration: parse_duration(duration.trim())?,
        target,
    })
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number of scenario starts per second"
        )),
    }
}

/// Where results go and how the run executes.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Also write the result as JSON (schema klavier.result/v1) to FILE; `-` writes it to
    /// stdout (the summary then goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a CSV file: a row per request, per scenario and the totals (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write the self-contained HTML report (charts, tables, thresholds) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also write JUnit XML for CI: a test case per threshold and per request's checks
    /// (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// No live progress on stderr; only the final summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Plain progress lines on stderr instead of the live dashboard (which is shown
    /// when stdout is a terminal and `NO_COLOR` is not set).
    #[arg(long)]
    pub no_tui: bool,
    /// Every column of the summary's tables, unwrapped (by default it fits 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("{e} (expected e.g. 30s, 2m, 1m30s)"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stages_read_duration_and_target() {
        let stage = parse_stage("1m30s:250").expect("valid");
        assert_eq!(
            stage,
            StageArg {
                duration: Duration::from_secs(90),
                target: 250.0
            }
        );
        assert!(parse_stage("30s").is_err());
        assert!(parse_stage("30s:-1").is_err());
        assert!(parse_stage("soon:5").is_err());
        assert!(parse_rate("0").is_err());
        assert_eq!(parse_rate("12.5"), Ok(12.5));
    }

    #[test]
    fn durations_are_humane_and_positive() {
        assert_eq!(
            parse_positive_duration("1m30s"),
            Ok(Duration::from_secs(90))
        );
        assert!(parse_positive_duration("0s").is_err());
        assert!(parse_positive_duration("ten").is_err());
    }
}
