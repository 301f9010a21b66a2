//! `mapped`: every artifact (a model version's weights, an MLflow model, a DVC output) is
//! named in a document of a kind (a lineage record). The model name is the artifact's file
//! stem (`churn-v3.onnx` → `churn-v3`), or its directory for generic file names
//! (`fraud-detector-v4/MLmodel`, `…/saved_model.pb`, `model.safetensors`). Names are
//! compared loosely (case, `-`, `_`, `.` and spaces are the same), version included: a
//! record for `churn-v2` does not cover `churn-v3`.

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
}

#[derive(Debug)]
pub struct Mapped {
    files: globset::GlobSet,
    kind: String,
    include_tests: bool,
    label: String,
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
        Some(Mapped {
            files,
            kind,
            include_tests: self.include_tests,
            label: self.label.clone().unwrap_or_else(|| "artifact".into()),
        })
    }
}

impl Mapped {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("every {} is named in a {} document", self.label, self.kind)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let texts: Vec<(String, &crate::workspace::EvidenceDoc)> = cx
            .ws
            .docs_of(&self.kind)
            .map(|d| (norm(&d.doc.text), d))
            .collect();
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (i, f) in cx.ws.files.iter().enumerate() {
            if cx.ws.targets[f.target as usize].evidence_only
                || (!self.include_tests && (f.flags.test || f.flags.example))
            {
                continue;
            }
            if !self.files.is_match(&f.path) {
                continue;
            }
            let Some(name) = model_name(&f.path) else { continue };
            if !seen.insert(name.clone()) {
                continue;
            }
            let wanted = norm(&name);
            let mut pointer = cx
                .ws
                .file_pointer(u32::try_from(i).unwrap_or(u32::MAX))
                .labelled(format!("{} {name}", self.label));
            pointer.snippet = None;
            match texts.iter().find(|(t, _)| t.contains(&wanted)) {
                Some((_, doc)) => {
                    let line = doc
                        .doc
                        .lines
                        .iter()
                        .position(|l| norm(l).contains(&wanted))
                        .map_or(1, |i| u32::try_from(i + 1).unwrap_or(u32::MAX));
                    passed.push(Item::new(
                        format!(
                            "{} {name} has a record in {}",
                            self.label,
                            cx.ws.file(doc.file).path
                        ),
                        format!("mapped:{name}"),
                        vec![cx.ws.doc_pointer(doc, line).labelled(name.clone())],
                    ));
                }
                None => failed.push(Item::new(
                    format!(
                        "{} {name} ({}) has no {} naming it",
                        capital(&self.label),
                        f.path,
                        super::document::kind_title(cx, &self.kind).to_lowercase()
                    ),
                    format!("unmapped:{name}"),
                    vec![pointer],
                )),
            }
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
