//! Loading and compiling the control pack: built-ins plus `--controls` directories, with
//! config overrides for parameters and document names. Every problem is collected as a
//! [`Diag`] with file:line; the caller decides to stop (exit 2) when there are any.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::spec::{ControlSpec, DocKindSpec, DocumentsFile, SignalsFile};
use super::{builtin, tsc, Control, ControlSet, RoadmapText, Severity, Source};
use crate::check::catalog::{self, Catalog, CatalogSpec};
use crate::check::compile::Diag;
use crate::check::{CompileCx, DocKindInfo, Signal};
use crate::redact::Redactor;
use crate::workspace::matcher::{glob_set, MatcherBuilder, Matchers, Owner};
use crate::workspace::{DocKind, Query};

#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// `--controls` directories: add controls, or override built-ins with the same id.
    pub dirs: Vec<PathBuf>,
    /// Parameter overrides from the config file (`params:`), by parameter name.
    pub params: BTreeMap<String, u32>,
    /// Document-kind name overrides from the config file (`documents:`).
    pub documents: Vec<DocKindSpec>,
    /// Control directories named by an untrusted target's config (`--untrusted`): their
    /// controls are added, but one with a built-in control's id, and their catalogue and
    /// document files, are not used (each is listed in [`Loaded::refused`]), so a pull
    /// request cannot weaken a built-in check through a pack.
    pub untrusted_dirs: Vec<PathBuf>,
    /// Skip the built-in pack (for `controls validate DIR` of a standalone pack).
    pub no_builtin: bool,
    /// Compile every regex of the built-in pack now, as `controls validate` and the tests
    /// do; a scan compiles them on first use (see [`LazyRegex`]). Other packs are always
    /// compiled at load.
    ///
    /// [`LazyRegex`]: crate::workspace::matcher::LazyRegex
    pub check_builtin: bool,
}

/// Everything compiled from the control pack.
#[derive(Debug)]
pub struct Loaded {
    pub controls: ControlSet,
    /// What each signal and control reads, to scan only for the selected ones.
    pub owners: Owners,
    pub catalogs: Vec<Catalog>,
    pub signals: Vec<Signal>,
    pub doc_kinds: Vec<DocKind>,
    pub doc_kind_info: Vec<DocKindInfo>,
    /// Folders whose documents are not evidence (`not_evidence:` of `documents.yaml`).
    pub not_evidence: crate::workspace::content::NotEvidence,
    pub matchers: Matchers,
    pub queries: Vec<Query>,
    /// The signals and controls that read Kubernetes workloads (see
    /// `ScanPlan::workloads`).
    pub workload_readers: Vec<(Owner, crate::workspace::workload::ModelHint)>,
    /// The pattern that finds inline `redflag:ignore` comments.
    pub inline_suppressions: crate::workspace::PatternId,
    /// The built-in secret shapes plus every key rule of the pack's catalogues: what report
    /// building redacts with, so whatever a key rule detects is masked in every format.
    pub redactor: Redactor,
    /// Problems; when not empty the pack must not be used.
    pub diags: Vec<Diag>,
    /// Parts of untrusted packs that were not used, and why (shown as report notes).
    pub refused: Vec<Diag>,
}

/// A source file of the pack: where it came from and its text.
struct SourceFile {
    display: String,
    rel: String,
    text: String,
    /// From a directory named by an untrusted target ([`LoadOptions::untrusted_dirs`]).
    untrusted: bool,
}

fn builtin_sources() -> Vec<SourceFile> {
    builtin::BUILTIN
        .iter()
        .map(|(rel, text)| SourceFile {
            display: format!("controls/{rel}"),
            rel: (*rel).to_string(),
            text: (*text).to_string(),
            untrusted: false,
        })
        .collect()
}

/// Largest control file read from a pack directory (the built-in pack's largest is 20 KiB).
pub const MAX_PACK_FILE: u64 = 1 << 20;
/// Most control files, and bytes of them, read from one pack directory (the built-in pack:
/// 40 files, 150 KiB).
pub const MAX_PACK_FILES: usize = 2_000;
pub const MAX_PACK_BYTES: u64 = 16 << 20;
/// Most directory entries looked at in one pack directory, its `catalog/` directories
/// included: listing a directory of millions of files is not loading a pack.
const MAX_PACK_ENTRIES: usize = 100_000;

/// Reads the control files of a pack directory: `*.yaml`/`*.yml` files at its top and
/// under `catalog/` directories. A pack may come from a third party (or from the scanned
/// repository, through its config file), so each file is read with
/// [`crate::fsread::read_regular`] — never through a link, never blocking on a FIFO, at
/// most [`MAX_PACK_FILE`] bytes — and the pack is bounded ([`MAX_PACK_FILES`],
/// [`MAX_PACK_BYTES`]). A control file that is a link or a special file is an error, not
/// skipped: a pack that silently lost a control would report fewer gaps. Entries are read in
/// name order, so the diagnostics do not depend on the file system's order.
fn dir_sources(dir: &Path, diags: &mut Vec<Diag>) -> Vec<SourceFile> {
    let shown = |p: &Path| crate::text::printable(&p.display().to_string()).into_owned();
    let mut err = |path: &Path, message: String| {
        diags.push(Diag {
            file: shown(path),
            line: None,
            column: None,
            message,
        });
    };
    let mut out = Vec::new();
    let (mut entries_seen, mut bytes) = (0usize, 0u64);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let listing = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                err(&d, format!("cannot read control directory: {e}"));
                continue;
            }
        };
        let mut entries = Vec::new();
        for entry in listing {
            entries_seen += 1;
            if entries_seen > MAX_PACK_ENTRIES {
                err(
                    dir,
                    format!("more than {MAX_PACK_ENTRIES} directory entries: not a control pack"),
                );
                return Vec::new();
            }
            match entry {
                Ok(e) => entries.push(e),
                Err(e) => err(&d, format!("cannot read control directory: {e}")),
            }
        }
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if path.file_name().is_some_and(|n| n == "catalog") {
                    stack.push(path);
                }
                continue;
            }
            if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                continue;
            }
            if !ft.is_file() {
                let what = crate::fsread::not_regular(ft);
                err(&path, format!("{what}: a control file must be a regular file"));
                continue;
            }
            if out.len() == MAX_PACK_FILES {
                err(dir, format!("more than {MAX_PACK_FILES} control files"));
                return Vec::new();
            }
            let text = match crate::fsread::read_regular(&path, MAX_PACK_FILE) {
                Ok(b) => String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()),
                Err(crate::fsread::Unread::TooLarge { size, cap }) => Err(format!(
                    "{size} bytes, over the {cap}-byte limit for a control file"
                )),
                Err(e) => Err(e.to_string()),
            };
            let text = match text {
                Ok(t) => t,
                Err(why) => {
                    err(&path, format!("not loaded: {why}"));
                    continue;
                }
            };
            bytes += text.len() as u64;
            if bytes > MAX_PACK_BYTES {
                err(dir, format!("more than {MAX_PACK_BYTES} bytes of control files"));
                return Vec::new();
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(SourceFile {
                display: shown(&path),
                rel,
                text,
                untrusted: false,
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// Checks that a pack directory can be loaded within the limits of [`dir_sources`] (its
/// files are read): `Err` holds the first problem, with the file relative to `dir`. For a
/// pack named by a config file found in a target, which is refused rather than failing
/// the run.
pub fn check_pack_dir(dir: &Path) -> Result<(), String> {
    let mut diags = Vec::new();
    dir_sources(dir, &mut diags);
    match diags.into_iter().next() {
        None => Ok(()),
        Some(d) => {
            let full = crate::text::printable(&dir.display().to_string()).into_owned();
            let file = d
                .file
                .strip_prefix(&full)
                .map_or(d.file.as_str(), |r| r.trim_start_matches('/'));
            Err(if file.is_empty() {
                d.message
            } else {
                format!("{file}: {}", d.message)
            })
        }
    }
}

/// At most this many parses of one file while collecting its problems (each unknown key or
/// missing field found costs one more parse of a small file).
const MAX_PARSES: usize = 64;

/// Values tried in turn for a missing field, so the parse can go on to the next problem.
const PLACEHOLDERS: [&str; 5] = ["placeholder", "[]", "{}", "1", "~"];

/// Parses a pack file, collecting every unknown key and missing field in one run: after
/// each such error the text is repaired (the unknown key and its block dropped, the
/// missing field given a placeholder) and parsed again, so a user fixing a file sees all
/// its problems at once, each with `line:column` in the file as written.
fn parse<T: DeserializeOwned>(file: &SourceFile, diags: &mut Vec<Diag>) -> Option<T> {
    let mut text = Repairable::new(&file.text);
    let mut found: Vec<Diag> = Vec::new();
    let mut trying: Option<Placeholder> = None;
    let mut placeholders = false;
    for _ in 0..MAX_PARSES {
        let err = match parse_once::<T>(&text.joined()) {
            // Only unknown keys were dropped: the rest is compiled too (its problems are
            // at their lines, which dropping keys did not move).
            Ok(v) if !placeholders => {
                found.sort();
                diags.extend(found);
                return Some(v);
            }
            Ok(_) => break,
            Err(e) => e,
        };
        let (line, column) = err
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let message = yaml_message(&err);
        let missing = quoted_after(&message, "missing field `");
        // The placeholder for a missing field has the wrong type: try the next one.
        if let Some(p) = trying.take() {
            if missing.is_none() && line == p.line && p.next < PLACEHOLDERS.len() {
                text = p.before.clone();
                trying = text.insert_field(&p.field, p.at, p.indent, p.next);
                continue;
            }
        }
        let site = missing.and_then(|_| text.missing_field_site(line));
        // A missing field is reported where its mapping starts.
        let (orig_line, orig_col) = match site {
            Some((_, indent, start)) => text.original(start, indent + 1),
            None => text.original(line, column),
        };
        if missing.is_none() && text.inserted(line) {
            // A problem of a placeholder, not of the file: stop here.
            break;
        }
        found.push(Diag {
            file: file.display.clone(),
            line: orig_line,
            column: orig_col,
            message: message.clone(),
        });
        if let Some(key) = quoted_after(&message, "unknown field `") {
            if !text.remove_key(line, column, key) {
                break;
            }
        } else if let Some(field) = missing {
            match site {
                Some((at, indent, _)) => trying = text.insert_field(field, at, indent, 0),
                None => break,
            }
            placeholders = true;
        } else {
            break;
        }
    }
    found.sort();
    diags.extend(found);
    None
}

fn parse_once<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    let mut options = crate::workspace::node::yaml_options();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    serde_saphyr::from_str_with_options::<T>(text, options)
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    clean_yaml_error(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid YAML"),
    )
}

/// The name in `` prefix`name` `` of a serde message.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.split('`').next().filter(|s| !s.is_empty())
}

/// A placeholder inserted for a missing field, and the text before it (to try the next).
struct Placeholder {
    field: String,
    at: usize,
    indent: usize,
    line: usize,
    next: usize,
    before: Repairable,
}

/// A pack file's lines being repaired, each with its line number in the file as written
/// (`None` for an inserted line).
#[derive(Clone)]
struct Repairable {
    lines: Vec<(String, Option<u32>)>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

impl Repairable {
    fn new(text: &str) -> Self {
        Self {
            lines: text
                .split('\n')
                .enumerate()
                .map(|(i, l)| (l.to_string(), u32::try_from(i + 1).ok()))
                .collect(),
        }
    }

    fn joined(&self) -> String {
        self.lines
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A 1-based position in the repaired text, in the file as written (an inserted line
    /// is reported at the line before it, without a column).
    fn original(&self, line: usize, column: usize) -> (Option<u32>, Option<u32>) {
        if line == 0 {
            return (None, None);
        }
        let Some((_, orig)) = self.lines.get(line - 1) else {
            return (self.lines.iter().rev().find_map(|(_, o)| *o), None);
        };
        match orig {
            Some(l) => (Some(*l), u32::try_from(column).ok().filter(|c| *c > 0)),
            None => (self.lines[..line - 1].iter().rev().find_map(|(_, o)| *o), None),
        }
    }

    /// Drops the block key `key` at `line:column` and the lines nested under it; false when
    /// it is not a block key there (a flow mapping: the parse stops at this problem).
    fn remove_key(&mut self, line: usize, column: usize, key: &str) -> bool {
        let Some((text, _)) = self.lines.get(line.wrapping_sub(1)) else {
            return false;
        };
        let col = column.saturating_sub(1);
        let head = text.get(..col).unwrap_or_default();
        let at_key = text.get(col..).is_some_and(|rest| {
            let rest = rest.trim_start_matches(['"', '\'']);
            rest.starts_with(key)
        });
        if !at_key || !head.chars().all(|c| c == ' ' || c == '-') || head.contains('{') {
            return false;
        }
        let keep_head = head.to_string();
        let mut end = line;
        while end < self.lines.len() && (is_blank(&self.lines[end].0) || indent_of(&self.lines[end].0) > col)
        {
            end += 1;
        }
        // Trailing blank lines belong to what follows.
        while end > line && is_blank(&self.lines[end - 1].0) {
            end -= 1;
        }
        // Blanked, not removed: the lines keep their numbers, so what compiling the
        // repaired file reports is at the right place.
        for l in &mut self.lines[line..end] {
            l.0.clear();
        }
        let sibling_follows = self.lines[line..]
            .iter()
            .find(|(l, _)| !is_blank(l))
            .is_some_and(|(l, _)| indent_of(l) == col);
        if keep_head.contains('-') {
            // A sequence item whose only key was this one stays an (empty) mapping.
            self.lines[line - 1].0 = if sibling_follows {
                keep_head
            } else {
                format!("{keep_head}{{}}")
            };
            return true;
        }
        self.lines[line - 1].0.clear();
        if !sibling_follows {
            self.close_emptied_parent(line - 1, col);
        }
        true
    }

    /// After the last key of a block mapping was dropped, its parent key (`roadmap:`)
    /// would hold null: it gets an empty mapping instead, so the repair adds no problem.
    fn close_emptied_parent(&mut self, removed_at: usize, col: usize) {
        let Some(p) = self.lines[..removed_at].iter().rposition(|(l, _)| !is_blank(l)) else {
            return;
        };
        let parent = &self.lines[p].0;
        let nested_left = self.lines[p + 1..]
            .iter()
            .find(|(l, _)| !is_blank(l))
            .is_some_and(|(l, _)| indent_of(l) > indent_of(parent));
        if indent_of(parent) < col && parent.trim_end().ends_with(':') && !nested_left {
            self.lines[p].0.push_str(" {}");
        }
    }

    fn inserted(&self, line: usize) -> bool {
        line > 0 && self.lines.get(line - 1).is_some_and(|(_, o)| o.is_none())
    }

    /// Where to insert a missing field of the mapping an error at `line:column` is about:
    /// after the mapping's last line, at the indentation of its first key.
    fn missing_field_site(&self, line: usize) -> Option<(usize, usize, usize)> {
        // The error may point past the end (the top level).
        if line == 0 || line > self.lines.len() {
            return Some((self.lines.len(), 0, 1));
        }
        // The error points at a key of the mapping (its last): the mapping's indentation
        // is that key's, after any `- ` of a sequence item.
        let text = &self.lines[line - 1].0;
        let indent = text.len() - text.trim_start_matches([' ', '-']).len();
        if text.trim_start_matches([' ', '-']).starts_with('{') {
            return None;
        }
        let mut end = line;
        while end < self.lines.len()
            && (is_blank(&self.lines[end].0) || indent_of(&self.lines[end].0) >= indent.max(1))
        {
            end += 1;
        }
        if indent == 0 {
            end = self.lines.len();
        }
        while end > line && is_blank(&self.lines[end - 1].0) {
            end -= 1;
        }
        // Its first key: back over lines at least as indented (a `- ` item starts it).
        let mut start = line;
        while start > 1 {
            let prev = &self.lines[start - 2].0;
            let item_start = self.lines[start - 1].0.trim_start().starts_with('-');
            if item_start || (!is_blank(prev) && indent_of(prev) < indent) {
                break;
            }
            start -= 1;
        }
        while start < line && is_blank(&self.lines[start - 1].0) {
            start += 1;
        }
        Some((end, indent, start))
    }

    /// Inserts `field: PLACEHOLDERS[which]` at line index `at`; the state to try the next
    /// placeholder from.
    fn insert_field(&mut self, field: &str, at: usize, indent: usize, which: usize) -> Option<Placeholder> {
        let before = self.clone();
        let value = PLACEHOLDERS.get(which)?;
        let at = at.min(self.lines.len());
        self.lines
            .insert(at, (format!("{}{field}: {value}", " ".repeat(indent)), None));
        Some(Placeholder {
            field: field.to_string(),
            at,
            indent,
            line: at + 1,
            next: which + 1,
            before,
        })
    }
}

enum Role {
    Control,
    Catalog,
    Signals,
    Documents,
    Ignore,
}

fn role_of(rel: &str) -> Role {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if rel.starts_with("catalog/") {
        Role::Catalog
    } else if name == "signals.yaml" {
        Role::Signals
    } else if name == "documents.yaml" {
        Role::Documents
    } else if name == "tsc.yaml" {
        Role::Ignore
    } else {
        Role::Control
    }
}

fn line_of<T>(s: &serde_saphyr::Spanned<T>) -> Option<u32> {
    u32::try_from(s.referenced.line()).ok().filter(|l| *l > 0)
}

/// Where a pack file comes from: its index among the sources, the number of built-in
/// sources before it, and whether it is a trusted pack's (not built-in, not untrusted).
type Origin = (usize, usize, bool);

/// Adds a catalogue; a trusted pack's catalogue replaces the built-in one of that id (a
/// copy of the built-in pack, edited, is a pack). Any other duplicate is kept, and
/// reported as one when compiled.
fn add_catalog(
    specs: &mut Vec<(String, CatalogSpec, bool)>,
    src_of: &mut Vec<usize>,
    entry: (String, CatalogSpec, bool),
    (i, builtin, trusted): Origin,
) {
    let builtin_one = src_of
        .iter()
        .zip(specs.iter())
        .position(|(j, (_, x, _))| *j < builtin && x.catalog == entry.1.catalog);
    match builtin_one {
        Some(k) if trusted => {
            specs[k] = entry;
            src_of[k] = i;
        }
        _ => {
            specs.push(entry);
            src_of.push(i);
        }
    }
}

/// Adds signals; like catalogues, a trusted pack's signal replaces the built-in one.
fn add_signals(
    specs: &mut Vec<(usize, super::spec::SignalSpec)>,
    signals: Vec<super::spec::SignalSpec>,
    (i, builtin, trusted): Origin,
) {
    for s in signals {
        match specs
            .iter()
            .position(|(j, x)| *j < builtin && x.id.value == s.id.value)
        {
            Some(k) if trusted => specs[k] = (i, s),
            _ => specs.push((i, s)),
        }
    }
}

/// Loads and compiles the pack.
pub fn load(opts: &LoadOptions) -> Loaded {
    let mut diags = Vec::new();
    let mut sources = if opts.no_builtin {
        Vec::new()
    } else {
        builtin_sources()
    };
    for dir in &opts.dirs {
        if !dir.is_dir() {
            diags.push(Diag {
                file: dir.display().to_string(),
                line: None,
                column: None,
                message: "control directory does not exist".into(),
            });
            continue;
        }
        sources.extend(dir_sources(dir, &mut diags));
    }
    let mut refused = Vec::new();
    for dir in &opts.untrusted_dirs {
        if !dir.is_dir() {
            continue;
        }
        for mut src in dir_sources(dir, &mut diags) {
            if matches!(role_of(&src.rel), Role::Control | Role::Signals) {
                src.untrusted = true;
                sources.push(src);
            } else if !matches!(role_of(&src.rel), Role::Ignore) {
                refused.push(Diag {
                    file: src.display,
                    line: None,
                    column: None,
                    message: "not used: catalogue and document files of a pack named by an \
                              untrusted target could weaken built-in checks"
                        .into(),
                });
            }
        }
    }

    // Parse everything first.
    let parse_phase = crate::timings::Phase::start("load: parse YAML");
    let mut controls: Vec<(usize, ControlSpec)> = Vec::new();
    let mut catalog_specs: Vec<(String, CatalogSpec, bool)> = Vec::new();
    let mut signal_specs: Vec<(usize, super::spec::SignalSpec)> = Vec::new();
    let mut doc_specs: Vec<DocKindSpec> = Vec::new();
    let mut not_evidence = crate::workspace::content::NotEvidenceSpec::default();
    let builtin = builtin_len(opts);
    let mut catalog_src: Vec<usize> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        match role_of(&src.rel) {
            Role::Control => {
                if let Some(c) = parse::<ControlSpec>(src, &mut diags) {
                    controls.push((i, c));
                }
            }
            Role::Catalog => {
                if let Some(c) = parse::<CatalogSpec>(src, &mut diags) {
                    let trusted = i >= builtin && !src.untrusted;
                    let entry = (src.display.clone(), c, opts.check_builtin || i >= builtin);
                    add_catalog(&mut catalog_specs, &mut catalog_src, entry, (i, builtin, trusted));
                }
            }
            Role::Signals => {
                if let Some(s) = parse::<SignalsFile>(src, &mut diags) {
                    let trusted = i >= builtin && !src.untrusted;
                    add_signals(&mut signal_specs, s.signals, (i, builtin, trusted));
                }
            }
            Role::Documents => {
                if let Some(d) = parse::<DocumentsFile>(src, &mut diags) {
                    not_evidence.dirs.extend(d.not_evidence.dirs);
                    not_evidence.names.extend(d.not_evidence.names);
                    not_evidence.paths.extend(d.not_evidence.paths);
                    for k in d.documents {
                        match doc_specs.iter_mut().find(|x| x.id == k.id) {
                            Some(existing) => *existing = k,
                            None => doc_specs.push(k),
                        }
                    }
                }
            }
            Role::Ignore => {}
        }
    }
    for k in &opts.documents {
        match doc_specs.iter_mut().find(|x| x.id == k.id) {
            Some(existing) => {
                existing.names.clone_from(&k.names);
                if !k.dirs.is_empty() {
                    existing.dirs.clone_from(&k.dirs);
                }
                existing.trusted_names.clone_from(&k.trusted_names);
            }
            None => doc_specs.push(k.clone()),
        }
    }

    drop(parse_phase);
    let compile_phase = crate::timings::Phase::start("load: compile documents, catalogue, checks");
    // Document kinds.
    let mut doc_kinds = Vec::new();
    let mut doc_kind_info = Vec::new();
    for k in &doc_specs {
        let compiled = (|| -> Result<DocKind, String> {
            // Names with a `/` are paths from the target root; the others file names.
            let (paths, names): (Vec<String>, Vec<String>) =
                k.names.iter().cloned().partition(|n| n.contains('/'));
            let trusted = if k.trusted_names.is_empty() {
                None
            } else {
                Some(glob_set(&k.trusted_names)?)
            };
            Ok(DocKind {
                id: k.id.clone(),
                title: crate::text::printable(&k.title).into_owned(),
                names: glob_set(&names)?,
                paths: glob_set(&paths)?,
                dirs: glob_set(&k.dirs)?,
                trusted,
                content: k.content.as_ref().map(|c| c.compile()).transpose()?,
                front_matter: k.front_matter,
            })
        })();
        match compiled {
            Ok(kind) => {
                doc_kinds.push(kind);
                doc_kind_info.push(DocKindInfo {
                    id: k.id.clone(),
                    title: crate::text::printable(&k.title).into_owned(),
                    patterns: k.names.clone(),
                    expected: k
                        .expected
                        .as_deref()
                        .map(|e| crate::text::printable(e).into_owned()),
                    count: k.count,
                });
            }
            Err(e) => diags.push(Diag {
                file: "documents".into(),
                line: None,
                column: None,
                message: format!("document kind `{}`: {e}", k.id),
            }),
        }
    }
    let not_evidence = {
        let mut set = |v: &[String]| -> Option<crate::workspace::matcher::Globs> {
            if v.is_empty() {
                return None;
            }
            match glob_set(v) {
                Ok(g) => Some(g),
                Err(e) => {
                    diags.push(Diag {
                        file: "documents".into(),
                        line: None,
                        column: None,
                        message: format!("not_evidence: {e}"),
                    });
                    None
                }
            }
        };
        crate::workspace::content::NotEvidence {
            dirs: set(&not_evidence.dirs),
            names: set(&not_evidence.names),
            paths: set(&not_evidence.paths),
        }
    };
    let kind_ids: Vec<String> = doc_kinds.iter().map(|k| k.id.clone()).collect();

    let mut matchers = MatcherBuilder::default();
    let inline_suppressions = matchers.add(super::INLINE_WAIVER_PATTERN, &[], &[]);
    let mut queries = Vec::new();
    let mut workload_readers = Vec::new();
    let catalogs = catalog::compile(catalog_specs, &mut matchers, &mut diags);
    let key_rules: Vec<_> = catalogs
        .iter()
        .flat_map(|c| c.items.iter())
        .flat_map(|i| i.keys.iter().map(|(_, rule)| rule.clone()))
        .collect();
    let redactor_phase = crate::timings::Phase::start("load: redactor");
    let redactor = Redactor::new(&key_rules).unwrap_or_else(|message| {
        diags.push(Diag {
            file: "catalog".into(),
            line: None,
            column: None,
            message,
        });
        Redactor::default()
    });
    drop(redactor_phase);

    let mut owners = Owners::default();
    // Signals, in file order; a signal may use earlier signals.
    let mut signal_names: Vec<String> = Vec::new();
    let mut signals = Vec::new();
    let empty = BTreeMap::new();
    for (i, s) in &signal_specs {
        if signal_names.contains(&s.id.value) {
            diags.push(Diag {
                file: sources[*i].display.clone(),
                line: line_of(&s.id),
                column: None,
                message: format!("duplicate signal `{}`", s.id.value),
            });
            continue;
        }
        let unit = Owner::Unit(u32::try_from(signal_names.len()).unwrap_or(u32::MAX));
        matchers.owner = unit;
        let mut cx = CompileCx {
            file: sources[*i].display.clone(),
            control_line: line_of(&s.id).unwrap_or(1),
            matchers: &mut matchers,
            queries: &mut queries,
            workload_readers: &mut workload_readers,
            catalogs: &catalogs,
            signals: &signal_names,
            doc_kinds: &kind_ids,
            params: &empty,
            diags: &mut diags,
            eager: opts.check_builtin || *i >= builtin_len(opts),
            uses: Vec::new(),
        };
        let when = s.when.compile(&mut cx);
        owners.units.insert(unit, std::mem::take(&mut cx.uses));
        if let Some(when) = when {
            signals.push(Signal {
                id: s.id.value.clone(),
                description: s.description.clone(),
                when,
            });
            signal_names.push(s.id.value.clone());
        }
    }

    // Controls: later sources (user directories) override earlier ones with the same id.
    let mut by_id: BTreeMap<String, (usize, ControlSpec)> = BTreeMap::new();
    for (i, c) in controls {
        let id = c.id.value.clone();
        if let Some((prev, _)) = by_id.get(&id) {
            if sources[i].untrusted && !sources[*prev].untrusted {
                refused.push(Diag {
                    file: sources[i].display.clone(),
                    line: line_of(&c.id),
                    column: None,
                    message: format!(
                        "control `{id}` not used: a pack named by an untrusted target may add \
                         controls but not replace one"
                    ),
                });
                continue;
            }
            let same_origin = (*prev < builtin_len(opts)) == (i < builtin_len(opts));
            if same_origin {
                diags.push(Diag {
                    file: sources[i].display.clone(),
                    line: line_of(&c.id),
                    column: None,
                    message: format!("duplicate control id `{id}` (also in {})", sources[*prev].display),
                });
                continue;
            }
        }
        by_id.insert(id, (i, c));
    }
    let known_ids: std::collections::BTreeSet<String> = by_id.keys().cloned().collect();
    let mut compiled = Vec::new();
    let mut used_params = std::collections::BTreeSet::new();
    for (id, (i, spec)) in by_id {
        let file = sources[i].display.clone();
        let rel = &sources[i].rel;
        let line = line_of(&spec.id).unwrap_or(1);
        let mut err = |line: Option<u32>, message: String| {
            diags.push(Diag {
                file: file.clone(),
                line,
                column: None,
                message,
            })
        };
        if !valid_id(&id) {
            err(
                line_of(&spec.id),
                format!("control id `{id}` must be upper-case letters, digits and dashes"),
            );
        }
        if !opts.no_builtin && i < builtin_len(opts) {
            let stem = rel.trim_end_matches(".yaml");
            if stem != id {
                err(
                    line_of(&spec.id),
                    format!("control `{id}` must live in `{id}.yaml`"),
                );
            }
        }
        let severity = Severity::parse(&spec.severity.value);
        if severity.is_none() {
            err(
                line_of(&spec.severity),
                format!(
                    "unknown severity `{}` (critical, high, medium, low)",
                    spec.severity.value
                ),
            );
        }
        let red_flag = spec.red_flag.as_ref().map(|r| r.value);
        if let Some(r) = &spec.red_flag {
            if !(1..=5).contains(&r.value) {
                err(line_of(r), format!("red_flag must be 1 to 5, found {}", r.value));
            }
        }
        if spec.tsc.is_empty() {
            err(
                Some(line),
                "a control must map to at least one Trust Services Criterion (`tsc`)".into(),
            );
        }
        for t in &spec.tsc {
            if tsc::get(&t.value).is_none() {
                err(
                    line_of(t),
                    format!(
                        "unknown Trust Services Criterion `{}` (see controls/tsc.yaml)",
                        t.value
                    ),
                );
            }
        }
        if spec.title.trim().is_empty()
            || spec.rationale.trim().is_empty()
            || spec.remediation.trim().is_empty()
        {
            err(
                Some(line),
                "title, rationale and remediation must not be empty".into(),
            );
        }
        let mut params = spec.params.clone();
        for (k, v) in &opts.params {
            if let Some(p) = params.get_mut(k) {
                *p = *v;
                used_params.insert(k.clone());
            }
        }
        // A threshold counting quarters or days is bounded (by its name here, where it is
        // used in the checks): the roadmap and the cadence checks list the quarters.
        let mut out_of_bounds = false;
        for (k, v) in &params {
            let Some((max, unit)) = crate::check::compile::param_limit(k) else {
                continue;
            };
            if *v > max {
                let origin = if opts.params.contains_key(k) {
                    "set by the config file's `params:`"
                } else {
                    "declared by the control"
                };
                err(
                    line_of(&spec.id),
                    format!(
                        "control `{id}`: parameter `{k}` is {v} {unit} ({origin}); at most {max} {unit} \
                         (ten years) is allowed"
                    ),
                );
                out_of_bounds = true;
            }
        }
        if out_of_bounds {
            continue;
        }
        let unit = Owner::Unit(CONTROL_UNITS + u32::try_from(compiled.len()).unwrap_or(0));
        matchers.owner = unit;
        let mut cx = CompileCx {
            file: file.clone(),
            control_line: line,
            matchers: &mut matchers,
            queries: &mut queries,
            workload_readers: &mut workload_readers,
            catalogs: &catalogs,
            signals: &signal_names,
            doc_kinds: &kind_ids,
            params: &params,
            diags: &mut diags,
            eager: opts.check_builtin || i >= builtin_len(opts),
            uses: Vec::new(),
        };
        let applies_when = spec.applies_when.as_ref().map(|c| c.compile(&mut cx));
        let check = spec.check.as_ref().map(|c| c.compile(&mut cx));
        let examines = spec.examines.as_ref().map(|e| compile_examines(e, &mut cx));
        owners.units.insert(unit, std::mem::take(&mut cx.uses));
        owners.controls.insert(id.clone(), unit);
        if matches!(applies_when, Some(None)) || matches!(check, Some(None)) || matches!(examines, Some(None))
        {
            continue;
        }
        let requires: Vec<String> = spec.requires.iter().map(|r| r.value.clone()).collect();
        let defers_to: Vec<String> = spec.defers_to.iter().map(|r| r.value.clone()).collect();
        for (field, list) in [
            ("requires", &spec.requires),
            ("defers_to", &spec.defers_to),
            ("roadmap.after", &spec.roadmap.after),
        ] {
            for r in list {
                if !known_ids.contains(&r.value) || r.value == id {
                    cx.error(
                        line_of(r),
                        format!("`{field}: {}` names no other control", r.value),
                    );
                }
            }
        }
        if let Some(t) = spec
            .init
            .as_ref()
            .filter(|t| !super::INIT_TEMPLATES.contains(&t.value.as_str()))
        {
            cx.error(
                line_of(t),
                format!(
                    "`init: {}` names no starter file (known: {})",
                    t.value,
                    super::INIT_TEMPLATES.join(", ")
                ),
            );
        }
        let Some(severity) = severity else { continue };
        compiled.push(Control {
            id,
            // A pack may come from a third party: its texts reach terminals, CI logs and
            // reports, so control characters are escaped once, here.
            title: crate::text::printable(spec.title.trim()).into_owned(),
            red_flag,
            severity,
            tsc: spec.tsc.iter().map(|t| t.value.clone()).collect(),
            rationale: crate::text::printable_lines(spec.rationale.trim()),
            remediation: crate::text::printable_lines(spec.remediation.trim()),
            auditor_evidence: spec
                .auditor_evidence
                .iter()
                .map(|e| crate::text::printable(e).into_owned())
                .collect(),
            applies_when: applies_when.flatten(),
            check: check.flatten(),
            message: spec
                .message
                .as_deref()
                .map(|m| crate::text::printable(m).into_owned()),
            params,
            examines: examines.flatten(),
            requires,
            defers_to,
            risk: spec
                .risk
                .as_deref()
                .map(|r| crate::text::printable(r.trim()).into_owned()),
            roadmap: RoadmapText {
                action: spec
                    .roadmap
                    .action
                    .as_deref()
                    .map(|a| crate::text::printable(a.trim()).into_owned()),
                after: spec.roadmap.after.iter().map(|a| a.value.clone()).collect(),
                record: spec
                    .roadmap
                    .record
                    .as_deref()
                    .map(|r| crate::text::printable(r.trim()).into_owned()),
                record_holds: spec
                    .roadmap
                    .record_holds
                    .as_deref()
                    .map(|r| crate::text::printable(r.trim()).into_owned()),
                first: spec.roadmap.first,
            },
            init: spec.init.as_ref().map(|t| t.value.clone()),
            source: Source { file, line },
        });
    }
    for k in opts.params.keys() {
        if !used_params.contains(k) {
            diags.push(Diag {
                file: "config".into(),
                line: None,
                column: None,
                message: format!("parameter `{k}` is not declared by any control"),
            });
        }
    }
    compiled
        .sort_by(|a, b| (a.red_flag.unwrap_or(u8::MAX), &a.id).cmp(&(b.red_flag.unwrap_or(u8::MAX), &b.id)));

    drop(compile_phase);
    let build = crate::timings::Phase::start("load: build matchers");
    let matchers = match matchers.build() {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diag {
                file: "controls".into(),
                line: None,
                column: None,
                message: format!("patterns do not compile together: {e}"),
            });
            Matchers::empty()
        }
    };
    drop(build);
    if opts.check_builtin || sources.len() > builtin_len(opts) {
        if let Err(e) = matchers.check() {
            diags.push(Diag {
                file: "controls".into(),
                line: None,
                column: None,
                message: format!("patterns do not compile together: {e}"),
            });
        }
    }
    diags.sort();
    diags.dedup();
    Loaded {
        controls: ControlSet { controls: compiled },
        owners,
        catalogs,
        signals,
        doc_kinds,
        doc_kind_info,
        not_evidence,
        matchers,
        queries,
        workload_readers,
        inline_suppressions,
        redactor,
        diags,
        refused,
    }
}

/// `examines:`: its file globs compiled into one set, or its condition.
fn compile_examines(spec: &super::spec::ExaminesSpec, cx: &mut CompileCx<'_>) -> Option<super::Examines> {
    let what = crate::text::printable(spec.what.trim()).into_owned();
    let one = match &spec.one {
        Some(o) => crate::text::printable(o.trim()).into_owned(),
        None => what.strip_suffix('s').unwrap_or(&what).to_string(),
    };
    let files = if spec.files.is_empty() {
        None
    } else {
        let globs = cx.globs(&spec.files);
        if globs.len() != spec.files.len() {
            return None;
        }
        match glob_set(&globs) {
            Ok(g) => Some(g),
            Err(e) => {
                cx.error(None, e);
                return None;
            }
        }
    };
    let when = match &spec.when {
        Some(c) => Some(c.compile(cx)?),
        None => None,
    };
    if files.is_none() == when.is_none() {
        cx.error(
            None,
            "`examines` needs exactly one of `files` or `when`".to_string(),
        );
        return None;
    }
    Some(super::Examines {
        what,
        one,
        files,
        when,
    })
}

/// `error: line 7 column 1: unknown field …` → `unknown field …` (the line is reported
/// separately, as `file:line`).
pub fn clean_yaml_error(first_line: &str) -> String {
    let s = first_line.trim();
    let s = s.strip_prefix("error:").unwrap_or(s).trim_start();
    if let Some(rest) = s.strip_prefix("line ") {
        if let Some((pos, after)) = rest.split_once(": ") {
            if pos
                .split_whitespace()
                .all(|w| w == "column" || w.chars().all(|c| c.is_ascii_digit()))
            {
                return after.to_string();
            }
        }
    }
    s.to_string()
}

/// Owners of controls are numbered from here; signals from 0.
const CONTROL_UNITS: u32 = 1 << 20;

/// Which patterns and queries each signal and control reads (see [`Owner`]).
#[derive(Debug, Default)]
pub struct Owners {
    /// For each signal and control: the signals and catalogue patterns it reads.
    pub units: BTreeMap<Owner, Vec<Owner>>,
    /// The owner of each control, by id.
    pub controls: BTreeMap<String, Owner>,
}

impl Owners {
    /// Everything the controls `ids` read, directly or through signals.
    pub fn needed<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<Owner> {
        let mut needed = BTreeSet::from([Owner::Always]);
        let mut todo: Vec<Owner> = ids
            .into_iter()
            .filter_map(|id| self.controls.get(id).copied())
            .collect();
        while let Some(o) = todo.pop() {
            if needed.insert(o) {
                todo.extend(self.units.get(&o).into_iter().flatten().copied());
            }
        }
        needed
    }
}

fn builtin_len(opts: &LoadOptions) -> usize {
    if opts.no_builtin {
        0
    } else {
        builtin::BUILTIN.len()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && id.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(loaded: &Loaded) -> Vec<String> {
        loaded
            .diags
            .iter()
            .map(|d| format!("{}: {}", d.file, d.message))
            .collect()
    }

    /// A control of a pack whose cadence looks back `quarters`, declaring `name: value`.
    fn cadence_pack(dir: &Path, quarters: &str, name: &str, value: u64) {
        std::fs::write(
            dir.join("X-CADENCE.yaml"),
            format!(
                "id: X-CADENCE\ntitle: t\nseverity: low\ntsc: [CC7.4]\nrationale: r\nremediation: f\n\
                 params:\n  {name}: {value}\ncheck:\n  cadence:\n    document: tabletop\n    \
                 quarters: {quarters}\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn thresholds_are_bounded_when_a_pack_is_compiled() {
        // A trusted config (`--config`) asking for four billion quarters: refused, naming the
        // control and the parameter, before any check or the roadmap lists the quarters.
        let mut opts = LoadOptions::default();
        opts.params.insert("tabletop_quarters".into(), 4_000_000_000);
        let loaded = load(&opts);
        let m = messages(&loaded);
        assert!(
            m.iter().any(|d| d.contains("control `RF4-TABLETOP-CADENCE`")
                && d.contains("`tabletop_quarters` is 4000000000 quarters")
                && d.contains("at most 40")),
            "{m:#?}"
        );
        assert!(loaded.controls.get("RF4-TABLETOP-CADENCE").is_none());
        opts.params.insert("tabletop_quarters".into(), 40);
        assert!(load(&opts).diags.is_empty());

        let mut opts = LoadOptions::default();
        opts.params.insert("soc2_report_max_age_days".into(), 3_651);
        let m = messages(&load(&opts));
        assert!(
            m.iter()
                .any(|d| d.contains("`soc2_report_max_age_days` is 3651 days")),
            "{m:#?}"
        );

        // Declared by a pack, whatever the parameter is called, or written in the check.
        let dir = tempfile::tempdir().unwrap();
        let pack = LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            ..LoadOptions::default()
        };
        cadence_pack(dir.path(), "$review_quarters", "review_quarters", 41);
        let m = messages(&load(&pack));
        assert!(
            m.iter()
                .any(|d| d.contains("control `X-CADENCE`: parameter `review_quarters` is 41")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "$every", "every", 41);
        let m = messages(&load(&pack));
        assert!(
            m.iter()
                .any(|d| d.contains("`$every` is 41 quarters: at most 40")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "4000000000", "every", 1);
        let m = messages(&load(&pack));
        assert!(
            m.iter().any(|d| d.contains("4000000000 quarters: at most 40")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "$every", "every", 8);
        assert!(load(&pack).diags.is_empty(), "{:#?}", messages(&load(&pack)));
    }

    /// A scan compiles the built-in pack's regexes on first use; this is where every one
    /// of them, and all patterns as one set, is compiled and must be valid.
    #[test]
    fn the_builtin_pack_compiles_every_regex() {
        let loaded = load(&LoadOptions {
            check_builtin: true,
            ..LoadOptions::default()
        });
        assert_eq!(messages(&loaded), Vec::<String>::new());
    }

    /// Client reports and the roadmap speak for every built-in control: a control added
    /// without its plain risk and its roadmap action would fall back to generic text.
    #[test]
    fn every_builtin_control_has_its_client_texts() {
        let loaded = load(&LoadOptions::default());
        let missing: Vec<&str> = loaded
            .controls
            .controls
            .iter()
            .filter(|c| c.risk.is_none() || c.roadmap.action.is_none())
            .map(|c| c.id.as_str())
            .collect();
        assert!(missing.is_empty(), "no `risk:` or `roadmap.action`: {missing:?}");
    }

    #[test]
    fn requires_and_defers_to_name_other_controls() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("X-ONE.yaml"),
            "id: X-ONE\ntitle: t\nseverity: low\ntsc: [CC7.4]\nrationale: r\nremediation: f\n\
             requires: [RF4-IR-PLAN, X-NOPE]\ndefers_to: [X-ONE, RF1-IAM-WILDCARD-AI]\n",
        )
        .unwrap();
        let loaded = load(&LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            ..LoadOptions::default()
        });
        let m = messages(&loaded);
        assert!(
            m.iter()
                .any(|d| d.contains("`requires: X-NOPE` names no other control")),
            "{m:#?}"
        );
        assert!(
            m.iter()
                .any(|d| d.contains("`defers_to: X-ONE` names no other control")),
            "{m:#?}"
        );
        assert_eq!(m.len(), 2, "{m:#?}");
    }
}
