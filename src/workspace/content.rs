//! What makes a file an evidence document of a kind, beyond its name: the content rules of
//! `controls/documents.yaml` (`content:`), and the folders whose documents are not the
//! company's evidence (`not_evidence:`). One generic interpreter, no kind hard-coded: a
//! vendor register is a vendor register because its table has a vendor column and a
//! due-diligence column, not because its file name contains "vendor".
//!
//! Documents are untrusted: every test here is linear in the document (each term is one
//! substring search over a bounded, normalised copy of the text), and the copy is capped.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::document::{Document, RecordKind};
use crate::text::norm_words;

/// At most this many bytes of a document's text are searched for words and dates: the
/// structure that identifies a document is near its top, and the cost stays bounded.
const MAX_TEXT: usize = 1 << 20;
/// At most this many headings and field keys are looked at.
const MAX_KEYS: usize = 20_000;

/// `content:` of a document kind, as written in `documents.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentSpec {
    /// Groups of terms; every group must be met.
    #[serde(default)]
    pub require: Vec<GroupSpec>,
    /// A date must appear (ISO date, quarter, month and year) in the text or the file path.
    /// Waived for an unfilled template, which is reported as incomplete instead.
    #[serde(default)]
    pub date: bool,
}

/// One requirement: at least `min_matches` distinct terms found, each term looked for in
/// the places its list names. A term is words matched on normalised text (case, spaces and
/// punctuation ignored, whole words); `a|b` are alternatives of one term, and a trailing `*`
/// matches any word ending (`escalat*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// What the group stands for, in the report's note (`incident-response structure`).
    pub what: String,
    /// Terms looked for in Markdown headings.
    #[serde(default)]
    pub any_heading: Vec<String>,
    /// Terms looked for in field keys: table columns, CSV headers, `Key: value` keys,
    /// YAML/JSON keys, front matter keys.
    #[serde(default)]
    pub any_key: Vec<String>,
    /// Terms looked for anywhere in the text.
    #[serde(default)]
    pub any_word: Vec<String>,
    #[serde(default = "one")]
    pub min_matches: usize,
}

fn one() -> usize {
    1
}

/// `not_evidence:` of `documents.yaml`: where documents are not the company's evidence.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotEvidenceSpec {
    /// Directory-name globs (`node_modules`, `.claude`, `seed*`), any depth.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// File-name globs (`AGENTS.md`).
    #[serde(default)]
    pub names: Vec<String>,
    /// Path globs from the target root (`.github/copilot*`).
    #[serde(default)]
    pub paths: Vec<String>,
}

/// What a document's summary in the report counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Table rows, CSV rows, YAML/JSON list items, sections with fields.
    #[default]
    Entries,
    /// Headings.
    Sections,
    /// Lines that are neither blank nor `#` comments (CODEOWNERS rules).
    Lines,
}

impl Count {
    /// `7 entries`, `1 section`; entries fall back to sections, then lines, when the
    /// document has none.
    pub fn summary(self, doc: &Document) -> String {
        // Rows and list items when there are any (an access review's accounts, not its
        // `Date:`/`Reviewer:` header); otherwise sections with fields (lineage records).
        let entries = || {
            let with_fields = |r: &&super::document::Record| !r.fields.is_empty();
            let rows = doc
                .records
                .iter()
                .filter(with_fields)
                .filter(|r| {
                    matches!(
                        r.kind,
                        RecordKind::TableRow | RecordKind::CsvRow | RecordKind::Mapping
                    )
                })
                .count();
            if rows > 0 {
                return rows;
            }
            doc.records
                .iter()
                .filter(with_fields)
                .filter(|r| r.kind != RecordKind::Document || r.fields.len() >= 2)
                .count()
        };
        let sections = || {
            doc.records
                .iter()
                .filter(|r| matches!(r.kind, RecordKind::Heading(_)))
                .count()
        };
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if self == Count::Lines {
            let n = doc
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .count();
            return plural(n, "line", "lines");
        }
        let n = if self == Count::Entries { entries() } else { 0 };
        if n > 0 {
            return plural(n, "entry", "entries");
        }
        let s = sections();
        if s > 0 {
            return plural(s, "section", "sections");
        }
        plural(doc.line_count(), "line", "lines")
    }
}

/// One term: its alternatives, each a list of words (the last may be a prefix).
#[derive(Debug, Clone)]
struct Term {
    shown: String,
    alternatives: Vec<(String, bool)>,
}

impl Term {
    fn new(src: &str) -> Option<Self> {
        let alternatives: Vec<(String, bool)> = src
            .split('|')
            .filter_map(|a| {
                let a = a.trim();
                let prefix = a.ends_with('*');
                let n = norm_words(a.trim_end_matches('*'));
                (!n.is_empty()).then_some((n, prefix))
            })
            .collect();
        let shown = src.split('|').next().unwrap_or(src).trim().trim_end_matches('*');
        (!alternatives.is_empty()).then(|| Term {
            shown: shown.to_string(),
            alternatives,
        })
    }

    /// True when `hay` (normalised, padded with a space each side) holds the term.
    fn in_padded(&self, hay: &str) -> bool {
        self.alternatives.iter().any(|(words, prefix)| {
            let needle = format!(" {words}{}", if *prefix { "" } else { " " });
            hay.contains(&needle)
        })
    }
}

#[derive(Debug, Clone)]
struct Group {
    what: String,
    headings: Vec<Term>,
    keys: Vec<Term>,
    words: Vec<Term>,
    min: usize,
}

/// A `content:` group that can never be met (it needs more matches than it lists terms).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("content group `{what}` needs {min} matches but lists {terms} terms")]
pub struct Unmeetable {
    what: String,
    min: usize,
    terms: usize,
}

/// What a document named like a kind lacks of the kind's content (`no severity,
/// escalation…; no date`), for a note saying why it is not used as evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Lacking(pub String);

/// A compiled `content:` rule.
#[derive(Debug, Clone)]
pub struct ContentRule {
    groups: Vec<Group>,
    date: bool,
}

impl ContentSpec {
    /// Compiles the rule; `Err` names a group that can never be met.
    pub fn compile(&self) -> Result<ContentRule, Unmeetable> {
        let mut groups = Vec::new();
        for g in &self.require {
            let terms = |v: &[String]| v.iter().filter_map(|t| Term::new(t)).collect::<Vec<_>>();
            let group = Group {
                what: g.what.clone(),
                headings: terms(&g.any_heading),
                keys: terms(&g.any_key),
                words: terms(&g.any_word),
                min: g.min_matches.max(1),
            };
            let distinct: BTreeSet<&str> = group
                .headings
                .iter()
                .chain(&group.keys)
                .chain(&group.words)
                .map(|t| t.shown.as_str())
                .collect();
            if distinct.len() < group.min {
                return Err(Unmeetable {
                    what: g.what.clone(),
                    min: group.min,
                    terms: distinct.len(),
                });
            }
            groups.push(group);
        }
        Ok(ContentRule {
            groups,
            date: self.date,
        })
    }
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)\b(?:(?:19|20)\d\d-[01]?\d-[0-3]?\d|(?:19|20)\d\d[-_ ]?q[1-4]|q[1-4][-_ ]?(?:19|20)\d\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,? (?:19|20)\d\d|[0-3]?\d[./][01]?\d[./](?:19|20)\d\d)\b",
    )
    .unwrap()
});

/// Lower-case words of `s` separated by single spaces, with a space at each end.
fn padded(s: &str) -> String {
    format!(" {} ", norm_words(s))
}

impl ContentRule {
    /// `Ok` when the document has the kind's content; otherwise what it lacks, for a note
    /// (`no severity, escalation, containment…`).
    pub fn check(&self, path: &str, doc: &Document) -> Result<(), Lacking> {
        let mut headings = String::from(" ");
        let mut keys = String::from(" ");
        let mut n = 0usize;
        for r in &doc.records {
            if n >= MAX_KEYS {
                break;
            }
            if matches!(r.kind, RecordKind::Heading(_)) {
                headings.push_str(&norm_words(&r.title));
                headings.push_str(" \u{1} ");
                n += 1;
            }
            for f in &r.fields {
                if n >= MAX_KEYS {
                    break;
                }
                // Separated so a term never spans two keys.
                keys.push_str(&f.norm);
                keys.push_str(" \u{1} ");
                n += 1;
            }
        }
        // Markdown text is split into words once; a heading's words are words of the text.
        let text = {
            let mut end = doc.text.len().min(MAX_TEXT);
            while !doc.text.is_char_boundary(end) {
                end -= 1;
            }
            padded(&doc.text[..end])
        };
        let mut missing = Vec::new();
        for g in &self.groups {
            let mut found: BTreeSet<&str> = BTreeSet::new();
            for t in &g.headings {
                if t.in_padded(&headings) {
                    found.insert(&t.shown);
                }
            }
            for t in &g.keys {
                if t.in_padded(&keys) {
                    found.insert(&t.shown);
                }
            }
            for t in &g.words {
                if t.in_padded(&text) {
                    found.insert(&t.shown);
                }
            }
            if found.len() < g.min {
                missing.push(describe_missing(g, &found));
            }
        }
        if self.date && !doc.is_template() {
            let mut end = doc.text.len().min(MAX_TEXT);
            while !doc.text.is_char_boundary(end) {
                end -= 1;
            }
            if !DATE.is_match(&doc.text[..end]) && !DATE.is_match(path) {
                missing.push("no date".to_string());
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Lacking(missing.join("; ")))
        }
    }
}

/// `no severity, escalation, containment…` or `only severity (needs 3 of: …)`.
fn describe_missing(g: &Group, found: &BTreeSet<&str>) -> String {
    // Words first: they name the structure most plainly (severity, escalation…).
    let mut terms: Vec<&str> = Vec::new();
    for t in g.words.iter().chain(&g.keys).chain(&g.headings) {
        if !terms.contains(&t.shown.as_str()) {
            terms.push(&t.shown);
        }
    }
    let absent: Vec<&str> = terms.iter().copied().filter(|t| !found.contains(t)).collect();
    let list = |v: &[&str]| {
        let shown: Vec<&str> = v.iter().copied().take(4).collect();
        format!("{}{}", shown.join(", "), if v.len() > 4 { "…" } else { "" })
    };
    if found.is_empty() {
        format!("{}: no {}", g.what, list(&absent))
    } else {
        let found: Vec<&str> = found.iter().copied().collect();
        format!(
            "{}: only {}, needs {} of them (no {})",
            g.what,
            found.join(", "),
            g.min,
            list(&absent)
        )
    }
}

/// Compiled `not_evidence:`.
#[derive(Debug, Default)]
pub struct NotEvidence {
    pub dirs: Option<crate::workspace::matcher::Globs>,
    pub names: Option<crate::workspace::matcher::Globs>,
    pub paths: Option<crate::workspace::matcher::Globs>,
}

impl NotEvidence {
    /// True when a document at `path` (relative to its target) is not the company's
    /// evidence: it sits in a dependency, agent-instruction, test or fixture folder, or is
    /// an agent-instruction file.
    pub fn covers(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let (dirs, name) = parts.split_at(parts.len().saturating_sub(1));
        let name = name.first().copied().unwrap_or("");
        self.dirs
            .as_ref()
            .is_some_and(|g| dirs.iter().any(|d| g.is_match(d)))
            || self.names.as_ref().is_some_and(|g| g.is_match(name))
            || self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::document::parse;

    fn rule(yaml: &str) -> ContentRule {
        let spec: ContentSpec = serde_saphyr::from_str(yaml).unwrap();
        spec.compile().unwrap()
    }

    #[test]
    fn terms_match_whole_words_prefixes_and_alternatives() {
        let t = Term::new("escalat*").unwrap();
        assert!(t.in_padded(&padded("We escalate to the CTO")));
        assert!(!t.in_padded(&padded("unescalated")));
        let t = Term::new("containment|contain").unwrap();
        assert!(t.in_padded(&padded("Contain: isolate pods")));
        assert!(!t.in_padded(&padded("container images")));
        let t = Term::new("on-call").unwrap();
        assert!(t.in_padded(&padded("the On Call engineer")));
        assert!(Term::new(" * ").is_none());
    }

    #[test]
    fn ir_plan_needs_its_structure() {
        let r = rule(
            "require:\n  - what: incident-response structure\n    any_word: [severity, escalat*, containment|contain, post-incident|postmortem]\n    min_matches: 2\n",
        );
        let (plan, _) = parse(
            "ir.md",
            "# IR\n## Severity levels\nSEV1\n## Escalation\nPage the on-call.\n",
        );
        assert!(r.check("ir.md", &plan).is_ok());
        let (guide, _) = parse(
            "datadog-playbook.md",
            "# Datadog Query Playbook\n## Log sweep\nquery logs\n",
        );
        let err = r.check("datadog-playbook.md", &guide).unwrap_err().0;
        assert_eq!(
            err,
            "incident-response structure: no severity, escalat, containment, post-incident"
        );
    }

    #[test]
    fn keys_and_dates() {
        let r = rule("require:\n  - what: a vendor column\n    any_key: [vendor, provider]\ndate: true\n");
        let (doc, _) = parse("v.md", "| Vendor | DPA |\n|---|---|\n| OpenAI | yes |\n");
        assert_eq!(r.check("v.md", &doc).unwrap_err().0, "no date");
        assert!(r.check("reviews/2026-Q1.md", &doc).is_ok());
        let (doc, _) = parse("v.md", "Vendors: OpenAI\nReviewed 2026-03-01\n");
        assert_eq!(
            r.check("v.md", &doc).unwrap_err().0,
            "a vendor column: no vendor, provider"
        );
    }

    #[test]
    fn group_with_too_few_terms_is_an_error() {
        let spec: ContentSpec =
            serde_saphyr::from_str("require:\n  - what: x\n    any_word: [a]\n    min_matches: 2\n").unwrap();
        assert!(spec.compile().is_err());
    }

    #[test]
    fn not_evidence_folders() {
        let g = |v: &[&str]| {
            Some(
                crate::workspace::matcher::glob_set(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                    .unwrap(),
            )
        };
        let ne = NotEvidence {
            dirs: g(&["node_modules", ".claude", "seed*", "tests"]),
            names: g(&["AGENTS.md"]),
            paths: g(&[".github/copilot*"]),
        };
        assert!(ne.covers(".claude/skills/vendor-register.md"));
        assert!(ne.covers("db/seeds/vendors.csv"));
        assert!(ne.covers("tests/fixtures/x/vendors.md"));
        assert!(ne.covers("AGENTS.md"));
        assert!(ne.covers(".github/copilot-instructions.md"));
        assert!(!ne.covers("compliance/vendors.md"));
        assert!(!ne.covers("docs/testing-vendors.md"));
    }
}
