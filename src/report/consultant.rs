//! What the consultant formats (Markdown, HTML) and the roadmap read besides the report:
//! the engagement's metadata ([`ReportMeta`]: client, assessor, scope, commits), the
//! controls' explain texts, and the views they share — Trust Services Criteria coverage,
//! the top risks in plain language, score per red flag. Computed here from the report, so
//! the two renderers say the same thing and only lay it out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use super::{Report, Status};
use crate::control::{tsc, ControlId, ControlSet, Severity};
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
    pub controls: BTreeMap<ControlId, ControlText>,
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
    pub fn from_set(set: &ControlSet) -> BTreeMap<ControlId, ControlText> {
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
pub fn builtin_texts() -> &'static BTreeMap<ControlId, ControlText> {
    static TEXTS: LazyLock<BTreeMap<ControlId, ControlText>> = LazyLock::new(|| {
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

/// A criterion touched by at least one control, with the combined status.
#[derive(Debug, Clone)]
pub struct TscRow {
    pub id: String,
    pub title: String,
    pub category: String,
    /// Gap when any of its controls has a gap; else pass when any passes; else manual;
    /// else not applicable.
    pub status: Status,
    pub controls: Vec<(ControlId, Status)>,
    pub in_scope: bool,
}

/// Trust Services Criteria coverage: every criterion a control maps to, with its status,
/// and the criteria in scope that no control covers (they need manual evidence).
pub fn tsc_coverage(report: &Report, meta: &ReportMeta) -> (Vec<TscRow>, Vec<&'static tsc::Criterion>) {
    let scope = meta.scope_categories();
    let mut by_id: BTreeMap<&str, Vec<(ControlId, Status)>> = BTreeMap::new();
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
}
