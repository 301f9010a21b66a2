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
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a {} exists", self.kind)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let items: Vec<Item> = cx
            .ws
            .docs_of(&self.kind)
            .map(|d| {
                let f = cx.ws.file(d.file);
                let first = d
                    .doc
                    .lines
                    .iter()
                    .position(|l| !l.trim().is_empty())
                    .map_or(1, |i| i as u32 + 1);
                Item::new(
                    format!("{} found: {}", kind_title(cx, &self.kind), f.path),
                    format!("doc:{}", f.path),
                    vec![cx.ws.doc_pointer(d, first)],
                )
            })
            .collect();
        Outcome::found(items, || {
            Item::new(
                format!("No {} found", cx.describe_kind(&self.kind)),
                format!("absent:{}", self.kind),
                Vec::new(),
            )
        })
    }
}

pub fn kind_title(cx: &Context<'_>, kind: &str) -> String {
    cx.doc_kind(kind)
        .map_or_else(|| kind.to_string(), |k| k.title.clone())
}
