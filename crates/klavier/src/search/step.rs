//! One step: the profile at a constant arrival rate, run by the engine, summarised and
//! judged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Overrides, Plan};
use klavier_stats::threshold::Threshold;
use klavier_stats::{RunInfo, Summary};

use super::args::SearchArgs;
use super::drain::Drain;
use super::verdict::{classify, Judged};
use crate::engine::{self, Signals, StopSignal};
use crate::http::Connector;

/// What one step found.
#[derive(Debug)]
pub struct Step {
    /// Its place in the search, from 1.
    pub number: usize,
    /// The arrival rate asked for, per second.
    pub rate: f64,
    /// Its verdict and the SLOs judged.
    pub judged: Judged,
    /// Its figures (warm-up apart).
    pub summary: Summary,
    /// A signal that stopped it, if one did.
    pub signal: Option<StopSignal>,
    /// The wait for the server to drain the previous step's queue, when that step did
    /// not pass.
    pub drain: Option<Drain>,
    /// Why requests could not be sent as valid HTTP once rendered, if some could not.
    pub not_rendered: Option<String>,
}

/// Runs steps of one profile.
pub struct Stepper {
    profile: PathBuf,
    overrides: Overrides,
    /// The SLOs, compiled against the profile's request and scenario names.
    pub slos: Vec<Threshold>,
    threads: usize,
    seed: u64,
    /// The profile's name and target, as compiled.
    pub name: String,
    /// The target, its secrets redacted.
    pub target: String,
    /// Steps are numbers of users (the closed model), not arrival rates.
    pub users: bool,
}

impl Stepper {
    /// Compiles the profile once (every problem in it, and in the SLOs, is bad input
    /// here, before anything is sent).
    pub fn new(args: &SearchArgs) -> anyhow::Result<Self> {
        let overrides = Overrides {
            base_url: args.base_url.clone(),
            seed: args.seed,
            duration: Some(args.warmup + args.step_duration),
            warmup: Some(args.warmup),
            variables: args.vars.clone(),
            thresholds: args.slos.clone(),
            threshold_flag: Some("--slo"),
            ..Overrides::default()
        };
        let overrides = at_level(overrides, args.users, args.from);
        let plan = klavier_plan::load(&args.profile, &overrides)?;
        Connector::new(&plan.target).map_err(|e| crate::exit::BadInput(e.to_string()))?;
        // The command line's thresholds come last: those are the SLOs.
        let list = &plan.thresholds.list;
        let slos = list[list.len().saturating_sub(args.slos.len())..].to_vec();
        let target = klavier_plan::redact::url(&plan.target.base_url, &plan.target.redact);
        Ok(Stepper {
            profile: args.profile.clone(),
            slos,
            threads: args
                .threads
                .map_or_else(crate::app::default_threads, |n| n as usize),
            seed: plan.seed.unwrap_or_else(crate::app::random_seed),
            name: plan.name.clone(),
            target: target.into_owned(),
            overrides,
            users: args.users,
        })
    }

    /// The plan at `rate`: the profile's own pool size if it sets one, else the default
    /// for the rate; only the SLOs as thresholds, never stopping early.
    fn plan(&self, rate: f64, window: Option<Duration>) -> anyhow::Result<Plan> {
        let mut overrides = at_level(self.overrides.clone(), self.users, rate);
        if let Some(window) = window {
            overrides.duration = Some(window);
            overrides.warmup = Some(Duration::ZERO);
        }
        let mut plan = klavier_plan::load(&self.profile, &overrides)?;
        plan.thresholds = klavier_plan::Thresholds {
            list: self.slos.clone(),
            ..Default::default()
        };
        Ok(plan)
    }

    /// Runs the step at `rate` and judges it.
    pub fn run(&self, rate: f64, number: usize) -> anyhow::Result<Step> {
        self.run_window(rate, number, None)
    }

    /// Runs `window` at `rate` without a warm-up (a drain probe) and judges it.
    pub fn probe(&self, rate: f64, window: Duration) -> anyhow::Result<Step> {
        self.run_window(rate, 0, Some(window))
    }

    /// A step, or with `window` a probe of that length and no warm-up.
    fn run_window(
        &self,
        rate: f64,
        number: usize,
        window: Option<Duration>,
    ) -> anyhow::Result<Step> {
        let plan = Arc::new(self.plan(rate, window)?);
        let seed = step_seed(self.seed, number);
        let connector = Connector::new(&plan.target)
            .map_err(|e| crate::exit::BadInput(e.to_string()))?
            .shared_by(self.threads);
        let result = engine::run(
            plan.clone(),
            Arc::new(connector),
            seed,
            crate::scale::Options::default().part(),
            self.threads,
            Signals::Os,
            &mut |_| std::ops::ControlFlow::Continue(()),
        )?;
        let info = RunInfo {
            profile: plan.name.clone(),
            target: self.target.clone(),
            started_at: result.started_at,
            elapsed: result.elapsed,
            planned_duration: plan.timings.duration,
            users: plan.load.max_users(),
            seed,
            stop_reason: result.stop_reason,
            klavier_version: env!("CARGO_PKG_VERSION").to_owned(),
            open_model: !self.users,
            worker_cpu_peak: result.worker_cpu_peak,
            warmup: plan.timings.warmup,
            panics: result.panics,
        };
        let layout = crate::app::layout(&plan);
        let mut summary = Summary::build(&info, &layout, &result.total, result.timeseries)
            .with_warmup(&result.warmup, plan.timings.warmup);
        summary.name_checks(&plan.session.check_names);
        let judged = classify(&summary, &self.slos);
        summary.thresholds = judged.slos.clone();
        Ok(Step {
            number,
            rate,
            judged,
            summary,
            signal: result.signal,
            drain: None,
            not_rendered: result.not_rendered.clone(),
        })
    }
}

/// The overrides for one step: `level` arrivals a second (the open model), or `level`
/// users from the start (the closed model: no ramp, the profile's stages replaced).
fn at_level(overrides: Overrides, users: bool, level: f64) -> Overrides {
    if users {
        Overrides {
            users: Some(level as u32),
            ramp_up: Some(Duration::ZERO),
            rate: None,
            stages: Vec::new(),
            ..overrides
        }
    } else {
        Overrides {
            rate: Some(level),
            ..overrides
        }
    }
}

/// Step `number`'s seed: its own stream, derived from the search's seed, so steps are
/// independent samples (with one seed for all, every step drew the same Poisson gaps:
/// a stream 2.5% light made every step 2.5% lighter than asked, which flatters the
/// server) and the search stays reproducible. Probes (number 0) use the seed itself.
fn step_seed(seed: u64, number: usize) -> u64 {
    seed.wrapping_add((number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A duration in seconds, for the JSON.
pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
