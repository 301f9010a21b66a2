//! `bucket`: storage buckets declared in Terraform whose name says they hold datasets,
//! training data or logged inputs, and which nothing deletes — so "deletable on request"
//! and retention limits cannot be shown. Used under `not:` (each such bucket is a finding at
//! its resource line).
//!
//! A bucket is deleted by a lifecycle rule (an expiry in the bucket or a lifecycle
//! configuration/management policy naming it), or — with `purge` — by a scheduled purge
//! job or a documented purge procedure for it:
//!
//! - a **job**: a file with a line that deletes stored objects (`delete_objects(`,
//!   `gsutil rm`, `aws s3 rm`, `blob.delete()`…) that is scheduled — it has a schedule line
//!   itself (a CronJob manifest, a CI workflow with `schedule`, an Airflow/Prefect/Dagster
//!   DAG), or a file with a schedule line in the same directory or one that runs it by file
//!   or module name (`python jobs/purge.py`, `-m jobs.purge`) — and whose lines (deletions,
//!   storage mentions such as `Bucket=` or `s3://…`) name the bucket or its Terraform
//!   address;
//! - a **document** of a kind (data governance, retention) whose section naming the bucket
//!   states a deletion procedure (every `procedure` regex matches the section).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::OneOrMany;
use super::{CompileCx, Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::workspace::{FileId, Hit, PatternId, Workspace};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Regex on the resource address or bucket name (`dataset|training|feedback`).
    pub names: Spanned<String>,
    /// Report buckets that have no lifecycle rule (the only mode today).
    pub without_lifecycle: bool,
    /// A scheduled purge job or a documented purge procedure also deletes a bucket.
    pub purge: Option<PurgeSpec>,
}

/// Lines of interest: regexes over files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinesSpec {
    pub regex: Spanned<OneOrMany<String>>,
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurgeSpec {
    /// Lines that delete stored objects.
    pub deletes: OneOrMany<LinesSpec>,
    /// Lines that schedule a job.
    pub schedules: OneOrMany<LinesSpec>,
    /// Lines that may name a bucket (`Bucket=`, `s3://`); the bucket's name is looked for on
    /// them and on deletion lines.
    pub mentions: OneOrMany<LinesSpec>,
    /// Lines that run a script or module (`python jobs/purge.py`, `-m jobs.purge`).
    pub runs: OneOrMany<LinesSpec>,
    /// Documents that may state a purge procedure for a bucket, by name.
    pub document: Option<Spanned<String>>,
    /// What the document's section naming the bucket must state (every regex must match).
    #[serde(default)]
    pub procedure: Vec<Spanned<String>>,
}

#[derive(Debug)]
pub struct Bucket {
    names: regex::Regex,
    purge: Option<Box<Purge>>,
}

#[derive(Debug)]
struct Purge {
    deletes: Vec<PatternId>,
    schedules: Vec<PatternId>,
    mentions: Vec<PatternId>,
    runs: Vec<PatternId>,
    document: Option<String>,
    procedure: Vec<regex::Regex>,
}

fn register(cx: &mut CompileCx<'_>, specs: &OneOrMany<LinesSpec>) -> Option<Vec<PatternId>> {
    let specs: Vec<&LinesSpec> = match specs {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v.iter().collect(),
    };
    let mut ids = Vec::new();
    let mut ok = true;
    for spec in specs {
        let files = cx.globs(&spec.files);
        let Some(regexes) = cx.regexes(&spec.regex) else {
            ok = false;
            continue;
        };
        ok &= files.len() == spec.files.len();
        ids.extend(regexes.iter().map(|(src, _)| cx.matchers.add(src, &files, &[])));
    }
    ok.then_some(ids)
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Bucket> {
        if !self.without_lifecycle {
            cx.error(None, "`bucket` supports only `without_lifecycle: true`");
            return None;
        }
        let names = cx.regex(&self.names);
        let purge = match &self.purge {
            None => None,
            Some(p) => {
                let document = p.document.as_ref().map(|d| cx.doc_kind(d));
                let procedure: Vec<Option<regex::Regex>> = p.procedure.iter().map(|r| cx.regex(r)).collect();
                let deletes = register(cx, &p.deletes);
                let schedules = register(cx, &p.schedules);
                let mentions = register(cx, &p.mentions);
                let runs = register(cx, &p.runs);
                if document.is_some() && procedure.is_empty() {
                    cx.error(None, "`purge.document` needs at least one `procedure` regex");
                    return None;
                }
                Some(Box::new(Purge {
                    deletes: deletes?,
                    schedules: schedules?,
                    mentions: mentions?,
                    runs: runs?,
                    document,
                    procedure: procedure.into_iter().collect::<Option<Vec<_>>>()?,
                }))
            }
        };
        Some(Bucket { names: names?, purge })
    }
}

impl Bucket {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "a Terraform bucket matching `{}` with no lifecycle rule",
            self.names.as_str()
        );
        if let Some(p) = &self.purge {
            s.push_str(", no scheduled purge job that deletes from it by name");
            if let Some(kind) = &p.document {
                s.push_str(&format!(
                    ", and no {kind} document stating its deletion procedure"
                ));
            }
        }
        s
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let jobs = self.purge.as_ref().map(|p| Jobs::new(cx, p));
        let mut kept = Vec::new();
        let mut purged = Vec::new();
        for (file, b, line) in &cx.ws.buckets {
            let f = cx.ws.file(*file);
            if b.lifecycle
                || f.flags.test
                || f.flags.example
                || !(self.names.is_match(&b.address) || self.names.is_match(&b.name))
            {
                continue;
            }
            let shown = if b.name.is_empty() {
                b.address.clone()
            } else {
                format!("{} ({})", b.address, b.name)
            };
            let mut wanted: Vec<&str> = vec![b.address.as_str()];
            if b.name.len() >= 3 {
                wanted.push(b.name.as_str());
            }
            let by_job = jobs.as_ref().and_then(|j| j.purging(cx.ws, &wanted));
            let by_doc = || {
                let p = self.purge.as_ref()?;
                documented(cx, p, &wanted)
            };
            if let Some((how, pointers)) = by_job.or_else(by_doc) {
                purged.push(Item::new(
                    format!("{shown} has no lifecycle rule but {how}"),
                    format!("{}|{}", f.path, b.address),
                    pointers,
                ));
                continue;
            }
            let why = if self.purge.is_some() {
                "nothing deletes it (no lifecycle rule, no scheduled purge job or documented purge naming it)"
            } else {
                "no lifecycle rule deletes it"
            };
            kept.push(Item::new(
                format!("{shown} holds training or logged data and {why}"),
                format!("{}|{}", f.path, b.address),
                vec![cx.ws.pointer(*file, b.line, line).labelled(b.address.clone())],
            ));
        }
        // Used under `not:`, so the buckets nothing deletes are what this check "finds";
        // purged buckets are its failures, which `not` turns into passing evidence.
        if kept.is_empty() {
            let failed = if purged.is_empty() {
                vec![Item::new("No such bucket", "absent:bucket", Vec::new())]
            } else {
                purged
            };
            return Outcome {
                holds: false,
                passed: Vec::new(),
                failed,
            };
        }
        Outcome {
            holds: true,
            passed: kept,
            failed: purged,
        }
    }
}

/// True when `hay` contains `needle` not glued to a longer name (`acme-data` is not in
/// `acme-data-archive`).
fn contains_name(hay: &str, needle: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    hay.match_indices(needle)
        .any(|(i, _)| !glued(hay[..i].chars().next_back()) && !glued(hay[i + needle.len()..].chars().next()))
}

/// The scheduled purge jobs of a workspace: deleting files with the lines that may name
/// their bucket.
struct Jobs<'a> {
    /// Deleting file → (its first deletion line, the lines that may name a bucket).
    jobs: BTreeMap<FileId, (&'a Hit, Option<&'a Hit>, Vec<&'a str>)>,
}

impl<'a> Jobs<'a> {
    fn new(cx: &Context<'a>, p: &Purge) -> Self {
        let ws = cx.ws;
        let lines = |ids: &[PatternId]| -> Vec<&'a Hit> {
            let mut v: Vec<&Hit> = ids
                .iter()
                .flat_map(|id| ws.hits(*id))
                .filter(|h| {
                    let f = ws.file(h.file);
                    !h.comment
                        && !f.flags.test
                        && !f.flags.example
                        && !f.flags.prose
                        && !f.evidence_doc
                        && !ws.targets[f.target as usize].evidence_only
                })
                .collect();
            v.sort_by_key(|h| (h.file, h.line));
            v
        };
        let deletes = lines(&p.deletes);
        let schedules = lines(&p.schedules);
        let mentions = lines(&p.mentions);
        let runs = lines(&p.runs);
        let first_by_file = |v: &[&'a Hit]| {
            let mut m: BTreeMap<FileId, &'a Hit> = BTreeMap::new();
            for h in v {
                m.entry(h.file).or_insert(h);
            }
            m
        };
        let first_delete = first_by_file(&deletes);
        let scheduled = first_by_file(&schedules);
        let mut jobs = BTreeMap::new();
        for (&file, &del) in &first_delete {
            let path = &ws.file(file).path;
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            // The files that schedule this one: itself, a scheduler beside it, or one that
            // runs it by name.
            let schedulers: BTreeSet<FileId> = scheduled
                .keys()
                .copied()
                .filter(|&s| {
                    let sp = &ws.file(s).path;
                    s == file
                        || (ws.file(s).target == ws.file(file).target
                            && sp.rsplit_once('/').map_or("", |(d, _)| d) == dir)
                        || runs
                            .iter()
                            .filter(|h| h.file == s)
                            .any(|h| runs_file(&h.text, path))
                })
                .collect();
            let Some(&first_sched) = schedulers.iter().next() else {
                continue;
            };
            let mut texts: Vec<&str> = Vec::new();
            for h in deletes.iter().chain(&mentions).chain(&runs) {
                if h.file == file || schedulers.contains(&h.file) {
                    texts.push(h.text.as_str());
                }
            }
            let sched = scheduled.get(&first_sched).copied();
            jobs.insert(file, (del, sched, texts));
        }
        Self { jobs }
    }

    /// The job that deletes from a bucket known by any of `wanted`: a description and its
    /// deletion and schedule lines.
    fn purging(&self, ws: &Workspace, wanted: &[&str]) -> Option<(String, Vec<Pointer>)> {
        let (_, (del, sched, _)) = self
            .jobs
            .iter()
            .find(|(_, (_, _, texts))| texts.iter().any(|t| wanted.iter().any(|w| contains_name(t, w))))?;
        let f = ws.file(del.file);
        let mut pointers = vec![ws.pointer(del.file, del.line, &del.text).labelled("purge job")];
        if let Some(s) = sched.filter(|s| (s.file, s.line) != (del.file, del.line)) {
            pointers.push(ws.pointer(s.file, s.line, &s.text).labelled("schedule"));
        }
        Some((
            format!("the scheduled purge job {}:{} deletes from it", f.path, del.line),
            pointers,
        ))
    }
}

/// True when a line runs the file at `path`: by file name (`python jobs/purge.py`) or by
/// module (`-m jobs.purge`, `from jobs.purge import run`).
fn runs_file(line: &str, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if contains_name(line, name) {
        return true;
    }
    let Some(stem) = name.strip_suffix(".py") else {
        return false;
    };
    if stem.len() < 4
        || matches!(
            stem,
            "main" | "__init__" | "__main__" | "utils" | "tasks" | "jobs"
        )
    {
        return false;
    }
    // The module path and each of its dotted suffixes ending in the stem.
    let module = path.trim_end_matches(".py").replace('/', ".");
    let parts: Vec<&str> = module.split('.').collect();
    (0..parts.len()).any(|i| contains_name(line, &parts[i..].join(".")))
}

/// A document section that names the bucket and states a deletion procedure.
fn documented(cx: &Context<'_>, p: &Purge, wanted: &[&str]) -> Option<(String, Vec<Pointer>)> {
    let kind = p.document.as_ref()?;
    for d in cx.ws.docs_of(kind) {
        if d.doc.is_template() {
            continue;
        }
        for (i, l) in d.doc.lines.iter().enumerate() {
            if !wanted.iter().any(|w| contains_name(l, w)) {
                continue;
            }
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            // The smallest record (section, row, entry) holding the line, else the line.
            let section = d
                .doc
                .records
                .iter()
                .filter(|r| r.line <= line && line <= r.end_line)
                .min_by_key(|r| r.end_line - r.line)
                .map_or_else(|| l.clone(), |r| d.doc.text(r.line, r.end_line));
            if p.procedure.iter().all(|re| re.is_match(&section)) {
                let path = &cx.ws.file(d.file).path;
                return Some((
                    format!("a deletion procedure for it is documented in {path}:{line}"),
                    vec![cx.ws.doc_pointer(d, line).labelled("documented purge")],
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{contains_name, runs_file};

    #[test]
    fn names_are_not_matched_inside_longer_names() {
        assert!(contains_name(
            "gsutil -m rm -r gs://acme-training-data/raw/**",
            "acme-training-data"
        ));
        assert!(!contains_name(
            "gs://acme-training-data-archive/x",
            "acme-training-data"
        ));
        assert!(contains_name(
            "bucket = aws_s3_bucket.training_data.id",
            "aws_s3_bucket.training_data"
        ));
    }

    #[test]
    fn scripts_run_by_file_or_module() {
        assert!(runs_file(
            "command: [\"python\", \"/app/jobs/purge_datasets.py\"]",
            "jobs/purge_datasets.py"
        ));
        assert!(runs_file(
            "args: [\"-m\", \"jobs.purge_datasets\"]",
            "src/jobs/purge_datasets.py"
        ));
        assert!(runs_file(
            "from jobs.purge_datasets import purge",
            "jobs/purge_datasets.py"
        ));
        assert!(!runs_file(
            "python jobs/purge_datasets_v2.py",
            "jobs/purge_datasets.py"
        ));
        assert!(!runs_file("python -m app.main", "jobs/main.py"));
    }
}
