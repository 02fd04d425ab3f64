//! `klavier k8s`: the manifest validates strictly against Kubernetes' own schemas
//! (kubernetes-validate, offline, from the test virtualenv), and its pods' command,
//! run here as local processes with the index a Job would give them, makes results that
//! `klavier merge -` puts back together from their concatenated logs.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::process::missing;
use crate::support::python::venv;
use crate::support::{klavier, klavier_path, read_result, request_counts, target, Workspace};

const PROFILE: &str = r#"
[target]
base_url = "http://127.0.0.1:9"
[scenarios.health]
weight = 3
[[scenarios.health.requests]]
path = "/api/health"
[scenarios.login]
weight = 1
[[scenarios.login.requests]]
path = "/api/auth/login"
"#;

/// Reads the manifest back with PyYAML: the ConfigMap's profile and the Job's spec.
const READ_BACK: &str = r#"
import json, sys, yaml
config, job = yaml.safe_load_all(open(sys.argv[1]))
pod = job["spec"]["template"]["spec"]
print(json.dumps({"profile": config["data"]["profile.toml"], "spec": job["spec"],
                  "args": pod["containers"][0]["args"]}))
"#;

fn venv_program(name: &str) -> PathBuf {
    let program = venv().join("bin").join(name);
    if !program.is_file() {
        missing(
            &format!("{name} (in {})", venv().display()),
            "python3 -m venv .venv && .venv/bin/pip install -r scripts/test-requirements.txt",
        );
    }
    program
}

#[test]
fn the_manifest_validates_and_its_pods_make_results_that_merge() {
    let ws = Workspace::new();
    let server = target();
    let url = server.base_url();
    let profile = ws.write("checkout.toml", PROFILE);
    let output = klavier()
        .arg("k8s")
        .arg(&profile)
        .args(["--segments", "3", "--namespace", "load", "--start-in", "3s"])
        .args([
            "--base-url",
            &url,
            "--rate",
            "40",
            "--stage",
            "1s:40",
            "--stage",
            "200ms:0",
        ])
        .args(["--duration", "3s", "--seed", "31"])
        .output()
        .expect("klavier starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let manifest = ws.write("manifest.yaml", &output.stdout);

    let read = Command::new(venv_program("python"))
        .args(["-c", READ_BACK])
        .arg(&manifest)
        .output()
        .expect("python starts");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let job: Value = serde_json::from_slice(&read.stdout).expect("JSON");
    assert_eq!(
        job["profile"], PROFILE,
        "the ConfigMap holds the profile as written"
    );
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(
        (&spec["completions"], &spec["parallelism"]),
        (&3.into(), &3.into())
    );
    assert_eq!(spec["backoffLimit"], 0, "a segment never runs twice");

    // Each pod: the same command, the index from the Job, the profile where it is mounted.
    let mounted = ws.write("mounted.toml", job["profile"].as_str().expect("text"));
    let args: Vec<String> = job["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string").to_owned())
        .map(|a| {
            if a == "/etc/klavier/profile.toml" {
                mounted.display().to_string()
            } else {
                a
            }
        })
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--segment", "auto/3"]),
        "{args:?}"
    );
    let pods: Vec<_> = (0..3)
        .map(|index| {
            Command::new(klavier_path())
                .args(&args)
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("klavier starts")
        })
        .collect();

    let validated = Command::new(venv_program("kubernetes-validate"))
        .arg("--strict")
        .arg(&manifest)
        .output()
        .expect("kubernetes-validate starts");
    let said = String::from_utf8_lossy(&validated.stdout).into_owned()
        + &String::from_utf8_lossy(&validated.stderr);
    assert!(validated.status.success(), "{said}");
    assert!(
        said.contains("passed for resource job/klavier-checkout"),
        "{said}"
    );
    assert!(
        said.contains("passed for resource configmap/klavier-checkout"),
        "{said}"
    );

    // `kubectl logs` of the pods, one after the other.
    let mut logs = Vec::new();
    for pod in pods {
        let output = pod.wait_with_output().expect("the pod ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        logs.extend(output.stdout);
    }
    let merged_path = ws.path("all.json");
    let mut merge = Command::new(klavier_path())
        .args(["merge", "-", "--quiet", "-o"])
        .arg(&merged_path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("klavier starts");
    merge
        .stdin
        .take()
        .expect("stdin")
        .write_all(&logs)
        .expect("writes");
    let output = merge.wait_with_output().expect("merge ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let merged = read_result(&merged_path);
    assert_eq!(merged["merge"]["partial"], false, "{}", merged["merge"]);
    assert_eq!(request_counts(&merged), server.counts());
    assert_eq!(merged["arrivals"]["due"], 44);
}
