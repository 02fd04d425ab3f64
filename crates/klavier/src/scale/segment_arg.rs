//! `--segment I/N` and `--segment auto/N`.

use std::str::FromStr;

use klavier_plan::segment::Segment;

use crate::exit::BadInput;

/// The variable a Kubernetes Indexed Job sets to the pod's completion index.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// `--segment` as given: a segment, or `auto/N` (the index from the environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentArg {
    /// `I/N`.
    Fixed(Segment),
    /// `auto/N`: I from [`JOB_COMPLETION_INDEX`].
    Auto(u32),
}

impl FromStr for SegmentArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.strip_prefix("auto/") {
            Some(count) => match count.trim().parse::<u32>() {
                Ok(count) if count > 0 => Ok(SegmentArg::Auto(count)),
                _ => Err(format!(
                    "{count:?} is not a number of segments: expected auto/N with N >= 1, e.g. auto/4"
                )),
            },
            None => text.parse().map(SegmentArg::Fixed).map_err(|e| e.to_string()),
        }
    }
}

/// The segment to run: `--segment`'s, with `auto/N`'s index read by `env` (the process
/// environment in the binary), or the whole run.
pub fn resolve_segment(
    arg: Option<SegmentArg>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Segment, BadInput> {
    let count = match arg {
        None => return Ok(Segment::WHOLE),
        Some(SegmentArg::Fixed(segment)) => return Ok(segment),
        Some(SegmentArg::Auto(count)) => count,
    };
    let value = env(JOB_COMPLETION_INDEX).ok_or_else(|| {
        BadInput(format!(
            "--segment auto/{count} reads the segment's index from {JOB_COMPLETION_INDEX} (set \
             by a Kubernetes Indexed Job), which is not set; outside one, give the index: \
             --segment 0/{count}"
        ))
    })?;
    let index: u32 = value.trim().parse().map_err(|_| {
        BadInput(format!(
            "--segment auto/{count}: {JOB_COMPLETION_INDEX}={value:?} is not a segment index \
             (expected a number from 0 to {})",
            count - 1
        ))
    })?;
    Segment::new(index, count).map_err(|e| {
        BadInput(format!(
            "--segment auto/{count}: {JOB_COMPLETION_INDEX}={index}: {e}; the Job's \
             completions must equal N"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(value: Option<&str>) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            assert_eq!(name, JOB_COMPLETION_INDEX);
            value.map(str::to_owned)
        }
    }

    #[test]
    fn fixed_and_auto_segments_parse() {
        let two_of_four = Segment::new(2, 4).expect("valid");
        assert_eq!("2/4".parse(), Ok(SegmentArg::Fixed(two_of_four)));
        assert_eq!("auto/4".parse(), Ok(SegmentArg::Auto(4)));
        assert!("auto/0".parse::<SegmentArg>().is_err());
        assert!("auto/x".parse::<SegmentArg>().is_err());
        let err = "5/4".parse::<SegmentArg>().expect_err("out of range");
        assert!(err.contains("numbered 0 to 3"), "{err}");
    }

    #[test]
    fn auto_reads_the_job_completion_index() {
        let auto = Some(SegmentArg::Auto(4));
        let two_of_four = Segment::new(2, 4).expect("valid");
        assert_eq!(
            resolve_segment(auto, env(Some("2"))).ok(),
            Some(two_of_four)
        );
        assert_eq!(resolve_segment(None, env(None)).ok(), Some(Segment::WHOLE));
        let unset = resolve_segment(auto, env(None)).expect_err("unset").0;
        assert!(
            unset.contains("JOB_COMPLETION_INDEX") && unset.contains("not set"),
            "{unset}"
        );
        let junk = resolve_segment(auto, env(Some("two"))).expect_err("junk").0;
        assert!(junk.contains("\"two\" is not a segment index"), "{junk}");
        let beyond = resolve_segment(auto, env(Some("4"))).expect_err("beyond").0;
        assert!(beyond.contains("completions must equal N"), "{beyond}");
    }
}
