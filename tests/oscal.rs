//! `--format oscal`: OSCAL assessment-results that GRC tools read. Checked here for its
//! shape and, when `trestle` (compliance-trestle, from PyPI; `.ci/run` installs it) is on
//! the PATH, by trestle's own validation of the OSCAL model.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use redflag::report::{Report, Status};
use serde_json::Value;

fn assess(paths: &[PathBuf]) -> Report {
    let settings =
        redflag::settings::Settings::for_paths(paths, redflag::date::parse_iso("2026-12-01").unwrap());
    redflag::app::assess(&settings).unwrap()
}

fn acme() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| assess(&[Path::new("examples/acme-ai").to_path_buf()]))
}

fn oscal(report: &Report) -> (Vec<u8>, Value) {
    let mut buf = Vec::new();
    redflag::report::oscal::render(report, &mut buf).unwrap();
    let v = serde_json::from_slice(&buf).unwrap();
    (buf, v)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[test]
fn one_result_with_observations_and_findings_per_control() {
    let report = acme();
    let (bytes, doc) = oscal(report);
    assert_eq!(
        bytes,
        oscal(&assess(&[Path::new("examples/acme-ai").to_path_buf()])).0,
        "deterministic"
    );
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.1.2");
    assert!(is_uuid(ar["uuid"].as_str().unwrap()));
    let plan = ar["import-ap"]["href"].as_str().unwrap().trim_start_matches('#');
    assert_eq!(ar["back-matter"]["resources"][0]["uuid"], plan);
    let results = ar["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "one result per scan");
    let r = &results[0];
    assert_eq!(r["start"], "2026-12-01T00:00:00Z");
    let selected = r["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .unwrap();
    assert_eq!(selected.len(), report.controls.len());
    let observations = r["observations"].as_array().unwrap();
    assert_eq!(observations.len(), report.controls.len() + report.findings.len());
    let findings = r["findings"].as_array().unwrap();
    let decided = report
        .controls
        .iter()
        .filter(|c| matches!(c.status, Status::Pass | Status::Gap))
        .count();
    assert_eq!(findings.len(), decided);
    // The committed key: not satisfied, its TSC ids as props, its evidence a link.
    let f = findings
        .iter()
        .find(|f| f["target"]["target-id"] == "RF3-HARDCODED-AI-KEY")
        .unwrap();
    assert_eq!(f["target"]["status"]["state"], "not-satisfied");
    let tsc: Vec<&str> = f["props"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "tsc-criterion")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(tsc, ["CC6.1", "CC6.7", "C1.1"]);
    let related: Vec<&str> = f["related-observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["observation-uuid"].as_str().unwrap())
        .collect();
    let gap = observations
        .iter()
        .find(|o| related.contains(&o["uuid"].as_str().unwrap()) && o["types"][0] == "finding")
        .unwrap();
    assert_eq!(gap["relevant-evidence"][0]["href"], "app/config.py#L12");
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        !text.contains("c_l9Ijrj9bjkOj") && text.contains("redacted"),
        "evidence is redacted"
    );
    // Target text is escaped in OSCAL markup.
    assert!(gap["relevant-evidence"][0]["description"]
        .as_str()
        .unwrap()
        .contains("\\[redacted\\]"));
    let mut uuids: Vec<&str> = observations
        .iter()
        .chain(findings)
        .map(|o| o["uuid"].as_str().unwrap())
        .collect();
    assert!(uuids.iter().all(|u| is_uuid(u)));
    let n = uuids.len();
    uuids.sort_unstable();
    uuids.dedup();
    assert_eq!(uuids.len(), n, "UUIDs are unique");
}

#[test]
fn trestle_validates_the_assessment_results() {
    let Ok(version) = Command::new("trestle").arg("version").output() else {
        eprintln!("note: trestle (compliance-trestle) is not installed; OSCAL validation skipped");
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    let init = Command::new("trestle")
        .current_dir(ws)
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let merged = redflag::report::merge::merge(vec![
        acme().clone(),
        assess(&[Path::new("examples/northwind-ml").to_path_buf()]),
    ]);
    for (name, report) in [("acme", acme().clone()), ("merged", merged)] {
        let folder = ws.join("assessment-results").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join("assessment-results.json");
        std::fs::write(&file, oscal(&report).0).unwrap();
        let out = Command::new("trestle")
            .current_dir(ws)
            .args(["validate", "-f"])
            .arg(&file)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("VALID:"),
            "trestle validate {name}: {text}"
        );
    }
    // Not vacuous: a result without its start is refused.
    let (_, mut doc) = oscal(acme());
    doc["assessment-results"]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("start");
    let folder = ws.join("assessment-results").join("broken");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("assessment-results.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new("trestle")
        .current_dir(ws)
        .args(["validate", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("INVALID") && text.contains("start"), "{text}");
}
