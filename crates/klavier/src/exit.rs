//! The single mapping from an error to an exit code, and how it is shown.
//!
//! 0 success · 1 the run itself failed · 2 bad usage or profile · 3 thresholds not met ·
//! 130 stopped by SIGINT (Ctrl-C) · 143 stopped by SIGTERM, after every report was written.

use std::process::ExitCode;

use crate::engine::StopSignal;

/// Bad input from the user (profile, flags, files they named): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The run completed and its reports are written, but thresholds failed: exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} thresholds failed")]
pub struct ThresholdsFailed {
    /// How many failed.
    pub failed: usize,
    /// How many were judged.
    pub total: usize,
}

/// `klavier compare` found a significant regression: exit code 3, as CI gates on it.
#[derive(Debug, thiserror::Error)]
#[error("{0} significant regression(s)")]
pub struct Regressed(pub usize);

/// `klavier search` found no rate that meets the SLOs (even the first step failed):
/// exit code 3, as for failed thresholds.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoCapacity(pub String);

/// A run stopped early by a signal. Its reports are written; the exit code (130 for
/// SIGINT, 143 for SIGTERM: 128 + the signal's number, as a shell reports a process the
/// signal killed) tells CI it was not a full run.
#[derive(Debug, thiserror::Error)]
#[error("stopped by {}", .0.name())]
pub struct Stopped(pub StopSignal);

/// Exit code for a run stopped by SIGINT.
pub const INTERRUPTED: u8 = 130;
/// Exit code for a run stopped by SIGTERM.
pub const TERMINATED: u8 = 143;

/// Exit code for bad usage or a bad profile.
pub const BAD_INPUT: u8 = 2;
/// Exit code for a run whose thresholds were not met (CI gates on it).
pub const THRESHOLDS_FAILED: u8 = 3;
/// Exit code for a run that could not be carried out.
pub const RUN_FAILED: u8 = 1;

/// Prints `err` to stderr and returns the exit code it deserves.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        // The reader went away (e.g. `klavier run … | head`): not our failure.
        return ExitCode::SUCCESS;
    }
    if let Some(Stopped(signal)) = err.downcast_ref::<Stopped>() {
        // Not an error: the user asked for it, and the summary says so.
        eprintln!("klavier: stopped by {}", signal.name());
    } else {
        eprintln!("error: {}", escape_controls(&format!("{err:#}")));
    }
    ExitCode::from(code(err))
}

/// The exit code for `err`.
pub fn code(err: &anyhow::Error) -> u8 {
    // Anywhere in the chain: a FIFO nobody read, given up at a signal, is still a stop.
    if let Some(Stopped(signal)) = err.chain().find_map(|c| c.downcast_ref::<Stopped>()) {
        return match signal {
            StopSignal::Interrupt => INTERRUPTED,
            StopSignal::Terminate => TERMINATED,
        };
    }
    let bad_input = err
        .chain()
        .any(|cause| cause.is::<BadInput>() || cause.is::<klavier_plan::ProfileError>());
    if bad_input {
        BAD_INPUT
    } else if err.chain().any(|cause| {
        cause.is::<ThresholdsFailed>() || cause.is::<Regressed>() || cause.is::<NoCapacity>()
    }) {
        THRESHOLDS_FAILED
    } else {
        RUN_FAILED
    }
}

/// `text` with control characters other than newline and tab escaped: an error may
/// carry a server's words (a reason phrase, an OS error about its data), and a server
/// must not send escape sequences to the user's terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect::<String>()
        .into()
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_anywhere_in_the_chain_is_exit_2() {
        let err = anyhow::Error::new(BadInput("no".into())).context("reading");
        assert_eq!(code(&err), BAD_INPUT);
        assert_eq!(code(&anyhow::anyhow!("socket")), RUN_FAILED);
    }

    #[test]
    fn failed_thresholds_are_exit_3() {
        let err = anyhow::Error::new(ThresholdsFailed {
            failed: 1,
            total: 2,
        });
        assert_eq!(err.to_string(), "1 of 2 thresholds failed");
        assert_eq!(code(&err), THRESHOLDS_FAILED);
    }

    #[test]
    fn control_characters_are_escaped_but_lines_kept() {
        assert_eq!(
            escape_controls("a\u{1b}[31mred\nnext\r"),
            "a\\u{1b}[31mred\nnext\\r"
        );
        assert!(matches!(
            escape_controls("plain\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_signal_is_128_plus_its_number() {
        let int = anyhow::Error::new(Stopped(StopSignal::Interrupt));
        let term = anyhow::Error::new(Stopped(StopSignal::Terminate));
        assert_eq!((code(&int), code(&term)), (130, 143));
    }
}
