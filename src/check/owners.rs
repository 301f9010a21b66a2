//! `owners`: change control on model code. The files where the given signals found model
//! serving, training or artifacts must each be owned by someone in a CODEOWNERS file, so
//! that branch protection's "require review from code owners" applies to them.
//!
//! CODEOWNERS patterns follow gitignore rules (the last matching line wins; a line with no
//! owners removes ownership). They are translated to globs: a pattern without a `/` but at
//! its end matches at any depth, a leading `/` anchors it, a directory covers everything
//! below it. Files are grouped by directory in the findings, so a service with forty model
//! files is one finding, not forty.

use std::collections::{BTreeMap, HashSet};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
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

/// The rules of one CODEOWNERS file, compiled into glob sets: which rule matches a path
/// last is found in one pass over the sets, not by trying every rule in turn (a file of
/// 40,000 rules checked against 4,000 model files would be 160 million glob matches).
struct Rules {
    /// Glob sets over consecutive runs of globs, in file order (a set of 40,000 globs
    /// could exceed the regex engine's size limit, so they are built in chunks).
    sets: Vec<GlobSet>,
    /// For each glob of each set, the index of its rule.
    rule_of: Vec<Vec<usize>>,
    /// Per rule: does it give owners (a line with no owners removes ownership).
    owned: Vec<bool>,
}

/// Globs per [`GlobSet`]: small enough for the regex engine's limits, large enough that a
/// path is matched against few sets.
const GLOBS_PER_SET: usize = 1024;

/// Parses CODEOWNERS lines into rules, in file order. Lines that do not translate to a
/// glob are skipped (GitHub ignores them too).
fn rules<'a>(lines: impl IntoIterator<Item = &'a str>) -> Rules {
    // (glob, rule index) in file order; a rule is one or two globs.
    let mut globs: Vec<(globset::Glob, usize)> = Vec::new();
    let mut owned = Vec::new();
    for line in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let Some(pattern) = parts.next() else { continue };
        let gives_owners = parts.any(|p| !p.starts_with('#'));
        let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
        let body = pattern.trim_start_matches('/');
        let mut glob = if anchored || body.starts_with("**") {
            body.to_string()
        } else {
            format!("**/{body}")
        };
        // `docs` owns `docs/` and everything in it, as well as a file named `docs`: two
        // globs (kept apart so each can use the glob set's literal strategies).
        let mut forms = Vec::with_capacity(2);
        if glob.ends_with('/') {
            glob.push_str("**");
            forms.push(glob);
        } else if glob.ends_with("**") {
            forms.push(glob);
        } else {
            forms.push(format!("{glob}/**"));
            forms.push(glob);
        }
        let built: Result<Vec<_>, _> = forms
            .iter()
            .map(|g| GlobBuilder::new(g).literal_separator(true).build())
            .collect();
        if let Ok(built) = built {
            let rule = owned.len();
            owned.push(gives_owners);
            globs.extend(built.into_iter().map(|g| (g, rule)));
        }
    }
    let mut sets = Vec::new();
    let mut rule_of = Vec::new();
    for chunk in globs.chunks(GLOBS_PER_SET) {
        let mut b = GlobSetBuilder::new();
        for (g, _) in chunk {
            b.add(g.clone());
        }
        let ids: Vec<usize> = chunk.iter().map(|(_, r)| *r).collect();
        match b.build() {
            Ok(set) => {
                sets.push(set);
                rule_of.push(ids);
            }
            // Over the engine's limits even in a chunk: one set per glob (slower, same
            // answer), and a glob that cannot be built alone is skipped like a bad line.
            Err(_) => {
                for (g, r) in chunk {
                    let mut one = GlobSetBuilder::new();
                    one.add(g.clone());
                    if let Ok(set) = one.build() {
                        sets.push(set);
                        rule_of.push(vec![*r]);
                    }
                }
            }
        }
    }
    Rules { sets, rule_of, owned }
}

/// True when the last rule matching `path` gives it owners.
fn owned(rules: &Rules, path: &str, scratch: &mut Vec<usize>) -> bool {
    let candidate = globset::Candidate::new(path);
    // Sets are in file order: the last set with a match holds the last matching rule.
    for (set, ids) in rules.sets.iter().zip(&rules.rule_of).rev() {
        set.matches_candidate_into(&candidate, scratch);
        if let Some(rule) = scratch.iter().map(|&i| ids[i]).max() {
            return rules.owned[rule];
        }
    }
    false
}

impl Owners {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.signals.iter().map(|(_, n)| n.as_str()).collect();
        format!("CODEOWNERS owns every file found by {}", names.join(", "))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        // CODEOWNERS files, per target; GitHub uses the first of .github/, root, docs/.
        let mut by_target: BTreeMap<u32, (u8, Rules, String)> = BTreeMap::new();
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
        // Files already grouped (a directory of 200,000 model files is one set lookup per
        // file, not a scan of its group).
        let mut grouped: HashSet<(u32, &str)> = HashSet::new();
        let mut scratch = Vec::new();
        let mut sites = 0usize;
        let mut passed = Vec::new();
        for (idx, _) in &self.signals {
            for item in &cx.signal(*idx).passed {
                for p in &item.pointers {
                    sites += 1;
                    let target = u32::from(p.target);
                    let is_owned = by_target
                        .get(&target)
                        .is_some_and(|(_, rules, _)| owned(rules, &p.path, &mut scratch));
                    if is_owned {
                        continue;
                    }
                    if !grouped.insert((target, p.path.as_str())) {
                        continue;
                    }
                    let dir = p.path.rsplit_once('/').map_or(".", |(d, _)| d).to_string();
                    unowned.entry((target, dir)).or_default().push(p.clone());
                }
            }
        }
        if let Some((target, (_, _, path))) = by_target.iter().next() {
            let at = crate::evidence::Pointer::file(u16::try_from(*target).unwrap_or(0), path)
                .labelled(format!("{sites} model, training or serving file(s) to own"));
            passed.push(Item::new(format!("Code owners in {path}"), "owners", vec![at]));
        }
        let mut failed = Vec::new();
        if by_target.is_empty() && !unowned.is_empty() {
            // One finding: the file is missing, not each directory's rule.
            let dirs = unowned.len();
            let pointers: Vec<_> = unowned.into_values().map(|mut v| v.swap_remove(0)).collect();
            failed.push(Item::absent(
                format!(
                    "No CODEOWNERS file: model, training or serving files in {dirs} director{} have no \
                     required reviewer (branch protection may live outside the repository; export it as evidence)",
                    if dirs == 1 { "y" } else { "ies" }
                ),
                "codeowners",
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
        owned(&rules(codeowners.lines()), path, &mut Vec::new())
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
        assert!(owns("docs @d", "docs"), "a file named like the pattern");
    }

    #[test]
    fn the_last_matching_rule_wins_across_glob_sets() {
        let mut lines: Vec<String> = (0..3000).map(|i| format!("/dir{i}/ @team")).collect();
        lines.insert(0, "* @everyone".to_string());
        lines.push("/dir7/ ".to_string());
        lines.push("*.md".to_string());
        let r = rules(lines.iter().map(String::as_str));
        assert!(r.sets.len() > 1, "several glob sets");
        let mut s = Vec::new();
        assert!(owned(&r, "dir5/x.py", &mut s));
        assert!(owned(&r, "other/x.py", &mut s), "the first rule");
        assert!(!owned(&r, "dir7/x.py", &mut s), "unowned by a later line");
        assert!(owned(&r, "dir2999/a/b.py", &mut s));
        assert!(!owned(&r, "dir1/README.md", &mut s), "the last line");
    }
}
