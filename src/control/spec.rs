//! The YAML shapes of control files, signals and document kinds (serde mirrors; unknown keys
//! are errors). Check primitives define their own spec types beside their code
//! (`check/<name>.rs`); `ConditionSpec` assembles them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::ConditionSpec;

/// One control file: `controls/<ID>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSpec {
    pub id: Spanned<String>,
    pub title: String,
    /// 1–5, or absent for a control outside the five red flags.
    pub red_flag: Option<Spanned<u8>>,
    pub severity: Spanned<String>,
    /// Trust Services Criteria ids, validated against `tsc.yaml`.
    pub tsc: Vec<Spanned<String>>,
    /// Why it matters to an auditor.
    pub rationale: String,
    /// What to do.
    pub remediation: String,
    /// What an auditor will ask for, item by item.
    #[serde(default)]
    pub auditor_evidence: Vec<String>,
    /// Policy thresholds, referenced from checks as `$name`; overridable in the config file.
    #[serde(default)]
    pub params: BTreeMap<String, u32>,
    /// When absent, the control always applies.
    pub applies_when: Option<ConditionSpec>,
    /// When absent, the control is manual: it cannot be verified from files.
    pub check: Option<ConditionSpec>,
    /// Message for a gap with nothing to point at.
    pub message: Option<String>,
    /// What the check examines when it finds nothing wrong: a control passes only when
    /// this found at least one subject; with none it is not applicable, with the reason.
    /// Needed by every control whose check can hold vacuously (`not: ...`).
    pub examines: Option<ExaminesSpec>,
    /// Controls this one depends on: when a required control has a gap and this one has
    /// nothing of its own to examine (no plan to read scenarios from), it is `blocked` by
    /// it, not a second gap and not a pass.
    #[serde(default)]
    pub requires: Vec<Spanned<String>>,
    /// Controls that report the same root cause first: a finding of this one whose line a
    /// finding of theirs points at is theirs (one broad grant is one finding). When every
    /// finding is theirs, this control is `blocked` by them.
    #[serde(default)]
    pub defers_to: Vec<Spanned<String>>,
    /// The risk of a gap in plain words, for a client's report ("An AI provider API key is
    /// committed…"); without it the report says "Not met: <title>" and the rationale.
    #[serde(default)]
    pub risk: Option<String>,
    /// How the remediation roadmap schedules this control's fix.
    #[serde(default)]
    pub roadmap: RoadmapSpec,
    /// The starter file `redflag init` writes when this control has a gap (one of
    /// `control::INIT_TEMPLATES`).
    #[serde(default)]
    pub init: Option<Spanned<String>>,
}

/// `roadmap:` — the fix as a task of the consultant's roadmap.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadmapSpec {
    /// The task, in the imperative ("Write and approve the incident response plan");
    /// without it, the remediation's first sentence.
    #[serde(default)]
    pub action: Option<String>,
    /// Controls whose fix comes first when both are planned (an AI playbook after the plan).
    #[serde(default)]
    pub after: Vec<Spanned<String>>,
    /// What one record of a cadence control is called ("AI incident tabletop exercise");
    /// without it, the title.
    #[serde(default)]
    pub record: Option<String>,
    /// What one such record must hold ("the reviewer and a keep/revoke decision per
    /// account"); without it, "its required fields".
    #[serde(default)]
    pub record_holds: Option<String>,
    /// Schedule the fix in the first month whatever its severity (work the rest builds on).
    #[serde(default)]
    pub first: bool,
    /// A recurring control (one record per quarter): the parameters that say how many.
    #[serde(default)]
    pub cadence: Option<CadenceSpec>,
}

/// `roadmap.cadence:` — which parameters of a recurring control the roadmap plans with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadenceSpec {
    /// The parameter holding the consecutive quarters the auditor samples
    /// (`tabletop_quarters`).
    pub quarters: Spanned<String>,
    /// The parameter holding the complete quarters before the window that must hold a
    /// record (`window_prior_quarters`); 1 without it.
    #[serde(default)]
    pub before_window: Option<Spanned<String>>,
}

/// `examines:` — the subjects a passing check looked at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExaminesSpec {
    /// The subjects, in the plural ("CI configuration files", "Kubernetes RBAC objects").
    pub what: String,
    /// One subject, when the singular is not `what` without its final `s`.
    pub one: Option<String>,
    /// Text files whose path matches one of these globs (tests, examples and evidence
    /// documents excluded).
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    /// Or: the items a condition finds (each is one subject).
    pub when: Option<ConditionSpec>,
}

/// `controls/signals.yaml`: named detectors shared by controls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsFile {
    pub signals: Vec<SignalSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSpec {
    pub id: Spanned<String>,
    pub description: String,
    pub when: ConditionSpec,
}

/// `controls/documents.yaml`: kinds of evidence documents and their conventional names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentsFile {
    pub documents: Vec<DocKindSpec>,
    /// Folders and files whose documents are not the company's evidence (dependencies,
    /// agent instructions, tests and fixtures), unless under an `--evidence` directory.
    #[serde(default)]
    pub not_evidence: crate::workspace::content::NotEvidenceSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocKindSpec {
    pub id: String,
    pub title: String,
    /// File-name globs, case-insensitive (`*incident*response*`).
    pub names: Vec<String>,
    /// Where a missing document of this kind should be (a path relative to the target's
    /// root; a directory ends with `/`): an absence gap points there.
    pub expected: Option<String>,
    /// Directory-name globs: Markdown, CSV and text files inside such a directory count too.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Only files that open with YAML front matter (`---`) are of this kind: a model card is
    /// a `README.md` with front matter, and other READMEs are not parsed as documents.
    #[serde(default)]
    pub front_matter: bool,
    /// What a file must contain to be a document of this kind; without it, the name is
    /// enough.
    #[serde(default)]
    pub content: Option<crate::workspace::content::ContentSpec>,
    /// What the report counts in such a document: `entries` (table rows, CSV rows, list
    /// items, sections with fields) or `sections` (headings).
    #[serde(default)]
    pub count: crate::workspace::content::Count,
    /// Names the user wrote in their own config file without wildcards: a file they name is
    /// trusted by name, its content is not tested (never set from `documents.yaml`).
    #[serde(skip)]
    pub trusted_names: Vec<String>,
}
