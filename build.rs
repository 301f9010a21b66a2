//! Embeds the built-in control pack: every `controls/**/*.yaml` except `tsc.yaml` and
//! `red_flags.yaml` (which `control::tsc` and `control::red_flags` embed on their own) becomes an entry of `control::builtin::BUILTIN`, so
//! adding a control is a YAML file and its fixtures, with no Rust to edit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let controls = root.join("controls");
    println!("cargo:rerun-if-changed=controls");
    let mut files = Vec::new();
    yaml_files(&controls, &mut files);
    let mut rows: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&controls).ok()?.to_str()?.replace('\\', "/");
            // Directories are watched by their mtime only; watch each file too.
            println!("cargo:rerun-if-changed={}", p.display());
            (rel != "tsc.yaml" && rel != "red_flags.yaml").then(|| (rel, p.display().to_string()))
        })
        .collect();
    rows.sort();
    let mut src = String::from("&[\n");
    for (rel, abs) in rows {
        let _ = writeln!(src, "    ({rel:?}, include_str!({abs:?})),");
    }
    src.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("builtin.rs");
    std::fs::write(out, src).expect("OUT_DIR is writable");
}
