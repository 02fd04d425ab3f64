//! The single mapping from an error to an exit code, and how it is shown.
//!
//! 0 success · 1 the run itself failed · 2 bad usage or profile · 3 thresholds not met.

use std::process::ExitCode;

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
    eprintln!("error: {err:#}");
    ExitCode::from(code(err))
}

/// The exit code for `err`.
pub fn code(err: &anyhow::Error) -> u8 {
    let bad_input = err
        .chain()
        .any(|cause| cause.is::<BadInput>() || cause.is::<klavier_plan::ProfileError>());
    if bad_input {
        BAD_INPUT
    } else if err
        .chain()
        .any(|cause| cause.is::<ThresholdsFailed>() || cause.is::<Regressed>())
    {
        THRESHOLDS_FAILED
    } else {
        RUN_FAILED
    }
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
}
