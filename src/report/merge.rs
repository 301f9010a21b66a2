//! `redflag merge`: one assessment from JSON reports produced on different machines (one CI
//! job per repository). [`read_json`] reads a report written by `--format json` back into
//! the model; [`merge`] combines reports: targets side by side, controls combined (a gap
//! anywhere is a gap), findings concatenated (exact duplicates — the same finding on the
//! same evidence, e.g. a policies directory given to every job — once), and the summary,
//! score and gate recomputed. Any renderer then lays out the merged data.
//!
//! What a merge cannot do is re-evaluate across targets: a vendor register found only in
//! repository B does not satisfy repository A's use of that vendor, as it would in one
//! multi-target scan. Scan the targets together when that matters.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{
    BaselineOut, ControlOut, DocumentOut, FailOn, FindingOut, Gate, NoteOut, OutOfScopeOut, PointerOut,
    Report, Status, TargetOut, TargetRole, Tool, WaiverOut, WaiverStatus,
};
use crate::date::Date;

/// A JSON report as written by `--format json`: the model's own types, read back. What a
/// merge recomputes (summary, score, the gate's counts) is not read; the gate's settings are.
#[derive(Deserialize)]
struct JReport {
    schema_version: String,
    as_of: String,
    targets: Vec<TargetOut>,
    controls: Vec<ControlOut>,
    #[serde(default)]
    out_of_scope: Vec<OutOfScopeOut>,
    findings: Vec<FindingOut>,
    #[serde(default)]
    notes: Vec<NoteOut>,
    #[serde(default)]
    documents: Vec<DocumentOut>,
    #[serde(default)]
    waivers: Vec<WaiverOut>,
    #[serde(default)]
    baseline: Option<BaselineOut>,
    #[serde(default)]
    gate: Option<JGate>,
}

/// The gate's settings (its counts are recomputed).
#[derive(Deserialize)]
struct JGate {
    #[serde(default)]
    fail_on: String,
    #[serde(default)]
    fail_on_score: Option<f64>,
    #[serde(default)]
    soft_fail: bool,
}

/// Why a JSON report cannot be read back. Every text quoted from the input is shown as any
/// other text from it (escaped, secrets masked).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: not a redflag JSON report: {message}")]
    NotAReport { line: usize, message: String },
    #[error(
        "unsupported schema_version `{found}` (this redflag reads `{}`)",
        super::SCHEMA_VERSION
    )]
    SchemaVersion { found: String },
    #[error("invalid as_of `{0}`")]
    AsOf(String),
}

fn quoted(s: &str) -> String {
    crate::redact::shown(s)
}

/// Reads a JSON report (`--format json`, schema_version 2) back into the model. The gate's
/// settings are kept; its counts are recomputed by [`merge`].
pub fn read_json(text: &str) -> Result<Report, ReadError> {
    let j: JReport = serde_json::from_str(text).map_err(|e| ReadError::NotAReport {
        line: e.line(),
        message: quoted(&e.to_string()),
    })?;
    if j.schema_version != super::SCHEMA_VERSION {
        return Err(ReadError::SchemaVersion {
            found: quoted(&j.schema_version),
        });
    }
    let Some(as_of) = crate::date::parse_iso(&j.as_of) else {
        return Err(ReadError::AsOf(quoted(&j.as_of)));
    };
    let gate = j.gate.map_or_else(Gate::default, |g| Gate {
        fail_on: FailOn::parse(&g.fail_on),
        fail_on_score: g.fail_on_score,
        soft_fail: g.soft_fail,
        ..Gate::default()
    });
    let mut report = Report {
        schema_version: super::SCHEMA_VERSION,
        tool: tool(),
        as_of,
        targets: j.targets,
        summary: super::build::summarize(&[], &[]),
        controls: j.controls,
        out_of_scope: j.out_of_scope,
        findings: j.findings,
        notes: j.notes,
        documents: j.documents,
        waivers: j.waivers,
        baseline: j.baseline,
        gate,
    };
    // A report from elsewhere is untrusted input: every string is redacted (with the
    // built-in shapes and catalogue) and escaped before anything shows it.
    super::seal::seal_untrusted(&mut report, crate::redact::builtin());
    report.summary = super::build::summarize(&report.controls, &report.findings);
    report.gate = gate_of(&report, &report.gate);
    Ok(report)
}

/// Renames the targets of report `r` (job `name`) that collide with targets already
/// merged, in everything that names them. An evidence directory with the same path (a
/// policies export given to every job) is the same directory: kept once.
fn rename_targets(
    r: &mut Report,
    name: &str,
    seen_targets: &BTreeSet<String>,
    evidence_targets: &BTreeSet<String>,
) {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    for t in &r.targets {
        let shared_evidence = t.role == TargetRole::Evidence && evidence_targets.contains(&t.path);
        if seen_targets.contains(&t.path) && !shared_evidence && !renames.contains_key(&t.path) {
            let mut new = format!("{name}:{}", t.path);
            let mut n = 2;
            while seen_targets.contains(&new) {
                new = format!("{name}#{n}:{}", t.path);
                n += 1;
            }
            renames.insert(t.path.clone(), new);
        }
    }
    let rename = |t: &mut String| {
        if let Some(n) = renames.get(t.as_str()) {
            t.clone_from(n);
        }
    };
    for t in &mut r.targets {
        rename(&mut t.path);
    }
    for p in r
        .controls
        .iter_mut()
        .flat_map(|c| c.evidence.iter_mut())
        .chain(r.findings.iter_mut().flat_map(|f| f.evidence.iter_mut()))
    {
        rename(&mut p.target);
    }
    for n in &mut r.notes {
        rename(&mut n.target);
    }
    for d in &mut r.documents {
        rename(&mut d.target);
    }
}

/// Adds a job's waivers: the same waiver met by several jobs is one, with their matches.
fn add_waivers(waivers: &mut Vec<WaiverOut>, new: Vec<WaiverOut>) {
    for w in new {
        match waivers.iter_mut().find(|x| {
            x.source == w.source
                && x.control == w.control
                && x.path == w.path
                && x.fingerprint == w.fingerprint
                && x.location == w.location
                && x.reason == w.reason
        }) {
            Some(x) => {
                x.matched += w.matched;
                if x.status == WaiverStatus::Unused {
                    x.status.clone_from(&w.status);
                }
            }
            None => waivers.push(w),
        }
    }
}

/// Adds a job's baseline comparison to the merged one.
fn add_baseline(baseline: &mut Option<BaselineOut>, b: BaselineOut) {
    match baseline {
        None => *baseline = Some(b),
        Some(x) => {
            if x.source != b.source {
                x.source = format!("{}, {}", x.source, b.source);
            }
            x.new += b.new;
            x.known += b.known;
            x.fixed.extend(b.fixed);
        }
    }
}

/// The strictest gate settings of two jobs.
fn stricter_gate(prev: &Gate, g: &Gate) -> Gate {
    Gate {
        fail_on: prev.fail_on.stricter(g.fail_on),
        fail_on_score: match (prev.fail_on_score, g.fail_on_score) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        },
        soft_fail: prev.soft_fail && g.soft_fail,
        ..Gate::default()
    }
}

fn tool() -> Tool {
    Tool {
        name: "redflag",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// Problems that make a merge questionable: reports assessed on different dates (each
/// judged freshness and cadence on its own date). The caller decides whether to refuse.
pub fn check_compatible(reports: &[Report]) -> Vec<String> {
    let dates: BTreeSet<Date> = reports.iter().map(|r| r.as_of).collect();
    if dates.len() > 1 {
        vec![format!(
            "the reports were assessed as of different dates ({}); use the same --as-of on every job",
            dates.into_iter().map(super::iso).collect::<Vec<_>>().join(", ")
        )]
    } else {
        Vec::new()
    }
}

/// Merges reports (in order). Scanned targets whose display paths collide (every CI job
/// scanned `.`) are told apart as `report N:path`.
pub fn merge(reports: Vec<Report>) -> Report {
    let named = reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("report {}", i + 1), r))
        .collect();
    merge_named(named)
}

/// Merges reports named by their source (the file name); the name prefixes a scanned
/// target only when its path collides with an earlier report's target (every job scanned
/// `.`). Evidence directories with the same path are the same directory.
pub fn merge_named(reports: Vec<(String, Report)>) -> Report {
    let as_of = reports.iter().map(|(_, r)| r.as_of).max().unwrap_or_default();
    let mut seen_targets: BTreeSet<String> = BTreeSet::new();
    let mut evidence_targets: BTreeSet<String> = BTreeSet::new();
    let mut targets: Vec<TargetOut> = Vec::new();
    let mut controls: Vec<ControlOut> = Vec::new();
    let mut out_of_scope: Vec<super::OutOfScopeOut> = Vec::new();
    let mut findings: Vec<FindingOut> = Vec::new();
    let mut finding_keys: BTreeSet<(String, Vec<PointerOut>)> = BTreeSet::new();
    let mut notes: Vec<NoteOut> = Vec::new();
    let mut documents: Vec<DocumentOut> = Vec::new();
    let mut waivers: Vec<WaiverOut> = Vec::new();
    let mut baseline: Option<BaselineOut> = None;
    let mut gate_settings: Option<Gate> = None;

    for (name, mut r) in reports {
        rename_targets(&mut r, &name, &seen_targets, &evidence_targets);
        documents.append(&mut r.documents);
        for t in r.targets {
            if t.role == TargetRole::Evidence {
                evidence_targets.insert(t.path.clone());
            }
            if seen_targets.insert(t.path.clone()) {
                targets.push(t);
            }
        }
        for o in r.out_of_scope {
            if !out_of_scope.iter().any(|x| x.id == o.id) {
                out_of_scope.push(o);
            }
        }
        for c in r.controls {
            match controls.iter_mut().find(|x| x.id == c.id) {
                None => controls.push(c),
                Some(x) => {
                    x.status = combine(x.status, c.status);
                    for p in c.evidence {
                        if !x.evidence.contains(&p) {
                            x.evidence.push(p);
                        }
                    }
                }
            }
        }
        for f in r.findings {
            if finding_keys.insert((f.fingerprint.clone(), f.evidence.clone())) {
                findings.push(f);
            }
        }
        for n in r.notes {
            if !notes
                .iter()
                .any(|x| x.target == n.target && x.path == n.path && x.message == n.message)
            {
                notes.push(n);
            }
        }
        add_waivers(&mut waivers, r.waivers);
        if let Some(b) = r.baseline {
            add_baseline(&mut baseline, b);
        }
        gate_settings = Some(match gate_settings {
            None => r.gate,
            Some(prev) => stricter_gate(&prev, &r.gate),
        });
    }
    for c in &mut controls {
        c.evidence.truncate(60);
        c.findings = findings.iter().filter(|f| f.control_id == c.id).count();
    }
    controls
        .sort_by(|a, b| (a.red_flag.unwrap_or(u8::MAX), &a.id).cmp(&(b.red_flag.unwrap_or(u8::MAX), &b.id)));
    findings.sort_by(|a, b| super::build::sort_key(a).cmp(&super::build::sort_key(b)));
    let summary = super::build::summarize(&controls, &findings);
    // A control evaluated by one job is in scope for the merged assessment.
    out_of_scope.retain(|o| !controls.iter().any(|c| c.id == o.id));
    out_of_scope
        .sort_by(|a, b| (a.red_flag.unwrap_or(u8::MAX), &a.id).cmp(&(b.red_flag.unwrap_or(u8::MAX), &b.id)));
    documents.sort_by(|a, b| (&a.kind, &a.target, &a.path).cmp(&(&b.kind, &b.target, &b.path)));
    documents.dedup_by(|a, b| (&a.kind, &a.target, &a.path) == (&b.kind, &b.target, &b.path));
    let mut report = Report {
        schema_version: super::SCHEMA_VERSION,
        tool: tool(),
        as_of,
        targets,
        summary,
        controls,
        out_of_scope,
        findings,
        notes,
        documents,
        waivers,
        baseline,
        gate: Gate::default(),
    };
    report.gate = gate_of(&report, &gate_settings.unwrap_or_default());
    report
}

fn combine(a: Status, b: Status) -> Status {
    use Status::{Blocked, Gap, Manual, NotApplicable, Pass};
    match (a, b) {
        (Gap, _) | (_, Gap) => Gap,
        (Blocked, _) | (_, Blocked) => Blocked,
        (Pass, _) | (_, Pass) => Pass,
        (Manual, _) | (_, Manual) => Manual,
        (NotApplicable, NotApplicable) => NotApplicable,
    }
}

/// The gate recomputed on the merged findings, with the given settings.
fn gate_of(report: &Report, settings: &Gate) -> Gate {
    let fail_on = settings.fail_on.0;
    let failing = report.findings.iter().filter(|f| f.counts(fail_on)).count();
    let score_below = settings
        .fail_on_score
        .is_some_and(|min| report.summary.score.is_some_and(|s| s < min));
    let mut by_state: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_state.entry(f.state()).or_default() += 1;
    }
    Gate {
        fail_on: settings.fail_on,
        fail_on_score: settings.fail_on_score,
        soft_fail: settings.soft_fail,
        failing_findings: failing,
        score_below,
        findings_by_state: by_state,
        exit_code: u8::from((failing > 0 || score_below) && !settings.soft_fail),
    }
}
