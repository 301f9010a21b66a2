//! `mapped`: every artifact (a model version's weights, an MLflow model, a DVC output) is
//! named in a document of a kind (a lineage record). The model name is the artifact's file
//! stem (`churn-v3.onnx` → `churn-v3`), or its directory for generic file names
//! (`fraud-detector-v4/MLmodel`, `…/saved_model.pb`, `model.safetensors`). Names are
//! compared loosely (case, `-`, `_`, `.` and spaces are the same), version included: a
//! record for `churn-v2` does not cover `churn-v3`.
//!
//! Models are also found as registry entries declared in infrastructure (`resources`:
//! Terraform `aws_sagemaker_model`, `aws_sagemaker_model_package_group`, CloudFormation
//! `AWS::SageMaker::ModelPackage`…), named by their literal name attribute, and as model
//! cards (`cards`: a document whose YAML front matter has model-card keys such as
//! `model-index`, `base_model`, `pipeline_tag`), named by `model-index[0].name` or their
//! directory. A card that lists its training data (`datasets:`, or a filled-in "Training
//! data" section) is itself partial lineage for its model.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;

mod cards;
mod names;
mod refs;

use cards::Cards;
pub use names::model_name;
use names::{first_containing, norm, GENERIC};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Globs of the artifacts.
    pub files: Vec<Spanned<String>>,
    /// The document kind that must name each one.
    pub document: Spanned<String>,
    #[serde(default)]
    pub include_tests: bool,
    /// What an artifact is called in messages ("model").
    pub label: Option<String>,
    /// Declared resource types that are model versions or registry entries.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Model cards as a source of model names and partial lineage.
    pub cards: Option<CardSpec>,
    /// Models referenced by name or URI where they are registered, loaded or served.
    #[serde(default)]
    pub references: Vec<refs::RefSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSpec {
    /// The document kind model cards are found as (`README.md`, `model_card.md`).
    pub document: Spanned<String>,
    /// Front-matter keys that make a document a model card (any of them).
    pub keys: Vec<String>,
    /// Front-matter keys that list training data (the card is then partial lineage).
    #[serde(default)]
    pub lineage: Vec<String>,
    /// Headings of sections that describe training data, when filled in.
    pub sections: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct Mapped {
    files: crate::workspace::matcher::Globs,
    kind: String,
    include_tests: bool,
    label: String,
    resources: Vec<String>,
    cards: Option<Box<Cards>>,
    references: Vec<refs::Reference>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Mapped> {
        let kind = cx.doc_kind(&self.document);
        let globs = cx.globs(&self.files);
        if globs.len() != self.files.len() || globs.is_empty() {
            return None;
        }
        let files = crate::workspace::matcher::glob_set(&globs).ok()?;
        let cards = match &self.cards {
            None => None,
            Some(c) => {
                let kind = cx.doc_kind(&c.document);
                let sections = match &c.sections {
                    Some(r) => Some(cx.regex(r)?),
                    None => None,
                };
                if c.keys.is_empty() {
                    cx.error(
                        CompileCx::line_of(&c.document),
                        "`cards.keys` needs at least one key",
                    );
                    return None;
                }
                Some(Box::new(Cards {
                    kind,
                    keys: c.keys.clone(),
                    lineage: c.lineage.clone(),
                    sections,
                }))
            }
        };
        let references: Vec<refs::Reference> = self.references.iter().filter_map(|r| r.compile(cx)).collect();
        if references.len() != self.references.len() {
            return None;
        }
        Some(Mapped {
            references,
            files,
            kind,
            include_tests: self.include_tests,
            label: self.label.clone().unwrap_or_else(|| "artifact".into()),
            resources: self.resources.clone(),
            cards,
        })
    }
}

impl Mapped {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let mut sources = vec!["artifact files".to_string()];
        if !self.resources.is_empty() {
            sources.push(format!("declared resources ({})", self.resources.join(", ")));
        }
        if let Some(c) = &self.cards {
            sources.push(format!(
                "{} documents with front-matter keys {}",
                c.kind,
                c.keys.join("/")
            ));
        }
        for r in &self.references {
            sources.push(format!("{}s", r.label()));
        }
        let mut s = format!(
            "every {} (found as {}) is named in a {} document",
            self.label,
            sources.join(", "),
            self.kind
        );
        if let Some(c) = &self.cards {
            if !c.lineage.is_empty() {
                s.push_str(&format!(
                    ", or its model card lists its training data ({})",
                    c.lineage.join("/")
                ));
            }
        }
        s
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let texts: Vec<(String, &crate::workspace::EvidenceDoc)> =
            cx.docs_of(&self.kind).map(|d| (norm(&d.doc.text), d)).collect();
        let cards = self.cards.as_ref().map(|c| c.find(cx)).unwrap_or_default();
        let entries = self.entries(cx, &cards);
        let kind_title = super::document::kind_title(cx, &self.kind).to_lowercase();
        let found = locate(&texts, &entries);
        // Model cards by normalised name: the first that lists training data, and any.
        let mut card_with_lineage: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        let mut has_card = std::collections::HashSet::new();
        for (i, c) in cards.iter().enumerate() {
            let n = norm(&c.name);
            if c.lineage.is_some() {
                card_with_lineage.entry(n.clone()).or_insert(i);
            }
            has_card.insert(n);
        }
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        for (e, at) in entries.into_iter().zip(found) {
            let (name, key) = e.display();
            let wanted = norm(&e.name);
            if let Some((d, line)) = at {
                let doc = texts[d].1;
                passed.push(Item::new(
                    format!(
                        "{} {name} has a record in {}",
                        self.label,
                        cx.ws.file(doc.file).path
                    ),
                    format!("mapped:{key}"),
                    vec![cx.ws.doc_pointer(doc, line).labelled(name.clone())],
                ));
                continue;
            }
            if let Some((card, (lineage, line))) = card_with_lineage
                .get(&wanted)
                .map(|&i| &cards[i])
                .and_then(|c| Some(c).zip(c.lineage.as_ref()))
            {
                passed.push(Item::new(
                    format!(
                        "{} {name}: its model card lists its training data ({lineage}, {}:{line}), partial lineage",
                        self.label, card.path
                    ),
                    format!("mapped:{key}"),
                    vec![cx.ws.doc_pointer(card.doc, *line).labelled(format!("model card · {lineage}"))],
                ));
                continue;
            }
            let card_note = if has_card.contains(&wanted) {
                " and its model card lists no training data"
            } else {
                ""
            };
            let mut pointers = vec![e.pointer];
            pointers.extend(e.also);
            failed.push(Item::new(
                format!(
                    "{} {name} ({}) has no {kind_title} naming it{card_note}",
                    capital(&self.label),
                    e.what,
                ),
                format!("unmapped:{key}"),
                pointers,
            ));
        }
        if passed.is_empty() && failed.is_empty() {
            return Outcome {
                holds: true,
                passed,
                failed,
            };
        }
        Outcome::complete(passed, failed)
    }

    /// Every model found, once per name and version, in the order found; a model found in
    /// several places keeps the first as its source and lists a few more.
    fn entries(&self, cx: &Context<'_>, cards: &[cards::Card<'_>]) -> Vec<Entry> {
        let mut all = self.artifacts(cx);
        all.extend(self.registry_entries(cx));
        all.extend(cards.iter().map(|c| Entry {
            name: c.name.clone(),
            version: None,
            what: format!("{} model card", c.path),
            pointer: c.pointer.clone(),
            also: Vec::new(),
        }));
        for r in &self.references {
            all.extend(r.entries(cx, self.include_tests, &self.label));
        }
        let mut index: std::collections::HashMap<(String, Option<String>), usize> =
            std::collections::HashMap::new();
        let mut out: Vec<Entry> = Vec::new();
        for e in all {
            match index.entry((norm(&e.name), e.version.clone())) {
                std::collections::hash_map::Entry::Occupied(i) => {
                    let first = &mut out[*i.get()];
                    if first.also.len() < 4 && first.pointer != e.pointer && !first.also.contains(&e.pointer)
                    {
                        first.also.push(e.pointer);
                    }
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(out.len());
                    out.push(e);
                }
            }
        }
        out
    }

    /// Model artifacts by file name, named by their stem or directory.
    fn artifacts(&self, cx: &Context<'_>) -> Vec<Entry> {
        let mut out = Vec::new();
        for (i, f) in cx.ws.files.iter().enumerate() {
            if cx.ws.targets[f.target as usize].evidence_only
                || (!self.include_tests && (f.flags.test || f.flags.example))
                || !self.files.is_match(&f.path)
            {
                continue;
            }
            let Some((name, version)) = names::model_of(&f.path) else {
                continue;
            };
            let mut pointer = cx
                .ws
                .file_pointer(u32::try_from(i).unwrap_or(u32::MAX))
                .labelled(format!("{} {name}", self.label));
            pointer.snippet = None;
            out.push(Entry {
                name,
                version,
                what: f.path.clone(),
                pointer,
                also: Vec::new(),
            });
        }
        out
    }

    /// Model versions and registry entries declared as infrastructure, named by their
    /// literal name attribute (else the resource name), at their declaration line.
    fn registry_entries(&self, cx: &Context<'_>) -> Vec<Entry> {
        if self.resources.is_empty() {
            return Vec::new();
        }
        cx.ws
            .resources
            .iter()
            .filter(|(file, r)| {
                let f = cx.ws.file(*file);
                self.resources.contains(&r.rtype)
                    && !cx.ws.targets[f.target as usize].evidence_only
                    && (self.include_tests || !(f.flags.test || f.flags.example))
            })
            .map(|(file, r)| {
                // The registry group's name, else the model's own name; never an ARN or URI.
                // Without a literal name, a specific resource name stands in (`churn_v3`);
                // a generic one (`model`, `this`) is no name, so the address is shown.
                let literal = r
                    .literal(&[
                        "model_package_group_name",
                        "ModelPackageGroupName",
                        "ModelName",
                        "name",
                    ])
                    .filter(|n| !n.contains([':', '/']));
                let path = &cx.ws.file(*file).path;
                let (name, what) = match literal {
                    Some(n) => (n.to_string(), format!("{} in {path}", r.address)),
                    None if !generic_resource_name(&r.name) => (
                        r.name.clone(),
                        format!("{} in {path}, named by an expression", r.address),
                    ),
                    None => (r.address.clone(), format!("{path}, named by an expression")),
                };
                Entry {
                    what,
                    pointer: cx
                        .ws
                        .pointer(*file, r.line, &r.text)
                        .labelled(format!("{} {name}", self.label)),
                    name,
                    version: None,
                    also: Vec::new(),
                }
            })
            .collect()
    }
}

/// Resource names that say nothing about which model a resource is.
fn generic_resource_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    GENERIC.contains(&n.as_str())
        || matches!(
            n.as_str(),
            "this"
                | "main"
                | "default"
                | "models"
                | "group"
                | "registry"
                | "package"
                | "model_package_group"
                | "sagemaker_model"
        )
}

/// A model found by file, declaration, model card or reference.
struct Entry {
    name: String,
    /// The version its path or reference gives (`churn/12/MLmodel`, `models:/churn/12`).
    version: Option<String>,
    /// Where it was found, for messages (`models/churn-v3.onnx`).
    what: String,
    pointer: crate::evidence::Pointer,
    /// A few other places the same model is found.
    also: Vec<crate::evidence::Pointer>,
}

impl Entry {
    /// The model as shown (`churn version 12`) and as keyed (`churn@12`).
    fn display(&self) -> (String, String) {
        match &self.version {
            Some(v) => (format!("{} version {v}", self.name), format!("{}@{v}", self.name)),
            None => (self.name.clone(), self.name.clone()),
        }
    }
}

/// Which document names each model, and on which line. A model without a version is
/// looked up in one pass over each document for all the names (not one per name: 32,000
/// models and a record of 32,000 rows would be a billion comparisons); a versioned one
/// needs a document that names it and its version (`12` or `v12`).
fn locate(
    texts: &[(String, &crate::workspace::EvidenceDoc)],
    entries: &[Entry],
) -> Vec<Option<(usize, u32)>> {
    let wanted: Vec<String> = entries.iter().map(|e| norm(&e.name)).collect();
    let mut doc_of: Vec<Option<usize>> = vec![None; entries.len()];
    let plain: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].version.is_none())
        .collect();
    let needles: Vec<&str> = plain.iter().map(|&i| wanted[i].as_str()).collect();
    for (&i, d) in plain
        .iter()
        .zip(first_containing(texts.iter().map(|(t, _)| t.as_str()), &needles))
    {
        doc_of[i] = d;
    }
    for (i, e) in entries.iter().enumerate() {
        let Some(v) = &e.version else { continue };
        doc_of[i] = texts.iter().position(|(t, _)| {
            names::contains_norm(t, &wanted[i])
                && (names::contains_norm(t, v) || names::contains_norm(t, &format!("v{v}")))
        });
    }
    // The line: the first that names the model, in each document for all its models.
    let mut out: Vec<Option<(usize, u32)>> = doc_of.iter().map(|d| d.map(|d| (d, 1))).collect();
    let mut by_doc: Vec<Vec<usize>> = vec![Vec::new(); texts.len()];
    for (i, d) in doc_of.iter().enumerate() {
        if let Some(d) = d {
            by_doc[*d].push(i);
        }
    }
    for ((d, (_, doc)), mine) in texts.iter().enumerate().zip(by_doc) {
        if mine.is_empty() {
            continue;
        }
        let mut distinct: Vec<&str> = Vec::new();
        for &i in &mine {
            if !distinct.contains(&wanted[i].as_str()) {
                distinct.push(&wanted[i]);
            }
        }
        let lines: Vec<String> = doc.doc.lines().map(norm).collect();
        let found = first_containing(lines.iter().map(String::as_str), &distinct);
        for &i in &mine {
            let k = distinct.iter().position(|w| *w == wanted[i]).unwrap_or(0);
            if let Some(l) = found[k] {
                out[i] = Some((d, u32::try_from(l + 1).unwrap_or(u32::MAX)));
            }
        }
    }
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
