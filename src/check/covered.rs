//! `covered`: each unit found by `sites` has evidence found by `evidence` — "every served
//! model has drift monitoring", not "the repository mentions a drift library somewhere".
//!
//! Both are ordinary conditions; their items' pointers are the sites and the evidence. Sites
//! are grouped into units by *component*: the nearest directory holding a project manifest
//! (`pyproject.toml`, `requirements*.txt`, `package.json`, `go.mod`, `Dockerfile`,
//! `Chart.yaml`…, configurable), or else the top-level directory. A site inside a declared
//! resource (a Terraform `aws_sagemaker_endpoint`, a CloudFormation endpoint) is a unit of
//! its own, named by its address. Evidence covers a unit when
//!
//! - it names it: the evidence sits in a declared resource whose references lead to the
//!   unit's resource (a monitoring schedule → its job definition → the endpoint), or that
//!   carries the unit's literal name (`endpoint_name = "churn-v3"`) — such evidence covers
//!   only what it names;
//! - otherwise, it lives in the same component;
//! - or it lives at the repository root (a drift dependency in the root manifest), which
//!   covers units in components without a manifest of their own.
//!
//! Each uncovered unit is one finding at its site (`path:line`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::ConditionSpec;
use super::{CompileCx, Condition, Context, Outcome};
use crate::evidence::{Item, Pointer, TargetId};
use crate::workspace::resources::Resource;
use crate::workspace::{FileId, Workspace};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The sites that need evidence (served models, LLM calls).
    pub sites: Box<ConditionSpec>,
    /// The evidence (a drift library, a drift test, a managed model monitor).
    pub evidence: Box<ConditionSpec>,
    /// What a unit is called in messages ("served model").
    pub label: Option<String>,
    /// What the evidence is called in messages ("drift or output-quality monitoring").
    pub evidence_label: Option<String>,
    /// File-name globs that make their directory a component (default: project manifests).
    #[serde(default)]
    pub components: Vec<Spanned<String>>,
    /// Globs of files whose sites need no evidence: evaluation harnesses and benchmarks
    /// call a model to measure it, they are not a feature that serves it.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// Files that make a directory a project of its own.
const DEFAULT_COMPONENTS: &[&str] = &[
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "Pipfile",
    "environment.yml",
    "environment.yaml",
    "conda.yml",
    "conda.yaml",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "Dockerfile",
    "Dockerfile.*",
    "*.dockerfile",
    "Chart.yaml",
    "kustomization.yaml",
    "bentofile.yaml",
    "MLproject",
];

#[derive(Debug)]
pub struct Covered {
    sites: Box<Condition>,
    evidence: Box<Condition>,
    components: crate::workspace::matcher::Globs,
    exclude: Option<Box<crate::workspace::matcher::Globs>>,
    label: String,
    evidence_label: String,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Covered> {
        let globs: Vec<String> = if self.components.is_empty() {
            DEFAULT_COMPONENTS.iter().map(ToString::to_string).collect()
        } else {
            let g = cx.globs(&self.components);
            if g.len() != self.components.len() {
                return None;
            }
            g
        };
        let components = crate::workspace::matcher::glob_set(&globs).ok()?;
        let exclude = if self.exclude.is_empty() {
            None
        } else {
            let g = cx.globs(&self.exclude);
            if g.len() != self.exclude.len() {
                return None;
            }
            Some(Box::new(crate::workspace::matcher::glob_set(&g).ok()?))
        };
        let sites = self.sites.compile(cx);
        let evidence = self.evidence.compile(cx);
        Some(Covered {
            sites: Box::new(sites?),
            evidence: Box::new(evidence?),
            components,
            exclude,
            label: self.label.clone().unwrap_or_else(|| "site".into()),
            evidence_label: self.evidence_label.clone().unwrap_or_else(|| "evidence".into()),
        })
    }
}

/// The component a file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Component {
    target: TargetId,
    /// Directory relative to the target root; empty for the root.
    dir: String,
    /// True when the directory holds a manifest (not the top-level fallback).
    manifest: bool,
}

impl Component {
    fn shown(&self) -> String {
        if self.dir.is_empty() {
            "the repository root".to_string()
        } else {
            format!("{}/", self.dir)
        }
    }
}

struct Components {
    dirs: HashSet<(TargetId, String)>,
}

impl Components {
    fn new(ws: &Workspace, globs: &globset::GlobSet) -> Self {
        let dirs = ws
            .files
            .iter()
            .filter(|f| !ws.targets[f.target as usize].evidence_only && globs.is_match(&f.path))
            .map(|f| (f.target, parent(&f.path).to_string()))
            .collect();
        Self { dirs }
    }

    fn of(&self, target: TargetId, path: &str) -> Component {
        let mut dir = parent(path);
        loop {
            if self.dirs.contains(&(target, dir.to_string())) {
                return Component {
                    target,
                    dir: dir.to_string(),
                    manifest: true,
                };
            }
            if dir.is_empty() {
                break;
            }
            dir = parent(dir);
        }
        let top = path.split_once('/').map_or("", |(d, _)| d);
        Component {
            target,
            dir: top.to_string(),
            manifest: false,
        }
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The file a pointer is in.
fn file_id(ws: &Workspace, p: &Pointer) -> Option<FileId> {
    ws.files
        .binary_search_by(|f| (f.target, f.path.as_str()).cmp(&(p.target, p.path.as_str())))
        .ok()
        .and_then(|i| FileId::try_from(i).ok())
}

/// The innermost declared resource of `file` containing `line`.
fn resource_at(ws: &Workspace, file: FileId, line: Option<u32>) -> Option<&Resource> {
    let line = line?;
    resources_of(ws, file)
        .filter(|r| r.contains(line))
        .min_by_key(|r| r.end_line - r.line)
}

/// The declared resources of one file (the index is in file order).
fn resources_of(ws: &Workspace, file: FileId) -> impl Iterator<Item = &Resource> {
    let start = ws.resources.partition_point(|(f, _)| *f < file);
    ws.resources[start..]
        .iter()
        .take_while(move |(f, _)| *f == file)
        .map(|(_, r)| r)
}

/// Where a reference is resolved: a CloudFormation logical id within its template, a
/// Terraform address within its module (directory).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Scope<'w> {
    Template(FileId),
    Module(TargetId, &'w str),
}

/// Declared resources by scope and address, built once per evaluation.
struct Index<'w> {
    by_address: HashMap<(Scope<'w>, &'w str), Vec<(FileId, &'w Resource)>>,
}

impl<'w> Index<'w> {
    fn new(ws: &'w Workspace) -> Self {
        let mut by_address: HashMap<(Scope<'w>, &'w str), Vec<(FileId, &'w Resource)>> = HashMap::new();
        for (f, r) in &ws.resources {
            by_address
                .entry((scope(ws, *f, r), r.address.as_str()))
                .or_default()
                .push((*f, r));
        }
        Self { by_address }
    }

    /// The resources a reference from resource `r` of `file` can mean.
    fn referenced(
        &self,
        ws: &'w Workspace,
        file: FileId,
        r: &Resource,
        address: &'w str,
    ) -> &[(FileId, &'w Resource)] {
        self.by_address
            .get(&(scope(ws, file, r), address))
            .map_or(&[], Vec::as_slice)
    }
}

fn scope<'w>(ws: &'w Workspace, file: FileId, r: &Resource) -> Scope<'w> {
    if r.rtype.contains("::") {
        Scope::Template(file)
    } else {
        let f = ws.file(file);
        Scope::Module(f.target, parent(&f.path))
    }
}

/// The names a declared resource is known by: its literal `name` (Terraform) or
/// `<Type>Name` (CloudFormation `EndpointName`).
fn identity(r: &Resource) -> Vec<String> {
    let short = r.rtype.rsplit("::").next().unwrap_or("");
    let typed = format!("{short}Name");
    r.literal(&["name", &typed])
        .map(|s| vec![s.to_string()])
        .unwrap_or_default()
}

/// A unit's key: its component and, for a declared resource, its address.
type UnitKey = (Component, Option<String>);

/// Where a declared resource is: its file and first line.
type ResourceAt = (FileId, u32);

struct Unit {
    /// Literal names of the unit's resource.
    names: Vec<String>,
    sites: Vec<(bool, Pointer)>,
    covered_by: Option<Pointer>,
}

impl Covered {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!(
            "each {} ({}) has {} ({}) in its component (the nearest directory with a project manifest, else the top-level directory), in a resource that names it, or at the repository root",
            self.label,
            super::describe(&self.sites),
            self.evidence_label,
            super::describe(&self.evidence)
        )
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let ws = cx.ws;
        let sites = self.sites.evaluate(cx);
        if !sites.holds {
            // Nothing to group (the control applies for another reason): the evidence is
            // judged for the repository as a whole.
            return self.evidence.evaluate(cx);
        }
        let comps = Components::new(ws, &self.components);
        let (mut units, unit_at) = self.units(ws, &comps, &sites);
        if units.is_empty() {
            // Every site was excluded: judged as if there were none.
            return self.evidence.evaluate(cx);
        }

        let evidence = self.evidence.evaluate(cx);
        let mut ev_seen = BTreeSet::new();
        let ev_pointers: Vec<&Pointer> = if evidence.holds {
            evidence
                .passed
                .iter()
                .flat_map(|i| i.pointers.iter())
                .filter(|p| ev_seen.insert((p.target, p.path.clone(), p.line)))
                .collect()
        } else {
            Vec::new()
        };
        let index = Index::new(ws);
        // What each evidence resource names, computed once per resource.
        let mut named_by: BTreeMap<ResourceAt, Vec<UnitKey>> = BTreeMap::new();
        let mut in_dir: BTreeMap<(TargetId, String), &Pointer> = BTreeMap::new();
        let mut at_root: BTreeMap<TargetId, &Pointer> = BTreeMap::new();
        for p in ev_pointers {
            let comp = comps.of(p.target, &p.path);
            let named = file_id(ws, p)
                .and_then(|f| resource_at(ws, f, p.line).map(|r| (f, r)))
                .map(|(f, r)| {
                    named_by
                        .entry((f, r.line))
                        .or_insert_with(|| named_units(ws, &index, f, r, &units, &unit_at))
                        .clone()
                })
                .unwrap_or_default();
            if named.is_empty() {
                // Unscoped evidence covers its component; at the root, also components
                // without a manifest of their own.
                in_dir.entry((comp.target, comp.dir.clone())).or_insert(p);
                if comp.dir.is_empty() {
                    at_root.entry(comp.target).or_insert(p);
                }
            }
            for k in named {
                if let Some(u) = units.get_mut(&k) {
                    u.covered_by.get_or_insert_with(|| p.clone());
                }
            }
        }
        for ((comp, _), u) in units.iter_mut() {
            let by = in_dir
                .get(&(comp.target, comp.dir.clone()))
                .or_else(|| (!comp.manifest).then(|| at_root.get(&comp.target)).flatten());
            if let (None, Some(p)) = (&u.covered_by, by) {
                u.covered_by = Some((*p).clone());
            }
        }

        self.verdicts(units)
    }

    /// The units of the sites: one per component, or per declared resource a site is in,
    /// with the unit of each site resource (by its file and first line).
    fn units(
        &self,
        ws: &Workspace,
        comps: &Components,
        sites: &Outcome,
    ) -> (BTreeMap<UnitKey, Unit>, BTreeMap<ResourceAt, UnitKey>) {
        let mut units: BTreeMap<UnitKey, Unit> = BTreeMap::new();
        // The unit of each site resource.
        let mut unit_at: BTreeMap<ResourceAt, UnitKey> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for p in sites.passed.iter().flat_map(|i| i.pointers.iter()) {
            if self.exclude.as_ref().is_some_and(|x| x.is_match(&p.path))
                || !seen.insert((p.target, p.path.clone(), p.line))
            {
                continue;
            }
            let Some(file) = file_id(ws, p) else { continue };
            let comp = comps.of(p.target, &p.path);
            let res = resource_at(ws, file, p.line);
            let key = (comp, res.map(|r| r.address.clone()));
            if let Some(r) = res {
                unit_at.insert((file, r.line), key.clone());
            }
            let is_manifest = self.components.is_match(&p.path);
            let unit = units.entry(key).or_insert_with(|| Unit {
                names: res.map(identity).unwrap_or_default(),
                sites: Vec::new(),
                covered_by: None,
            });
            let mut p = p.clone();
            if let Some(r) = res {
                // The resource's first line is the site; the label says which it is.
                if p.line != Some(r.line) {
                    p = ws
                        .pointer(file, r.line, &r.text)
                        .labelled(p.label.clone().unwrap_or_default());
                }
            }
            unit.sites.push((is_manifest, p));
        }
        (units, unit_at)
    }

    /// One passed item per covered unit, one finding per uncovered unit at its sites.
    fn verdicts(&self, units: BTreeMap<UnitKey, Unit>) -> Outcome {
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        for ((comp, address), mut unit) in units {
            // Code before manifests, then by place: the first is the unit's site.
            unit.sites.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            let what = match &address {
                Some(a) => match unit.names.first() {
                    Some(n) => format!("{} {a} ({n})", self.label),
                    None => format!("{} {a}", self.label),
                },
                None => format!("{} in {}", self.label, comp.shown()),
            };
            let key = format!("{}|{}", comp.dir, address.as_deref().unwrap_or(""));
            match unit.covered_by {
                Some(ev) => passed.push(Item::new(
                    format!("{what} is covered by {} at {}", self.evidence_label, loc(&ev)),
                    format!("covered:{key}"),
                    vec![ev],
                )),
                None => {
                    let why = match &address {
                        Some(_) => format!("none names it, and none in {} covers it", comp.shown()),
                        None if comp.manifest || comp.dir.is_empty() => "none in its component".to_string(),
                        None => "none in its directory or at the repository root".to_string(),
                    };
                    let mut what = what;
                    if let Some(first) = what.get(..1) {
                        what = first.to_uppercase() + &what[1..];
                    }
                    failed.push(Item::new(
                        format!("{what} has no {} ({why})", self.evidence_label),
                        format!("uncovered:{key}"),
                        unit.sites.into_iter().map(|(_, p)| p).collect(),
                    ));
                }
            }
        }
        Outcome::complete(passed, failed)
    }
}

/// The units a piece of evidence inside resource `r` (of `file`) names: those whose
/// resource it reaches through references (without passing through another unit), or whose
/// literal name one of the reached resources carries.
fn named_units(
    ws: &Workspace,
    index: &Index<'_>,
    file: FileId,
    r: &Resource,
    units: &BTreeMap<UnitKey, Unit>,
    unit_at: &BTreeMap<ResourceAt, UnitKey>,
) -> Vec<UnitKey> {
    let target = ws.file(file).target;
    let mut found: Vec<UnitKey> = Vec::new();
    let mut literals: BTreeSet<&str> = BTreeSet::new();
    let mut visited: BTreeSet<ResourceAt> = BTreeSet::new();
    let mut queue: Vec<(FileId, &Resource)> = vec![(file, r)];
    while let Some((f, res)) = queue.pop() {
        if visited.len() >= MAX_REACHED || !visited.insert((f, res.line)) {
            continue;
        }
        if let Some(k) = unit_at.get(&(f, res.line)) {
            if !found.contains(k) {
                found.push(k.clone());
            }
            if !std::ptr::eq(res, r) {
                continue;
            }
        }
        literals.extend(res.names.iter().map(|(_, v)| v.as_str()));
        for reference in &res.refs {
            if queue.len() > 4 * MAX_REACHED {
                break;
            }
            queue.extend(index.referenced(ws, f, res, reference).iter().copied());
        }
    }
    for (k, u) in units {
        if k.0.target == target
            && k.1.is_some()
            && u.names.iter().any(|n| literals.contains(n.as_str()))
            && !found.contains(k)
        {
            found.push(k.clone());
        }
    }
    found
}

/// At most this many resources are followed from one piece of evidence.
const MAX_REACHED: usize = 64;

fn loc(p: &Pointer) -> String {
    match p.line {
        Some(l) => format!("{}:{l}", p.path),
        None => p.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents() {
        assert_eq!(parent("a/b/c.py"), "a/b");
        assert_eq!(parent("c.py"), "");
    }
}
