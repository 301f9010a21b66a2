//! `bucket`: storage buckets declared in Terraform whose name says they hold datasets,
//! training data or logged inputs, and which no lifecycle rule expires — nothing deletes
//! the data, so "deletable on request" and retention limits cannot be shown. Used under
//! `not:` (each such bucket is a finding at its resource line).

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Regex on the resource address or bucket name (`dataset|training|feedback`).
    pub names: Spanned<String>,
    /// Report buckets that have no lifecycle rule (the only mode today).
    pub without_lifecycle: bool,
}

#[derive(Debug)]
pub struct Bucket {
    names: regex::Regex,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Bucket> {
        if !self.without_lifecycle {
            cx.error(None, "`bucket` supports only `without_lifecycle: true`");
            return None;
        }
        Some(Bucket {
            names: cx.regex(&self.names)?,
        })
    }
}

impl Bucket {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!(
            "a Terraform bucket matching `{}` with no lifecycle rule",
            self.names.as_str()
        )
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let items = cx
            .ws
            .buckets
            .iter()
            .filter(|(file, b, _)| {
                let f = cx.ws.file(*file);
                !b.lifecycle
                    && !f.flags.test
                    && !f.flags.example
                    && (self.names.is_match(&b.address) || self.names.is_match(&b.name))
            })
            .map(|(file, b, line)| {
                let f = cx.ws.file(*file);
                let shown = if b.name.is_empty() {
                    b.address.clone()
                } else {
                    format!("{} ({})", b.address, b.name)
                };
                Item::new(
                    format!("{shown} holds training or logged data and no lifecycle rule deletes it"),
                    format!("{}|{}", f.path, b.address),
                    vec![cx.ws.pointer(*file, b.line, line).labelled(b.address.clone())],
                )
            })
            .collect();
        Outcome::found(items, || Item::new("No such bucket", "absent:bucket", Vec::new()))
    }
}
