//! The `klavier` command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = klavier::cli::Cli::parse();
    match klavier::app::main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => klavier::exit::report(&err),
    }
}
