//! What a finding means for this run: whether it is already known (a baseline, or the tree
//! at `--new-since REF`), whether a risk acceptance covers it (a waiver in the config file
//! or an inline `redflag:ignore` comment), and from that the exit decision
//! (`--fail-on`, `--fail-on-score`, `--soft-fail`). Applied once to the report's findings
//! before any renderer runs; waived and known findings stay in the report, marked.

pub mod baseline;
pub mod waiver;

use std::collections::BTreeMap;

use crate::control::Severity;
use crate::date::Date;
use crate::report::{BaselineOut, BaselineState, FindingOut, Gate, Report, WaiverOut};

pub use baseline::Baseline;
pub use waiver::{InlineSuppression, Waiver};

/// Why a baseline or a waiver of the config cannot be used. Texts quoted from a file are
/// shown as any other text from it (escaped, secrets masked).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read baseline {path}: {source}")]
    ReadBaseline { path: String, source: std::io::Error },
    #[error("{file}:{line}: invalid baseline: {message}")]
    InvalidBaseline {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: unsupported baseline version {version}")]
    BaselineVersion { file: String, version: u64 },
    #[error("{waiver}: `{field}` is required (auditors read waivers as risk acceptances)")]
    WaiverMissing { waiver: String, field: &'static str },
    #[error("{waiver}: `expires` must be YYYY-MM-DD, found `{found}`")]
    WaiverExpiry { waiver: String, found: String },
    #[error("{waiver}: {message}")]
    WaiverPath { waiver: String, message: String },
}

/// Everything that turns findings into an exit code.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    pub fail_on: Option<Severity>,
    /// Fail when the readiness score is below this.
    pub fail_on_score: Option<f64>,
    /// Report, but always exit 0.
    pub soft_fail: bool,
    pub waivers: Vec<Waiver>,
    /// Known findings: a baseline file, or the findings of the tree at `--new-since`.
    pub baseline: Option<Baseline>,
}

/// Marks findings as known/new and waived, lists waivers and fixed baseline entries, and
/// computes the gate.
pub fn apply(report: &mut Report, policy: &Policy, inline: &[InlineSuppression], as_of: Date) {
    let mut uses = vec![0usize; policy.waivers.len()];
    let mut inline_uses = vec![0usize; inline.len()];
    for f in &mut report.findings {
        if let Some(i) = inline.iter().position(|s| s.covers(f) && s.applies(as_of)) {
            inline_uses[i] += 1;
            f.waiver = Some(inline[i].as_ref_out());
        }
        if f.waiver.is_none() {
            if let Some(i) = policy
                .waivers
                .iter()
                .position(|w| w.covers(f) && !w.expired(as_of))
            {
                uses[i] += 1;
                f.waiver = Some(policy.waivers[i].as_ref_out());
            }
        }
        if let Some(b) = &policy.baseline {
            f.baseline = Some(if b.knows(&f.fingerprint, as_of) {
                BaselineState::Known
            } else {
                BaselineState::New
            });
        }
    }
    let mut waivers: Vec<WaiverOut> = policy
        .waivers
        .iter()
        .zip(&uses)
        .map(|(w, n)| {
            let matched_expired = w.expired(as_of) && report.findings.iter().any(|f| w.covers(f));
            w.out(*n, as_of, matched_expired)
        })
        .collect();
    waivers.extend(inline.iter().zip(&inline_uses).map(|(s, n)| s.out(*n, as_of)));
    report.waivers = waivers;

    if let Some(b) = &policy.baseline {
        let present: std::collections::BTreeSet<&str> =
            report.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let fixed = b
            .entries
            .iter()
            .filter(|e| !present.contains(e.fingerprint.as_str()))
            .cloned()
            .collect();
        let new = report
            .findings
            .iter()
            .filter(|f| f.baseline == Some(BaselineState::New))
            .count();
        report.baseline = Some(BaselineOut {
            source: b.source.clone(),
            new,
            known: report.findings.len() - new,
            fixed,
        });
    }
    report.gate = gate(&report.findings, report.summary.score, policy);
}

fn gate(findings: &[FindingOut], score: Option<f64>, policy: &Policy) -> Gate {
    let failing = findings.iter().filter(|f| f.counts(policy.fail_on)).count();
    // No score (nothing examined) is not below any minimum.
    let score_below = policy
        .fail_on_score
        .is_some_and(|min| score.is_some_and(|s| s < min));
    let mut by_state: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in findings {
        *by_state.entry(f.state()).or_default() += 1;
    }
    let fails = failing > 0 || score_below;
    Gate {
        fail_on: crate::report::FailOn(policy.fail_on),
        fail_on_score: policy.fail_on_score,
        soft_fail: policy.soft_fail,
        failing_findings: failing,
        score_below,
        findings_by_state: by_state,
        exit_code: u8::from(fails && !policy.soft_fail),
    }
}
