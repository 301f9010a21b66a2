//! `redflag init [PATH]`: starter evidence files, filled from what the scan detected, in
//! the places and shapes the scanner recognises (`controls/documents.yaml`):
//!
//! | file | when | filled from the scan |
//! | --- | --- | --- |
//! | `compliance/ai-vendor-register.md` | an AI vendor in use has no register entry | one entry per such vendor: where the code uses it, its trust centre; the source's checklist fields as TODO |
//! | `ml/lineage/<model>.md` | models but no lineage record | one record per model artifact, with the artifact's path; the source's lineage fields as TODO |
//! | `docs/security/ai-incident-response-playbook.md` | no plan, or AI scenarios missing | the six AI scenarios, each with severity, response, notification and response-time fields as TODO |
//! | `compliance/tabletops/TEMPLATE-tabletop-exercise.md` | tabletop records missing | a record to copy per quarter |
//! | `compliance/access-reviews/TEMPLATE-access-review.md` | access reviews missing | a record to copy per quarter, with the AI consoles to review |
//!
//! Templates are not evidence until filled: every value to provide is `TODO`, which the
//! field checks report as "incomplete: TODO" (`text::value_state`), never as a pass. The
//! tabletop and access-review templates carry no date at all (not in their name, their
//! `Date:` field or their first lines), so the cadence checks do not count them as a
//! quarter's record; a filled, dated copy per quarter does.
//!
//! What was detected comes from the report's pointers as data ([`Subject`]): the usage sites
//! of AI vendors, with each vendor's trust-centre page, and the model files of the model
//! artifact check (in controls' evidence and in findings' evidence and `context`). Model
//! names are the artifact file names without their extension (the directory name for
//! `MLmodel` and `saved_model.pb`).
//!
//! Nothing is overwritten unless `force`; symbolic links are never written through.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::control::ControlSet;
use crate::evidence::Subject;
use crate::report::{PointerOut, Report, Status};

/// The label of the `artifact` check that finds model files (`model-artifacts` in
/// `controls/signals.yaml`): its files are the models a lineage record is written for.
const MODEL_ARTIFACT: &str = "model artifact";

/// What `init` did with one starter file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Created,
    Overwritten,
    /// The file exists and `force` was not given.
    Kept,
    /// A symbolic link (or a special file) is at the path or at one of its directories:
    /// never written through, even with `force`. Says what was found.
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct InitFile {
    /// Relative to the root.
    pub path: PathBuf,
    /// What the file is for (`AI vendor register: Anthropic, Mistral AI`).
    pub what: String,
    pub action: Action,
}

/// A template that was not needed, and why.
#[derive(Debug, Clone)]
pub struct NotNeeded {
    pub what: &'static str,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct InitOutcome {
    pub files: Vec<InitFile>,
    pub not_needed: Vec<NotNeeded>,
}

impl InitOutcome {
    /// Paths written (created or overwritten), relative to the root.
    pub fn written(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|f| matches!(f.action, Action::Created | Action::Overwritten))
            .map(|f| f.path.clone())
            .collect()
    }

    /// What to print: one line per file, then what was not needed, then the next step.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for f in &self.files {
            let verb = match f.action {
                Action::Created => "wrote    ",
                Action::Overwritten => "rewrote  ",
                Action::Kept => "kept     ",
                Action::Refused(_) => "refused  ",
            };
            let note = match &f.action {
                Action::Kept => " (exists; --force overwrites it)".to_string(),
                Action::Refused(why) => format!(" ({why})"),
                _ => String::new(),
            };
            let _ = writeln!(s, "{verb}{}  {}{note}", f.path.display(), f.what);
        }
        for n in &self.not_needed {
            let _ = writeln!(s, "skipped  {}: {}", n.what, n.why);
        }
        if self.files.is_empty() {
            s.push_str("nothing to write: the scan found no gap a starter file would help with\n");
        } else if !self.written().is_empty() {
            s.push_str("Replace every TODO with the real value, then scan again: a template is not evidence until it is filled in.\n");
        }
        s
    }
}

/// A starter file to write.
#[derive(Debug, Clone)]
pub struct Template {
    pub path: PathBuf,
    pub what: String,
    pub content: String,
}

/// An AI vendor the scan found in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    pub name: String,
    /// `path:line (how)`, at most five.
    pub sites: Vec<String>,
    pub trust_center: Option<String>,
}

/// A model the scan found (an artifact file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: String,
    pub artifact: String,
}

/// Every pointer of the report (controls' evidence, findings' evidence and context: what
/// needs each control).
fn pointers(report: &Report) -> impl Iterator<Item = &PointerOut> {
    report.controls.iter().flat_map(|c| c.evidence.iter()).chain(
        report
            .findings
            .iter()
            .flat_map(|f| f.evidence.iter().chain(&f.context)),
    )
}

fn site(p: &PointerOut, how: &str, multi: bool) -> String {
    let mut s = String::new();
    if multi {
        let _ = write!(s, "{}/", p.target);
    }
    s.push_str(&p.path);
    if let Some(l) = p.line {
        let _ = write!(s, ":{l}");
    }
    let _ = write!(s, " ({how})");
    s
}

/// AI vendors in use, from the report's usage pointers, in order of first appearance.
pub fn detected_vendors(report: &Report) -> Vec<Vendor> {
    let multi = report.targets.len() > 1;
    let mut out: Vec<Vendor> = Vec::new();
    for p in pointers(report) {
        let Some(Subject::Usage { item, how, docs }) = &p.subject else {
            continue;
        };
        let s = site(p, how, multi);
        match out.iter_mut().find(|v| &v.name == item) {
            Some(v) => {
                if !v.sites.contains(&s) && v.sites.len() < 5 {
                    v.sites.push(s);
                }
            }
            None => out.push(Vendor {
                name: item.clone(),
                sites: vec![s],
                trust_center: docs.clone(),
            }),
        }
    }
    out
}

/// Vendors with a register entry: the labels of the passing entries of the controls that
/// call for the vendor register (`init: vendor-register`).
fn registered(report: &Report, asks: &Asks) -> BTreeSet<String> {
    report
        .controls
        .iter()
        .filter(|c| asks.ids(VENDOR_REGISTER).any(|id| id == c.id))
        .flat_map(|c| c.evidence.iter())
        .filter_map(|p| p.label.clone())
        .collect()
}

/// A model's name from its artifact path: the file name without its extensions (`.dvc`
/// first), or the directory's name for fixed file names (`MLmodel`, `saved_model.pb`).
pub fn model_name(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let file = *parts.last()?;
    let dir = parts.len().checked_sub(2).map(|i| parts[i]);
    let base = match file {
        "MLmodel" | "saved_model.pb" | "dvc.yaml" | "dvc.lock" | "config.pbtxt" => dir?,
        f => {
            let f = f.strip_suffix(".dvc").unwrap_or(f);
            f.rsplit_once('.').map_or(f, |(stem, _)| stem)
        }
    };
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches(|c| c == '.' || c == '-').to_string();
    (!clean.is_empty()).then_some(clean)
}

/// Models found (artifact files), by name.
pub fn detected_models(report: &Report) -> Vec<Model> {
    let mut out: Vec<Model> = Vec::new();
    for p in pointers(report) {
        let is_artifact = matches!(&p.subject, Some(Subject::Artifact { label }) if label == MODEL_ARTIFACT);
        if !is_artifact {
            continue;
        }
        let Some(name) = model_name(&p.path) else { continue };
        if !out.iter().any(|m| m.name == name) {
            out.push(Model {
                name,
                artifact: p.path.clone(),
            });
        }
    }
    out
}

fn control<'a>(report: &'a Report, id: &str) -> Option<&'a crate::report::ControlOut> {
    report.controls.iter().find(|c| c.id == id)
}

fn gap(report: &Report, id: &str) -> bool {
    control(report, id).is_some_and(|c| c.status == Status::Gap)
}

/// The starter files, by the name a control's `init:` gives them.
const VENDOR_REGISTER: &str = "vendor-register";
const LINEAGE_RECORD: &str = "lineage-record";
const AI_PLAYBOOK: &str = "ai-playbook";
const TABLETOP_RECORD: &str = "tabletop-record";
const ACCESS_REVIEW_RECORD: &str = "access-review-record";

/// Which controls ask for which starter file (`init:` in their YAML).
struct Asks<'a>(&'a ControlSet);

impl Asks<'_> {
    fn ids<'s>(&'s self, template: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.0
            .controls
            .iter()
            .filter(move |c| c.init.as_deref() == Some(template))
            .map(|c| c.id.as_str())
    }

    /// True when a control asking for `template` has a gap.
    fn gap(&self, report: &Report, template: &str) -> bool {
        self.ids(template).any(|id| gap(report, id))
    }

    /// The status of the controls asking for `template`: not applicable when one of them
    /// is, else the last one's (`None`: none was evaluated).
    fn status(&self, report: &Report, template: &str) -> Option<Status> {
        let statuses: Vec<Status> = self
            .ids(template)
            .filter_map(|id| control(report, id).map(|c| c.status))
            .collect();
        if statuses.contains(&Status::NotApplicable) {
            return Some(Status::NotApplicable);
        }
        statuses.last().copied()
    }
}

/// The starter files this report calls for, and the ones it does not.
pub fn plan(report: &Report, controls: &ControlSet) -> (Vec<Template>, Vec<NotNeeded>) {
    let asks = Asks(controls);
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let vendors = detected_vendors(report);
    let models = detected_models(report);

    // Vendor register.
    let have = registered(report, &asks);
    let missing: Vec<&Vendor> = vendors.iter().filter(|v| !have.contains(&v.name)).collect();
    if vendors.is_empty() {
        skipped.push(NotNeeded {
            what: "AI vendor register",
            why: "no AI vendor detected in the code".into(),
        });
    } else if missing.is_empty() {
        skipped.push(NotNeeded {
            what: "AI vendor register",
            why: "every detected AI vendor already has a register entry".into(),
        });
    } else {
        out.push(Template {
            path: "compliance/ai-vendor-register.md".into(),
            what: format!(
                "AI vendor register: {}",
                missing
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            content: vendor_register(&missing),
        });
    }

    // Lineage: only when no lineage record exists at all.
    let lineage_absent = report.findings.iter().any(|f| {
        asks.ids(LINEAGE_RECORD).any(|id| id == f.control_id)
            && f.evidence.iter().all(|p| {
                // An absence gap points where the record should be, with no line.
                p.line.is_none() && p.label.as_deref().is_some_and(|l| l.starts_with("expected here"))
            })
    });
    if asks.gap(report, LINEAGE_RECORD) && lineage_absent {
        if models.is_empty() {
            out.push(Template {
                path: "ml/lineage/model.md".into(),
                what: "training-data lineage record (model name TODO)".into(),
                content: lineage(None),
            });
        }
        for m in &models {
            out.push(Template {
                path: PathBuf::from("ml/lineage").join(format!("{}.md", m.name)),
                what: format!("training-data lineage record for {}", m.name),
                content: lineage(Some(m)),
            });
        }
    } else {
        skipped.push(NotNeeded {
            what: "lineage records",
            why: match asks.status(report, LINEAGE_RECORD) {
                None => "the lineage control was not evaluated".into(),
                Some(Status::NotApplicable) => "no model artifact or training code detected".into(),
                Some(Status::Pass) => "every lineage record is complete".into(),
                _ => "lineage records exist; complete the fields the report lists".into(),
            },
        });
    }

    // AI incident playbook.
    if asks.gap(report, AI_PLAYBOOK) {
        out.push(Template {
            path: "docs/security/ai-incident-response-playbook.md".into(),
            what: "AI incident response playbook (six AI scenarios)".into(),
            content: playbook(&vendors, &models),
        });
    } else {
        skipped.push(NotNeeded {
            what: "AI incident response playbook",
            why: match asks.status(report, AI_PLAYBOOK) {
                None => "the AI scenario control was not evaluated".into(),
                Some(Status::NotApplicable) => "no AI system detected".into(),
                _ => "the incident response plan already covers the AI scenarios".into(),
            },
        });
    }

    if asks.gap(report, TABLETOP_RECORD) {
        out.push(Template {
            path: "compliance/tabletops/TEMPLATE-tabletop-exercise.md".into(),
            what: "tabletop exercise record template (copy one per quarter)".into(),
            content: tabletop(),
        });
    } else {
        skipped.push(NotNeeded {
            what: "tabletop exercise template",
            why: "tabletop records are not missing".into(),
        });
    }

    if asks.gap(report, ACCESS_REVIEW_RECORD) {
        out.push(Template {
            path: "compliance/access-reviews/TEMPLATE-access-review.md".into(),
            what: "access review record template (copy one per quarter)".into(),
            content: access_review(&vendors),
        });
    } else {
        skipped.push(NotNeeded {
            what: "access review template",
            why: "access review records are not missing".into(),
        });
    }
    (out, skipped)
}

/// Writes the starter files under `root`. Never overwrites an existing file unless `force`.
pub fn init(
    root: &Path,
    report: &Report,
    controls: &ControlSet,
    force: bool,
) -> Result<InitOutcome, crate::fswrite::WriteError> {
    let (templates, not_needed) = plan(report, controls);
    let mut files = Vec::new();
    for t in templates {
        let action = write_one(root, &t.path, &t.content, force)?;
        files.push(InitFile {
            path: t.path,
            what: t.what,
            action,
        });
    }
    Ok(InitOutcome { files, not_needed })
}

/// Writes one starter file through [`crate::fswrite`]: no link is followed at any
/// component of its path, so a linked `compliance/` cannot send it outside the target.
fn write_one(
    root: &Path,
    rel: &Path,
    content: &str,
    force: bool,
) -> Result<Action, crate::fswrite::WriteError> {
    use crate::fswrite::{write_inside, Mode, WriteError, Written};
    if let Ok(m) = std::fs::symlink_metadata(root.join(rel)) {
        if m.file_type().is_symlink() {
            return Ok(Action::Refused("a symbolic link; not written through".into()));
        }
    }
    let mode = if force { Mode::Replace } else { Mode::CreateNew };
    match write_inside(root, rel, content.as_bytes(), mode) {
        Ok(Written::Created) => Ok(Action::Created),
        Ok(Written::Replaced) => Ok(Action::Overwritten),
        Ok(Written::Exists) => Ok(Action::Kept),
        Err(e @ WriteError::Refused { .. }) => Ok(Action::Refused(e.to_string())),
        Err(e) => Err(e),
    }
}

const FILL_NOTE: &str =
    "Replace every TODO with the real value: a template is not evidence until it is filled in.";
/// For the files whose fields the checks read value by value.
const FIELDS_NOTE: &str = "Until then redflag reports each field still marked TODO as incomplete.";

fn vendor_register(vendors: &[&Vendor]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# AI vendor register\n\n- Owner: TODO (name and role of whoever keeps this register)\n- Review cadence: quarterly for AI providers\n\nWritten by `redflag init` for the AI providers found in the code that no register listed. {FILL_NOTE} {FIELDS_NOTE} The checklist per vendor follows the due diligence an auditor samples: a SOC 2 Type II report no older than 12 months covering confidentiality and privacy, a signed DPA, subprocessors, a deletion timeline, breach notification and data residency.\n"
    );
    for v in vendors {
        let _ = writeln!(s, "## {}\n", v.name);
        let _ = writeln!(s, "- Service: TODO (what the product uses {} for)", v.name);
        let _ = writeln!(s, "- Detected in: {}", v.sites.join(", "));
        s.push_str(
            "- Data shared: TODO (categories of customer data sent in prompts, files or fine-tuning)\n",
        );
        s.push_str("- Risk tier: TODO (providers that receive customer data are usually the highest tier)\n");
        s.push_str("- Owner: TODO (who is accountable for this vendor)\n");
        if let Some(url) = &v.trust_center {
            let _ = writeln!(s, "- Trust center: {url}");
        }
        s.push_str("- SOC 2 Type II report: TODO (say Type II and give the period end date, YYYY-MM-DD)\n");
        s.push_str("- TSC covered: TODO (the criteria the report covers; it must include Confidentiality and Privacy)\n");
        s.push_str("- DPA: TODO (signed, with the signature date)\n");
        s.push_str("- Subprocessors: TODO (where the list is published and when you reviewed it)\n");
        s.push_str(
            "- Data deletion: TODO (how long inputs and outputs are kept, and how they are deleted)\n",
        );
        s.push_str("- Breach notification: TODO (the notification window and the contract clause)\n");
        s.push_str("- Data residency: TODO (regions where data is processed and stored)\n\n");
    }
    s
}

fn lineage(model: Option<&Model>) -> String {
    let (name, training) = match model {
        Some(m) => (m.name.clone(), format!("{} (artifact {})", m.name, m.artifact)),
        None => (
            "TODO model name".to_string(),
            "TODO (model name and version, artifact path)".to_string(),
        ),
    };
    format!(
        "# Training data lineage — {name}\n\nOne record per model version, written by `redflag init`. {FILL_NOTE} {FIELDS_NOTE}\n\n\
- Dataset name: TODO (name and version of the training snapshot)\n\
- Source system: TODO (the system, export or vendor the data comes from)\n\
- Consent basis: TODO (the contract clause, privacy-notice section or consent record that allows training on it)\n\
- Classification: TODO (for example customer confidential with personal data, or internal with no personal data)\n\
- Anonymization method: TODO (how personal data is removed or pseudonymised; required when the data is personal)\n\
- Training model: {training}\n\
- Retention policy: TODO (how long the snapshot is kept after the model is retired)\n\
- Deletion mechanism: TODO (the job, lifecycle rule or runbook that deletes it, including on a customer's request)\n\
- Last compliance review: TODO (review date as YYYY-MM-DD, reviewer, outcome)\n"
    )
}

/// The six AI scenarios: name, what it is, the source's suggested values.
const SCENARIOS: [(&str, &str, &str); 6] = [
    (
        "Prompt injection",
        "Instructions hidden in user input or in retrieved content (documents, e-mails, web pages) that make the model ignore its instructions, leak data or misuse its tools.",
        "high; block the input pattern, update the filter and its tests, audit the logs for earlier attempts; CISO, ML team lead, legal; 2 hours",
    ),
    (
        "Jailbreak",
        "A user makes the model ignore its system prompt or safety rules and produce content or actions it must not.",
        "medium, high if the output reached a customer; suspend the user, add the prompt to the red-team suite, review the guardrails; ML team lead, the customer's admin; 8 hours",
    ),
    (
        "Training-data poisoning",
        "Manipulated records or labels in a training or fine-tuning dataset that bias or backdoor the model.",
        "high; freeze the snapshot, compare it with the last clean one, retrain from clean data, keep the serving version until the new one passes validation; head of ML, CISO, the data owner; 4 hours to freeze",
    ),
    (
        "Model extraction or theft",
        "Systematic queries that reconstruct the model, or access to model weights outside the deployment pipeline.",
        "critical; revoke the credentials involved, rate-limit, rotate registry and storage access, review access logs; CEO, CISO, legal; 1 hour",
    ),
    (
        "Data leakage through memorization",
        "The model reproduces training data or another customer's data in its output.",
        "critical; take the model offline, apply an output filter, identify affected records, start the privacy breach assessment; CEO, CISO, legal, privacy officer, board; 1 hour",
    ),
    (
        "Model drift anomaly",
        "A drift alert or a sudden change in the model's outputs or decision rates.",
        "medium; confirm on the dashboards, restore the previous model version if decisions are affected, root-cause analysis; ML team lead; 8 hours",
    ),
];

fn playbook(vendors: &[Vendor], models: &[Model]) -> String {
    let mut systems: Vec<String> = vendors
        .iter()
        .map(|v| format!("{} (AI provider)", v.name))
        .collect();
    systems.extend(
        models
            .iter()
            .map(|m| format!("{} (model, {})", m.name, m.artifact)),
    );
    if systems.is_empty() {
        systems.push("TODO (the AI features, providers and models this playbook covers)".into());
    }
    let mut s = format!(
        "# AI incident response playbook\n\n\
- Owner: TODO (name and role)\n\
- Version: TODO\n\
- Approved by: TODO (name, approval date)\n\
- Systems covered: {}\n\n\
Written by `redflag init`. It extends the incident response plan with the ways an AI system fails; the general lifecycle, roles and customer-notice rules stay in the plan. {FILL_NOTE} Rehearse one scenario every quarter in a tabletop exercise (compliance/tabletops/) and update this playbook with what it teaches.\n",
        systems.join(", ")
    );
    for (name, what, hint) in SCENARIOS {
        let mut parts = hint.split("; ");
        let sev = parts.next().unwrap_or("");
        let resp = parts.next().unwrap_or("");
        let notify = parts.next().unwrap_or("");
        let time = parts.next().unwrap_or("");
        let _ = write!(
            s,
            "\n## {name}\n\n{what}\n\n\
- Severity: TODO (for example {sev})\n\
- Response: TODO (the steps, for example {resp})\n\
- Notify: TODO (the roles, for example {notify})\n\
- Response time: TODO (the time to contain, for example {time})\n"
        );
    }
    s
}

fn tabletop() -> String {
    format!(
        "# Tabletop exercise — TODO scenario\n\n\
This is a template, written by `redflag init`, and it holds no date, so it is not a record of an exercise. Copy it for each quarter's exercise, name the copy after the quarter and the scenario (for example `compliance/tabletops/YYYY-qN-prompt-injection.md`) and fill it in. {FILL_NOTE} The auditor expects one AI incident exercise in each quarter of the observation window.\n\n\
- Date: TODO (the day it was held, YYYY-MM-DD)\n\
- Facilitator: TODO\n\
- Participants: TODO (names and roles; incident commander, ML, security, legal, customer success)\n\
- Scenario: TODO (an AI scenario of the playbook; prompt injection, jailbreak, training-data poisoning, model extraction, memorization leak or model drift)\n\
- Duration: TODO\n\n\
## Timeline walked through\n\n1. TODO\n\n\
## Findings\n\n- TODO (what worked, what did not, the time to contain against the playbook's target)\n\n\
## Playbook changes\n\n- TODO (what changed in the AI incident response playbook, and its new version)\n"
    )
}

fn access_review(vendors: &[Vendor]) -> String {
    let mut systems = vec![
        "model registry and weight storage".to_string(),
        "training data storage".to_string(),
        "inference endpoints and the cluster serving them".to_string(),
    ];
    systems.extend(vendors.iter().map(|v| format!("{} console and API keys", v.name)));
    format!(
        "# Access review — TODO quarter\n\n\
This is a template, written by `redflag init`, and it holds no date, so it is not a record of a review. Copy it every quarter, name the copy after the quarter (for example `compliance/access-reviews/YYYY-QN.md`) and fill it in. {FILL_NOTE}\n\n\
- Date: TODO (the day of the review, YYYY-MM-DD)\n\
- Reviewer: TODO (name and role; not one of the people whose access is reviewed)\n\
- Scope: {}\n\n\
| Account | System | Access | Decision | Notes |\n\
|---|---|---|---|---|\n\
| TODO | TODO | TODO | TODO (keep, revoke or modify) | TODO |\n\n\
- Follow-ups: TODO (the ticket for each revoke or modify decision, and when it was done)\n",
        systems.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_knows_every_starter_file() {
        let names = [
            VENDOR_REGISTER,
            LINEAGE_RECORD,
            AI_PLAYBOOK,
            TABLETOP_RECORD,
            ACCESS_REVIEW_RECORD,
        ];
        assert_eq!(names, crate::control::INIT_TEMPLATES);
    }

    #[test]
    fn model_names_come_from_artifact_paths() {
        assert_eq!(model_name("models/churn-v3.joblib").as_deref(), Some("churn-v3"));
        assert_eq!(model_name("ml/fraud.onnx.dvc").as_deref(), Some("fraud"));
        assert_eq!(model_name("export/ranker/MLmodel").as_deref(), Some("ranker"));
        assert_eq!(model_name("a/../../etc/x y.pt").as_deref(), Some("x-y"));
        assert_eq!(model_name("MLmodel"), None);
        assert_eq!(model_name("..pt"), None);
    }

    #[test]
    fn record_templates_hold_no_date() {
        for t in [tabletop(), access_review(&[])] {
            assert!(crate::date::find_dates(&t).is_empty(), "{t}");
        }
    }
}
