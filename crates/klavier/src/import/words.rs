//! A command line as a POSIX shell splits it into words: what `klavier import curl`
//! reads when the curl command comes as one string.
//!
//! Our own small tokenizer rather than the `shlex` crate because browsers' "Copy as
//! cURL (bash)" quotes anything unusual as `$'…'` (ANSI-C quoting), which `shlex` does
//! not read. Handled: blanks between words, `'…'`, `"…"` (where `\` escapes `$`, `` ` ``,
//! `"`, `\` and a newline), `$'…'` with its escapes, `\` outside quotes, and a
//! backslash-newline (the line continuation of a multi-line command) between words.
//! Nothing is expanded: `$HOME` stays `$HOME`, as the command's author wrote it.

/// The words of `line`, or what is wrong with it (an unterminated quote).
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\\' => match chars.next() {
                // A line continuation joins lines; it is no part of a word.
                Some('\n') => {}
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                Some(escaped) => word.get_or_insert_with(String::new).push(escaped),
                None => return Err("the command ends with a lone \\".to_owned()),
            },
            '\'' => {
                let quoted = single_quoted(&mut chars)?;
                word.get_or_insert_with(String::new).push_str(&quoted);
            }
            '"' => {
                let quoted = double_quoted(&mut chars)?;
                word.get_or_insert_with(String::new).push_str(&quoted);
            }
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                let quoted = ansi_c_quoted(&mut chars)?;
                word.get_or_insert_with(String::new).push_str(&quoted);
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    Ok(words)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn single_quoted(chars: &mut Chars<'_>) -> Result<String, String> {
    let mut text = String::new();
    for c in chars.by_ref() {
        if c == '\'' {
            return Ok(text);
        }
        text.push(c);
    }
    Err("a single quote (') is never closed".to_owned())
}

fn double_quoted(chars: &mut Chars<'_>) -> Result<String, String> {
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(text),
            // Inside double quotes a backslash escapes only these; before anything else
            // it is itself.
            '\\' => match chars.peek().copied() {
                Some('\n') => {
                    chars.next();
                }
                Some(e @ ('$' | '`' | '"' | '\\')) => {
                    chars.next();
                    text.push(e);
                }
                _ => text.push('\\'),
            },
            other => text.push(other),
        }
    }
    Err("a double quote (\") is never closed".to_owned())
}

/// `$'…'`: bash's ANSI-C quoting, after the opening `$'`.
fn ansi_c_quoted(chars: &mut Chars<'_>) -> Result<String, String> {
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return Ok(text),
            '\\' => {
                let escaped = chars
                    .next()
                    .ok_or_else(|| "a $'…' string is never closed".to_owned())?;
                ansi_c_escape(escaped, chars, &mut text);
            }
            other => text.push(other),
        }
    }
    Err("a $'…' string is never closed".to_owned())
}

fn ansi_c_escape(escaped: char, chars: &mut Chars<'_>, text: &mut String) {
    let simple = match escaped {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'e' | 'E' => Some('\u{1b}'),
        'f' => Some('\u{c}'),
        'v' => Some('\u{b}'),
        '\\' | '\'' | '"' | '?' => Some(escaped),
        _ => None,
    };
    if let Some(c) = simple {
        text.push(c);
        return;
    }
    let (radix, max) = match escaped {
        'x' => (16, 2),
        'u' => (16, 4),
        'U' => (16, 8),
        '0'..='7' => (8, 2), // the first octal digit is `escaped` itself
        _ => {
            // Unknown escapes stay as written, as bash leaves them.
            text.push('\\');
            text.push(escaped);
            return;
        }
    };
    let mut digits = String::new();
    if radix == 8 {
        digits.push(escaped);
    }
    while digits.len() < max + usize::from(radix == 8) {
        match chars.peek() {
            Some(d) if d.is_digit(radix) => {
                digits.push(*d);
                chars.next();
            }
            _ => break,
        }
    }
    match u32::from_str_radix(&digits, radix)
        .ok()
        .and_then(char::from_u32)
    {
        Some(c) if !digits.is_empty() => text.push(c),
        _ => {
            text.push('\\');
            text.push(escaped);
            text.push_str(digits.trim_start_matches(escaped));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    #[test]
    fn blanks_separate_words_and_quotes_join_them() {
        assert_eq!(words("  curl  -X\tPOST  "), ["curl", "-X", "POST"]);
        assert_eq!(
            words(r#"-H 'A: b c' -d "x y""#),
            ["-H", "A: b c", "-d", "x y"]
        );
        assert_eq!(words(r#"a'b'"c"d"#), ["abcd"]);
        assert_eq!(words("''"), [""]);
        assert_eq!(words(r"a\ b"), ["a b"]);
    }

    #[test]
    fn double_quotes_escape_only_what_the_shell_escapes() {
        assert_eq!(words(r#""a\"b\\c\$d\e""#), [r#"a"b\c$d\e"#]);
        assert_eq!(words(r#""$HOME""#), ["$HOME"], "nothing is expanded");
        assert_eq!(words(r"'\n'"), [r"\n"], "single quotes keep backslashes");
    }

    #[test]
    fn line_continuations_join_lines() {
        let line = "curl 'http://x/' \\\n  -H 'A: 1' \\\r\n  --compressed";
        assert_eq!(
            words(line),
            ["curl", "http://x/", "-H", "A: 1", "--compressed"]
        );
    }

    #[test]
    fn ansi_c_strings_as_browsers_write_them() {
        assert_eq!(
            words(r#"--data-raw $'{"a":"it\'s\\n","b":"\u00e9\x41\101"}'"#),
            ["--data-raw", "{\"a\":\"it's\\n\",\"b\":\"éAA\"}"]
        );
        assert_eq!(words(r"$'a\tb\nc'"), ["a\tb\nc"]);
        assert_eq!(words(r"$'\q'"), [r"\q"], "unknown escapes stay");
        assert_eq!(words("a$b"), ["a$b"]);
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert!(split("'open").is_err());
        assert!(split("\"open").is_err());
        assert!(split("$'open").is_err());
        assert!(split("ends\\").is_err());
    }
}
