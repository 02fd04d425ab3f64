//! Merging the results of a run's segments (`klavier run --segment I/N`) into the result
//! of the whole run: counters add, histograms add (never percentiles averaged), time
//! series add second by second, and every derived figure (rates, ratios, percentiles,
//! warnings) is computed again from the merged ones, as a single run computes them.

mod add;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::histogram::HistogramDecodeError;

use super::{Summary, Warning, SCHEMA};

/// What a merged result was merged from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeInfo {
    /// How many segments the run has.
    pub segments: u32,
    /// The segments merged, in increasing order.
    pub merged: Vec<u32>,
    /// Segments no result covered: their users' requests are not in the figures.
    pub missing: Vec<u32>,
    /// Segments more than one result covered: only the first of them was merged.
    pub duplicated: Vec<u32>,
    /// True when a segment is missing or duplicated: the figures are not the whole run's.
    pub partial: bool,
}

impl MergeInfo {
    /// What a partial merge lacks, in words.
    pub fn describe(&self) -> String {
        let list = |s: &[u32]| s.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        let mut text = format!(
            "only {} of {} segments were merged",
            self.merged.len(),
            self.segments
        );
        if !self.missing.is_empty() {
            text += &format!("; missing: {}", list(&self.missing));
        }
        if !self.duplicated.is_empty() {
            text += &format!(
                "; given more than once (the first merged): {}",
                list(&self.duplicated)
            );
        }
        text + "; the figures are not the whole run's"
    }
}

/// Why results cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No result was given.
    #[error("nothing to merge: give the results of a run's segments")]
    Empty,
    /// A result is not `klavier.result/v1`.
    #[error("result {part} is {found:?}, not {SCHEMA}")]
    Schema {
        /// 1-based position of the result.
        part: usize,
        /// Its `schema`.
        found: String,
    },
    /// A result is of another run than the first.
    #[error(
        "result {part} is not a segment of the same run as result 1: its {what} differs \
         ({found} vs {first}); merge only the segments of one run (the same profile, \
         options and --seed)"
    )]
    Mismatch {
        /// 1-based position of the result.
        part: usize,
        /// What differs.
        what: &'static str,
        /// The first result's value.
        first: String,
        /// This result's value.
        found: String,
    },
    /// A histogram of a result does not decode.
    #[error("result {part}: {field}: {source}")]
    Histogram {
        /// 1-based position of the result.
        part: usize,
        /// Which histogram.
        field: String,
        /// Why it does not decode.
        source: HistogramDecodeError,
    },
}

impl Summary {
    /// Merges the results of segments of one run (or of merges of them) into the result
    /// of the whole run. Refuses results of different runs (plan digest, seed, model or
    /// number of segments); a missing or duplicated segment makes the merge partial,
    /// which [`MergeInfo`] says.
    pub fn merge(parts: &[Summary]) -> Result<Summary, MergeError> {
        let first = parts.first().ok_or(MergeError::Empty)?;
        for (i, part) in parts.iter().enumerate() {
            same_run(first, part, i + 1)?;
        }
        let segments = coverage(first).0;
        let mut seen = vec![false; segments as usize];
        let mut duplicated = Vec::new();
        let mut merged: Option<Summary> = None;
        for (i, part) in parts.iter().enumerate() {
            let covered = coverage(part).1;
            let again: Vec<u32> = covered
                .iter()
                .copied()
                .filter(|&s| seen.get(s as usize) != Some(&false))
                .collect();
            if !again.is_empty() {
                duplicated.extend(again);
                continue;
            }
            for &s in &covered {
                seen[s as usize] = true;
            }
            match &mut merged {
                None => merged = Some(part.clone()),
                Some(total) => add::summary(total, part).map_err(|e| e.at(i + 1))?,
            }
        }
        let mut total = merged.ok_or(MergeError::Empty)?;
        let measured = measured(&total);
        add::recompute(&mut total, measured);
        duplicated.sort_unstable();
        duplicated.dedup();
        let missing: Vec<u32> = (0..segments).filter(|&s| !seen[s as usize]).collect();
        let info = MergeInfo {
            segments,
            merged: (0..segments).filter(|&s| seen[s as usize]).collect(),
            partial: !missing.is_empty() || !duplicated.is_empty(),
            missing,
            duplicated,
        };
        if info.partial {
            total.generator.warnings.push(Warning {
                kind: "partial_merge".to_owned(),
                message: info.describe(),
            });
        }
        total.segment = None;
        total.merge = Some(info);
        Ok(total)
    }
}

/// The run's segment count and the segments a result covers.
fn coverage(summary: &Summary) -> (u32, Vec<u32>) {
    if let Some(merge) = &summary.merge {
        (merge.segments, merge.merged.clone())
    } else if let Some(segment) = summary.segment {
        (segment.count, vec![segment.index])
    } else {
        (1, vec![0])
    }
}

/// Whether `part` (the `number`-th result) is of the same run as `first`.
fn same_run(first: &Summary, part: &Summary, number: usize) -> Result<(), MergeError> {
    if part.schema != SCHEMA {
        return Err(MergeError::Schema {
            part: number,
            found: part.schema.clone(),
        });
    }
    let mismatch = |what, first: String, found: String| {
        if first == found {
            Ok(())
        } else {
            Err(MergeError::Mismatch {
                part: number,
                what,
                first,
                found,
            })
        }
    };
    let digest = |s: &Summary| s.plan_digest.clone().unwrap_or_else(|| "none".to_owned());
    mismatch("plan digest", digest(first), digest(part))?;
    mismatch("seed", first.seed.to_string(), part.seed.to_string())?;
    mismatch("model", first.model.clone(), part.model.clone())?;
    let count = |s: &Summary| coverage(s).0.to_string();
    mismatch("number of segments", count(first), count(part))
}

/// The time the figures' rates are per: the run's measured time after the warm-up.
fn measured(summary: &Summary) -> Duration {
    let warmup = summary.warmup.as_ref().map_or(0.0, |w| w.duration_seconds);
    let micros = ((summary.duration_seconds - warmup) * 1e6).round().max(0.0);
    Duration::from_micros(micros as u64)
}
