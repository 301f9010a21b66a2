//! `inventory`: which catalogue items (AI vendors) the code uses, and where — an AI bill of
//! materials. Usage is a declared package, an import, an API host, an environment variable
//! or an API key. Tests, examples, documentation and comment lines do not count as use;
//! neither do keys on lines marked as fake or example, nor keys whose random part is not
//! random (`sk-ant-api03-xxxxxxxx…`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::dependency::name_matches;
use super::{CompileCx, Context, Outcome};
use crate::control::catalog::{CatalogItem, SignalKind};
use crate::evidence::{Item, Pointer};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub catalog: Spanned<String>,
    /// Which kinds of usage count (default: package, import, host, env).
    #[serde(default)]
    pub signals: Vec<SignalKind>,
    /// `item`: one evidence item per vendor with all its sites (default);
    /// `site`: one item per usage site (e.g. one finding per hard-coded key).
    #[serde(default)]
    pub group: Group,
    /// Message per item; `{name}` is the vendor, `{kinds}` how it was seen.
    pub message: Option<String>,
    /// Fail for items used without a declared package or import (raw HTTPS calls or only
    /// environment variables): integrations invisible to dependency review.
    #[serde(default)]
    pub require_declared: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    #[default]
    Item,
    Site,
}

#[derive(Debug)]
pub struct Inventory {
    catalog: usize,
    signals: BTreeSet<SignalKind>,
    group: Group,
    message: String,
    require_declared: bool,
}

/// At most this many usage sites are listed per vendor.
const MAX_SITES: usize = 50;

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Inventory> {
        let catalog = cx.catalog(&self.catalog)?;
        let signals: BTreeSet<SignalKind> = if self.signals.is_empty() {
            [
                SignalKind::Package,
                SignalKind::Import,
                SignalKind::Host,
                SignalKind::Env,
            ]
            .into_iter()
            .collect()
        } else {
            self.signals.iter().copied().collect()
        };
        let message = self.message.clone().unwrap_or_else(|| match self.group {
            Group::Item => "{name} is used ({kinds})".to_string(),
            Group::Site => "{name} {kinds}".to_string(),
        });
        Some(Inventory {
            catalog,
            signals,
            group: self.group,
            message,
            require_declared: self.require_declared,
        })
    }
}

/// Words that mark a line as a placeholder or test value.
fn looks_fake(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "example",
        "fake",
        "dummy",
        "placeholder",
        "your-",
        "your_",
        "<your",
        "xxxx",
        "redacted",
        "sample",
        "mock",
        "changeme",
        "test-key",
        "testkey",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// A real key's random part uses many distinct characters; `sk-ant-api03-aaaa…` does not.
fn looks_random(matched: &str) -> bool {
    let tail: Vec<char> = matched.chars().rev().take(24).collect();
    let distinct: BTreeSet<char> = tail.iter().copied().collect();
    distinct.len() >= 10
}

impl Inventory {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        if self.require_declared {
            "every AI provider used is reached through a declared SDK".to_string()
        } else {
            format!(
                "usage of catalogue items ({})",
                self.signals
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// Usage sites of one catalogue item, sorted by target, path and line, before their
    /// pointers are made ([`SiteRef::pointer`]): sorting and de-duplicating these
    /// costs no copy of a line, and a caller that shows ten sites redacts ten lines, not
    /// the tens of thousands a pattern-dense repository has.
    pub fn site_refs<'a>(&self, cx: &Context<'a>, item: &CatalogItem) -> Vec<SiteRef<'a>> {
        let ws = cx.ws;
        let mut sites: Vec<SiteRef<'a>> = Vec::new();
        if self.signals.contains(&SignalKind::Package) {
            for (file, d) in &ws.deps {
                let f = ws.file(*file);
                if d.dev || f.flags.test || f.flags.example || ws.targets[f.target as usize].evidence_only {
                    continue;
                }
                if item
                    .packages
                    .iter()
                    .any(|(e, n)| *e == d.ecosystem && name_matches(*e, &d.name, n))
                {
                    sites.push(SiteRef {
                        kind: SignalKind::Package,
                        file: *file,
                        line: d.line,
                        text: SiteText::Package(d),
                    });
                }
            }
        }
        for (pattern, kind) in &item.patterns {
            if !self.signals.contains(kind) {
                continue;
            }
            for h in ws.hits(*pattern) {
                let f = ws.file(h.file);
                if f.flags.test || ws.targets[f.target as usize].evidence_only {
                    continue;
                }
                if *kind == SignalKind::Key {
                    // A committed key leaks wherever it sits (an example, a notebook, a
                    // comment); only placeholders and tests' fixtures are exempt.
                    if looks_fake(&h.text) || !looks_random(&h.matched) {
                        continue;
                    }
                    // The evidence masks exactly what the key rule matched, whatever the
                    // other redaction rules make of the line.
                    let masked = item.keys.iter().find(|(id, _)| id == pattern).map_or_else(
                        || crate::redact::redact(&h.text).into_owned(),
                        |(_, rule)| crate::redact::mask_span(&h.text, h.span, rule),
                    );
                    sites.push(SiteRef {
                        kind: *kind,
                        file: h.file,
                        line: h.line,
                        text: SiteText::Masked(masked),
                    });
                    continue;
                } else if f.flags.prose || f.flags.example || f.evidence_doc || h.comment {
                    continue;
                }
                sites.push(SiteRef {
                    kind: *kind,
                    file: h.file,
                    line: h.line,
                    text: SiteText::Line(&h.text),
                });
            }
        }
        // By target, path and line (files are indexed in that order), then kind.
        sites.sort_by_key(|s| {
            let f = ws.file(s.file);
            (f.target, f.path.as_str(), s.line, s.kind)
        });
        sites.dedup_by(|a, b| {
            let (fa, fb) = (ws.file(a.file), ws.file(b.file));
            fa.target == fb.target && fa.path == fb.path && a.line == b.line
        });
        sites
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let catalog = &cx.catalogs[self.catalog];
        let mut items = Vec::new();
        let mut undeclared = Vec::new();
        for item in &catalog.items {
            let sites = self.site_refs(cx, item);
            if sites.is_empty() {
                continue;
            }
            match self.group {
                Group::Item => {
                    let kinds: BTreeSet<SignalKind> = sites.iter().map(|s| s.kind).collect();
                    let kinds = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
                    let message = self
                        .message
                        .replace("{name}", &item.name)
                        .replace("{kinds}", &kinds);
                    let declared = sites
                        .iter()
                        .any(|s| matches!(s.kind, SignalKind::Package | SignalKind::Import));
                    let pointers = sites
                        .into_iter()
                        .take(MAX_SITES)
                        .map(|s| {
                            s.pointer(cx)
                                .labelled(format!("{} · {}", item.name, s.kind.as_str()))
                        })
                        .collect();
                    if self.require_declared && !declared {
                        let message = format!("{} is called without a declared SDK (only {kinds}): dependency review and SBOMs will not show it", item.name);
                        undeclared.push(Item::new(message, format!("undeclared:{}", item.id), pointers));
                    } else {
                        items.push(Item::new(message, format!("item:{}", item.id), pointers));
                    }
                }
                Group::Site => {
                    for (k, p) in sites.into_iter().map(|s| (s.kind, s.pointer(cx))) {
                        let message = self
                            .message
                            .replace("{name}", &item.name)
                            .replace("{kinds}", k.as_str());
                        let key = format!("{}|{}|{}", item.id, p.path, p.snippet.as_deref().unwrap_or(""));
                        items.push(Item::new(
                            message,
                            key,
                            vec![p.labelled(format!("{} · {}", item.name, k.as_str()))],
                        ));
                    }
                }
            }
        }
        if self.require_declared && !(items.is_empty() && undeclared.is_empty()) {
            return Outcome::complete(items, undeclared);
        }
        Outcome::found(items, || {
            Item::new(
                format!("No use of any of the {} found", catalog.title.to_lowercase()),
                format!("absent:{}", catalog.id),
                Vec::new(),
            )
        })
    }
}

/// A usage site, before its pointer (path, redacted line) is made.
pub struct SiteRef<'a> {
    pub kind: SignalKind,
    file: crate::workspace::FileId,
    line: u32,
    text: SiteText<'a>,
}

enum SiteText<'a> {
    Line(&'a str),
    /// A key hit's line with exactly what the key rule matched masked.
    Masked(String),
    Package(&'a crate::workspace::Dependency),
}

impl SiteRef<'_> {
    pub fn pointer(&self, cx: &Context<'_>) -> Pointer {
        match &self.text {
            SiteText::Line(t) => cx.ws.pointer(self.file, self.line, t),
            SiteText::Masked(t) => cx.ws.pointer(self.file, self.line, t),
            SiteText::Package(d) => {
                let text = format!("{} ({} package)", d.name, d.ecosystem.as_str());
                cx.ws.pointer(self.file, self.line, &text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_and_low_entropy_keys() {
        assert!(looks_fake("OPENAI_API_KEY=sk-your-key-here"));
        assert!(!looks_random("sk-ant-api03-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(looks_random("sk-ant-api03-Zx81kQpL0vBn3RtY7uWcE5hJ2mAs9dFg"));
    }
}
