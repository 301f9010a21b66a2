//! `redflag init` end to end, as a consultant uses it on a copy of `examples/acme-ai`:
//! scan → init → scan again (the starter files are reported as "incomplete: TODO", never
//! as evidence, and the record templates are not counted as quarterly records) → fill every
//! TODO with valid values, as the client would → scan again: the controls pass.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::{Path, PathBuf};

use redflag::date::parse_iso;
use redflag::init::{self, Action};
use redflag::report::{Report, Status};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// The built-in controls (their `init:` names the starter files).
fn builtin() -> &'static redflag::control::ControlSet {
    static SET: std::sync::OnceLock<redflag::control::ControlSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| redflag::control::load(&redflag::control::LoadOptions::default()).controls)
}

fn assess(root: &Path) -> Report {
    let settings =
        redflag::settings::Settings::for_paths(&[root.to_path_buf()], parse_iso("2026-12-01").unwrap());
    redflag::app::assess(&settings).unwrap()
}

fn status(r: &Report, id: &str) -> Status {
    r.controls
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} not in report"))
        .status
}

fn messages<'a>(r: &'a Report, id: &str) -> Vec<&'a str> {
    r.findings
        .iter()
        .filter(|f| f.control_id == id)
        .map(|f| f.message.as_str())
        .collect()
}

/// Replaces `- Key: TODO …` bullets with values, as a person fills the template; panics if
/// a key is missing, and checks no TODO is left.
fn fill(path: &Path, values: &[(&str, &str)]) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let mut used = vec![false; values.len()];
    for line in text.lines() {
        let replaced = values.iter().enumerate().find_map(|(i, (k, v))| {
            let prefix = format!("- {k}: TODO");
            (line.starts_with(&prefix) && !used[i]).then(|| {
                used[i] = true;
                format!("- {k}: {v}")
            })
        });
        out.push(replaced.unwrap_or_else(|| line.to_string()));
    }
    for (i, u) in used.iter().enumerate() {
        assert!(u, "{}: no `- {}: TODO` line", path.display(), values[i].0);
    }
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

/// Fills every vendor section of the register (each has the same fields).
fn fill_register(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let sections = text.matches("\n## ").count();
    assert!(sections >= 1);
    for _ in 0..sections {
        fill(
            path,
            &[
                ("Service", "LLM completions for thread summaries"),
                (
                    "Data shared",
                    "Support thread text (customer names, e-mail addresses)",
                ),
                ("Risk tier", "High"),
                ("Owner", "Priya Raman (Head of Ops)"),
                (
                    "SOC 2 Type II report",
                    "SOC 2 Type II, period ended 2026-06-30, received 2026-08-01",
                ),
                ("TSC covered", "Security, Confidentiality, Privacy"),
                ("DPA", "Signed 2026-03-02"),
                ("Subprocessors", "Published list reviewed 2026-08-01"),
                ("Data deletion", "Inputs and outputs deleted after 30 days"),
                ("Breach notification", "Within 72 hours (DPA section 8)"),
                ("Data residency", "US"),
            ],
        );
    }
    fill(path, &[("Owner", "Priya Raman (Head of Ops)")]);
    assert_no_todo_field(path);
}

/// No field is left as TODO (the file's explanatory note may still mention the word).
fn assert_no_todo_field(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let left: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": TODO") || l.contains("| TODO"))
        .collect();
    assert!(left.is_empty(), "{}: {left:#?}", path.display());
}

#[test]
fn init_then_fill_makes_the_controls_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("acme-ai");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-ai"),
        &root,
    );

    // 1. The scan a consultant starts from.
    let before = assess(&root);
    for id in [
        "RF3-VENDOR-DUE-DILIGENCE",
        "RF4-TABLETOP-CADENCE",
        "RF5-LINEAGE-COMPLETE",
        "RF1-ACCESS-REVIEW",
    ] {
        assert_eq!(status(&before, id), Status::Gap, "{id} before init");
    }

    // 2. init writes the starters, filled from the scan.
    let outcome = init::init(&root, &before, builtin(), false).unwrap();
    let written: Vec<PathBuf> = outcome.written();
    let expected: Vec<PathBuf> = [
        "compliance/ai-vendor-register.md",
        "ml/lineage/churn-v3.md",
        "docs/security/ai-incident-response-playbook.md",
        "compliance/tabletops/TEMPLATE-tabletop-exercise.md",
        "compliance/access-reviews/TEMPLATE-access-review.md",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(written, expected, "{}", outcome.summary());
    let register = std::fs::read_to_string(root.join("compliance/ai-vendor-register.md")).unwrap();
    // The vendors the register lacked, with where the code uses them; not OpenAI, which
    // the existing register lists.
    assert!(
        register.contains("## Anthropic") && register.contains("## Mistral AI"),
        "{register}"
    );
    assert!(!register.contains("## OpenAI"));
    assert!(
        register.contains("app/llm/anthropic_client.py:1 (import)"),
        "{register}"
    );
    assert!(register.contains("https://trust.anthropic.com"));
    let lineage = std::fs::read_to_string(root.join("ml/lineage/churn-v3.md")).unwrap();
    assert!(lineage.contains("artifact models/churn-v3.joblib"), "{lineage}");
    let summary = outcome.summary();
    assert!(
        summary.contains("wrote    compliance/ai-vendor-register.md"),
        "{summary}"
    );

    // Never overwrites; --force does.
    let again = init::init(&root, &before, builtin(), false).unwrap();
    assert!(
        again.files.iter().all(|f| f.action == Action::Kept),
        "{}",
        again.summary()
    );
    assert!(again.summary().contains("--force"));
    std::fs::write(root.join("ml/lineage/churn-v3.md"), "edited by hand\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("ml/lineage/churn-v3.md")).unwrap(),
        "edited by hand\n"
    );
    let forced = init::init(&root, &before, builtin(), true).unwrap();
    assert!(forced.files.iter().all(|f| f.action == Action::Overwritten));
    assert_eq!(
        std::fs::read_to_string(root.join("ml/lineage/churn-v3.md")).unwrap(),
        lineage
    );

    // 3. Templates are not evidence: the field checks say "incomplete: TODO".
    let after_init = assess(&root);
    assert_eq!(status(&after_init, "RF3-VENDOR-DUE-DILIGENCE"), Status::Gap);
    for vendor in ["Anthropic", "Mistral AI"] {
        let m: Vec<&str> = messages(&after_init, "RF3-VENDOR-DUE-DILIGENCE")
            .into_iter()
            .filter(|m| m.starts_with(&format!("{vendor}:")))
            .collect();
        assert_eq!(m.len(), 7, "{vendor}: one finding per checklist field: {m:#?}");
        assert!(m.iter().all(|m| m.ends_with("is incomplete: TODO")), "{m:#?}");
    }
    assert_eq!(status(&after_init, "RF5-LINEAGE-COMPLETE"), Status::Gap);
    let m = messages(&after_init, "RF5-LINEAGE-COMPLETE");
    assert!(
        !m.is_empty() && m.iter().all(|m| m.ends_with("is incomplete: TODO")),
        "{m:#?}"
    );
    // The record templates carry no date, so they are not counted as a quarter's record.
    assert_eq!(
        messages(&after_init, "RF4-TABLETOP-CADENCE"),
        messages(&before, "RF4-TABLETOP-CADENCE")
    );
    assert_eq!(
        messages(&after_init, "RF1-ACCESS-REVIEW"),
        messages(&before, "RF1-ACCESS-REVIEW")
    );
    // Checks that only look for an entry, a document, a heading or a keyword cannot tell a
    // template from a filled document yet (they do not read field values), so these pass on
    // the unfilled starters. Pending a change to those checks (see the note to the lead);
    // no other control may turn from gap to pass on templates alone.
    const PASS_ON_TEMPLATE_PENDING: &[&str] = &["RF5-DATASET-DELETION", "RF5-MODEL-LINEAGE-MAP"];
    for c in &before.controls {
        if c.status == Status::Gap && status(&after_init, &c.id) == Status::Pass {
            assert!(
                PASS_ON_TEMPLATE_PENDING.contains(&c.id.as_str()),
                "{} passes on an unfilled template",
                c.id
            );
        }
    }
    for id in PASS_ON_TEMPLATE_PENDING {
        if after_init.controls.iter().any(|c| c.id == *id) && status(&after_init, id) == Status::Gap {
            let m = messages(&after_init, id);
            assert!(m.iter().all(|m| m.contains("TODO")), "{id}: {m:#?}");
        }
    }
    if std::env::var_os("REDFLAG_DEBUG").is_some() {
        for c in &after_init.controls {
            eprintln!("{} {:?} {:?}", c.id, c.status, messages(&after_init, &c.id));
        }
    }
    // 4. The client fills every TODO with valid values (and fixes the OpenAI entry the
    //    existing register already had).
    fill_register(&root.join("compliance/ai-vendor-register.md"));
    let old_register = root.join("compliance/vendor-register.md");
    let text = std::fs::read_to_string(&old_register).unwrap();
    let row = text.lines().find(|l| l.starts_with("| OpenAI |")).unwrap();
    let fixed = "| OpenAI | Thread summaries (chat completions API) | High | Type II, period ended 2026-06-30 | Security, Confidentiality, Privacy | Signed 2026-03-02 | OpenAI subprocessor list, reviewed 2026-08-01 | 30 days (API data retention policy) | 72 hours (DPA section 8) | US |";
    std::fs::write(&old_register, text.replace(row, fixed)).unwrap();

    fill(
        &root.join("ml/lineage/churn-v3.md"),
        &[
            ("Dataset name", "crm_accounts_2026q2 (12,400 accounts)"),
            (
                "Source system",
                "Postgres production replica, accounts and usage tables",
            ),
            (
                "Consent basis",
                "Terms of Service section 4.2 (service improvement)",
            ),
            (
                "Classification",
                "Customer confidential, contains personal data (account e-mails)",
            ),
            (
                "Anonymization method",
                "E-mails and names dropped before export; account ids hashed",
            ),
            ("Retention policy", "Deleted 90 days after churn-v3 is retired"),
            (
                "Deletion mechanism",
                "GCS lifecycle rule on gs://acme-training/churn plus the account-deletion purge job",
            ),
            (
                "Last compliance review",
                "2026-09-15 (passed; reviewer Daniel Okafor)",
            ),
        ],
    );
    assert_no_todo_field(&root.join("ml/lineage/churn-v3.md"));
    let playbook = root.join("docs/security/ai-incident-response-playbook.md");
    fill(
        &playbook,
        &[
            ("Owner", "Daniel Okafor (CTO)"),
            ("Version", "1.0"),
            ("Approved by", "Daniel Okafor, 2026-11-20"),
        ],
    );
    for (sev, steps, notify, time) in [
        (
            "High",
            "block the input pattern; update the filter; audit the logs",
            "CTO, ML lead, counsel",
            "2 hours",
        ),
        (
            "Medium",
            "suspend the user; add the prompt to the red-team suite",
            "ML lead",
            "8 hours",
        ),
        (
            "High",
            "freeze the snapshot; retrain from the last clean one",
            "ML lead, CTO",
            "4 hours",
        ),
        (
            "Critical",
            "revoke the credentials; rotate storage access",
            "CEO, CTO, counsel",
            "1 hour",
        ),
        (
            "Critical",
            "take the model offline; apply an output filter",
            "CEO, CTO, counsel, board",
            "1 hour",
        ),
        (
            "Medium",
            "restore the previous model version; root-cause analysis",
            "ML lead",
            "8 hours",
        ),
    ] {
        fill(
            &playbook,
            &[
                ("Severity", sev),
                ("Response", steps),
                ("Notify", notify),
                ("Response time", time),
            ],
        );
    }
    assert_no_todo_field(&playbook);

    // Three quarters of tabletop records, each a filled copy of the template.
    let template =
        std::fs::read_to_string(root.join("compliance/tabletops/TEMPLATE-tabletop-exercise.md")).unwrap();
    for (file, date, scenario) in [
        (
            "2026-q1-prompt-injection.md",
            "2026-02-18",
            "Prompt injection through an uploaded support thread",
        ),
        (
            "2026-q2-memorization.md",
            "2026-05-21",
            "Data leakage through memorization in thread summaries",
        ),
        (
            "2026-q3-model-drift.md",
            "2026-08-26",
            "Model drift anomaly in the churn model",
        ),
    ] {
        let path = root.join("compliance/tabletops").join(file);
        std::fs::write(
            &path,
            template.replace(
                "# Tabletop exercise — TODO scenario",
                &format!("# Tabletop exercise — {scenario}"),
            ),
        )
        .unwrap();
        fill(
            &path,
            &[
                ("Date", date),
                ("Facilitator", "Daniel Okafor (CTO)"),
                ("Participants", "Daniel Okafor, Ravi Shah (ML), Priya Raman (Ops)"),
                ("Scenario", scenario),
                ("Duration", "90 minutes"),
            ],
        );
        assert_no_todo_field(&path);
    }
    // Access reviews for the quarters that lack one.
    let template =
        std::fs::read_to_string(root.join("compliance/access-reviews/TEMPLATE-access-review.md")).unwrap();
    for (file, date) in [
        ("2025-Q4.md", "2025-12-15"),
        ("2026-Q2.md", "2026-06-20"),
        ("2026-Q3.md", "2026-09-18"),
    ] {
        let path = root.join("compliance/access-reviews").join(file);
        let text = template.replace(
            "| TODO | TODO | TODO | TODO (keep, revoke or modify) | TODO |",
            "| ravi@acme.ai | Anthropic console | Admin | Keep | ML lead |\n| ci-deployer | GKE acme-prod | namespace admin | Modify | cluster-admin removed |",
        );
        std::fs::write(&path, text).unwrap();
        fill(
            &path,
            &[
                ("Date", date),
                ("Reviewer", "Daniel Okafor (CTO)"),
                ("Follow-ups", "none open"),
            ],
        );
        assert_no_todo_field(&path);
    }

    // 5. The controls pass.
    let after_fill = assess(&root);
    for id in [
        "RF3-VENDOR-DUE-DILIGENCE",
        "RF5-LINEAGE-COMPLETE",
        "RF4-TABLETOP-CADENCE",
        "RF1-ACCESS-REVIEW",
    ] {
        assert_eq!(
            status(&after_fill, id),
            Status::Pass,
            "{id}: {:#?}",
            messages(&after_fill, id)
        );
    }
}

#[test]
fn init_on_a_target_without_ai_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("main.py"), "print('hello')\n").unwrap();
    let report = assess(tmp.path());
    let outcome = init::init(tmp.path(), &report, builtin(), false).unwrap();
    assert!(outcome.files.is_empty(), "{}", outcome.summary());
    assert!(outcome.summary().contains("nothing to write"));
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn init_never_writes_through_a_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("acme-ai");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-ai"),
        &root,
    );
    let report = assess(&root);
    let outside = tmp.path().join("outside.md");
    std::fs::write(&outside, "keep me\n").unwrap();
    std::fs::create_dir_all(root.join("ml/lineage")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("ml/lineage/churn-v3.md")).unwrap();
    let outcome = init::init(&root, &report, builtin(), true).unwrap();
    let f = outcome
        .files
        .iter()
        .find(|f| f.path == Path::new("ml/lineage/churn-v3.md"))
        .unwrap();
    assert!(matches!(&f.action, Action::Refused(why) if why.contains("symbolic link")));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me\n");
}

/// A linked directory on the way (`compliance/` → elsewhere) is refused too: nothing is
/// created outside the target, and the summary does not claim "wrote compliance/…".
#[cfg(unix)]
#[test]
fn init_never_writes_through_a_linked_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("acme-ai");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-ai"),
        &root,
    );
    let outside = tmp.path().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    for dir in ["compliance", "docs/security", "ml/lineage"] {
        let d = root.join(dir);
        if d.exists() {
            std::fs::remove_dir_all(&d).unwrap();
        }
        std::fs::create_dir_all(d.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&outside, &d).unwrap();
    }
    let report = assess(&root);
    let outcome = init::init(&root, &report, builtin(), true).unwrap();
    assert!(!outcome.files.is_empty());
    for f in &outcome.files {
        let linked = ["compliance", "docs/security", "ml/lineage"]
            .iter()
            .any(|d| f.path.starts_with(d));
        if linked {
            assert!(matches!(f.action, Action::Refused(_)), "{f:?}");
        }
    }
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert!(!outcome.summary().contains("wrote    compliance"));
}
