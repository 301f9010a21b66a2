//! The report: a presentation-free data model computed once — statuses, findings with
//! fingerprints, summary, score and the exit decision — and one renderer per format
//! (`json.rs`, `table.rs`) that only lays it out. The JSON form *is* this model serialised;
//! it follows `report-contract.md` (schema_version "1").

pub mod build;
pub mod charts;
pub mod consultant;
pub mod csv;
pub mod escape;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod oscal;
pub mod prose;
pub mod roadmap;
pub mod sarif;
pub mod seal;
pub mod table;
pub mod templates;
pub mod view;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::control::{ControlId, Severity};
use crate::date::Date;

pub use build::build;

/// "2": statuses `blocked` added, `controls[].examined`/`reason`/`blocked_by`,
/// `findings[].context`, `summary.blocked`, `summary.score` may be `null` (nothing examined).
pub const SCHEMA_VERSION: &str = "2";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    /// The assessment date, `YYYY-MM-DD` in JSON.
    #[serde(serialize_with = "iso_date")]
    pub as_of: Date,
    pub targets: Vec<TargetOut>,
    pub summary: Summary,
    pub controls: Vec<ControlOut>,
    /// Controls `--scope` leaves out (added field, only with `--scope`): every criterion
    /// they map to is in a category outside the engagement, so they are not evaluated and
    /// count toward neither the score nor the gate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub out_of_scope: Vec<OutOfScopeOut>,
    pub findings: Vec<FindingOut>,
    pub notes: Vec<NoteOut>,
    /// The evidence documents the checks used, one per document and kind (added field):
    /// which file was taken as the vendor register, the plan, each record.
    pub documents: Vec<DocumentOut>,
    /// Waivers (risk acceptances) and their status (added field).
    pub waivers: Vec<WaiverOut>,
    /// The baseline comparison, with `--baseline` or `--new-since` (added field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOut>,
    /// The exit decision (added field; the contract allows additions).
    pub gate: Gate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetOut {
    pub path: String,
    #[serde(default)]
    pub files_scanned: u64,
    #[serde(default)]
    pub bytes_scanned: u64,
    /// `scan` for a scanned target, `evidence` for an `--evidence` directory.
    #[serde(default, deserialize_with = "lenient_role")]
    pub role: TargetRole,
}

/// A role read back from JSON: anything but `evidence` is a scanned target.
fn lenient_role<'de, D: serde::Deserializer<'de>>(d: D) -> Result<TargetRole, D::Error> {
    Ok(match Option::<String>::deserialize(d)?.as_deref() {
        Some("evidence") => TargetRole::Evidence,
        _ => TargetRole::Scan,
    })
}

/// What a target is to the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TargetRole {
    /// Code and configuration, scanned for everything.
    #[default]
    Scan,
    /// An `--evidence` directory: documents only.
    Evidence,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub gap: usize,
    pub not_applicable: usize,
    pub manual: usize,
    pub blocked: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub controls: usize,
    pub pass: usize,
    pub gap: usize,
    pub not_applicable: usize,
    pub manual: usize,
    pub blocked: usize,
    pub findings: usize,
    /// 0..100: severity-weighted share of the controls that examined something (pass and
    /// gap) that pass; `None` (JSON `null`) when no control examined anything: an empty
    /// directory, or a repository with no AI system, has no readiness score.
    pub score: Option<f64>,
    pub by_red_flag: BTreeMap<String, Counts>,
    /// Findings per severity (added field).
    pub by_severity: BTreeMap<&'static str, usize>,
}

impl Summary {
    /// The score as a person reads it, with `/ 100` (`72.5 / 100`), or why there is none.
    pub fn score_text(&self) -> String {
        match self.score {
            Some(s) => format!("{s:.1} / 100"),
            None => "no score: nothing to examine".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check examined at least one subject (`controls[].examined`) and found it
    /// compliant.
    Pass,
    Gap,
    /// Nothing to examine: the control does not apply, or found no subject (the reason is
    /// in `controls[].reason`).
    NotApplicable,
    /// Cannot be verified from files.
    Manual,
    /// A control it requires has a gap and it has nothing of its own to examine (no plan,
    /// so no scenario to read): not a second gap, not a pass (`controls[].blocked_by`).
    Blocked,
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "pass" => Status::Pass,
            "gap" => Status::Gap,
            "not_applicable" => Status::NotApplicable,
            "manual" => Status::Manual,
            "blocked" => Status::Blocked,
            _ => return Err(serde::de::Error::custom(format_args!("unknown status `{s}`"))),
        })
    }
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Gap => "GAP",
            Status::NotApplicable => "N/A",
            Status::Manual => "MANUAL",
            Status::Blocked => "BLOCKED",
        }
    }
}

/// `target/path:line` — how every renderer writes where something is: the target only
/// when the report has several, the line only when there is one.
pub fn location(target: &str, path: &str, line: Option<u32>, multi_target: bool) -> String {
    let mut s = String::new();
    if multi_target {
        s.push_str(target);
        s.push('/');
    }
    s.push_str(path);
    if let Some(l) = line {
        s.push(':');
        s.push_str(&l.to_string());
    }
    s
}

/// The readiness score of some controls (the summary's over all of them, a red flag's over
/// its own): the severity-weighted share of the controls that examined something (pass and
/// gap) that pass, 0..100 to one decimal; `None` when none examined anything.
pub fn score<'a>(controls: impl IntoIterator<Item = &'a ControlOut>) -> Option<f64> {
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PointerOut {
    pub target: String,
    pub path: String,
    pub line: Option<u32>,
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What it shows, as data (for `init`); not in the JSON.
    #[serde(skip)]
    pub subject: Option<crate::evidence::Subject>,
}

impl PointerOut {
    /// Where this pointer points, as [`location`] writes it.
    pub fn location(&self, multi_target: bool) -> String {
        location(&self.target, &self.path, self.line, multi_target)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlOut {
    pub id: ControlId,
    pub title: String,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    #[serde(default)]
    pub tsc: Vec<String>,
    pub status: Status,
    #[serde(default)]
    pub findings: usize,
    #[serde(default)]
    pub evidence: Vec<PointerOut>,
    /// What the check examined, in words ("12 CI configuration files"): set for `pass` and
    /// `gap`; a pass always examined something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examined: Option<String>,
    /// Why the control is `not_applicable` or `blocked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `blocked`: the required controls that have a gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<ControlId>,
    #[serde(default)]
    pub remediation: String,
}

/// A control left out by `--scope`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutOfScopeOut {
    pub id: ControlId,
    pub title: String,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    pub tsc: Vec<String>,
    /// Why: "its criteria are in privacy and confidentiality, outside --scope (security)".
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingOut {
    pub control_id: ControlId,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    #[serde(default)]
    pub tsc: Vec<String>,
    pub title: String,
    pub message: String,
    pub fingerprint: String,
    #[serde(default)]
    pub remediation: String,
    /// Where the gap is: the offending lines, or for something missing, where it should
    /// be (the expected document path, or the target's root).
    #[serde(default)]
    pub evidence: Vec<PointerOut>,
    /// Why the control applies (what needs it: "AI in use: OpenAI at app/chat.ts:3"),
    /// shown as context; never the location of the gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<PointerOut>,
    /// With `--baseline` or `--new-since`: `new` or `known` (added field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
    /// The waiver that accepts this risk, when one does (added field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
}

impl FindingOut {
    /// Open (the one definition every renderer and the gate use): not waived, not already
    /// known from a baseline.
    pub fn is_open(&self) -> bool {
        self.waiver.is_none() && self.baseline != Some(BaselineState::Known)
    }

    /// Counts toward the gate: open, and at or above the `--fail-on` threshold.
    pub fn counts(&self, fail_on: Option<Severity>) -> bool {
        fail_on.is_some_and(|t| self.severity >= t) && self.is_open()
    }

    /// `waived` (a waiver accepts it), `known` (in the baseline) or `open`: the states
    /// `gate.findings_by_state` counts.
    pub fn state(&self) -> &'static str {
        if self.waiver.is_some() {
            "waived"
        } else if self.baseline == Some(BaselineState::Known) {
            "known"
        } else {
            "open"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineState {
    New,
    Known,
}

/// The waiver applied to a finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WaiverRef {
    /// `config`, or `inline path:line`.
    pub source: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A waiver and what became of it in this run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverOut {
    pub source: String,
    pub control: String,
    pub path: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<String>,
    /// `active`, `expired`, `unused`, or `invalid: …`.
    pub status: WaiverStatus,
    /// Findings it waived.
    #[serde(default)]
    pub matched: usize,
    /// For an inline waiver, where the comment is.
    pub location: Option<String>,
}

/// A date as the report writes it: `2026-12-01`.
pub fn iso(d: Date) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn iso_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.format("%Y-%m-%d"))
}

/// What became of a waiver in a run; in JSON a string: `active`, `expired`, `unused` or
/// `invalid: <why>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverStatus {
    /// It accepted at least one finding.
    Active,
    /// Its expiry date has passed: it accepts nothing.
    Expired,
    /// Valid, but no finding matched it.
    Unused,
    /// Malformed (an inline waiver without owner or expiry): it accepts nothing.
    Invalid(String),
}

impl WaiverStatus {
    /// Reads the JSON form back (`merge`); anything else is kept as an invalid status.
    pub fn parse(s: &str) -> WaiverStatus {
        match s {
            "active" => WaiverStatus::Active,
            "expired" => WaiverStatus::Expired,
            "unused" => WaiverStatus::Unused,
            _ => WaiverStatus::Invalid(s.strip_prefix("invalid: ").unwrap_or(s).to_string()),
        }
    }
}

impl std::fmt::Display for WaiverStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaiverStatus::Active => f.write_str("active"),
            WaiverStatus::Expired => f.write_str("expired"),
            WaiverStatus::Unused => f.write_str("unused"),
            WaiverStatus::Invalid(why) => write!(f, "invalid: {why}"),
        }
    }
}

impl Serialize for WaiverStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WaiverStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| WaiverStatus::parse(&s))
    }
}

/// The baseline comparison (added field).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineOut {
    pub source: String,
    pub new: usize,
    pub known: usize,
    /// Known gaps that are gone: the baseline can be tightened (`redflag baseline --update`).
    #[serde(default)]
    pub fixed: Vec<BaselineEntry>,
}

/// One finding recorded in a baseline file (`redflag baseline`): what a later scan
/// compares with, and what the report lists as fixed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub control_id: String,
    pub path: String,
    pub message: String,
    pub first_seen: String,
    /// After this date the entry no longer hides the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// An evidence document used in the report, and the role it was taken for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocumentOut {
    /// The document kind id (`vendor-register`).
    pub kind: String,
    /// The kind's title (`Vendor register`).
    #[serde(default)]
    pub title: String,
    pub target: String,
    pub path: String,
    /// What it holds, counted as fits the kind (`7 entries`, `4 sections`).
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoteOut {
    pub target: String,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Gate {
    /// The lowest failing severity, or `none`.
    pub fail_on: FailOn,
    pub fail_on_score: Option<f64>,
    pub soft_fail: bool,
    /// Findings that fail the run: at or above `fail_on`, not waived, not known.
    pub failing_findings: usize,
    /// The score is under `fail_on_score`.
    pub score_below: bool,
    /// Findings by state: `open`, `known` (baseline), `waived`.
    pub findings_by_state: std::collections::BTreeMap<&'static str, usize>,
    pub exit_code: u8,
}

/// `--fail-on`: the lowest severity that fails the run; `none` (nothing fails) when empty.
/// In JSON the severity's name or `none`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

impl FailOn {
    /// `high`, …, or anything else for nothing (`none`).
    pub fn parse(s: &str) -> FailOn {
        FailOn(Severity::parse(s))
    }

    /// The stricter of two thresholds: the lower severity fails more.
    #[must_use]
    pub fn stricter(self, other: FailOn) -> FailOn {
        match (self.0, other.0) {
            (Some(a), Some(b)) => FailOn(Some(a.min(b))),
            (a, b) => FailOn(a.or(b)),
        }
    }
}

impl std::fmt::Display for FailOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.map_or("none", Severity::as_str))
    }
}

impl Serialize for FailOn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Gate {
    /// The `--fail-on` threshold this gate was decided with (`None`: nothing fails).
    pub fn threshold(&self) -> Option<Severity> {
        self.fail_on.0
    }

    /// Whether a finding fails this run: [`FindingOut::counts`] at the gate's threshold.
    pub fn fails(&self, f: &FindingOut) -> bool {
        f.counts(self.threshold())
    }
}
