//! Comparing two results honestly: a change is called a regression only when it is both
//! significant (unlikely to be noise) and larger than the tolerated share.
//!
//! Per request, a Mann–Whitney U test over the two response-time histograms judges the
//! median (p50), which is what the test is about; with thousands of requests it finds
//! even tiny shifts, so the shift must also exceed the tolerance. Tails are judged on
//! the run's per-second p99 series, one value per second, so a noisy machine's bad
//! second counts once rather than as a thousand "independent" slow requests.
//! Pure: two summaries in, figures out.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::histogram::{HIGHEST_US, LOWEST_US};
use crate::summary::{RequestSummary, Summary};

/// The result of a Mann–Whitney U test of "NEW is neither slower nor faster than BASE".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannWhitney {
    /// U of the new sample: how often a new value exceeds a base one (ties count half).
    pub u: f64,
    /// The probability that a random new value exceeds a random base one (0.5: no shift).
    pub effect: f64,
    /// The two-sided p-value (normal approximation with the tie correction).
    pub p_value: f64,
}

/// Mann–Whitney U over two histograms, ranking bucket by bucket (values in one bucket
/// are ties). `None` when either is empty.
pub fn mann_whitney(base: &Histogram<u64>, new: &Histogram<u64>) -> Option<MannWhitney> {
    let (n1, n2) = (new.len() as f64, base.len() as f64);
    if n1 == 0.0 || n2 == 0.0 {
        return None;
    }
    // Bucket → (new count, base count); both histograms share the bucket layout.
    let mut buckets: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for v in new.iter_recorded() {
        buckets.entry(v.value_iterated_to()).or_default().0 += v.count_at_value() as f64;
    }
    for v in base.iter_recorded() {
        buckets.entry(v.value_iterated_to()).or_default().1 += v.count_at_value() as f64;
    }
    let (mut below, mut rank_sum, mut ties) = (0.0, 0.0, 0.0);
    for (a, b) in buckets.into_values() {
        let t = a + b;
        // The tie group takes the ranks below+1 ..= below+t: each gets their mean.
        rank_sum += a * (below + (t + 1.0) / 2.0);
        ties += t * t * t - t;
        below += t;
    }
    let u = rank_sum - n1 * (n1 + 1.0) / 2.0;
    let n = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    let p_value = if variance > 0.0 {
        let z = (u - n1 * n2 / 2.0).abs() / variance.sqrt();
        erfc(z / std::f64::consts::SQRT_2).min(1.0)
    } else {
        1.0 // every value tied: no evidence of any shift
    };
    Some(MannWhitney {
        u,
        effect: u / (n1 * n2),
        p_value,
    })
}

/// The complementary error function (Numerical Recipes' `erfcc`, fractional error below
/// 1.2e-7: far finer than any significance level read from it). Public so the plan
/// preview's normal distribution shares it.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// How one request changed from BASE to NEW.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestChange {
    /// The request's name.
    pub name: String,
    /// Requests per second: base, new.
    pub rate: (f64, f64),
    /// Error rate: base, new.
    pub error_rate: (f64, f64),
    /// p50, p90, p99 in µs: base, new.
    pub percentiles: [(u64, u64); 3],
    /// The test over the two response-time histograms, when both have any.
    pub test: Option<MannWhitney>,
    /// Slower beyond the tolerance, and significantly so.
    pub regression: bool,
}

/// How the run's per-second p99 changed: a test over one value per second.
#[derive(Clone, Debug, PartialEq)]
pub struct TailChange {
    /// The median of the per-second p99s, µs: base, new.
    pub median_p99: (u64, u64),
    /// Seconds compared: base, new.
    pub seconds: (usize, usize),
    /// The test, when both runs have seconds with requests.
    pub test: Option<MannWhitney>,
    /// Slower beyond the tolerance, and significantly so.
    pub regression: bool,
}

/// Compares the per-second p99 of the two runs (seconds without requests left out).
pub fn compare_tails(base: &Summary, new: &Summary, tolerance: Tolerance) -> TailChange {
    let series = |s: &Summary| -> Histogram<u64> {
        let mut h = crate::histogram::new_histogram();
        // Whole seconds of the run with requests: not the graceful stop's remainder.
        let seconds = s.duration_seconds.ceil() as u64;
        let measured = s
            .timeseries
            .iter()
            .filter(|p| p.requests > 0 && p.second <= seconds);
        for p in measured {
            // Clamped into the histograms' range, as the recorder does.
            let _ = h.record(p.p99_us.clamp(LOWEST_US, HIGHEST_US));
        }
        h
    };
    let (b, n) = (series(base), series(new));
    let test = mann_whitney(&b, &n);
    let median_p99 = (b.value_at_quantile(0.5), n.value_at_quantile(0.5));
    let slower = median_p99.0 > 0
        && median_p99.1 as f64 > median_p99.0 as f64 * (1.0 + tolerance.max_regression);
    TailChange {
        median_p99,
        seconds: (b.len() as usize, n.len() as usize),
        regression: slower && test.is_some_and(|t| t.p_value < tolerance.alpha && t.effect > 0.5),
        test,
    }
}

/// Rules of a comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// The largest relative slow-down of the p50 (and of the median per-second p99), or
    /// rise of the error rate in points, not called a regression, e.g. 0.10.
    pub max_regression: f64,
    /// The significance level: a change whose p-value is at least this may be noise.
    pub alpha: f64,
}

/// Compares each request present in both results, in the base's order.
pub fn compare(base: &Summary, new: &Summary, tolerance: Tolerance) -> Vec<RequestChange> {
    base.requests
        .iter()
        .filter_map(|b| {
            let n = new.requests.iter().find(|n| n.name == b.name)?;
            Some(change(b, n, tolerance))
        })
        .collect()
}

fn change(base: &RequestSummary, new: &RequestSummary, tolerance: Tolerance) -> RequestChange {
    let (b, n) = (&base.response_time, &new.response_time);
    let percentiles = [
        (b.p50_us, n.p50_us),
        (b.p90_us, n.p90_us),
        (b.p99_us, n.p99_us),
    ];
    let test = match (b.histogram(), n.histogram()) {
        (Ok(b), Ok(n)) => mann_whitney(&b, &n),
        _ => None,
    };
    let (b50, n50) = percentiles[0];
    let slower = b50 > 0 && n50 as f64 > b50 as f64 * (1.0 + tolerance.max_regression);
    let significant_slowdown = test.is_some_and(|t| t.p_value < tolerance.alpha && t.effect > 0.5);
    let error_rate = (base.failure_ratio(), new.failure_ratio());
    RequestChange {
        name: base.name.clone(),
        rate: (base.rate_per_second, new.rate_per_second),
        error_rate,
        percentiles,
        test,
        regression: (slower && significant_slowdown)
            || error_rate.1 > error_rate.0 + tolerance.max_regression,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::new_histogram;

    fn histogram(values: &[u64]) -> Histogram<u64> {
        let mut h = new_histogram();
        for &v in values {
            h.record(v).expect("in range");
        }
        h
    }

    #[test]
    fn u_counts_how_often_new_exceeds_base() {
        // Every new value above every base one: U = n1 * n2, effect 1.
        let t = mann_whitney(&histogram(&[1, 2, 3]), &histogram(&[4, 5, 6])).expect("data");
        assert_eq!((t.u, t.effect), (9.0, 1.0));
        // Interleaved: new 2, 4 against base 1, 3: pairs (2>1), (4>1), (4>3) → U = 3.
        let t = mann_whitney(&histogram(&[1, 3]), &histogram(&[2, 4])).expect("data");
        assert_eq!(t.u, 3.0);
        // Ties count half.
        let t = mann_whitney(&histogram(&[5]), &histogram(&[5])).expect("data");
        assert_eq!((t.u, t.p_value), (0.5, 1.0));
        assert!(mann_whitney(&histogram(&[]), &histogram(&[1])).is_none());
    }

    #[test]
    fn the_same_distribution_is_not_significant_and_a_shift_is() {
        let base: Vec<u64> = (0..2000).map(|i| 5_000 + (i * 7919) % 1_000).collect();
        let same: Vec<u64> = (0..2000).map(|i| 5_000 + (i * 104_729) % 1_000).collect();
        let slower: Vec<u64> = base.iter().map(|v| v + 20_000).collect();
        let t = mann_whitney(&histogram(&base), &histogram(&same)).expect("data");
        assert!(t.p_value > 0.5 && (t.effect - 0.5).abs() < 0.02, "{t:?}");
        let t = mann_whitney(&histogram(&base), &histogram(&slower)).expect("data");
        assert!(t.p_value < 1e-12 && t.effect == 1.0, "{t:?}");
    }

    #[test]
    fn erfc_matches_known_values() {
        for (x, want) in [
            (0.0, 1.0),
            (1.0, 0.157_299_207),
            (2.0, 0.004_677_735),
            (-1.0, 1.842_700_793),
        ] {
            assert!((erfc(x) - want).abs() < 1e-6, "erfc({x}) = {}", erfc(x));
        }
    }
}
