//! `document`: an evidence document of a kind exists (an incident response plan, a vendor
//! register). Discovery happened during the walk, by conventional names anywhere in the
//! tree and in `--evidence` directories; this only reads the result.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The document kind (`incident-response-plan`, `vendor-register`, …).
    pub kind: Spanned<String>,
}

#[derive(Debug)]
pub struct Document {
    kind: String,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Document> {
        Some(Document {
            kind: cx.doc_kind(&self.kind),
        })
    }
}

impl Document {
    /// The document kind this check reads.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a {} exists", self.kind)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let mut found = Vec::new();
        let mut templates = Vec::new();
        for d in cx.docs_of(&self.kind) {
            let f = cx.ws.file(d.file);
            let first = d
                .doc
                .lines()
                .position(|l| !l.trim().is_empty())
                .map_or(1, |i| i as u32 + 1);
            let pointer = vec![cx.ws.doc_pointer(d, first)];
            if d.doc.is_template() {
                templates.push(Item::new(
                    format!(
                        "{} {} is incomplete: TODO (a template is not evidence until filled)",
                        kind_title(cx, &self.kind),
                        f.path
                    ),
                    format!("template:{}", f.path),
                    pointer,
                ));
            } else {
                found.push(Item::new(
                    format!("{} found: {}", kind_title(cx, &self.kind), f.path),
                    format!("doc:{}", f.path),
                    pointer,
                ));
            }
        }
        if found.is_empty() && !templates.is_empty() {
            return Outcome {
                holds: false,
                passed: Vec::new(),
                failed: templates,
            };
        }
        Outcome::found(found, || {
            Item::absent(
                format!("No {} found", cx.describe_kind(&self.kind)),
                &self.kind,
                Vec::new(),
            )
        })
    }
}

pub fn kind_title(cx: &Context<'_>, kind: &str) -> String {
    cx.doc_kind(kind)
        .map_or_else(|| kind.to_string(), |k| k.title.clone())
}
