//! Expected pauses: the engine waits for the longer of a fixed floor (a pacing interval,
//! measured from a planned start) and a random amount (the time taken plus a think
//! time, measured from the end), so a forecast needs `E[max(floor, base + think)]`,
//! not the maximum of the means. Closed forms for each distribution `Think` samples.

use crate::think::Think;

/// `E[max(floor, base + X)]` in seconds, where `X` is a pause drawn from `think` (zero
/// without one), as the engine samples it (a normal is truncated at zero).
pub fn at_least(floor: f64, base: f64, think: Option<&Think>) -> f64 {
    let Some(think) = think else {
        return floor.max(base);
    };
    match *think {
        Think::Constant(t) => floor.max(base + t.as_secs_f64()),
        Think::Uniform(lo, hi) => uniform(floor, base + lo.as_secs_f64(), base + hi.as_secs_f64()),
        Think::Exponential(mean) => exponential(floor, base, mean.as_secs_f64()),
        // max(floor, base + max(0, N)) = max(max(floor, base), base + N).
        Think::Normal(mean, sd) => {
            normal(floor.max(base), base + mean.as_secs_f64(), sd.as_secs_f64())
        }
    }
}

/// The mean of a pause drawn from `think` (zero without one).
pub fn mean(think: Option<&Think>) -> f64 {
    at_least(0.0, 0.0, think)
}

/// `E[max(k, Y)]` for `Y` uniform on `[lo, hi]`.
fn uniform(k: f64, lo: f64, hi: f64) -> f64 {
    if k <= lo || hi <= lo {
        return k.max((lo + hi) / 2.0);
    }
    if k >= hi {
        return k;
    }
    // Below k (probability p) the floor wins; above, Y's mean on [k, hi].
    let p = (k - lo) / (hi - lo);
    p * k + (1.0 - p) * (k + hi) / 2.0
}

/// `E[max(k, base + X)]` for `X` exponential with mean `m`: memoryless, so past `k`
/// the excess is `m` again.
fn exponential(k: f64, base: f64, m: f64) -> f64 {
    if m <= 0.0 {
        return k.max(base);
    }
    if k <= base {
        return base + m;
    }
    k + m * (-(k - base) / m).exp()
}

/// `E[max(k, Y)]` for `Y` normal with mean `mu` and deviation `sd`:
/// `k + sd·φ(d) + (mu − k)·Φ(d)` with `d = (mu − k) / sd`.
fn normal(k: f64, mu: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return k.max(mu);
    }
    let d = (mu - k) / sd;
    let density = (-d * d / 2.0).exp() / std::f64::consts::TAU.sqrt();
    k + sd * density + (mu - k) * cumulative(d)
}

/// Φ, the standard normal distribution function, from erfc (Numerical Recipes'
/// Chebyshev fit, relative error below 1.2e-7: far finer than any forecast here).
fn cumulative(x: f64) -> f64 {
    0.5 * klavier_stats::compare::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The same expectation by brute force: the engine's own sampling over a fine grid
    /// of uniform numbers (both of Box–Muller's).
    fn sampled(floor: f64, base: f64, think: &Think) -> f64 {
        let n = 400;
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..n {
                let u1 = (f64::from(i) + 0.5) / f64::from(n);
                let u2 = (f64::from(j) + 0.5) / f64::from(n);
                total += floor.max(base + think.sample(u1, u2).as_secs_f64());
            }
        }
        total / f64::from(n * n)
    }

    #[test]
    fn closed_forms_match_the_engines_sampling() {
        let thinks = [
            Think::Constant(ms(300)),
            Think::Uniform(ms(100), ms(500)),
            Think::Exponential(ms(300)),
            Think::Normal(ms(300), ms(200)),
            // Mostly truncated at zero.
            Think::Normal(ms(50), ms(400)),
        ];
        // Floors below, inside and above the pauses' range.
        for think in &thinks {
            for (floor, base) in [(0.0, 0.05), (0.3, 0.05), (0.45, 0.0), (2.0, 0.05)] {
                let exact = at_least(floor, base, Some(think));
                let brute = sampled(floor, base, think);
                assert!(
                    (exact - brute).abs() < 0.003,
                    "{think}: floor {floor}, base {base}: {exact} vs sampled {brute}"
                );
            }
        }
    }

    #[test]
    fn without_think_time_the_longer_wins() {
        assert_eq!(at_least(0.1, 0.05, None), 0.1);
        assert_eq!(at_least(0.01, 0.05, None), 0.05);
        assert_eq!(mean(Some(&Think::Uniform(ms(1000), ms(3000)))), 2.0);
    }

    #[test]
    fn the_normal_distribution_function_is_right_where_it_matters() {
        for (x, phi) in [
            (0.0, 0.5),
            (1.0, 0.841_344_75),
            (-1.96, 0.024_997_9),
            (3.0, 0.998_650_1),
        ] {
            assert!(
                (cumulative(x) - phi).abs() < 1e-6,
                "Φ({x}) = {}",
                cumulative(x)
            );
        }
    }
}
