//! `klavier completions SHELL` and `klavier man` from the real binary.

use crate::support::klavier;

/// Runs `klavier ARGS…`, which must succeed; returns stdout.
fn stdout_of(args: &[&str]) -> String {
    let output = klavier().args(args).output().expect("klavier starts");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn every_shell_gets_a_script_that_knows_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        assert!(script.contains("run"), "{shell}: no `run` in\n{script}");
        assert!(script.contains("url"), "{shell}: no `--url` option");
        assert!(
            script.contains("scenario-per"),
            "{shell}: no `import har --scenario-per`"
        );
    }
}

#[test]
fn the_bash_script_is_valid_bash() {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("klavier.bash");
    std::fs::write(&path, &script).expect("writable");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash is installed");
    assert!(check.status.success(), "bash -n: {check:?}");
}

#[test]
fn the_man_page_is_roff_covering_the_subcommands() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH klavier"),
        "{page}"
    );
    for command in ["run", "check", "init", "import", "completions"] {
        assert!(page.contains(command), "no {command} in the man page");
    }
}

#[test]
fn an_unknown_shell_is_refused_naming_the_choices() {
    let output = klavier()
        .args(["completions", "tcsh"])
        .output()
        .expect("starts");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bash") && stderr.contains("elvish"),
        "{stderr}"
    );
}
