//! `bucket`: storage buckets declared in Terraform or CloudFormation whose name says they hold datasets,
//! training data or logged inputs, and which nothing deletes — so "deletable on request"
//! and retention limits cannot be shown. Used under `not:` (each such bucket is a finding at
//! its resource line).
//!
//! A bucket is deleted by an enabled lifecycle rule that expires objects (in the bucket, in
//! a lifecycle configuration/management policy naming it, or in an exported configuration
//! whose path names it: see `workspace::storage`), or — with `purge` — by a scheduled
//! purge job or a documented purge procedure for it:
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

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::OneOrMany;
use super::{CompileCx, Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::workspace::{FileId, Hit, PatternId};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Regex on the resource address or bucket name (`dataset|training|feedback`).
    pub names: Spanned<String>,
    /// Report buckets that have no lifecycle rule; `false`: every bucket matching `names`
    /// (what a deletion check examined, for `examines:`).
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
    names: crate::workspace::matcher::LazyRegex,
    without_lifecycle: bool,
    purge: Option<Box<Purge>>,
}

#[derive(Debug)]
struct Purge {
    deletes: Vec<PatternId>,
    schedules: Vec<PatternId>,
    mentions: Vec<PatternId>,
    runs: Vec<PatternId>,
    document: Option<String>,
    procedure: Vec<crate::workspace::matcher::LazyRegex>,
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
        if !self.without_lifecycle && self.purge.is_some() {
            cx.error(None, "`purge` needs `without_lifecycle: true`");
            return None;
        }
        let names = cx.regex(&self.names);
        let purge = match &self.purge {
            None => None,
            Some(p) => {
                let document = p.document.as_ref().map(|d| cx.doc_kind(d));
                let procedure: Vec<Option<crate::workspace::matcher::LazyRegex>> =
                    p.procedure.iter().map(|r| cx.regex(r)).collect();
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
        Some(Bucket {
            names: names?,
            without_lifecycle: self.without_lifecycle,
            purge,
        })
    }
}

impl Bucket {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "a Terraform or CloudFormation bucket matching `{}` with no enabled lifecycle rule that expires objects",
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
        let ws = cx.ws;
        let candidates: Vec<&(FileId, crate::workspace::iam::Bucket, String)> = ws
            .buckets
            .iter()
            .filter(|(file, b, _)| {
                let f = ws.file(*file);
                (!b.lifecycle || !self.without_lifecycle)
                    && !f.flags.test
                    && !f.flags.example
                    && (self.names.is_match(&b.address) || self.names.is_match(&b.name))
            })
            .collect();
        if !self.without_lifecycle {
            let items = candidates
                .iter()
                .map(|(file, b, line)| {
                    let f = ws.file(*file);
                    let pointer = ws.pointer(*file, b.line, line).labelled(b.address.clone());
                    Item::new(
                        b.address.clone(),
                        format!("{}|{}", f.path, b.address),
                        vec![pointer],
                    )
                })
                .collect();
            return Outcome::found(items, || Item::absent("No such bucket", "bucket", Vec::new()));
        }
        // The names each bucket is known by: its Terraform address and its literal name.
        let wanted: Vec<Vec<&str>> = candidates
            .iter()
            .map(|(_, b, _)| {
                let mut w = vec![b.address.as_str()];
                if b.name.len() >= 3 {
                    w.push(b.name.as_str());
                }
                w
            })
            .collect();
        let deleted = match &self.purge {
            Some(p) if !candidates.is_empty() => purge_evidence(cx, p, &wanted),
            _ => vec![None; candidates.len()],
        };
        let mut kept = Vec::new();
        let mut purged = Vec::new();
        for ((file, b, line), how) in candidates.into_iter().zip(deleted) {
            let f = ws.file(*file);
            let shown = if b.name.is_empty() {
                b.address.clone()
            } else {
                format!("{} ({})", b.address, b.name)
            };
            let key = format!("{}|{}", f.path, b.address);
            if let Some((how, pointers)) = how {
                purged.push(Item::new(
                    format!("{shown} has no enabled lifecycle rule that expires objects, but {how}"),
                    key,
                    pointers,
                ));
                continue;
            }
            let why = if self.purge.is_some() {
                "nothing deletes it (no enabled lifecycle rule expires its objects, no scheduled purge job or documented purge names it)"
            } else {
                "no enabled lifecycle rule expires its objects"
            };
            kept.push(Item::new(
                format!("{shown} holds training or logged data and {why}"),
                key,
                vec![ws.pointer(*file, b.line, line).labelled(b.address.clone())],
            ));
        }
        // Used under `not:`, so the buckets nothing deletes are what this check "finds";
        // purged buckets are its failures, which `not` turns into passing evidence.
        if kept.is_empty() {
            let failed = if purged.is_empty() {
                vec![Item::absent("No such bucket", "bucket", Vec::new())]
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

/// A character that continues a name: `acme-data` is not in `acme-data-archive`.
fn glued(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// True when `hay` contains `needle` not glued to a longer name.
#[cfg(test)]
fn contains_name(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle)
        .any(|(i, _)| !glued(hay[..i].chars().next_back()) && !glued(hay[i + needle.len()..].chars().next()))
}

/// Finds bucket names in text: one automaton over every name, so each line is read once
/// whatever the number of buckets.
struct NameFinder {
    ac: Option<aho_corasick::AhoCorasick>,
    /// For each name, the buckets known by it.
    owners: Vec<Vec<usize>>,
}

impl NameFinder {
    fn new(wanted: &[Vec<&str>]) -> Self {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (bucket, list) in wanted.iter().enumerate() {
            for n in list {
                let i = *index.entry(n).or_insert_with(|| {
                    names.push(*n);
                    owners.push(Vec::new());
                    names.len() - 1
                });
                owners[i].push(bucket);
            }
        }
        Self {
            ac: aho_corasick::AhoCorasick::new(&names).ok(),
            owners,
        }
    }

    /// The buckets named in `text` (as whole names).
    fn buckets(&self, text: &str, out: &mut Vec<usize>) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_overlapping_iter(text) {
            let (i, j) = (m.start(), m.end());
            if !glued(text[..i].chars().next_back()) && !glued(text[j..].chars().next()) {
                out.extend(&self.owners[m.pattern().as_usize()]);
            }
        }
    }
}

/// For each bucket (by `wanted` index), how it is purged: a scheduled job that deletes from
/// it by name, else a document stating its deletion procedure.
fn purge_evidence(cx: &Context<'_>, p: &Purge, wanted: &[Vec<&str>]) -> Vec<Option<(String, Vec<Pointer>)>> {
    let ws = cx.ws;
    let finder = NameFinder::new(wanted);
    let mut out: Vec<Option<(String, Vec<Pointer>)>> = vec![None; wanted.len()];
    let mut hit = Vec::new();
    for job in jobs(cx, p) {
        for text in &job.texts {
            hit.clear();
            finder.buckets(text, &mut hit);
            for &b in &hit {
                if out[b].is_none() {
                    let f = ws.file(job.delete.file);
                    let mut pointers = vec![ws
                        .pointer(job.delete.file, job.delete.line, &job.delete.text)
                        .labelled("purge job")];
                    if (job.schedule.file, job.schedule.line) != (job.delete.file, job.delete.line) {
                        pointers.push(
                            ws.pointer(job.schedule.file, job.schedule.line, &job.schedule.text)
                                .labelled("schedule"),
                        );
                    }
                    out[b] = Some((
                        format!(
                            "the scheduled purge job {}:{} deletes from it",
                            f.path, job.delete.line
                        ),
                        pointers,
                    ));
                }
            }
        }
    }
    if let Some(kind) = &p.document {
        for d in cx.docs_of(kind) {
            if out.iter().all(Option::is_some) {
                break;
            }
            if d.doc.is_template() {
                continue;
            }
            let mut sections: Option<Vec<Option<usize>>> = None;
            let mut states: HashMap<usize, bool> = HashMap::new();
            for (i, l) in d.doc.lines().enumerate() {
                hit.clear();
                finder.buckets(l, &mut hit);
                hit.retain(|&b| out[b].is_none());
                if hit.is_empty() {
                    continue;
                }
                let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
                // The smallest record (section, row, entry) holding the line, else the line.
                let record = sections.get_or_insert_with(|| smallest_records(&d.doc))[i];
                let ok = match record {
                    Some(r) => *states.entry(r).or_insert_with(|| {
                        let rec = &d.doc.records[r];
                        let text = d.doc.text(rec.line, rec.end_line);
                        p.procedure.iter().all(|re| re.is_match(&text))
                    }),
                    None => p.procedure.iter().all(|re| re.is_match(l)),
                };
                if !ok {
                    continue;
                }
                let path = &ws.file(d.file).path;
                for &b in &hit {
                    out[b].get_or_insert_with(|| {
                        (
                            format!("a deletion procedure for it is documented in {path}:{line}"),
                            vec![ws.doc_pointer(d, line).labelled("documented purge")],
                        )
                    });
                }
            }
        }
    }
    out
}

/// For each line of a document (0-based), the index of the smallest record holding it.
fn smallest_records(doc: &crate::workspace::Document) -> Vec<Option<usize>> {
    let n = doc.line_count();
    let mut best: Vec<Option<usize>> = vec![None; n];
    let span = |r: usize| doc.records[r].end_line.saturating_sub(doc.records[r].line);
    for (ri, r) in doc.records.iter().enumerate() {
        let from = (r.line.max(1) - 1) as usize;
        let to = (r.end_line as usize).min(n);
        for slot in best.iter_mut().take(to).skip(from) {
            if slot.is_none_or(|b| span(ri) < span(b)) {
                *slot = Some(ri);
            }
        }
    }
    best
}

/// A scheduled purge job: its first deletion line, the schedule that runs it, and the lines
/// (deletions, storage mentions, commands) that may name its bucket.
struct Job<'a> {
    delete: &'a Hit,
    schedule: &'a Hit,
    texts: Vec<&'a str>,
}

/// At most this many scheduling files are read per job.
const MAX_SCHEDULERS: usize = 16;

/// The scheduled purge jobs of a workspace, in file order.
fn jobs<'a>(cx: &Context<'a>, p: &Purge) -> Vec<Job<'a>> {
    let ws = cx.ws;
    let by_file = |ids: &[PatternId]| -> BTreeMap<FileId, Vec<&'a Hit>> {
        let mut m: BTreeMap<FileId, Vec<&'a Hit>> = BTreeMap::new();
        for h in ids.iter().flat_map(|id| ws.hits(*id)) {
            let f = ws.file(h.file);
            if h.comment
                || f.flags.test
                || f.flags.example
                || f.flags.prose
                || f.evidence_doc
                || ws.targets[f.target as usize].evidence_only
            {
                continue;
            }
            m.entry(h.file).or_default().push(h);
        }
        for v in m.values_mut() {
            v.sort_by_key(|h| h.line);
        }
        m
    };
    let deletes = by_file(&p.deletes);
    let schedules = by_file(&p.schedules);
    let mentions = by_file(&p.mentions);
    let runs = by_file(&p.runs);
    let dir_of = |f: FileId| {
        let e = ws.file(f);
        (e.target, e.path.rsplit_once('/').map_or("", |(d, _)| d))
    };
    let mut sched_by_dir: HashMap<(crate::evidence::TargetId, &str), Vec<FileId>> = HashMap::new();
    for &s in schedules.keys() {
        sched_by_dir.entry(dir_of(s)).or_default().push(s);
    }
    // Deleting files by the names a command or import would use for them.
    let mut by_key: HashMap<String, Vec<FileId>> = HashMap::new();
    for &f in deletes.keys() {
        for k in run_keys(&ws.file(f).path) {
            by_key.entry(k).or_default().push(f);
        }
    }
    let mut run_by: HashMap<FileId, Vec<FileId>> = HashMap::new();
    for &s in schedules.keys() {
        for h in runs.get(&s).into_iter().flatten() {
            for token in h
                .text
                .split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)))
            {
                let file_name = token.rsplit('/').next().unwrap_or(token);
                let parts: Vec<&str> = token.split('.').collect();
                let module_suffixes =
                    (!token.contains('/')).then(|| (0..parts.len()).map(|i| parts[i..].join(".")));
                for k in std::iter::once(file_name.to_string()).chain(module_suffixes.into_iter().flatten()) {
                    for &f in by_key.get(&k).into_iter().flatten() {
                        let v = run_by.entry(f).or_default();
                        if !v.contains(&s) && v.len() < MAX_SCHEDULERS {
                            v.push(s);
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (&file, dels) in &deletes {
        let mut schedulers: Vec<FileId> = Vec::new();
        if schedules.contains_key(&file) {
            schedulers.push(file);
        }
        for &s in sched_by_dir
            .get(&dir_of(file))
            .into_iter()
            .flatten()
            .chain(run_by.get(&file).into_iter().flatten())
        {
            if schedulers.len() >= MAX_SCHEDULERS {
                break;
            }
            if !schedulers.contains(&s) {
                schedulers.push(s);
            }
        }
        let Some(&first) = schedulers.first() else {
            continue;
        };
        let mut texts: Vec<&str> = Vec::new();
        for f in std::iter::once(file).chain(schedulers.iter().copied().filter(|&s| s != file)) {
            for m in [&deletes, &mentions, &runs] {
                texts.extend(m.get(&f).into_iter().flatten().map(|h| &*h.text));
            }
        }
        out.push(Job {
            delete: dels[0],
            schedule: schedules[&first][0],
            texts,
        });
    }
    out
}

/// The names a command or import would run a file by: its file name, and for Python its
/// module path and each dotted suffix of it (`jobs.purge`, `purge`), unless the stem is too
/// generic to identify it (`main`, `utils`).
fn run_keys(path: &str) -> Vec<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut keys = vec![name.to_string()];
    if let Some(stem) = name.strip_suffix(".py") {
        if stem.len() >= 4
            && !matches!(
                stem,
                "main" | "__init__" | "__main__" | "utils" | "tasks" | "jobs"
            )
        {
            let module = path.trim_end_matches(".py").replace('/', ".");
            let parts: Vec<&str> = module.split('.').collect();
            keys.extend((0..parts.len()).map(|i| parts[i..].join(".")));
        }
    }
    keys
}

/// True when a line runs the file at `path` (by file name or module).
#[cfg(test)]
fn runs_file(line: &str, path: &str) -> bool {
    let keys = run_keys(path);
    line.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)))
        .any(|token| {
            let file_name = token.rsplit('/').next().unwrap_or(token);
            let parts: Vec<&str> = token.split('.').collect();
            keys.iter().any(|k| {
                k == file_name
                    || (!token.contains('/') && (0..parts.len()).any(|i| parts[i..].join(".") == *k))
            })
        })
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
