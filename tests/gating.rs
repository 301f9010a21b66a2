//! CI gating end to end, as a team would use it: a git repository with known gaps, a
//! baseline, a commit that adds one gap and moves the others down, waivers with expiry,
//! and the same through `--new-since` without a baseline file.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;

#[path = "support/report_schema.rs"]
mod report_schema;

const KEY_A: &str = "sk-ant-api03-q8Zr2LmN4vXc7BtY1uWpE5hJ0kAs9dFgQwErTyUiOpAsDfGhJkLzXcVbNm5Rt7Yu2Io0PaSdFgHjKlQwEr-T8yU9iOpA2sDfGhJ-kAAA";
const KEY_B: &str = "sk-ant-api03-Jq7vW2xRt9LmP4kZs8NcB1yHd6FgT3eQa0UoI5rEwKjMnBvCxZlAsDqWeRtYuIoPp-9Hh2Gg7Ff6Dd5Ss4Aa3Qq1Ww0Ee-BBBB";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Std::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=redflag-test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("redflag")
        .unwrap()
        .current_dir(dir)
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--only",
            "RF3-HARDCODED-AI-KEY,RF1-K8S-CLUSTER-ADMIN",
        ])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).unwrap();
    report_schema::assert_valid(&v);
    (code, v)
}

fn states(r: &serde_json::Value) -> Vec<(String, String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["control_id"].as_str().unwrap().to_string(),
                f["evidence"][0]["path"].as_str().unwrap().to_string(),
                f["baseline"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn new_gaps_fail_known_ones_do_not_and_waivers_expire() {
    if Std::new("git").arg("--version").output().is_err() {
        eprintln!("git not available: skipped");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write(
        repo,
        "app/config.py",
        &format!("import os\n\nANTHROPIC_KEY = \"{KEY_A}\"\n"),
    );
    write(
        repo,
        "deploy/rbac.yaml",
        "kind: ClusterRoleBinding\nmetadata:\n  name: ci-admin\nroleRef:\n  name: cluster-admin\n",
    );
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "start"]);

    // Two known gaps; record them.
    let (code, r) = scan(repo, &["--as-of", "2026-12-01"]);
    assert_eq!((code, r["findings"].as_array().unwrap().len()), (1, 2));
    Command::cargo_bin("redflag")
        .unwrap()
        .current_dir(repo)
        .args([
            "baseline",
            ".",
            "--as-of",
            "2026-12-01",
            "--only",
            "RF3-HARDCODED-AI-KEY,RF1-K8S-CLUSTER-ADMIN",
            "-q",
        ])
        .assert()
        .code(0);
    let baseline = std::fs::read_to_string(repo.join(".redflag/baseline.json")).unwrap();
    assert!(
        baseline.contains("\"first_seen\": \"2026-12-01\"") && !baseline.contains("q8Zr2LmN"),
        "{baseline}"
    );
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "baseline"]);

    // A commit that moves the known gaps down and adds one new gap.
    write(
        repo,
        "app/config.py",
        &format!("import os\nimport sys\n\n# Settings\nDEBUG = False\n\nANTHROPIC_KEY = \"{KEY_A}\"\n"),
    );
    write(repo, "deploy/rbac.yaml", "# rendered by helm\n---\nkind: ClusterRoleBinding\nmetadata:\n  name: ci-admin\nroleRef:\n  name: cluster-admin\n");
    write(
        repo,
        "app/new_client.py",
        &format!("from anthropic import Anthropic\nclient = Anthropic(api_key=\"{KEY_B}\")\n"),
    );
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "add a client"]);

    let (code, r) = scan(
        repo,
        &["--as-of", "2026-12-01", "--baseline", ".redflag/baseline.json"],
    );
    let mut s = states(&r);
    s.sort();
    assert_eq!(
        s,
        vec![
            (
                "RF1-K8S-CLUSTER-ADMIN".into(),
                "deploy/rbac.yaml".into(),
                "known".into()
            ),
            (
                "RF3-HARDCODED-AI-KEY".into(),
                "app/config.py".into(),
                "known".into()
            ),
            (
                "RF3-HARDCODED-AI-KEY".into(),
                "app/new_client.py".into(),
                "new".into()
            ),
        ]
    );
    assert_eq!((code, r["gate"]["failing_findings"].as_u64()), (1, Some(1)));
    assert_eq!(r["baseline"]["new"], 1);

    // The same without a baseline file: compare with the previous commit.
    let (code, r) = scan(repo, &["--as-of", "2026-12-01", "--new-since", "HEAD~1"]);
    let new: Vec<_> = states(&r).into_iter().filter(|(_, _, b)| b == "new").collect();
    assert_eq!(
        new,
        vec![(
            "RF3-HARDCODED-AI-KEY".to_string(),
            "app/new_client.py".to_string(),
            "new".to_string()
        )]
    );
    assert_eq!(code, 1);
    // ... and the user's checkout was not touched.
    let status = Std::new("git")
        .current_dir(repo)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert!(
        status.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    // Waive the new gap until the end of January: exit 0, the waiver shown.
    write(
        repo,
        "redflag.yaml",
        "waivers:\n  - control: RF3-HARDCODED-AI-KEY\n    path: app/new_client.py\n    reason: sandbox key, revoked; removal tracked in SEC-142\n    owner: platform-team\n    expires: 2027-01-31\n",
    );
    let (code, r) = scan(
        repo,
        &["--as-of", "2026-12-01", "--baseline", ".redflag/baseline.json"],
    );
    assert_eq!(code, 0, "{:#}", r["gate"]);
    assert_eq!(r["waivers"][0]["status"], "active");
    assert_eq!(r["waivers"][0]["matched"], 1);
    let waived = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"][0]["path"] == "app/new_client.py")
        .unwrap();
    assert_eq!(waived["waiver"]["owner"], "platform-team");
    let (code, _) = scan(repo, &["--as-of", "2026-12-01", "--new-since", "HEAD~1"]);
    assert_eq!(code, 0);

    // After the expiry the waiver stops applying and is reported as expired.
    let (code, r) = scan(
        repo,
        &["--as-of", "2027-02-15", "--baseline", ".redflag/baseline.json"],
    );
    assert_eq!(code, 1);
    assert_eq!(r["waivers"][0]["status"], "expired");
    let (code, r) = scan(repo, &["--as-of", "2027-02-15", "--new-since", "HEAD~1"]);
    assert_eq!((code, r["waivers"][0]["status"].as_str()), (1, Some("expired")));

    // Fix the known key: the baseline reports it fixed and `--update` tightens it.
    write(
        repo,
        "app/config.py",
        "import os\nANTHROPIC_KEY = os.environ[\"ANTHROPIC_KEY\"]\n",
    );
    let (_, r) = scan(
        repo,
        &["--as-of", "2026-12-01", "--baseline", ".redflag/baseline.json"],
    );
    assert_eq!(r["baseline"]["fixed"][0]["path"], "app/config.py");
    Command::cargo_bin("redflag")
        .unwrap()
        .current_dir(repo)
        .args([
            "baseline",
            ".",
            "--update",
            "--as-of",
            "2026-12-01",
            "--only",
            "RF3-HARDCODED-AI-KEY,RF1-K8S-CLUSTER-ADMIN",
            "-q",
        ])
        .assert()
        .code(0);
    let tightened = std::fs::read_to_string(repo.join(".redflag/baseline.json")).unwrap();
    assert!(
        !tightened.contains("app/config.py") && tightened.contains("deploy/rbac.yaml"),
        "{tightened}"
    );
    assert!(
        !tightened.contains("new_client"),
        "--update must not add new gaps: {tightened}"
    );
}

#[test]
fn inline_waivers_need_a_reason_an_owner_and_an_expiry() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "app/a.py",
        &format!("# redflag:ignore RF3-HARDCODED-AI-KEY owner=sec-team expires=2027-03-31 revoked sandbox key kept for a regression test\nA = \"{KEY_A}\"\n"),
    );
    write(
        t.path(),
        "app/b.py",
        &format!("B = \"{KEY_B}\"  # redflag:ignore RF3-HARDCODED-AI-KEY revoked sandbox key\n"),
    );
    let (code, r) = scan(t.path(), &["--as-of", "2026-12-01"]);
    assert_eq!(code, 1, "the waiver without owner and expiry does not apply");
    let findings = r["findings"].as_array().unwrap();
    let of = |path: &str| {
        findings
            .iter()
            .find(|f| f["evidence"][0]["path"] == path)
            .unwrap()
    };
    let w = &of("app/a.py")["waiver"];
    assert!(
        w["reason"].as_str().unwrap().starts_with("revoked sandbox key"),
        "{w}"
    );
    assert_eq!(
        (w["owner"].as_str(), w["expires"].as_str()),
        (Some("sec-team"), Some("2027-03-31"))
    );
    assert!(of("app/b.py")["waiver"].is_null());
    let statuses: Vec<&str> = r["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["active", "invalid: needs owner=NAME and expires=YYYY-MM-DD"],
        "{statuses:?}"
    );
    assert_eq!(r["gate"]["failing_findings"], 1);

    // After its expiry the waiver stops applying and is reported expired.
    let (code, r) = scan(t.path(), &["--as-of", "2027-04-01"]);
    assert_eq!(code, 1);
    assert_eq!(r["gate"]["failing_findings"], 2);
    assert_eq!(r["waivers"][0]["status"], "expired");
    // The terminal report shows both problems.
    let out = Command::cargo_bin("redflag")
        .unwrap()
        .args(["scan", "--as-of", "2027-04-01", "-q"])
        .env("NO_COLOR", "1")
        .arg(t.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[expired] RF3-HARDCODED-AI-KEY (app/a.py:1)"),
        "{text}"
    );
    assert!(
        text.contains("[invalid: needs owner=NAME and expires=YYYY-MM-DD]"),
        "{text}"
    );
}

#[test]
fn score_and_soft_fail_gates() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "app/a.py", &format!("A = \"{KEY_A}\"\n"));
    let run = |args: &[&str]| {
        Command::cargo_bin("redflag")
            .unwrap()
            .args(["scan", "--as-of", "2026-12-01", "--only", "RF3-HARDCODED-AI-KEY"])
            .args(args)
            .arg(t.path())
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(1));
    assert_eq!(run(&["--soft-fail"]), Some(0));
    assert_eq!(run(&["--fail-on", "none", "--fail-on-score", "50"]), Some(1));
    assert_eq!(run(&["--fail-on", "none", "--fail-on-score", "0"]), Some(0));
    assert_eq!(run(&["--fail-on-score", "120"]), Some(2));
}

/// A baseline taken when some quarters were missing does not hide a quarter missed since:
/// the cadence finding's fingerprint names its missing quarters. `redflag baseline` says
/// what it added and removed.
#[test]
fn a_newly_missed_quarter_is_a_new_gap_and_baseline_says_what_changed() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/RF1-ACCESS-REVIEW/gap-missing-quarters");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("baseline.json");
    let baseline = |as_of: &str| {
        let out = Command::cargo_bin("redflag")
            .unwrap()
            .args(["baseline", "--only", "RF1-ACCESS-REVIEW", "--as-of", as_of, "-o"])
            .arg(&file)
            .arg(&fixture)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let gate = |as_of: &str| {
        let out = Command::cargo_bin("redflag")
            .unwrap()
            .args([
                "scan",
                "--format",
                "json",
                "--only",
                "RF1-ACCESS-REVIEW",
                "--as-of",
                as_of,
                "--baseline",
            ])
            .arg(&file)
            .arg(&fixture)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report_schema::assert_valid(&r);
        (out.status.code().unwrap(), r)
    };
    let first = baseline("2026-12-01");
    assert!(first.contains("1 known gap (1 added, 0 removed)"), "{first}");
    assert!(
        first.contains("  + RF1-ACCESS-REVIEW ") && first.contains("2026-Q2 and 2026-Q3"),
        "{first}"
    );
    // Same date: known.
    let (code, r) = gate("2026-12-01");
    assert_eq!((code, &r["baseline"]["known"]), (0, &serde_json::json!(1)));
    // Four months later 2027-Q1 is missing too: a new gap, and the old one is fixed.
    let (code, r) = gate("2027-04-02");
    assert_eq!(code, 1, "{}", r["findings"]);
    assert_eq!(r["baseline"]["new"], 1);
    assert!(r["findings"][0]["message"].as_str().unwrap().contains("2027-Q1"));
    assert_eq!(r["baseline"]["fixed"].as_array().unwrap().len(), 1);
    let second = baseline("2027-04-02");
    assert!(second.contains("(1 added, 1 removed)"), "{second}");
    assert!(
        second.contains("  + RF1-ACCESS-REVIEW") && second.contains("  - RF1-ACCESS-REVIEW"),
        "{second}"
    );
}
