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
}

#[derive(Debug)]
struct Cards {
    kind: String,
    keys: Vec<String>,
    lineage: Vec<String>,
    sections: Option<crate::workspace::matcher::LazyRegex>,
}

/// File names that say nothing about which model they hold.
const GENERIC: &[&str] = &[
    "mlmodel",
    "saved_model",
    "model",
    "pytorch_model",
    "tf_model",
    "flax_model",
    "weights",
    "checkpoint",
    "adapter_model",
    "data",
    "variables",
    "keras_metadata",
    "fingerprint",
];

fn norm(s: &str) -> String {
    s.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The model a path holds, by name.
pub fn model_name(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let file = parts.last()?;
    let stem = file.split('.').next().unwrap_or(file);
    let stem_l = stem.to_ascii_lowercase();
    let generic = GENERIC.iter().any(|g| {
        stem_l == *g || stem_l.starts_with(&format!("{g}-0")) || stem_l.starts_with(&format!("{g}_0"))
    });
    let name = if generic {
        parts.iter().rev().skip(1).find(|d| {
            !matches!(
                d.to_ascii_lowercase().as_str(),
                "artifacts" | "model" | "models" | "1" | "data" | "variables"
            )
        })?
    } else {
        stem
    };
    (!name.is_empty()).then(|| name.to_string())
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
        Some(Mapped {
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
        let mut entries = self.artifacts(cx);
        entries.extend(self.registry_entries(cx));
        entries.extend(cards.iter().map(|c| Entry {
            name: c.name.clone(),
            what: format!("{} model card", c.path),
            pointer: c.pointer.clone(),
        }));
        let kind_title = super::document::kind_title(cx, &self.kind).to_lowercase();
        // Each model once, by normalised name, in the order found.
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<(String, Entry)> = entries
            .into_iter()
            .filter_map(|e| {
                let wanted = norm(&e.name);
                seen.insert(wanted.clone()).then_some((wanted, e))
            })
            .collect();
        // Which document names each model first, and on which line: one pass over each
        // document for all the names (not one per name: 32,000 models and a record of
        // 32,000 rows would be a billion comparisons).
        let needles: Vec<&str> = entries.iter().map(|(w, _)| w.as_str()).collect();
        let doc_of = first_containing(texts.iter().map(|(t, _)| t.as_str()), &needles);
        let mut line_of: Vec<u32> = vec![1; needles.len()];
        let mut by_doc: Vec<Vec<usize>> = vec![Vec::new(); texts.len()];
        for (n, d) in doc_of.iter().enumerate() {
            if let Some(d) = d {
                by_doc[*d].push(n);
            }
        }
        for ((_, doc), mine) in texts.iter().zip(by_doc) {
            if mine.is_empty() {
                continue;
            }
            let wanted: Vec<&str> = mine.iter().map(|&n| needles[n]).collect();
            let lines: Vec<String> = doc.doc.lines().map(norm).collect();
            let found = first_containing(lines.iter().map(String::as_str), &wanted);
            for (&n, at) in mine.iter().zip(found) {
                if let Some(i) = at {
                    line_of[n] = u32::try_from(i + 1).unwrap_or(u32::MAX);
                }
            }
        }
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
        for (n, (wanted, e)) in entries.into_iter().enumerate() {
            let name = e.name;
            if let Some(doc) = doc_of[n].map(|d| texts[d].1) {
                let line = line_of[n];
                passed.push(Item::new(
                    format!(
                        "{} {name} has a record in {}",
                        self.label,
                        cx.ws.file(doc.file).path
                    ),
                    format!("mapped:{name}"),
                    vec![cx.ws.doc_pointer(doc, line).labelled(name.clone())],
                ));
                continue;
            }
            if let Some((card, (key, line))) = card_with_lineage
                .get(&wanted)
                .map(|&i| &cards[i])
                .and_then(|c| Some(c).zip(c.lineage.as_ref()))
            {
                passed.push(Item::new(
                    format!(
                        "{} {name}: its model card lists its training data ({key}, {}:{line}), partial lineage",
                        self.label, card.path
                    ),
                    format!("mapped:{name}"),
                    vec![cx.ws.doc_pointer(card.doc, *line).labelled(format!("model card · {key}"))],
                ));
                continue;
            }
            let card_note = if has_card.contains(&wanted) {
                " and its model card lists no training data"
            } else {
                ""
            };
            failed.push(Item::new(
                format!(
                    "{} {name} ({}) has no {kind_title} naming it{card_note}",
                    capital(&self.label),
                    e.what,
                ),
                format!("unmapped:{name}"),
                vec![e.pointer],
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
            let Some(name) = model_name(&f.path) else { continue };
            let mut pointer = cx
                .ws
                .file_pointer(u32::try_from(i).unwrap_or(u32::MAX))
                .labelled(format!("{} {name}", self.label));
            pointer.snippet = None;
            out.push(Entry {
                name,
                what: f.path.clone(),
                pointer,
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

/// A model found by file, declaration or model card.
struct Entry {
    name: String,
    /// Where it was found, for messages (`models/churn-v3.onnx`).
    what: String,
    pointer: crate::evidence::Pointer,
}

/// A model card: the model it names and, when it lists training data, where.
struct Card<'a> {
    doc: &'a crate::workspace::EvidenceDoc,
    path: String,
    name: String,
    pointer: crate::evidence::Pointer,
    /// The lineage key or section and its line.
    lineage: Option<(String, u32)>,
}

/// Top-level keys of a Markdown file's YAML front matter: (key, line, has a value).
fn front_matter(lines: &[&str]) -> Option<Vec<(String, u32, bool)>> {
    if lines.first().map(|l| l.trim()) != Some("---") {
        return None;
    }
    let end = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim(), "---" | "..."))?
        + 1;
    let mut keys: Vec<(String, u32, bool)> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(end).skip(1) {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let top = !l.starts_with([' ', '\t', '-', '#']);
        match l.split_once(':') {
            Some((k, v)) if top && !k.is_empty() && !k.contains(' ') => {
                let v = v.trim();
                let has = !v.is_empty() && !matches!(v, "[]" | "{}" | "null" | "~" | "\"\"" | "''");
                keys.push((k.trim().to_string(), line, has));
            }
            _ => {
                // An indented or list line gives the key above it a value.
                if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                    if let Some(last) = keys.last_mut() {
                        last.2 = true;
                    }
                }
            }
        }
    }
    Some(keys)
}

/// Values in a model card that mean "not filled in".
fn placeholder(line: &str) -> bool {
    let l = line
        .trim()
        .trim_matches(|c| c == '[' || c == ']' || c == '*' || c == '_')
        .to_ascii_lowercase();
    l.is_empty()
        || l.starts_with("more information needed")
        || l.starts_with("<!--")
        || matches!(crate::text::value_state(&l), crate::text::ValueState::Todo)
}

impl Cards {
    fn find<'a>(&self, cx: &Context<'a>) -> Vec<Card<'a>> {
        let key_norm = |k: &str| k.to_ascii_lowercase().replace(['-', '_'], "");
        let is_key = |list: &[String], k: &str| list.iter().any(|w| key_norm(w) == key_norm(k));
        let mut out = Vec::new();
        for d in cx.docs_of(&self.kind) {
            let f = cx.ws.file(d.file);
            if f.flags.test || f.flags.example {
                continue;
            }
            let Some(keys) = front_matter(&d.doc.lines().collect::<Vec<_>>()) else {
                continue;
            };
            if !keys.iter().any(|(k, _, _)| is_key(&self.keys, k)) {
                continue;
            }
            // `model-index: - name: X` names the model; else the card's directory.
            let indexed = keys
                .iter()
                .position(|(k, _, _)| key_norm(k) == "modelindex")
                .and_then(|i| {
                    let from = keys[i].1;
                    let to = keys.get(i + 1).map_or(u32::MAX, |k| k.1);
                    (from + 1..to).find_map(|n| {
                        let l = d.doc.line(n).trim_start().trim_start_matches("- ").trim_start();
                        let v = l.strip_prefix("name:")?.trim().trim_matches(['"', '\'']);
                        (!v.is_empty()).then(|| (v.to_string(), n))
                    })
                });
            let (name, line) = match indexed {
                Some(x) => x,
                None => {
                    let dir = f.path.rsplit_once('/').map(|(d, _)| d);
                    let name = dir.and_then(|d| model_name(&format!("{d}/model"))).or_else(|| {
                        cx.ws.targets[f.target as usize]
                            .root
                            .file_name()
                            .map(|n| n.to_string_lossy().to_string())
                    });
                    let Some(name) = name else { continue };
                    (name, 1)
                }
            };
            let lineage = keys
                .iter()
                .find(|(k, _, has)| *has && is_key(&self.lineage, k))
                .map(|(k, l, _)| (format!("{k}:"), *l))
                .or_else(|| {
                    let re = self.sections.as_ref()?;
                    d.doc.records.iter().find_map(|r| {
                        let heading = matches!(r.kind, crate::workspace::document::RecordKind::Heading(_));
                        let filled = (r.line + 1..=r.end_line).any(|n| {
                            let l = d.doc.line(n);
                            !l.trim_start().starts_with('#') && !placeholder(l)
                        });
                        (heading && re.is_match(&r.title) && filled)
                            .then(|| (format!("section \"{}\"", r.title), r.line))
                    })
                });
            out.push(Card {
                doc: d,
                path: f.path.clone(),
                pointer: cx
                    .ws
                    .doc_pointer(d, line)
                    .labelled(format!("model card · {name}")),
                name,
                lineage,
            });
        }
        out
    }
}

/// For each needle (normalised, distinct), the index of the first haystack (normalised)
/// that holds it as whole words (`churn-v3` is not in `churn-v31`). A match starts where a word
/// starts and ends where one ends, so it is a run of as many words as the needle has: each
/// haystack is read once per distinct word count, each run looked up in a map.
fn first_containing<'h>(hays: impl Iterator<Item = &'h str>, needles: &[&str]) -> Vec<Option<usize>> {
    use std::collections::HashMap;
    let mut out = vec![None; needles.len()];
    // Needles by word count, then by text.
    let mut by_words: HashMap<usize, HashMap<&str, usize>> = HashMap::new();
    for (i, n) in needles.iter().enumerate() {
        if !n.is_empty() {
            by_words
                .entry(n.matches('-').count() + 1)
                .or_default()
                .insert(n, i);
        }
    }
    let mut left: usize = by_words.values().map(HashMap::len).sum();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for (h, hay) in hays.enumerate() {
        if left == 0 {
            break;
        }
        starts.clear();
        ends.clear();
        starts.push(0);
        for i in memchr::memchr_iter(b'-', hay.as_bytes()) {
            ends.push(i);
            starts.push(i + 1);
        }
        ends.push(hay.len());
        for (&words, group) in &mut by_words {
            if group.is_empty() || words > starts.len() {
                continue;
            }
            for k in 0..=starts.len() - words {
                let run = &hay[starts[k]..ends[k + words - 1]];
                if let Some(i) = group.remove(run) {
                    out[i] = Some(h);
                    left -= 1;
                    if group.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    out
}

/// True when normalised `hay` contains normalised `needle` as whole words (`churn-v3` is
/// not in `churn-v31`).
#[cfg(test)]
fn contains_norm(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        before.is_none_or(|c| c == '-') && after.is_none_or(|c| c == '-')
    })
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::model_name;

    #[test]
    fn model_names_from_paths() {
        assert_eq!(model_name("models/churn-v3.joblib").as_deref(), Some("churn-v3"));
        assert_eq!(
            model_name("mlruns/0/abc/artifacts/fraud-detector-v4/MLmodel").as_deref(),
            Some("fraud-detector-v4")
        );
        assert_eq!(
            model_name("export/ranker_v2/1/saved_model.pb").as_deref(),
            Some("ranker_v2")
        );
        assert_eq!(
            model_name("hf/intent-v2/model.safetensors").as_deref(),
            Some("intent-v2")
        );
        assert_eq!(
            model_name("hf/intent-v2/model-00001-of-00002.safetensors").as_deref(),
            Some("intent-v2")
        );
    }
}

#[cfg(test)]
mod card_tests {
    use super::{contains_norm, first_containing, front_matter, norm, placeholder};

    #[test]
    fn front_matter_keys_and_values() {
        let lines: Vec<&str> =
            "---\nlicense: mit\ndatasets:\n  - imdb\ntags: []\nbase_model: roberta-base\n---\n# x"
                .lines()
                .collect();
        let keys = front_matter(&lines).unwrap();
        let got: Vec<(&str, u32, bool)> = keys.iter().map(|(k, l, h)| (k.as_str(), *l, *h)).collect();
        assert_eq!(
            got,
            vec![
                ("license", 2, true),
                ("datasets", 3, true),
                ("tags", 5, false),
                ("base_model", 6, true)
            ]
        );
        assert!(front_matter(&["# no front matter"]).is_none());
    }

    #[test]
    fn placeholders_and_whole_word_names() {
        assert!(placeholder("More information needed"));
        assert!(placeholder("[More Information Needed]"));
        assert!(!placeholder("Support tickets from Q2, PII removed."));
        assert!(contains_norm(&norm("model: churn-v3."), &norm("churn-v3")));
        assert!(!contains_norm(&norm("model: churn-v31"), &norm("churn-v3")));
    }

    #[test]
    fn first_containing_agrees_with_contains_norm() {
        let hays: Vec<String> = [
            "model: churn-v31",
            "churn-v3 and fraud",
            "x--y, _lead, über-model v2",
            "",
            "fraud-detector-v4/MLmodel",
        ]
        .iter()
        .map(|h| norm(h))
        .collect();
        let needles: Vec<String> = [
            "churn-v3",
            "fraud",
            "y",
            "-lead",
            "x",
            "model-v2",
            "v4-mlmodel",
            "absent",
            "-",
            "",
            "churn-v31",
        ]
        .iter()
        .map(|n| norm(n))
        .collect();
        let mut uniq: Vec<&str> = Vec::new();
        for n in &needles {
            if !uniq.contains(&n.as_str()) {
                uniq.push(n);
            }
        }
        let got = first_containing(hays.iter().map(String::as_str), &uniq);
        for (n, g) in uniq.iter().zip(got) {
            let want = hays.iter().position(|h| contains_norm(h, n));
            assert_eq!(g, want, "needle {n:?}");
        }
    }
}
