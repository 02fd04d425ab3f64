//! `klavier search`'s command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// `klavier search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The profile (TOML); its load is replaced by each step's constant arrival rate.
    pub profile: PathBuf,
    /// A service-level objective every step must meet, repeatable, in the threshold
    /// language: "p99 < 250ms", "error_rate < 1%", "request NAME: p95 < 100ms".
    #[arg(long = "slo", value_name = "EXPRESSION", required = true, value_parser = parse_slo)]
    pub slos: Vec<String>,
    /// The first step's arrival rate, e.g. 50/s (with --users, a number of users)
    /// [default: 50/s, or 10 users].
    #[arg(long = "from", value_name = "RATE", value_parser = parse_level)]
    pub from_level: Option<Level>,
    /// The highest rate tried, e.g. 20000/s (with --users, a number of users) [default:
    /// 20000/s, or 10000 users].
    #[arg(long = "max", value_name = "RATE", value_parser = parse_level)]
    pub max_level: Option<Level>,
    /// Search the closed model instead: steps of concurrent users (each sending its
    /// scenario's requests one after another, as `run` does), for the most users that
    /// still meet the SLOs. --from and --max are then numbers of users.
    #[arg(long)]
    pub users: bool,
    /// The first step (arrivals per second, or users with --users), resolved.
    #[arg(skip)]
    pub from: f64,
    /// The highest step, resolved.
    #[arg(skip)]
    pub max: f64,
    /// How long each step is measured (after its warm-up), e.g. 30s.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = positive_duration)]
    pub step_duration: Duration,
    /// How long each step runs before it is measured (kept out of its figures).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration)]
    pub warmup: Duration,
    /// The pause between steps, so one step's queue drains before the next.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = duration)]
    pub cooldown: Duration,
    /// After a step that missed the SLOs, how long to wait at most for the server to
    /// drain the queue it built: probes at the first step's rate run until they meet
    /// the SLOs again, so a backlog never counts against the next step.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    pub max_drain: Duration,
    /// Stop when the highest passing and lowest failing rates are this close (a share of
    /// the latter), e.g. 5%.
    #[arg(long, value_name = "SHARE", default_value = "5%", value_parser = parse_tolerance)]
    pub tolerance: f64,
    /// Base URL of the target (replaces `[target] base_url`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// A template variable, repeatable: --var tenant=acme.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Seed of every random choice (each step's own is derived from it and its number).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Also write every step (rate, figures, SLO results, verdict) and the outcome as
    /// JSON (schema klavier.search/v1) to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a self-contained HTML page: the capacity, charts of latency and errors
    /// against the load, and every step.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// No line per step on stderr while searching; only the final table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// An SLO whose expression reads (the row it names is checked against the profile
/// later, with the profile's own diagnostics).
fn parse_slo(text: &str) -> Result<String, String> {
    let trimmed = text.trim_start();
    let scoped = trimmed.starts_with("request ") || trimmed.starts_with("scenario ");
    let expression = match text.rsplit_once(':') {
        Some((_, expression)) if scoped => expression,
        _ => text,
    };
    klavier_stats::threshold::Expression::parse(expression).map_err(|e| {
        format!("{e} (write METRIC OP VALUE, e.g. \"p99 < 250ms\" or \"error_rate < 1%\")")
    })?;
    Ok(text.to_owned())
}

/// A step's level as written: `50/s` (a rate) or `50` (a rate, or users with --users).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    value: f64,
    per_second: bool,
}

/// `50/s`, `50` or `2.5/s`: above zero.
fn parse_level(text: &str) -> Result<Level, String> {
    let trimmed = text.trim();
    let (number, per_second) = match trimmed.strip_suffix("/s") {
        Some(number) => (number.trim(), true),
        None => (trimmed, false),
    };
    match number.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(Level { value, per_second }),
        _ => Err(format!(
            "{text:?} is not a rate such as 50/s (or, with --users, a number of users)"
        )),
    }
}

impl SearchArgs {
    /// Resolves --from and --max for the model searched: rates by default, whole
    /// numbers of users with --users (where a rate such as `50/s` is refused).
    pub fn resolve_levels(&mut self) -> Result<(), String> {
        let (from, max) = if self.users {
            (10.0, 10_000.0)
        } else {
            (50.0, 20_000.0)
        };
        self.from = self.level("--from", self.from_level, from)?;
        self.max = self.level("--max", self.max_level, max)?;
        Ok(())
    }

    fn level(&self, flag: &str, level: Option<Level>, default: f64) -> Result<f64, String> {
        let Some(level) = level else {
            return Ok(default);
        };
        if !self.users {
            return Ok(level.value);
        }
        if level.per_second || level.value.fract() != 0.0 || level.value > f64::from(u32::MAX) {
            return Err(format!(
                "{flag} {}{} is not a number of users: with --users, steps are whole \
                 numbers of users, e.g. {flag} 10",
                level.value,
                if level.per_second { "/s" } else { "" }
            ));
        }
        Ok(level.value)
    }
}

/// `5%` or `0.05`, strictly between 0 and 1.
fn parse_tolerance(text: &str) -> Result<f64, String> {
    let value = match text.trim().strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.trim().parse::<f64>(),
    };
    match value {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!("{text:?} is not a tolerance such as 5% or 0.05")),
    }
}

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (expected e.g. 30s, 500ms)"))
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err("must be longer than zero".to_owned()),
        d => Ok(d),
    }
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| "expected NAME=VALUE, e.g. --var tenant=acme".to_owned())?;
    Ok((name.trim().to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        search: SearchArgs,
    }

    fn resolved(extra: &[&str]) -> Result<(f64, f64), String> {
        let mut words = vec!["search", "p.toml", "--slo", "p99 < 1s"];
        words.extend_from_slice(extra);
        let mut args = Cli::try_parse_from(words).expect("parses").search;
        args.resolve_levels()?;
        Ok((args.from, args.max))
    }

    #[test]
    fn levels_are_rates_by_default_and_whole_users_with_users() {
        assert_eq!(resolved(&[]), Ok((50.0, 20_000.0)));
        assert_eq!(
            resolved(&["--from", "2.5/s", "--max", "90"]),
            Ok((2.5, 90.0))
        );
        assert_eq!(resolved(&["--users"]), Ok((10.0, 10_000.0)));
        assert_eq!(
            resolved(&["--users", "--from", "4", "--max", "64"]),
            Ok((4.0, 64.0))
        );
        let rate = resolved(&["--users", "--from", "50/s"]).expect_err("a rate");
        assert!(
            rate.contains("--from 50/s is not a number of users"),
            "{rate}"
        );
        let fraction = resolved(&["--users", "--max", "2.5"]).expect_err("a fraction");
        assert!(fraction.contains("--max 2.5"), "{fraction}");
    }

    #[test]
    fn rates_and_tolerances_read_as_written() {
        let rate = |text| parse_level(text).map(|l| l.value);
        assert_eq!(rate("50/s"), Ok(50.0));
        assert_eq!(rate("2.5"), Ok(2.5));
        assert!(rate("0/s").is_err());
        assert!(rate("fast").is_err());
        assert_eq!(parse_tolerance("5%"), Ok(0.05));
        assert_eq!(parse_tolerance("0.1"), Ok(0.1));
        assert!(parse_tolerance("0%").is_err());
        assert!(parse_tolerance("100%").is_err());
        assert!(parse_slo("p99 < 250ms").is_ok());
        assert!(parse_slo("request login: p95 < 1s").is_ok());
        let bad = parse_slo("p99 << 50ms").expect_err("not an expression");
        assert!(bad.contains("p99"), "{bad}");
    }
}
