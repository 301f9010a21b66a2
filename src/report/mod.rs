//! The report: a presentation-free data model computed once — statuses, findings with
//! fingerprints, summary, score and the exit decision — and one renderer per format
//! (`json.rs`, `table.rs`) that only lays it out. The JSON form *is* this model serialised;
//! it follows `report-contract.md` (schema_version "1").

pub mod build;
pub mod json;
pub mod table;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::control::Severity;

pub use build::build;

pub const SCHEMA_VERSION: &str = "1";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    pub as_of: String,
    pub targets: Vec<TargetOut>,
    pub summary: Summary,
    pub controls: Vec<ControlOut>,
    pub findings: Vec<FindingOut>,
    pub notes: Vec<NoteOut>,
    /// The `--fail-on` decision (added field; the contract allows additions).
    pub gate: Gate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetOut {
    pub path: String,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// `scan` for a scanned target, `evidence` for an `--evidence` directory.
    pub role: &'static str,
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub gap: usize,
    pub not_applicable: usize,
    pub manual: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub controls: usize,
    pub pass: usize,
    pub gap: usize,
    pub not_applicable: usize,
    pub manual: usize,
    pub findings: usize,
    /// 0..100: severity-weighted share of applicable, checkable controls that pass.
    pub score: f64,
    pub by_red_flag: BTreeMap<String, Counts>,
    /// Findings per severity (added field).
    pub by_severity: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Gap,
    NotApplicable,
    Manual,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Gap => "GAP",
            Status::NotApplicable => "N/A",
            Status::Manual => "MANUAL",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PointerOut {
    pub target: String,
    pub path: String,
    pub line: Option<u32>,
    pub snippet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlOut {
    pub id: String,
    pub title: String,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    pub tsc: Vec<String>,
    pub status: Status,
    pub findings: usize,
    pub evidence: Vec<PointerOut>,
    pub remediation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingOut {
    pub control_id: String,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    pub tsc: Vec<String>,
    pub title: String,
    pub message: String,
    pub fingerprint: String,
    pub remediation: String,
    pub evidence: Vec<PointerOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteOut {
    pub target: String,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The lowest failing severity, or `none`.
    pub fail_on: String,
    /// Findings at or above `fail_on`.
    pub failing_findings: usize,
    pub exit_code: u8,
}
