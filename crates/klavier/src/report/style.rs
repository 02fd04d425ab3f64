//! How the text summary is laid out for a terminal: at most so many columns (tables
//! drop their least needed columns, prose wraps), and colour for failures and warnings.
//! The writers stay plain; this is one layer over their text.

/// How to lay out the text summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// The most columns a line may take (`None`: every column, unwrapped: `--wide`).
    pub width: Option<usize>,
    /// ANSI colours for failures, passes and warnings.
    pub colour: bool,
}

/// The default width: a common terminal, and most CI log viewers.
pub const WIDTH: usize = 100;

impl Default for TextStyle {
    /// 100 columns, no colour.
    fn default() -> Self {
        TextStyle {
            width: Some(WIDTH),
            colour: false,
        }
    }
}

impl TextStyle {
    /// For a terminal: colour when `terminal` and `NO_COLOR` is unset or empty
    /// (<https://no-color.org>), all columns when `wide`.
    pub fn for_terminal(terminal: bool, no_color: Option<&std::ffi::OsStr>, wide: bool) -> Self {
        TextStyle {
            width: (!wide).then_some(WIDTH),
            colour: terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// Latency columns a narrow table drops first, least needed first.
pub(super) const DROP_ORDER: &[&str] = &["stddev", "min", "p99.9", "p95", "mean", "weight", "p90"];

/// Wraps lines longer than `width` at spaces (tables fit already, by dropping columns:
/// what is left is prose). A continuation lines up under the text after the line's last
/// label column (a run of two spaces), else under its indent plus two.
pub(super) fn wrap_prose(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        let hang = " ".repeat(hanging_indent(body, width));
        let mut current = String::new();
        for (i, word) in body.split(' ').enumerate() {
            let fits = current.chars().count() + 1 + word.chars().count() <= width;
            if i == 0 || fits || current.trim().is_empty() {
                if i > 0 {
                    current.push(' ');
                }
                current.push_str(word);
            } else {
                out.push_str(current.trim_end());
                out.push('\n');
                current = format!("{hang}{word}");
            }
        }
        out.push_str(current.trim_end());
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Where continuations of `line` start: after its last run of two spaces within the
/// first half of `width`, else its indent plus two.
fn hanging_indent(line: &str, width: usize) -> usize {
    let indent = line.chars().take_while(|&c| c == ' ').count();
    let chars: Vec<char> = line.chars().collect();
    let label_end = (indent + 1..chars.len().min(width / 2 + 1))
        .rfind(|&i| i >= 2 && chars[i] != ' ' && chars[i - 1] == ' ' && chars[i - 2] == ' ');
    label_end.unwrap_or(indent + 2)
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// Colours what a reader must not miss: `FAIL` red and `ok` green in the thresholds,
/// `WARNING` lines yellow, a headline with failures red.
pub(super) fn colourize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let coloured = if let Some(rest) = line.strip_prefix("  FAIL  ") {
            format!("  {BOLD_RED}FAIL{RESET}  {rest}")
        } else if let Some(rest) = line.strip_prefix("  ok    ") {
            format!("  {GREEN}ok{RESET}    {rest}")
        } else if line.trim_start().starts_with("WARNING") {
            format!("{YELLOW}{}{RESET}\n", line.trim_end_matches('\n'))
        } else if line.starts_with("  requests   ")
            && (!line.contains(", 0 failed") || line.contains("failed a check"))
        {
            format!("{RED}{}{RESET}\n", line.trim_end_matches('\n'))
        } else if line.starts_with("Thresholds ") && line.contains("failed") {
            format!("{BOLD_RED}{}{RESET}\n", line.trim_end_matches('\n'))
        } else {
            line.to_owned()
        };
        out.push_str(&coloured);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_under_their_label_or_indent() {
        let text = "  WARNING one two three four five\n  total  1  one two three four\nshort\n";
        let wrapped = wrap_prose(text, 24);
        assert_eq!(
            wrapped,
            "  WARNING one two three\n    four five\n  total  1  one two\n            three four\nshort\n"
        );
        assert!(wrapped.lines().all(|l| l.chars().count() <= 24));
    }

    #[test]
    fn colour_follows_the_terminal_and_no_color() {
        let off = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(TextStyle::for_terminal(true, None, false).colour);
        assert!(TextStyle::for_terminal(true, empty, false).colour);
        assert!(!TextStyle::for_terminal(true, off, false).colour);
        assert!(!TextStyle::for_terminal(false, None, false).colour);
        assert_eq!(TextStyle::for_terminal(false, None, true).width, None);
    }

    #[test]
    fn failures_are_red_passes_green_and_the_rest_untouched() {
        let text = "  FAIL  run  p99 < 1ms  was 2ms\n  ok    run  count > 0\nplain\n";
        let coloured = colourize(text);
        assert!(
            coloured.starts_with("  \x1b[1;31mFAIL\x1b[0m  run"),
            "{coloured:?}"
        );
        assert!(
            coloured.contains("  \x1b[32mok\x1b[0m    run"),
            "{coloured:?}"
        );
        assert!(coloured.ends_with("plain\n"));
    }
}
