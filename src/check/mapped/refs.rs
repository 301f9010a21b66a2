//! Models referenced where they are registered, loaded or served, in any language or
//! manifest: an MLflow registry URI (`models:/churn/12`), a registered-model or
//! model-package-group name, a weights file a Go or TypeScript server opens, a serving
//! manifest's `storageUri`. A company that serves everything from a registry has no
//! weights in its repository; its models are these names.
//!
//! Each reference is a regex run in the scan's one pass (a pattern like any other); its
//! named groups say what it captured: `name` (a registered name, as written), `path` (a
//! weights file or model URI, named like an artifact: `gs://models/churn/12` is `churn`,
//! version 12) and optionally `version`.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::names::{model_of, version_of, GENERIC};
use super::Entry;
use crate::check::compile::OneOrMany;
use crate::check::{CompileCx, Context};
use crate::workspace::matcher::LazyRegex;
use crate::workspace::{Hit, PatternId};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefSpec {
    /// What a match is ("MLflow registry model", "weights file loaded").
    pub label: String,
    /// Globs of the files to search.
    pub files: Vec<Spanned<String>>,
    /// Regexes with a `name` or `path` group, and optionally a `version` group.
    pub regex: Spanned<OneOrMany<String>>,
}

#[derive(Debug)]
pub(super) struct Reference {
    label: String,
    patterns: Vec<(PatternId, LazyRegex)>,
}

impl RefSpec {
    pub(super) fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Reference> {
        let files = cx.globs(&self.files);
        let regexes = cx.regexes(&self.regex)?;
        if files.len() != self.files.len() {
            return None;
        }
        for (src, _) in &regexes {
            if !["name", "path"]
                .iter()
                .any(|g| src.contains(&format!("(?P<{g}>")))
            {
                cx.error(
                    CompileCx::line_of(&self.regex),
                    format!("reference regex `{src}` needs a `(?P<name>…)` or `(?P<path>…)` group"),
                );
                return None;
            }
        }
        let patterns = regexes
            .into_iter()
            .map(|(src, re)| (cx.matchers.add(&src, &files, &[]), re))
            .collect();
        Some(Reference {
            label: self.label.clone(),
            patterns,
        })
    }
}

impl Reference {
    pub(super) fn label(&self) -> &str {
        &self.label
    }

    /// Every model this reference names, at the line that names it (code lines only: not
    /// tests, examples, documentation or comments).
    pub(super) fn entries(&self, cx: &Context<'_>, include_tests: bool, label: &str) -> Vec<Entry> {
        let mut out = Vec::new();
        for (id, re) in &self.patterns {
            for h in cx.ws.hits(*id).iter().filter(|h| counts(cx, h, include_tests)) {
                for caps in re.captures_iter(&h.text) {
                    // `tf.keras.layers`: a module path, not a file.
                    let end = caps.get(0).map_or(0, |m| m.end());
                    let mut after = h.text[end..].chars();
                    if after.next() == Some('.') && after.next().is_some_and(char::is_alphanumeric) {
                        continue;
                    }
                    let version = caps.name("version").and_then(|v| version_of(v.as_str()));
                    let named = match (caps.name("name"), caps.name("path")) {
                        (Some(n), _) => Some((n.as_str().to_string(), None)),
                        (None, Some(p)) => model_of(p.as_str()),
                        (None, None) => None,
                    };
                    let Some((name, layout_version)) = named.filter(|(n, _)| is_name(n)) else {
                        continue;
                    };
                    let path = &cx.ws.file(h.file).path;
                    out.push(Entry {
                        what: format!("{} at {path}:{}", self.label, h.line),
                        pointer: cx
                            .ws
                            .pointer(h.file, h.line, &h.text)
                            .labelled(format!("{label} {name} · {}", self.label)),
                        version: version.or(layout_version),
                        name,
                        also: Vec::new(),
                    });
                }
            }
        }
        out
    }
}

fn counts(cx: &Context<'_>, h: &Hit, include_tests: bool) -> bool {
    let f = cx.ws.file(h.file);
    !cx.ws.targets[f.target as usize].evidence_only
        && (include_tests || !(f.flags.test || f.flags.example))
        && !h.comment
        && !f.flags.prose
        && !f.evidence_doc
}

/// A name that says which model it is: not a placeholder, a template or a generic word.
fn is_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    name.len() >= 2
        && !name.bytes().all(|b| b.is_ascii_digit())
        && !name.contains(['{', '}', '$', '<', '>', '%'])
        && !GENERIC.contains(&l.as_str())
        && !matches!(
            l.as_str(),
            "my-model" | "my_model" | "mymodel" | "example" | "test" | "name"
        )
}
