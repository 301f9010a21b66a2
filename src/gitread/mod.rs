//! Reading a git revision of a target without letting the target's repository run, hang,
//! escape or inflate anything (SECURITY.md, "Run anything from a target").
//!
//! git obeys the repository it reads: its config may declare a partial clone whose missing
//! objects are fetched by running `core.sshCommand` or `remote.*.uploadpack`, include other
//! config files, or set a hundred other commands; a `.git` file or `alternates` may point at
//! another client's repository; a FIFO where git expects a file makes it wait forever. So:
//!
//! - redflag finds and checks the repository itself ([`discover`]): every git, common and
//!   object directory must resolve inside the work tree holding `.git`, every entry under
//!   the object directories and `refs/` must be a regular file or a directory, and the refs
//!   are read by redflag's safe reader ([`refs`]);
//! - git runs on a private, throwaway git directory outside the target: a config of one
//!   line, the target's checked refs, and `objects/info/alternates` naming the target's
//!   object directory. git never reads the target's config, hooks, `info/` or attributes;
//!   with `GIT_NO_LAZY_FETCH`, `protocol.allow=never`, no promisor remote and a cleared
//!   environment, a missing object is an error, never a fetch;
//! - only `git ls-tree` and `git cat-file --batch` run, each killed after [`GIT_TIMEOUT`];
//!   the listing is streamed, a blob over `--max-file-size` is never read (an empty sparse
//!   file of its size stands for it, so the scan lists it as too large), other blobs are
//!   copied in chunks straight to their file, and the export stops with an error past
//!   [`MAX_EXPORT_FILES`] files or [`MAX_EXPORT_BYTES`] bytes.
//!
//! Like `git ls-tree`/`cat-file` themselves, nothing here applies filters (smudge, LFS) or
//! touches the user's checkout or index. Symbolic links and submodules are skipped, as the
//! walk would skip them, and so is any path that is not a plain relative path or that has a
//! `.git` component.

pub mod discover;
pub mod refs;

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Why a revision could not be exported. Messages name the git step or file at fault and
/// never quote raw git output unescaped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The repository's layout was refused before git ran.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// An I/O step failed; `what` says which (`cannot write …`, `git cat-file`).
    #[error("{what}")]
    Io {
        /// The step, naming its path or git command.
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An I/O error with no more to say than itself.
    #[error(transparent)]
    Os(#[from] std::io::Error),
    /// git misbehaved, was stopped, or the revision is over a limit.
    #[error("{0}")]
    Git(String),
}

/// The export's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns an [`Error::Git`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Error::Git(format!($($arg)*)))
    };
}

/// Adds what was being done to an I/O error.
trait IoContext<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io { what: what(), source })
    }
}

/// A pipe that must be there (it was asked for when the child was spawned).
fn pipe<T>(p: Option<T>, what: &str) -> Result<T> {
    p.ok_or_else(|| Error::Git(what.to_string()))
}

pub use discover::{discover, show, GitDirs, Refused};

/// Each git process is killed after this long.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(120);
/// At most this many files are exported from a revision (a tree of a few kilobytes can
/// name millions of paths).
pub const MAX_EXPORT_FILES: u64 = 200_000;
/// At most this many bytes are exported from a revision, over all files.
pub const MAX_EXPORT_BYTES: u64 = 2 << 30;
/// Longest `ls-tree` record (mode, type, id, size and path) accepted.
const MAX_RECORD: u64 = 64 * 1024;

/// Bounds of one export.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A blob larger than this is not read (`--max-file-size`).
    pub max_file_size: u64,
    pub max_files: u64,
    pub max_bytes: u64,
    pub timeout: Duration,
}

impl Limits {
    /// The default limits with the scan's `--max-file-size`.
    pub fn with_max_file_size(max_file_size: u64) -> Self {
        Self {
            max_file_size,
            max_files: MAX_EXPORT_FILES,
            max_bytes: MAX_EXPORT_BYTES,
            timeout: GIT_TIMEOUT,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Files written, counting the stand-ins of blobs too large to read.
    pub files: u64,
    /// Bytes of content written.
    pub bytes: u64,
    /// Blobs over `max_file_size`, never read (an empty sparse file of their size stands
    /// in, so the scan lists them as too large).
    pub too_large: u64,
    /// Paths left out: not a plain relative path, or with a `.git` component.
    pub invalid_paths: u64,
}

/// Writes the files of `target` (a directory inside a git work tree) at `reference` into
/// `dest` (see the module documentation for what is checked and bounded).
/// Whether `target` is in a git repository whose `HEAD` has no commit yet (before the first
/// commit: `--new-since HEAD` then has nothing to compare with). Reads files only.
pub fn head_is_unborn(target: &Path) -> bool {
    discover(target)
        .ok()
        .flatten()
        .is_some_and(|d| refs::unborn_head(&d))
}

pub fn export_tree(target: &Path, reference: &str, dest: &Path, limits: &Limits) -> Result<Exported> {
    if reference.is_empty() || reference.starts_with('-') || reference.chars().any(|c| c.is_control()) {
        bail!("invalid revision `{}`", reference.escape_debug());
    }
    let dirs = discover(target)?.ok_or_else(|| Error::Git("not inside a git repository".into()))?;
    discover::check_object_dirs(&dirs)?;
    let refs = refs::collect(&dirs)?;
    let private = tempfile::Builder::new()
        .prefix("redflag-git-")
        .tempdir()
        .doing(|| "cannot create a temporary directory".into())?;
    let git_dir = private.path().join("git");
    let home = private.path().join("home");
    std::fs::create_dir(&home)?;
    write_private_git_dir(&git_dir, &dirs, &refs)
        .doing(|| "cannot write the private git directory".into())?;
    let git = || git_command(&git_dir, &home);

    let mut spec = OsString::from(format!("{reference}:"));
    spec.push(dirs.prefix.as_os_str());
    let mut ls = git();
    ls.args(["ls-tree", "-r", "-z", "--long", "--full-tree"])
        .arg(&spec)
        .stdout(Stdio::piped());
    let mut ls = Guarded::spawn(ls, "git ls-tree", limits.timeout)?;
    let mut cat = git();
    cat.args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut cat = Guarded::spawn(cat, "git cat-file", limits.timeout)?;

    std::fs::create_dir_all(dest)?;
    let listing = BufReader::new(pipe(ls.child.stdout.take(), "git ls-tree output")?);
    let cat_in = pipe(cat.child.stdin.take(), "git cat-file input")?;
    let mut cat_out = BufReader::new(pipe(cat.child.stdout.take(), "git cat-file output")?);
    // One thread reads the listing and asks for blobs, this one writes them: git never
    // waits for a round trip, and the queue between them is bounded.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Job>>(16);
    let lim = limits.clone();
    let lister = std::thread::spawn(move || list(listing, cat_in, &lim, &tx));
    let timed_out = |e: Error| {
        if ls.timed_out() {
            ls.timeout_error()
        } else if cat.timed_out() {
            cat.timeout_error()
        } else {
            e
        }
    };
    let mut last_parent = None;
    for job in rx.iter().flatten() {
        write_job(dest, &job, &mut cat_out, &mut last_parent).map_err(timed_out)?;
    }
    let done = lister
        .join()
        .map_err(|_| Error::Git("the git listing thread failed".into()))?
        .map_err(timed_out)?;
    ls.finish()?;
    cat.finish()?;
    Ok(done)
}

/// One file to write into the export.
enum Job {
    /// The blob `id`, asked of `git cat-file` already.
    Read { rel: PathBuf, id: Vec<u8>, size: u64 },
    /// The same blob as the earlier file `from`: copied, not asked again.
    Copy { rel: PathBuf, from: PathBuf },
    /// A blob over the size cap: never read; an empty sparse file of its size stands in.
    TooLarge { rel: PathBuf, size: u64 },
}

/// Jobs are handed over in batches (fewer thread wake-ups) of at most this many…
const BATCH: usize = 256;
/// …or as soon as the answers `cat-file` owes for the batch may exceed this many bytes.
/// A pipe holds at least one page: `cat-file` can always write what it owes for a batch
/// not yet handed over, so it never waits on a writer that waits on the batch.
const BATCH_ANSWERS: u64 = 4096;

/// Reads the `ls-tree` listing, counts against the limits, asks `cat-file` for each blob
/// to read and queues a [`Job`] per file.
fn list(
    mut listing: BufReader<ChildStdout>,
    mut cat_in: ChildStdin,
    limits: &Limits,
    jobs: &SyncSender<Vec<Job>>,
) -> Result<Exported> {
    let mut done = Exported::default();
    let mut first_of: HashMap<Vec<u8>, PathBuf> = HashMap::new();
    let mut record = Vec::new();
    let mut batch = Vec::new();
    let mut owed = 0u64;
    loop {
        if !batch.is_empty() && listing.buffer().is_empty() {
            // The next read may wait for git: hand over what is ready first.
            if jobs.send(std::mem::take(&mut batch)).is_err() {
                return Ok(done); // the writer stopped, with its own error
            }
            owed = 0;
        }
        record.clear();
        let n = (&mut listing)
            .take(MAX_RECORD)
            .read_until(0, &mut record)
            .doing(|| "git ls-tree".into())?;
        if n == 0 {
            let _ = jobs.send(batch);
            return Ok(done);
        }
        if record.last() != Some(&0) {
            if n as u64 >= MAX_RECORD {
                bail!("git ls-tree: an entry longer than {MAX_RECORD} bytes");
            }
            bail!("git ls-tree: truncated output");
        }
        record.pop();
        let Some(entry) = Entry::parse(&record) else {
            bail!("unexpected git ls-tree output");
        };
        if entry.kind != b"blob" || entry.mode == b"120000" {
            continue; // links, submodules
        }
        let rel = Path::new(OsStr::from_bytes(entry.path));
        if !plain_path(rel) {
            done.invalid_paths += 1;
            continue;
        }
        let Some(size) = entry.size else {
            return Err(Error::Git(missing(entry.id, rel)));
        };
        done.files += 1;
        if done.files > limits.max_files {
            bail!(
                "the revision has more than {} files, the most redflag exports",
                limits.max_files
            );
        }
        let rel = rel.to_path_buf();
        let job = if size > limits.max_file_size {
            done.too_large += 1;
            Job::TooLarge { rel, size }
        } else {
            done.bytes = done.bytes.saturating_add(size);
            if done.bytes > limits.max_bytes {
                bail!(
                    "the revision holds more than {} bytes of files, the most redflag exports",
                    limits.max_bytes
                );
            }
            if let Some(from) = first_of.get(entry.id) {
                Job::Copy {
                    rel,
                    from: from.clone(),
                }
            } else {
                first_of.insert(entry.id.to_vec(), rel.clone());
                cat_in
                    .write_all(entry.id)
                    .and_then(|()| cat_in.write_all(b"\n"))
                    .and_then(|()| cat_in.flush())
                    .doing(|| "git cat-file".into())?;
                Job::Read {
                    rel,
                    id: entry.id.to_vec(),
                    size,
                }
            }
        };
        if let Job::Read { size, .. } = &job {
            owed = owed.saturating_add(size.saturating_add(128));
        }
        batch.push(job);
        if batch.len() >= BATCH || owed >= BATCH_ANSWERS {
            if jobs.send(std::mem::take(&mut batch)).is_err() {
                return Ok(done); // the writer stopped, with its own error
            }
            owed = 0;
        }
    }
}

/// Writes one file of the export.
fn write_job(
    dest: &Path,
    job: &Job,
    cat_out: &mut BufReader<ChildStdout>,
    last_parent: &mut Option<PathBuf>,
) -> Result<()> {
    let rel = match job {
        Job::Read { rel, .. } | Job::Copy { rel, .. } | Job::TooLarge { rel, .. } => rel,
    };
    let out_path = dest.join(rel);
    let cannot = || format!("cannot write {}", show(rel));
    if let Some(parent) = out_path.parent() {
        if last_parent.as_deref() != Some(parent) {
            std::fs::create_dir_all(parent).doing(cannot)?;
            *last_parent = Some(parent.to_path_buf());
        }
    }
    let file = create(&out_path).doing(cannot)?;
    match job {
        Job::Read { id, size, .. } => copy_blob(cat_out, id, *size, file, rel),
        Job::Copy { from, .. } => {
            let mut src = std::fs::File::open(dest.join(from)).doing(cannot)?;
            std::io::copy(&mut src, &mut std::io::BufWriter::new(file)).doing(cannot)?;
            Ok(())
        }
        Job::TooLarge { size, .. } => {
            // A size no file system takes is left at zero: the file is still listed.
            let _ = file.set_len(*size);
            Ok(())
        }
    }
}

/// One `ls-tree -z --long` record: `MODE SP TYPE SP ID SP+ SIZE TAB PATH`.
struct Entry<'a> {
    mode: &'a [u8],
    kind: &'a [u8],
    id: &'a [u8],
    size: Option<u64>,
    path: &'a [u8],
}

impl<'a> Entry<'a> {
    fn parse(record: &'a [u8]) -> Option<Self> {
        let tab = record.iter().position(|b| *b == b'\t')?;
        let (meta, path) = (&record[..tab], &record[tab + 1..]);
        let mut parts = meta.split(|b| *b == b' ').filter(|p| !p.is_empty());
        let mode = parts.next()?;
        let kind = parts.next()?;
        let id = parts.next()?;
        let size = parts.next()?;
        // `-` for trees and submodules, `BAD` for an object git cannot read (missing).
        let size = match size {
            b"-" | b"BAD" => None,
            n => Some(std::str::from_utf8(n).ok()?.parse().ok()?),
        };
        if !refs::is_object_id(std::str::from_utf8(id).ok()?) || path.is_empty() {
            return None;
        }
        Some(Self {
            mode,
            kind,
            id,
            size,
            path,
        })
    }
}

/// A relative path of plain names, none of them `.git`: it stays inside the export.
pub fn plain_path(rel: &Path) -> bool {
    rel.components().next().is_some()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(n) if n != ".git"))
}

fn create(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Reads one `cat-file --batch` answer for `entry` and copies its content to `file`, in
/// chunks.
fn copy_blob(
    out: &mut BufReader<ChildStdout>,
    id: &[u8],
    expected: u64,
    file: std::fs::File,
    rel: &Path,
) -> Result<()> {
    let mut header = Vec::new();
    out.by_ref().take(512).read_until(b'\n', &mut header)?;
    let header = String::from_utf8_lossy(&header);
    let mut parts = header.split_whitespace();
    let (_, kind, size) = (parts.next(), parts.next(), parts.next());
    if kind == Some("missing") {
        return Err(Error::Git(missing(id, rel)));
    }
    let size: u64 = size
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Git(format!("unexpected git cat-file output `{}`", header.trim_end())))?;
    if kind != Some("blob") || size != expected {
        bail!(
            "git cat-file: object {} ({}) is not the blob git ls-tree listed",
            String::from_utf8_lossy(id),
            show(rel)
        );
    }
    let mut writer = std::io::BufWriter::new(file);
    let copied = std::io::copy(&mut out.by_ref().take(size), &mut writer)?;
    writer.flush()?;
    if copied != size {
        bail!("git cat-file: truncated output");
    }
    let mut nl = [0u8; 1];
    out.read_exact(&mut nl)?;
    Ok(())
}

/// The error for an object the repository does not hold.
fn missing(id: &[u8], rel: &Path) -> String {
    format!(
        "object {} ({}) is missing from the repository (a partial or shallow clone?); redflag \
         never fetches objects",
        String::from_utf8_lossy(id),
        show(rel)
    )
}

/// The private git directory: a config of its own, the target's checked refs, and the
/// target's object directory as an alternate.
fn write_private_git_dir(git_dir: &Path, dirs: &GitDirs, refs: &refs::Refs) -> std::io::Result<()> {
    use refs::RefValue;
    std::fs::create_dir_all(git_dir.join("objects/info"))?;
    std::fs::create_dir_all(git_dir.join("refs/heads"))?;
    std::fs::create_dir_all(git_dir.join("refs/tags"))?;
    let ids = refs
        .head
        .iter()
        .chain(refs.refs.values())
        .filter_map(|v| match v {
            RefValue::Direct(id) => Some(id.len()),
            RefValue::Symbolic(_) => None,
        });
    let sha256 = ids.clone().any(|n| n == 64);
    let config = if sha256 {
        "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha256\n"
    } else {
        "[core]\n\trepositoryformatversion = 0\n"
    };
    std::fs::write(git_dir.join("config"), config)?;
    let id_len = if sha256 { 64 } else { 40 };
    let head = match &refs.head {
        Some(RefValue::Direct(id)) if id.len() == id_len => format!("{id}\n"),
        Some(RefValue::Symbolic(name)) => format!("ref: {name}\n"),
        _ => "ref: refs/heads/redflag-no-head\n".to_string(),
    };
    std::fs::write(git_dir.join("HEAD"), head)?;
    let mut packed = String::new();
    for (name, value) in &refs.refs {
        match value {
            RefValue::Direct(id) if id.len() == id_len => {
                packed.push_str(&format!("{id} {name}\n"));
            }
            RefValue::Direct(_) => {}
            RefValue::Symbolic(to) => {
                // Names are checked (`refs/…`, no `..`, no leading dot): inside git_dir.
                let path = git_dir.join(name);
                // A name clash among hostile refs fails the write: that ref is left out.
                let _ = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&path, format!("ref: {to}\n")));
            }
        }
    }
    std::fs::write(git_dir.join("packed-refs"), packed)?;
    let mut alternates = dirs.object_dirs[0].as_os_str().as_bytes().to_vec();
    alternates.push(b'\n');
    std::fs::write(git_dir.join("objects/info/alternates"), alternates)?;
    Ok(())
}

/// git with nothing of the target's configuration and nothing of the caller's environment
/// but `PATH`.
fn git_command(git_dir: &Path, home: &Path) -> Command {
    let mut c = Command::new("git");
    c.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        c.env("PATH", path);
    }
    c.env("GIT_DIR", git_dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_ATTR_NOSYSTEM", "1")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .current_dir(git_dir)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "protocol.allow=never",
            "-c",
            "core.pager=cat",
            "--no-pager",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[derive(Default)]
struct WatchState {
    done: bool,
    timed_out: bool,
}

/// A child process in its own process group, killed (with the group) after a time limit,
/// or when dropped before [`Guarded::finish`]. Its standard error is kept (4 KiB at most).
pub struct Guarded {
    child: Child,
    what: &'static str,
    limit: Duration,
    state: Arc<(Mutex<WatchState>, Condvar)>,
    watchdog: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    finished: bool,
}

impl Guarded {
    /// Spawns `cmd` (in a process group of its own) under a watchdog of `limit`.
    pub fn spawn(mut cmd: Command, what: &'static str, limit: Duration) -> Result<Self> {
        cmd.process_group(0);
        let mut child = cmd.spawn().doing(|| format!("cannot run {what}"))?;
        let pid = i32::try_from(child.id()).unwrap_or(0);
        let state = Arc::new((Mutex::new(WatchState::default()), Condvar::new()));
        let watch = Arc::clone(&state);
        let watchdog = std::thread::spawn(move || {
            let deadline = Instant::now() + limit;
            let (lock, cvar) = &*watch;
            let Ok(mut s) = lock.lock() else { return };
            while !s.done {
                let now = Instant::now();
                if now >= deadline {
                    if pid > 0 {
                        // SAFETY: plain syscall. The child is not reaped before `done` is
                        // set under this lock, so the group id still names it.
                        unsafe { libc::kill(-pid, libc::SIGKILL) };
                    }
                    s.timed_out = true;
                    return;
                }
                match cvar.wait_timeout(s, deadline - now) {
                    Ok((guard, _)) => s = guard,
                    Err(_) => return,
                }
            }
        });
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                let mut kept = Vec::new();
                let _ = (&mut err).take(4096).read_to_end(&mut kept);
                let _ = std::io::copy(&mut err, &mut std::io::sink());
                kept
            })
        });
        Ok(Self {
            child,
            what,
            limit,
            state,
            watchdog: Some(watchdog),
            stderr,
            finished: false,
        })
    }

    fn timed_out(&self) -> bool {
        self.state.0.lock().is_ok_and(|s| s.timed_out)
    }

    fn timeout_error(&self) -> Error {
        Error::Git(format!(
            "{} did not finish within {} s and was stopped",
            self.what,
            self.limit.as_secs()
        ))
    }

    fn stop_watchdog(&mut self) {
        if let Ok(mut s) = self.state.0.lock() {
            s.done = true;
        }
        self.state.1.notify_all();
        if let Some(w) = self.watchdog.take() {
            let _ = w.join();
        }
    }

    /// Waits for the child; an error when it failed or was stopped by the watchdog.
    pub fn finish(mut self) -> Result<ExitStatus> {
        self.finished = true;
        // Wait for the child to end without reaping it (the watchdog still runs and may
        // kill a child that never ends), stop the watchdog, then reap: the watchdog never
        // signals a process id that could have been reused.
        wait_unreaped(&self.child);
        self.stop_watchdog();
        let status = self.child.wait();
        let stderr = self.stderr.take().and_then(|t| t.join().ok()).unwrap_or_default();
        if self.timed_out() {
            return Err(self.timeout_error());
        }
        let status = status.doing(|| format!("{} failed", self.what))?;
        if !status.success() {
            let msg = String::from_utf8_lossy(&stderr);
            let msg = crate::text::truncate_chars(msg.trim(), 400);
            bail!("{} failed: {}", self.what, msg.escape_debug());
        }
        Ok(status)
    }
}

/// Blocks until `child` has ended, leaving it to be reaped by `Child::wait`.
fn wait_unreaped(child: &Child) {
    let pid: libc::id_t = child.id();
    loop {
        // SAFETY: `info` is a valid out-parameter; `WNOWAIT` leaves the child unreaped.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if r == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.stop_watchdog();
        let pid = i32::try_from(self.child.id()).unwrap_or(0);
        if pid > 0 {
            // SAFETY: plain syscall; the child is not reaped yet.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_stops_a_child_that_never_ends() {
        let mut c = Command::new("sleep");
        c.arg("30").stdout(Stdio::null()).stderr(Stdio::piped());
        let start = Instant::now();
        let g = Guarded::spawn(c, "sleep", Duration::from_millis(300)).unwrap();
        let e = g.finish().unwrap_err().to_string();
        assert!(e.contains("did not finish within"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_quick_child_is_not_stopped() {
        let mut c = Command::new("true");
        c.stderr(Stdio::piped());
        let g = Guarded::spawn(c, "true", Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        assert!(g.finish().unwrap().success());
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn exported_paths_are_plain() {
        for ok in ["a", "a/b.txt", ".github/x.yml", "a/.gitignore"] {
            assert!(plain_path(Path::new(ok)), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            ".git/config",
            "a/.git/hooks/x",
            "./.",
        ] {
            assert!(!plain_path(Path::new(bad)), "{bad}");
        }
    }
}
