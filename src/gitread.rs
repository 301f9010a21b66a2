//! Reading a git revision without running anything from the repository: `git ls-tree`
//! lists the blobs and `git cat-file --batch` streams them into a directory. Unlike
//! `git checkout`, `git worktree` or `git archive`, neither touches the user's checkout or
//! index, and neither applies filters (smudge, LFS) or runs hooks; `core.hooksPath`,
//! `core.fsmonitor` and pagers are disabled anyway. Symbolic links and submodules are
//! skipped, as the walk would skip them.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(repo)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.pager=cat",
            "--no-pager",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    c
}

/// Writes the files of `target` (a directory inside a git work tree) at `reference` into
/// `dest`.
pub fn export_tree(target: &Path, reference: &str, dest: &Path) -> Result<()> {
    if reference.starts_with('-') {
        bail!("invalid revision `{reference}`");
    }
    let out = git(target)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!("not inside a git repository");
    }
    let prefix = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let spec = format!("{reference}:{prefix}");
    let out = git(target)
        .args(["ls-tree", "-r", "-z", "--full-tree"])
        .arg(&spec)
        .output()
        .context("cannot run git ls-tree")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let mut blobs: Vec<(String, String)> = Vec::new();
    for entry in out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split_whitespace();
        let (mode, kind, sha) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        if kind != "blob" || mode == "120000" {
            continue;
        }
        blobs.push((sha.to_string(), path.to_string()));
    }
    std::fs::create_dir_all(dest)?;
    let mut child = git(target)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git stdin")?;
    let shas: Vec<String> = blobs.iter().map(|(s, _)| s.clone()).collect();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for sha in shas {
            writeln!(stdin, "{sha}")?;
        }
        Ok(())
    });
    let mut reader = BufReader::new(child.stdout.take().context("git stdout")?);
    for (_, path) in &blobs {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .context("unexpected git cat-file output")?;
        let mut content = vec![0; size];
        reader.read_exact(&mut content)?;
        let mut nl = [0u8; 1];
        reader.read_exact(&mut nl)?;
        let rel = Path::new(path);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            continue; // never write outside dest
        }
        let out_path = dest.join(rel);
        if let Some(parent) = out_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(out_path, content)?;
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git writer thread failed"))??;
    let status = child.wait()?;
    if !status.success() {
        bail!("git cat-file failed");
    }
    Ok(())
}
