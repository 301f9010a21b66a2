//! Scanning untrusted code (`--untrusted`, automatic in a pull-request CI job): a target's
//! config file may only make the scan stricter, its control packs only add controls, and
//! inline waivers and `.ignore` files are not obeyed. Each test plants a committed key (a
//! critical finding) and tries one way of hiding it or of turning the gate off.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{has_finding, run, write, AI_KEY};

const LIMIT: Duration = Duration::from_secs(60);
const KEY_CONTROL: &str = "RF3-HARDCODED-AI-KEY";

/// A repository with a hard-coded key in `app/config.py`.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "app/config.py",
        format!("import anthropic\nKEY = \"{AI_KEY}\"\n"),
    );
    write(t.path(), "requirements.txt", "anthropic==0.40.0\n");
    t
}

/// Runs a gated scan (`--fail-on` from the config, not the command line) and returns
/// (exit code, JSON report).
fn gated(target: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut c = support::redflag();
    c.args(["scan", "--quiet", "--as-of", support::AS_OF, "--format", "json"])
        .args(extra)
        .arg(target);
    for k in ["CI", "GITHUB_EVENT_NAME", "CI_MERGE_REQUEST_IID"] {
        c.env_remove(k);
    }
    let r = run(c, LIMIT);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    (r.code, r.json())
}

fn notes(report: &serde_json::Value) -> String {
    report["notes"].to_string()
}

#[test]
fn a_config_cannot_turn_the_gate_off_or_skip_the_control() {
    let t = repo();
    write(
        t.path(),
        "redflag.yaml",
        "fail_on: none\nskip: [rf3]\nexclude: [\"app/**\"]\nmax_file_size: 10\n",
    );
    // Trusted (the default outside CI): the config is obeyed, the key is hidden.
    let (code, report) = gated(t.path(), &[]);
    assert_eq!(code, 0);
    assert!(!has_finding(&report, KEY_CONTROL, None));
    // Untrusted: every loosening setting is dropped, with a note naming it.
    let (code, report) = gated(t.path(), &["--untrusted"]);
    assert_eq!(code, 1, "the committed key fails the gate");
    assert!(has_finding(&report, KEY_CONTROL, Some("app/config.py")));
    let n = notes(&report);
    for setting in ["fail_on: none", "`skip`", "`exclude`", "`max_file_size`"] {
        assert!(n.contains(setting), "no note for {setting}: {n}");
    }
}

#[test]
fn a_pull_request_ci_job_is_untrusted_by_default() {
    let t = repo();
    write(t.path(), "redflag.yaml", "fail_on: none\n");
    let run_with = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = support::redflag();
        c.args(["scan", "--quiet", "--as-of", support::AS_OF, "--format", "json"])
            .args(extra)
            .arg(t.path());
        for k in ["CI", "GITHUB_EVENT_NAME", "CI_MERGE_REQUEST_IID"] {
            c.env_remove(k);
        }
        c.envs(env.iter().copied());
        run(c, LIMIT).code
    };
    assert_eq!(
        run_with(&[("CI", "true"), ("GITHUB_EVENT_NAME", "pull_request")], &[]),
        1
    );
    assert_eq!(
        run_with(&[("CI", "true"), ("CI_MERGE_REQUEST_IID", "42")], &[]),
        1
    );
    assert_eq!(
        run_with(&[("CI", "true"), ("GITHUB_EVENT_NAME", "push")], &[]),
        0,
        "a push is trusted"
    );
    let trusted = &[("CI", "true"), ("GITHUB_EVENT_NAME", "pull_request")];
    assert_eq!(run_with(trusted, &["--trusted"]), 0, "--trusted turns it off");
}

#[test]
fn waivers_and_baselines_from_the_target_are_not_obeyed() {
    let t = repo();
    write(
        t.path(),
        "redflag.yaml",
        format!(
            "waivers:\n  - control: {KEY_CONTROL}\n    reason: sandbox key\n    owner: me\n    expires: 2099-01-01\n"
        ),
    );
    let (_, report) = gated(t.path(), &[]);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == KEY_CONTROL)
        .unwrap();
    assert!(!f["waiver"].is_null(), "trusted: the waiver applies");
    let (code, report) = gated(t.path(), &["--untrusted"]);
    assert_eq!(code, 1);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == KEY_CONTROL)
        .unwrap();
    assert!(f["waiver"].is_null(), "untrusted: no waiver from the target");
    assert!(notes(&report).contains("`waivers`"));
}

#[test]
fn inline_waivers_are_not_obeyed() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "app/config.py",
        format!("import anthropic\nKEY = \"{AI_KEY}\"  # redflag:ignore {KEY_CONTROL} owner=sec expires=2099-01-01 revoked sandbox key\n"),
    );
    let (code, report) = gated(t.path(), &["--untrusted"]);
    assert_eq!(code, 1);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == KEY_CONTROL)
        .unwrap();
    assert!(f["waiver"].is_null());
    assert!(notes(&report).contains("not obeyed"), "{}", notes(&report));
}

#[test]
fn dot_ignore_files_do_not_hide_committed_files() {
    let t = repo();
    write(t.path(), ".ignore", "app/\n");
    let (_, report) = gated(t.path(), &[]);
    assert!(
        !has_finding(&report, KEY_CONTROL, None),
        ".ignore applies when trusted"
    );
    let (code, report) = gated(t.path(), &["--untrusted"]);
    assert_eq!(code, 1);
    assert!(has_finding(&report, KEY_CONTROL, Some("app/config.py")));
}

#[test]
fn a_target_pack_may_add_controls_but_not_replace_built_ins() {
    let t = repo();
    write(t.path(), "redflag.yaml", "controls: [policy-pack]\n");
    // Replaces the key control with one that never finds anything.
    write(
        t.path(),
        "policy-pack/RF3-HARDCODED-AI-KEY.yaml",
        "id: RF3-HARDCODED-AI-KEY\ntitle: t\nred_flag: 3\nseverity: low\ntsc: [CC6.1]\nrationale: r\nremediation: f\n\
         check:\n  not:\n    pattern:\n      label: nothing\n      files: [\"*.nothing\"]\n      regex: [\"x\"]\n",
    );
    write(
        t.path(),
        "policy-pack/ACME-EXTRA.yaml",
        "id: ACME-EXTRA\ntitle: extra\nseverity: low\ntsc: [CC6.1]\nrationale: r\nremediation: f\n\
         check:\n  not:\n    pattern:\n      label: a config file\n      files: [\"app/*.py\"]\n      regex: [\"KEY\"]\n",
    );
    let (_, report) = gated(t.path(), &[]);
    assert!(
        !has_finding(&report, KEY_CONTROL, None),
        "trusted: the pack replaces the control"
    );
    let (code, report) = gated(t.path(), &["--untrusted"]);
    assert_eq!(code, 1);
    assert!(
        has_finding(&report, KEY_CONTROL, Some("app/config.py")),
        "the built-in stays"
    );
    assert!(has_finding(&report, "ACME-EXTRA", None), "additions are kept");
    assert!(
        notes(&report).contains("may add controls but not replace one"),
        "{}",
        notes(&report)
    );
}
