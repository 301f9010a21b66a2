//! Terminal and log injection: text a target or a control pack wrote (waiver fields,
//! config values quoted in errors, control titles and fix texts) must not reach a terminal
//! or a CI log as escape sequences or as lines of its own (a forged `::error::` annotation),
//! and must not put live links or images into SARIF's Markdown.

mod support;

use std::time::Duration;

use support::{run, scan_command, write, AI_KEY};

const LIMIT: Duration = Duration::from_secs(60);

/// Escape sequences a hostile file plants, written as YAML double-quoted escapes: an OSC 52
/// clipboard write, an OSC 8 link, a screen clear, and a line break followed by a forged
/// GitHub Actions annotation.
const HOSTILE_YAML: &str = r"\x1b]52;c;ZXZpbA==\x07\x1b]8;;https://evil.example\x07\x1b[2J\n::error::forged";

fn assert_inert(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}'),
        "{what}: a raw escape character:\n{text}"
    );
    assert!(!text.contains('\u{7}'), "{what}: a raw bell:\n{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("::error::")),
        "{what}: a forged line:\n{text}"
    );
}

fn env_clean(c: &mut std::process::Command) {
    for k in ["CI", "GITHUB_EVENT_NAME", "CI_MERGE_REQUEST_IID"] {
        c.env_remove(k);
    }
}

#[test]
fn waiver_fields_from_a_target_config_are_escaped_everywhere() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "app/config.py",
        format!("import anthropic\nKEY = \"{AI_KEY}\"\n"),
    );
    write(
        t.path(),
        "redflag.yaml",
        format!(
            "waivers:\n  - control: \"RF3-HARDCODED-AI-KEY{HOSTILE_YAML}\"\n    path: \"app/**{HOSTILE_YAML}\"\n    \
             fingerprint: \"{HOSTILE_YAML}\"\n    reason: \"r{HOSTILE_YAML}\"\n    owner: \"o{HOSTILE_YAML}\"\n    expires: 2099-01-01\n"
        ),
    );
    for format in ["table", "json", "markdown", "html", "junit", "sarif", "roadmap"] {
        let mut c = scan_command(t.path(), format, &[]);
        env_clean(&mut c);
        let r = run(c, LIMIT);
        assert!(
            r.code == 0 || r.code == 2,
            "{format}: exit {}: {}",
            r.code,
            r.stderr
        );
        assert_inert(format, &r.stdout_str());
        assert_inert(format, &r.stderr);
    }
    // Without --quiet: the warnings on standard error.
    let mut c = support::redflag();
    c.args(["scan", "--as-of", support::AS_OF, "--fail-on", "none"])
        .arg(t.path());
    env_clean(&mut c);
    let r = run(c, LIMIT);
    assert_inert("stderr", &r.stderr);
    assert_inert("stdout", &r.stdout_str());
}

#[test]
fn config_values_quoted_in_errors_are_escaped() {
    for config in [
        format!("fail_on: \"{HOSTILE_YAML}\"\n"),
        format!("only: [\"{HOSTILE_YAML}\"]\n"),
        format!("skip: [\"{HOSTILE_YAML}\"]\n"),
        format!("exclude: [\"[{HOSTILE_YAML}\"]\n"),
    ] {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "redflag.yaml", &config);
        let mut c = support::redflag();
        c.args(["scan", "--as-of", support::AS_OF]).arg(t.path());
        env_clean(&mut c);
        let r = run(c, LIMIT);
        assert_eq!(r.code, 2, "{config}: {}", r.stderr);
        assert_inert(&config, &r.stderr);
        assert!(
            r.stderr.contains("\\u{1b}"),
            "the escape is shown escaped: {}",
            r.stderr
        );
    }
}

#[test]
fn control_pack_texts_are_escaped_and_inert_in_sarif_markdown() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "app/config.py", "import anthropic\n");
    let pack = tempfile::tempdir().unwrap();
    write(
        pack.path(),
        "EVIL-1.yaml",
        format!(
            "id: EVIL-1\ntitle: \"Title{HOSTILE_YAML}\"\nseverity: high\ntsc: [CC6.1]\n\
             rationale: \"Why{HOSTILE_YAML}\"\n\
             remediation: \"Fix ![x](https://evil.example/p.png) [click](https://evil.example){HOSTILE_YAML}\"\n\
             auditor_evidence: [\"E{HOSTILE_YAML}\"]\n\
             check:\n  not:\n    pattern:\n      label: an import\n      files: [\"*.py\"]\n      regex: [\"import\"]\n"
        ),
    );
    let controls = pack.path().to_str().unwrap();
    for format in ["table", "json", "markdown", "html", "junit", "sarif", "roadmap"] {
        let mut c = scan_command(t.path(), format, &["--controls", controls, "--only", "EVIL-1"]);
        env_clean(&mut c);
        let r = run(c, LIMIT);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert_inert(format, &r.stdout_str());
        if format == "sarif" {
            let sarif = r.json();
            let md = sarif["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
                .as_str()
                .unwrap()
                .to_string();
            // What stays live is the text outside code spans.
            let live: String = md.split('`').step_by(2).collect();
            assert!(!live.contains("![x]("), "a live image: {md}");
            assert!(!live.contains("[click]("), "a live link: {md}");
            assert!(!live.contains("https://"), "a live URL: {md}");
        }
    }
    let mut c = support::redflag();
    c.args(["explain", "EVIL-1", "--controls", controls]);
    env_clean(&mut c);
    let r = run(c, LIMIT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_inert("explain", &r.stdout_str());
}
