//! `owners`: change control on model code. The files where the given signals found model
//! serving, training or artifacts must each be owned by someone in a CODEOWNERS file, so
//! that branch protection's "require review from code owners" applies to them.
//!
//! CODEOWNERS patterns follow gitignore rules (the last matching line wins; a line with no
//! owners removes ownership). They are translated to globs: a pattern without a `/` but at
//! its end matches at any depth, a leading `/` anchors it, a directory covers everything
//! below it. Files are grouped by directory in the findings, so a service with forty model
//! files is one finding, not forty.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The document kind of CODEOWNERS files.
    pub document: Spanned<String>,
    /// Signals whose evidence files must be owned (`model-serving`, `model-artifacts`).
    pub signals: Vec<Spanned<String>>,
}

#[derive(Debug)]
pub struct Owners {
    kind: String,
    signals: Vec<(usize, String)>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Owners> {
        let kind = cx.doc_kind(&self.document);
        let mut signals = Vec::new();
        for s in &self.signals {
            match cx.signals.iter().position(|x| *x == s.value) {
                Some(i) => signals.push((i, s.value.clone())),
                None => {
                    let known = cx.signals.join(", ");
                    cx.error(None, format!("unknown signal `{}` (known: {known})", s.value));
                    return None;
                }
            }
        }
        if signals.is_empty() {
            cx.error(None, "`owners` needs at least one signal naming the files to own");
            return None;
        }
        Some(Owners { kind, signals })
    }
}

/// One CODEOWNERS rule.
struct Rule {
    glob: GlobMatcher,
    owned: bool,
}

/// Parses CODEOWNERS lines into rules, in file order. Lines that do not translate to a
/// glob are skipped (GitHub ignores them too).
fn rules<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Rule> {
    let mut out = Vec::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(pattern) = parts.next() else { continue };
        let owned = parts.any(|p| !p.starts_with('#'));
        let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
        let body = pattern.trim_start_matches('/');
        let mut glob = if anchored || body.starts_with("**") {
            body.to_string()
        } else {
            format!("**/{body}")
        };
        if glob.ends_with('/') {
            glob.push_str("**");
        } else if !glob.ends_with("**") {
            // `docs` owns `docs/` and everything in it, as well as a file named `docs`.
            glob = format!("{{{glob},{glob}/**}}");
        }
        if let Ok(g) = GlobBuilder::new(&glob).literal_separator(true).build() {
            out.push(Rule {
                glob: g.compile_matcher(),
                owned,
            });
        }
    }
    out
}

fn owned(rules: &[Rule], path: &str) -> bool {
    rules
        .iter()
        .rev()
        .find(|r| r.glob.is_match(path))
        .is_some_and(|r| r.owned)
}

impl Owners {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.signals.iter().map(|(_, n)| n.as_str()).collect();
        format!("CODEOWNERS owns every file found by {}", names.join(", "))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        // CODEOWNERS files, per target; GitHub uses the first of .github/, root, docs/.
        let mut by_target: BTreeMap<u32, (u8, Vec<Rule>, String)> = BTreeMap::new();
        for d in cx.docs_of(&self.kind) {
            let f = cx.ws.file(d.file);
            let rank = match f.path.as_str() {
                ".github/CODEOWNERS" => 0,
                "CODEOWNERS" => 1,
                "docs/CODEOWNERS" => 2,
                _ => 3,
            };
            let entry = (rank, rules(d.doc.lines()), f.path.clone());
            match by_target.get(&u32::from(f.target)) {
                Some((r, _, _)) if *r <= rank => {}
                _ => {
                    by_target.insert(u32::from(f.target), entry);
                }
            }
        }
        // Files to own, grouped by (target, directory), each with its first pointer.
        let mut unowned: BTreeMap<(u32, String), Vec<crate::evidence::Pointer>> = BTreeMap::new();
        let mut sites = 0usize;
        let mut passed = Vec::new();
        for (idx, _) in &self.signals {
            for item in &cx.signal(*idx).passed {
                for p in &item.pointers {
                    sites += 1;
                    let target = u32::from(p.target);
                    let is_owned = by_target
                        .get(&target)
                        .is_some_and(|(_, rules, _)| owned(rules, &p.path));
                    if is_owned {
                        continue;
                    }
                    let dir = p.path.rsplit_once('/').map_or(".", |(d, _)| d).to_string();
                    let group = unowned.entry((target, dir)).or_default();
                    if !group.iter().any(|q| q.path == p.path) {
                        group.push(p.clone());
                    }
                }
            }
        }
        if let Some((_, _, path)) = by_target.values().next() {
            passed.push(Item::new(format!("Code owners in {path}"), "owners", Vec::new()));
        }
        let mut failed = Vec::new();
        if by_target.is_empty() && !unowned.is_empty() {
            // One finding: the file is missing, not each directory's rule.
            let dirs = unowned.len();
            let pointers: Vec<_> = unowned.into_values().map(|mut v| v.swap_remove(0)).collect();
            failed.push(Item::new(
                format!(
                    "No CODEOWNERS file: model, training or serving files in {dirs} director{} have no \
                     required reviewer (branch protection may live outside the repository; export it as evidence)",
                    if dirs == 1 { "y" } else { "ies" }
                ),
                "absent:codeowners",
                pointers,
            ));
            return Outcome::complete(passed, failed);
        }
        for ((_, dir), pointers) in unowned {
            let first = &pointers[0].path;
            let message = if pointers.len() == 1 {
                format!("{first} is model code that no CODEOWNERS rule owns")
            } else {
                format!(
                    "{first} and {} more model files in {dir}/ are owned by no CODEOWNERS rule",
                    pointers.len() - 1
                )
            };
            failed.push(Item::new(message, format!("unowned|{dir}"), pointers));
        }
        if sites == 0 {
            return Outcome::complete(passed, Vec::new());
        }
        Outcome::complete(passed, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owns(codeowners: &str, path: &str) -> bool {
        owned(&rules(codeowners.lines()), path)
    }

    #[test]
    fn codeowners_patterns_follow_gitignore_rules() {
        assert!(owns("* @team", "serving/app.py"));
        assert!(owns("/serving/ @ml", "serving/app.py"));
        assert!(!owns("/serving/ @ml", "other/serving/app.py"));
        assert!(owns("serving/ @ml", "serving/api/app.py"));
        assert!(owns("models @ml", "pkg/models/churn.onnx"), "no slash: any depth");
        assert!(owns("*.py @py", "a/b/c.py"));
        assert!(owns("docs/*.md @d", "docs/a.md"));
        assert!(!owns("docs/*.md @d", "docs/x/a.md"), "`*` does not cross `/`");
        assert!(
            !owns("* @team\n/serving/", "serving/app.py"),
            "a later line with no owner unowns"
        );
        assert!(owns("/serving/\n/serving/ @ml # comment", "serving/app.py"));
        assert!(!owns("# * @team", "serving/app.py"));
    }
}
