//! Finding a target's git directory without git, and refusing one that leads out of the
//! repository.
//!
//! git's own discovery trusts what it finds: a `.git` file (`gitdir: ../other-client/.git`),
//! a `commondir` file or an `objects/info/alternates` line may send it to any repository on
//! the machine, and it then reads that repository's config. So redflag looks itself, with
//! `lstat` and the safe reader ([`crate::fsread`]), and accepts only a layout whose every
//! part resolves inside the work-tree root (the directory holding `.git`):
//!
//! - `.git` must be a directory, or a regular file `gitdir: PATH`; a link or a special file
//!   is refused;
//! - the git directory, its `commondir` (linked worktrees) and its `objects` directory must
//!   be real directories (not links) whose canonical paths are inside the root;
//! - every `objects/info/alternates` line, followed recursively (at most [`MAX_ALTERNATE_DEPTH`]
//!   levels, as git), must name an objects directory inside the root;
//! - before git is run, [`check_object_dirs`] and [`check_refs`] walk those directories:
//!   every entry must be a regular file or a directory (no link, FIFO, socket or device),
//!   and there may be at most [`MAX_OBJECT_ENTRIES`] of them.
//!
//! So a worktree or submodule whose git directory lives elsewhere is refused, with a
//! message saying so: that is a limitation, not an oversight.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::fsread::{not_regular, read_regular};

/// How deep `objects/info/alternates` chains are followed (git's own limit).
pub const MAX_ALTERNATE_DEPTH: usize = 5;
/// At most this many entries under the object directories, and under `refs/`, are looked
/// at before git is run.
pub const MAX_OBJECT_ENTRIES: usize = 1_000_000;
/// Cap on small git files: `.git` files, `HEAD`, `commondir`, loose refs, `alternates`.
pub const SMALL_FILE_CAP: u64 = 64 * 1024;

/// Why a repository layout was refused, in words fit for an error message.
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A path in a message: control characters escaped, so a repository cannot write to the
/// terminal through a file name.
pub fn show(path: &Path) -> String {
    path.display().to_string().escape_debug().to_string()
}

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(msg.into()))
}

/// A repository found by [`discover`], every path canonical and inside `root`.
#[derive(Debug, Clone)]
pub struct GitDirs {
    /// The work-tree root: the directory holding `.git`.
    pub root: PathBuf,
    /// The git directory (`HEAD`, per-worktree refs).
    pub git_dir: PathBuf,
    /// The common directory (`refs/`, `packed-refs`, `objects/`): `git_dir` unless a
    /// `commondir` file names another.
    pub common_dir: PathBuf,
    /// The objects directory, then every alternate it names (recursively), without repeats.
    pub object_dirs: Vec<PathBuf>,
    /// The target directory relative to `root` (`""` at the root), `/`-separated.
    pub prefix: PathBuf,
}

fn canonical_inside(path: &Path, root: &Path, what: &str) -> Result<PathBuf, Refused> {
    let c = std::fs::canonicalize(path)
        .or_else(|e| refuse(format!("{what} {} cannot be resolved: {e}", show(path))))?;
    if !c.starts_with(root) {
        return refuse(format!(
            "{what} {} is outside the repository {} (redflag reads only the target's own \
             repository; linked worktrees and submodules whose git directory is elsewhere are \
             not supported)",
            show(&c),
            show(root)
        ));
    }
    Ok(c)
}

/// `path` must be a directory itself, not a link to one.
fn real_dir(path: &Path, what: &str) -> Result<(), Refused> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(m) => refuse(format!(
            "{what} {} is {}",
            show(path),
            not_regular_dir(m.file_type())
        )),
        Err(e) => refuse(format!("{what} {} cannot be read: {e}", show(path))),
    }
}

fn not_regular_dir(ft: std::fs::FileType) -> &'static str {
    if ft.is_file() {
        "a file, not a directory"
    } else {
        not_regular(ft)
    }
}

/// A small file of the repository, as text (trailing newline and spaces trimmed).
pub(crate) fn read_small(path: &Path, what: &str) -> Result<String, Refused> {
    let bytes =
        read_regular(path, SMALL_FILE_CAP).or_else(|e| refuse(format!("{what} {}: {e}", show(path))))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s.trim_end().to_string()),
        Err(_) => refuse(format!("{what} {} is not UTF-8 text", show(path))),
    }
}

/// Finds the repository holding `target` (a directory): the nearest `.git` at or above it.
/// `Ok(None)` when there is none; an error when the one found is refused.
pub fn discover(target: &Path) -> Result<Option<GitDirs>, Refused> {
    let target = std::fs::canonicalize(target)
        .or_else(|e| refuse(format!("{} cannot be resolved: {e}", show(target))))?;
    let mut dir = target.as_path();
    loop {
        let dot_git = dir.join(".git");
        match std::fs::symlink_metadata(&dot_git) {
            Ok(meta) => {
                let root = dir.to_path_buf();
                let git_dir = if meta.is_dir() {
                    dot_git
                } else if meta.is_file() {
                    let text = read_small(&dot_git, "the `.git` file")?;
                    let Some(rel) = text.strip_prefix("gitdir: ") else {
                        return refuse(format!(
                            "the `.git` file {} does not start with `gitdir: `",
                            show(&dot_git)
                        ));
                    };
                    if rel.is_empty() || rel.contains('\n') || rel.contains('\0') {
                        return refuse(format!("the `.git` file {} is invalid", show(&dot_git)));
                    }
                    root.join(rel)
                } else {
                    return refuse(format!("{} is {}", show(&dot_git), not_regular(meta.file_type())));
                };
                let prefix = target.strip_prefix(&root).unwrap_or(Path::new("")).to_path_buf();
                return from_git_dir(root, &git_dir, prefix).map(Some);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return refuse(format!("{} cannot be read: {e}", show(&dot_git))),
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return Ok(None),
        }
    }
}

/// Checks the layout of the git directory `git_dir` of the work tree at `root` (canonical).
pub fn from_git_dir(root: PathBuf, git_dir: &Path, prefix: PathBuf) -> Result<GitDirs, Refused> {
    let git_dir = canonical_inside(git_dir, &root, "the git directory")?;
    real_dir(&git_dir, "the git directory")?;
    let common_file = git_dir.join("commondir");
    let common_dir = match std::fs::symlink_metadata(&common_file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => git_dir.clone(),
        _ => {
            let rel = read_small(&common_file, "the `commondir` file")?;
            if rel.is_empty() || rel.contains('\n') || rel.contains('\0') {
                return refuse(format!("the `commondir` file {} is invalid", show(&common_file)));
            }
            let c = canonical_inside(&git_dir.join(rel), &root, "the common git directory")?;
            real_dir(&c, "the common git directory")?;
            c
        }
    };
    let objects = common_dir.join("objects");
    real_dir(&objects, "the objects directory")?;
    let objects = canonical_inside(&objects, &root, "the objects directory")?;
    let mut object_dirs = vec![objects.clone()];
    alternates(&objects, &root, 0, &mut object_dirs)?;
    Ok(GitDirs {
        root,
        git_dir,
        common_dir,
        object_dirs,
        prefix,
    })
}

/// Adds the alternates named by `objects/info/alternates` (recursively) to `out`.
fn alternates(objects: &Path, root: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Refused> {
    let file = objects.join("info/alternates");
    match std::fs::symlink_metadata(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        _ => {}
    }
    let text = read_small(&file, "the alternates file")?;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('"') {
            return refuse(format!(
                "{}: quoted alternate paths are not supported",
                show(&file)
            ));
        }
        if depth + 1 > MAX_ALTERNATE_DEPTH {
            return refuse(format!(
                "{}: alternates nested more than {MAX_ALTERNATE_DEPTH} deep",
                show(&file)
            ));
        }
        let alt = objects.join(line);
        let alt = canonical_inside(&alt, root, "the alternate object directory")?;
        real_dir(&alt, "the alternate object directory")?;
        if !out.contains(&alt) {
            out.push(alt.clone());
            alternates(&alt, root, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Every entry under `dir` must be a regular file or a directory; at most `*budget` entries.
fn check_tree(dir: &Path, budget: &mut usize, what: &str) -> Result<(), Refused> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).or_else(|e| refuse(format!("{what}: cannot list {}: {e}", show(&d))))?;
        for entry in entries {
            let entry = entry.or_else(|e| refuse(format!("{what}: cannot list {}: {e}", show(&d))))?;
            if *budget == 0 {
                return refuse(format!(
                    "{what}: more than {MAX_OBJECT_ENTRIES} entries under {}",
                    show(dir)
                ));
            }
            *budget -= 1;
            let ft = entry
                .file_type()
                .or_else(|e| refuse(format!("{what}: {}: {e}", show(&entry.path()))))?;
            if ft.is_dir() {
                stack.push(entry.path());
            } else if !ft.is_file() {
                return refuse(format!("{what}: {} is {}", show(&entry.path()), not_regular(ft)));
            }
        }
    }
    Ok(())
}

/// Walks every object directory: only regular files and directories, bounded.
pub fn check_object_dirs(dirs: &GitDirs) -> Result<(), Refused> {
    let mut budget = MAX_OBJECT_ENTRIES;
    for d in &dirs.object_dirs {
        check_tree(d, &mut budget, "git objects")?;
    }
    Ok(())
}

/// Walks `refs/` of the common directory (and of the git directory, for a worktree) the
/// same way.
pub fn check_refs(dirs: &GitDirs) -> Result<(), Refused> {
    let mut budget = MAX_OBJECT_ENTRIES;
    let mut seen = Vec::new();
    for base in [&dirs.common_dir, &dirs.git_dir] {
        if seen.contains(&base) {
            continue;
        }
        seen.push(base);
        let refs = base.join("refs");
        match std::fs::symlink_metadata(&refs) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            _ => real_dir(&refs, "git refs")?,
        }
        check_tree(&refs, &mut budget, "git refs")?;
    }
    Ok(())
}
