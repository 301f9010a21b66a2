//! Writing a file inside a directory someone else controls: `init`'s templates and
//! `baseline`'s default `.redflag/baseline.json` go into the scanned repository. Its
//! directories and files are the repository author's, so a `compliance/` that is a link to
//! `/etc`, or a dangling `baseline.json` link, must not turn redflag's write into a write
//! elsewhere (as root: anywhere). Every such write goes through [`write_inside`], which:
//!
//! - walks the relative path one component at a time from a descriptor of the root
//!   (`openat`), opening each directory with `O_NOFOLLOW | O_DIRECTORY`, so a link at any
//!   component is refused rather than followed, and creating missing directories there
//!   (`mkdirat`);
//! - creates a new file with `O_CREAT | O_EXCL | O_NOFOLLOW` (which never follows a link and
//!   fails if anything appeared in between);
//! - replaces an existing file (`--force`) by writing a fresh temporary file beside it and
//!   renaming it over the old entry (`renameat`), so a hard link to a file elsewhere is
//!   replaced, never written through, and a FIFO or device is never opened.
//!
//! The root itself is named by the person running redflag and is trusted.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::path::{Component, Path};

use rustix::fs::{AtFlags, FileType, Mode as Perm, OFlags};
use rustix::io::Errno;

/// How to treat an existing file at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Never replace: an existing entry is left alone ([`Written::Exists`]).
    CreateNew,
    /// Replace an existing regular file.
    Replace,
}

/// What [`write_inside`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Replaced,
    /// `Mode::CreateNew` and something (a file, or a link left alone) is already there.
    Exists,
}

/// Why a write was refused or failed, naming the path at fault.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path has a component that is not a plain name (`..`, `/`, `.`).
    #[error("{0}: not a relative path inside the target")]
    NotRelative(String),
    /// A component is a symbolic link (never followed) or not what it should be.
    #[error("{path}: {what}; not written")]
    Refused { path: String, what: &'static str },
    #[error("cannot write {path}: {error}")]
    Io { path: String, error: std::io::Error },
}

fn shown(p: &Path) -> String {
    crate::text::printable(&p.display().to_string()).into_owned()
}

/// What the entry `name` in `dir` is, without following a link: `None` when absent.
fn entry_kind(dir: &OwnedFd, name: &OsStr) -> Result<Option<FileType>, Errno> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

fn kind_words(kind: FileType) -> &'static str {
    match kind {
        FileType::Symlink => "a symbolic link (not followed)",
        FileType::Directory => "a directory, not a file",
        FileType::RegularFile => "a file, not a directory",
        FileType::Fifo => "a FIFO (special file, never opened)",
        FileType::Socket => "a socket (special file, never opened)",
        FileType::CharacterDevice | FileType::BlockDevice => "a device (special file, never opened)",
        FileType::Unknown => "not a regular file",
    }
}

/// Creates `name` in `dir` with `O_EXCL | O_NOFOLLOW` and writes `content` to it.
fn create_at(dir: &OwnedFd, name: &OsStr, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Perm::from_raw_mode(0o644),
    )?;
    std::fs::File::from(fd).write_all(content)
}

/// Writes `content` to `root/rel` without following a link at any component of `rel`
/// (see the module documentation). Missing directories are created.
pub fn write_inside(root: &Path, rel: &Path, content: &[u8], mode: Mode) -> Result<Written, WriteError> {
    let names: Vec<&OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(n) => Ok(n),
            _ => Err(WriteError::NotRelative(shown(rel))),
        })
        .collect::<Result<_, _>>()?;
    let Some((file_name, dirs)) = names.split_last() else {
        return Err(WriteError::NotRelative(shown(rel)));
    };
    let io = |p: &Path| {
        let path = shown(p);
        move |error: std::io::Error| WriteError::Io { path, error }
    };
    let errno = |p: &Path| {
        let f = io(p);
        move |e: Errno| f(e.into())
    };
    let mut dir: OwnedFd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Perm::empty(),
    )
    .map_err(errno(root))?;
    let mut sofar = root.to_path_buf();
    for name in dirs {
        sofar.push(name);
        match entry_kind(&dir, name).map_err(errno(&sofar))? {
            None => match rustix::fs::mkdirat(&dir, *name, Perm::from_raw_mode(0o755)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(errno(&sofar)(e)),
            },
            Some(FileType::Directory) => {}
            Some(kind) => {
                return Err(WriteError::Refused {
                    path: shown(&sofar),
                    what: kind_words(kind),
                })
            }
        }
        // `O_NOFOLLOW | O_DIRECTORY`: refused if it became a link in between.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = rustix::fs::openat(&dir, *name, flags, Perm::empty()).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => WriteError::Refused {
                path: shown(&sofar),
                what: "a symbolic link or not a directory (not followed)",
            },
            e => errno(&sofar)(e),
        })?;
    }
    sofar.push(file_name);
    let existing = entry_kind(&dir, file_name).map_err(errno(&sofar))?;
    match (existing, mode) {
        (None, _) => match create_at(&dir, file_name, content) {
            Ok(()) => Ok(Written::Created),
            Err(e) if e.raw_os_error() == Some(Errno::EXIST.raw_os_error()) => Ok(Written::Exists),
            Err(e) => Err(io(&sofar)(e)),
        },
        (Some(_), Mode::CreateNew) => Ok(Written::Exists),
        (Some(FileType::RegularFile), Mode::Replace) => {
            replace_at(&dir, file_name, content).map_err(io(&sofar))?;
            Ok(Written::Replaced)
        }
        (Some(kind), Mode::Replace) => Err(WriteError::Refused {
            path: shown(&sofar),
            what: kind_words(kind),
        }),
    }
}

/// Refuses a path whose directories below `root` include a symbolic link or something
/// other than a directory (missing ones are fine): for reading back a file that
/// [`write_inside`] wrote, without following a link there either.
pub fn check_dirs(root: &Path, rel: &Path) -> Result<(), WriteError> {
    let mut sofar = root.to_path_buf();
    let mut comps: Vec<Component<'_>> = rel.components().collect();
    comps.pop();
    for c in comps {
        let Component::Normal(name) = c else {
            return Err(WriteError::NotRelative(shown(rel)));
        };
        sofar.push(name);
        match std::fs::symlink_metadata(&sofar) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                return Err(WriteError::Refused {
                    path: shown(&sofar),
                    what: if m.file_type().is_symlink() {
                        "a symbolic link (not followed)"
                    } else {
                        "a file, not a directory"
                    },
                })
            }
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

/// Writes a temporary file beside `name` and renames it over `name`.
fn replace_at(dir: &OwnedFd, name: &OsStr, content: &[u8]) -> std::io::Result<()> {
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".redflag-{}.tmp", std::process::id()));
    // A stale temporary file of an earlier, killed run with this pid: ours to remove
    // (`unlinkat` never follows a link).
    let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
    let written = create_at(dir, &tmp, content)
        .and_then(|()| rustix::fs::renameat(dir, &tmp, dir, name).map_err(Into::into));
    if written.is_err() {
        let _ = rustix::fs::unlinkat(dir, &tmp, AtFlags::empty());
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn creates_missing_directories_and_never_replaces_in_create_mode() {
        let t = tempfile::tempdir().unwrap();
        let rel = Path::new("a/b/c.md");
        assert_eq!(
            write_inside(t.path(), rel, b"one", Mode::CreateNew).unwrap(),
            Written::Created
        );
        assert_eq!(
            write_inside(t.path(), rel, b"two", Mode::CreateNew).unwrap(),
            Written::Exists
        );
        assert_eq!(std::fs::read(t.path().join(rel)).unwrap(), b"one");
        assert_eq!(
            write_inside(t.path(), rel, b"three", Mode::Replace).unwrap(),
            Written::Replaced
        );
        assert_eq!(std::fs::read(t.path().join(rel)).unwrap(), b"three");
        let names: Vec<_> = std::fs::read_dir(t.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn links_at_any_component_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = t.path();
        symlink(outside.path(), root.join("compliance")).unwrap();
        let e = write_inside(root, Path::new("compliance/x.md"), b"x", Mode::CreateNew).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        // A dangling link as the file itself: left alone, its target never created.
        std::fs::create_dir(root.join(".redflag")).unwrap();
        let dangling = outside.path().join("created-through-link.json");
        symlink(&dangling, root.join(".redflag/baseline.json")).unwrap();
        let rel = Path::new(".redflag/baseline.json");
        assert_eq!(
            write_inside(root, rel, b"{}", Mode::CreateNew).unwrap(),
            Written::Exists
        );
        assert!(write_inside(root, rel, b"{}", Mode::Replace).is_err());
        assert!(!dangling.exists());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_hard_link_is_replaced_not_written_through() {
        let t = tempfile::tempdir().unwrap();
        let other = t.path().join("other.txt");
        std::fs::write(&other, "precious").unwrap();
        std::fs::hard_link(&other, t.path().join("b.json")).unwrap();
        write_inside(t.path(), Path::new("b.json"), b"new", Mode::Replace).unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(t.path().join("b.json")).unwrap(), "new");
    }

    #[test]
    fn special_files_and_escapes_are_refused() {
        let t = tempfile::tempdir().unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            t.path().join("f"),
            FileType::Fifo,
            Perm::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let e = write_inside(t.path(), Path::new("f"), b"x", Mode::Replace).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(write_inside(t.path(), Path::new("../x"), b"x", Mode::CreateNew).is_err());
        assert!(write_inside(t.path(), Path::new("/tmp/x"), b"x", Mode::CreateNew).is_err());
        std::fs::write(t.path().join("file"), "x").unwrap();
        let e = write_inside(t.path(), Path::new("file/y"), b"x", Mode::CreateNew).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
    }
}
