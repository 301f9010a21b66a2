//! `--format oscal`: the report as an OSCAL 1.1 assessment-results document (JSON), for
//! GRC tools that read NIST's Open Security Controls Assessment Language.
//!
//! - one `result` per scan (the assessment date as its start);
//! - per evaluated control, an `observation` of what was examined (`control-objective`;
//!   its evidence as `relevant-evidence` links `path#Lline`), and per redflag finding an
//!   observation of the gap (`finding`) with its evidence;
//! - per control that passed or has a gap, an OSCAL `finding` targeting the control
//!   (`objective-id` = the control id) with state `satisfied` or `not-satisfied`, related
//!   to its observations; not-applicable, manual and blocked controls have only their
//!   observation (OSCAL has no state for them), with the reason;
//! - TSC ids, severity, red flag, redflag status and fingerprints as `props` in redflag's
//!   namespace; the readiness score and the gate as props of the result.
//!
//! Deterministic: UUIDs are derived (version 5 layout) from the report's content, and every
//! timestamp is the assessment date at 00:00 UTC. Texts go into OSCAL markup with Markdown
//! escaped, so target text cannot inject markup.

use std::io::Write;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::escape::markdown as md;
use super::{ControlOut, FindingOut, PointerOut, Report, Status};

pub const OSCAL_VERSION: &str = "1.1.2";
/// The namespace of redflag's props.
pub const NS: &str = "https://github.com/redflag-dev/redflag/ns/oscal";

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report)).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// A UUID with the version-5 layout, from a SHA-256 of the report's identity and `key`.
fn uuid(seed: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or_default();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": NS, "value": value })
}

/// A prop value: non-empty, no leading or trailing whitespace (OSCAL's `string`).
fn prop_value(s: &str) -> String {
    let t = crate::text::printable(s.trim()).into_owned();
    if t.is_empty() {
        "-".to_string()
    } else {
        t
    }
}

fn control_props(c: &ControlOut) -> Vec<Value> {
    let mut props = vec![
        prop("control-id", &c.id),
        prop("severity", c.severity.as_str()),
        prop("redflag-status", status_word(c.status)),
    ];
    if let Some(rf) = c.red_flag {
        props.push(prop("red-flag", &rf.to_string()));
    }
    props.extend(c.tsc.iter().map(|t| prop("tsc-criterion", &prop_value(t))));
    props
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Gap => "gap",
        Status::NotApplicable => "not-applicable",
        Status::Manual => "manual",
        Status::Blocked => "blocked",
    }
}

/// A pointer as relevant evidence: a link into the target (`path#Lline`) and its text.
fn evidence(p: &PointerOut, multi: bool) -> Value {
    let path = if multi {
        format!("{}/{}", p.target, p.path)
    } else {
        p.path.clone()
    };
    let mut href = super::sarif::encode_uri_path(&path, false);
    if href.is_empty() {
        href.push('.');
    }
    let mut text = path.clone();
    if let Some(l) = p.line {
        href.push_str(&format!("#L{l}"));
        text.push_str(&format!(":{l}"));
    }
    if let Some(s) = &p.snippet {
        text.push_str(&format!(" — {s}"));
    }
    if let Some(l) = &p.label {
        text.push_str(&format!(" [{l}]"));
    }
    json!({ "href": href, "description": md(&text) })
}

fn control_observation(c: &ControlOut, seed: &str, collected: &str, multi: bool) -> Value {
    let what = c
        .examined
        .as_deref()
        .or(c.reason.as_deref())
        .unwrap_or("no detail recorded");
    let mut o = json!({
        "uuid": uuid(seed, &format!("observation:{}", c.id)),
        "title": md(&format!("{}: {}", c.id, c.title)),
        "description": md(&format!("{} — {what}", status_word(c.status))),
        "props": control_props(c),
        "methods": ["TEST"],
        "types": ["control-objective"],
        "collected": collected,
    });
    let ev: Vec<Value> = c.evidence.iter().map(|p| evidence(p, multi)).collect();
    if !ev.is_empty() {
        o["relevant-evidence"] = Value::Array(ev);
    }
    o
}

fn finding_observation(f: &FindingOut, seed: &str, collected: &str, multi: bool) -> Value {
    let mut props = vec![
        prop("control-id", &f.control_id),
        prop("severity", f.severity.as_str()),
        prop("fingerprint", &prop_value(&f.fingerprint)),
        prop("state", f.state()),
    ];
    props.extend(f.tsc.iter().map(|t| prop("tsc-criterion", &prop_value(t))));
    let mut o = json!({
        "uuid": uuid(seed, &format!("gap:{}:{}:{}", f.control_id, f.fingerprint, key_of(f))),
        "title": md(&f.message),
        "description": md(&format!("{}: {}. Fix: {}", f.control_id, f.title, f.remediation.trim())),
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "collected": collected,
    });
    let ev: Vec<Value> = f.evidence.iter().map(|p| evidence(p, multi)).collect();
    if !ev.is_empty() {
        o["relevant-evidence"] = Value::Array(ev);
    }
    o
}

/// Tells apart findings with one fingerprint in several targets (a merged report).
fn key_of(f: &FindingOut) -> String {
    f.evidence
        .first()
        .map_or_else(String::new, |p| format!("{}/{}", p.target, p.path))
}

/// The OSCAL finding for a control that passed or has a gap.
fn control_finding(c: &ControlOut, related: Vec<String>, seed: &str) -> Option<Value> {
    let (state, reason) = match c.status {
        Status::Pass => ("satisfied", "pass"),
        Status::Gap => ("not-satisfied", "fail"),
        _ => return None,
    };
    let related: Vec<Value> = related
        .into_iter()
        .map(|u| json!({ "observation-uuid": u }))
        .collect();
    Some(json!({
        "uuid": uuid(seed, &format!("finding:{}", c.id)),
        "title": md(&format!("{}: {}", c.id, c.title)),
        "description": md(&if c.status == Status::Gap {
            format!("{}. Fix: {}", crate::text::plural(c.findings, "finding"), c.remediation.trim())
        } else {
            format!("Met: {}", c.examined.as_deref().unwrap_or("the check holds"))
        }),
        "props": control_props(c),
        "target": {
            "type": "objective-id",
            "target-id": c.id,
            "status": { "state": state, "reason": reason },
        },
        "related-observations": related,
    }))
}

fn result(report: &Report, seed: &str, collected: &str) -> Value {
    let multi = report.targets.len() > 1;
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for c in &report.controls {
        let obs = control_observation(c, seed, collected, multi);
        let mut related = vec![obs["uuid"].as_str().unwrap_or_default().to_string()];
        observations.push(obs);
        for f in report.findings.iter().filter(|f| f.control_id == c.id) {
            let o = finding_observation(f, seed, collected, multi);
            related.push(o["uuid"].as_str().unwrap_or_default().to_string());
            observations.push(o);
        }
        findings.extend(control_finding(c, related, seed));
    }
    let selection = if report.controls.is_empty() {
        json!({ "include-all": {} })
    } else {
        let ids: Vec<Value> = report
            .controls
            .iter()
            .map(|c| json!({ "control-id": c.id }))
            .collect();
        json!({ "include-controls": ids })
    };
    let targets: Vec<&str> = report.targets.iter().map(|t| t.path.as_str()).collect();
    let g = &report.gate;
    let mut props = vec![
        prop("fail-on", &g.fail_on.to_string()),
        prop("failing-findings", &g.failing_findings.to_string()),
        prop("exit-code", &g.exit_code.to_string()),
    ];
    if let Some(score) = report.summary.score {
        props.insert(0, prop("readiness-score", &format!("{score:.1}")));
    }
    let mut r = json!({
        "uuid": uuid(seed, "result"),
        "title": md(&format!("redflag SOC 2 Type II readiness scan as of {}", super::iso(report.as_of))),
        "description": md(&format!(
            "Automated scan of {} by redflag {}: {}.",
            targets.join(", "),
            report.tool.version,
            super::consultant::controls_sentence(&report.summary).trim_end_matches('.')
        )),
        "start": collected,
        "props": props,
        "reviewed-controls": { "control-selections": [selection] },
    });
    if !observations.is_empty() {
        r["observations"] = Value::Array(observations);
    }
    if !findings.is_empty() {
        r["findings"] = Value::Array(findings);
    }
    r
}

/// The whole document.
pub fn document(report: &Report) -> Value {
    let targets: Vec<&str> = report.targets.iter().map(|t| t.path.as_str()).collect();
    let as_of = super::iso(report.as_of);
    let seed = format!("redflag:{as_of}:{}", targets.join("\u{0}"));
    let collected = format!("{as_of}T00:00:00Z");
    let plan = uuid(&seed, "assessment-plan");
    json!({
        "assessment-results": {
            "uuid": uuid(&seed, "assessment-results"),
            "metadata": {
                "title": md(&format!("SOC 2 Type II readiness: {}", targets.join(", "))),
                "last-modified": collected,
                "version": report.tool.version,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": { "href": format!("#{plan}") },
            "results": [result(report, &seed, &collected)],
            "back-matter": {
                "resources": [{
                    "uuid": plan,
                    "title": "redflag control pack (the plan this scan followed)",
                    "description": "The controls redflag evaluates, each mapped to the AICPA 2017 Trust Services Criteria; `redflag controls list` and `redflag explain ID` describe them.",
                    "rlinks": [{ "href": super::sarif::INFORMATION_URI }],
                }],
            },
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_have_the_version_5_layout_and_are_stable() {
        let u = super::uuid("seed", "key");
        assert_eq!(u, super::uuid("seed", "key"));
        assert_ne!(u, super::uuid("seed", "other"));
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('5'));
        assert!(matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b')));
    }
}
