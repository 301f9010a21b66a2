//! Reading a repository's refs without git: `HEAD`, loose refs and `packed-refs`, each
//! through the safe reader ([`crate::fsread`]: no link, no FIFO, size cap), each line
//! checked before it is used. Used for the commit id on report covers ([`head_commit`],
//! which starts no process at all) and to copy the refs into redflag's private git
//! directory for `--new-since` ([`collect`]), so git never reads the target's own files
//! other than its objects.

use std::collections::BTreeMap;
use std::path::Path;

use super::discover::{check_refs, read_small, show, GitDirs, Refused, MAX_OBJECT_ENTRIES};
use crate::fsread::read_regular;

/// Cap on `packed-refs`.
pub const PACKED_REFS_CAP: u64 = 64 << 20;
/// Symbolic refs are followed at most this deep (git's own limit is 5).
const MAX_SYMREF_DEPTH: usize = 5;

/// What a ref holds: an object id, or the name of another ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefValue {
    Direct(String),
    Symbolic(String),
}

/// A full object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
pub fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A ref name git would accept under `refs/` (`git check-ref-format`, a little stricter).
pub fn is_ref_name(name: &str) -> bool {
    if !name.starts_with("refs/") || name.len() > 1024 || name.ends_with('/') || name.ends_with('.') {
        return false;
    }
    if name.contains("..") || name.contains("@{") {
        return false;
    }
    let bad = |c: char| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\');
    if name.chars().any(bad) {
        return false;
    }
    name.split('/')
        .all(|c| !c.is_empty() && !c.starts_with('.') && !c.ends_with(".lock"))
}

/// The content of `HEAD` or of a loose ref.
pub fn parse_ref_value(text: &str) -> Option<RefValue> {
    let text = text.trim_end();
    if let Some(name) = text.strip_prefix("ref:") {
        let name = name.trim_start();
        return is_ref_name(name).then(|| RefValue::Symbolic(name.to_string()));
    }
    is_object_id(text).then(|| RefValue::Direct(text.to_string()))
}

/// The `(name, id)` lines of a `packed-refs` file; comments, peeled lines (`^id`) and
/// anything invalid are left out.
pub fn parse_packed_refs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (id, name) = line.trim_end_matches('\r').split_once(' ')?;
            (is_object_id(id) && is_ref_name(name)).then(|| (name.to_string(), id.to_string()))
        })
        .collect()
}

fn read_packed(dirs: &GitDirs) -> Result<Vec<(String, String)>, Refused> {
    let path = dirs.common_dir.join("packed-refs");
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => {}
    }
    let bytes = read_regular(&path, PACKED_REFS_CAP).map_err(|e| Refused(format!("{}: {e}", show(&path))))?;
    Ok(parse_packed_refs(&String::from_utf8_lossy(&bytes)))
}

/// Refs git keeps per worktree (in the git directory, not the common one).
fn per_worktree(name: &str) -> bool {
    ["refs/bisect/", "refs/worktree/", "refs/rewritten/"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The value of the loose ref `name`, `Ok(None)` when there is no such file.
fn read_loose(dirs: &GitDirs, name: &str) -> Result<Option<RefValue>, Refused> {
    if !is_ref_name(name) {
        return Err(Refused(format!("invalid ref name `{name}`")));
    }
    let base = if per_worktree(name) {
        &dirs.git_dir
    } else {
        &dirs.common_dir
    };
    let path = base.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    let text = read_small(&path, "the ref")?;
    parse_ref_value(&text)
        .map(Some)
        .ok_or_else(|| Refused(format!("the ref {} is invalid", show(&path))))
}

/// The target's `HEAD`.
pub fn read_head(dirs: &GitDirs) -> Result<RefValue, Refused> {
    let path = dirs.git_dir.join("HEAD");
    let text = read_small(&path, "HEAD")?;
    parse_ref_value(&text).ok_or_else(|| Refused(format!("{} is invalid", show(&path))))
}

/// The commit checked out in the repository `dirs`: `HEAD`, through at most five
/// symbolic refs, to a loose ref or a `packed-refs` line. `None` on anything odd.
pub fn head_commit(dirs: &GitDirs) -> Option<String> {
    let mut value = read_head(dirs).ok()?;
    let mut packed: Option<Vec<(String, String)>> = None;
    for _ in 0..=MAX_SYMREF_DEPTH {
        let name = match value {
            RefValue::Direct(id) => return Some(id),
            RefValue::Symbolic(name) => name,
        };
        value = match read_loose(dirs, &name).ok()? {
            Some(v) => v,
            None => {
                if packed.is_none() {
                    packed = Some(read_packed(dirs).ok()?);
                }
                let id = packed.as_ref()?.iter().find(|(n, _)| *n == name)?.1.clone();
                RefValue::Direct(id)
            }
        };
    }
    None
}

/// Whether `HEAD` names a branch that has no commit yet (a repository before its first
/// commit). False on anything odd, as on a commit.
pub fn unborn_head(dirs: &GitDirs) -> bool {
    let Ok(RefValue::Symbolic(name)) = read_head(dirs) else {
        return false;
    };
    matches!(read_loose(dirs, &name), Ok(None))
        && read_packed(dirs).is_ok_and(|packed| packed.iter().all(|(n, _)| *n != name))
}

/// Every ref of a repository, checked, ready to be written into another git directory.
#[derive(Debug, Default)]
pub struct Refs {
    /// `HEAD`, when it is valid.
    pub head: Option<RefValue>,
    /// Every ref, loose refs over packed ones.
    pub refs: BTreeMap<String, RefValue>,
}

/// Reads `HEAD`, every loose ref (at most [`MAX_OBJECT_ENTRIES`]) and `packed-refs`. A link,
/// FIFO or other special file among them refuses the repository; an invalid ref is left
/// out, as git would ignore it.
pub fn collect(dirs: &GitDirs) -> Result<Refs, Refused> {
    check_refs(dirs)?;
    let head_path = dirs.git_dir.join("HEAD");
    let head = match std::fs::symlink_metadata(&head_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        _ => Some(read_head(dirs)?),
    };
    let mut refs: BTreeMap<String, RefValue> = read_packed(dirs)?
        .into_iter()
        .map(|(n, id)| (n, RefValue::Direct(id)))
        .collect();
    if dirs.git_dir == dirs.common_dir {
        loose_refs(&dirs.common_dir, &|_| true, &mut refs)?;
    } else {
        // A linked worktree: its own per-worktree refs, every other ref from the common
        // directory.
        loose_refs(&dirs.common_dir, &|n| !per_worktree(n), &mut refs)?;
        loose_refs(&dirs.git_dir, &per_worktree, &mut refs)?;
    }
    Ok(Refs { head, refs })
}

fn loose_refs(
    base: &Path,
    keep: &dyn Fn(&str) -> bool,
    out: &mut BTreeMap<String, RefValue>,
) -> Result<(), Refused> {
    let refs = base.join("refs");
    if !refs.is_dir() {
        return Ok(());
    }
    let mut stack = vec![refs];
    let mut budget = MAX_OBJECT_ENTRIES;
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Refused(format!("cannot list {}: {e}", show(&d))))?;
        for entry in entries.flatten() {
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| Refused(format!("more than {MAX_OBJECT_ENTRIES} refs")))?;
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
                continue;
            }
            let Some(name) = path
                .strip_prefix(base)
                .ok()
                .and_then(|p| p.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if !is_ref_name(&name) || !keep(&name) {
                continue;
            }
            let text = read_small(&path, "the ref")?;
            if let Some(v) = parse_ref_value(&text) {
                out.insert(name, v);
            }
        }
    }
    Ok(())
}
