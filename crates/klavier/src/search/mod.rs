//! `klavier search`: the highest open-model arrival rate that still meets the SLOs.
//!
//! Each step is a run of its own (`engine::run`) of the profile at a constant rate, with
//! a warm-up kept out of its figures, judged on its own summary by the threshold engine
//! (`verdict`), with a cool-down between steps so one step's queue does not spill into
//! the next. Which rate comes next is decided by a pure state machine (`machine`); this
//! module only runs steps and writes what they found (`report`).

mod args;
mod drain;
mod machine;
mod report;
mod step;
mod verdict;

use anyhow::Context as _;

pub use args::SearchArgs;
use machine::{Config, Next, Outcome, Search, Verdict};
use step::{Step, Stepper};

use crate::exit::{BadInput, NoCapacity, Stopped};

/// The growth factor between steps before the first failure.
const GROWTH: f64 = 2.0;
/// Tries of an inconclusive step beyond the first before it counts as a ceiling: a
/// shared machine's hiccup (another process taking the CPU) is usually over by then.
const RETRIES: usize = 2;
/// A bound on the steps whatever happens (growth from 1/s to 20 000/s and bisection
/// to 1% take about 22).
const MAX_STEPS: usize = 40;

/// Runs the search and writes its table, and its JSON when asked.
pub fn run(mut args: SearchArgs) -> anyhow::Result<()> {
    crate::engine::listen_to_os_signals();
    args.resolve_levels().map_err(BadInput)?;
    // Output files are checked before the first step, not found unwritable after an
    // hour of searching.
    let output = crate::cli::OutputArgs {
        json: args.json.clone(),
        html: args.html.clone(),
        ..Default::default()
    };
    crate::outputs::check(&output)?;
    if args.from > args.max {
        let unit = if args.users { " users" } else { "/s" };
        return Err(BadInput(format!(
            "--from {}{unit} is above --max {}{unit}: start below the highest step to try",
            args.from, args.max
        ))
        .into());
    }
    let stepper = Stepper::new(&args)?;
    let config = Config {
        from: args.from,
        max: args.max,
        tolerance: args.tolerance,
        growth: GROWTH,
        retries: RETRIES,
        max_steps: MAX_STEPS,
        whole: args.users,
    };
    let mut search = Search::new(config);
    let mut steps: Vec<Step> = Vec::new();
    let outcome = loop {
        let rate = match search.next() {
            Next::Done(outcome) => break outcome,
            Next::Step(rate) => rate,
        };
        if !steps.is_empty() {
            if let Some(signal) = pause(args.cooldown) {
                write(&args, &stepper, &steps, None)?;
                return Err(Stopped(signal).into());
            }
        }
        let drained = match steps.last() {
            Some(last) if last.judged.verdict != Verdict::Pass && !args.max_drain.is_zero() => {
                let drained = drain::drain(&stepper, args.from, args.max_drain)?;
                if !args.quiet {
                    eprintln!("         {}", drained.describe(report::Unit::of(&args)));
                }
                if let Some(signal) = drained.signal {
                    write(&args, &stepper, &steps, None)?;
                    return Err(Stopped(signal).into());
                }
                Some(drained)
            }
            _ => None,
        };
        let mut step = stepper.run(rate, steps.len() + 1)?;
        step.drain = drained;
        if !args.quiet {
            eprintln!("{}", report::progress_line(&step, report::Unit::of(&args)));
        }
        search.record(rate, step.judged.verdict);
        let signal = step.signal;
        let broken = broken(&step);
        steps.push(step);
        if let Some(problem) = broken {
            // A bug in Klavier or a profile that cannot be sent: what was found so far is
            // written, and the search fails rather than judge the server on it.
            write(&args, &stepper, &steps, None)?;
            return Err(problem);
        }
        if let Some(signal) = signal {
            // Stopped by the user: what was found so far, then the exit code says so.
            write(&args, &stepper, &steps, None)?;
            return Err(Stopped(signal).into());
        }
    };
    write(&args, &stepper, &steps, Some(&outcome))?;
    let unit = if args.users { " users" } else { "/s" };
    match outcome {
        Outcome::Found { .. } | Outcome::AtLeastMax { .. } => Ok(()),
        Outcome::OutOfSteps { low: Some(_), .. } => Ok(()),
        Outcome::BelowFirst { from } => Err(NoCapacity(format!(
            "even the first step ({from}{unit}) missed the SLOs: try a lower --from"
        ))
        .into()),
        Outcome::Unmeasurable { from } => anyhow::bail!(
            "the first step ({from}{unit}) could not be measured: the generator fell short every time"
        ),
        Outcome::OutOfSteps { low: None, .. } => {
            anyhow::bail!("no step passed within {MAX_STEPS} steps")
        }
    }
}

/// Sleeps `pause`, unless a signal comes first: a Ctrl-C during a cool-down stops the
/// search at once, not at the start of the next step.
fn pause(pause: std::time::Duration) -> Option<crate::engine::StopSignal> {
    const SLICE: std::time::Duration = std::time::Duration::from_millis(20);
    let until = std::time::Instant::now() + pause;
    loop {
        if let Some(signal) = crate::engine::received().first {
            return Some(signal);
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(left.min(SLICE));
    }
}

/// What makes a step unfit to judge the server by, as `run` would fail on it: a user
/// task that panicked, or requests none of which could be sent as valid HTTP. Requests
/// of which only some could not be sent are said once, on stderr.
fn broken(step: &Step) -> Option<anyhow::Error> {
    let generator = &step.summary.generator;
    if let Some(first) = generator.panic_messages.first() {
        return Some(anyhow::anyhow!(
            "step {}: {} user task(s) panicked (first: {first:?}); the search stops",
            step.number,
            generator.panics
        ));
    }
    let reason = step.not_rendered.as_deref()?;
    if step.summary.totals.count == 0 {
        return Some(anyhow::anyhow!(
            "step {}: nothing was sent: no request could be rendered as valid HTTP (first: {reason})",
            step.number
        ));
    }
    if step.number == 1 {
        eprintln!(
            "klavier: some requests were not sent: not valid HTTP once rendered (first: {reason})"
        );
    }
    None
}

/// The table on stdout, and the JSON when asked.
fn write(
    args: &SearchArgs,
    stepper: &Stepper,
    steps: &[Step],
    outcome: Option<&Outcome>,
) -> anyhow::Result<()> {
    if let Some(json) = &args.json {
        let document = report::Document::new(args, stepper, steps, outcome);
        crate::outputs::write_output(json, "the search's JSON", |out| {
            serde_json::to_writer_pretty(&mut *out, &document)?;
            writeln!(out)
        })?;
    }
    if let Some(html) = &args.html {
        let page = report::html_page(args, stepper, steps, outcome);
        crate::outputs::write_output(html, "the search's HTML page", |out| {
            crate::report::write_search_html(&page, out)
        })?;
    }
    let mut stdout = std::io::stdout().lock();
    report::write_table(steps, outcome, report::Unit::of(args), &mut stdout)
        .context("writing the table")
}
