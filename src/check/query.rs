//! `query`: a structured query over YAML and JSON documents (Kubernetes manifests, CI
//! workflows, CloudFormation, exported IAM policies). The query engine runs during the
//! walk (see `workspace::query`); this compiles the spec and reads the matches.
//!
//! With `shared: N` a query finds sharing instead of single documents: matches are grouped
//! by their `group` values and a group is reported when N or more distinct names share it
//! (one service account used by several model-serving workloads, one deploy role assumed
//! by the jobs of every environment).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::ScalarText;
use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::query::{parse_path, Expect, Query, GROUP_SEP};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Globs of files to query (default: every `.yaml`, `.yml` and `.json`).
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    /// Path → expected value; all must hold. `~regex` for a pattern, `!~regex` for "no value
    /// matches", `*exists*` for presence, `*absent*` for absence.
    #[serde(rename = "where")]
    pub conditions: BTreeMap<String, ScalarText>,
    /// Path → value (exact, or `~regex`) that drops the match when any node on the path has
    /// it: `containers[].image: "~-sdk:|-sdk$"` excludes client-SDK images.
    #[serde(default)]
    pub unless: BTreeMap<String, ScalarText>,
    /// Path whose line is the evidence (default: the first condition).
    pub report: Option<String>,
    /// Path naming the matched object (`metadata.name`), used in messages; `a|b` tries `a`
    /// first.
    pub name: Option<String>,
    /// Run the conditions on each node this path selects (`jobs.*`), not the document.
    pub scope: Option<String>,
    /// Paths whose values identify what is shared (`[metadata.namespace,
    /// spec.template.spec.serviceAccountName]`).
    #[serde(default)]
    pub group: Vec<String>,
    /// Report groups shared by at least this many distinct names (needs `group`).
    pub shared: Option<usize>,
    /// Message for each match; `{name}` is replaced (with `shared`: `{group}`, `{names}`,
    /// `{count}`).
    pub message: Option<String>,
}

#[derive(Debug)]
pub struct QueryCheck {
    index: usize,
    message: String,
    shared: Option<usize>,
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
            } else if let Some(re) = want.0.strip_prefix("!~") {
                match crate::workspace::matcher::LazyRegex::new(re, cx.eager) {
                    Ok(r) => Expect::NotRegex(r),
                    Err(e) => {
                        cx.error(None, e);
                        return None;
                    }
                }
            } else if let Some(re) = want.0.strip_prefix('~') {
                match crate::workspace::matcher::LazyRegex::new(re, cx.eager) {
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
        for (path, value) in &self.unless {
            let steps = match parse_path(path) {
                Ok(s) => s,
                Err(e) => {
                    cx.error(None, format!("query unless path: {e}"));
                    return None;
                }
            };
            let re = match value.0.strip_prefix('~') {
                Some(re) => re.to_string(),
                None => format!("^{}$", regex::escape(&value.0)),
            };
            match crate::workspace::matcher::LazyRegex::new(&re, cx.eager) {
                Ok(r) => conditions.push((steps, Expect::NotRegex(r))),
                Err(e) => {
                    cx.error(None, e);
                    return None;
                }
            }
        }
        let report = match &self.report {
            Some(p) => parse_path(p)
                .map_err(|e| cx.error(None, format!("query report path: {e}")))
                .ok()?,
            None => conditions[0].0.clone(),
        };
        let mut paths = |what: &str, list: &mut dyn Iterator<Item = &str>| -> Option<Vec<_>> {
            list.map(|p| parse_path(p.trim()).map_err(|e| cx.error(None, format!("query {what} path: {e}"))))
                .collect::<Result<Vec<_>, ()>>()
                .ok()
        };
        let name = match &self.name {
            Some(p) => Some(paths("name", &mut p.split('|'))?),
            None => None,
        };
        let scope = match &self.scope {
            Some(p) => paths("scope", &mut std::iter::once(p.as_str()))?.pop(),
            None => None,
        };
        let group = paths("group", &mut self.group.iter().map(String::as_str))?;
        match self.shared {
            Some(n) if n < 2 => {
                cx.error(None, "`shared` counts names sharing a group: use 2 or more");
                return None;
            }
            Some(_) if group.is_empty() => {
                cx.error(None, "`shared` needs `group` paths naming what is shared");
                return None;
            }
            _ => {}
        }
        cx.queries.push(Query {
            files,
            conditions,
            report,
            name,
            scope,
            group,
            owner: cx.matchers.owner,
            enabled: true,
        });
        Some(QueryCheck {
            index: cx.queries.len() - 1,
            message: self
                .message
                .clone()
                .unwrap_or_else(|| "matches `{name}`".to_string()),
            shared: self.shared,
        })
    }
}

impl QueryCheck {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a YAML/JSON document matching the query ({})", self.message)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let matches = cx.ws.query_matches[self.index].iter().filter(|(file, _)| {
            let f = cx.ws.file(*file);
            !f.flags.test && !f.flags.example && !cx.ws.targets[f.target as usize].evidence_only
        });
        if let Some(min) = self.shared {
            return self.shared(cx, matches, min);
        }
        let items = matches
            .map(|(file, m)| {
                let f = cx.ws.file(*file);
                let message = self.message.replace("{name}", &m.name);
                let pointer = cx.ws.pointer(*file, m.line, &m.text).labelled(m.name.clone());
                Item::new(message, format!("{}|{}", f.path, m.name), vec![pointer])
            })
            .collect();
        Outcome::found(items, || {
            Item::absent("No document matches the query", "query", Vec::new())
        })
    }

    /// Groups shared by `min` or more distinct names, each reported at its first match with
    /// a pointer to every sharer.
    fn shared<'a>(
        &self,
        cx: &Context<'_>,
        matches: impl Iterator<Item = &'a (crate::workspace::FileId, crate::workspace::QueryMatch)>,
        min: usize,
    ) -> Outcome {
        let mut groups: BTreeMap<&str, Vec<&(crate::workspace::FileId, crate::workspace::QueryMatch)>> =
            BTreeMap::new();
        for m in matches {
            // A group whose last value (what is shared) is empty or templated
            // (`${{ secrets.X }}`, which an environment may resolve differently) identifies
            // nothing.
            let parts: Vec<&str> = m.1.group.split(GROUP_SEP).collect();
            if parts.last().is_none_or(|v| v.is_empty()) || parts.iter().any(|v| v.contains("{{")) {
                continue;
            }
            groups.entry(m.1.group.as_str()).or_default().push(m);
        }
        let mut items = Vec::new();
        for (group, ms) in groups {
            let shown = group
                .split(GROUP_SEP)
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            let mut names: Vec<&str> = ms.iter().map(|(_, m)| m.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() < min {
                continue;
            }
            let pointers = ms
                .iter()
                .map(|(file, m)| cx.ws.pointer(*file, m.line, &m.text).labelled(m.name.clone()))
                .collect();
            let message = self
                .message
                .replace("{group}", &shown)
                .replace("{names}", &names.join(", "))
                .replace("{count}", &names.len().to_string());
            items.push(Item::new(message, format!("shared|{group}"), pointers));
        }
        Outcome::found(items, || Item::absent("Nothing is shared", "query", Vec::new()))
    }
}
