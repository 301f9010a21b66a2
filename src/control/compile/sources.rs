//! Where a pack's files come from: the built-in pack, `--controls` directories (read with
//! limits, never through a link) and directories named by an untrusted target, and what
//! each file is by its path (control, catalogue, signals, documents).

use std::path::Path;

use super::LoadOptions;
use crate::check::compile::Diag;
use crate::control::builtin;

/// The pack's files in load order: built-ins, `--controls` directories, then the
/// controls and signals of untrusted directories (their other files are listed in
/// `refused`, with why).
pub(super) fn gather(opts: &LoadOptions, diags: &mut Vec<Diag>, refused: &mut Vec<Diag>) -> Vec<SourceFile> {
    let mut sources = if opts.no_builtin {
        Vec::new()
    } else {
        builtin_sources()
    };
    for dir in &opts.dirs {
        if !dir.is_dir() {
            diags.push(Diag {
                file: dir.display().to_string(),
                line: None,
                column: None,
                message: "control directory does not exist".into(),
            });
            continue;
        }
        sources.extend(dir_sources(dir, diags));
    }
    for dir in &opts.untrusted_dirs {
        if !dir.is_dir() {
            continue;
        }
        for mut src in dir_sources(dir, diags) {
            if matches!(role_of(&src.rel), Role::Control | Role::Signals) {
                src.untrusted = true;
                sources.push(src);
            } else if !matches!(role_of(&src.rel), Role::Ignore) {
                refused.push(Diag {
                    file: src.display,
                    line: None,
                    column: None,
                    message: "not used: catalogue and document files of a pack named by an \
                              untrusted target could weaken built-in checks"
                        .into(),
                });
            }
        }
    }

    sources
}

/// A source file of the pack: where it came from and its text.
pub(super) struct SourceFile {
    pub(super) display: String,
    pub(super) rel: String,
    pub(super) text: String,
    /// From a directory named by an untrusted target ([`LoadOptions::untrusted_dirs`]).
    pub(super) untrusted: bool,
}

fn builtin_sources() -> Vec<SourceFile> {
    builtin::BUILTIN
        .iter()
        .map(|(rel, text)| SourceFile {
            display: format!("controls/{rel}"),
            rel: (*rel).to_string(),
            text: (*text).to_string(),
            untrusted: false,
        })
        .collect()
}

/// Largest control file read from a pack directory (the built-in pack's largest is 20 KiB).
pub const MAX_PACK_FILE: u64 = 1 << 20;
/// Most control files, and bytes of them, read from one pack directory (the built-in pack:
/// 40 files, 150 KiB).
pub const MAX_PACK_FILES: usize = 2_000;
pub const MAX_PACK_BYTES: u64 = 16 << 20;
/// Most directory entries looked at in one pack directory, its `catalog/` directories
/// included: listing a directory of millions of files is not loading a pack.
const MAX_PACK_ENTRIES: usize = 100_000;

/// Reads the control files of a pack directory: `*.yaml`/`*.yml` files at its top and
/// under `catalog/` directories. A pack may come from a third party (or from the scanned
/// repository, through its config file), so each file is read with
/// [`crate::fsread::read_regular`] — never through a link, never blocking on a FIFO, at
/// most [`MAX_PACK_FILE`] bytes — and the pack is bounded ([`MAX_PACK_FILES`],
/// [`MAX_PACK_BYTES`]). A control file that is a link or a special file is an error, not
/// skipped: a pack that silently lost a control would report fewer gaps. Entries are read in
/// name order, so the diagnostics do not depend on the file system's order.
fn dir_sources(dir: &Path, diags: &mut Vec<Diag>) -> Vec<SourceFile> {
    let shown = |p: &Path| crate::text::printable(&p.display().to_string()).into_owned();
    let mut err = |path: &Path, message: String| {
        diags.push(Diag {
            file: shown(path),
            line: None,
            column: None,
            message,
        });
    };
    let mut out = Vec::new();
    let (mut entries_seen, mut bytes) = (0usize, 0u64);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let listing = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                err(&d, format!("cannot read control directory: {e}"));
                continue;
            }
        };
        let mut entries = Vec::new();
        for entry in listing {
            entries_seen += 1;
            if entries_seen > MAX_PACK_ENTRIES {
                err(
                    dir,
                    format!("more than {MAX_PACK_ENTRIES} directory entries: not a control pack"),
                );
                return Vec::new();
            }
            match entry {
                Ok(e) => entries.push(e),
                Err(e) => err(&d, format!("cannot read control directory: {e}")),
            }
        }
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if path.file_name().is_some_and(|n| n == "catalog") {
                    stack.push(path);
                }
                continue;
            }
            if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                continue;
            }
            if !ft.is_file() {
                let what = crate::fsread::not_regular(ft);
                err(&path, format!("{what}: a control file must be a regular file"));
                continue;
            }
            if out.len() == MAX_PACK_FILES {
                err(dir, format!("more than {MAX_PACK_FILES} control files"));
                return Vec::new();
            }
            let text = match crate::fsread::read_regular(&path, MAX_PACK_FILE) {
                Ok(b) => String::from_utf8(b).map_err(|_| "not UTF-8 text".to_string()),
                Err(crate::fsread::Unread::TooLarge { size, cap }) => Err(format!(
                    "{size} bytes, over the {cap}-byte limit for a control file"
                )),
                Err(e) => Err(e.to_string()),
            };
            let text = match text {
                Ok(t) => t,
                Err(why) => {
                    err(&path, format!("not loaded: {why}"));
                    continue;
                }
            };
            bytes += text.len() as u64;
            if bytes > MAX_PACK_BYTES {
                err(dir, format!("more than {MAX_PACK_BYTES} bytes of control files"));
                return Vec::new();
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(SourceFile {
                display: shown(&path),
                rel,
                text,
                untrusted: false,
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// Why a pack directory named by a target's config file is not loaded: the first problem,
/// with the file relative to the directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PackRefused(pub String);

/// Checks that a pack directory can be loaded within the limits of [`dir_sources`] (its
/// files are read): `Err` holds the first problem, with the file relative to `dir`. For a
/// pack named by a config file found in a target, which is refused rather than failing
/// the run.
pub fn check_pack_dir(dir: &Path) -> Result<(), PackRefused> {
    let mut diags = Vec::new();
    dir_sources(dir, &mut diags);
    match diags.into_iter().next() {
        None => Ok(()),
        Some(d) => {
            let full = crate::text::printable(&dir.display().to_string()).into_owned();
            let file = d
                .file
                .strip_prefix(&full)
                .map_or(d.file.as_str(), |r| r.trim_start_matches('/'));
            Err(PackRefused(if file.is_empty() {
                d.message
            } else {
                format!("{file}: {}", d.message)
            }))
        }
    }
}

pub(super) enum Role {
    Control,
    Catalog,
    Signals,
    Documents,
    Ignore,
}

pub(super) fn role_of(rel: &str) -> Role {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if rel.starts_with("catalog/") {
        Role::Catalog
    } else if name == "signals.yaml" {
        Role::Signals
    } else if name == "documents.yaml" {
        Role::Documents
    } else if name == "tsc.yaml" || name == "red_flags.yaml" {
        Role::Ignore
    } else {
        Role::Control
    }
}
