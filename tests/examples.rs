//! The bundled examples, as the README runs them: their JSON reports follow the report
//! contract (`report-contract.md`), checked here in Rust and, when the shared checker is
//! beside the checkout, by `check_contract.py` too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

#[path = "support/report_schema.rs"]
mod report_schema;

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "ci"))
        .collect();
    v.sort();
    v
}

fn report(example: &Path) -> (serde_json::Value, Vec<u8>) {
    let out = Command::cargo_bin("redflag")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "--format", "json", "--as-of", "2026-12-01"])
        .arg(example.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).unwrap();
    report_schema::assert_valid(&v);
    (v, out.stdout)
}

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];
const STATUSES: [&str; 5] = ["pass", "gap", "not_applicable", "manual", "blocked"];

fn check_pointer(p: &serde_json::Value, problems: &mut Vec<String>) {
    for k in ["target", "path", "line", "snippet"] {
        if p.get(k).is_none() {
            problems.push(format!("pointer lacks {k}: {p}"));
        }
    }
    let path = p["path"].as_str().unwrap_or("");
    if path.starts_with('/') || path.contains('\\') {
        problems.push(format!("path not target-relative: {path}"));
    }
    if let Some(s) = p["snippet"].as_str() {
        if s.chars().count() > 200 {
            problems.push(format!("snippet over 200 chars: {s}"));
        }
    }
    if let Some(l) = p["line"].as_i64() {
        if l < 1 {
            problems.push(format!("line {l} < 1"));
        }
    }
}

fn contract_problems(r: &serde_json::Value) -> Vec<String> {
    let tsc: BTreeSet<String> = redflag::control::tsc::all()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let mut problems = Vec::new();
    if r["schema_version"] != redflag::report::SCHEMA_VERSION {
        problems.push("schema_version".into());
    }
    if r["tool"]["name"] != "redflag" {
        problems.push("tool.name".into());
    }
    let controls = r["controls"].as_array().cloned().unwrap_or_default();
    let findings = r["findings"].as_array().cloned().unwrap_or_default();
    let mut ids = BTreeSet::new();
    for c in &controls {
        let id = c["id"].as_str().unwrap_or("").to_string();
        ids.insert(id.clone());
        if !SEVERITIES.contains(&c["severity"].as_str().unwrap_or(""))
            || !STATUSES.contains(&c["status"].as_str().unwrap_or(""))
        {
            problems.push(format!("{id}: severity/status"));
        }
        let n = findings.iter().filter(|f| f["control_id"] == c["id"]).count();
        if c["findings"].as_u64() != Some(n as u64) {
            problems.push(format!("{id}: findings count"));
        }
        if (c["status"] == "gap") != (n > 0) {
            problems.push(format!("{id}: status {} with {n} findings", c["status"]));
        }
        for t in c["tsc"].as_array().unwrap() {
            if !tsc.contains(t.as_str().unwrap_or("")) {
                problems.push(format!("{id}: unknown TSC {t}"));
            }
        }
        c["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(|p| check_pointer(p, &mut problems));
    }
    let mut keys = Vec::new();
    let mut fps = BTreeSet::new();
    for f in &findings {
        if f["message"].as_str().unwrap_or("").is_empty()
            || !ids.contains(f["control_id"].as_str().unwrap_or(""))
        {
            problems.push(format!("bad finding {f}"));
        }
        if !fps.insert(f["fingerprint"].as_str().unwrap_or("").to_string()) {
            problems.push(format!("duplicate fingerprint {}", f["fingerprint"]));
        }
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(|p| check_pointer(p, &mut problems));
        let ev = &f["evidence"][0];
        keys.push((
            f["red_flag"].as_u64().unwrap_or(99),
            f["control_id"].as_str().unwrap_or("").to_string(),
            ev["path"].as_str().unwrap_or("").to_string(),
            ev["line"].as_u64().unwrap_or(0),
        ));
    }
    let mut sorted = keys.clone();
    sorted.sort();
    if keys != sorted {
        problems.push("findings not sorted".into());
    }
    let s = &r["summary"];
    for st in STATUSES {
        let n = controls.iter().filter(|c| c["status"] == st).count();
        if s[st].as_u64() != Some(n as u64) {
            problems.push(format!("summary.{st}"));
        }
    }
    if s["findings"].as_u64() != Some(findings.len() as u64) {
        problems.push("summary.findings".into());
    }
    // `null` when no control examined anything; else 0..100.
    if !s["score"].is_null() && !(0.0..=100.0).contains(&s["score"].as_f64().unwrap_or(-1.0)) {
        problems.push("score".into());
    }
    problems
}

#[test]
fn both_examples_follow_the_report_contract() {
    let examples = examples();
    assert!(examples.len() >= 2, "expected at least two examples");
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/check_contract.py");
    for ex in examples {
        let (r, raw) = report(&ex);
        let problems = contract_problems(&r);
        assert!(problems.is_empty(), "{}: {problems:#?}", ex.display());
        if checker.is_file()
            && std::process::Command::new("python3")
                .arg("--version")
                .output()
                .is_ok()
        {
            let tmp = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(tmp.path(), &raw).unwrap();
            let out = std::process::Command::new("python3")
                .arg(&checker)
                .arg(tmp.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: check_contract.py: {}",
                ex.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

#[test]
fn the_startup_example_has_gaps_in_every_red_flag_and_the_mature_one_scores_higher() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (acme, _) = report(&root.join("acme-ai"));
    let (north, _) = report(&root.join("northwind-ml"));
    for rf in ["1", "2", "3", "4", "5"] {
        assert!(
            acme["summary"]["by_red_flag"][rf]["gap"].as_u64().unwrap() > 0,
            "acme-ai has no gap in red flag {rf}"
        );
    }
    let (a, n) = (
        acme["summary"]["score"].as_f64().unwrap(),
        north["summary"]["score"].as_f64().unwrap(),
    );
    assert!(n > 80.0 && a < 40.0, "scores: acme-ai {a}, northwind-ml {n}");
    // The hard-coded key is reported, redacted.
    let key = acme["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == "RF3-HARDCODED-AI-KEY")
        .expect("key finding");
    assert!(key["evidence"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("…[redacted]"));
}

/// The JSON Schema is the contract's: its version is the report's, it names every
/// top-level field the contract documents, and it is not vacuous.
#[test]
fn the_report_schema_is_the_contract() {
    let schema = report_schema::schema();
    assert_eq!(
        schema["properties"]["schema_version"]["const"],
        redflag::report::SCHEMA_VERSION
    );
    let contract =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report-contract.md"))
            .unwrap();
    for field in schema["properties"].as_object().unwrap().keys() {
        assert!(
            contract.contains(&format!("\"{field}\"")),
            "the contract does not document `{field}`"
        );
    }
    assert!(contract.contains("report.schema.json"));
    let (report, _) = report(&examples()[0]);
    let mut extra = report.clone();
    extra["findings"][0]["surprise"] = serde_json::json!(1);
    let mut missing = report.clone();
    missing["gate"].as_object_mut().unwrap().remove("exit_code");
    let mut bad = report.clone();
    bad["controls"][0]["status"] = serde_json::json!("fine");
    let mut strict = schema.clone();
    report_schema::strict(&mut strict);
    let strict = jsonschema::validator_for(&strict).unwrap();
    let published = jsonschema::validator_for(&schema).unwrap();
    assert!(strict.is_valid(&report) && published.is_valid(&report));
    assert!(!strict.is_valid(&extra), "the tests' schema names every field");
    assert!(
        published.is_valid(&extra),
        "consumers accept added fields, as the contract allows"
    );
    assert!(!published.is_valid(&missing) && !published.is_valid(&bad));
}
