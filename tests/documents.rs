//! Evidence documents are recognised by their content, not their name alone, and the report
//! says which file it took for each role: the `documents` array of the JSON report, the
//! notes for files named like a document but without its content, folders that are not the
//! company's evidence, and names the user's config trusts.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use redflag::report::{Report, Status};
use redflag::settings::Settings;
use redflag::workspace::TargetSpec;
use serde_json::{json, Value};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn settings(paths: &[PathBuf], only: &str) -> Settings {
    let mut s = Settings::for_paths(paths, redflag::date::parse_iso(support::AS_OF).unwrap());
    if !only.is_empty() {
        s.only = vec![only.to_string()];
    }
    s
}

fn assess(s: &Settings) -> Report {
    redflag::app::assess(s).unwrap()
}

fn status(r: &Report, id: &str) -> Status {
    r.controls.iter().find(|c| c.id == id).unwrap().status
}

fn notes(r: &Report) -> Vec<(String, String)> {
    r.notes
        .iter()
        .map(|n| (n.path.clone(), n.message.clone()))
        .collect()
}

fn documents(r: &Report) -> Value {
    let v = serde_json::to_value(r).unwrap();
    let mut docs = v["documents"].clone();
    // The target is the path as given, which depends on where the test runs.
    for d in docs.as_array_mut().unwrap() {
        d.as_object_mut().unwrap().remove("target");
    }
    docs
}

#[test]
fn acme_documents_are_named_in_the_json_report() {
    let r = assess(&settings(&[PathBuf::from("examples/acme-ai")], ""));
    let v = serde_json::to_value(&r).unwrap();
    assert!(v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["target"] == "examples/acme-ai"));
    assert_eq!(
        documents(&r),
        json!([
            {"kind": "access-review", "title": "Access review record",
             "path": "compliance/access-reviews/2026-Q1.md", "summary": "7 entries"},
            {"kind": "incident-response-plan", "title": "Incident response plan",
             "path": "docs/security/incident-response-plan.md", "summary": "7 sections"},
            {"kind": "vendor-register", "title": "Vendor register",
             "path": "compliance/vendor-register.md", "summary": "1 entry"},
        ])
    );
    // The deliberately broken Helm values file is parsed for its `auth` settings (an API
    // switching authentication off): the scan says it could not read it.
    let n = notes(&r);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].0, "deploy/k8s/broken-values.yaml");
    assert!(n[0].1.starts_with("YAML parse error"), "{n:?}");
}

#[test]
fn a_file_named_like_a_plan_without_its_content_is_a_note_not_evidence() {
    let r = assess(&settings(
        &[fixture("RF4-IR-PLAN/gap-named-not-content")],
        "RF4-IR-PLAN",
    ));
    assert_eq!(status(&r, "RF4-IR-PLAN"), Status::Gap);
    assert_eq!(documents(&r), json!([]));
    assert_eq!(
        notes(&r),
        vec![(
            "docs/perf-playbook.md".to_string(),
            "named like an incident response plan but lacks its content (incident-response \
             structure: no severity, escalation, containment, eradication…); not used as evidence"
                .to_string()
        )]
    );

    let r = assess(&settings(
        &[fixture("RF3-VENDOR-REGISTERED/gap-named-not-content")],
        "RF3-VENDOR-REGISTERED",
    ));
    assert_eq!(status(&r, "RF3-VENDOR-REGISTERED"), Status::Gap);
    assert_eq!(documents(&r), json!([]));
    assert_eq!(
        notes(&r),
        vec![(
            "docs/defer-third-party.md".to_string(),
            "named like a vendor register but lacks its content (due-diligence columns: no dpa, \
             data processing, soc 2, iso 27001…); not used as evidence"
                .to_string()
        )]
    );
}

#[test]
fn the_same_name_with_real_content_is_the_plan() {
    let r = assess(&settings(
        &[fixture("RF4-IR-PLAN/pass-named-with-content")],
        "RF4-IR-PLAN",
    ));
    assert_eq!(status(&r, "RF4-IR-PLAN"), Status::Pass);
    assert!(notes(&r).is_empty(), "{:?}", notes(&r));
    assert_eq!(
        documents(&r),
        json!([{"kind": "incident-response-plan", "title": "Incident response plan",
                "path": "docs/perf-playbook.md", "summary": "6 sections"}])
    );
}

#[test]
fn registers_in_agent_skills_and_test_fixtures_are_ignored_silently() {
    for case in ["gap-register-in-agent-skill", "gap-register-in-test-fixtures"] {
        let r = assess(&settings(
            &[fixture(&format!("RF3-VENDOR-REGISTERED/{case}"))],
            "RF3-VENDOR-REGISTERED",
        ));
        assert_eq!(status(&r, "RF3-VENDOR-REGISTERED"), Status::Gap, "{case}");
        assert_eq!(documents(&r), json!([]), "{case}");
        assert!(notes(&r).is_empty(), "{case}: {:?}", notes(&r));
    }
}

#[test]
fn an_evidence_directory_is_searched_even_where_a_scan_would_not_look() {
    // The user pointed at the folder: its register counts, wherever it sits.
    let root = fixture("RF3-VENDOR-REGISTERED/gap-register-in-agent-skill");
    let mut s = settings(std::slice::from_ref(&root), "RF3-VENDOR-REGISTERED");
    s.targets.push(TargetSpec {
        root: root.join(".claude"),
        display: "skills-export".into(),
        evidence_only: true,
    });
    let r = assess(&s);
    assert_eq!(status(&r, "RF3-VENDOR-REGISTERED"), Status::Pass);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v["documents"],
        json!([{"kind": "vendor-register", "title": "Vendor register", "target": "skills-export",
                "path": "skills/soc2/vendor-register.md", "summary": "2 entries"}])
    );
}

/// A repository whose vendor list has no due-diligence column, named `docs/suppliers.md`,
/// with `redflag.yaml` naming it as `names`.
fn repo_with_supplier_list(names: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let src = fixture("RF3-VENDOR-REGISTERED/pass");
    support::write(
        root,
        "app/main.py",
        std::fs::read(src.join("app/main.py")).unwrap(),
    );
    support::write(
        root,
        "requirements.txt",
        std::fs::read(src.join("requirements.txt")).unwrap(),
    );
    support::write(
        root,
        "docs/suppliers.md",
        "# Suppliers\n\n| Company | Contact |\n|---|---|\n| OpenAI | vendor-mgmt@example.com |\n",
    );
    support::write(
        root,
        "redflag.yaml",
        format!("documents:\n  - id: vendor-register\n    names: [{names}]\n"),
    );
    dir
}

fn scan_json(root: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--only", "RF3-VENDOR-REGISTERED"];
    args.extend_from_slice(extra);
    support::run(
        support::scan_command(root, "json", &args),
        Duration::from_secs(120),
    )
    .json()
}

fn suppliers_note(v: &Value) -> bool {
    v["notes"].as_array().unwrap().iter().any(|n| {
        n["path"] == "docs/suppliers.md"
            && n["message"]
                .as_str()
                .unwrap()
                .starts_with("named like a vendor register but lacks its content")
    })
}

#[test]
fn a_document_named_exactly_in_the_config_is_trusted_by_name() {
    let dir = repo_with_supplier_list("\"docs/suppliers.md\"");
    let v = scan_json(dir.path(), &["--trusted"]);
    assert_eq!(v["controls"][0]["status"], "pass", "{v:#}");
    assert_eq!(v["documents"][0]["path"], "docs/suppliers.md");
    assert!(!suppliers_note(&v));

    // A wildcard is a convention, not a choice of file: the content still decides.
    let dir = repo_with_supplier_list("\"*suppliers*\"");
    let v = scan_json(dir.path(), &["--trusted"]);
    assert_eq!(v["controls"][0]["status"], "gap");
    assert_eq!(v["documents"], json!([]));
    assert!(suppliers_note(&v), "{v:#}");

    // An untrusted target's own config may not vouch for its documents.
    let dir = repo_with_supplier_list("\"docs/suppliers.md\"");
    let v = scan_json(dir.path(), &["--untrusted"]);
    assert_eq!(v["controls"][0]["status"], "gap");
    assert!(suppliers_note(&v), "{v:#}");
}

#[test]
fn the_terminal_report_lists_the_documents_before_the_summary() {
    let out = support::run(
        support::scan_command(Path::new("examples/acme-ai"), "table", &[]),
        Duration::from_secs(120),
    )
    .stdout_str();
    let block = out
        .split("Evidence documents\n")
        .nth(1)
        .and_then(|rest| rest.split("\nSummary").next())
        .expect("an Evidence documents block before the summary");
    assert_eq!(
        block.trim_end(),
        "  access review record: compliance/access-reviews/2026-Q1.md (7 entries)\n  \
         incident response plan: docs/security/incident-response-plan.md (7 sections)\n  \
         vendor register: compliance/vendor-register.md (1 entry)"
    );
}
