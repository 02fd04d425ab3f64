//! What every integration test needs: files in a temporary directory, the real
//! `klavier` binary, its JSON result parsed and checked against the committed schema,
//! and the loopback servers it is pointed at (in the submodules): our own, and real
//! servers we did not write, run as child processes (`process` holds what they share).

pub mod faults;
pub mod loopback;
pub mod nginx;
pub mod process;
pub mod python;
pub mod streaming;
pub mod tinyproxy;
pub mod tls;
pub mod wiretap;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;
use klavier_testbed::RunningTarget;
use serde_json::Value;

/// Longest any single `klavier` invocation may take before the test gives up on it
/// (the process is killed): runs here last a few seconds.
pub const PROCESS_LIMIT: Duration = Duration::from_secs(60);

/// The repository root (the workspace), for `examples/` and `schema/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file of the repository, e.g. `repo_file("examples/seed.toml")`.
pub fn repo_file(relative: &str) -> PathBuf {
    repo_root().join(relative)
}

/// The `klavier` binary Cargo built for these tests.
pub fn klavier_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_klavier"))
}

/// A command running the real `klavier` binary, killed if it outlives [`PROCESS_LIMIT`].
pub fn klavier() -> Command {
    let mut cmd = Command::new(klavier_path());
    cmd.timeout(PROCESS_LIMIT);
    cmd
}

/// The built-in target, in this process, on a free loopback port.
pub fn target() -> RunningTarget {
    klavier_testbed::spawn(([127, 0, 0, 1], 0).into()).expect("the built-in target starts")
}

/// A temporary directory holding one test's profile, result file and server files;
/// removed when dropped.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("klavier-it-")
            .tempdir()
            .expect("a temporary directory can be created");
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The path of `name` inside the workspace (the file need not exist).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("the workspace is writable");
        path
    }
}

/// What a `klavier run` or `klavier demo` that exited with 0 left behind.
pub struct Finished {
    pub stdout: String,
    /// What it printed on stderr (a panicking user would say so here).
    pub stderr: String,
    /// The JSON result, already validated against `schema/result.v1.json`.
    pub result: Value,
}

/// Runs `cmd`, which must write its JSON result to `json`; asserts exit code 0 and
/// returns the output with the parsed, schema-valid result.
pub fn run_ok(cmd: &mut Command, json: &Path) -> Finished {
    let output = cmd.output().expect("klavier starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "klavier should exit with 0\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let result = read_result(json);
    Finished {
        stdout,
        stderr,
        result,
    }
}

/// `klavier run PROFILE --quiet --json FILE ARGS…` with `profile` written into `ws`,
/// expecting exit code 0.
pub fn run_profile(ws: &Workspace, profile: &str, args: &[&str]) -> Finished {
    let path = ws.write("profile.toml", profile);
    let json = ws.path("result.json");
    let mut cmd = klavier();
    cmd.arg("run")
        .arg(&path)
        .arg("--quiet")
        .arg("--json")
        .arg(&json)
        .args(args);
    run_ok(&mut cmd, &json)
}

/// Reads a JSON result file and checks it against the schema.
pub fn read_result(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading the JSON result {}: {e}", path.display()));
    let result: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the JSON result {} is not JSON: {e}", path.display()));
    validate_result(&result);
    result
}

/// Asserts `result` is valid against `schema/result.v1.json`, listing every violation.
pub fn validate_result(result: &Value) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = repo_file("schema/result.v1.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{} is not a valid JSON Schema: {e}", path.display()))
    });
    let problems: Vec<String> = validator
        .iter_errors(result)
        .map(|e| format!("  at {:?}: {e}", e.instance_path.to_string()))
        .collect();
    assert!(
        problems.is_empty(),
        "the JSON result does not match schema/result.v1.json:\n{}",
        problems.join("\n")
    );
    assert_eq!(result["schema"], "klavier.result/v1");
}

/// The rows of `section` (`"requests"` or `"scenarios"`) by name.
pub fn rows<'a>(result: &'a Value, section: &str) -> BTreeMap<&'a str, &'a Value> {
    result[section]
        .as_array()
        .unwrap_or_else(|| panic!("the result has no {section} array"))
        .iter()
        .map(|row| (row["name"].as_str().expect("rows have a name"), row))
        .collect()
}

/// The request row called `name`.
pub fn request<'a>(result: &'a Value, name: &str) -> &'a Value {
    let rows = rows(result, "requests");
    rows.get(name).copied().unwrap_or_else(|| {
        let names: Vec<&str> = rows.keys().copied().collect();
        panic!("no request row {name:?} in the result; rows: {names:?}")
    })
}

/// The scenario row called `name`.
pub fn scenario<'a>(result: &'a Value, name: &str) -> &'a Value {
    let rows = rows(result, "scenarios");
    rows.get(name).copied().unwrap_or_else(|| {
        let names: Vec<&str> = rows.keys().copied().collect();
        panic!("no scenario row {name:?} in the result; rows: {names:?}")
    })
}

/// An unsigned integer field of a row.
pub fn uint(row: &Value, field: &str) -> u64 {
    row[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} is not an unsigned integer in {row}"))
}

/// `count` of every request row that has any, by request name: comparable with a
/// server's per-path counts when requests are named `METHOD path`.
pub fn request_counts(result: &Value) -> BTreeMap<String, u64> {
    rows(result, "requests")
        .into_iter()
        .map(|(name, row)| (name.to_owned(), uint(row, "count")))
        .filter(|&(_, count)| count > 0)
        .collect()
}

/// A counter of a row that the JSON leaves out while it is zero (`retried`,
/// `connections_opened`, …).
pub fn count_of(row: &Value, field: &str) -> u64 {
    row.get(field).map_or(0, |_| uint(row, field))
}

/// A map of counts such as `status_codes` or `errors` of a row.
pub fn tally(row: &Value, field: &str) -> BTreeMap<String, u64> {
    row[field]
        .as_object()
        .unwrap_or_else(|| panic!("{field} is not an object in {row}"))
        .iter()
        .map(|(key, n)| {
            let n = n
                .as_u64()
                .unwrap_or_else(|| panic!("{field}.{key} is not a count"));
            (key.clone(), n)
        })
        .collect()
}

/// Asserts that a scenario picked `picked` times out of `total` picks, each with
/// probability `p`, is consistent with a fair weighted choice.
///
/// Every pick is an independent Bernoulli(p) trial (each user has its own random
/// stream; whether it picks a scenario does not depend on the previous picks), so
/// `picked` is Binomial(total, p): mean total·p, standard deviation
/// σ = sqrt(total·p·(1−p)). By the normal approximation a fair picker lands more than
/// 5σ from the mean with probability about 6·10⁻⁷ (two-sided). The tests fix their
/// seeds, so the choices themselves do not vary between runs. For p = 5/6 the bound
/// tells 5:1 from 4:1 (p = 0.8) once total exceeds ~3,100 picks and from 6:1 once it
/// exceeds ~6,100; below that it still catches grossly wrong splits.
pub fn assert_binomial(picked: u64, total: u64, p: f64, what: &str) {
    assert!(total > 0, "{what}: nothing was picked at all");
    let n = total as f64;
    let mean = n * p;
    let sigma = (n * p * (1.0 - p)).sqrt();
    let deviation = (picked as f64 - mean).abs();
    assert!(
        deviation <= 5.0 * sigma,
        "{what}: picked {picked} of {total} times, expected {mean:.1} ± 5σ (σ = {sigma:.2}); \
         off by {:.1}σ",
        deviation / sigma
    );
}

/// A profile of one scenario that GETs `path` from `base_url`, with extra TOML lines
/// for `[target]` and `[timings]`. Durations come from the command line.
pub fn one_request_profile(base_url: &str, target_extra: &str, path: &str) -> String {
    format!(
        r#"[target]
base_url = "{base_url}"
{target_extra}

[scenarios.only]
[[scenarios.only.requests]]
method = "GET"
path = "{path}"

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 50
"#
    )
}
