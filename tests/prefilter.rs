//! The literal prefilter never loses a match: on every fixture and example (and on any
//! tree named by `REDFLAG_PREFILTER_TREE`, for a check on real repositories), the hits of
//! `Matchers::scan` equal those of running every applicable regex on every line.

use std::path::Path;

use redflag::control::{load, LoadOptions};
use redflag::workspace::matcher::RawHit;

/// Files larger than this are skipped (a scan caps them too; the reference is slow).
const MAX_BYTES: u64 = 4 << 20;

fn key(hits: &[RawHit]) -> Vec<(u32, u32, String, (usize, usize))> {
    hits.iter()
        .map(|h| (h.pattern.0, h.line, h.text.to_string(), h.span))
        .collect()
}

fn compare_tree(root: &Path) -> usize {
    let loaded = load(&LoadOptions::default());
    let matchers = &loaded.matchers;
    let mut files = 0;
    let mut differences = Vec::new();
    for entry in ignore::WalkBuilder::new(root).hidden(false).build().flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || meta.len() > MAX_BYTES {
            continue;
        }
        let Ok(bytes) = std::fs::read(path) else { continue };
        if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        matchers.scan(&rel, &bytes, &mut fast);
        matchers.scan_exhaustive(&rel, &bytes, &mut slow);
        files += 1;
        if key(&fast) != key(&slow) {
            let (f, s) = (key(&fast), key(&slow));
            let only_slow: Vec<_> = s.iter().filter(|h| !f.contains(h)).take(3).cloned().collect();
            let only_fast: Vec<_> = f.iter().filter(|h| !s.contains(h)).take(3).cloned().collect();
            differences.push(format!(
                "{rel}: missed by the prefilter {only_slow:?}; extra {only_fast:?}; patterns {:?}",
                only_slow
                    .iter()
                    .chain(&only_fast)
                    .map(|h| matchers.sources().nth(h.0 as usize).unwrap_or("?").to_string())
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {files} files differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    files
}

#[test]
fn the_prefilter_finds_every_match_in_fixtures_and_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = compare_tree(&root.join("tests/fixtures")) + compare_tree(&root.join("examples"));
    assert!(files > 500, "only {files} files compared");
}

#[test]
fn the_prefilter_finds_every_match_in_a_given_tree() {
    if let Some(tree) = std::env::var_os("REDFLAG_PREFILTER_TREE") {
        compare_tree(Path::new(&tree));
    }
}
