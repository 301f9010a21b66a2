//! What the consultant formats (Markdown, HTML) and the roadmap read besides the report:
//! the engagement's metadata ([`ReportMeta`]: client, assessor, scope, commits), the
//! controls' explain texts, and the views they share — Trust Services Criteria coverage,
//! the top risks in plain language, score per red flag. Computed here from the report, so
//! the two renderers say the same thing and only lay it out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use super::{ControlOut, FindingOut, PointerOut, Report, Status};
use crate::control::{tsc, ControlSet, Severity};
use crate::date::Date;

/// The engagement around a report: who it is for, who wrote it, what is in scope. Nothing
/// here changes a finding; it is printed on the cover and steers the TSC coverage and the
/// roadmap.
#[derive(Debug, Clone, Default)]
pub struct ReportMeta {
    /// `--client`: the company assessed.
    pub client: Option<String>,
    /// `--assessor`: the consultant or team writing the report.
    pub assessor: Option<String>,
    /// `--scope`: Trust Services Criteria categories in scope besides security (which is
    /// always in scope): `availability`, `confidentiality`, `processing_integrity`,
    /// `privacy` (see [`parse_scope`]).
    pub scope: Vec<String>,
    /// `--window-start`: a planned start of the Type II observation window, to test.
    pub window_start: Option<Date>,
    /// Per target (its display path, as in `report.targets`): the git commit scanned, when
    /// the target is in a git repository ([`head_commit`]).
    pub target_commits: Vec<(String, Option<String>)>,
    /// Explain texts of the evaluated controls ([`ControlText::from_set`]); a control
    /// missing here falls back to the built-in pack's text.
    pub controls: BTreeMap<String, ControlText>,
    /// `--all`: the terminal report details passing and not-applicable controls too.
    pub show_all: bool,
}

/// What `redflag explain` says about a control, for the sections a report reader needs
/// (why it matters, the evidence an auditor will request) and the roadmap (cadence
/// parameters).
#[derive(Debug, Clone, Default)]
pub struct ControlText {
    pub rationale: String,
    pub auditor_evidence: Vec<String>,
    pub params: BTreeMap<String, u32>,
    /// `risk:` — the risk of a gap in plain words.
    pub risk: Option<String>,
    /// `roadmap:` — the fix as a roadmap task.
    pub roadmap: crate::control::RoadmapText,
}

impl ControlText {
    /// The texts of every control of a loaded pack (built-ins, `--controls`, config params).
    pub fn from_set(set: &ControlSet) -> BTreeMap<String, ControlText> {
        set.controls
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    ControlText {
                        rationale: c.rationale.clone(),
                        auditor_evidence: c.auditor_evidence.clone(),
                        params: c.params.clone(),
                        risk: c.risk.clone(),
                        roadmap: c.roadmap.clone(),
                    },
                )
            })
            .collect()
    }
}

/// The built-in pack's texts, loaded once.
pub fn builtin_texts() -> &'static BTreeMap<String, ControlText> {
    static TEXTS: LazyLock<BTreeMap<String, ControlText>> = LazyLock::new(|| {
        let loaded = crate::control::load(&crate::control::LoadOptions::default());
        ControlText::from_set(&loaded.controls)
    });
    &TEXTS
}

impl ReportMeta {
    /// The explain text of a control: the evaluated pack's, else the built-in one.
    pub fn text(&self, id: &str) -> Option<&ControlText> {
        self.controls.get(id).or_else(|| builtin_texts().get(id))
    }

    /// The commit recorded for a target.
    pub fn commit(&self, target: &str) -> Option<&str> {
        self.target_commits
            .iter()
            .find(|(t, _)| t == target)
            .and_then(|(_, c)| c.as_deref())
    }

    /// Categories in scope, security first, in the order of the criteria file.
    pub fn scope_categories(&self) -> Vec<&'static str> {
        let wanted: BTreeSet<&str> = self.scope.iter().map(String::as_str).collect();
        CATEGORIES
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| *id == "security" || wanted.contains(id))
            .collect()
    }
}

pub use crate::control::tsc::{category_name, parse_scope, CATEGORIES};

/// The commit checked out where `dir` is, when `dir` is inside a git work tree. Starts no
/// process: `HEAD` and the ref it names are read by redflag's safe reader, with the same
/// containment checks as `--new-since` ([`crate::gitread::refs::head_commit`]); `None` when
/// there is no repository or anything about it is odd.
pub fn head_commit(dir: &Path) -> Option<String> {
    let dirs = crate::gitread::discover(dir).ok()??;
    crate::gitread::refs::head_commit(&dirs)
}

/// The executive summary's count of controls, agreeing in number: "Of 27 controls, 3 pass,
/// 14 have gaps, 0 need manual evidence and 10 do not apply." (blocked controls are counted
/// with the controls, as everywhere in the client report).
pub fn controls_sentence(sm: &super::Summary) -> String {
    let verb = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "Of {}, {}, {}, {} and {}.",
        crate::text::plural(sm.controls, "control"),
        verb(sm.pass, "passes", "pass"),
        verb(sm.gap, "has gaps", "have gaps"),
        verb(sm.manual, "needs manual evidence", "need manual evidence"),
        verb(sm.not_applicable, "does not apply", "do not apply"),
    )
}

/// Status words for readers who do not know the tool.
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        Status::Gap => "Gap",
        Status::NotApplicable => "Not applicable",
        Status::Manual => "Manual evidence",
        Status::Blocked => "Blocked",
    }
}

pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

pub const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// `target/path:line` (the target only when the report has several).
pub fn location(p: &PointerOut, multi_target: bool) -> String {
    let mut s = String::new();
    if multi_target {
        s.push_str(&p.target);
        s.push('/');
    }
    s.push_str(&p.path);
    if let Some(l) = p.line {
        s.push(':');
        s.push_str(&l.to_string());
    }
    s
}

pub fn multi_target(report: &Report) -> bool {
    report.targets.len() > 1
}

/// Text unwrapped (YAML block text is hard-wrapped).
pub fn unwrap_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence of a text, unwrapped. A period inside parentheses or after an
/// abbreviation (`e.g.`, `i.e.`, `etc.`) does not end it.
pub fn first_sentence(text: &str) -> String {
    let flat = unwrap_text(text);
    let mut depth = 0i32;
    let bytes = flat.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'.' if depth <= 0 && bytes.get(i + 1) == Some(&b' ') => {
                let word = flat[..i].rsplit(' ').next().unwrap_or("");
                if !matches!(word, "e.g" | "i.e" | "etc" | "vs" | "cf") {
                    return flat[..=i].to_string();
                }
            }
            _ => {}
        }
    }
    flat
}

/// Control texts (remediation, rationale, evidence requests) mark code with backticks, as
/// Markdown does. Splits such a text into `(is_code, text)` segments; with an odd number of
/// backticks the whole text is plain.
pub fn code_segments(s: &str) -> Vec<(bool, &str)> {
    if s.matches('`').count() % 2 == 1 {
        return vec![(false, s)];
    }
    s.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| (i % 2 == 1, part))
        .collect()
}

/// The red flags present in the report, in report order (`None`: controls outside them).
pub fn red_flags(report: &Report) -> Vec<Option<u8>> {
    let mut groups: Vec<Option<u8>> = Vec::new();
    for c in &report.controls {
        if !groups.contains(&c.red_flag) {
            groups.push(c.red_flag);
        }
    }
    groups
}

pub fn red_flag_heading(rf: Option<u8>) -> String {
    match rf {
        Some(n) => format!("Red flag {n} · {}", crate::control::red_flag_title(rf)),
        None => crate::control::red_flag_title(None).to_string(),
    }
}

/// The readiness score of the controls of one red flag, as the summary computes the
/// overall score: the severity-weighted share of applicable, checkable controls that
/// pass. `None` when none is applicable and checkable.
pub fn score_of(controls: &[&ControlOut]) -> Option<f64> {
    let (mut earned, mut possible) = (0.0, 0.0);
    for c in controls {
        match c.status {
            Status::Pass => {
                earned += c.severity.weight();
                possible += c.severity.weight();
            }
            Status::Gap => possible += c.severity.weight(),
            _ => {}
        }
    }
    (possible > 0.0).then(|| (earned / possible * 1000.0).round() / 10.0)
}

/// Score per red flag, in report order.
pub fn scores_by_red_flag(report: &Report) -> Vec<(Option<u8>, Option<f64>)> {
    red_flags(report)
        .into_iter()
        .map(|rf| {
            let cs: Vec<&ControlOut> = report.controls.iter().filter(|c| c.red_flag == rf).collect();
            (rf, score_of(&cs))
        })
        .collect()
}

/// Findings of a control, in report order.
pub fn findings_of<'a>(report: &'a Report, id: &str) -> Vec<&'a FindingOut> {
    report.findings.iter().filter(|f| f.control_id == id).collect()
}

/// Open (not waived) findings per severity.
pub fn open_by_severity(report: &Report) -> Vec<(Severity, usize, usize)> {
    SEVERITIES
        .iter()
        .map(|s| {
            let all: Vec<&FindingOut> = report.findings.iter().filter(|f| f.severity == *s).collect();
            let waived = all.iter().filter(|f| f.waiver.is_some()).count();
            (*s, all.len() - waived, waived)
        })
        .collect()
}

/// One of the top risks: a gap control, what it means in plain words and where.
#[derive(Debug, Clone)]
pub struct Risk<'a> {
    pub control: &'a ControlOut,
    /// What the gap means to the business and the audit, in plain language.
    pub headline: String,
    /// What was found (finding messages, the first few).
    pub found: Vec<&'a str>,
    /// How many more findings there are.
    pub more: usize,
    /// Where, for the first finding.
    pub pointer: Option<&'a PointerOut>,
    /// The fix, first sentence.
    pub fix: String,
}

/// Up to `n` risks: gap controls with open findings, most severe first.
pub fn top_risks<'a>(report: &'a Report, meta: &ReportMeta, n: usize) -> Vec<Risk<'a>> {
    let mut gaps: Vec<(&ControlOut, Vec<&FindingOut>)> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Gap)
        .map(|c| {
            let open: Vec<&FindingOut> = findings_of(report, &c.id)
                .into_iter()
                .filter(|f| f.waiver.is_none())
                .collect();
            (c, open)
        })
        .filter(|(_, open)| !open.is_empty())
        .collect();
    gaps.sort_by(|(a, fa), (b, fb)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.red_flag.unwrap_or(99).cmp(&b.red_flag.unwrap_or(99)))
            .then_with(|| fb.len().cmp(&fa.len()))
            .then_with(|| a.id.cmp(&b.id))
    });
    gaps.into_iter()
        .take(n)
        .map(|(c, open)| {
            let headline = meta.text(&c.id).and_then(|t| t.risk.as_deref()).map_or_else(
                || {
                    let why = meta
                        .text(&c.id)
                        .map(|t| first_sentence(&t.rationale))
                        .filter(|s| !s.is_empty());
                    match why {
                        Some(w) => format!("Not met: {}. {w}", c.title.trim_end_matches('.')),
                        None => format!("Not met: {}.", c.title.trim_end_matches('.')),
                    }
                },
                ToString::to_string,
            );
            let found: Vec<&str> = open.iter().take(3).map(|f| f.message.as_str()).collect();
            Risk {
                control: c,
                headline,
                more: open.len().saturating_sub(found.len()),
                found,
                pointer: open.iter().find_map(|f| f.evidence.first()),
                fix: first_sentence(&c.remediation),
            }
        })
        .collect()
}

/// A criterion touched by at least one control, with the combined status.
#[derive(Debug, Clone)]
pub struct TscRow {
    pub id: String,
    pub title: String,
    pub category: String,
    /// Gap when any of its controls has a gap; else pass when any passes; else manual;
    /// else not applicable.
    pub status: Status,
    pub controls: Vec<(String, Status)>,
    pub in_scope: bool,
}

/// Trust Services Criteria coverage: every criterion a control maps to, with its status,
/// and the criteria in scope that no control covers (they need manual evidence).
pub fn tsc_coverage(report: &Report, meta: &ReportMeta) -> (Vec<TscRow>, Vec<&'static tsc::Criterion>) {
    let scope = meta.scope_categories();
    let mut by_id: BTreeMap<&str, Vec<(String, Status)>> = BTreeMap::new();
    for c in &report.controls {
        for t in &c.tsc {
            by_id
                .entry(t.as_str())
                .or_default()
                .push((c.id.clone(), c.status));
        }
    }
    let mut rows = Vec::new();
    let mut uncovered = Vec::new();
    for crit in tsc::all() {
        match by_id.get(crit.id.as_str()) {
            Some(controls) => {
                let has = |s: Status| controls.iter().any(|(_, x)| *x == s);
                let status = if has(Status::Gap) {
                    Status::Gap
                } else if has(Status::Pass) {
                    Status::Pass
                } else if has(Status::Manual) {
                    Status::Manual
                } else {
                    Status::NotApplicable
                };
                rows.push(TscRow {
                    id: crit.id.clone(),
                    title: crit.title.clone(),
                    category: crit.category.clone(),
                    status,
                    controls: controls.clone(),
                    in_scope: scope.contains(&crit.category.as_str()),
                });
            }
            None if scope.contains(&crit.category.as_str()) => uncovered.push(crit),
            None => {}
        }
    }
    // Criteria named by custom controls but absent from the criteria file (validation
    // rejects them, but a merged report may come from another pack).
    for (id, controls) in by_id {
        if tsc::get(id).is_none() {
            rows.push(TscRow {
                id: id.to_string(),
                title: String::new(),
                category: String::new(),
                status: if controls.iter().any(|(_, s)| *s == Status::Gap) {
                    Status::Gap
                } else {
                    controls.first().map_or(Status::NotApplicable, |(_, s)| *s)
                },
                controls,
                in_scope: false,
            });
        }
    }
    (rows, uncovered)
}

/// Every pointer of a control: its evidence, then its findings' evidence, deduplicated.
pub fn all_evidence<'a>(report: &'a Report, c: &'a ControlOut) -> Vec<&'a PointerOut> {
    let mut seen: BTreeSet<&PointerOut> = BTreeSet::new();
    let mut out = Vec::new();
    for p in c.evidence.iter().chain(
        findings_of(report, &c.id)
            .into_iter()
            .flat_map(|f| f.evidence.iter()),
    ) {
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// `1.2 MiB`-style sizes.
pub fn human_size(bytes: u64) -> String {
    crate::check::artifact::human_size(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_values_are_normalised() {
        assert_eq!(
            parse_scope(&["availability,Processing-Integrity", "privacy", "security"]).unwrap(),
            ["availability", "processing_integrity", "privacy"]
        );
        assert!(parse_scope(&["integrity-ish"]).is_err());
    }

    #[test]
    fn code_segments_split_on_backtick_pairs() {
        assert_eq!(
            code_segments("use `a` or `b`."),
            [
                (false, "use "),
                (true, "a"),
                (false, " or "),
                (true, "b"),
                (false, ".")
            ]
        );
        assert_eq!(code_segments("odd ` one"), [(false, "odd ` one")]);
    }

    #[test]
    fn first_sentences_skip_abbreviations() {
        assert_eq!(first_sentence("Do it (e.g. a. b). Then"), "Do it (e.g. a. b).");
        assert_eq!(first_sentence("Use X, e.g. Y. More"), "Use X, e.g. Y.");
        assert_eq!(first_sentence("One\n  line"), "One line");
    }
}
