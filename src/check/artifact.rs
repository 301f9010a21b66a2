//! `artifact`: files that exist by name, read or not (model weights are indexed by path and
//! size and never opened). Evidence is the path and size.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Globs of files (`*.safetensors`, `MLmodel`).
    pub files: Vec<Spanned<String>>,
    #[serde(default)]
    pub include_tests: bool,
    pub label: Option<String>,
}

#[derive(Debug)]
pub struct Artifact {
    files: crate::workspace::matcher::Globs,
    include_tests: bool,
    label: String,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Artifact> {
        let globs = cx.globs(&self.files);
        if globs.len() != self.files.len() || globs.is_empty() {
            if globs.is_empty() {
                cx.error(None, "`artifact` needs at least one glob in `files`");
            }
            return None;
        }
        let files = crate::workspace::matcher::glob_set(&globs).ok()?;
        Some(Artifact {
            files,
            include_tests: self.include_tests,
            label: self.label.clone().unwrap_or_else(|| "artifact".into()),
        })
    }
}

impl Artifact {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!("a {} file exists", self.label)
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let items = cx
            .ws
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                !cx.ws.targets[f.target as usize].evidence_only
                    && (self.include_tests || (!f.flags.test && !f.flags.example))
                    && self.files.is_match(&f.path)
            })
            .map(|(i, f)| {
                let mut p = cx
                    .ws
                    .file_pointer(i as u32)
                    .labelled(format!("{} · {}", self.label, human_size(f.size)))
                    .about(crate::evidence::Subject::Artifact {
                        label: self.label.clone(),
                    });
                p.snippet = None;
                Item::new(
                    format!("{} {} ({})", self.label, f.path, human_size(f.size)),
                    f.path.clone(),
                    vec![p],
                )
            })
            .collect();
        Outcome::found(items, || {
            Item::absent(format!("No {} found", self.label), "artifact", Vec::new())
        })
    }
}

pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
