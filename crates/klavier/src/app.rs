//! Glue that reads like a recipe: load the plan, run it, write the reports.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context as _;
use klavier_plan::{Overrides, Plan};
use klavier_stats::{Layout, RunInfo, Summary};

use crate::cli::{
    CheckArgs, Cli, Command, CompareArgs, DemoArgs, OutputArgs, OverrideArgs, ReportArgs, RunArgs,
    TargetArgs,
};
use crate::engine::{self, Signals};
use crate::exit::{BadInput, Regressed, Stopped, ThresholdsFailed};
use crate::http::Connector;
use crate::live::{LiveView, Mode, Wishes};
use crate::outputs;
use crate::scale;
use crate::thresholds::Watch;
use klavier_stats::compare::Tolerance;
use klavier_stats::threshold::judge;

/// The demo profile, bundled so `klavier demo` needs no files.
const DEMO_PROFILE: &str = include_str!("../../../examples/demo.toml");

/// Runs the command the user asked for.
pub fn main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Demo(args) => demo(args),
        Command::Target(args) => target(&args),
        Command::Report(args) => report(args),
        Command::Compare(args) => compare(args),
        Command::Merge(args) => scale::merge(&args),
        Command::K8s(args) => scale::k8s(&args),
        Command::Init(args) => crate::init::init(&args),
        Command::Import(args) => crate::import::run(&args),
        Command::Completions(args) => crate::shell::completions(&args),
        Command::Man => crate::shell::man(),
        Command::Search(args) => crate::search::run(args),
    }
}

/// `klavier target`: the built-in target until Ctrl-C, at a known capacity if asked.
fn target(args: &TargetArgs) -> anyhow::Result<()> {
    let capacity = args.capacity();
    if let Some(c) = capacity {
        eprintln!(
            "klavier target: {} workers × {:?}: capacity {:.0} requests/s",
            c.workers,
            c.service,
            c.per_second()
        );
    }
    klavier_testbed::run_forever(args.addr, args.stall, capacity)
}

/// Compares two saved results of the same profile.
fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let (base, new) = (read_result(&args.base)?, read_result(&args.new)?);
    if base.profile != new.profile {
        return Err(BadInput(format!(
            "{} is a result of profile {:?} and {} of {:?}: compare runs of the same profile",
            args.base.display(),
            base.profile,
            args.new.display(),
            new.profile
        ))
        .into());
    }
    let tolerance = Tolerance {
        max_regression: args.max_regression,
        alpha: args.alpha,
    };
    let changes = klavier_stats::compare::compare(&base, &new, tolerance);
    if changes.is_empty() {
        return Err(BadInput("the two results have no request in common".to_owned()).into());
    }
    let tail = klavier_stats::compare::compare_tails(&base, &new, tolerance);
    if let Some(html) = &args.html {
        let names = (args.base.to_string_lossy(), args.new.to_string_lossy());
        outputs::write_output(html, "the HTML comparison", |mut out| {
            crate::report::write_comparison_html(
                &changes,
                &tail,
                tolerance,
                (&names.0, &names.1),
                &mut out,
            )
        })?;
    }
    let mut stdout = std::io::stdout().lock();
    crate::report::write_comparison(&changes, &tail, tolerance, &mut stdout)
        .context("writing the comparison")?;
    let regressed = changes.iter().filter(|c| c.regression).count() + usize::from(tail.regression);
    if regressed > 0 {
        return Err(Regressed(regressed).into());
    }
    Ok(())
}

/// A saved `klavier.result/v1` file; a file that is not one is bad input.
fn read_result(path: &Path) -> anyhow::Result<Summary> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BadInput(format!("cannot read the result {}: {e}", path.display())))?;
    let summary = serde_json::from_str(&text).map_err(|e| {
        BadInput(format!(
            "{}:{}:{}: not a klavier.result/v1 JSON result: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(summary)
}

/// Renders a saved result: the HTML report, or the text summary.
fn report(args: ReportArgs) -> anyhow::Result<()> {
    let summary = read_result(&args.result)?;
    match &args.html {
        Some(html) => outputs::write_output(html, "the HTML report", |mut out| {
            crate::report::write_html(&summary, &mut out)
        }),
        None => {
            let stdout = std::io::stdout();
            let style = outputs::text_style(std::io::IsTerminal::is_terminal(&stdout), args.wide);
            crate::report::write_text_styled(&summary, &mut stdout.lock(), style)
                .context("writing the summary")
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    // From now on a signal is counted, not fatal: even one that arrives while the
    // profile loads ends in a stopped run with its reports.
    engine::listen_to_os_signals();
    let overrides = overrides(&args.overrides);
    let plan = match &args.profile {
        Some(profile) => klavier_plan::load(profile, &overrides)?,
        None if args.quick.url.is_some() => crate::quick::compile(&args.quick, &overrides)?,
        None => {
            let usage = "klavier run needs a PROFILE file, or --url URL for one request \
                         (quick mode), e.g. klavier run --url http://127.0.0.1:8080/ -u 10 -d 30s";
            return Err(BadInput(usage.to_owned()).into());
        }
    };
    let scale = args.scale.resolve()?;
    scale.check(&plan)?;
    execute(plan, &args.output, &scale)
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let plan = klavier_plan::load(&args.profile, &overrides(&args.overrides))?;
    warn_if_insecure(&plan);
    Connector::new(&plan.target).map_err(|e| BadInput(e.to_string()))?;
    if args.dry_run {
        return crate::dry_run::preview(&plan, args.assume_latency, args.json.as_deref());
    }
    // Not `print!`, which panics when the reader has gone (`klavier check p.toml | head`):
    // the error carries the broken pipe to `exit`, which counts it as success.
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{plan}")
        .and_then(|()| stdout.flush())
        .context("writing the plan")
}

fn demo(args: DemoArgs) -> anyhow::Result<()> {
    engine::listen_to_os_signals();
    let server = klavier_testbed::spawn(([127, 0, 0, 1], 0).into())
        .context("starting the built-in target")?;
    let mut overrides = overrides(&args.overrides);
    overrides.base_url = Some(server.base_url());
    let plan = klavier_plan::compile(DEMO_PROFILE, "examples/demo.toml", &overrides)?;
    eprintln!(
        "klavier demo: built-in target on {}, {} users for {}",
        server.base_url(),
        plan.load.max_users(),
        humantime::format_duration(plan.timings.duration),
    );
    let result = execute(plan, &args.output, &scale::Options::default());
    server.shutdown();
    // The demo's failures are part of the show, not a problem with the tool or the target.
    let note = "klavier demo: the \"broken\" scenario's GET /status/503 fails on purpose,\n\
                to show how failures are reported.";
    let mut out: Box<dyn Write> = if args.output.json.as_deref() == Some(Path::new("-")) {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    writeln!(out, "\n{note}").context("writing the summary")?;
    result
}

pub(crate) fn overrides(args: &OverrideArgs) -> Overrides {
    Overrides {
        base_url: args.base_url.clone(),
        users: args.users,
        duration: args.duration,
        seed: args.seed,
        ramp_up: args.ramp_up,
        stages: args.stages.iter().map(|s| (s.duration, s.target)).collect(),
        rate: args.rate,
        warmup: args.warmup,
        variables: args.vars.clone(),
        thresholds: args.thresholds.clone(),
        threshold_flag: None,
    }
}

/// Runs a compiled plan and writes its reports.
fn execute(plan: Plan, output: &OutputArgs, scale: &scale::Options) -> anyhow::Result<()> {
    outputs::check(output)?;
    warn_if_insecure(&plan);
    raise_open_file_limit();
    let seed = plan.seed.unwrap_or_else(random_seed);
    let threads = output.threads.map_or_else(default_threads, |n| n as usize);
    let connector = Connector::new(&plan.target)
        .map_err(|e| BadInput(e.to_string()))?
        .shared_by(threads);
    let plan = Arc::new(plan);
    scale.announce(output.quiet);
    let metrics = scale.serve_metrics(&plan)?;
    let mut live = LiveView::new(live_mode(output), &plan, scale.segment);
    let mut watch = Watch::new(&plan, layout(&plan));
    let result = engine::run(
        plan.clone(),
        Arc::new(connector),
        seed,
        scale.part(),
        threads,
        Signals::Os,
        &mut |progress| {
            live.show(progress);
            if let Some((metrics, _)) = &metrics {
                metrics.update(progress);
            }
            watch.check(progress)
        },
    )?;
    live.finish();
    if let Some(verdict) = watch.tripped() {
        let failed: Vec<&str> = verdict
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.expression.as_str())
            .collect();
        eprintln!(
            "klavier: stopped early (abort_on_fail): {} failed during the run",
            failed.join(", ")
        );
    }
    let info = RunInfo {
        profile: plan.name.clone(),
        target: klavier_plan::redact::url(&plan.target.base_url, &plan.target.redact).into_owned(),
        started_at: result.started_at,
        elapsed: result.elapsed,
        planned_duration: plan.timings.duration,
        users: scale.segment.users(plan.load.max_users()),
        seed,
        stop_reason: result.stop_reason,
        klavier_version: env!("CARGO_PKG_VERSION").to_owned(),
        open_model: matches!(plan.load, klavier_plan::Load::Open { .. }),
        worker_cpu_peak: result.worker_cpu_peak,
        warmup: plan.timings.warmup,
        panics: result.panics,
    };
    let layout = layout(&plan);
    let sent = result.total.requests() + result.warmup.requests();
    let mut summary = Summary::build(&info, &layout, &result.total, result.timeseries)
        .with_warmup(&result.warmup, plan.timings.warmup);
    summary.name_checks(&plan.session.check_names);
    for (row, scenario) in summary.scenarios.iter_mut().zip(&plan.scenarios) {
        if scenario.run != klavier_plan::Run::Loop {
            row.run = Some(scenario.run.name().to_owned());
        }
    }
    if let Some(reason) = &result.invalid_url {
        // The counts say how many; this says why, once, in every report.
        summary.generator.warnings.push(klavier_stats::Warning {
            kind: "invalid_url".to_owned(),
            message: format!("requests failed as invalid_url once rendered (first: {reason})"),
        });
    }
    scale.mark(&mut summary, &plan, seed, result.start_lag);
    let verdict = judge(&summary, &plan.thresholds.list);
    summary.thresholds = verdict.results.clone();
    outputs::write_all(&summary, output)?;
    if let Some(first) = summary.generator.panic_messages.first() {
        // A bug in Klavier: the reports are written, and the run still fails.
        anyhow::bail!(
            "{} user task(s) panicked (first: {first:?}); the results are incomplete",
            summary.generator.panics
        );
    }
    if let Some(signal) = result.signal {
        // Every report is written; the exit code says the run was cut short.
        return Err(Stopped(signal).into());
    }
    unsent(result.not_rendered.as_deref(), sent)?;
    if !verdict.passed() {
        let (failed, total) = (verdict.failures(), verdict.results.len());
        return Err(ThresholdsFailed { failed, total }.into());
    }
    Ok(())
}

/// The dashboard where stdout is a terminal of its own; progress lines otherwise.
fn live_mode(output: &OutputArgs) -> Mode {
    let dash = Path::new("-");
    Mode::choose(Wishes {
        quiet: output.quiet,
        no_tui: output.no_tui,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        stdout_terminal: std::io::IsTerminal::is_terminal(&std::io::stdout()),
        report_on_stdout: [&output.json, &output.csv, &output.junit]
            .iter()
            .any(|path| path.as_deref() == Some(dash)),
    })
}

/// A run that could render no request sent nothing and failed, whatever its summary's
/// counts say: exit 1 with the first reason. One that sent some says why others were not.
fn unsent(not_rendered: Option<&str>, sent: u64) -> anyhow::Result<()> {
    match (not_rendered, sent) {
        (Some(reason), 0) => anyhow::bail!(
            "nothing was sent: no request could be rendered as valid HTTP (first: {reason})"
        ),
        (Some(reason), _) => {
            eprintln!("klavier: some requests were not sent: not valid HTTP once rendered (first: {reason})");
            Ok(())
        }
        (None, _) => Ok(()),
    }
}

/// `insecure = true` turns off what makes TLS worth having: said loudly, on stderr, every
/// time, so it is not left on by accident against a real server.
fn warn_if_insecure(plan: &Plan) {
    if plan.target.tls && plan.target.insecure {
        eprintln!(
            "WARNING: insecure = true: TLS certificates of {} are NOT verified; anyone on the \
             path can read and change this traffic. Use ca_file for a private CA instead.",
            klavier_plan::redact::url(&plan.target.base_url, &plan.target.redact)
        );
    }
}

pub(crate) fn layout(plan: &Plan) -> Layout {
    Layout {
        requests: plan.request_names.clone(),
        scenarios: plan
            .scenarios
            .iter()
            .map(|s| (s.name.clone(), s.loop_weight()))
            .collect(),
    }
}

pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A seed for runs that did not ask for one; printed in the summary for replay.
pub(crate) fn random_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}

/// Many users need many sockets: lift the soft open-file limit to the hard one.
fn raise_open_file_limit() {
    // Best effort: if it fails, connections beyond the limit are counted as failures.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
}
