//! `pattern`: a regex over text files, with per-line evidence. Absence is `not: pattern`.
//!
//! Patterns are registered with the scan plan at compile time and run during the walk in
//! one pass with every other pattern; evaluation only filters the hits. By default a match
//! in a test, example or documentation file, or on a comment line, does not count: a
//! commented-out `import openai` is not use.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::OneOrMany;
use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::{Hit, PatternId};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// One regex or a list (any may match).
    pub regex: Spanned<OneOrMany<String>>,
    /// Globs of files to search (default: every text file).
    #[serde(default)]
    pub files: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Count matches in tests and examples too.
    #[serde(default)]
    pub include_tests: bool,
    /// Count matches on comment lines too.
    #[serde(default)]
    pub include_comments: bool,
    /// Count matches in documentation (Markdown, text) too.
    #[serde(default)]
    pub include_docs: bool,
    /// What a match means, shown with each matched line ("drift detector", "wildcard action").
    pub label: Option<String>,
    /// One root cause, one finding: matched lines whose text gives the same value for this
    /// regex (its first capture group, else the whole match) are one item, listed with every
    /// line (the same CI secret used in several workflows is one credential).
    pub group_by: Option<Spanned<String>>,
    /// A matched line that also matches this regex does not count (a key column whose
    /// name, type or annotation says it is encrypted).
    pub unless: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct Pattern {
    ids: Vec<PatternId>,
    include_tests: bool,
    include_comments: bool,
    include_docs: bool,
    label: String,
    describe: String,
    group_by: Option<crate::workspace::matcher::LazyRegex>,
    unless: Option<crate::workspace::matcher::LazyRegex>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Pattern> {
        let files = cx.globs(&self.files);
        let exclude = cx.globs(&self.exclude);
        let regexes = cx.regexes(&self.regex)?;
        if files.len() != self.files.len() || exclude.len() != self.exclude.len() {
            return None;
        }
        let group_by = match &self.group_by {
            Some(g) => Some(cx.regex(g)?),
            None => None,
        };
        let unless = match &self.unless {
            Some(u) => Some(cx.regex(u)?),
            None => None,
        };
        let ids = regexes
            .iter()
            .map(|(src, _)| cx.matchers.add(src, &files, &exclude))
            .collect();
        let describe = regexes
            .iter()
            .map(|(src, _)| format!("`{src}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        Some(Pattern {
            ids,
            include_tests: self.include_tests,
            include_comments: self.include_comments,
            include_docs: self.include_docs,
            label: self.label.clone().unwrap_or_else(|| "match".to_string()),
            describe,
            group_by,
            unless,
        })
    }
}

impl Pattern {
    /// What a match means ("drift detector").
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a line matching {} ({})", self.describe, self.label)
    }

    /// The group a matched line belongs to (`group_by`), if any.
    fn group_of(&self, line: &str) -> Option<String> {
        let caps = self.group_by.as_ref()?.captures(line)?;
        let m = caps.get(1).or_else(|| caps.get(0))?;
        Some(m.as_str().to_string())
    }

    fn counts(&self, cx: &Context<'_>, h: &Hit) -> bool {
        let f = cx.ws.file(h.file);
        if cx.ws.targets[f.target as usize].evidence_only {
            return false;
        }
        (self.include_tests || (!f.flags.test && !f.flags.example))
            && (self.include_comments || !h.comment)
            && (self.include_docs || (!f.flags.prose && !f.evidence_doc))
            && !self.unless.as_ref().is_some_and(|u| u.is_match(&h.text))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let mut hits: Vec<&Hit> = self
            .ids
            .iter()
            .flat_map(|id| cx.ws.hits(*id))
            .filter(|h| self.counts(cx, h))
            .collect();
        hits.sort_by_key(|h| (h.file, h.line));
        hits.dedup_by_key(|h| (h.file, h.line));
        let mut groups: Vec<(String, Item)> = Vec::new();
        let items: Vec<Item> = hits
            .into_iter()
            .map(|h| {
                let f = cx.ws.file(h.file);
                let key = format!(
                    "{}|{}",
                    f.path,
                    crate::text::norm_words(&crate::redact::redact(&h.text))
                );
                let pointer = cx
                    .ws
                    .pointer(h.file, h.line, &h.text)
                    .labelled(self.label.clone());
                let item = Item::new(
                    format!("{} at {}:{}", self.label, f.path, h.line),
                    key,
                    vec![pointer],
                );
                (self.group_of(&h.text), item)
            })
            .filter_map(|(group, item)| {
                let Some(g) = group else { return Some(item) };
                match groups.iter_mut().find(|(k, _)| *k == g) {
                    Some((_, first)) => {
                        first.pointers.extend(item.pointers);
                        None
                    }
                    None => {
                        groups.push((g, item));
                        None
                    }
                }
            })
            .collect();
        // A group keeps its first line's key (and so its fingerprint).
        let mut items = items;
        for (_, mut item) in groups {
            if item.pointers.len() > 1 {
                let first = &item.pointers[0];
                item.message = format!(
                    "{} (one, used on every line listed) at {}:{} and {} more line{}",
                    self.label,
                    first.path,
                    first.line.unwrap_or(0),
                    item.pointers.len() - 1,
                    if item.pointers.len() == 2 { "" } else { "s" }
                );
            }
            items.push(item);
        }
        items.sort_by(|a, b| a.pointers.first().cmp(&b.pointers.first()));
        Outcome::found(items, || {
            // A labelled pattern is named by its label, not by its regexes.
            let message = if self.label == "match" {
                format!("Nothing matches {}", self.describe)
            } else {
                format!("No {} found", self.label)
            };
            Item::absent(message, &self.describe, Vec::new())
        })
    }
}
