//! Klavier: layer-7 HTTP/S load testing that simulates application usage.
//!
//! The binary's runtime as a library, so integration tests and benchmarks reach the
//! same code the `klavier` command runs. Data flows one way:
//! profile → [`klavier_plan::Plan`] → `engine` → [`klavier_stats::Recorder`] → `report`.
//!
//! The modules stay private so the compiler finds code nobody uses; only the command's
//! entry point and what the criterion benches time are exported.

use std::process::ExitCode;

use clap::Parser;

mod app;
mod cli;
mod dry_run;
mod engine;
mod exit;
mod http;
mod import;
mod init;
mod live;
mod output;
mod outputs;
mod quick;
mod report;
mod scale;
mod search;
mod session;
mod shell;
mod thresholds;

pub use http::Connector;
pub use session::{Session, Shared};

/// Runs the `klavier` command with the process's arguments and says how it ended.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match app::main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}
