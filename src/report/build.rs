//! Evaluating the controls and assembling the [`Report`]: statuses, findings (one per failed
//! item), fingerprints, sorting, summary, score and the exit decision — all computed here,
//! once, so renderers never filter, count or sort.
//!
//! This is also where target content is made safe to print, once for every format: finding
//! messages (they quote register cells and record titles), evidence labels and notes (they
//! quote file content) pass through [`crate::text::shown`] — secrets redacted, control
//! characters escaped — so no renderer has to, and none may forget. Evidence lines were
//! already redacted when their pointer was made ([`crate::text::snippet`]). Fingerprints are
//! computed from the checks' keys, never from the shown text, so redaction does not change
//! them and existing baselines and waivers keep matching.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::{
    ControlOut, Counts, DocumentOut, FindingOut, Gate, NoteOut, PointerOut, Report, Status, Summary,
    TargetOut, Tool,
};
use crate::check::Context;
use crate::control::{Control, Severity};
use crate::evidence::{Item, Pointer};
use crate::workspace::Workspace;

/// At most this many pointers are kept as a control's evidence.
const MAX_CONTROL_EVIDENCE: usize = 60;
/// Pointers to "the thing that needs the control" attached to a gap about something absent.
const MAX_SUBJECT_POINTERS: usize = 5;

pub fn build(controls: &[&Control], cx: &Context<'_>) -> Report {
    let ws = cx.ws;
    let pointer = |p: &Pointer| PointerOut {
        target: ws.targets[p.target as usize].display.clone(),
        path: p.path.clone(),
        line: p.line,
        snippet: p.snippet.clone(),
        label: p.label.as_deref().map(crate::text::shown),
    };
    let mut out_controls = Vec::new();
    let mut findings: Vec<FindingOut> = Vec::new();
    for control in controls {
        let applies = control.applies_when.as_ref().map(|c| c.evaluate(cx));
        // What needs the control (one site per detected thing: each vendor, each served
        // model), labelled so a reader sees why the gap points there.
        let subject: Vec<Pointer> = applies
            .as_ref()
            .map(|o| {
                o.passed
                    .iter()
                    .filter_map(|i| i.pointers.first().cloned())
                    .take(MAX_SUBJECT_POINTERS)
                    .map(|p| {
                        let label = p.label.clone().unwrap_or_else(|| "detected".into());
                        p.labelled(format!("needs this control: {label}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (status, evidence, failed): (Status, Vec<Pointer>, Vec<Item>) = match (&applies, &control.check) {
            (Some(a), _) if !a.holds => (Status::NotApplicable, Vec::new(), Vec::new()),
            (_, None) => (Status::Manual, subject.clone(), Vec::new()),
            (_, Some(check)) => {
                let o = check.evaluate(cx);
                let ev: Vec<Pointer> = o
                    .passed
                    .iter()
                    .flat_map(|i| i.pointers.iter().cloned())
                    .take(MAX_CONTROL_EVIDENCE)
                    .collect();
                if o.holds {
                    (Status::Pass, ev, Vec::new())
                } else {
                    let failed = if o.failed.is_empty() {
                        vec![Item::new(
                            control.message.clone().unwrap_or_else(|| control.title.clone()),
                            "gap",
                            Vec::new(),
                        )]
                    } else {
                        o.failed
                    };
                    (Status::Gap, ev, failed)
                }
            }
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut n = 0;
        for item in failed {
            let absent = item.key.starts_with("absent:");
            let message = match (&control.message, absent) {
                (Some(m), true) => m.clone(),
                _ => item.message.clone(),
            };
            let pointers = if item.pointers.is_empty() {
                subject.clone()
            } else {
                item.pointers.clone()
            };
            let count = seen.entry(item.key.clone()).or_insert(0);
            *count += 1;
            let key = if *count > 1 {
                format!("{}#{}", item.key, count)
            } else {
                item.key.clone()
            };
            findings.push(FindingOut {
                control_id: control.id.clone(),
                red_flag: control.red_flag,
                severity: control.severity,
                tsc: control.tsc.clone(),
                title: control.title.clone(),
                message: crate::text::shown(&message),
                // From the unredacted key, as baselines written before redaction expect.
                fingerprint: fingerprint(&control.id, &key),
                remediation: control.remediation.clone(),
                evidence: pointers.iter().map(pointer).collect(),
                baseline: None,
                waiver: None,
            });
            n += 1;
        }
        let mut evidence: Vec<PointerOut> = evidence.iter().map(pointer).collect();
        evidence.dedup();
        out_controls.push(ControlOut {
            id: control.id.clone(),
            title: control.title.clone(),
            red_flag: control.red_flag,
            severity: control.severity,
            tsc: control.tsc.clone(),
            status,
            findings: n,
            evidence,
            remediation: control.remediation.clone(),
        });
    }
    findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let summary = summarize(&out_controls, &findings);
    let documents = documents(cx);
    Report {
        schema_version: super::SCHEMA_VERSION,
        tool: Tool {
            name: "redflag",
            version: env!("CARGO_PKG_VERSION"),
        },
        as_of: cx.as_of.format("%Y-%m-%d").to_string(),
        targets: targets(ws),
        summary,
        controls: out_controls,
        findings,
        notes: ws
            .notes
            .iter()
            .map(|n| NoteOut {
                target: ws.targets[n.target as usize].display.clone(),
                path: n.path.clone(),
                message: crate::text::shown(&n.message),
            })
            .collect(),
        documents,
        waivers: Vec::new(),
        baseline: None,
        gate: Gate::default(),
    }
}

/// The documents the checks read, by kind, target and path.
fn documents(cx: &Context<'_>) -> Vec<DocumentOut> {
    let ws = cx.ws;
    let mut out: Vec<DocumentOut> = cx
        .used_docs()
        .into_iter()
        .filter_map(|(file, kind)| {
            // Documents are kept in file order.
            let d = &ws.docs[ws.docs.binary_search_by_key(&file, |d| d.file).ok()?];
            let f = ws.file(file);
            let info = cx.doc_kind(&kind);
            let mut summary = info.map_or_else(
                || crate::workspace::content::Count::default().summary(&d.doc),
                |k| k.count.summary(&d.doc),
            );
            if d.doc.is_template() {
                summary.push_str(", unfilled template (not evidence)");
            }
            Some(DocumentOut {
                title: info.map_or_else(|| kind.clone(), |k| k.title.clone()),
                kind,
                target: ws.targets[f.target as usize].display.clone(),
                path: f.path.clone(),
                summary,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.kind, &a.target, &a.path).cmp(&(&b.kind, &b.target, &b.path)));
    out.dedup();
    out
}

fn targets(ws: &Workspace) -> Vec<TargetOut> {
    ws.targets
        .iter()
        .zip(&ws.stats)
        .map(|(t, s)| TargetOut {
            path: t.display.clone(),
            files_scanned: s.files_scanned,
            bytes_scanned: s.bytes_scanned,
            role: if t.evidence_only { "evidence" } else { "scan" },
        })
        .collect()
}

/// The contract's finding order: red flag (none last), control, path, line (shared with `merge`).
pub(crate) fn sort_key(f: &FindingOut) -> (u8, &str, &str, u32, &str, &str) {
    let first = f.evidence.first();
    (
        f.red_flag.unwrap_or(99),
        f.control_id.as_str(),
        first.map_or("", |p| p.path.as_str()),
        first.and_then(|p| p.line).unwrap_or(0),
        first.map_or("", |p| p.target.as_str()),
        f.message.as_str(),
    )
}

/// Stable identity of a finding: the control and the check's content key, never a line.
pub fn fingerprint(control_id: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(control_id.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Counts per status, red flag and severity, and the readiness score (shared with `merge`).
pub(crate) fn summarize(controls: &[ControlOut], findings: &[FindingOut]) -> Summary {
    let mut by_red_flag: BTreeMap<String, Counts> =
        (1..=5).map(|i| (i.to_string(), Counts::default())).collect();
    let mut total = Counts::default();
    let (mut earned, mut possible) = (0.0, 0.0);
    for c in controls {
        let slot = c.red_flag.map(|r| by_red_flag.entry(r.to_string()).or_default());
        let bump = |counts: &mut Counts| match c.status {
            Status::Pass => counts.pass += 1,
            Status::Gap => counts.gap += 1,
            Status::NotApplicable => counts.not_applicable += 1,
            Status::Manual => counts.manual += 1,
        };
        bump(&mut total);
        if let Some(s) = slot {
            bump(s);
        }
        match c.status {
            Status::Pass => {
                earned += c.severity.weight();
                possible += c.severity.weight();
            }
            Status::Gap => possible += c.severity.weight(),
            _ => {}
        }
    }
    let score = if possible > 0.0 {
        (earned / possible * 1000.0).round() / 10.0
    } else {
        100.0
    };
    let mut by_severity: BTreeMap<&'static str, usize> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .iter()
    .map(|s| (s.as_str(), 0))
    .collect();
    for f in findings {
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
    }
    Summary {
        controls: controls.len(),
        pass: total.pass,
        gap: total.gap,
        not_applicable: total.not_applicable,
        manual: total.manual,
        findings: findings.len(),
        score,
        by_red_flag,
        by_severity,
    }
}
