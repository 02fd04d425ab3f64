//! The JSON result file: the [`Summary`] as `klavier.result/v1`, pretty-printed.
//!
//! The shape is the serde form of `Summary`, described by `schema/result.v1.json`.

use std::io::{self, Write};

use klavier_stats::Summary;

/// Writes the summary as pretty JSON (the `klavier.result/v1` schema), ending with a newline.
pub fn write_json(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file_format() {
        let summary = super::super::fixture();
        let mut out = Vec::new();
        write_json(&summary, &mut out).expect("writes to memory");
        assert!(out.ends_with(b"}\n"));
        let back: Summary = serde_json::from_slice(&out).expect("parses back");
        assert_eq!(back, summary);
    }

    #[test]
    fn is_pretty_and_starts_with_the_schema() {
        let mut out = Vec::new();
        write_json(&super::super::fixture(), &mut out).expect("writes to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(text.starts_with("{\n  \"schema\": \"klavier.result/v1\",\n"));
    }
}
