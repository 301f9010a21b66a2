//! Baselines: the gaps a team already knows about, so CI fails only on new ones. A small,
//! sorted, diff-friendly JSON file of fingerprints (which do not depend on line numbers)
//! with the control, path, message and the date each was first seen.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::date::{parse_iso, Date};
use crate::report::Report;

pub const DEFAULT_PATH: &str = ".redflag/baseline.json";

/// One known finding of a baseline file (the report lists the fixed ones).
pub use crate::report::BaselineEntry as Entry;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    redflag_baseline: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Where it came from (`path`, or `git:REF` for `--new-since`).
    pub source: String,
    pub entries: Vec<Entry>,
}

impl Baseline {
    /// Reads a baseline named on the command line or by a trusted config file. A baseline
    /// found through a target's config is read by `settings` (no link, no special file, a
    /// size cap) and handed to [`Baseline::parse`].
    pub fn read(path: &Path) -> Result<Self, super::Error> {
        let text = std::fs::read_to_string(path).map_err(|source| super::Error::ReadBaseline {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses a baseline file's text; `source` names it in errors and in the report. Its
    /// entries are shown in reports (the fixed ones) and the file may come from the scanned
    /// repository, so every text is made safe to show ([`crate::redact::shown`]: redacted,
    /// control characters escaped), as is the parser's message, which may quote the file.
    /// Entries written by redflag are unchanged by this (redaction is idempotent).
    pub fn parse(source: &str, text: &str) -> Result<Self, super::Error> {
        let file: File = serde_json::from_str(text).map_err(|e| super::Error::InvalidBaseline {
            file: crate::redact::shown(source),
            line: e.line(),
            message: crate::redact::shown(&e.to_string()),
        })?;
        if file.redflag_baseline != 1 {
            return Err(super::Error::BaselineVersion {
                file: source.to_string(),
                version: file.redflag_baseline.into(),
            });
        }
        let shown = |s: &str| crate::redact::shown(s);
        let entries = file
            .findings
            .into_iter()
            .map(|e| Entry {
                fingerprint: shown(&e.fingerprint),
                control_id: shown(&e.control_id),
                path: shown(&e.path),
                message: shown(&e.message),
                first_seen: shown(&e.first_seen),
                expires: e.expires.as_deref().map(shown),
            })
            .collect();
        Ok(Self {
            source: source.to_string(),
            entries,
        })
    }

    /// The findings of a report as a baseline; `previous` keeps first-seen dates and
    /// expiries of entries that are still present.
    pub fn from_report(report: &Report, previous: Option<&Baseline>, as_of: Date) -> Self {
        let mut entries: Vec<Entry> = report
            .findings
            .iter()
            .map(|f| {
                let old = previous.and_then(|p| p.entries.iter().find(|e| e.fingerprint == f.fingerprint));
                Entry {
                    fingerprint: f.fingerprint.clone(),
                    control_id: f.control_id.to_string(),
                    path: f.evidence.first().map(|p| p.path.clone()).unwrap_or_default(),
                    message: f.message.clone(),
                    first_seen: old.map_or_else(|| as_of.to_string(), |e| e.first_seen.clone()),
                    expires: old.and_then(|e| e.expires.clone()),
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.control_id, &a.path, &a.fingerprint).cmp(&(&b.control_id, &b.path, &b.fingerprint))
        });
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Self {
            source: String::new(),
            entries,
        }
    }

    /// Only the entries still present in `report` (tightening: nothing new is added).
    #[must_use]
    pub fn tightened(&self, report: &Report) -> Self {
        let present: std::collections::BTreeSet<&str> =
            report.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        Self {
            source: self.source.clone(),
            entries: self
                .entries
                .iter()
                .filter(|e| present.contains(e.fingerprint.as_str()))
                .cloned()
                .collect(),
        }
    }

    pub fn knows(&self, fingerprint: &str, as_of: Date) -> bool {
        self.entries.iter().any(|e| {
            e.fingerprint == fingerprint
                && e.expires
                    .as_deref()
                    .and_then(parse_iso)
                    .is_none_or(|x| as_of <= x)
        })
    }

    pub fn to_json(&self) -> String {
        let file = File {
            redflag_baseline: 1,
            findings: self.entries.clone(),
        };
        let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
        s.push('\n');
        s
    }
}
