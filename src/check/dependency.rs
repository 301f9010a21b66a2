//! `dependency`: a package is declared in a manifest (requirements, pyproject, Pipfile,
//! setup.cfg, package.json, go.mod, Cargo.toml, Gemfile, pom.xml, build.gradle), with the
//! manifest line as evidence. Manifests were parsed during the walk.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::manifest::Ecosystem;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Package names per ecosystem (`pypi`, `npm`, `go`, `crates`, `maven`, `rubygems`).
    pub packages: BTreeMap<String, Vec<String>>,
    /// Count development-only dependencies too.
    #[serde(default)]
    pub include_dev: bool,
    pub label: Option<String>,
}

#[derive(Debug)]
pub struct DependencyCheck {
    packages: Vec<(Ecosystem, String)>,
    include_dev: bool,
    label: String,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<DependencyCheck> {
        let mut packages = Vec::new();
        for (eco, names) in &self.packages {
            let Some(e) = Ecosystem::parse(eco) else {
                cx.error(
                    None,
                    format!("unknown ecosystem `{eco}` (known: pypi, npm, go, crates, maven, rubygems)"),
                );
                return None;
            };
            packages.extend(names.iter().map(|n| (e, e.normalize(n))));
        }
        Some(DependencyCheck {
            packages,
            include_dev: self.include_dev,
            label: self.label.clone().unwrap_or_else(|| "dependency".into()),
        })
    }
}

/// True when a declared name matches a wanted one; Go module paths match by prefix.
pub fn name_matches(eco: Ecosystem, declared: &str, wanted: &str) -> bool {
    declared == wanted
        || (eco == Ecosystem::Go && declared.starts_with(wanted) && declared[wanted.len()..].starts_with('/'))
}

impl DependencyCheck {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!(
            "a manifest declares one of {} packages ({})",
            self.packages.len(),
            self.label
        )
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let items = cx
            .ws
            .deps
            .iter()
            .filter(|(file, d)| {
                let f = cx.ws.file(*file);
                (self.include_dev || !d.dev)
                    && !f.flags.test
                    && !f.flags.example
                    && self
                        .packages
                        .iter()
                        .any(|(e, n)| *e == d.ecosystem && name_matches(*e, &d.name, n))
            })
            .map(|(file, d)| {
                let f = cx.ws.file(*file);
                let pointer = cx
                    .ws
                    .pointer(*file, d.line, &format!("{} ({})", d.name, d.ecosystem.as_str()));
                let label = format!("{} · {}", self.label, d.name);
                Item::new(
                    format!("{} `{}` declared in {}:{}", self.label, d.name, f.path, d.line),
                    format!("{}|{}", f.path, d.name),
                    vec![pointer.labelled(label)],
                )
            })
            .collect();
        let wanted: Vec<&str> = self.packages.iter().map(|(_, n)| n.as_str()).collect();
        Outcome::found(items, || {
            Item::absent(
                format!("No manifest declares any of: {}", wanted.join(", ")),
                "dependency",
                Vec::new(),
            )
        })
    }
}
