//! Checker primitives and their composition.
//!
//! A control's `check` (and its `applies_when`) is a [`Condition`]: the primitives below,
//! combined with `all`, `any` and `not`, or a named `signal`. The primitive set is closed
//! and mirrors the YAML schema, so it is an enum with one variant per file in this folder;
//! each file holds its spec (the YAML shape), its compiled form and its evaluation.
//!
//! Evaluation is a pure function of the [`Context`] (the workspace and the as-of date): no
//! I/O, no clock. Every primitive returns an [`Outcome`]: whether it holds, the items that
//! support it, and the items that break it. `not` swaps the two, so `not: pattern` turns
//! each match into a gap item with its line.

pub mod artifact;
pub mod bucket;
pub mod cadence;
pub mod catalog;
pub mod compile;
pub mod coverage;
pub mod covered;
pub mod dependency;
pub mod document;
pub mod fields;
pub mod iam;
pub mod inventory;
pub mod mapped;
pub mod owners;
pub mod pattern;
pub mod query;
pub mod register;
pub mod workload;

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

use crate::check::catalog::Catalog;
use crate::date::Date;
use crate::evidence::Item;
use crate::workspace::Workspace;

pub use compile::{CompileCx, ConditionSpec};

/// What a condition concluded, with the items that explain it either way.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub holds: bool,
    /// Items that support the condition (the plan that exists, the matched lines).
    pub passed: Vec<Item>,
    /// Items that break it (the missing vendor entry, the missing quarter).
    pub failed: Vec<Item>,
}

impl Outcome {
    /// A condition that holds because of `items`, or fails with `absent` when there are none.
    pub fn found(items: Vec<Item>, absent: impl FnOnce() -> Item) -> Self {
        if items.is_empty() {
            Self {
                holds: false,
                passed: Vec::new(),
                failed: vec![absent()],
            }
        } else {
            Self {
                holds: true,
                passed: items,
                failed: Vec::new(),
            }
        }
    }

    /// A condition that holds when there are no failed items.
    pub fn complete(passed: Vec<Item>, failed: Vec<Item>) -> Self {
        Self {
            holds: failed.is_empty(),
            passed,
            failed,
        }
    }
}

/// A compiled condition tree.
#[derive(Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// A named detector from `controls/signals.yaml`, evaluated once per scan.
    Signal(usize),
    Check(Check),
}

/// The closed set of primitives.
#[derive(Debug)]
pub enum Check {
    Document(document::Document),
    Pattern(pattern::Pattern),
    Query(query::QueryCheck),
    Dependency(dependency::DependencyCheck),
    Artifact(artifact::Artifact),
    Inventory(inventory::Inventory),
    Register(register::Register),
    Coverage(coverage::Coverage),
    Cadence(cadence::Cadence),
    Iam(Box<iam::Iam>),
    Mapped(mapped::Mapped),
    Bucket(bucket::Bucket),
    Covered(covered::Covered),
    Owners(owners::Owners),
    Workload(workload::WorkloadCheck),
}

/// A named, shared detector (e.g. `ai-vendor-usage`, `model-serving`).
#[derive(Debug)]
pub struct Signal {
    pub id: String,
    pub description: String,
    pub when: Condition,
}

/// Display data about evidence-document kinds (for messages).
#[derive(Debug, Clone)]
pub struct DocKindInfo {
    pub id: String,
    pub title: String,
    pub patterns: Vec<String>,
    /// Where a missing document of this kind should be (`documents.yaml` `expected:`).
    pub expected: Option<String>,
    /// What the report counts in such a document (`7 entries`).
    pub count: crate::workspace::content::Count,
}

/// Everything a check may look at.
pub struct Context<'a> {
    pub ws: &'a Workspace,
    pub as_of: Date,
    pub catalogs: &'a [Catalog],
    pub signals: &'a [Signal],
    pub doc_kinds: &'a [DocKindInfo],
    /// Roles of AI providers declared in the config (`vendors:`).
    pub vendor_roles: inventory::VendorRoles,
    signal_cache: Vec<OnceLock<Outcome>>,
    /// Each catalogue's bring-your-own-key markers, found once for all its items.
    byok_cache: Vec<OnceLock<inventory::ByokMarkers>>,
    /// Each catalogue's base-URL lines and the items whose hosts they carry.
    base_url_cache: Vec<OnceLock<inventory::BaseUrls>>,
    /// Evidence documents the checks read, as (file, kind): the report names them.
    used_docs: Mutex<BTreeSet<(crate::workspace::FileId, String)>>,
}

impl<'a> Context<'a> {
    pub fn new(
        ws: &'a Workspace,
        as_of: Date,
        catalogs: &'a [Catalog],
        signals: &'a [Signal],
        doc_kinds: &'a [DocKindInfo],
    ) -> Self {
        let signal_cache = signals.iter().map(|_| OnceLock::new()).collect();
        let byok_cache = catalogs.iter().map(|_| OnceLock::new()).collect();
        let base_url_cache = catalogs.iter().map(|_| OnceLock::new()).collect();
        Self {
            ws,
            as_of,
            catalogs,
            signals,
            doc_kinds,
            vendor_roles: Default::default(),
            signal_cache,
            byok_cache,
            base_url_cache,
            used_docs: Mutex::default(),
        }
    }

    pub fn doc_kind(&self, id: &str) -> Option<&DocKindInfo> {
        self.doc_kinds.iter().find(|k| k.id == id)
    }

    /// "an incident response plan (file names like *incident*response*, *playbook*)"
    pub fn describe_kind(&self, id: &str) -> String {
        match self.doc_kind(id) {
            Some(k) => format!("{} (file names like {})", k.title, k.patterns.join(", ")),
            None => id.to_string(),
        }
    }

    /// Text files of the scanned targets whose path matches `globs`: not tests or
    /// examples, not evidence documents, not in an `--evidence` directory (the subjects of
    /// an `examines: files` list).
    pub fn files_matching(&self, globs: &globset::GlobSet) -> Vec<crate::workspace::FileId> {
        (0..self.ws.files.len())
            .filter_map(|i| crate::workspace::FileId::try_from(i).ok())
            .filter(|&id| {
                let f = self.ws.file(id);
                f.class == crate::workspace::FileClass::Text
                    && !f.flags.test
                    && !f.flags.example
                    && !f.evidence_doc
                    && !self.ws.targets[f.target as usize].evidence_only
                    && globs.is_match(&f.path)
            })
            .collect()
    }

    /// Evidence documents of a kind, in path order; each is recorded as used, so the report
    /// can say which file it took as the register, the plan or a record.
    pub fn docs_of<'s>(
        &'s self,
        kind: &'s str,
    ) -> impl Iterator<Item = &'a crate::workspace::EvidenceDoc> + 's {
        let docs: Vec<&'a crate::workspace::EvidenceDoc> = self.ws.docs_of(kind).collect();
        if let Ok(mut used) = self.used_docs.lock() {
            used.extend(docs.iter().map(|d| (d.file, kind.to_string())));
        }
        docs.into_iter()
    }

    /// The documents read so far, as (file, kind), sorted.
    pub fn used_docs(&self) -> Vec<(crate::workspace::FileId, String)> {
        self.used_docs
            .lock()
            .map(|u| u.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn signal(&self, idx: usize) -> &Outcome {
        self.signal_cache[idx].get_or_init(|| self.signals[idx].when.evaluate(self))
    }
}

impl Condition {
    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        match self {
            Condition::All(children) => {
                let mut out = Outcome {
                    holds: true,
                    ..Outcome::default()
                };
                for c in children {
                    let o = c.evaluate(cx);
                    out.holds &= o.holds;
                    out.passed.extend(o.passed);
                    if !o.holds {
                        out.failed.extend(o.failed);
                    }
                }
                out.failed = merge_absent(out.failed, false);
                out
            }
            Condition::Any(children) => {
                let outcomes: Vec<Outcome> = children.iter().map(|c| c.evaluate(cx)).collect();
                if outcomes.iter().any(|o| o.holds) {
                    let passed = outcomes
                        .into_iter()
                        .filter(|o| o.holds)
                        .flat_map(|o| o.passed)
                        .collect();
                    Outcome {
                        holds: true,
                        passed,
                        failed: Vec::new(),
                    }
                } else {
                    let failed: Vec<Item> = outcomes.into_iter().flat_map(|o| o.failed).collect();
                    Outcome {
                        holds: false,
                        passed: Vec::new(),
                        failed: merge_absent(failed, true),
                    }
                }
            }
            Condition::Not(inner) => {
                let o = inner.evaluate(cx);
                Outcome {
                    holds: !o.holds,
                    passed: o.failed,
                    failed: o.passed,
                }
            }
            Condition::Signal(idx) => cx.signal(*idx).clone(),
            Condition::Check(check) => check.evaluate(cx),
        }
    }
}

impl Condition {
    /// The evidence-document kinds this condition reads, in order (for where a missing
    /// record should be).
    pub fn document_kinds(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_kinds(&mut out);
        out
    }

    /// True when a `cadence` check (one record per quarter) is part of this condition: the
    /// control is recurring and its roadmap must say how (`roadmap.cadence`).
    pub fn has_cadence(&self) -> bool {
        match self {
            Condition::All(v) | Condition::Any(v) => v.iter().any(Condition::has_cadence),
            Condition::Not(c) => c.has_cadence(),
            Condition::Signal(_) => false,
            Condition::Check(check) => matches!(check, Check::Cadence(_)),
        }
    }

    fn collect_kinds<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::All(v) | Condition::Any(v) => v.iter().for_each(|c| c.collect_kinds(out)),
            Condition::Not(c) => c.collect_kinds(out),
            Condition::Signal(_) => {}
            Condition::Check(check) => {
                let kind = match check {
                    Check::Document(c) => Some(c.kind()),
                    Check::Coverage(c) => Some(c.kind()),
                    Check::Cadence(c) => Some(c.kind()),
                    Check::Register(c) => Some(c.kind()),
                    _ => None,
                };
                if let Some(k) = kind.filter(|k| !out.contains(k)) {
                    out.push(k);
                }
            }
        }
    }
}

/// When every alternative of an `any` (`alternatives`), or several parts of an `all`, failed
/// for lack of something, one gap says so (not one per part): "No schedule or crontab
/// found" for alternatives, "No schedule found; no alert route found" for parts.
fn merge_absent(failed: Vec<Item>, alternatives: bool) -> Vec<Item> {
    if failed.len() < 2 || !failed.iter().all(Item::is_absent) {
        return failed;
    }
    let mut messages: Vec<&str> = Vec::new();
    for i in &failed {
        if !messages.contains(&i.message.as_str()) {
            messages.push(&i.message);
        }
    }
    // "No schedule found" and "No crontab found" read as "No schedule or crontab found".
    let what: Option<Vec<&str>> = messages
        .iter()
        .map(|m| m.strip_prefix("No ")?.strip_suffix(" found"))
        .collect();
    let message = match what {
        Some(what) if alternatives && what.len() > 1 => {
            let (last, rest) = what.split_last().unwrap_or((&"", &[]));
            format!("No {} or {last} found", rest.join(", "))
        }
        _ => messages
            .iter()
            .enumerate()
            .map(|(i, m)| match m.strip_prefix("No ") {
                Some(rest) if i > 0 => format!("no {rest}"),
                _ => (*m).to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    let key = failed
        .iter()
        .map(|i| i.key.as_str())
        .collect::<Vec<_>>()
        .join("|");
    vec![Item::new(message, key, Vec::new())]
}

/// A condition in words, for `explain`.
pub fn describe(c: &Condition) -> String {
    let join = |v: &[Condition], sep: &str| v.iter().map(describe).collect::<Vec<_>>().join(sep);
    match c {
        Condition::All(v) => join(v, "; and "),
        Condition::Any(v) => format!("any of: {}", join(v, "; or ")),
        Condition::Not(x) => format!("NOT ({})", describe(x)),
        Condition::Signal(i) => format!("signal #{i}"),
        Condition::Check(check) => check.describe(),
    }
}

impl Check {
    pub fn describe(&self) -> String {
        match self {
            Check::Document(c) => c.describe(),
            Check::Pattern(c) => c.describe(),
            Check::Query(c) => c.describe(),
            Check::Dependency(c) => c.describe(),
            Check::Artifact(c) => c.describe(),
            Check::Inventory(c) => c.describe(),
            Check::Register(c) => c.describe(),
            Check::Coverage(c) => c.describe(),
            Check::Cadence(c) => c.describe(),
            Check::Iam(c) => c.describe(),
            Check::Mapped(c) => c.describe(),
            Check::Bucket(c) => c.describe(),
            Check::Covered(c) => c.describe(),
            Check::Owners(c) => c.describe(),
            Check::Workload(c) => c.describe(),
        }
    }

    /// What the check looks for, in a few words, for a reason ("not found: …"): a
    /// pattern's label, a document kind's title; otherwise [`Check::describe`].
    pub fn subject(&self, cx: &Context<'_>) -> String {
        match self {
            Check::Pattern(c) => c.label().to_string(),
            Check::Document(c) => document::kind_title(cx, c.kind()),
            _ => self.describe(),
        }
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        match self {
            Check::Document(c) => c.evaluate(cx),
            Check::Pattern(c) => c.evaluate(cx),
            Check::Query(c) => c.evaluate(cx),
            Check::Dependency(c) => c.evaluate(cx),
            Check::Artifact(c) => c.evaluate(cx),
            Check::Inventory(c) => c.evaluate(cx),
            Check::Register(c) => c.evaluate(cx),
            Check::Coverage(c) => c.evaluate(cx),
            Check::Cadence(c) => c.evaluate(cx),
            Check::Iam(c) => c.evaluate(cx),
            Check::Mapped(c) => c.evaluate(cx),
            Check::Bucket(c) => c.evaluate(cx),
            Check::Covered(c) => c.evaluate(cx),
            Check::Owners(c) => c.evaluate(cx),
            Check::Workload(c) => c.evaluate(cx),
        }
    }
}
