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
}

/// `klavier run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The profile (TOML).
    pub profile: PathBuf,
    /// Changes to the profile.
    #[command(flatten)]
    pub overrides: OverrideArgs,
    /// Output and execution options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `klavier check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The profile (TOML).
    pub profile: PathBuf,
    /// Changes to the profile.
    #[command(flatten)]
    pub overrides: OverrideArgs,
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
}

/// Values that replace the profile's.
#[derive(Debug, Args, Clone, Default)]
pub struct OverrideArgs {
    /// Number of virtual users (replaces `[load] users`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub users: Option<u32>,
    /// Test duration, e.g. 30s, 2m, 1m30s (replaces `[timings] test_duration_seconds`).
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub duration: Option<Duration>,
    /// Base URL of the target, e.g. http://127.0.0.1:8080 (replaces `[target] base_url`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Seed of every random choice: the same seed makes the same choices.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// Where results go and how the run executes.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Also write the result as JSON (schema klavier.result/v1) to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No live progress on stderr; only the final summary.
    #[arg(long, short)]
    pub quiet: bool,
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
    fn durations_are_humane_and_positive() {
        assert_eq!(
            parse_positive_duration("1m30s"),
            Ok(Duration::from_secs(90))
        );
        assert!(parse_positive_duration("0s").is_err());
        assert!(parse_positive_duration("ten").is_err());
    }
}
