//! Controls are data. This module turns the YAML under `controls/` (embedded in the binary)
//! and any `--controls DIR` into a compiled [`ControlSet`]: typed controls whose checks hold
//! compiled regexes and globs, plus the [`ScanPlan`](crate::workspace::ScanPlan) pieces
//! (content patterns, structured queries) the walk must run. Problems are collected, not
//! thrown at the first one, each with the file and line it came from.

pub mod builtin;
pub mod compile;
pub mod describe;
pub mod id;
pub mod red_flags;
pub mod spec;
pub mod tsc;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::check::Condition;

pub use compile::{load, LoadOptions, Loaded};
pub use id::ControlId;

/// Marks an inline waiver (`# redflag:ignore ID reason`); registered with the one-pass
/// matcher by the loader, read by `policy::waiver`.
pub const INLINE_WAIVER_PATTERN: &str = r"redflag:ignore";

/// How bad a gap is. Ordered so `--fail-on` can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl<'de> serde::Deserialize<'de> for Severity {
    /// As [`Severity::parse`] reads it (a JSON report read back by `merge`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Severity::parse(&s).ok_or_else(|| serde::de::Error::custom(format_args!("unknown severity `{s}`")))
    }
}

impl Severity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Weight in the readiness score.
    pub fn weight(self) -> f64 {
        match self {
            Self::Low => 1.0,
            Self::Medium => 2.0,
            Self::High => 4.0,
            Self::Critical => 8.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The title of a red flag (`controls/red_flags.yaml`), or the heading of controls
/// outside them.
pub fn red_flag_title(rf: Option<u8>) -> &'static str {
    red_flags::title(rf)
}

/// Where a control was defined, for `explain` and validation messages.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub line: u32,
}

/// One compiled control.
#[derive(Debug)]
pub struct Control {
    pub id: ControlId,
    pub title: String,
    pub red_flag: Option<u8>,
    pub severity: Severity,
    pub tsc: Vec<String>,
    pub rationale: String,
    pub remediation: String,
    pub auditor_evidence: Vec<String>,
    /// When `None`, the control always applies.
    pub applies_when: Option<Condition>,
    /// When `None`, the control cannot be checked from files: status `manual`.
    pub check: Option<Condition>,
    /// Message for a gap whose check found nothing to point at ("no plan found").
    pub message: Option<String>,
    pub params: BTreeMap<String, u32>,
    /// What a passing check examined (see [`Examines`]).
    pub examines: Option<Examines>,
    /// Ids of the controls this one depends on (`requires:`).
    pub requires: Vec<ControlId>,
    /// Ids of the controls whose findings take this one's on the same line (`defers_to:`).
    pub defers_to: Vec<ControlId>,
    pub source: Source,
    /// The risk of a gap in plain words (`risk:`), for client reports.
    pub risk: Option<String>,
    /// How the roadmap schedules the fix (`roadmap:`).
    pub roadmap: RoadmapText,
    /// The starter file `redflag init` writes when this control has a gap (`init:`).
    pub init: Option<String>,
}

/// The subjects a control's check examines: files by glob, or a condition's items.
#[derive(Debug)]
pub struct Examines {
    /// Plural ("CI configuration files").
    pub what: String,
    /// Singular ("CI configuration file").
    pub one: String,
    pub files: Option<crate::workspace::matcher::Globs>,
    pub when: Option<Condition>,
}

/// All controls to evaluate, sorted by red flag (none last) then id.
#[derive(Debug, Default)]
pub struct ControlSet {
    pub controls: Vec<Control>,
}

impl ControlSet {
    pub fn get(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }
}

/// The starter files `redflag init` writes, which a control's `init:` may name.
pub const INIT_TEMPLATES: [&str; 5] = [
    "vendor-register",
    "lineage-record",
    "ai-playbook",
    "tabletop-record",
    "access-review-record",
];

/// `roadmap:` of a control, compiled (texts made printable).
#[derive(Debug, Clone, Default)]
pub struct RoadmapText {
    pub action: Option<String>,
    pub after: Vec<String>,
    pub record: Option<String>,
    pub record_holds: Option<String>,
    pub first: bool,
    /// `roadmap.cadence`: the parameter names of a recurring control.
    pub cadence: Option<CadenceParams>,
}

/// The parameters a recurring control's roadmap reads, by name (validated against the
/// control's `params` at load).
#[derive(Debug, Clone, Default)]
pub struct CadenceParams {
    /// Consecutive quarters sampled by the end of the window.
    pub quarters: String,
    /// Complete quarters before the window that must hold a record (1 when absent).
    pub before_window: Option<String>,
}
