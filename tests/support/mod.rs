//! Helpers shared by the hardening suites (`hostile`, `readonly`, `redaction`, `props`):
//! writing trees byte-exactly, running the binary under a time limit while measuring its
//! peak memory, and hashing a tree without following anything out of it.

#![allow(dead_code)]

pub mod report_schema;

use std::ffi::OsStr;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The assessment date every suite uses, so reports are reproducible.
pub const AS_OF: &str = "2026-12-01";

/// A planted real gap: a hard-coded Anthropic key (RF3-HARDCODED-AI-KEY, critical).
pub const AI_KEY: &str = "sk-ant-api03-Hq3vT8nLw2Zr5Kc9Bx4Mf7Pj1Ys6Ud0Ge3Ai8Ro2Wn5Qk9Lt4Vb7Xe1Zh6Cm3Jp0Fs5Dy8Nu2Tg4-Kw7Rq1Ev9Lx3BAAA";

/// The random part of [`AI_KEY`]: it must never appear in any output.
pub const AI_KEY_SECRET: &str = "Hq3vT8nLw2Zr5Kc9Bx4M";

/// Writes `bytes` at `root/rel` (raw bytes: names may hold newlines or invalid UTF-8).
pub fn write(root: &Path, rel: impl AsRef<[u8]>, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(OsStr::from_bytes(rel.as_ref()));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Creates `root/rel` as a sparse file of `len` bytes (costs no disk and no time).
pub fn sparse(root: &Path, rel: &str, len: u64) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(len).unwrap();
    p
}

pub fn symlink(root: &Path, rel: &str, to: impl AsRef<Path>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(to, p).unwrap();
}

pub fn mkfifo(root: &Path, rel: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", p.display());
    p
}

/// A character device like /dev/zero under `rel`; false when not permitted (not root, or a
/// container without CAP_MKNOD).
pub fn mknod_zero(root: &Path, rel: &str) -> bool {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; makedev(1, 5) is /dev/zero.
    unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 5)) == 0 }
}

/// A Unix socket file under `rel` (the listener is dropped; the file stays).
pub fn socket(root: &Path, rel: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    drop(std::os::unix::net::UnixListener::bind(&p).unwrap());
}

pub fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Caps the child's address space, so a runaway allocation fails instead of taking the
/// machine down.
pub fn limit_memory(cmd: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
    /// Peak resident set size of the child, in KiB.
    pub max_rss_kib: u64,
}

impl Run {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard output as JSON; a JSON report is checked against the report schema.
    pub fn json(&self) -> serde_json::Value {
        let v = serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", self.stderr));
        report_schema::check_if_report(&v);
        v
    }
}

pub fn redflag() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_redflag"));
    c.env("NO_COLOR", "1").env_remove("RUST_BACKTRACE");
    c
}

/// Runs `cmd` to completion, killing it (and failing the test) after `limit`. Measures wall
/// time and the child's peak RSS (`wait4`, which also reaps the child).
#[allow(clippy::zombie_processes)]
pub fn run(mut cmd: Command, limit: Duration) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn redflag");
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    // The child's own peak, read from /proc while it runs: `ru_maxrss` also counts the
    // memory of this test process when the child is forked from it (the child's copy of
    // the parent before `exec`), so a test process grown by earlier tests inflates it.
    let mut hwm_kib = 0u64;
    let (status, rusage) = loop {
        hwm_kib = hwm_kib.max(child_hwm_kib(pid).unwrap_or(0));
        let mut status = 0;
        // SAFETY: rusage is plain old data, written by the kernel.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waiting on our own child's pid.
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if rc == pid {
            break (status, ru);
        }
        assert!(rc == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if start.elapsed() > limit {
            let _ = child.kill();
            // SAFETY: reap the child we just killed.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
            panic!("redflag did not finish within {limit:?} (killed); stderr: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_t.join().unwrap();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        panic!(
            "redflag died of signal {} after {elapsed:?}; stderr: {stderr}",
            libc::WTERMSIG(status)
        )
    };
    assert!(
        !stderr.contains("panicked"),
        "redflag panicked (exit {code}): {stderr}"
    );
    Run {
        code,
        stdout,
        stderr,
        elapsed,
        max_rss_kib: if hwm_kib > 0 {
            hwm_kib
        } else {
            u64::try_from(rusage.ru_maxrss).unwrap_or(0)
        },
    }
}

/// The peak resident memory (`VmHWM`) of process `pid` once it runs redflag (before its
/// `exec` it is a copy of this test process, whose memory is not redflag's).
fn child_hwm_kib(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let name = status.lines().find_map(|l| l.strip_prefix("Name:"))?.trim();
    if name != "redflag" {
        return None;
    }
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    hwm.trim().trim_end_matches("kB").trim().parse().ok()
}

/// The command `redflag scan --format FORMAT --as-of AS_OF -q --fail-on none <extra>
/// <target>`, for a test to adjust (another user, environment) before running it.
pub fn scan_command(target: &Path, format: &str, extra: &[&str]) -> Command {
    let mut c = redflag();
    c.args([
        "scan",
        "--quiet",
        "--as-of",
        AS_OF,
        "--format",
        format,
        "--fail-on",
        "none",
    ])
    .args(extra)
    .arg(target);
    c
}

/// [`scan_command`] run under a time limit.
pub fn scan(target: &Path, format: &str, extra: &[&str], limit: Duration) -> Run {
    run(scan_command(target, format, extra), limit)
}

/// A digest of everything under `root` as the scan could see it: every entry's relative
/// path, type, mode, size, mtime and, for regular files, content; symbolic links by their
/// target text (never followed); special files by type only (never opened).
pub fn tree_digest(root: &Path) -> Vec<(Vec<u8>, String)> {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::MetadataExt as _;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd.flatten().collect(),
            Err(e) => {
                out.push((
                    dir.as_os_str().as_bytes().to_vec(),
                    format!("unreadable dir: {e}"),
                ));
                continue;
            }
        };
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().as_os_str().as_bytes().to_vec();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let ft = m.file_type();
            let mut desc = format!(
                "mode={:o} size={} mtime={}.{} ",
                m.mode(),
                m.len(),
                m.mtime(),
                m.mtime_nsec()
            );
            if ft.is_symlink() {
                desc += &format!("link->{}", std::fs::read_link(&p).unwrap().display());
            } else if ft.is_dir() {
                desc += "dir";
                stack.push(p);
            } else if ft.is_file() && m.len() > 64 << 20 {
                desc += "large file (metadata only)";
            } else if ft.is_file() {
                let digest = match std::fs::read(&p) {
                    Ok(bytes) => Sha256::digest(&bytes)
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect(),
                    Err(e) => format!("unreadable: {e}"),
                };
                desc += &digest;
            } else {
                desc += "special";
            }
            out.push((rel, desc));
        }
    }
    out.sort();
    out
}

/// Fails with the entries that differ between two [`tree_digest`]s.
pub fn assert_same_tree(what: &str, before: &[(Vec<u8>, String)], after: &[(Vec<u8>, String)]) {
    if before == after {
        return;
    }
    let show = |v: &[(Vec<u8>, String)]| -> Vec<String> {
        v.iter()
            .map(|(p, d)| format!("{} {d}", String::from_utf8_lossy(p)))
            .collect()
    };
    let (b, a) = (show(before), show(after));
    let gone: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
    let new: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
    panic!("{what}: the tree changed\nbefore: {gone:#?}\nafter: {new:#?}");
}

/// Every string value in a JSON document, concatenated (for "does X appear anywhere").
pub fn json_strings(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                out.push_str(k);
                out.push('\n');
                json_strings(x, out);
            }
        }
        _ => {}
    }
}

/// True when the JSON report has a finding of `control`, with evidence at `path` if given.
pub fn has_finding(report: &serde_json::Value, control: &str, path: Option<&str>) -> bool {
    report["findings"].as_array().into_iter().flatten().any(|f| {
        f["control_id"] == control
            && path.is_none_or(|p| {
                f["evidence"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| e["path"] == p)
            })
    })
}
