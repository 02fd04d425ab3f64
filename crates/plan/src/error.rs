//! What can go wrong turning a profile file into a plan, and how it reads on a terminal.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// Why a profile could not be compiled into a plan. Every variant is the user's to fix
/// (exit code 2); none is a bug in Klavier.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The profile file could not be read (missing, a directory, no permission…).
    #[error("cannot read profile {}", path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The profile file is not UTF-8 text.
    #[error("{}:{line}:{column}: the profile is not valid UTF-8 text", path.display())]
    NotUtf8 {
        /// The file as given.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
    },
    /// The profile was read but is wrong: every problem found, in file order.
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ProfileError {
    /// The problems found in an [`ProfileError::Invalid`] profile (empty for the other variants).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ProfileError::Invalid(diagnostics) => diagnostics,
            _ => &[],
        }
    }
}

/// One problem in a profile, pointing at the text that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The profile file, or `None` when the problem is in a command-line override
    /// (then `line` and `column` are 0 and are not shown).
    pub path: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Dotted path of the offending key, e.g. `scenarios.login.weight`, or the
    /// command-line flag (`--users`). Empty for TOML syntax errors.
    pub field: String,
    /// What is wrong, naming the value found.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    /// `{path}:{line}:{column}: {field}: {message}` then, if any, `\n  help: {help}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}:{}:{}: ", path.display(), self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// The 1-based line and column (in characters) of byte `offset` in `source`.
/// Offsets past the end, or inside a character, never panic.
pub(crate) fn line_column(source: &[u8], offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    // Count characters, not bytes: a column is what an editor shows.
    let chars = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    let past_end = offset.saturating_sub(source.len());
    (line, chars + 1 + past_end)
}

/// A byte range of the profile text.
pub(crate) type Span = Range<usize>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "ab\nçd\n".as_bytes();
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 2), (1, 3)); // the newline itself
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 5), (2, 2)); // 'd', after a 2-byte 'ç'
        assert_eq!(line_column(text, 7), (3, 1)); // end of input
        assert_eq!(line_column(text, 99), (3, 93)); // past the end: no panic
    }

    #[test]
    fn diagnostic_display_has_path_position_field_message_and_help() {
        let d = Diagnostic {
            path: Some("examples/x.toml".into()),
            line: 5,
            column: 10,
            field: "scenarios.login.weight".into(),
            message: "weight must be a positive integer, found 0".into(),
            help: Some("use 1 or more".into()),
        };
        assert_eq!(
            d.to_string(),
            "examples/x.toml:5:10: scenarios.login.weight: weight must be a positive integer, found 0\n  help: use 1 or more"
        );
    }

    #[test]
    fn command_line_diagnostic_has_no_position() {
        let d = Diagnostic {
            path: None,
            line: 0,
            column: 0,
            field: "--users".into(),
            message: "users must be a positive integer, found 0".into(),
            help: None,
        };
        assert_eq!(
            d.to_string(),
            "--users: users must be a positive integer, found 0"
        );
    }
}
