//! Helpers shared by the fuzz targets: drive everything a check would call on a parsed
//! value, so a panic anywhere downstream of a parser is found too.

use redflag::workspace::document::Document;
use redflag::workspace::node::{Node, Value};
use redflag::workspace::query;

/// Walks a parsed YAML/JSON node the way queries, IAM extraction and register flattening do.
pub fn exercise_node(node: &Node) {
    let _ = node.flat_text();
    let _ = node.get("kind").and_then(Node::as_str);
    let _ = redflag::workspace::iam::structured(node);
    let _ = redflag::workspace::iam::structured_links(node);
    let _ = redflag::workspace::resources::cloudformation(std::slice::from_ref(node), "");
    for path in [
        "kind",
        "metadata.name",
        "rules[].verbs[]",
        "spec.template.spec.containers[].image",
        "jobs.*.steps[].with.role-to-assume",
        "*.*",
    ] {
        if let Ok(steps) = query::parse_path(path) {
            let mut out = Vec::new();
            query::select(node, &steps, &mut out);
            for n in out {
                let _ = n.line;
            }
        }
    }
    if let Value::Seq(items) = &node.value {
        for i in items.iter().take(64) {
            let _ = i.flat_text();
        }
    }
}

/// Reads a parsed evidence document the way the register, cadence and coverage checks do.
pub fn exercise_document(doc: &Document) {
    let keys: Vec<String> = ["vendor", "dpa", "soc 2", "date", "reviewer", "consent basis"]
        .iter()
        .map(|k| redflag::text::norm_key(k))
        .collect();
    let patterns = [
        redflag::workspace::matcher::LazyRegex::new(r"(?i)prompt injection", true).unwrap(),
        redflag::workspace::matcher::LazyRegex::new(r"(?i)model (?:drift|theft)", true).unwrap(),
    ];
    let _ = doc.first_match_line(&patterns);
    for r in doc.records.iter().take(2_000) {
        let _ = doc.text(r.line, r.end_line);
        let _ = redflag::redact::snippet(doc.line(r.line));
        let _ = doc.line(r.end_line.saturating_add(1));
        if let Some(f) = r.field(&keys) {
            let _ = redflag::text::value_state(&f.value);
            let _ = redflag::date::find_dates(&f.value);
        }
        for f in r.fields.iter().take(64) {
            let _ = redflag::text::key_matches(&f.norm, &keys[0]);
            let _ = redflag::text::value_state(&f.value);
        }
        let _ = redflag::date::find_dates(&r.title);
    }
}

/// A directory private to this fuzzing process, emptied for each input.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("redflag-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Splits an input into at most `n` parts at `\0\0` (so a corpus entry can hold several
/// files); the first byte of each part may select a name.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(2).position(|w| w == b"\0\0") {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + 2..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// Lays out the hostile `.git` of the `gitexport` target under `dir` and runs discovery and
/// ref reading on it (kept in step with `replay` in tests/props.rs).
pub fn exercise_git_dir(dir: &std::path::Path, data: &[u8]) {
    use redflag::gitread::{discover, refs};
    let p = parts(data, 5);
    let part = |i: usize| p.get(i).copied().unwrap_or_default();
    let work = dir.join("work");
    let git_file = part(4);
    let git_dir = if git_file.is_empty() {
        work.join(".git")
    } else {
        work.join("gd")
    };
    let files = [
        ("HEAD", part(0)),
        ("packed-refs", part(1)),
        ("refs/heads/main", part(2)),
        ("objects/info/alternates", part(3)),
    ];
    for (name, bytes) in files {
        let path = git_dir.join(name);
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(&git_dir));
        let _ = std::fs::write(path, bytes);
    }
    let _ = std::fs::create_dir_all(work.join("sub"));
    if !git_file.is_empty() {
        let _ = std::fs::write(work.join(".git"), git_file);
    }
    for bytes in [part(0), part(1), part(2), part(4)] {
        let text = String::from_utf8_lossy(bytes);
        let _ = refs::parse_ref_value(&text);
        let _ = refs::is_ref_name(text.trim_end());
        let _ = refs::parse_packed_refs(&text);
    }
    if let Ok(Some(dirs)) = discover::discover(&work.join("sub")) {
        assert!(dirs.git_dir.starts_with(&dirs.root));
        assert!(dirs.object_dirs.iter().all(|d| d.starts_with(&dirs.root)));
        let _ = refs::head_commit(&dirs);
        let _ = refs::collect(&dirs);
        let _ = discover::check_object_dirs(&dirs);
    }
}
