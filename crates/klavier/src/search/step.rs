//! One step: the profile at a constant arrival rate, run by the engine, summarised and
//! judged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use klavier_plan::{Overrides, Plan};
use klavier_stats::threshold::Threshold;
use klavier_stats::{RunInfo, Summary};

use super::args::SearchArgs;
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
            rate: Some(args.from),
            variables: args.vars.clone(),
            thresholds: args.slos.clone(),
            ..Overrides::default()
        };
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
        })
    }

    /// The plan at `rate`: the profile's own pool size if it sets one, else the default
    /// for the rate; only the SLOs as thresholds, never stopping early.
    fn plan(&self, rate: f64) -> anyhow::Result<Plan> {
        let overrides = Overrides {
            rate: Some(rate),
            ..self.overrides.clone()
        };
        let mut plan = klavier_plan::load(&self.profile, &overrides)?;
        plan.thresholds = klavier_plan::Thresholds {
            list: self.slos.clone(),
            ..Default::default()
        };
        Ok(plan)
    }

    /// Runs the step at `rate` and judges it.
    pub fn run(&self, rate: f64, number: usize) -> anyhow::Result<Step> {
        let plan = Arc::new(self.plan(rate)?);
        let connector = Connector::new(&plan.target)
            .map_err(|e| crate::exit::BadInput(e.to_string()))?
            .shared_by(self.threads);
        let result = engine::run(
            plan.clone(),
            Arc::new(connector),
            self.seed,
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
            seed: self.seed,
            stop_reason: result.stop_reason,
            klavier_version: env!("CARGO_PKG_VERSION").to_owned(),
            open_model: true,
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
        })
    }
}

/// A duration in seconds, for the JSON.
pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
