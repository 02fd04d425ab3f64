//! `klavier k8s`: a Kubernetes manifest that runs a profile as N segments, on the
//! cluster's own machinery (an Indexed Job), not a home-made cluster protocol. A
//! ConfigMap carries the profile; each of the Job's N pods runs `klavier run --segment
//! auto/N` (its index from `JOB_COMPLETION_INDEX`) with the same seed and a common
//! `--start-at`, and prints its JSON result to its log for `klavier merge -`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use clap::Args;

use crate::cli::OverrideArgs;
use crate::exit::BadInput;

/// Where the profile is mounted in the pods.
const MOUNT: &str = "/etc/klavier";

/// `klavier k8s`.
#[derive(Debug, Args)]
pub struct K8sArgs {
    /// The profile (TOML), checked before anything is printed.
    pub profile: PathBuf,
    /// How many segments (pods) to split the test into.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub segments: u32,
    /// The container image with the `klavier` binary.
    #[arg(long, value_name = "IMAGE", default_value = "klavier:latest")]
    pub image: String,
    /// The namespace of the ConfigMap and the Job.
    #[arg(long, value_name = "NS", default_value = "default")]
    pub namespace: String,
    /// Start every segment at this time (RFC 3339; default: --start-in from now).
    #[arg(long, value_name = "TIME", conflicts_with = "start_in")]
    pub start_at: Option<String>,
    /// Start every segment this long after the manifest is printed (time to apply it,
    /// schedule the pods and pull the image).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = humantime::parse_duration)]
    pub start_in: Duration,
    /// How late after the start a pod may be ready before it fails (see `run --max-start-lag`).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub max_start_lag: String,
    /// Changes to the profile, passed to every segment.
    #[command(flatten)]
    pub overrides: OverrideArgs,
}

/// Prints the manifest on standard output.
pub fn k8s(args: &K8sArgs) -> anyhow::Result<()> {
    let overrides = crate::app::overrides(&args.overrides);
    let plan = klavier_plan::load(&args.profile, &overrides)?;
    if !plan.session.feeders.is_empty() {
        eprintln!(
            "warning: the profile reads data files; only the profile goes into the ConfigMap, \
             so the image must hold them at the same paths"
        );
    }
    let text = std::fs::read_to_string(&args.profile)
        .with_context(|| format!("reading {}", args.profile.display()))?;
    // Every segment must draw from the same seed, or the results would not merge.
    let seed = plan.seed.unwrap_or_else(crate::app::random_seed);
    let start_at = match &args.start_at {
        Some(at) => humantime::parse_rfc3339_weak(at)
            .map_err(|e| BadInput(format!("--start-at {at:?}: {e} (expected RFC 3339)")))?,
        None => SystemTime::now() + args.start_in,
    };
    humantime::parse_duration(&args.max_start_lag)
        .map_err(|e| BadInput(format!("--max-start-lag {:?}: {e}", args.max_start_lag)))?;
    let manifest = Manifest {
        name: job_name(&args.profile),
        namespace: &args.namespace,
        image: &args.image,
        segments: args.segments,
        profile: &text,
        args: run_args(args, seed, start_at),
    };
    print!("{}", manifest.render());
    Ok(())
}

/// The arguments of `klavier run` in every pod.
fn run_args(args: &K8sArgs, seed: u64, start_at: SystemTime) -> Vec<String> {
    let mut run: Vec<String> = [
        "run",
        &format!("{MOUNT}/profile.toml"),
        "--segment",
        &format!("auto/{}", args.segments),
        "--seed",
        &seed.to_string(),
        "--start-at",
        &humantime::format_rfc3339_seconds(start_at).to_string(),
        "--max-start-lag",
        &args.max_start_lag,
        "--quiet",
        // The result on stdout, the summary on stderr: both reach the pod's log.
        "--json",
        "-",
    ]
    .map(str::to_owned)
    .to_vec();
    run.extend(override_args(&args.overrides));
    run
}

/// The command-line overrides, as `klavier run` arguments (the seed goes apart).
fn override_args(o: &OverrideArgs) -> Vec<String> {
    let duration = |d: &Duration| humantime::format_duration(*d).to_string().replace(' ', "");
    let mut args = Vec::new();
    let mut push = |flag: &str, value: String| args.extend([flag.to_owned(), value]);
    if let Some(users) = o.users {
        push("--users", users.to_string());
    }
    if let Some(d) = &o.duration {
        push("--duration", duration(d));
    }
    if let Some(url) = &o.base_url {
        push("--base-url", url.clone());
    }
    if let Some(d) = &o.ramp_up {
        push("--ramp-up", duration(d));
    }
    if let Some(d) = &o.warmup {
        push("--warmup", duration(d));
    }
    for stage in &o.stages {
        push(
            "--stage",
            format!("{}:{}", duration(&stage.duration), stage.target),
        );
    }
    if let Some(rate) = o.rate {
        push("--rate", rate.to_string());
    }
    for (name, value) in &o.vars {
        push("--var", format!("{name}={value}"));
    }
    args
}

/// A DNS-1123 name from the profile's file name: `klavier-` and its stem, lowercased,
/// other characters as `-`, short enough for the pods' names and labels.
fn job_name(profile: &std::path::Path) -> String {
    let stem = profile
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let cleaned: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut name = format!("klavier-{}", cleaned.trim_matches('-'));
    name.truncate(50);
    name.trim_end_matches('-').to_owned()
}

/// The ConfigMap and the Indexed Job.
struct Manifest<'a> {
    name: String,
    namespace: &'a str,
    image: &'a str,
    segments: u32,
    profile: &'a str,
    args: Vec<String>,
}

impl Manifest<'_> {
    fn render(&self) -> String {
        let (name, ns) = (quote(&self.name), quote(self.namespace));
        let mut out = String::new();
        let _ = write!(
            out,
            "# klavier k8s: {segments} segments of one run. Apply, wait, collect, merge:\n\
             #   kubectl apply -f manifest.yaml\n\
             #   kubectl -n {namespace} wait --for=condition=complete --timeout=1h job/{job}\n\
             #   kubectl -n {namespace} logs -l job-name={job} --tail=-1 | klavier merge - -o all.json\n\
             apiVersion: v1\n\
             kind: ConfigMap\n\
             metadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: klavier\n\
             data:\n  profile.toml: {profile}\n\
             ---\n\
             apiVersion: batch/v1\n\
             kind: Job\n\
             metadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: klavier\n\
             spec:\n  completionMode: Indexed\n  completions: {segments}\n  parallelism: {segments}\n\
             \x20 # A segment must never run twice: its share would be counted twice.\n\
             \x20 backoffLimit: 0\n\
             \x20 template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: klavier\n\
             \x20   spec:\n      restartPolicy: Never\n      containers:\n\
             \x20       - name: klavier\n          image: {image}\n          args:\n",
            segments = self.segments,
            namespace = self.namespace,
            job = self.name,
            profile = block(self.profile, "    "),
            image = quote(self.image),
        );
        for arg in &self.args {
            let _ = writeln!(out, "            - {}", quote(arg));
        }
        let _ = write!(
            out,
            "          volumeMounts:\n            - name: profile\n              mountPath: {mount}\n              readOnly: true\n\
             \x20     volumes:\n        - name: profile\n          configMap:\n            name: {name}\n",
            mount = quote(MOUNT),
        );
        out
    }
}

/// A YAML literal block (`|`) with its lines indented by `indent`, so the profile reads
/// as written; a double-quoted scalar when a block could not hold the text exactly
/// (control characters, leading blanks, not one final newline).
fn block(text: &str, indent: &str) -> String {
    let plain = text.ends_with('\n')
        && !text.ends_with("\n\n")
        && !text.starts_with([' ', '\t', '\n'])
        && !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        && text
            .lines()
            .all(|line| line.is_empty() || !line.trim().is_empty());
    if !plain {
        return quote(text);
    }
    let mut out = String::from("|\n");
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.pop();
    out
}

/// A YAML double-quoted scalar: JSON's string syntax is valid YAML, whatever the text.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_dns_labels() {
        assert_eq!(
            job_name("p/Checkout_Flow.toml".as_ref()),
            "klavier-checkout-flow"
        );
        let long = job_name(&PathBuf::from(format!("{}.toml", "x".repeat(80))));
        assert!(long.len() <= 50 && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn profiles_go_in_literal_blocks_when_they_can() {
        assert_eq!(block("a = 1\n\nb = 2\n", "  "), "|\n  a = 1\n\n  b = 2");
        assert_eq!(block(" a\n", "  "), quote(" a\n"));
        assert_eq!(block("a", "  "), quote("a"));
        assert_eq!(block("a\r\n", "  "), quote("a\r\n"));
        assert_eq!(block("a\n  \n", "  "), quote("a\n  \n"));
    }

    #[test]
    fn any_text_is_quoted_into_one_yaml_scalar() {
        assert_eq!(quote("a \"b\"\n\tc"), r#""a \"b\"\n\tc""#);
    }
}
