//! The one walk. Parallel (the `ignore` crate), `.gitignore`/`.ignore` honoured even outside
//! a git repository, hidden files included, heavy vendored directories skipped, no global
//! or parent ignore files (results must not depend on the machine), symlinks never
//! followed. Each file is read at most once, with a byte cap, and only when it is a regular
//! file whose name does not say binary. Results are sorted afterwards, so the output is the
//! same for any thread count.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{DirEntry, WalkBuilder, WalkState};

use super::classify::{self, PathFlags};
use super::document;
use super::manifest::{self, Dependency};
use super::matcher::RawHit;
use super::node::{self, Node};
use super::query::QueryMatch;
use super::{
    EvidenceDoc, FileClass, FileEntry, FileId, Hit, Note, ScanPlan, TargetSpec, TargetStats, Workspace,
};
use crate::evidence::TargetId;

/// Directories skipped by default (vendored code, environments, build output).
pub const SKIPPED_DIRS: &[&str] = &[
    ".venv",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "target",
    "vendor",
    "venv",
];

/// Files that look like structured config but are state or lock files: never queried.
fn is_state_or_lock(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".tfstate")
        || n.ends_with(".tfstate.backup")
        || n == "plan.json"
        || n.ends_with(".tfplan.json")
        || n == "package-lock.json"
        || n == "pnpm-lock.yaml"
        || n == "yarn.lock"
        || n == "composer.lock"
        || n.ends_with(".lock")
}

/// How many bytes are sniffed for NUL to tell binary from text.
const SNIFF: usize = 8192;

/// What processing one file produced.
#[derive(Default)]
struct FileResult {
    entry: Option<FileEntry>,
    hits: Vec<(RawHit, bool)>,
    deps: Vec<Dependency>,
    doc: Option<(Vec<usize>, document::Document)>,
    queries: Vec<(usize, QueryMatch)>,
    /// Nested keys by rule, as hits on this file (the span is the value's).
    nested_keys: Vec<(usize, Hit)>,
    grants: Vec<(super::iam::Grant, String)>,
    links: Vec<super::iam::Link>,
    /// Exported policies by name (`(name, holder)`) and identities' attachments by name,
    /// joined across files when the walk ends.
    iam_names: Vec<(String, String)>,
    attachments: Vec<super::iam::Attachment>,
    trusts: Vec<(super::iam::Trust, String)>,
    jit: Vec<super::iam::JitBlock>,
    buckets: Vec<(super::iam::Bucket, String)>,
    /// An exported lifecycle configuration with an enabled expiry rule (joined to the
    /// buckets its path names when the walk ends).
    lifecycle_export: bool,
    resources: Vec<super::resources::Resource>,
    workloads: Vec<super::workload::Workload>,
    notes: Vec<String>,
}

impl FileResult {
    fn is_empty(&self) -> bool {
        self.hits.is_empty()
            && self.deps.is_empty()
            && self.doc.is_none()
            && self.queries.is_empty()
            && self.nested_keys.is_empty()
            && self.grants.is_empty()
            && self.links.is_empty()
            && self.iam_names.is_empty()
            && self.attachments.is_empty()
            && self.trusts.is_empty()
            && self.jit.is_empty()
            && self.buckets.is_empty()
            && !self.lifecycle_export
            && self.resources.is_empty()
            && self.workloads.is_empty()
            && self.notes.is_empty()
    }
}

/// A walked file as kept until the walk ends: most files produce nothing but their entry,
/// so the rest is boxed only when there is some (a `FileResult` is ~10 times the size of
/// an entry, and a 100,000-file tree would otherwise hold it for every file).
struct Visited {
    entry: FileEntry,
    rest: Option<Box<FileResult>>,
}

impl Visited {
    fn new(mut r: FileResult) -> Option<Self> {
        let entry = r.entry.take()?;
        Some(Self {
            entry,
            rest: (!r.is_empty()).then(|| Box::new(r)),
        })
    }
}

/// Walks every target and builds the workspace. `progress` is called once per file.
pub fn scan(plan: &ScanPlan, targets: Vec<TargetSpec>, progress: &(dyn Fn() + Sync)) -> Workspace {
    let mut results: Vec<Visited> = Vec::new();
    let mut dir_notes: Vec<Note> = Vec::new();
    for (t, target) in targets.iter().enumerate() {
        let tid = TargetId::try_from(t).unwrap_or(TargetId::MAX);
        let (mut r, notes) = walk_target(plan, tid, target, progress);
        if results.is_empty() {
            results = r;
        } else {
            results.append(&mut r);
        }
        dir_notes.extend(notes);
    }
    assemble(plan, targets, results, dir_notes)
}

fn walk_target(
    plan: &ScanPlan,
    tid: TargetId,
    target: &TargetSpec,
    progress: &(dyn Fn() + Sync),
) -> (Vec<Visited>, Vec<Note>) {
    let root = target.root.clone();
    let no_ignore = plan.no_ignore;
    let mut builder = WalkBuilder::new(&root);
    builder
        .hidden(false)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .ignore(false)
        .git_ignore(false)
        .follow_links(false)
        .threads(plan.threads);
    // Ignore files are read by `IgnoreRules`, never by the `ignore` crate (see there).
    let rules = (!no_ignore).then(|| Arc::new(IgnoreRules::new(&root, plan.gitignore_only)));
    let filter_rules = rules.clone();
    builder.filter_entry(move |e| {
        let name = e.file_name().to_string_lossy();
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if is_dir && e.depth() > 0 {
            if name == ".git" || name == ".hg" || name == ".svn" {
                return false;
            }
            if !no_ignore && SKIPPED_DIRS.contains(&name.as_ref()) {
                return false;
            }
        }
        e.depth() == 0 || !filter_rules.as_ref().is_some_and(|r| r.ignored(e.path(), is_dir))
    });
    let out: Mutex<Vec<Visited>> = Mutex::new(Vec::new());
    let notes: Mutex<Vec<Note>> = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let out = &out;
        let notes = &notes;
        let root = &root;
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    if let Some(r) = visit(plan, tid, target, root, &e) {
                        progress();
                        if let Some(v) = Visited::new(r) {
                            if let Ok(mut o) = out.lock() {
                                o.push(v);
                            }
                        }
                    }
                }
                Err(err) => {
                    if let Ok(mut n) = notes.lock() {
                        n.push(walk_error_note(tid, root, &err));
                    }
                }
            }
            WalkState::Continue
        })
    });
    let mut notes = notes.into_inner().unwrap_or_default();
    if let Some(rules) = rules {
        for (path, message) in rules.skipped.lock().map(|s| s.clone()).unwrap_or_default() {
            notes.push(Note {
                target: tid,
                path: rel_path(&root, &path),
                message,
            });
        }
    }
    (out.into_inner().unwrap_or_default(), notes)
}

/// Most bytes of one `.gitignore` or `.ignore` file that are read; a larger one is skipped
/// (with a note) rather than compiled into a matcher of millions of globs.
const MAX_IGNORE_FILE: u64 = 1 << 20;

/// The `.ignore` and `.gitignore` rules of a target. The `ignore` crate would open these
/// files with a plain blocking `open` and read them to the end, so a FIFO named
/// `.gitignore` would hang the walk and a link to `/dev/zero` would exhaust memory; here they
/// are read like every other file ([`read_capped`]: no link followed, never blocking, only
/// regular files, capped). Precedence is the crate's: any `.ignore` beats any `.gitignore`,
/// and within each kind the deepest directory with a matching rule decides.
struct IgnoreRules {
    root: PathBuf,
    /// Per directory, the rules in force there: its own and its ancestors' (built from the
    /// parent's on first use, so deciding about an entry is one lookup).
    dirs: Mutex<HashMap<PathBuf, Arc<RuleChain>>>,
    /// Ignore files present but not used, and why.
    skipped: Mutex<Vec<(PathBuf, String)>>,
    /// Only `.gitignore` files apply ([`ScanPlan::gitignore_only`]).
    gitignore_only: bool,
}

/// Compiled `.ignore` and `.gitignore` files that apply in a directory, outermost first.
#[derive(Default)]
struct RuleChain {
    ignore: Vec<Arc<Gitignore>>,
    gitignore: Vec<Arc<Gitignore>>,
}

impl IgnoreRules {
    fn new(root: &Path, gitignore_only: bool) -> Self {
        Self {
            root: root.to_path_buf(),
            dirs: Mutex::default(),
            skipped: Mutex::default(),
            gitignore_only,
        }
    }

    fn load(&self, dir: &Path, name: &str) -> Option<Arc<Gitignore>> {
        let path = dir.join(name);
        match read_capped(&path, MAX_IGNORE_FILE) {
            Ok(Read::Bytes(bytes)) => {
                let mut b = GitignoreBuilder::new(dir);
                for line in String::from_utf8_lossy(&bytes).lines() {
                    let _ = b.add_line(Some(path.clone()), line);
                }
                b.build().ok().filter(|g| !g.is_empty()).map(Arc::new)
            }
            Ok(Read::TooLarge(size)) => {
                if let Ok(mut s) = self.skipped.lock() {
                    s.push((
                        path,
                        format!(
                            "ignore rules not used: {size} bytes is over the {MAX_IGNORE_FILE} byte limit"
                        ),
                    ));
                }
                None
            }
            // Absent, a link, a FIFO or unreadable: the walk notes the file itself.
            Err(_) => None,
        }
    }

    fn chain_of(&self, dir: &Path) -> Arc<RuleChain> {
        if let Some(c) = self.dirs.lock().ok().and_then(|d| d.get(dir).cloned()) {
            return c;
        }
        // The walk visits a directory before its entries, so the parent is known already.
        let parent = (dir != self.root)
            .then(|| dir.parent())
            .flatten()
            .filter(|p| p.starts_with(&self.root));
        let base = parent.map(|p| self.chain_of(p));
        let mut chain = RuleChain {
            ignore: base.as_ref().map(|b| b.ignore.clone()).unwrap_or_default(),
            gitignore: base.as_ref().map(|b| b.gitignore.clone()).unwrap_or_default(),
        };
        if !self.gitignore_only {
            chain.ignore.extend(self.load(dir, ".ignore"));
        }
        chain.gitignore.extend(self.load(dir, ".gitignore"));
        let chain = Arc::new(chain);
        if let Ok(mut d) = self.dirs.lock() {
            d.insert(dir.to_path_buf(), chain.clone());
        }
        chain
    }

    /// True when `path` (a path the walk produced under the root) is ignored.
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some(dir) = path.parent() else {
            return false;
        };
        let chain = self.chain_of(dir);
        let rel = path.strip_prefix("./").unwrap_or(path);
        for rules in [&chain.ignore, &chain.gitignore] {
            for gi in rules.iter().rev() {
                match gi.matched(rel, is_dir) {
                    ignore::Match::Ignore(_) => return true,
                    ignore::Match::Whitelist(_) => return false,
                    ignore::Match::None => {}
                }
            }
        }
        false
    }
}

fn walk_error_note(tid: TargetId, root: &Path, mut err: &ignore::Error) -> Note {
    // The walker wraps errors in depth and line context; the path is inside.
    while let ignore::Error::WithDepth { err: e, .. } | ignore::Error::WithLineNumber { err: e, .. } = err {
        err = e;
    }
    let mut path = String::new();
    if let ignore::Error::WithPath { path: p, .. } = err {
        path = rel_path(root, p);
    }
    let message = match err {
        ignore::Error::WithPath { err, .. } => err.to_string(),
        other => other.to_string(),
    };
    Note {
        target: tid,
        path,
        message: format!("skipped: {message}"),
    }
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut s = String::new();
    for (i, c) in rel.components().enumerate() {
        if i > 0 {
            s.push('/');
        }
        // Names are shown in reports: a newline or an escape sequence in one is made visible.
        s.push_str(&crate::text::printable(&c.as_os_str().to_string_lossy()));
    }
    s
}

fn visit(
    plan: &ScanPlan,
    tid: TargetId,
    target: &TargetSpec,
    root: &Path,
    e: &DirEntry,
) -> Option<FileResult> {
    let ft = e.file_type()?;
    if ft.is_dir() {
        return None;
    }
    let path = rel_path(root, e.path());
    if path.is_empty() {
        return None;
    }
    let mut r = FileResult::default();
    if ft.is_symlink() {
        r.notes.push("symbolic link not followed".to_string());
        r.entry = Some(FileEntry {
            target: tid,
            path,
            size: 0,
            class: FileClass::Unreadable,
            flags: PathFlags::default(),
            evidence_doc: false,
        });
        return Some(r);
    }
    if !ft.is_file() {
        r.notes
            .push("special file (FIFO, socket or device) not read".to_string());
        r.entry = Some(FileEntry {
            target: tid,
            path,
            size: 0,
            class: FileClass::Unreadable,
            flags: PathFlags::default(),
            evidence_doc: false,
        });
        return Some(r);
    }
    if plan.exclude.as_ref().is_some_and(|g| g.is_match(&path)) {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let doc_kinds: Vec<(usize, bool)> = doc_kinds_of(plan, &path, target.evidence_only);
    if target.evidence_only && doc_kinds.is_empty() {
        return None;
    }
    let flags = PathFlags::of(&path);
    let mut entry = FileEntry {
        target: tid,
        path: path.clone(),
        size: 0,
        class: FileClass::Text,
        flags,
        evidence_doc: false,
    };
    if classify::is_binary_name(&path) {
        // Indexed by path and size, never opened: a 10 GB model costs one stat.
        entry.size = e.metadata().map_or(0, |m| m.len());
        entry.class = FileClass::Binary;
        r.entry = Some(entry);
        return Some(r);
    }
    let bytes = match read_capped(e.path(), plan.max_file_size) {
        Ok(Read::Bytes(b)) => b,
        Ok(Read::TooLarge(size)) => {
            entry.size = size;
            entry.class = FileClass::TooLarge;
            r.notes.push(format!(
                "not read: {size} bytes is over the {} byte limit (--max-file-size)",
                plan.max_file_size
            ));
            r.entry = Some(entry);
            return Some(r);
        }
        Err(err) => {
            entry.class = FileClass::Unreadable;
            r.notes.push(format!("not read: {err}"));
            r.entry = Some(entry);
            return Some(r);
        }
    };
    if bytes[..bytes.len().min(SNIFF)].contains(&0) {
        entry.class = FileClass::Binary;
        if !doc_kinds.is_empty() || manifest::kind_of(&name).is_some() {
            r.notes
                .push("not parsed: binary content (a NUL byte) in a file named like text".to_string());
        }
        r.entry = Some(entry);
        return Some(r);
    }
    entry.size = bytes.len() as u64;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    process_text(plan, target, &path, &name, bytes, doc_kinds, &mut r);
    r.entry = Some(entry);
    Some(r)
}

/// What reading a file gave.
enum Read {
    Bytes(Vec<u8>),
    /// Over the size cap (its size); nothing was read.
    TooLarge(u64),
}

/// Opens a file without following a symbolic link and without blocking (a FIFO swapped in
/// after the walk saw a regular file must not hang the scan), checks on the open handle
/// that it is a regular file within the size cap, and reads at most `cap` bytes.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Read> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > cap {
        return Ok(Read::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    file.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Ok(Read::TooLarge(buf.len() as u64));
    }
    Ok(Read::Bytes(buf))
}

/// True when the text starts with a YAML front matter fence (`---` on the first non-blank
/// line, after a BOM).
fn opens_with_front_matter(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let rest = &b[start..];
    rest.starts_with(b"---")
        && rest[3..]
            .iter()
            .take_while(|&&c| c != b'\n')
            .all(|c| c.is_ascii_whitespace())
}

/// The kinds a file is named like, each with whether the user named it exactly in their
/// config (trusted by name). Files in folders that are not the company's evidence
/// (`not_evidence:`) are no kind, unless they are in an `--evidence` directory or named
/// exactly.
fn doc_kinds_of(plan: &ScanPlan, path: &str, evidence_only: bool) -> Vec<(usize, bool)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e).to_ascii_lowercase();
    let doc_ext = matches!(
        ext.as_str(),
        "md" | "markdown" | "txt" | "csv" | "tsv" | "yaml" | "yml" | "json" | "rst" | "adoc" | "dvc" | ""
    ) && !name.starts_with('.');
    if !doc_ext && name != "MLmodel" {
        return Vec::new();
    }
    let dir_doc = matches!(
        ext.as_str(),
        "md" | "markdown" | "txt" | "csv" | "tsv" | "rst" | "adoc" | "yaml" | "yml" | "json"
    );
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    let excluded = !evidence_only && plan.not_evidence.covers(path);
    plan.doc_kinds
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let trusted = k.trusted.as_ref().is_some_and(|g| g.is_match(path));
            let named = k.names.is_match(name)
                || k.paths.is_match(path)
                || (dir_doc && dirs.iter().any(|d| k.dirs.is_match(d)));
            (trusted || (named && !excluded)).then_some((i, trusted))
        })
        .collect()
}

/// "an incident response plan", "a vendor register".
fn with_article(title: &str) -> String {
    let lower = title.to_lowercase();
    let an = lower.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {lower}", if an { "an" } else { "a" })
}

fn process_text(
    plan: &ScanPlan,
    target: &TargetSpec,
    path: &str,
    name: &str,
    bytes: &[u8],
    doc_kinds: Vec<(usize, bool)>,
    r: &mut FileResult,
) {
    // Decoded (lossily) only for the files that are parsed; patterns run on the bytes.
    let decoded = std::cell::OnceCell::new();
    let text = || -> &str { decoded.get_or_init(|| String::from_utf8_lossy(bytes)) };
    // A kind that needs front matter (model cards among READMEs) is checked on the bytes,
    // so the other READMEs are never parsed.
    let doc_kinds: Vec<(usize, bool)> = doc_kinds
        .into_iter()
        .filter(|&(k, _)| !plan.doc_kinds[k].front_matter || opens_with_front_matter(bytes))
        .collect();
    if !doc_kinds.is_empty() {
        let (doc, err) = document::parse(path, text());
        if let Some(e) = err {
            r.notes.push(e);
        }
        // A name is a hint; the content decides (unless the user named the file exactly).
        let mut kept = Vec::with_capacity(doc_kinds.len());
        for (k, trusted) in doc_kinds {
            let kind = &plan.doc_kinds[k];
            match kind
                .content
                .as_ref()
                .filter(|_| !trusted)
                .map(|c| c.check(path, &doc))
            {
                Some(Err(why)) => r.notes.push(format!(
                    "named like {} but lacks its content ({why}); not used as evidence",
                    with_article(&kind.title)
                )),
                _ => kept.push(k),
            }
        }
        if !kept.is_empty() {
            r.doc = Some((kept, doc));
        }
    }
    if target.evidence_only {
        return;
    }
    if let Some(kind) = manifest::kind_of(name) {
        match manifest::parse(kind, name, text()) {
            Ok(deps) => r.deps = deps,
            Err(e) => r.notes.push(e.0),
        }
    }
    let mut raw = Vec::new();
    plan.matchers.scan(path, bytes, &mut raw);
    if !raw.is_empty() {
        let style = classify::comment_style(path);
        for h in raw {
            let comment = classify::is_comment(&h.text, style);
            r.hits.push((h, comment));
        }
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e).to_ascii_lowercase();
    if ext == "tf" {
        read_terraform(text(), r);
    }
    if matches!(ext.as_str(), "yaml" | "yml" | "json") && !is_state_or_lock(name) {
        read_structured(plan, path, ext == "json", text(), r);
    } else if !name.contains('.') && plan.queries.iter().any(|q| q.enabled && q.files.is_match(path)) {
        // A YAML file known by its name alone (MLflow's `MLmodel`): a query naming it reads it.
        read_structured(plan, path, false, text(), r);
    }
}

/// Terraform: declared resources, IAM grants and links, buckets and JIT grants, each with
/// its line's text.
fn read_terraform(t: &str, r: &mut FileResult) {
    r.resources = super::resources::terraform(t);
    let tf = super::iam::terraform(t);
    r.links.extend(tf.links);
    if !(tf.grants.is_empty() && tf.buckets.is_empty() && tf.jit.is_empty() && tf.trusts.is_empty()) {
        let starts = crate::text::line_starts(t);
        let line_of = |n: u32| crate::text::truncate_chars(crate::text::line_text(t, &starts, n), 400);
        r.jit.extend(tf.jit.into_iter().map(|mut j| {
            j.text = line_of(j.line);
            j
        }));
        r.grants.extend(tf.grants.into_iter().map(|mut g| {
            let line = line_of(g.line);
            g.action_lines.iter_mut().for_each(|(l, t)| *t = line_of(*l));
            (g, line)
        }));
        r.trusts.extend(tf.trusts.into_iter().map(|t| {
            let line = line_of(t.line);
            (t, line)
        }));
        r.buckets.extend(tf.buckets.into_iter().map(|b| {
            let line = line_of(b.line);
            (b, line)
        }));
    }
    r.notes.extend(tf.errors);
}

/// A YAML or JSON file: the structured queries that may match it, IAM policy statements
/// (policy exports, CloudFormation) and CloudFormation resources, from one parse of the
/// documents any of them may read.
fn read_structured(plan: &ScanPlan, path: &str, json: bool, text: &str, r: &mut FileResult) {
    let wanted: Vec<usize> = (0..plan.queries.len())
        .filter(|&i| {
            let q = &plan.queries[i];
            q.enabled && q.files.is_match(path) && q.may_match(text)
        })
        .collect();
    // IAM policy exports and CloudFormation templates hold `Statement` lists.
    let holds_policy = |t: &str| {
        t.contains("Statement")
            || t.contains("ManagedPolicyArns")
            || t.contains("AttachedPolicies")
            || t.contains("ManagedPolicies")
    };
    let policy_doc = holds_policy(text);
    // CloudFormation and SAM templates declare resources (endpoints, models, buckets).
    let cfn = super::resources::may_be_cloudformation(text);
    // Kubernetes manifests may hold workloads (pod templates, model-serving resources).
    let k8s = plan
        .workloads
        .as_ref()
        .is_some_and(|f| super::workload::may_hold(text) && f.may_be_model(text));
    // Teleport roles that make access requestable: just-in-time access mechanisms.
    let teleport = super::iam::may_be_teleport_role(text);
    // Exported bucket lifecycle configurations (`{"Rules": [...]}`).
    let lifecycle = super::storage::may_be_lifecycle_export(text);
    // Unprefixed vendor keys nested under a key naming the vendor.
    let keys = plan.nested_keys.may_hold(text);
    if wanted.is_empty() && !policy_doc && !cfn && !k8s && !teleport && !lifecycle && !keys {
        return;
    }
    // Of a YAML stream, only the documents a query, a policy, a template or a workload
    // may be in; never a CustomResourceDefinition (a schema whose property names are
    // every key a query looks for, 1–3 MB each in serving platforms' manifests).
    let relevant = |doc: &str| {
        !node::is_schema_definition(doc)
            && (wanted.iter().any(|&qi| plan.queries[qi].may_match_document(doc))
                || ((policy_doc || cfn) && doc.contains("Resources"))
                || (policy_doc && holds_policy(doc))
                || (teleport && super::iam::may_be_teleport_role(doc))
                || (lifecycle && super::storage::may_be_lifecycle_export(doc))
                || (keys && plan.nested_keys.may_hold(doc))
                || (k8s
                    && super::workload::may_hold(doc)
                    && plan.workloads.as_ref().is_some_and(|f| f.may_be_model(doc))))
    };
    let docs: Vec<Node> = if json {
        match Node::from_json(text) {
            Ok(n) => vec![n],
            Err(e) => {
                r.notes
                    .push(format!("JSON parse error at {}:{}: {e}", e.line(), e.column()));
                return;
            }
        }
    } else {
        node::parse_yaml_documents(text, relevant, &mut r.notes)
    };
    if cfn {
        r.resources = super::resources::cloudformation(&docs, text);
    }
    let starts = crate::text::line_starts(text);
    let line_of = |n: u32| crate::text::truncate_chars(crate::text::line_text(text, &starts, n), 400);
    if cfn {
        r.buckets
            .extend(super::storage::cloudformation(&docs).into_iter().map(|b| {
                let line = line_of(b.line);
                (b, line)
            }));
    }
    if lifecycle {
        r.lifecycle_export = docs
            .iter()
            .any(|d| super::storage::exported_rules(d) == Some(true));
    }
    if policy_doc {
        for d in &docs {
            r.links.extend(super::iam::structured_links(d));
            r.grants
                .extend(super::iam::structured(d, path).into_iter().map(|mut g| {
                    let line = line_of(g.line);
                    g.action_lines.iter_mut().for_each(|(l, t)| *t = line_of(*l));
                    (g, line)
                }));
            let e = super::iam::exported(d, path);
            r.iam_names.extend(e.names);
            r.attachments.extend(e.attachments);
            r.links.extend(e.links);
            r.grants.extend(e.grants.into_iter().map(|g| {
                let line = line_of(g.line);
                (g, line)
            }));
            r.trusts
                .extend(super::iam::structured_trusts(d, path).into_iter().map(|t| {
                    let line = line_of(t.line);
                    (t, line)
                }));
        }
    }
    if teleport {
        r.jit
            .extend(docs.iter().filter_map(super::iam::teleport_role).map(|mut j| {
                j.text = line_of(j.line);
                j
            }));
    }
    if k8s {
        for d in &docs {
            for mut w in super::workload::workloads(d) {
                w.texts = w.lines().into_iter().map(|l| (l, line_of(l))).collect();
                r.workloads.push(w);
            }
        }
    }
    if keys {
        read_nested_keys(plan, &docs, &line_of, r);
    }
    run_queries(plan, &wanted, &docs, &line_of, r);
}

/// The structured queries that may match a file, run on its parsed documents.
fn run_queries(
    plan: &ScanPlan,
    wanted: &[usize],
    docs: &[Node],
    line_of: &dyn Fn(u32) -> String,
    r: &mut FileResult,
) {
    for &qi in wanted {
        for d in docs {
            for mut m in plan.queries[qi].run(d) {
                m.text = line_of(m.line);
                r.queries.push((qi, m));
            }
        }
    }
}

/// Unprefixed vendor keys nested under keys that name the vendor, as hits on this file
/// cited at the value's line (its span is the value's, masked in the evidence; a value not
/// on its line, a block scalar, leaves nothing there to show).
fn read_nested_keys(plan: &ScanPlan, docs: &[Node], line_of: &dyn Fn(u32) -> String, r: &mut FileResult) {
    for d in docs {
        for k in plan.nested_keys.find(d) {
            let line: std::sync::Arc<str> = line_of(k.line).into();
            let span = line
                .find(k.value.as_str())
                .map_or((0, 0), |at| (at, at + k.value.len()));
            let hit = Hit {
                file: 0,
                line: k.line,
                text: line,
                span,
                comment: false,
            };
            r.nested_keys.push((k.rule, hit));
        }
    }
}

fn assemble(
    plan: &ScanPlan,
    targets: Vec<TargetSpec>,
    mut results: Vec<Visited>,
    mut notes: Vec<Note>,
) -> Workspace {
    results.sort_by(|a, b| (a.entry.target, &a.entry.path).cmp(&(b.entry.target, &b.entry.path)));
    let mut ws = Workspace {
        stats: vec![TargetStats::default(); targets.len()],
        targets,
        files: Vec::with_capacity(results.len()),
        hits: vec![Vec::new(); plan.matchers.len()],
        deps: Vec::new(),
        docs: Vec::new(),
        query_matches: vec![Vec::new(); plan.queries.len()],
        nested_keys: vec![Vec::new(); plan.nested_keys.rules.len()],
        grants: Vec::new(),
        iam_links: Vec::new(),
        trusts: Vec::new(),
        jit: Vec::new(),
        buckets: Vec::new(),
        resources: Vec::new(),
        workloads: Vec::new(),
        notes: Vec::new(),
        doc_kind_ids: plan.doc_kinds.iter().map(|k| k.id.clone()).collect(),
    };
    // Exact capacities: growing by doubling would leave up to half of each of these large
    // vectors unused, and hold the old and new buffers at once while it grows.
    let rests = || results.iter().filter_map(|v| v.rest.as_deref());
    ws.grants.reserve_exact(rests().map(|r| r.grants.len()).sum());
    ws.resources
        .reserve_exact(rests().map(|r| r.resources.len()).sum());
    ws.buckets.reserve_exact(rests().map(|r| r.buckets.len()).sum());
    ws.docs.reserve_exact(rests().filter(|r| r.doc.is_some()).count());
    let mut iam_names = Vec::new();
    let mut attachments = Vec::new();
    let mut lifecycle_exports = Vec::new();
    ws.deps.reserve_exact(rests().map(|r| r.deps.len()).sum());
    for v in results {
        let entry = v.entry;
        let r = v.rest.map(|b| *b).unwrap_or_default();
        let id = FileId::try_from(ws.files.len()).unwrap_or(FileId::MAX);
        if entry.class == FileClass::Text {
            let s = &mut ws.stats[entry.target as usize];
            s.files_scanned += 1;
            s.bytes_scanned += entry.size;
        }
        for message in r.notes {
            notes.push(Note {
                target: entry.target,
                path: entry.path.clone(),
                message,
            });
        }
        for (h, comment) in r.hits {
            ws.hits[h.pattern.0 as usize].push(Hit {
                file: id,
                line: h.line,
                text: h.text,
                span: h.span,
                comment,
            });
        }
        ws.deps.extend(r.deps.into_iter().map(|d| (id, d)));
        let mut entry = entry;
        entry.evidence_doc = r.doc.is_some();
        if let Some((kinds, doc)) = r.doc {
            ws.docs.push(EvidenceDoc { file: id, kinds, doc });
        }
        ws.grants
            .extend(r.grants.into_iter().map(|(g, line)| (id, g, line)));
        ws.iam_links.extend(r.links.into_iter().map(|l| (id, l)));
        let target = entry.target;
        iam_names.extend(r.iam_names.into_iter().map(|(n, h)| (id as usize, target, n, h)));
        attachments.extend(r.attachments.into_iter().map(|a| (id as usize, target, a)));
        ws.trusts
            .extend(r.trusts.into_iter().map(|(t, line)| (id, t, line)));
        ws.jit.extend(r.jit.into_iter().map(|j| (id, j)));
        ws.buckets
            .extend(r.buckets.into_iter().map(|(b, line)| (id, b, line)));
        if r.lifecycle_export {
            lifecycle_exports.push(entry.path.clone());
        }
        ws.resources.extend(r.resources.into_iter().map(|x| (id, x)));
        ws.workloads.extend(r.workloads.into_iter().map(|w| (id, w)));
        for (qi, m) in r.queries {
            ws.query_matches[qi].push((id, m));
        }
        for (rule, hit) in r.nested_keys {
            ws.nested_keys[rule].push(Hit { file: id, ..hit });
        }
        ws.files.push(entry);
    }
    for hits in &mut ws.hits {
        hits.sort_by_key(|h| (h.file, h.line));
    }
    ws.iam_links.extend(
        super::iam::join(&iam_names, &attachments)
            .into_iter()
            .map(|(file, l)| (FileId::try_from(file).unwrap_or(FileId::MAX), l)),
    );
    super::storage::join(&mut ws.buckets, &lifecycle_exports);
    notes.sort();
    notes.dedup();
    ws.notes = notes;
    ws
}

#[cfg(test)]
mod tests {
    use super::opens_with_front_matter;

    #[test]
    fn front_matter_is_a_fence_on_the_first_non_blank_line() {
        assert!(opens_with_front_matter(b"---\nlicense: mit\n---\n# Card"));
        assert!(opens_with_front_matter(b"\xEF\xBB\xBF\n---  \r\nx: 1\n---\n"));
        assert!(!opens_with_front_matter(b"# Project\n---\n"));
        assert!(!opens_with_front_matter(b"----\n"));
        assert!(!opens_with_front_matter(b""));
    }
}
