//! Reading one file that someone else controls: a config file or baseline found in a
//! target, a control pack's files. Shared so every such read has the same guarantees, which
//! SECURITY.md promises:
//!
//! - its directory entry must be a regular file: a symbolic link, FIFO, socket, device or
//!   directory is never opened (opening a device can have effects, and reading a FIFO or
//!   `/dev/zero` never ends);
//! - it is opened with `O_NOFOLLOW | O_NONBLOCK` and checked again on the open handle
//!   (`fstat`), so a file swapped for a link or a FIFO after it was looked at is refused
//!   rather than followed or waited on;
//! - at most `cap` bytes are read, whatever its size says (it may grow while read).
//!
//! The walker reads target files the same way, with its own variant (it lists a file over
//! the cap with its size instead of refusing it).

use std::fmt;
use std::io::Read as _;
use std::path::Path;

/// Why a file was not read, in words fit for a note or a diagnostic.
#[derive(Debug)]
pub enum Unread {
    /// Not a regular file: what it is (`a FIFO (special file, never opened)`).
    NotRegular(&'static str),
    /// Larger than the cap: its size, or what was read before giving up.
    TooLarge { size: u64, cap: u64 },
    /// The file could not be looked at, opened or read.
    Io {
        action: &'static str,
        error: std::io::Error,
    },
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::NotRegular(what) => f.write_str(what),
            Unread::TooLarge { size, cap } => write!(f, "{size} bytes, over the {cap}-byte limit"),
            Unread::Io { action, error } => write!(f, "cannot {action} it: {error}"),
        }
    }
}

/// What a directory entry is, in words, when it is not a regular file.
pub fn not_regular(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if ft.is_symlink() {
        "a symbolic link (not followed)"
    } else if ft.is_dir() {
        "a directory, not a file"
    } else if ft.is_fifo() {
        "a FIFO (special file, never opened)"
    } else if ft.is_socket() {
        "a socket (special file, never opened)"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device (special file, never opened)"
    } else {
        "not a regular file"
    }
}

/// Reads a regular file without following a link or blocking, at most `cap` bytes (see the
/// module documentation).
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, Unread> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let io = |action| move |error| Unread::Io { action, error };
    let meta = std::fs::symlink_metadata(path).map_err(io("read"))?;
    if !meta.is_file() {
        return Err(Unread::NotRegular(not_regular(meta.file_type())));
    }
    if meta.len() > cap {
        return Err(Unread::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            // `O_NOFOLLOW`: it became a link after it was looked at.
            Some(libc::ELOOP) => Unread::NotRegular("a symbolic link (not followed)"),
            _ => Unread::Io {
                action: "open",
                error,
            },
        })?;
    let meta = file.metadata().map_err(io("read"))?;
    if !meta.is_file() {
        return Err(Unread::NotRegular(not_regular(meta.file_type())));
    }
    if meta.len() > cap {
        return Err(Unread::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io("read"))?;
    if buf.len() as u64 > cap {
        return Err(Unread::TooLarge {
            size: buf.len() as u64,
            cap,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let file = d.join("f.yaml");
        std::fs::write(&file, "fail_on: high\n").unwrap();
        assert_eq!(read_regular(&file, 100).unwrap(), b"fail_on: high\n");
        assert_eq!(read_regular(&file, 14).unwrap().len(), 14);
        let e = read_regular(&file, 4).unwrap_err();
        assert!(matches!(e, Unread::TooLarge { size: 14, cap: 4 }));
        assert_eq!(e.to_string(), "14 bytes, over the 4-byte limit");
        std::os::unix::fs::symlink(&file, d.join("link.yaml")).unwrap();
        let words = |p: &Path| read_regular(p, 100).unwrap_err().to_string();
        assert!(words(&d.join("link.yaml")).contains("symbolic link"));
        let fifo = std::ffi::CString::new(d.join("fifo").as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        assert!(words(&d.join("fifo")).contains("FIFO"));
        assert!(words(Path::new("/dev/zero")).contains("device"));
        assert!(words(d).contains("directory"));
        assert!(words(&d.join("missing")).starts_with("cannot read it: "));
    }
}
