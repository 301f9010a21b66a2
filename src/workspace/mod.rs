//! The thing scanned: every target walked once into a sorted, queryable index.
//!
//! [`walk::scan`] visits each file of each target once, in parallel, and runs everything
//! that needs the file's bytes right there: all content patterns (one pass per scope),
//! manifest parsing, evidence-document parsing and structured queries. What remains is
//! small: the file index, pattern hits, dependencies, parsed evidence documents, query
//! matches and notes. Checks read only this; they never touch the file system.

pub mod classify;
pub mod content;
pub mod document;
pub mod iam;
pub mod manifest;
pub mod matcher;
pub mod nested_key;
pub mod node;
pub mod query;
pub mod resources;
pub mod storage;
pub mod walk;
pub mod workload;

use std::path::PathBuf;

use crate::evidence::TargetId;
pub use classify::PathFlags;
pub use document::Document;
pub use manifest::Dependency;
pub use matcher::{Matchers, PatternId};
pub use query::{Query, QueryMatch};

/// Why a target file could not be parsed, in one line fit for the report's notes: the
/// scan goes on without the file's structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A root given on the command line (or in the config) to scan.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub root: PathBuf,
    /// How the target is named in the report (the path as the user wrote it).
    pub display: String,
    /// `--evidence` directories are searched only for evidence documents.
    pub evidence_only: bool,
}

/// A kind of evidence document and the names that identify it.
#[derive(Debug)]
pub struct DocKind {
    pub id: String,
    /// How notes name the kind (`Incident response plan`).
    pub title: String,
    /// Matched against the file name, case-insensitively.
    pub names: matcher::Globs,
    /// Names with a `/` (from a config file): matched against the path from the target root.
    pub paths: matcher::Globs,
    /// Names the user's config file gave without wildcards: such a file is this kind by
    /// name alone (no content test, wherever it is).
    pub trusted: Option<matcher::Globs>,
    /// What a file named like this kind must contain; `None`: the name is enough.
    pub content: Option<content::ContentRule>,
    /// Matched against a directory name, for Markdown/CSV/text files inside it.
    pub dirs: matcher::Globs,
    /// Only files opening with YAML front matter are of this kind.
    pub front_matter: bool,
}

/// Everything the walk needs to know, compiled from controls and settings.
#[derive(Debug)]
pub struct ScanPlan {
    pub matchers: Matchers,
    pub queries: Vec<Query>,
    /// Unprefixed vendor keys nested in YAML and JSON configuration.
    pub nested_keys: nested_key::NestedKeys,
    /// Gather Kubernetes workloads (a selected control reads them), from the documents
    /// the filter lets through.
    pub workloads: Option<workload::Filter>,
    pub doc_kinds: Vec<DocKind>,
    /// Folders whose documents are not evidence (outside `--evidence` directories).
    pub not_evidence: content::NotEvidence,
    pub max_file_size: u64,
    pub no_ignore: bool,
    /// Obey `.gitignore` files only, not `.ignore` files (which git does not read, so they
    /// could hide committed files from an untrusted target's scan).
    pub gitignore_only: bool,
    pub threads: usize,
    pub exclude: Option<matcher::Globs>,
}

/// Index of a file in [`Workspace::files`].
pub type FileId = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileClass {
    Text,
    Binary,
    TooLarge,
    Unreadable,
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub target: TargetId,
    pub path: String,
    pub size: u64,
    pub class: FileClass,
    pub flags: PathFlags,
    /// Recognised as an evidence document (register, plan, record): text in it describes
    /// the company's controls and is never counted as code usage.
    pub evidence_doc: bool,
}

/// A content pattern's match.
#[derive(Debug, Clone)]
pub struct Hit {
    pub file: FileId,
    pub line: u32,
    /// The whole line (capped), unredacted: redaction happens when a pointer is built. One
    /// allocation per line, shared by the hits of every pattern on it.
    pub text: std::sync::Arc<str>,
    /// Where the match is in `text` (byte offsets, see `RawHit::span`).
    pub span: (usize, usize),
    pub comment: bool,
}

impl Hit {
    /// The matched text, as far as `text` holds it (the line is capped at 400 characters).
    /// Derived, not stored: a scan can hold millions of hits.
    pub fn matched(&self) -> &str {
        let end = self.span.1.min(self.text.len());
        let start = self.span.0.min(end);
        self.text.get(start..end).unwrap_or("")
    }
}

/// A parsed evidence document and the kinds it was recognised as.
#[derive(Debug)]
pub struct EvidenceDoc {
    pub file: FileId,
    pub kinds: Vec<usize>,
    pub doc: Document,
}

/// A problem with a file in a target: it was skipped or could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub target: TargetId,
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct TargetStats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
}

#[derive(Debug)]
pub struct Workspace {
    pub targets: Vec<TargetSpec>,
    pub stats: Vec<TargetStats>,
    pub files: Vec<FileEntry>,
    /// Hits of each pattern, sorted by file then line.
    pub hits: Vec<Vec<Hit>>,
    pub deps: Vec<(FileId, Dependency)>,
    pub docs: Vec<EvidenceDoc>,
    pub query_matches: Vec<Vec<(FileId, QueryMatch)>>,
    /// Nested keys of each [`nested_key::Rule`], as hits (the span is the value's).
    pub nested_keys: Vec<Vec<Hit>>,
    /// Access grants from Terraform, IAM policy exports and CloudFormation, with the
    /// statement's line text.
    pub grants: Vec<(FileId, iam::Grant, String)>,
    /// Which policy is granted to which identity (attachments, policy documents used by a
    /// policy), for joining grants to the identity that holds them.
    pub iam_links: Vec<(FileId, iam::Link)>,
    /// Trust-policy statements: who may assume which role, with the statement's line text.
    pub trusts: Vec<(FileId, iam::Trust, String)>,
    /// Resources of just-in-time access tools (Opal, Sym, ConductorOne, Indent, Teleport).
    pub jit: Vec<(FileId, iam::JitBlock)>,
    /// Storage buckets declared in Terraform, with their lifecycle status.
    pub buckets: Vec<(FileId, iam::Bucket, String)>,
    /// Terraform resources and CloudFormation resources, with their names and references.
    pub resources: Vec<(FileId, resources::Resource)>,
    /// Kubernetes pod-bearing resources (Deployments, Jobs, InferenceServices…), normalised.
    pub workloads: Vec<(FileId, workload::Workload)>,
    pub notes: Vec<Note>,
    pub doc_kind_ids: Vec<String>,
}

impl Workspace {
    pub fn file(&self, id: FileId) -> &FileEntry {
        &self.files[id as usize]
    }

    /// The nested keys [`nested_key::Rule`] `rule` found.
    pub fn nested_keys(&self, rule: usize) -> &[Hit] {
        self.nested_keys.get(rule).map_or(&[], Vec::as_slice)
    }

    pub fn hits(&self, pattern: PatternId) -> &[Hit] {
        self.hits.get(pattern.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// Evidence documents of a kind, in path order.
    pub fn docs_of(&self, kind: &str) -> impl Iterator<Item = &EvidenceDoc> {
        let idx = self.doc_kind_ids.iter().position(|k| k == kind);
        self.docs
            .iter()
            .filter(move |d| idx.is_some_and(|i| d.kinds.contains(&i)))
    }

    /// A pointer to a line of a file, with its text.
    pub fn pointer(&self, file: FileId, line: u32, text: &str) -> crate::evidence::Pointer {
        let f = self.file(file);
        crate::evidence::Pointer::at(f.target, &f.path, line, text)
    }

    pub fn file_pointer(&self, file: FileId) -> crate::evidence::Pointer {
        let f = self.file(file);
        crate::evidence::Pointer::file(f.target, &f.path)
    }

    /// Pointer to a line of an evidence document.
    pub fn doc_pointer(&self, doc: &EvidenceDoc, line: u32) -> crate::evidence::Pointer {
        self.pointer(doc.file, line, doc.doc.line(line))
    }
}
