//! Think time: how long a user pauses, drawn from a distribution. Sampling is a pure
//! function of uniform random numbers, so the engine supplies the randomness (seeded)
//! and tests can check the shapes exactly.

use std::fmt;
use std::time::Duration;

/// A distribution of pauses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Think {
    /// Always the same pause.
    Constant(Duration),
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// Exponential with this mean (memoryless, like independent people).
    Exponential(Duration),
    /// Normal with this mean and standard deviation, truncated at zero.
    Normal(Duration, Duration),
}

impl Think {
    /// Parses `"2s"`, `"uniform(1s, 3s)"`, `"exponential(2s)"` or `"normal(2s, 500ms)"`.
    pub fn parse(text: &str) -> Result<Think, String> {
        let text = text.trim();
        let Some((name, rest)) = text.split_once('(') else {
            return duration(text).map(Think::Constant);
        };
        let args = rest
            .strip_suffix(')')
            .ok_or_else(|| format!("{text:?} is missing its closing parenthesis"))?;
        let args: Vec<&str> = args.split(',').map(str::trim).collect();
        match (name.trim(), args.as_slice()) {
            ("uniform", [a, b]) => {
                let (a, b) = (duration(a)?, duration(b)?);
                if a > b {
                    return Err(format!("uniform({a:?}, {b:?}): the lower bound is above the upper"));
                }
                Ok(Think::Uniform(a, b))
            }
            ("exponential", [mean]) => Ok(Think::Exponential(duration(mean)?)),
            ("normal", [mean, sd]) => Ok(Think::Normal(duration(mean)?, duration(sd)?)),
            ("uniform", _) => Err("uniform takes two durations: uniform(1s, 3s)".to_owned()),
            ("exponential", _) => Err("exponential takes one duration: exponential(2s)".to_owned()),
            ("normal", _) => Err("normal takes two durations: normal(2s, 500ms)".to_owned()),
            (other, _) => Err(format!(
                "unknown distribution {other:?}; use uniform(a, b), exponential(mean) or normal(mean, sd)"
            )),
        }
    }

    /// A pause for the uniform random numbers `u1`, `u2` in `[0, 1)`.
    pub fn sample(&self, u1: f64, u2: f64) -> Duration {
        let secs = match *self {
            Think::Constant(d) => return d,
            Think::Uniform(a, b) => a.as_secs_f64() + (b - a).as_secs_f64() * u1,
            Think::Exponential(mean) => -mean.as_secs_f64() * (1.0 - u1).ln(),
            Think::Normal(mean, sd) => {
                // Box–Muller; 1 - u1 is in (0, 1], so the logarithm is finite.
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                mean.as_secs_f64() + sd.as_secs_f64() * z
            }
        };
        Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX)
    }
}

impl fmt::Display for Think {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = humantime::format_duration;
        match *self {
            Think::Constant(d) => write!(f, "{}", h(d)),
            Think::Uniform(a, b) => write!(f, "uniform({}, {})", h(a), h(b)),
            Think::Exponential(m) => write!(f, "exponential(mean {})", h(m)),
            Think::Normal(m, sd) => write!(f, "normal(mean {}, sd {})", h(m), h(sd)),
        }
    }
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{text:?} is not a duration ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn every_form_parses() {
        let cases = [
            ("250ms", Think::Constant(ms(250))),
            ("uniform(1s, 3s)", Think::Uniform(ms(1000), ms(3000))),
            ("exponential(2s)", Think::Exponential(ms(2000))),
            (" normal( 2s , 500ms ) ", Think::Normal(ms(2000), ms(500))),
        ];
        for (text, expected) in cases {
            assert_eq!(Think::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn bad_forms_say_what_is_expected() {
        let cases = [
            ("uniform(3s, 1s)", "lower bound"),
            ("uniform(1s)", "two durations"),
            ("gamma(1s)", "unknown distribution"),
            ("normal(1s, 2s", "closing parenthesis"),
            ("soon", "not a duration"),
        ];
        for (text, words) in cases {
            let err = Think::parse(text).expect_err(text);
            assert!(err.contains(words), "{text}: {err}");
        }
    }

    #[test]
    fn samples_have_the_right_means() {
        // 10,000 stratified uniforms: the sample mean is within 1% of the true mean.
        let n = 10_000;
        let mean = |think: Think| {
            let total: f64 = (0..n)
                .map(|i| {
                    let u1 = (i as f64 + 0.5) / n as f64;
                    let u2 = ((i * 7919) % n) as f64 / n as f64;
                    think.sample(u1, u2).as_secs_f64()
                })
                .sum();
            total / n as f64
        };
        assert!((mean(Think::Uniform(ms(1000), ms(3000))) - 2.0).abs() < 0.02);
        assert!((mean(Think::Exponential(ms(2000))) - 2.0).abs() < 0.02);
        assert!((mean(Think::Normal(ms(2000), ms(300))) - 2.0).abs() < 0.02);
        assert_eq!(Think::Constant(ms(5)).sample(0.3, 0.9), ms(5));
    }

    #[test]
    fn normal_pauses_are_never_negative() {
        let think = Think::Normal(ms(10), ms(1000));
        assert_eq!(think.sample(0.999, 0.5), Duration::ZERO);
    }
}
