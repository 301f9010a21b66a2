//! A hostile target must not run code, hang, escape or inflate redflag through git
//! (SECURITY.md, "Run anything from a target"). Each test builds its repository with `git`
//! at test time: a partial clone whose missing blob would be fetched by a configured
//! command, configs included from outside, a `.git` file, `commondir` and alternates
//! pointing at another repository, FIFOs where git and redflag read files, a blob over the
//! size cap and a tree bomb.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs the real git, with no user or system configuration and hooks off.
fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn has_git() -> bool {
    let ok = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: git is not installed; skipped");
    }
    ok
}

/// A repository at `root` with one commit (`app/main.py`, `notes.md`), then a planted key
/// that is new since that commit.
fn repo(root: &Path) -> String {
    write(root, "app/main.py", "import openai\n");
    write(root, "notes.md", "# Notes\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "one"]);
    write(root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    git(root, &["rev-parse", "HEAD"])
}

/// A script that records that it ran, in `base/executed`.
fn evil_script(base: &Path) -> (PathBuf, PathBuf) {
    let marker = base.join("executed");
    let evil = write(
        base,
        "evil.sh",
        format!("#!/bin/sh\necho \"$0 $*\" >> {}\nexit 1\n", marker.display()),
    );
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    (evil, marker)
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap_or_default();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

/// Deletes the loose object of `rel` at HEAD.
fn delete_blob(root: &Path, rel: &str) -> String {
    let id = git(root, &["rev-parse", &format!("HEAD:{rel}")]);
    std::fs::remove_file(root.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    id
}

fn new_since(root: &Path, reference: &str) -> Run {
    scan(root, "json", &["--new-since", reference], LIMIT)
}

fn assert_not_run(marker: &Path) {
    assert!(
        !marker.exists(),
        "a command of the target ran: {}",
        std::fs::read_to_string(marker).unwrap_or_default()
    );
}

/// The key planted after the commit is reported as new: the comparison really ran.
fn assert_key_is_new(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let key = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == "RF3-HARDCODED-AI-KEY")
        .expect("the key is reported");
    assert_eq!(key["baseline"], "new", "{key:#}");
}

const PARTIAL_CLONE: &str = "[core]\n\trepositoryformatversion = 1\n\tsshCommand = EVIL\n\
     [extensions]\n\tpartialClone = origin\n\
     [remote \"origin\"]\n\turl = ssh://example.invalid/x\n\tpromisor = true\n\tuploadpack = EVIL\n\
     \tpartialclonefilter = blob:none\n\
     [remote \"local\"]\n\turl = LOCAL\n\tpromisor = true\n\tuploadpack = EVIL\n";

#[test]
fn a_partial_clone_never_fetches_a_missing_blob() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let (evil, marker) = evil_script(base.path());
    let root = base.path().join("repo");
    repo(&root);
    let cfg = root.join(".git/config");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("repositoryformatversion = 0", "repositoryformatversion = 1");
    std::fs::write(&cfg, text).unwrap();
    append(
        &cfg,
        &PARTIAL_CLONE
            .replace("EVIL", &evil.display().to_string())
            .replace("LOCAL", &base.path().join("elsewhere").display().to_string()),
    );
    let id = delete_blob(&root, "notes.md");
    let run = new_since(&root, "HEAD");
    assert_not_run(&marker);
    // Documented choice: an object missing at the revision is an error naming it, never a
    // fetch and never a silently partial baseline.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("missing from the repository") && run.stderr.contains(&id),
        "{}",
        run.stderr
    );
}

#[test]
fn configs_included_from_outside_are_never_read() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let (evil, marker) = evil_script(base.path());
    let root = base.path().join("repo");
    repo(&root);
    // Looked up now: the test's own git would read the FIFO below too.
    let notes = git(&root, &["rev-parse", "HEAD:notes.md"]);
    let e = evil.display().to_string();
    let outside = write(
        base.path(),
        "outside.gitconfig",
        format!(
            "[core]\n\tsshCommand = {e}\n\tfsmonitor = {e}\n\thooksPath = {h}\n\
             [remote \"origin\"]\n\turl = ssh://example.invalid/x\n\tpromisor = true\n\tuploadpack = {e}\n\
             [extensions]\n\tpartialClone = origin\n[pager]\n\tls-tree = {e}\n\tcat-file = {e}\n",
            h = base.path().display()
        ),
    );
    // A FIFO included too: reading it would never end.
    let fifo = mkfifo(base.path(), "fifo.gitconfig");
    append(
        &root.join(".git/config"),
        &format!(
            "[include]\n\tpath = {o}\n[includeIf \"gitdir:**\"]\n\tpath = {o}\n\
             [includeIf \"onbranch:**\"]\n\tpath = {f}\n",
            o = outside.display(),
            f = fifo.display()
        ),
    );
    let run = new_since(&root, "HEAD");
    assert_not_run(&marker);
    assert_key_is_new(&run);

    // With a blob missing, a lazy fetch would run the included command.
    std::fs::remove_file(root.join(".git/objects").join(&notes[..2]).join(&notes[2..])).unwrap();
    let run = new_since(&root, "HEAD");
    assert_not_run(&marker);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let html = scan(&root, "html", &[], LIMIT);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert_not_run(&marker);
}

/// `other` is another client's repository with a canary; `client` points into it.
fn other_client(base: &Path) -> (PathBuf, String) {
    let other = base.join("other");
    write(&other, "secret.md", "# OtherClientCanary\n");
    write(
        &other,
        "app/leak.py",
        "KEY = \"sk-ant-api03-OtherCanaryOtherCanaryOtherCanaryOtherCanaryOtherCanaryOtherCanaryOtherCanaryOthAAA\"\n",
    );
    git(&other, &["init", "-q"]);
    git(&other, &["add", "-A"]);
    git(&other, &["commit", "-q", "-m", "other"]);
    let id = git(&other, &["rev-parse", "HEAD"]);
    (other, id)
}

fn assert_nothing_from_other(run: &Run, other_commit: &str) {
    let out = run.stdout_str();
    for canary in ["OtherClientCanary", "OtherCanary", other_commit] {
        assert!(
            !out.contains(canary),
            "the report shows {canary} from another repository"
        );
    }
}

#[test]
fn a_git_file_pointing_at_another_repository_is_refused() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let (_, other_commit) = other_client(base.path());
    let client = base.path().join("client");
    write(&client, "app/main.py", "import openai\n");
    write(&client, ".git", "gitdir: ../other/.git\n");
    let run = new_since(&client, "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("outside the repository"), "{}", run.stderr);
    assert_nothing_from_other(&run, &other_commit);
    for format in ["html", "markdown"] {
        let run = scan(&client, format, &[], LIMIT);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_nothing_from_other(&run, &other_commit);
    }
    // An absolute path, and a link named `.git`, are refused the same way.
    std::fs::remove_file(client.join(".git")).unwrap();
    write(
        &client,
        ".git",
        format!("gitdir: {}\n", base.path().join("other/.git").display()),
    );
    let run = new_since(&client, "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_nothing_from_other(&run, &other_commit);
    std::fs::remove_file(client.join(".git")).unwrap();
    symlink(&client, ".git", base.path().join("other/.git"));
    let run = new_since(&client, "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_nothing_from_other(&run, &other_commit);
    let run = scan(&client, "html", &[], LIMIT);
    assert_nothing_from_other(&run, &other_commit);
}

#[test]
fn alternates_and_commondir_pointing_outside_are_refused() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let (other, other_commit) = other_client(base.path());
    let root = base.path().join("repo");
    repo(&root);
    let alternates = root.join(".git/objects/info/alternates");
    let other_objects = other.join(".git/objects");
    for line in [
        other_objects.display().to_string(),
        "../../../other/.git/objects".to_string(),
    ] {
        std::fs::write(&alternates, format!("{line}\n")).unwrap();
        let run = new_since(&root, "HEAD");
        assert_eq!(run.code, 2, "{line}: {}", run.stderr);
        assert!(run.stderr.contains("outside the repository"), "{}", run.stderr);
    }
    // An alternate inside the repository is followed.
    let inside = root.join("vendored-objects");
    std::fs::create_dir_all(&inside).unwrap();
    std::fs::write(&alternates, "../../vendored-objects\n").unwrap();
    assert_key_is_new(&new_since(&root, "HEAD"));
    std::fs::remove_file(&alternates).unwrap();

    // `commondir` naming another repository: refused, and its commit never shown.
    std::fs::write(root.join(".git/commondir"), "../../other/.git\n").unwrap();
    let run = new_since(&root, "HEAD");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("outside the repository"), "{}", run.stderr);
    let html = scan(&root, "html", &[], LIMIT);
    assert_nothing_from_other(&html, &other_commit);
}

/// What is planted, how, and the exit code of `--new-since`.
type Case<'a> = (&'a str, &'a dyn Fn(&Path), i32);

#[test]
fn special_files_in_the_git_directory_never_hang() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let cases: &[Case] = &[
        ("HEAD", &|r| drop(mkfifo_over(r, ".git/HEAD")), 2),
        ("packed-refs", &|r| drop(mkfifo_over(r, ".git/packed-refs")), 2),
        // The target's config is never read: the comparison runs.
        ("config", &|r| drop(mkfifo_over(r, ".git/config")), 0),
        (
            "a loose object",
            &|r| {
                let id = git(r, &["rev-parse", "HEAD:notes.md"]);
                mkfifo_over(r, &format!(".git/objects/{}/{}", &id[..2], &id[2..]));
            },
            2,
        ),
        ("a ref", &|r| drop(mkfifo(r, ".git/refs/heads/fifo")), 2),
        ("a pack", &|r| drop(mkfifo(r, ".git/objects/pack/pack-0.pack")), 2),
        ("a socket", &|r| socket(r, ".git/objects/info/sock"), 2),
        (
            "the alternates file",
            &|r| drop(mkfifo(r, ".git/objects/info/alternates")),
            2,
        ),
        (
            "a `.git` file",
            &|r| {
                std::fs::rename(r.join(".git"), r.join("real-git")).unwrap();
                mkfifo(r, ".git");
            },
            2,
        ),
    ];
    for (i, (what, make, code)) in cases.iter().enumerate() {
        let root = base.path().join(format!("repo{i}"));
        let commit = repo(&root);
        make(&root);
        let start = Instant::now();
        let run = new_since(&root, "HEAD");
        assert_eq!(run.code, *code, "{what}: {}", run.stderr);
        if *code == 2 {
            assert!(run.stderr.contains("--new-since HEAD"), "{what}: {}", run.stderr);
        } else {
            assert_key_is_new(&run);
        }
        let html = scan(&root, "html", &[], LIMIT);
        assert_eq!(html.code, 0, "{what}: {}", html.stderr);
        if *what == "config" {
            assert!(html.stdout_str().contains(&commit), "{what}: no commit id");
        }
        assert!(start.elapsed() < LIMIT, "{what}: {:?}", start.elapsed());
    }
}

fn mkfifo_over(root: &Path, rel: &str) -> PathBuf {
    let _ = std::fs::remove_file(root.join(rel));
    mkfifo(root, rel)
}

#[test]
fn a_blob_over_max_file_size_is_never_read() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("repo");
    sparse(&root, "data/big.txt", 128 << 20);
    repo(&root);
    let dest = base.path().join("export");
    let limits = redflag::gitread::Limits::with_max_file_size(1 << 20);
    let done = redflag::gitread::export_tree(&root, "HEAD", &dest, &limits).unwrap();
    assert_eq!(done.too_large, 1, "{done:?}");
    assert_eq!(done.files, 3, "{done:?}");
    assert!(done.bytes < 100, "{done:?}");
    // Its stand-in has its size and no content.
    let meta = std::fs::metadata(dest.join("data/big.txt")).unwrap();
    assert_eq!(meta.len(), 128 << 20);
    assert!(
        std::os::unix::fs::MetadataExt::blocks(&meta) < 64,
        "the big blob was written"
    );
    assert_eq!(std::fs::read(dest.join("notes.md")).unwrap(), b"# Notes\n");

    // The whole run: memory stays far below the blob's size.
    let mut c = scan_command(
        &root,
        "json",
        &["--new-since", "HEAD", "--max-file-size", "1000000"],
    );
    limit_memory(&mut c, 1 << 30);
    let run = run(c, LIMIT);
    assert_key_is_new(&run);
    assert!(run.max_rss_kib < 96 << 10, "peak RSS {} KiB", run.max_rss_kib);
}

/// A tree naming 10^`levels` paths, all the same blob, from a few kilobytes of objects.
fn tree_bomb(root: &Path, levels: u32) -> String {
    std::fs::create_dir_all(root).unwrap();
    git(root, &["init", "-q"]);
    let mktree = |entries: String| {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(root)
            .arg("mktree")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), entries.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let blob_file = write(root, "blob.txt", "import openai\n");
    let blob = git(root, &["hash-object", "-w", &blob_file.display().to_string()]);
    let mut tree = mktree(
        (0..10)
            .map(|i| format!("100644 blob {blob}\tf{i}.py\n"))
            .collect(),
    );
    for _ in 1..levels {
        tree = mktree((0..10).map(|i| format!("040000 tree {tree}\td{i}\n")).collect());
    }
    let commit = git(root, &["commit-tree", &tree, "-m", "bomb"]);
    git(root, &["update-ref", "refs/heads/bomb", &commit]);
    commit
}

#[test]
fn a_tree_bomb_stops_at_the_file_cap() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("repo");
    tree_bomb(&root, 9); // a billion paths
    let dest = base.path().join("export");
    let limits = redflag::gitread::Limits {
        max_files: 2_000,
        ..redflag::gitread::Limits::with_max_file_size(1 << 20)
    };
    let start = Instant::now();
    let e = redflag::gitread::export_tree(&root, "bomb", &dest, &limits).unwrap_err();
    assert!(e.to_string().contains("more than 2000 files"), "{e:#}");
    assert!(start.elapsed() < LIMIT, "{:?}", start.elapsed());
    let limits = redflag::gitread::Limits {
        max_bytes: 10_000,
        ..redflag::gitread::Limits::with_max_file_size(1 << 20)
    };
    let e = redflag::gitread::export_tree(&root, "bomb", &dest, &limits).unwrap_err();
    assert!(e.to_string().contains("more than 10000 bytes"), "{e:#}");
    // The binary uses the same export with `MAX_EXPORT_FILES` and `MAX_EXPORT_BYTES`
    // (200,000 files take minutes to write on a loaded machine, so not run here).
    assert_eq!(
        redflag::gitread::Limits::with_max_file_size(1).max_files,
        redflag::gitread::MAX_EXPORT_FILES
    );
}

#[test]
fn html_reports_name_the_commit_without_running_git() {
    if !has_git() {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("repo");
    let commit = repo(&root);
    // A `git` first on PATH that records that it ran.
    let (evil, marker) = evil_script(base.path());
    let bin = base.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::copy(&evil, bin.join("git")).unwrap();
    for format in ["html", "markdown"] {
        let mut c = scan_command(&root, format, &[]);
        c.env("PATH", &bin);
        let run = run(c, LIMIT);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout_str().contains(&commit), "{format}: no commit id");
    }
    assert_not_run(&marker);
    // From `packed-refs`, and a detached HEAD.
    git(&root, &["pack-refs", "--all"]);
    assert_eq!(
        redflag::report::consultant::head_commit(&root).as_deref(),
        Some(commit.as_str())
    );
    assert_eq!(
        redflag::report::consultant::head_commit(&root.join("app")).as_deref(),
        Some(commit.as_str())
    );
    git(&root, &["checkout", "-q", "--detach"]);
    assert_eq!(
        redflag::report::consultant::head_commit(&root).as_deref(),
        Some(commit.as_str())
    );
}
