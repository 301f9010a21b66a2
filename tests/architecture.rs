//! The pipeline flows one way: settings → control → workspace → check → policy → report →
//! renderers. This test reads `src/` and fails when two top-level modules depend on each
//! other, directly or through others (an import cycle), naming the modules and one file
//! on each edge of the cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module of each file under `src/` (`src/check/iam.rs` → `check`).
fn module_of(rel: &Path) -> String {
    let first = rel.components().next().expect("a path under src");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module → (module it names as `crate::X` outside its unit tests, a file that does).
fn dependencies() -> BTreeMap<String, BTreeMap<String, String>> {
    let src = Path::new("src");
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(src).unwrap()))
        .collect();
    let mut deps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in &files {
        let from = module_of(f.strip_prefix(src).unwrap());
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests may call the whole program (`app::assess`); only the code counts.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                deps.entry(from.clone())
                    .or_default()
                    .entry(name)
                    .or_insert_with(|| f.display().to_string());
            }
        }
    }
    deps
}

/// A cycle through `start`, as the modules on it, if there is one.
fn cycle_from(start: &str, deps: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in deps.get(&at).into_iter().flat_map(|d| d.keys()) {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let deps = dependencies();
    assert!(
        deps.get("report").is_some_and(|d| d.contains_key("check")),
        "the scan of src/ sees the known edge report → check: {deps:?}"
    );
    for module in deps.keys() {
        if let Some(cycle) = cycle_from(module, &deps) {
            let edges: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().cycle().skip(1))
                .map(|(a, b)| format!("{a} → {b} ({})", deps[a][b]))
                .collect();
            panic!(
                "import cycle between top-level modules:\n  {}",
                edges.join("\n  ")
            );
        }
    }
}

#[test]
fn a_cycle_is_found() {
    let mut deps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (a, b) in [
        ("check", "control"),
        ("control", "workspace"),
        ("workspace", "check"),
    ] {
        deps.entry(a.into()).or_default().insert(b.into(), "x.rs".into());
    }
    assert_eq!(
        cycle_from("check", &deps),
        Some(vec!["check".into(), "control".into(), "workspace".into()])
    );
    deps.get_mut("workspace").unwrap().clear();
    assert_eq!(cycle_from("check", &deps), None);
}
