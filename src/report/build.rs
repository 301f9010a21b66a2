//! Evaluating the controls and assembling the [`Report`]: statuses, findings (one per failed
//! item), fingerprints, sorting, summary, score and the exit decision — all computed here,
//! once, so renderers never filter, count or sort.
//!
//! This is also where target content is made safe to print, once for every format: the
//! report is sealed ([`super::seal`]) with the pack's [`Redactor`] (the built-in secret
//! shapes plus every catalogue key rule) — finding messages (they quote register cells and
//! record titles), evidence lines, labels, notes and every path (a key used as a file or
//! directory name) redacted, control characters escaped — so no renderer has to, and none
//! may forget. Fingerprints are computed from the checks' keys, never from the shown text,
//! so redaction does not change them and existing baselines and waivers keep matching.

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::{
    ControlOut, Counts, DocumentOut, FindingOut, Gate, NoteOut, PointerOut, Report, Status, Summary,
    TargetOut, TargetRole, Tool,
};
use crate::check::Context;
use crate::control::{Control, ControlId, ControlSet, Severity};
use crate::evidence::{Item, Pointer};
use crate::redact::Redactor;
use crate::workspace::Workspace;

/// At most this many pointers to examined subjects (files a pass looked at) are added to a
/// control's evidence. What the check itself cites is kept whole: renderers cap what they
/// show ("… and N more"), the JSON report lists every site.
const MAX_CONTROL_EVIDENCE: usize = 60;
/// Pointers to "the thing that needs the control" kept as a finding's context.
const MAX_SUBJECT_POINTERS: usize = 5;

/// One control evaluated: its status and what explains it.
struct Evaluated {
    status: Status,
    /// What the check examined and found compliant (a pass), or what it looked at.
    evidence: Vec<Pointer>,
    /// One finding each (a gap).
    failed: Vec<Item>,
    /// Why the control applies: each detected thing that needs it (vendor, served model).
    subject: Vec<Pointer>,
    examined: Option<String>,
    reason: Option<String>,
    blocked_by: Vec<ControlId>,
}

impl Evaluated {
    fn without_subject(status: Status, reason: String) -> Self {
        Self {
            status,
            evidence: Vec::new(),
            failed: Vec::new(),
            subject: Vec::new(),
            examined: None,
            reason: Some(reason),
            blocked_by: Vec::new(),
        }
    }
}

/// Evaluates controls once each, including the ones a selected control `requires` (which
/// may not be selected themselves).
struct Evaluator<'a, 'c> {
    cx: &'a Context<'c>,
    pack: &'a ControlSet,
    done: HashMap<String, Done>,
}

/// What later controls need of an evaluated one: its status, and the lines its findings
/// point at first (for `defers_to`).
#[derive(Clone)]
struct Done {
    status: Status,
    lines: HashSet<Line>,
}

/// A finding's line: target, path, line.
type Line = (crate::evidence::TargetId, String, u32);

fn first_line(item: &Item) -> Option<Line> {
    let p = item.pointers.first()?;
    Some((p.target, p.path.clone(), p.line?))
}

impl Done {
    fn of(e: &Evaluated) -> Self {
        Self {
            status: e.status,
            lines: e.failed.iter().filter_map(first_line).collect(),
        }
    }
}

impl Evaluator<'_, '_> {
    /// A required or deferred-to control, evaluated on demand, once.
    fn done(&mut self, id: &str, depth: usize) -> Option<&Done> {
        if !self.done.contains_key(id) {
            let control = self.pack.get(id)?;
            // `requires` chains are short; a cycle (a pack error) stops here.
            if depth > 8 {
                return None;
            }
            let e = self.evaluate(control, depth + 1);
            self.done.insert(id.to_string(), Done::of(&e));
        }
        self.done.get(id)
    }

    fn status_of(&mut self, id: &str, depth: usize) -> Option<Status> {
        self.done(id, depth).map(|d| d.status)
    }

    /// A failing check's verdict: a gap with its findings, less those a `defers_to`
    /// control reports (blocked by it when none is left).
    fn gap(
        &mut self,
        control: &Control,
        failed: Vec<Item>,
        evidence: Vec<Pointer>,
        subject: Vec<Pointer>,
        examined_text: Option<String>,
        depth: usize,
    ) -> Evaluated {
        let mut failed = if failed.is_empty() {
            vec![Item::new(
                control.message.clone().unwrap_or_else(|| control.title.clone()),
                "gap",
                Vec::new(),
            )]
        } else {
            failed
        };
        let (took, n) = self.defer(control, &mut failed, depth);
        let (findings, are) = if n == 1 {
            ("finding", "is")
        } else {
            ("findings", "are")
        };
        if failed.is_empty() {
            let reason = format!(
                "blocked by {}: its {n} {findings} {are} on lines {} reports (one root cause, one finding)",
                took.join(", "),
                took.join(" and ")
            );
            return Evaluated {
                subject,
                examined: examined_text,
                blocked_by: took,
                ..Evaluated::without_subject(Status::Blocked, reason)
            };
        }
        Evaluated {
            status: Status::Gap,
            evidence,
            failed,
            subject,
            examined: examined_text,
            reason: (!took.is_empty()).then(|| {
                format!(
                    "{n} more {findings} {are} on lines {} reports, and left to it (one root cause, one finding)",
                    took.join(" and ")
                )
            }),
            blocked_by: Vec::new(),
        }
    }

    /// Drops the findings whose line a finding of a `defers_to` control points at (its
    /// finding is the one root cause); returns the ids of those controls that took any,
    /// and how many findings they took.
    fn defer(&mut self, control: &Control, failed: &mut Vec<Item>, depth: usize) -> (Vec<ControlId>, usize) {
        let mut took = Vec::new();
        let mut n = 0;
        for id in &control.defers_to {
            let Some(done) = self.done(id, depth) else {
                continue;
            };
            let before = failed.len();
            failed.retain(|i| first_line(i).is_none_or(|l| !done.lines.contains(&l)));
            if failed.len() < before {
                n += before - failed.len();
                took.push(id.clone());
            }
        }
        (took, n)
    }

    fn evaluate(&mut self, control: &Control, depth: usize) -> Evaluated {
        let cx = self.cx;
        let applies = control.applies_when.as_ref().map(|c| c.evaluate(cx));
        if let (Some(a), Some(when)) = (&applies, &control.applies_when) {
            if !a.holds {
                return Evaluated::without_subject(
                    Status::NotApplicable,
                    format!("does not apply: {}", not_found(when, cx)),
                );
            }
        }
        let subject: Vec<Pointer> = applies
            .as_ref()
            .map(|o| {
                o.passed
                    .iter()
                    .filter_map(|i| i.pointers.first().cloned())
                    .take(MAX_SUBJECT_POINTERS)
                    .collect()
            })
            .unwrap_or_default();
        let Some(check) = &control.check else {
            return Evaluated {
                status: Status::Manual,
                evidence: subject.clone(),
                failed: Vec::new(),
                subject,
                examined: None,
                reason: Some("cannot be verified from files".into()),
                blocked_by: Vec::new(),
            };
        };
        let o = check.evaluate(cx);
        let mut evidence: Vec<Pointer> = o.passed.iter().flat_map(|i| i.pointers.iter().cloned()).collect();
        let (count, what, subjects) = examined(control, cx, &evidence);
        let examined_text = match (&control.examines, count) {
            (Some(_), 0) | (None, _) => None,
            (Some(e), 1) => Some(format!("1 {}", e.one)),
            (Some(e), n) => Some(format!("{n} {}", e.what)),
        };
        // Nothing of its own: no subject examined, and every failure is about something
        // missing (an item with nothing to point at).
        let nothing_own = count == 0 && o.failed.iter().all(|i| i.pointers.is_empty());
        let mut blocked_by = Vec::new();
        if nothing_own {
            for r in &control.requires {
                if matches!(self.status_of(r, depth), Some(Status::Gap | Status::Blocked)) {
                    blocked_by.push(r.clone());
                }
            }
        }
        if !blocked_by.is_empty() {
            let reason = format!(
                "blocked by {}: nothing of its own to examine until that gap is fixed",
                blocked_by.join(", ")
            );
            return Evaluated {
                blocked_by,
                ..Evaluated::without_subject(Status::Blocked, reason)
            };
        }
        if o.holds {
            if count == 0 {
                let reason = match &what {
                    Some(w) => format!("nothing to examine: no {w} found"),
                    None => "nothing to examine: the check found no subject".into(),
                };
                return Evaluated::without_subject(Status::NotApplicable, reason);
            }
            if evidence.len() < MAX_CONTROL_EVIDENCE {
                let room = MAX_CONTROL_EVIDENCE - evidence.len();
                // A subject the check already cites is not cited twice.
                let fresh: Vec<Pointer> = subjects
                    .into_iter()
                    .filter(|p| {
                        !evidence
                            .iter()
                            .any(|e| (e.target, &e.path, e.line) == (p.target, &p.path, p.line))
                    })
                    .take(room)
                    .collect();
                evidence.extend(fresh);
            }
            return Evaluated {
                status: Status::Pass,
                evidence,
                failed: Vec::new(),
                subject,
                examined: examined_text,
                reason: None,
                blocked_by: Vec::new(),
            };
        }
        self.gap(control, o.failed, evidence, subject, examined_text, depth)
    }
}

/// How many subjects the control's check examined, what they are (plural words) and
/// pointers to them: its `examines:` files or condition items, or else the pointers of the
/// items its check passed on.
fn examined(
    control: &Control,
    cx: &Context<'_>,
    passed: &[Pointer],
) -> (usize, Option<String>, Vec<Pointer>) {
    let Some(e) = &control.examines else {
        return (passed.len(), None, Vec::new());
    };
    if let Some(globs) = &e.files {
        let files = cx.files_matching(globs);
        let pointers = files
            .iter()
            .take(MAX_CONTROL_EVIDENCE)
            .map(|f| cx.ws.file_pointer(*f).labelled(format!("examined: {}", e.what)))
            .collect();
        return (files.len(), Some(e.what.clone()), pointers);
    }
    let items = e.when.as_ref().map(|c| c.evaluate(cx).passed).unwrap_or_default();
    let pointers = items.iter().filter_map(|i| i.pointers.first().cloned()).collect();
    (items.len(), Some(e.what.clone()), pointers)
}

/// What was not found when an `applies_when` condition does not hold, in words: the
/// descriptions of the signals it names, or of the check that did not hold.
fn not_found(c: &crate::check::Condition, cx: &Context<'_>) -> String {
    format!("not found: {}", missing(c, cx))
}

fn missing(c: &crate::check::Condition, cx: &Context<'_>) -> String {
    use crate::check::Condition as C;
    match c {
        C::Signal(i) => cx
            .signals
            .get(*i)
            .map_or_else(String::new, |s| lower_first(&s.description)),
        C::Any(v) => v
            .iter()
            .map(|c| missing(c, cx))
            .collect::<Vec<_>>()
            .join("; nor "),
        // The first requirement that does not hold.
        C::All(v) => v
            .iter()
            .find(|c| !c.evaluate(cx).holds)
            .map_or_else(String::new, |c| missing(c, cx)),
        C::Not(_) => "its condition (see `redflag explain`)".into(),
        C::Check(check) => lower_first(&check.subject(cx)),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Where a missing record should be: the expected path of the first document kind the
/// control reads, or the root of the first scanned target.
fn expected_location(control: &Control, cx: &Context<'_>) -> Pointer {
    let target = cx
        .ws
        .targets
        .iter()
        .position(|t| !t.evidence_only)
        .and_then(|i| u16::try_from(i).ok())
        .unwrap_or(0);
    let kinds = control
        .check
        .as_ref()
        .map(|c| c.document_kinds())
        .unwrap_or_default();
    for kind in kinds {
        if let Some(k) = cx.doc_kind(kind) {
            if let Some(path) = &k.expected {
                return Pointer::file(target, path)
                    .labelled(format!("expected here: {} (not found)", k.title));
            }
        }
    }
    Pointer::file(target, ".").labelled("the repository (nothing to point at)")
}

/// Evaluates `controls` on all cores, in their order. What they `require` or defer to is
/// evaluated first, once; then each control on its own with a copy of those verdicts
/// (evaluation is a pure function of the scan, so the order does not change a verdict).
fn evaluate_all(controls: &[&Control], pack: &ControlSet, cx: &Context<'_>) -> Vec<Evaluated> {
    let mut first = Evaluator {
        cx,
        pack,
        done: HashMap::new(),
    };
    for control in controls {
        for id in control.requires.iter().chain(&control.defers_to) {
            first.done(id, 0);
        }
    }
    let done = first.done;
    controls
        .par_iter()
        .map(|control| {
            let _phase = crate::timings::Phase::named(|| format!("  evaluate {}", control.id));
            Evaluator {
                cx,
                pack,
                done: done.clone(),
            }
            .evaluate(control, 0)
        })
        .collect()
}

pub fn build(controls: &[&Control], pack: &ControlSet, cx: &Context<'_>, redactor: &Redactor) -> Report {
    let ws = cx.ws;
    let pointer = |p: &Pointer| PointerOut {
        target: ws.targets[p.target as usize].display.clone(),
        path: p.path.clone(),
        line: p.line,
        snippet: p.snippet.clone(),
        label: p.label.clone(),
        subject: p.subject.clone(),
    };
    let mut out_controls = Vec::new();
    let mut findings: Vec<FindingOut> = Vec::new();
    let phase = crate::timings::Phase::start("  evaluate: controls");
    let evaluated = evaluate_all(controls, pack, cx);
    drop(phase);
    let _phase = crate::timings::Phase::start("  evaluate: findings and evidence");
    for (control, e) in controls.iter().zip(evaluated) {
        let context: Vec<PointerOut> = e.subject.iter().map(pointer).collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut n = 0;
        for item in e.failed {
            let absent = item.is_absent();
            let message = match (&control.message, absent) {
                (Some(m), true) => m.clone(),
                _ => item.message.clone(),
            };
            let pointers = if item.pointers.is_empty() {
                vec![expected_location(control, cx)]
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
                message,
                // From the unredacted key, as baselines written before redaction expect.
                fingerprint: fingerprint(&control.id, &key),
                remediation: control.remediation.clone(),
                evidence: pointers.iter().map(pointer).collect(),
                context: context.clone(),
                baseline: None,
                waiver: None,
            });
            n += 1;
        }
        let mut evidence: Vec<PointerOut> = e.evidence.iter().map(pointer).collect();
        evidence.dedup();
        out_controls.push(ControlOut {
            id: control.id.clone(),
            title: control.title.clone(),
            red_flag: control.red_flag,
            severity: control.severity,
            tsc: control.tsc.clone(),
            status: e.status,
            findings: n,
            evidence,
            examined: e.examined,
            reason: e.reason,
            blocked_by: e.blocked_by,
            remediation: control.remediation.clone(),
        });
    }
    let summary = summarize(&out_controls, &findings);
    let documents = documents(cx);
    let mut report = Report {
        schema_version: super::SCHEMA_VERSION,
        tool: Tool {
            name: "redflag",
            version: env!("CARGO_PKG_VERSION"),
        },
        as_of: cx.as_of,
        targets: targets(ws),
        summary,
        controls: out_controls,
        out_of_scope: Vec::new(),
        findings,
        notes: ws
            .notes
            .iter()
            .map(|n| NoteOut {
                target: ws.targets[n.target as usize].display.clone(),
                path: n.path.clone(),
                message: n.message.clone(),
            })
            .collect(),
        documents,
        waivers: Vec::new(),
        baseline: None,
        gate: Gate::default(),
    };
    let seal_phase = crate::timings::Phase::start("  evaluate: seal");
    super::seal::seal(&mut report, redactor);
    drop(seal_phase);
    // Sorted as shown, so every format lists findings in the same order.
    report.findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    report
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
            role: if t.evidence_only {
                TargetRole::Evidence
            } else {
                TargetRole::Scan
            },
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
    for c in controls {
        let slot = c.red_flag.map(|r| by_red_flag.entry(r.to_string()).or_default());
        let bump = |counts: &mut Counts| match c.status {
            Status::Pass => counts.pass += 1,
            Status::Gap => counts.gap += 1,
            Status::NotApplicable => counts.not_applicable += 1,
            Status::Manual => counts.manual += 1,
            Status::Blocked => counts.blocked += 1,
        };
        bump(&mut total);
        if let Some(s) = slot {
            bump(s);
        }
    }
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
        blocked: total.blocked,
        findings: findings.len(),
        // Only controls that examined something count; with none there is no score.
        score: super::score(controls),
        by_red_flag,
        by_severity,
    }
}
