//! One step's verdict from its summary: the SLOs judged by the same pure engine as
//! `[thresholds]`, and the generator's health deciding what a failure means.

use klavier_stats::threshold::{judge, Threshold, ThresholdResult};
use klavier_stats::Summary;

use super::machine::Verdict;

/// A step judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// Pass, fail or inconclusive.
    pub verdict: Verdict,
    /// Why, in words, when not a pass.
    pub reason: String,
    /// Every SLO with its observed figure (dropped arrivals counted as failures).
    pub slos: Vec<ThresholdResult>,
}

/// Judges one step.
///
/// - The generator saturated (late timers, a worker out of CPU) and an SLO failed:
///   inconclusive — the figures may measure Klavier, not the server. If the SLOs held
///   anyway, it is a pass: response times run from when each arrival was *due*, so a
///   late generator only adds to them, and late arrivals come bunched, which is harder
///   on the server, not easier.
/// - Arrivals were dropped (every user of the pool busy): judged again without them. If
///   the SLOs still fail on the requests that were sent, the server failed them (the
///   dropped arrivals would only have made it worse): a failure. Otherwise it is
///   inconclusive: the generator did not deliver the rate.
/// - Otherwise the SLOs decide.
pub fn classify(summary: &Summary, slos: &[Threshold]) -> Judged {
    let verdict = judge(summary, slos);
    let slos_judged = verdict.results.clone();
    let judged = |verdict, reason: String| Judged {
        verdict,
        reason,
        slos: slos_judged.clone(),
    };
    let dropped = summary.arrivals.as_ref().map_or(0, |a| a.dropped);
    if summary.generator.saturated {
        if verdict.passed() && dropped == 0 {
            return judged(Verdict::Pass, String::new());
        }
        let reason = format!("generator saturated: {}", summary.generator.reason);
        return judged(Verdict::Inconclusive, reason);
    }
    if dropped == 0 {
        return match failed(&verdict.results) {
            None => judged(Verdict::Pass, String::new()),
            Some(reason) => judged(Verdict::Fail, reason),
        };
    }
    let sent_only = judge(&without_drops(summary, dropped), slos);
    match failed(&sent_only.results) {
        Some(reason) => judged(Verdict::Fail, reason),
        None => judged(
            Verdict::Inconclusive,
            format!("{dropped} arrivals dropped: every user of the pool was busy"),
        ),
    }
}

/// The failed SLOs with what was observed, e.g. `p99 < 50ms (observed 212.4ms)`.
fn failed(results: &[ThresholdResult]) -> Option<String> {
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| match r.observed {
            Some(observed) => format!("{} (observed {})", r.expression, shown(r, observed)),
            None => format!("{} (nothing measured)", r.expression),
        })
        .collect();
    (!failed.is_empty()).then(|| failed.join(", "))
}

fn shown(result: &ThresholdResult, observed: f64) -> String {
    use klavier_stats::threshold::Unit;
    match result.unit {
        Unit::Us => format!("{:.1}ms", observed / 1000.0),
        Unit::Ratio => format!("{:.2}%", observed * 100.0),
        Unit::PerSecond => format!("{observed:.1}/s"),
        Unit::Count => format!("{observed}"),
    }
}

/// The summary as if the dropped arrivals had never been due: only what was sent.
fn without_drops(summary: &Summary, dropped: u64) -> Summary {
    let mut sent = summary.clone();
    if let Some(arrivals) = sent.arrivals.as_mut() {
        arrivals.dropped = 0;
    }
    sent.failures.count = sent.failures.count.saturating_sub(dropped);
    sent
}

#[cfg(test)]
mod tests;
