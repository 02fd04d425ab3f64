//! The report outputs through the binary: `--json -` on stdout (the summary then on
//! stderr), `--csv` and `--junit` files that real parsers read (JUnit XML by Python's
//! `xml.etree`), and two reports on stdout refused before the run.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{klavier, one_request_profile, target, validate_result, Workspace};

#[test]
fn json_dash_writes_the_result_to_stdout_and_the_summary_to_stderr() {
    let server = target();
    let ws = Workspace::new();
    let profile = ws.write(
        "p.toml",
        one_request_profile(&server.base_url(), "", "/api/health"),
    );
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--quiet", "--users", "1", "--json", "-"])
        .current_dir(ws.dir())
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result: Value = serde_json::from_slice(&output.stdout).expect("stdout is the JSON result");
    validate_result(&result);
    assert!(result["totals"]["count"].as_u64() > Some(0));
    assert!(
        stderr.contains("Requests"),
        "the summary is on stderr: {stderr}"
    );
    assert!(!ws.path("-").exists(), "no file named -");
}

#[test]
fn csv_and_junit_files_are_written_and_read_by_real_parsers() {
    let server = target();
    let ws = Workspace::new();
    let profile = format!(
        "{}\n[thresholds]\nrun = [\"p99 < 1h\", \"rate >= 1000000/s\"]\n",
        one_request_profile(&server.base_url(), "", "/api/health")
    );
    let profile = ws.write("p.toml", profile);
    let (csv, junit) = (ws.path("r.csv"), ws.path("r <&> .xml"));
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--quiet", "--users", "1", "--csv"])
        .arg(&csv)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("klavier starts");
    assert_eq!(output.status.code(), Some(3), "one threshold fails");

    let mut reader = csv::Reader::from_path(&csv).expect("the CSV file reads");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    let kinds: Vec<(&str, &str)> = rows.iter().map(|r| (&r[0], &r[1])).collect();
    assert_eq!(
        kinds,
        [
            ("request", "GET /api/health"),
            ("scenario", "only"),
            ("total", "total")
        ]
    );

    let cases = junit_cases(&junit);
    assert_eq!(
        cases,
        [
            "thresholds.run|p99 < 1h|pass",
            "thresholds.run|rate >= 1000000/s|fail",
            "checks|GET /api/health|pass",
        ]
    );
}

/// Every test case of a JUnit file as `class|name|pass or fail`, read by Python's
/// standard XML parser (which rejects anything that is not well-formed).
fn junit_cases(path: &Path) -> Vec<String> {
    const SCRIPT: &str = "import sys, xml.etree.ElementTree as ET\n\
        root = ET.parse(sys.argv[1]).getroot()\n\
        assert root.tag == 'testsuites', root.tag\n\
        for case in root.iter('testcase'):\n\
        \x20   state = 'fail' if case.find('failure') is not None else 'pass'\n\
        \x20   print(case.get('classname') + '|' + case.get('name') + '|' + state)\n";
    let output = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed to check the JUnit XML (scripts/test installs it): {e}")
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the JUnit XML does not parse: {stderr}"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn two_reports_on_stdout_are_refused_before_the_run() {
    let ws = Workspace::new();
    let profile = ws.write("p.toml", one_request_profile("http://127.0.0.1:9", "", "/"));
    let output = klavier()
        .arg("run")
        .arg(&profile)
        .args(["--json", "-", "--junit", "-"])
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("only one report can go to stdout (-), but the JSON result and the JUnit report both asked for it"),
        "{stderr}"
    );
}
