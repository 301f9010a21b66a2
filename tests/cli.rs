//! The binary as a user meets it: exit codes, error messages, formats, determinism,
//! redaction, evidence directories and custom controls.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

#[path = "support/report_schema.rs"]
mod report_schema;

fn redflag() -> Command {
    let mut c = Command::cargo_bin("redflag").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn gaps_exit_1_and_fail_on_sets_the_threshold() {
    let gap = fixture("RF4-IR-PLAN/gap");
    redflag()
        .args(["scan", "--as-of", "2026-12-01", "--only", "RF4-IR-PLAN"])
        .arg(&gap)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("GAP"));
    redflag()
        .args([
            "scan",
            "--as-of",
            "2026-12-01",
            "--only",
            "RF4-IR-PLAN",
            "--fail-on",
            "none",
        ])
        .arg(&gap)
        .assert()
        .code(0);
    // RF4-IR-PLAN is high: a critical threshold does not fail on it.
    redflag()
        .args([
            "scan",
            "--as-of",
            "2026-12-01",
            "--only",
            "RF4-IR-PLAN",
            "--fail-on",
            "critical",
        ])
        .arg(&gap)
        .assert()
        .code(0);
    redflag()
        .args([
            "scan",
            "--as-of",
            "2026-12-01",
            "--only",
            "rf4",
            "--skip",
            "RF4-IR-AI-SCENARIOS,RF4-IR-SCENARIO-DETAIL,RF4-TABLETOP-CADENCE",
        ])
        .arg(fixture("RF4-IR-PLAN/pass"))
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    redflag()
        .args(["scan", "--as-of", "2026-13-45"])
        .arg(fixture("RF4-IR-PLAN/pass"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("invalid --as-of `2026-13-45`")
                .and(predicate::str::contains("panicked").not()),
        );
    redflag()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("path not found: /definitely/not/here"));
    redflag()
        .args(["scan", "--only", "RF9-NOPE"])
        .arg(fixture("RF4-IR-PLAN/pass"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown control `RF9-NOPE`"));
    redflag().args(["scan", "--format", "xml"]).assert().code(2);
    redflag()
        .args(["explain", "NOPE-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown control"));
}

#[test]
fn bad_control_files_are_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CUSTOM-ONE.yaml",
        "id: CUSTOM-ONE\ntitle: t\nseverity: high\ntsc: [CC6.1, CC99.9]\nrationale: r\nremediation: r\ncheck:\n  pattern:\n    regex: '(unclosed'\n    files: ['[bad']\n",
    );
    write(
        dir.path(),
        "CUSTOM-TWO.yaml",
        "id: CUSTOM-TWO\ntitle: t\nseverity: high\ntsc: [CC6.1]\nrationale: r\nremediation: r\ncolour: red\n",
    );
    write(
        dir.path(),
        "CUSTOM-THREE.yaml",
        "id: CUSTOM-ONE\ntitle: t\nseverity: urgent\ntsc: [CC6.1]\nrationale: r\nremediation: r\n",
    );
    let out = redflag()
        .args(["controls", "validate"])
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    for needle in [
        "CUSTOM-ONE.yaml:4: unknown Trust Services Criterion `CC99.9`",
        "CUSTOM-ONE.yaml:9:12: invalid regex `(unclosed`",
        "CUSTOM-ONE.yaml:10: invalid glob `[bad`",
        "CUSTOM-TWO.yaml:7:",
        "colour",
        "duplicate control id `CUSTOM-ONE`",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    // The same pack used for a scan is a definition error: exit 2.
    redflag()
        .args(["scan", "--controls"])
        .arg(dir.path())
        .arg(fixture("RF4-IR-PLAN/pass"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid control definitions"));
    redflag()
        .args(["controls", "validate"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: "));
}

#[test]
fn a_custom_control_is_yaml_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ACME-LOGGING.yaml",
        r#"id: ACME-LOGGING
title: Prompts are not logged in plain text
severity: medium
tsc: [C1.1]
rationale: Prompts hold customer data.
remediation: Log prompt hashes, not prompts.
check:
  not:
    pattern:
      label: prompt logged
      files: ["*.py"]
      regex: 'log(?:ger)?\.(?:info|debug)\(.*prompt'
"#,
    );
    let target = tempfile::tempdir().unwrap();
    write(
        target.path(),
        "app/chat.py",
        "import logging\nlogger = logging.getLogger()\nlogger.info(f\"prompt={prompt}\")\n",
    );
    redflag()
        .args([
            "scan",
            "--as-of",
            "2026-12-01",
            "--only",
            "ACME-LOGGING",
            "--controls",
        ])
        .arg(dir.path())
        .arg(target.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("app/chat.py:3"));
    redflag()
        .args(["controls", "list", "--controls"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ACME-LOGGING"));
}

fn json_report(args: &[&str], path: &Path) -> serde_json::Value {
    let out = redflag()
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--as-of",
            "2026-12-01",
        ])
        .args(args)
        .arg(path)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v = serde_json::from_slice(&out).unwrap();
    report_schema::assert_valid(&v);
    v
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let a = redflag()
        .args([
            "scan",
            "--format",
            "json",
            "--as-of",
            "2026-12-01",
            "--threads",
            "1",
        ])
        .arg(&ex)
        .output()
        .unwrap()
        .stdout;
    let b = redflag()
        .args([
            "scan",
            "--format",
            "json",
            "--as-of",
            "2026-12-01",
            "--threads",
            "4",
        ])
        .arg(&ex)
        .output()
        .unwrap()
        .stdout;
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn secrets_never_appear_in_any_output() {
    let gap = fixture("RF3-HARDCODED-AI-KEY/gap");
    let secrets = ["q8Zr2LmN4vXc7BtY1uWp", "Vq3nL8zXc2Rt7Yb1Mw9P"];
    for format in ["json", "table"] {
        let out = redflag()
            .args(["scan", "--as-of", "2026-12-01", "--format", format])
            .arg(&gap)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("sk-ant-api03-…[redacted]"), "{format}: {text}");
        for s in secrets {
            assert!(!text.contains(s), "{format} output leaks {s}");
        }
    }
}

#[test]
fn evidence_directories_serve_the_scanned_code() {
    let code = fixture("RF3-VENDOR-REGISTERED/gap-no-register");
    let policies = tempfile::tempdir().unwrap();
    write(
        policies.path(),
        "registers/AI vendor register.md",
        "# Vendors\n\n| Vendor | Owner | DPA |\n|---|---|---|\n| OpenAI | CTO | Signed |\n",
    );
    // A code file in the evidence directory is not scanned as code.
    write(policies.path(), "tools/export.py", "import anthropic\n");
    let r = json_report(
        &[
            "--only",
            "RF3-VENDOR-REGISTERED",
            "--evidence",
            policies.path().to_str().unwrap(),
        ],
        &code,
    );
    let c = &r["controls"][0];
    assert_eq!(c["status"], "pass", "{r:#}");
    assert_eq!(c["evidence"][0]["target"], policies.path().to_str().unwrap());
    assert_eq!(c["evidence"][0]["path"], "registers/AI vendor register.md");
    assert_eq!(c["evidence"][0]["line"], 5);
    assert_eq!(r["targets"][1]["role"], "evidence");
}

#[test]
fn broken_files_become_notes_and_the_scan_goes_on() {
    let t = tempfile::tempdir().unwrap();
    // Structured files are parsed when a query could match them; this one could.
    write(
        t.path(),
        "deploy/broken.yaml",
        "kind: ClusterRoleBinding\nroleRef:\n  name: cluster-admin\nmetadata:\n  name: [unclosed\n",
    );
    write(t.path(), "pyproject.toml", "[project\nname = 'x'\n");
    write(
        t.path(),
        "deploy/rbac.yaml",
        "kind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef:\n  name: cluster-admin\n",
    );
    std::fs::write(
        t.path().join("model.bin.txt"),
        b"abc\x00\xff\xfe binary with a text name",
    )
    .unwrap();
    let r = json_report(&["--only", "RF1-K8S-CLUSTER-ADMIN"], t.path());
    let notes: Vec<String> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["path"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("deploy/broken.yaml: YAML parse error")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("pyproject.toml: TOML parse error")),
        "{notes:?}"
    );
    assert_eq!(r["findings"][0]["evidence"][0]["path"], "deploy/rbac.yaml");
    assert_eq!(r["findings"][0]["evidence"][0]["line"], 5);
}

#[test]
fn explain_list_and_completions() {
    redflag()
        .args(["explain", "rf3-vendor-registered"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("WHY IT MATTERS TO AN AUDITOR").and(predicate::str::contains(
                "CC9.2  Risks from vendors and business partners are assessed and managed",
            )),
        );
    let out = redflag()
        .args(["controls", "list", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(v.as_array().unwrap().len() >= 12);
    redflag()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("redflag"));
    redflag()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn output_file_is_written_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    redflag()
        .args(["scan", "--as-of", "2026-12-01", "--fail-on", "none", "-o"])
        .arg(&out)
        .arg(fixture("RF4-IR-PLAN/gap"))
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .code(0)
        .stdout("");
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("RF4-IR-PLAN") && !text.contains('\u{1b}'));
}

#[test]
fn controls_patterns_prints_every_content_regex_once_per_line() {
    let out = redflag().args(["controls", "patterns"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len() > 100,
        "the built-in pack runs hundreds of patterns, got {}",
        lines.len()
    );
    for l in &lines {
        assert!(regex::Regex::new(l).is_ok(), "not a regex: {l}");
    }
    assert!(
        lines.iter().any(|l| l.contains("ks_2samp")),
        "the drift-test pattern of RF2 is listed"
    );
    // `rg -f` joins the lines into one alternation: it must compile as one regex.
    assert!(
        regex::Regex::new(&lines.join("|")).is_ok(),
        "the patterns joined are one regex (no group name twice)"
    );
}

/// Out-of-range numbers are usage errors (exit 2, one message), not panics, hangs or a
/// silently wrapped cap; a target that cannot be read is an error, not a pass.
#[test]
fn bad_values_are_refused_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--threads", "18446744073709551615"),
        ("--threads", "4294967296"),
        ("--threads", "100000"),
        ("--threads", "0"),
        ("--max-file-size", "18446744073709551615"),
        ("--max-file-size", "1073741825"),
    ] {
        redflag()
            .args(["scan", "--quiet", flag, value])
            .arg(dir.path())
            .timeout(std::time::Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag).and(predicate::str::contains("panicked").not()));
    }
    // The largest accepted cap still reads files (no `cap + 1` overflow).
    write(dir.path(), "app.py", "import anthropic\n");
    redflag()
        .args(["scan", "--quiet", "--format", "json", "--fail-on", "none"])
        .args(["--max-file-size", "1073741824", "--threads", "512"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"anthropic\"").or(predicate::str::contains("Anthropic")));
}

#[cfg(unix)]
#[test]
fn an_unreadable_target_is_an_error_not_a_pass() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = dir.path().join("locked");
    std::fs::create_dir(&target).unwrap();
    write(&target, "app.py", "import anthropic\n");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_redflag"));
    c.args(["scan", "--quiet"]).arg(&target);
    // Permissions do not bind root: the scan then runs as `nobody`.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        c.uid(65534).gid(65534);
    }
    let out = c.output().unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
}

/// `explain` of an AI vendor (by id, name, alias or product) lists the names a register
/// entry may give it, and its parent company.
#[test]
fn explain_a_vendor_shows_its_names() {
    for query in ["aws-bedrock", "Amazon Bedrock", "bedrock"] {
        redflag().args(["explain", query]).assert().code(0).stdout(
            predicate::str::contains("Amazon Bedrock (aws-bedrock)")
                .and(predicate::str::contains("aliases:  AWS Bedrock"))
                .and(predicate::str::contains("products: Bedrock"))
                .and(predicate::str::contains(
                    "parent:   Amazon Web Services (also written AWS",
                ))
                .and(predicate::str::contains("services or products column")),
        );
    }
    redflag().args(["explain", "claude"]).assert().code(0).stdout(
        predicate::str::contains("Anthropic (anthropic)").and(predicate::str::contains("parent:   none")),
    );
}

#[test]
fn output_file_format_follows_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let gap = fixture("RF4-IR-PLAN/gap");
    let cases = [
        ("report.json", "\"schema_version\""),
        (
            "report.sarif",
            "\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\"",
        ),
        ("report.junit.xml", "<testsuites"),
        ("report.xml", "<testsuites"),
        ("report.md", "# "),
        ("report.html", "<!DOCTYPE html>"),
        ("report.txt", "Summary"),
        ("report.csv", "control_id,red_flag,severity,tsc,status"),
    ];
    for (name, marker) in cases {
        let out = dir.path().join(name);
        redflag()
            .args(["scan", "--as-of", "2026-12-01", "-q", "-o"])
            .arg(&out)
            .arg(&gap)
            .assert()
            .code(1)
            .stdout("");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(marker), "{name}: {}", &text[..text.len().min(300)]);
    }
    // Several plain files: each in its own format; an explicit --format wins for them.
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.sarif"));
    redflag()
        .args(["scan", "--as-of", "2026-12-01", "-q", "-o"])
        .arg(&a)
        .arg("-o")
        .arg(&b)
        .arg(&gap)
        .assert()
        .code(1)
        .stdout("");
    assert!(std::fs::read_to_string(&a)
        .unwrap()
        .contains("\"schema_version\""));
    assert!(std::fs::read_to_string(&b).unwrap().contains("\"runs\""));
    let c = dir.path().join("c.json");
    redflag()
        .args(["scan", "--as-of", "2026-12-01", "-q", "--format", "sarif", "-o"])
        .arg(&c)
        .arg(&gap)
        .assert()
        .code(1);
    assert!(std::fs::read_to_string(&c).unwrap().contains("\"runs\""));
    // Merge follows the extension too.
    let m = dir.path().join("merged.md");
    redflag().args(["merge", "-o"]).arg(&m).arg(&a).assert().code(1);
    assert!(std::fs::read_to_string(&m).unwrap().starts_with("# "));
}

#[test]
fn an_unknown_output_format_or_extension_is_exit_2_with_the_formats() {
    let dir = tempfile::tempdir().unwrap();
    let gap = fixture("RF4-IR-PLAN/gap");
    for bad in [
        "foo=/tmp/redflag-never-written",
        &format!("{}/report.bin", dir.path().display()),
    ] {
        let out = redflag()
            .args(["scan", "--as-of", "2026-12-01", "-q", "-o", bad])
            .arg(&gap)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("table, json, sarif, junit, markdown, html") && err.lines().count() == 1,
            "{bad}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
    assert!(err_of(&["scan", "-o", "foo=/tmp/x"]).contains("unknown format `foo`"));
}

fn err_of(args: &[&str]) -> String {
    let out = redflag().args(args).output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_says_what_exit_1_means() {
    for args in [&["--help"][..], &["scan", "--help"]] {
        let out = redflag().args(args).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("1 gaps found at or above") && help.contains("expected result"),
            "{args:?}: {help}"
        );
    }
}

#[test]
fn scope_leaves_out_controls_whose_criteria_are_all_outside_it() {
    let gap = fixture("RF5-SHADOW-INFERENCE/gap");
    let base = [
        "scan",
        "--as-of",
        "2026-12-01",
        "-q",
        "--only",
        "RF5-SHADOW-INFERENCE",
    ];
    // Its criteria are privacy and confidentiality only: a gap without --scope…
    redflag().args(base).arg(&gap).assert().code(1);
    // …in scope when privacy is…
    redflag()
        .args(base)
        .args(["--scope", "privacy"])
        .arg(&gap)
        .assert()
        .code(1);
    // …and out of the score and the gate when only security is, shown as out of scope.
    let dir = tempfile::tempdir().unwrap();
    let json = redflag()
        .args(base)
        .args(["--scope", "security", "--format", "json"])
        .arg(&gap)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    report_schema::assert_valid(&json);
    assert_eq!(json["gate"]["exit_code"], 0);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    assert_eq!(json["summary"]["controls"], 0);
    assert_eq!(json["summary"]["score"], serde_json::Value::Null);
    let out = &json["out_of_scope"][0];
    assert_eq!(out["id"], "RF5-SHADOW-INFERENCE");
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains("privacy and confidentiality, outside --scope (security)"),
        "{reason}"
    );
    let text = redflag()
        .args(base)
        .args(["--scope", "security"])
        .arg(&gap)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("1 control out of scope"), "{text}");
    let md = dir.path().join("r.md");
    redflag()
        .args(base)
        .args(["--scope", "security", "-o"])
        .arg(&md)
        .arg(&gap)
        .assert()
        .code(0);
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("Controls out of scope") && md.contains("`RF5-SHADOW-INFERENCE`"));
}

#[test]
fn counts_agree_in_number() {
    let gap = fixture("RF4-IR-PLAN/gap");
    let out = redflag()
        .args(["scan", "--as-of", "2026-12-01", "-q", "--only", "RF4-IR-PLAN"])
        .arg(&gap)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("· 1 control:"), "{text}");
    assert!(text.contains("  1 finding:"), "{text}");
    assert!(text.contains("result: 1 open finding at or above"), "{text}");
    for bad in [
        "1 findings",
        "1 controls",
        "1 notes",
        "1 open findings",
        "1 files",
        "(s)",
    ] {
        assert!(!text.contains(bad), "`{bad}` in {text}");
    }
    let out = redflag()
        .args([
            "scan",
            "--as-of",
            "2026-12-01",
            "-q",
            "--only",
            "RF4-IR-PLAN",
            "--format",
            "markdown",
        ])
        .arg(&gap)
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("Of 1 control, 0 pass, 1 has gaps, 0 need manual evidence and 0 do not apply."),
        "{md}"
    );
}

#[test]
fn an_infeasible_window_start_says_why() {
    let gap = fixture("RF4-IR-PLAN/gap");
    for format in ["roadmap", "markdown", "html"] {
        let out = redflag()
            .args([
                "scan",
                "--as-of",
                "2026-12-01",
                "-q",
                "--window-start",
                "2026-11-01",
                "--format",
                format,
            ])
            .arg(&gap)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("2026-11-01 is before the assessment date 2026-12-01"),
            "{format}: {text}"
        );
    }
}

/// Every problem of every file in one run: unknown keys and missing fields together (at
/// `file:line:column`), nested ones, and both problems of one regex.
#[test]
fn controls_validate_reports_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ACME-X.yaml",
        "id: ACME-X\ntitel: t\nred_flag: 5\nseverity: medium\ntsc: [C1.1]\nrationale: r\nremediatoin: x\ncheck:\n  not:\n    pattern:\n      labl: logged\n      files: [\"*.py\"]\nroadmap:\n  acton: x\n",
    );
    write(
        dir.path(),
        "ACME-Y.yaml",
        "id: ACME-Y\ntitle: t\nseverity: medium\ntsc: [C1.1]\nrationale: r\nremediation: r\ncolour: red\ncheck:\n  pattern:\n    files: [\"*.py\"]\n    regex: '\\bprompt('\n",
    );
    let out = redflag()
        .args(["controls", "validate"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "ACME-X.yaml:1:1: missing field `remediation`",
        "ACME-X.yaml:1:1: missing field `title`",
        "ACME-X.yaml:2:1: unknown field `titel`",
        "ACME-X.yaml:7:1: unknown field `remediatoin`",
        "ACME-X.yaml:12:7: missing field `regex`",
        "ACME-X.yaml:11:7: unknown field `labl`",
        "ACME-X.yaml:14:3: unknown field `acton`",
        "ACME-Y.yaml:7:1: unknown field `colour`",
        // The rest of a file whose only problems are unknown keys is checked too.
        "ACME-Y.yaml:11:12: invalid regex `\\bprompt(`",
        "it also uses a Unicode word boundary",
        "error: 9 problems in control definitions",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
}

/// The built-in pack exported is a pack: it validates, and scanning with it gives the
/// built-ins' report (its files replace the built-ins of the same id).
#[test]
fn exported_builtin_pack_validates_and_scans_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    redflag()
        .args(["controls", "export"])
        .arg(&pack)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("wrote "));
    assert!(pack.join("signals.yaml").is_file() && pack.join("catalog/ai-vendors.yaml").is_file());
    redflag()
        .args(["controls", "export"])
        .arg(&pack)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    redflag()
        .args(["controls", "export", "--force"])
        .arg(&pack)
        .assert()
        .code(0);
    redflag()
        .args(["controls", "validate"])
        .arg(&pack)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: "));
    let gap = fixture("RF3-VENDOR-REGISTERED/gap");
    let builtin = json_report(&[], &gap);
    let exported = json_report(&["--controls", pack.to_str().unwrap()], &gap);
    assert_eq!(builtin, exported);
}

#[test]
fn explain_finds_controls_of_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "packs/ACME-LOG.yaml",
        "id: ACME-LOG\ntitle: Prompts are not logged\nseverity: medium\ntsc: [C1.1]\nrationale: r\nremediation: r\n",
    );
    write(dir.path(), "redflag.yaml", "controls: [packs]\n");
    redflag()
        .current_dir(dir.path())
        .args(["explain", "ACME-LOG"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ACME-LOG — Prompts are not logged"));
    let other = tempfile::tempdir().unwrap();
    redflag()
        .current_dir(other.path())
        .args(["explain", "acme-log", "--config"])
        .arg(dir.path().join("redflag.yaml"))
        .assert()
        .code(0);
    redflag()
        .current_dir(other.path())
        .args(["explain", "ACME-LOG"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown control"));
}

#[test]
fn oscal_follows_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.oscal.json");
    redflag()
        .args(["scan", "--as-of", "2026-12-01", "-q", "-o"])
        .arg(&out)
        .arg(fixture("RF4-IR-PLAN/gap"))
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(v["assessment-results"]["metadata"]["oscal-version"], "1.1.2");
}
