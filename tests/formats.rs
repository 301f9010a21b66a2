//! The SARIF and JUnit renderers on real reports of the bundled examples: SARIF validates
//! against the official 2.1.0 schema and carries what GitHub code scanning requires, JUnit is
//! well-formed with one testcase per control, and both are byte-for-byte deterministic.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use redflag::report::{Report, Status};
use serde_json::Value;

#[path = "support/report_schema.rs"]
mod report_schema;

/// Relative, as a user types it (`cargo test` runs in the package root): target display
/// paths, and so multi-target SARIF URIs, are relative.
fn example(name: &str) -> PathBuf {
    assert!(Path::new("examples").join(name).is_dir());
    Path::new("examples").join(name)
}

fn assess(paths: &[PathBuf]) -> Report {
    let settings =
        redflag::settings::Settings::for_paths(paths, redflag::date::parse_iso("2026-12-01").unwrap());
    let report = redflag::app::assess(&settings).unwrap();
    report_schema::assert_valid(&serde_json::to_value(&report).unwrap());
    report
}

fn acme() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| assess(&[example("acme-ai")]))
}

fn sarif_bytes(report: &Report) -> Vec<u8> {
    let mut buf = Vec::new();
    redflag::report::sarif::render(report, &mut buf).unwrap();
    buf
}

fn junit_bytes(report: &Report) -> Vec<u8> {
    let mut buf = Vec::new();
    redflag::report::junit::render(report, &mut buf).unwrap();
    buf
}

fn sarif(report: &Report) -> Value {
    serde_json::from_slice(&sarif_bytes(report)).unwrap()
}

fn schema() -> Option<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/sarif-schema-2.1.0.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(_) => {
            eprintln!(
                "note: {} is absent; SARIF schema validation skipped",
                path.display()
            );
            None
        }
    }
}

/// Validates against the official SARIF 2.1.0 schema (draft-04, with `format` checks such
/// as `uri-reference` on artifact URIs).
fn assert_schema_valid(log: &Value) {
    let Some(schema) = schema() else { return };
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema errors:\n{}", errors.join("\n"));
    // The validator is not vacuous: a log without `version` is rejected.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(!validator.is_valid(&broken));
}

/// RFC 3986 URI reference, as SARIF requires of `artifactLocation.uri` (the draft-04 schema
/// names the format but draft-04 validators do not check it): only unreserved characters,
/// delimiters and `%XX` escapes, and a relative reference's first segment has no `:`.
fn is_uri_reference(uri: &str) -> bool {
    let bytes = uri.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    let first_segment = uri.split('/').next().unwrap_or_default();
    uri.starts_with("file:///") || !first_segment.contains(':')
}

fn text_of(v: &Value, key: &str) -> String {
    v[key]["text"].as_str().unwrap_or_default().to_string()
}

/// The Trust Services Criteria are the run's taxonomy: all 61, each with its category, and
/// every rule related to each of its criteria by id and index.
fn assert_tsc_taxonomy(run: &Value, rules: &[Value], report: &Report) {
    let taxonomies = run["taxonomies"].as_array().unwrap();
    assert_eq!(taxonomies.len(), 1);
    let tsc = &taxonomies[0];
    assert_eq!(tsc["name"], "TSC");
    assert_eq!(tsc["organization"], "AICPA");
    let taxa = tsc["taxa"].as_array().unwrap();
    assert_eq!(taxa.len(), 61);
    assert!(taxa
        .iter()
        .all(|t| !text_of(t, "shortDescription").is_empty() && t["properties"]["category"].is_string()));
    assert_eq!(
        run["tool"]["driver"]["supportedTaxonomies"][0],
        serde_json::json!({"name": "TSC", "index": 0})
    );
    for (rule, control) in rules.iter().zip(&report.controls) {
        let rels = rule["relationships"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let ids: Vec<&str> = rels.iter().map(|r| r["target"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids, control.tsc.iter().map(String::as_str).collect::<Vec<_>>());
        for r in rels {
            let index = r["target"]["index"].as_u64().unwrap() as usize;
            assert_eq!(taxa[index]["id"], r["target"]["id"], "index points at the taxon");
            assert_eq!(
                r["target"]["toolComponent"],
                serde_json::json!({"name": "TSC", "index": 0})
            );
            assert_eq!(r["kinds"], serde_json::json!(["relevant"]));
        }
    }
}

/// What GitHub code scanning requires (its SARIF support page), beyond the schema.
fn assert_github_subset(report: &Report, log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "redflag");
    assert!(!driver["version"].as_str().unwrap().is_empty());
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));

    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), report.controls.len(), "one rule per control");
    assert_tsc_taxonomy(run, rules, report);
    for (rule, control) in rules.iter().zip(&report.controls) {
        assert_eq!(rule["id"], control.id.as_str());
        assert!(!rule["name"].as_str().unwrap().is_empty());
        let short = text_of(rule, "shortDescription");
        assert!(!short.is_empty() && short.chars().count() <= 1024);
        assert_eq!(short, control.title);
        let full = text_of(rule, "fullDescription");
        assert!(full.starts_with(&control.title), "{full}");
        for t in &control.tsc {
            assert!(full.contains(t.as_str()), "{full} lacks {t}");
        }
        assert!(!text_of(rule, "help").is_empty());
        assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        let expected_level = match control.severity.as_str() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(level, expected_level);
        let props = &rule["properties"];
        let sev = props["security-severity"]
            .as_str()
            .expect("security-severity is a string");
        let expected_sev = match control.severity.as_str() {
            "critical" => "9.5",
            "high" => "8.0",
            "medium" => "5.5",
            _ => "3.0",
        };
        assert_eq!(sev, expected_sev);
        let score: f64 = sev.parse().unwrap();
        assert!((0.1..=10.0).contains(&score));
        assert_eq!(props["precision"], "high");
        let tags: Vec<&str> = props["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.len() <= 20);
        assert!(tags.contains(&"security") && tags.contains(&"soc2"));
        if let Some(n) = control.red_flag {
            assert!(tags.contains(&format!("red-flag-{n}").as_str()));
        }
        for t in &control.tsc {
            assert!(tags.contains(&format!("TSC-{t}").as_str()), "{tags:?}");
        }
    }

    let results = run["results"].as_array().unwrap();
    assert!(results.len() <= 25_000);
    for r in results {
        let rule_id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule_id, "ruleIndex points at the rule");
        assert!(!text_of(r, "message").is_empty());
        assert!(matches!(
            r["level"].as_str().unwrap(),
            "error" | "warning" | "note"
        ));
        let locations = r["locations"].as_array().unwrap();
        assert!(!locations.is_empty(), "every result has a location: {r}");
        for l in locations.iter().chain(
            r["relatedLocations"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default(),
        ) {
            let pl = &l["physicalLocation"];
            let uri = pl["artifactLocation"]["uri"].as_str().unwrap();
            assert!(
                !uri.is_empty() && !uri.starts_with('/') && !uri.contains('\\'),
                "{uri}"
            );
            assert!(is_uri_reference(uri), "{uri} is not a URI reference");
            let region = &pl["region"];
            let start = region["startLine"].as_u64().unwrap();
            assert!(start >= 1);
            assert_eq!(region["endLine"].as_u64().unwrap(), start);
            assert_eq!(region["startColumn"].as_u64().unwrap(), 1);
            assert!(region["endColumn"].as_u64().unwrap() >= 2);
        }
        assert!(r["relatedLocations"].as_array().map_or(0, Vec::len) <= 100);
        let fp = &r["partialFingerprints"];
        // GitHub computes primaryLocationLineHash itself; redflag's has its own key.
        assert!(fp.get("primaryLocationLineHash").is_none(), "{fp}");
        assert!(!fp["redflagFingerprint/v1"].as_str().unwrap().is_empty());
    }

    // Every finding appears as a result (none dropped, none invented).
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &report.findings {
        *want
            .entry((f.control_id.to_string(), f.fingerprint.clone()))
            .or_default() += 1;
    }
    let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in results {
        let key = (
            r["ruleId"].as_str().unwrap().to_string(),
            r["partialFingerprints"]["redflagFingerprint/v1"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        *got.entry(key).or_default() += 1;
    }
    assert_eq!(got, want);
    for (r, f) in results.iter().zip(&report.findings) {
        assert_eq!(text_of(r, "message"), f.message);
        if let Some(p) = f.evidence.first() {
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
            assert!(uri.ends_with(&p.path), "{uri} vs {}", p.path);
            assert_eq!(
                loc["region"]["startLine"].as_u64().unwrap(),
                u64::from(p.line.unwrap_or(1))
            );
        }
    }
}

#[test]
fn uri_reference_check() {
    assert!(is_uri_reference("app/config.py"));
    assert!(is_uri_reference("../policies/ir%20plan.md"));
    assert!(is_uri_reference("file:///C:/repo/x.py"));
    assert!(!is_uri_reference("my file.py"));
    assert!(!is_uri_reference("C:/repo/x.py"));
    assert!(!is_uri_reference("bad%2"));
}

#[test]
fn sarif_is_schema_valid_and_github_ready() {
    let report = acme();
    assert!(!report.findings.is_empty());
    let log = sarif(report);
    assert_schema_valid(&log);
    assert_github_subset(report, &log);
    // A single target: URIs are relative to it, as GitHub resolves them from the checkout.
    let first = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        first["artifactLocation"]["uri"],
        report.findings[0].evidence[0].path.as_str()
    );
    assert_eq!(first["artifactLocation"]["uriBaseId"], "%SRCROOT%");
}

#[test]
fn sarif_multi_target_uris_are_prefixed_and_valid() {
    let report = assess(&[example("acme-ai"), example("northwind-ml")]);
    assert_eq!(report.targets.len(), 2);
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_github_subset(&report, &log);
    for (r, f) in log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&report.findings)
    {
        if let Some(p) = f.evidence.first() {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert_eq!(uri, format!("{}/{}", p.target, p.path), "target prefix");
        }
    }
}

#[test]
fn sarif_places_findings_without_evidence() {
    let mut report = acme().clone();
    // Strip evidence from every finding of one control, and from all findings and controls
    // of another red flag entirely: neither may lose its results.
    let first = report.findings[0].control_id.clone();
    for f in report.findings.iter_mut().filter(|f| f.control_id == first) {
        f.evidence.clear();
    }
    let last_rf = report.findings.last().unwrap().red_flag;
    for f in report.findings.iter_mut().filter(|f| f.red_flag == last_rf) {
        f.evidence.clear();
    }
    for c in report.controls.iter_mut().filter(|c| c.red_flag == last_rf) {
        c.evidence.clear();
    }
    // A note (a file not parsed) becomes a notification on that file.
    report.notes.clear();
    report.notes.push(redflag::report::NoteOut {
        target: report.targets[0].path.clone(),
        path: "deploy/broken values.yaml".into(),
        message: "YAML parse error at 4:7".into(),
    });
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_github_subset(&report, &log);
    let notification = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(notification["message"]["text"], "YAML parse error at 4:7");
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/broken%20values.yaml"
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    let last = &results[results.len() - 1]["locations"][0]["physicalLocation"];
    assert_eq!(last["artifactLocation"]["uri"], "redflag.yaml");
    assert_eq!(last["region"]["startLine"], 1);
}

#[test]
fn sarif_maps_baseline_and_waivers() {
    let mut report = acme().clone();
    report.findings[0].waiver = Some(redflag::report::WaiverRef {
        source: "config".into(),
        reason: "accepted by the CISO until Q2".into(),
        owner: Some("ciso@example.com".into()),
        expires: Some("2027-06-30".into()),
    });
    report.findings[0].baseline = Some(redflag::report::BaselineState::Known);
    report.findings[1].baseline = Some(redflag::report::BaselineState::New);
    let log = sarif(&report);
    assert_schema_valid(&log);
    let results = &log["runs"][0]["results"];
    assert_eq!(results[0]["baselineState"], "unchanged");
    assert_eq!(results[1]["baselineState"], "new");
    assert!(results[2].get("baselineState").is_none());
    let s = &results[0]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(s["justification"], "accepted by the CISO until Q2");
    assert!(results[1].get("suppressions").is_none());
    // An inline waiver (a comment in the scanned code) is an in-source suppression.
    report.findings[1].waiver = Some(redflag::report::WaiverRef {
        source: "inline app/config.py:11".into(),
        reason: "test fixture key".into(),
        owner: None,
        expires: None,
    });
    let log = sarif(&report);
    assert_schema_valid(&log);
    assert_eq!(
        log["runs"][0]["results"][1]["suppressions"][0]["kind"],
        "inSource"
    );
}

/// A parsed `<testsuite>`.
struct Suite {
    name: String,
    tests: usize,
    failures: usize,
    skipped: usize,
    cases: Vec<Case>,
}

/// A parsed `<testcase>`: its failure as (message, text), its skip message.
struct Case {
    classname: String,
    name: String,
    failure: Option<(String, String)>,
    skipped: Option<String>,
}

/// The JUnit document, parsed: its suites and the root's (tests, failures, skipped).
fn parse_junit(bytes: &[u8]) -> (Vec<Suite>, [usize; 3]) {
    let text = std::str::from_utf8(bytes).expect("JUnit is UTF-8");
    let doc = roxmltree::Document::parse(text).expect("JUnit is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("name"), Some("redflag"));
    let num = |n: roxmltree::Node<'_, '_>, a: &str| -> usize {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{a} missing"))
            .parse()
            .unwrap()
    };
    let totals = [num(root, "tests"), num(root, "failures"), num(root, "skipped")];
    let mut suites = Vec::new();
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let cases = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|tc| Case {
                classname: tc.attribute("classname").unwrap().to_string(),
                name: tc.attribute("name").unwrap().to_string(),
                failure: tc.children().find(|n| n.has_tag_name("failure")).map(|f| {
                    (
                        f.attribute("message").unwrap().to_string(),
                        f.text().unwrap_or_default().to_string(),
                    )
                }),
                skipped: tc
                    .children()
                    .find(|n| n.has_tag_name("skipped"))
                    .map(|s| s.attribute("message").unwrap().to_string()),
            })
            .collect();
        suites.push(Suite {
            name: suite.attribute("name").unwrap().to_string(),
            tests: num(suite, "tests"),
            failures: num(suite, "failures"),
            skipped: num(suite, "skipped"),
            cases,
        });
    }
    (suites, totals)
}

#[test]
fn junit_has_one_testcase_per_control() {
    let report = acme();
    let (suites, totals) = parse_junit(&junit_bytes(report));
    let cases: Vec<&Case> = suites.iter().flat_map(|s| &s.cases).collect();
    assert_eq!(cases.len(), report.controls.len());
    let gaps = report.controls.iter().filter(|c| c.status == Status::Gap).count();
    let skipped = report
        .controls
        .iter()
        .filter(|c| matches!(c.status, Status::NotApplicable | Status::Manual))
        .count();
    assert_eq!(cases.iter().filter(|c| c.failure.is_some()).count(), gaps);
    assert_eq!(totals, [report.controls.len(), gaps, skipped]);
    for Suite {
        name,
        tests,
        failures,
        skipped: skip,
        cases,
    } in &suites
    {
        assert!(!name.is_empty());
        assert_eq!(*tests, cases.len(), "{name}");
        assert_eq!(*failures, cases.iter().filter(|c| c.failure.is_some()).count());
        assert_eq!(*skip, cases.iter().filter(|c| c.skipped.is_some()).count());
    }
    assert!(suites
        .iter()
        .any(|s| s.name == "RF3 Third-party AI providers are black boxes"));
    for (case, control) in cases.iter().zip(&report.controls) {
        assert_eq!(case.name, format!("{}: {}", control.id, control.title));
        let rf = control.red_flag.map_or("other".to_string(), |n| format!("RF{n}"));
        assert_eq!(case.classname, format!("redflag.{rf}"));
        if control.status == Status::Gap {
            let (message, body) = case.failure.as_ref().unwrap();
            let n = control.findings;
            let want = if n == 1 {
                "1 finding".to_string()
            } else {
                format!("{n} findings")
            };
            assert_eq!(*message, want);
            for f in report.findings.iter().filter(|f| f.control_id == control.id) {
                assert!(body.contains(&f.message), "{body}");
                if let Some(p) = f.evidence.first() {
                    let loc = match p.line {
                        Some(l) => format!("{}:{l}", p.path),
                        None => p.path.clone(),
                    };
                    assert!(body.contains(&loc), "{body} lacks {loc}");
                }
            }
        }
    }
}

#[test]
fn junit_escapes_hostile_text() {
    let mut report = acme().clone();
    let i = report
        .controls
        .iter()
        .position(|c| c.status == Status::Gap)
        .unwrap();
    report.controls[i].title = "<b>\"quotes\" & 'apos'</b>\u{1b}[31m\u{0}".into();
    let id = report.controls[i].id.clone();
    for f in report.findings.iter_mut().filter(|f| f.control_id == id) {
        f.message = "]]> </failure><x a=\"1\"> & \u{7}bell".into();
    }
    let (suites, _) = parse_junit(&junit_bytes(&report));
    let case = suites
        .iter()
        .flat_map(|s| &s.cases)
        .find(|c| c.name.starts_with(id.as_str()))
        .unwrap();
    assert_eq!(case.name, format!("{id}: <b>\"quotes\" & 'apos'</b>[31m"));
    assert!(case
        .failure
        .as_ref()
        .unwrap()
        .1
        .contains("]]> </failure><x a=\"1\"> & bell"));
}

#[test]
fn renderings_are_deterministic() {
    let a = acme();
    let b = assess(&[example("acme-ai")]);
    assert_eq!(sarif_bytes(a), sarif_bytes(a));
    assert_eq!(
        sarif_bytes(a),
        sarif_bytes(&b),
        "a second scan renders the same SARIF"
    );
    assert_eq!(junit_bytes(a), junit_bytes(a));
    assert_eq!(
        junit_bytes(a),
        junit_bytes(&b),
        "a second scan renders the same JUnit"
    );
}

#[test]
fn junit_skips_gaps_whose_findings_are_all_accepted() {
    let mut report = acme().clone();
    let gaps: Vec<String> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Gap)
        .map(|c| c.id.to_string())
        .collect();
    let (waived, known) = (&gaps[0], &gaps[1]);
    for f in report.findings.iter_mut() {
        if f.control_id == *waived {
            f.waiver = Some(redflag::report::WaiverRef {
                source: "config".into(),
                reason: "risk accepted".into(),
                owner: None,
                expires: None,
            });
        } else if f.control_id == *known {
            f.baseline = Some(redflag::report::BaselineState::Known);
        }
    }
    let (suites, totals) = parse_junit(&junit_bytes(&report));
    assert_eq!(totals[1], gaps.len() - 2);
    let case = |id: &str| {
        suites
            .iter()
            .flat_map(|s| &s.cases)
            .find(|c| c.name.starts_with(&format!("{id}: ")))
            .unwrap()
    };
    for id in [waived, known] {
        let c = case(id);
        assert!(c.failure.is_none());
        assert!(
            c.skipped.as_ref().unwrap().starts_with("gap accepted"),
            "{:?}",
            c.skipped
        );
    }
    assert!(case(&gaps[2]).failure.is_some());
}

/// The status model of schema_version 2 in every machine format: on a repository with AI
/// use and nothing else, the missing incident response plan is one gap located where the
/// plan should be (not at the code), the controls that need the plan are `blocked` by it,
/// controls with nothing to examine are `not_applicable` with their reason, and there is a
/// score only because something was examined.
#[test]
fn blocked_not_applicable_and_absence_locations_in_json_sarif_and_junit() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("app")).unwrap();
    std::fs::write(
        t.path().join("app/chat.py"),
        "import openai\nopenai.chat.completions.create(model='x')\n",
    )
    .unwrap();
    std::fs::write(t.path().join("requirements.txt"), "openai==1.0\n").unwrap();
    let report = assess(&[t.path().to_path_buf()]);
    let control = |id: &str| report.controls.iter().find(|c| c.id == id).unwrap();

    let plan = report
        .findings
        .iter()
        .find(|f| f.control_id == "RF4-IR-PLAN")
        .unwrap();
    assert_eq!(
        plan.evidence[0].path,
        "docs/security/ai-incident-response-playbook.md"
    );
    assert_eq!(plan.evidence[0].line, None);
    assert!(
        plan.context.iter().any(|p| p.path == "app/chat.py"),
        "{:?}",
        plan.context
    );
    for id in ["RF4-IR-AI-SCENARIOS", "RF4-IR-SCENARIO-DETAIL"] {
        let c = control(id);
        assert_eq!(c.status, Status::Blocked, "{id}");
        assert_eq!(c.blocked_by, vec!["RF4-IR-PLAN".to_string()]);
        assert_eq!(c.findings, 0);
    }
    let k8s = control("RF1-K8S-CLUSTER-ADMIN");
    assert_eq!(k8s.status, Status::NotApplicable);
    assert_eq!(
        k8s.reason.as_deref(),
        Some("nothing to examine: no Kubernetes RBAC roles and bindings found")
    );
    let key = control("RF3-HARDCODED-AI-KEY");
    assert_eq!(key.status, Status::Pass);
    assert_eq!(key.examined.as_deref(), Some("1 source and configuration file"));
    assert!(report.summary.blocked >= 2);

    let json: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["schema_version"], "2");
    let blocked = json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "RF4-IR-AI-SCENARIOS")
        .unwrap();
    assert_eq!(blocked["status"], "blocked");
    assert_eq!(blocked["blocked_by"][0], "RF4-IR-PLAN");

    let log = sarif(&report);
    assert_schema_valid(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let plan_result = results.iter().find(|r| r["ruleId"] == "RF4-IR-PLAN").unwrap();
    let loc = &plan_result["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "docs/security/ai-incident-response-playbook.md"
    );
    assert!(
        !results.iter().any(|r| r["ruleId"] == "RF4-IR-AI-SCENARIOS"),
        "a blocked control has no result"
    );

    let (_, counts) = parse_junit(&junit_bytes(&report));
    assert!(counts.iter().sum::<usize>() > 0);
    let xml = String::from_utf8(junit_bytes(&report)).unwrap();
    assert!(
        xml.contains("blocked by RF4-IR-PLAN"),
        "JUnit skips a blocked control with its reason"
    );
    assert!(xml.contains("nothing to examine: no Kubernetes RBAC roles and bindings found"));
}

/// No AI system and nothing to examine: no score (not 100), and the gate passes.
#[test]
fn an_empty_directory_has_no_score() {
    let t = tempfile::tempdir().unwrap();
    let report = assess(&[t.path().to_path_buf()]);
    assert_eq!(report.summary.score, None);
    assert_eq!(report.summary.pass, 0);
    assert_eq!(report.gate.exit_code, 0);
    assert!(
        report.controls.iter().all(|c| c.reason.is_some()),
        "every non-pass says why"
    );
}

fn csv_rows(report: &Report) -> Vec<Vec<String>> {
    let mut buf = Vec::new();
    redflag::report::csv::render(report, &mut buf).unwrap();
    assert!(String::from_utf8(buf.clone()).unwrap().ends_with("\r\n"));
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&buf[..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn csv_has_one_row_per_finding_with_its_evidence() {
    let report = acme();
    let rows = csv_rows(report);
    assert_eq!(
        rows[0],
        [
            "control_id",
            "red_flag",
            "severity",
            "tsc",
            "status",
            "fails_gate",
            "title",
            "message",
            "target",
            "evidence",
            "fix",
            "fingerprint"
        ]
    );
    assert_eq!(rows.len(), report.findings.len() + 1);
    for (row, f) in rows[1..].iter().zip(&report.findings) {
        assert_eq!(row.len(), 12);
        assert_eq!(row[0], f.control_id);
        assert_eq!(row[2], f.severity.to_string());
        assert_eq!(row[3], f.tsc.join(" "));
        assert_eq!(row[4], "open");
        assert_eq!(row[5], "yes");
        assert_eq!(row[11], f.fingerprint);
        let first = &f.evidence[0];
        let loc = match first.line {
            Some(l) => format!("{}:{l}", first.path),
            None => first.path.clone(),
        };
        assert!(row[9].starts_with(&loc), "{} vs {loc}", row[9]);
        assert_eq!(row[9].split("; ").count(), f.evidence.len());
    }
    let key = rows
        .iter()
        .find(|r| r[0] == "RF3-HARDCODED-AI-KEY")
        .expect("the committed key is a row");
    assert_eq!(
        (key[2].as_str(), key[9].as_str()),
        ("critical", "app/config.py:12")
    );
}

#[test]
fn csv_cells_are_never_formulas_and_follow_the_gate() {
    let mut report = acme().clone();
    report.findings[0].message = "=HYPERLINK(\"http://evil\",\"x\")".into();
    report.findings[0].title = "+1\u{1b}[31m".into();
    report.findings[0].evidence[0].path = "@SUM(A1).py".into();
    report.findings[0].remediation = "-2+3".into();
    report.findings[1].waiver = Some(redflag::report::WaiverRef {
        source: "config".into(),
        reason: "accepted".into(),
        owner: Some("cto".into()),
        expires: Some("2027-03-31".into()),
    });
    // Gaps below --fail-on are reported but do not fail.
    report.gate.fail_on = redflag::report::FailOn::parse("critical");
    let rows = csv_rows(&report);
    let r = &rows[1];
    assert!(r[7].starts_with("'=HYPERLINK"), "{}", r[7]);
    assert!(r[6].starts_with("'+1") && !r[6].contains('\u{1b}'), "{}", r[6]);
    assert!(r[9].starts_with("'@SUM"), "{}", r[9]);
    assert_eq!(r[10], "'-2+3");
    assert_eq!(rows[2][4], "waived");
    for row in &rows[1..] {
        let critical = row[2] == "critical" && row[4] == "open";
        assert_eq!(row[5], if critical { "yes" } else { "no" }, "{row:?}");
        for c in row {
            assert!(!c.starts_with(['=', '+', '-', '@', '\t', '\r']), "{c:?}");
        }
    }
}

#[test]
fn junit_fails_only_what_the_gate_fails() {
    let mut report = acme().clone();
    report.gate.fail_on = redflag::report::FailOn::parse("critical");
    let failing: std::collections::BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|f| report.gate.fails(f))
        .map(|f| f.control_id.as_str())
        .collect();
    assert_eq!(failing.len(), 1, "acme has one critical gap: {failing:?}");
    let gaps = report.controls.iter().filter(|c| c.status == Status::Gap).count();
    let (suites, totals) = parse_junit(&junit_bytes(&report));
    assert_eq!(totals[1], failing.len(), "failures follow --fail-on");
    for case in suites.iter().flat_map(|s| &s.cases) {
        let id = case.name.split(':').next().unwrap();
        if failing.contains(id) {
            assert!(case.failure.is_some(), "{id}");
        } else if let Some(skipped) = &case.skipped {
            if skipped.starts_with("gap") {
                assert!(
                    skipped.starts_with("gap not failing this run: ")
                        && skipped.contains("below --fail-on critical"),
                    "{skipped}"
                );
            }
        }
    }
    let below = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| {
            c.skipped
                .as_deref()
                .is_some_and(|s| s.starts_with("gap not failing"))
        })
        .count();
    assert_eq!(below, gaps - failing.len());
    // Reported, not failed: the skipped gaps keep their findings and evidence.
    let xml = String::from_utf8(junit_bytes(&report)).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let outs = doc.descendants().filter(|n| n.has_tag_name("system-out")).count();
    assert_eq!(outs, below);
    assert!(xml.contains("app/config.py:12") && xml.contains("compliance/access-reviews/"));
    // --fail-on none: every gap is reported, none fails.
    report.gate.fail_on = redflag::report::FailOn(None);
    let (_, totals) = parse_junit(&junit_bytes(&report));
    assert_eq!(totals[1], 0);
}
