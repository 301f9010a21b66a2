//! The CI integrations in `examples/ci/` and `.pre-commit-hooks.yaml`, tried for real as
//! far as this machine allows: every `redflag` command line they contain is run, with the
//! CI's variables set, against a temporary git repository with one known and one new gap.

use std::path::Path;
use std::process::Command;

#[path = "support/report_schema.rs"]
mod report_schema;

const KEY: &str = "sk-ant-api03-q8Zr2LmN4vXc7BtY1uWpE5hJ0kAs9dFgQwErTyUiOpAsDfGhJkLzXcVbNm5Rt7Yu2Io0PaSdFgHjKlQwEr-T8yU9iOpA2sDfGhJ-kAAA";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `redflag …` command lines of a CI file (`run:`, `script:` items and `entry:` values).
fn commands(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    text.lines()
        .map(|l| {
            l.trim()
                .trim_start_matches("- ")
                .trim_start_matches("run: ")
                .trim_start_matches("entry: ")
                .trim()
        })
        .filter(|l| l.starts_with("redflag "))
        .map(ToString::to_string)
        .collect()
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A repository with a known gap committed and a new one: committed too, or only staged
/// (what a pre-commit hook sees).
fn repo(commit_new: bool) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(d.join("deploy")).unwrap();
    std::fs::write(
        d.join("deploy/rbac.yaml"),
        "kind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef:\n  name: cluster-admin\n",
    )
    .unwrap();
    std::fs::write(
        d.join("redflag.yaml"),
        "only: [RF1-K8S-CLUSTER-ADMIN, RF3-HARDCODED-AI-KEY]\n",
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_redflag");
    let ok = Command::new(bin)
        .current_dir(d)
        .args(["baseline", ".", "-q"])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "known gap"]);
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(d.join("app/key.py"), format!("KEY = \"{KEY}\"\n")).unwrap();
    git(d, &["add", "-A"]);
    if commit_new {
        git(d, &["commit", "-q", "-m", "new gap"]);
    }
    t
}

fn run(dir: &Path, command: &str) -> i32 {
    run_output(dir, command).status.code().unwrap_or(-1)
}

fn run_output(dir: &Path, command: &str) -> std::process::Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_redflag")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .current_dir(dir)
        .env("PATH", path)
        .env("BASE", "HEAD~1")
        .arg("-c")
        .arg(command)
        .output()
        .unwrap()
}

#[test]
fn ci_examples_run_as_written() {
    if Command::new("git").arg("--version").output().is_err() {
        return;
    }
    let files = [
        "examples/ci/github/redflag.yml",
        "examples/ci/gitlab/.gitlab-ci.yml",
        ".pre-commit-hooks.yaml",
    ];
    for file in files {
        let cmds = commands(file);
        assert!(!cmds.is_empty(), "{file} has no redflag command");
        for cmd in cmds {
            let t = repo(!file.contains("pre-commit"));
            // The new hard-coded key is critical: every integration must fail on it.
            assert_eq!(
                run(t.path(), &cmd),
                1,
                "{file}: `{cmd}` should fail on the new gap"
            );
            for out in ["redflag.sarif", "redflag.json", "redflag-junit.xml"] {
                if cmd.contains(out) {
                    let text = std::fs::read_to_string(t.path().join(out)).unwrap();
                    assert!(!text.contains("q8Zr2LmN"), "{out} leaks the key");
                    if out.ends_with(".json") || out.ends_with(".sarif") {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                        assert!(v.is_object());
                        report_schema::check_if_report(&v);
                    }
                }
            }
            // Remove the new gap: the known one alone does not fail.
            std::fs::remove_file(t.path().join("app/key.py")).unwrap();
            assert_eq!(
                run(t.path(), &cmd),
                0,
                "{file}: `{cmd}` should pass on known gaps only"
            );
        }
    }
}

#[test]
fn the_pre_commit_hook_works_from_the_first_commit() {
    if Command::new("git").arg("--version").output().is_err() {
        return;
    }
    let hook = commands(".pre-commit-hooks.yaml").remove(0);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join("README.md"), "# a new project\n").unwrap();
    git(d, &["add", "-A"]);
    // No commit and no baseline yet: nothing is known, nothing fails.
    let out = run_output(d, &hook);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A committed key in the first commit is a new critical gap.
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(d.join("app/key.py"), format!("KEY = \"{KEY}\"\n")).unwrap();
    git(d, &["add", "-A"]);
    assert_eq!(run(d, &hook), 1, "`{hook}` before the first commit");
    // Without --quiet, the run says why everything is new.
    let loud = hook.replace(" --quiet", "");
    let out = run_output(d, &loud);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no commit yet"));
}

#[test]
fn a_missing_baseline_says_what_to_run() {
    let t = tempfile::tempdir().unwrap();
    let out = run_output(t.path(), "redflag scan . --baseline .redflag/baseline.json");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("redflag baseline .") && err.contains("--new-since HEAD"),
        "{err}"
    );
}
