//! `klavier init`: the starter profile passes `check` and runs against the built-in target.

use crate::support::{klavier, request_counts, run_ok, target, Workspace};

#[test]
fn the_starter_profile_checks_and_runs() {
    let ws = Workspace::new();
    let server = target();
    let profile = ws.path("starter.toml");
    let url = format!("{}/api/health", server.base_url());
    let init = klavier()
        .args(["init", "--url", &url, "-o"])
        .arg(&profile)
        .output()
        .expect("klavier starts");
    assert!(init.status.success(), "{init:?}");
    let text = std::fs::read_to_string(&profile).expect("init wrote the profile");
    for section in [
        "[target]",
        "[load]",
        "[timings]",
        "[scenarios.main]",
        "[thresholds]",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }

    let check = klavier()
        .arg("check")
        .arg(&profile)
        .output()
        .expect("starts");
    assert!(check.status.success(), "{check:?}");

    let json = ws.path("result.json");
    let mut run = klavier();
    run.arg("run")
        .arg(&profile)
        .args(["-d", "1s", "-u", "2", "-q", "--json"])
        .arg(&json);
    let finished = run_ok(&mut run, &json);
    let counts = request_counts(&finished.result);
    assert!(counts["GET /api/health"] > 0, "{counts:?}");
    assert_eq!(counts, server.counts(), "sent vs seen by the target");
    assert_eq!(finished.result["thresholds"][0]["passed"], true);

    // A second init would destroy the edits: refused unless --force.
    std::fs::write(&profile, "# edited\n").expect("writable");
    let again = klavier()
        .args(["init", "-o"])
        .arg(&profile)
        .output()
        .expect("starts");
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&profile).expect("kept"),
        "# edited\n"
    );
    let forced = klavier()
        .args(["init", "--force", "-o"])
        .arg(&profile)
        .output()
        .expect("starts");
    assert!(forced.status.success(), "{forced:?}");
    assert!(std::fs::read_to_string(&profile)
        .expect("rewritten")
        .contains("[target]"));
}
