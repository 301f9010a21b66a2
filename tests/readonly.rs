//! Read-only and contained: a scan never writes into the target, works on a tree it may not
//! write to, never follows a link out of it, never opens a special file, and never runs
//! anything from it — no hooks, no package managers, no shell. `--new-since` runs git, and
//! only the plumbing commands that read objects, with the repository's hooks and configured
//! commands disabled.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A repository that exercises every reader: code with a planted key, evidence documents,
/// manifests with install scripts, Kubernetes RBAC, links out, a FIFO named like evidence.
fn ordinary_repo(root: &Path, outside: &Path) {
    write(root, "app/key.py", format!("KEY = \"{AI_KEY}\"\nimport openai\n"));
    write(
        root,
        "compliance/vendor-register.md",
        "# Vendors\n\n| Vendor | DPA |\n|---|---|\n| OpenAI | Pending |\n",
    );
    write(
        root,
        "docs/incident-response-plan.md",
        "# IR plan\n\n## Prompt injection\n",
    );
    write(
        root,
        "package.json",
        r#"{"name": "x", "scripts": {"preinstall": "touch /tmp/pwned", "postinstall": "sh evil.sh"}, "dependencies": {"openai": "^4"}}"#,
    );
    write(root, "setup.py", "import os; os.system('touch /tmp/pwned')\n");
    write(root, "Makefile", "all:\n\ttouch /tmp/pwned\n");
    write(
        root,
        "requirements.txt",
        "openai==1.0\n-e git+https://example.invalid/x.git#egg=x\n",
    );
    write(
        root,
        "k8s/rbac.yaml",
        "kind: ClusterRoleBinding\nmetadata:\n  name: ops\nroleRef:\n  name: cluster-admin\n",
    );
    symlink(
        root,
        "compliance/access-review-2026-q3.md",
        outside.join("access-review.md"),
    );
    symlink(root, "linked-dir", outside);
    symlink(root, "passwd.md", "/etc/passwd");
    mkfifo(root, "compliance/tabletop-2026-q2.md");
}

/// A directory outside the target with content that must never be reported or shown.
fn outside_dir(base: &Path) -> PathBuf {
    let outside = base.join("outside-canary");
    write(
        &outside,
        "access-review.md",
        "# Access review 2026-Q3\nReviewer: canary-reviewer-7f3a\n",
    );
    write(
        &outside,
        "leak.py",
        "KEY = \"sk-ant-api03-OutsideCanaryOutsideCanaryOutsideCanaryOutsideCanaryOutsideCanaryOutsideCanaryOutsideCAAA\"\n",
    );
    outside
}

fn make_world_readable(p: &Path) {
    let mut perms = std::fs::metadata(p).unwrap().permissions();
    perms.set_mode(0o755);
    std::fs::set_permissions(p, perms).unwrap();
}

/// Makes every directory and regular file under `root` read-only (links untouched).
fn make_read_only(root: &Path) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o444)).unwrap();
            }
        }
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
}

fn make_writable(root: &Path) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755));
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
}

fn has_key_finding(report: &serde_json::Value) -> bool {
    has_finding(report, "RF3-HARDCODED-AI-KEY", None)
}

#[test]
fn a_scan_never_writes_into_the_target_and_works_read_only() {
    let base = tempfile::tempdir().unwrap();
    make_world_readable(base.path());
    let outside = outside_dir(base.path());
    let root = base.path().join("repo");
    ordinary_repo(&root, &outside);
    let out = base.path().join("reports");
    std::fs::create_dir(&out).unwrap();
    make_world_readable(&out);

    let before = tree_digest(&root);
    let outside_before = tree_digest(&outside);
    for format in ["table", "json", "sarif", "junit"] {
        let file = out.join(format!("report.{format}"));
        let run = scan(
            &root,
            format,
            &["--output", &format!("json={}", file.display())],
            LIMIT,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_same_tree("scans in every format", &before, &tree_digest(&root));
    assert_same_tree("outside the target", &outside_before, &tree_digest(&outside));

    // A read-only copy: no write bit anywhere. As root, permissions do not bind, so the scan
    // runs as `nobody` there.
    make_read_only(&root);
    let before = tree_digest(&root);
    let mut c = scan_command(&root, "json", &[]);
    c.env("TMPDIR", &out);
    if is_root() {
        c.uid(65534).gid(65534);
    }
    let run = run(c, LIMIT);
    let after = tree_digest(&root);
    make_writable(&root);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(has_key_finding(&run.json()), "the read-only scan misses the key");
    assert_same_tree("a read-only scan", &before, &after);
}

#[test]
fn links_out_of_the_target_are_never_followed() {
    let base = tempfile::tempdir().unwrap();
    let outside = outside_dir(base.path());
    let root = base.path().join("repo");
    ordinary_repo(&root, &outside);
    let run = scan(&root, "json", &[], LIMIT);
    let text = run.stdout_str();
    assert!(has_key_finding(&run.json()));
    for canary in ["OutsideCanary", "canary-reviewer-7f3a", "root:x:0:0"] {
        assert!(
            !text.contains(canary),
            "content from outside the target: {canary}"
        );
    }
    let table = scan(&root, "table", &[], LIMIT).stdout_str();
    assert!(!table.contains("OutsideCanary") && !table.contains("canary-reviewer"));
    // The links are noted, never read.
    let report = run.json();
    for link in ["linked-dir", "passwd.md", "compliance/access-review-2026-q3.md"] {
        assert!(
            report["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["path"] == link && n["message"].as_str().unwrap().contains("link")),
            "no note for {link}"
        );
    }
}

/// strace, when present, shows every file the scan opens and every program it starts.
fn strace() -> Option<PathBuf> {
    ["/usr/bin/strace", "/bin/strace"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .filter(|p| {
            Command::new(p)
                .args(["-f", "-e", "trace=execve", "-o", "/dev/null", "true"])
                .status()
                .is_ok_and(|s| s.success())
        })
}

#[test]
fn nothing_outside_is_opened_no_special_file_is_opened_nothing_is_executed() {
    let Some(strace) = strace() else {
        eprintln!("note: strace is not available; system-call audit skipped");
        return;
    };
    let base = tempfile::tempdir().unwrap();
    let outside = outside_dir(base.path());
    let root = base.path().join("repo");
    ordinary_repo(&root, &outside);
    // Programs a scan must never start, first on PATH.
    let fake_bin = base.path().join("fake-bin");
    let marker = base.path().join("executed");
    for prog in [
        "git", "sh", "bash", "python", "python3", "node", "npm", "pip", "make", "cargo",
    ] {
        let p = write(
            &fake_bin,
            prog,
            format!("#!/bin/sh\necho {prog} >> {}\n", marker.display()),
        );
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = base.path().join("strace.log");
    let mut c = Command::new(strace);
    c.args(["-f", "-qq", "-e", "trace=execve,open,openat,openat2,creat,truncate,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_redflag"))
        .args(["scan", "--quiet", "--as-of", AS_OF, "--format", "json", "--fail-on", "none"])
        .arg(&root)
        .env("PATH", &fake_bin)
        .env("NO_COLOR", "1");
    let run = run(c, LIMIT);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !marker.exists(),
        "the scan ran {}",
        std::fs::read_to_string(&marker).unwrap()
    );
    let log = std::fs::read_to_string(&log).unwrap();
    let execs: Vec<&str> = log.lines().filter(|l| l.contains("execve(")).collect();
    assert_eq!(execs.len(), 1, "the scan started programs: {execs:#?}");
    let fifo = root.join("compliance/tabletop-2026-q2.md");
    let root_s = root.display().to_string();
    for line in log.lines() {
        assert!(
            !line.contains("outside-canary"),
            "opened outside the target: {line}"
        );
        assert!(!line.contains("/etc/passwd"), "followed a link: {line}");
        assert!(
            !line.contains(&fifo.display().to_string()),
            "opened a special file: {line}"
        );
        let writes = [
            "O_WRONLY",
            "O_RDWR",
            "O_CREAT",
            "O_TRUNC",
            "creat(",
            "truncate(",
            "rename",
            "unlink",
            "mkdir",
        ];
        if line.contains(&root_s) && writes.iter().any(|w| line.contains(w)) {
            panic!("wrote into the target: {line}");
        }
    }
}

/// The first `git` on the real PATH.
fn real_git() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("git"))
            .find(|p| p.is_file())
    })
}

fn git(repo: &Path, args: &[&str]) {
    let ok = Command::new(real_git().unwrap())
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
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn new_since_runs_no_hook_and_no_configured_command() {
    let Some(real) = real_git() else {
        eprintln!("note: git is not installed; skipped");
        return;
    };
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("repo");
    let marker = base.path().join("executed");
    let evil = write(
        base.path(),
        "evil.sh",
        format!("#!/bin/sh\necho \"$0 $*\" >> {}\ncat\n", marker.display()),
    );
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    write(&root, "app/main.py", "import openai\n");
    write(&root, ".gitattributes", "* filter=evil diff=evil\n");
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "one"]);
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    // Every hook, and every configuration key that makes git run a command.
    let hooks = root.join(".git/hooks");
    for hook in [
        "pre-commit",
        "post-checkout",
        "post-merge",
        "pre-push",
        "reference-transaction",
        "post-index-change",
        "fsmonitor-watchman",
        "post-rewrite",
        "pre-auto-gc",
    ] {
        std::fs::copy(&evil, hooks.join(hook)).unwrap();
        std::fs::set_permissions(hooks.join(hook), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let e = evil.display();
    let config = format!(
        "\n[core]\n\tfsmonitor = {e}\n\tpager = {e}\n\teditor = {e}\n\tsshCommand = {e}\n\tattributesFile = {ga}\n\
         [filter \"evil\"]\n\tclean = {e}\n\tsmudge = {e}\n\tprocess = {e}\n\trequired = true\n\
         [diff \"evil\"]\n\ttextconv = {e}\n\tcommand = {e}\n[diff]\n\texternal = {e}\n\
         [credential]\n\thelper = !{e}\n[gpg]\n\tprogram = {e}\n[pager]\n\tcat-file = {e}\n\tls-tree = {e}\n",
        ga = root.join(".gitattributes").display()
    );
    let cfg = root.join(".git/config");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&config);
    std::fs::write(&cfg, text).unwrap();

    // A `git` first on PATH that records its arguments and runs the real one.
    let wrap_dir = base.path().join("wrap");
    let calls = base.path().join("git-calls");
    let wrapper = write(
        &wrap_dir,
        "git",
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\nexec {} \"$@\"\n",
            calls.display(),
            real.display()
        ),
    );
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", wrap_dir.display());

    let before = tree_digest(&root);
    let mut c = redflag();
    c.args([
        "scan",
        "--quiet",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--new-since",
        "HEAD",
    ])
    .arg(&root)
    .env("PATH", &path)
    .env("HOME", base.path())
    .env("GIT_CONFIG_NOSYSTEM", "1");
    let run = run(c, LIMIT);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    assert!(
        !marker.exists(),
        "a hook or configured command ran: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
    assert_same_tree("--new-since", &before, &tree_digest(&root));
    // The new key is new since HEAD: the comparison really ran.
    let report = run.json();
    let key = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == "RF3-HARDCODED-AI-KEY")
        .expect("the key is reported");
    assert_eq!(key["baseline"], "new", "{key:#}");
    let calls = std::fs::read_to_string(&calls).unwrap();
    for call in calls.lines() {
        assert!(
            call.contains("core.hooksPath=/dev/null"),
            "git without hooks disabled: {call}"
        );
        let sub = ["rev-parse", "ls-tree", "cat-file"];
        assert!(
            sub.iter().any(|s| call.contains(s)),
            "unexpected git command: {call}"
        );
        assert!(
            !call.contains("--filters") && !call.contains("--textconv"),
            "{call}"
        );
    }
}

/// `redflag baseline` writes `.redflag/baseline.json` into the target because it is asked
/// to, but never through a link: a linked `.redflag/` or a dangling `baseline.json` link
/// (which would create a file wherever it points, as root: anywhere) is refused, and nothing
/// appears outside the target.
#[test]
fn baseline_never_writes_through_a_link() {
    let base = tempfile::tempdir().unwrap();
    let outside = outside_dir(base.path());
    let outside_before = tree_digest(&outside);
    for (what, linked_dir) in [
        ("a linked .redflag directory", true),
        ("a dangling baseline.json link", false),
    ] {
        let root = base.path().join(what.replace(' ', "-"));
        write(&root, "app/config.py", format!("KEY = \"{AI_KEY}\"\n"));
        if linked_dir {
            symlink(&root, ".redflag", &outside);
        } else {
            symlink(&root, ".redflag/baseline.json", outside.join("created.json"));
        }
        let mut c = redflag();
        c.args(["baseline", "--quiet", "--as-of", AS_OF]).arg(&root);
        let r = run(c, LIMIT);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{what}: {}", r.stderr);
        assert_same_tree(what, &outside_before, &tree_digest(&outside));
        assert!(!outside.join("created.json").exists(), "{what}");
    }
    // An ordinary target gets its baseline.
    let root = base.path().join("ordinary");
    write(&root, "app/config.py", format!("KEY = \"{AI_KEY}\"\n"));
    let mut c = redflag();
    c.args(["baseline", "--quiet", "--as-of", AS_OF]).arg(&root);
    let r = run(c, LIMIT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(root.join(".redflag/baseline.json").is_file());
}
