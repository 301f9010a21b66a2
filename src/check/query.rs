//! `query`: a structured query over YAML and JSON documents (Kubernetes manifests, CI
//! workflows, CloudFormation, exported IAM policies). The query engine runs during the
//! walk (see `workspace::query`); this compiles the spec and reads the matches.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::ScalarText;
use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::query::{parse_path, Expect, Query};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Globs of files to query (default: every `.yaml`, `.yml` and `.json`).
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    /// Path → expected value; all must hold. `~regex` for a pattern, `*exists*` for presence.
    #[serde(rename = "where")]
    pub conditions: BTreeMap<String, ScalarText>,
    /// Path whose line is the evidence (default: the first condition).
    pub report: Option<String>,
    /// Path naming the matched object (`metadata.name`), used in messages.
    pub name: Option<String>,
    /// Message for each match; `{name}` is replaced.
    pub message: Option<String>,
}

#[derive(Debug)]
pub struct QueryCheck {
    index: usize,
    message: String,
}

const DEFAULT_FILES: &[&str] = &["*.yaml", "*.yml", "*.json"];

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<QueryCheck> {
        let files: Vec<String> = if self.files.is_empty() {
            DEFAULT_FILES.iter().map(ToString::to_string).collect()
        } else {
            cx.globs(&self.files)
        };
        let files = crate::workspace::matcher::glob_set(&files).ok()?;
        let mut conditions = Vec::new();
        for (path, want) in &self.conditions {
            let steps = match parse_path(path) {
                Ok(s) => s,
                Err(e) => {
                    cx.error(None, format!("query path: {e}"));
                    return None;
                }
            };
            let expect = if want.0 == "*exists*" {
                Expect::Exists
            } else if want.0 == "*absent*" {
                Expect::Absent
            } else if let Some(re) = want.0.strip_prefix('~') {
                match crate::workspace::matcher::check_regex(re) {
                    Ok(r) => Expect::Regex(r),
                    Err(e) => {
                        cx.error(None, e);
                        return None;
                    }
                }
            } else {
                Expect::Exact(want.0.clone())
            };
            conditions.push((steps, expect));
        }
        if conditions.is_empty() {
            cx.error(None, "a query needs at least one `where` condition");
            return None;
        }
        let report = match &self.report {
            Some(p) => parse_path(p)
                .map_err(|e| cx.error(None, format!("query report path: {e}")))
                .ok()?,
            None => conditions[0].0.clone(),
        };
        let name = match &self.name {
            Some(p) => Some(
                parse_path(p)
                    .map_err(|e| cx.error(None, format!("query name path: {e}")))
                    .ok()?,
            ),
            None => None,
        };
        cx.queries.push(Query {
            files,
            conditions,
            report,
            name,
        });
        Some(QueryCheck {
            index: cx.queries.len() - 1,
            message: self
                .message
                .clone()
                .unwrap_or_else(|| "matches `{name}`".to_string()),
        })
    }
}

impl QueryCheck {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a YAML/JSON document matching the query ({})", self.message)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let items = cx.ws.query_matches[self.index]
            .iter()
            .filter(|(file, _)| {
                let f = cx.ws.file(*file);
                !f.flags.test && !f.flags.example && !cx.ws.targets[f.target as usize].evidence_only
            })
            .map(|(file, m)| {
                let f = cx.ws.file(*file);
                let message = self.message.replace("{name}", &m.name);
                let pointer = cx.ws.pointer(*file, m.line, &m.text).labelled(m.name.clone());
                Item::new(message, format!("{}|{}", f.path, m.name), vec![pointer])
            })
            .collect();
        Outcome::found(items, || {
            Item::new("No document matches the query", "absent:query", Vec::new())
        })
    }
}
