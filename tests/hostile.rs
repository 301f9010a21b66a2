//! Hostile client repositories. Every trap is generated here at test time (nothing large
//! is committed): parser bombs, huge and sparse files, binary and invalid text, hostile
//! names, links out of the target and loops, special files named like evidence, deep trees,
//! hostile ignore files, and files changing under the scan. For each, the scan must finish
//! in seconds, keep its peak memory bounded, say in the report what it skipped and why, and
//! still report the real gap planted beside the traps.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

/// Hard limit for one scan of the hostile tree in a debug build (the test fails, the child
/// is killed): the scan should take a few seconds.
const LIMIT: Duration = Duration::from_secs(90);
/// Peak memory allowed for the whole hostile scan (debug build, 2 walker threads).
const MAX_RSS_MIB: u64 = 400;

/// The two scans of large hostile trees run one at a time: their time limits bound one
/// scan, and on a two-core machine two of them side by side (with the rest of the suite)
/// measure the machine's load instead.
static LARGE_TREE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_large_tree_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    LARGE_TREE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One planted trap: its path in the target, and a fragment the report's note for that path
/// must contain (`None`: no note required, the file is handled like any other).
struct Trap {
    path: String,
    note: Option<&'static str>,
}

fn trap(traps: &mut Vec<Trap>, path: &str, note: Option<&'static str>) {
    traps.push(Trap {
        path: path.to_string(),
        note,
    });
}

/// Text that makes the Kubernetes RBAC query parse a YAML or JSON file.
/// Makes a bomb a document the RBAC queries must parse (the walk parses only documents
/// whose top-level `kind` a query asks for).
const K8S_HEADER: &str = "kind: ClusterRoleBinding\nroleRef: {name: cluster-admin}\n";

fn alias_bomb() -> String {
    let mut s = String::from(K8S_HEADER);
    s.push_str("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s
}

/// One line of `n` bytes of minified JavaScript, with AI-vendor literals all along it.
fn minified(n: usize) -> Vec<u8> {
    let unit = b"var a=fetch(\"https://api.openai.com/v1/x\"),b=require(\"anthropic\"),c=\"sk-\";";
    let mut v = Vec::with_capacity(n + unit.len());
    while v.len() < n {
        v.extend_from_slice(unit);
    }
    v.truncate(n);
    v
}

/// Creates the hostile tree under `root` and returns the traps to check.
fn build(root: &Path) -> Vec<Trap> {
    let mut t = Vec::new();
    // The real gap every scan must still report.
    write(root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));

    // YAML: alias bomb, 100k-deep flow nesting, deep block nesting, duplicate keys,
    // thousands of empty documents (within the budget) and too many of them.
    write(root, "k8s/alias-bomb.yaml", alias_bomb());
    trap(&mut t, "k8s/alias-bomb.yaml", Some("YAML parse error"));
    write(
        root,
        "compliance/vendors/bomb.yaml",
        format!("vendors:\n  - name: OpenAI\n{}", alias_bomb()),
    );
    trap(&mut t, "compliance/vendors/bomb.yaml", Some("YAML parse error"));
    write(
        root,
        "k8s/deep-flow.yaml",
        format!("{K8S_HEADER}{}", "[".repeat(100_000)),
    );
    trap(&mut t, "k8s/deep-flow.yaml", Some("YAML parse error"));
    write(
        root,
        "compliance/vendors/deep-flow.yaml",
        format!("{}{}", "{a: ".repeat(100_000), "}".repeat(100_000)),
    );
    trap(
        &mut t,
        "compliance/vendors/deep-flow.yaml",
        Some("YAML parse error"),
    );
    let mut deep_block = String::from(K8S_HEADER);
    for i in 0..1000 {
        deep_block.push_str(&" ".repeat(i));
        deep_block.push_str("k:\n");
    }
    write(root, "k8s/deep-block.yaml", deep_block);
    trap(&mut t, "k8s/deep-block.yaml", Some("YAML parse error"));
    write(
        root,
        "k8s/dup-keys.yaml",
        "kind: ClusterRoleBinding\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\nroleRef:\n  name: view\n  name: cluster-admin\n",
    );
    trap(&mut t, "k8s/dup-keys.yaml", None);
    write(
        root,
        "k8s/empty-docs.yaml",
        format!("{K8S_HEADER}{}", "---\n".repeat(5_000)),
    );
    trap(&mut t, "k8s/empty-docs.yaml", None);
    write(
        root,
        "compliance/vendors/empty-docs.yaml",
        "---\n...\n".repeat(60_000),
    );
    trap(
        &mut t,
        "compliance/vendors/empty-docs.yaml",
        Some("YAML parse error"),
    );

    // JSON, TOML and HCL nesting.
    write(
        root,
        "k8s/deep.json",
        format!(
            "{{\"kind\": \"ClusterRoleBinding\", \"roleRef\": {{\"name\": \"cluster-admin\"}}, \"x\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    trap(&mut t, "k8s/deep.json", Some("JSON parse error"));
    write(
        root,
        "compliance/vendors/deep.json",
        format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)),
    );
    trap(&mut t, "compliance/vendors/deep.json", Some("JSON parse error"));
    write(
        root,
        "py/pyproject.toml",
        format!(
            "[project]\ndependencies = {}\"openai\"{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    );
    trap(&mut t, "py/pyproject.toml", Some("TOML parse error"));
    write(
        root,
        "rs/Cargo.toml",
        format!(
            "[dependencies]\na = {}1{}\n",
            "{b = ".repeat(100_000),
            "}".repeat(100_000)
        ),
    );
    trap(&mut t, "rs/Cargo.toml", Some("TOML parse error"));
    write(
        root,
        "pipenv/Pipfile",
        format!("[packages]\na.{} = 1\n", vec!["b"; 100_000].join(".")),
    );
    trap(&mut t, "pipenv/Pipfile", Some("TOML parse error"));
    write(
        root,
        "infra/deep.tf",
        format!(
            "resource \"aws_iam_policy\" \"p\" {{\n  policy = {}1{}\n}}\n{}{}",
            "[".repeat(100_000),
            "]".repeat(100_000),
            "a {\n".repeat(20_000),
            "}\n".repeat(20_000)
        ),
    );
    trap(&mut t, "infra/deep.tf", None);
    // Terraform 0.11: interpolation-only expressions, quoted types, list/map functions.
    write(
        root,
        "infra/legacy.tf",
        "variable \"zones\" { type = \"list\" default = [\"a\"] }\n\
         resource \"aws_instance\" \"web\" {\n  count = \"${length(var.zones)}\"\n  \
         availability_zone = \"${element(var.zones, count.index)}\"\n  \
         tags = \"${map(\"Name\", \"web-${count.index}\")}\"\n}\n\
         output \"ips\" { value = [\"${aws_instance.web.*.public_ip}\"] }\n",
    );
    trap(&mut t, "infra/legacy.tf", None);

    // Large files: several hundred MB (sparse), a tens-of-MB one-line minified file, a
    // multi-GB model, a multi-GB file with a text extension, and a 4.9 MB one-line file that
    // is under the cap and so really read and matched.
    sparse(root, "data/dump.sql", 400 << 20);
    trap(&mut t, "data/dump.sql", Some("over the"));
    sparse(root, "compliance/vendors/export-2026.csv", 300 << 20);
    trap(&mut t, "compliance/vendors/export-2026.csv", Some("over the"));
    write(root, "web/app.min.js", minified(24 << 20));
    trap(&mut t, "web/app.min.js", Some("over the"));
    write(root, "web/bundle.js", minified(4_900_000));
    trap(&mut t, "web/bundle.js", None);
    sparse(root, "models/llama-70b.safetensors", 6 << 30);
    trap(&mut t, "models/llama-70b.safetensors", None);
    sparse(root, "models/weights.json", 3 << 30);
    trap(&mut t, "models/weights.json", Some("over the"));

    // Binary content under text names.
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(64 << 10).collect();
    binary.extend_from_slice(b"\n# Incident response plan\n## Prompt injection\n");
    write(root, "compliance/incident-response/plan.md", &binary);
    trap(&mut t, "compliance/incident-response/plan.md", Some("binary"));
    write(root, "app/blob.py", &binary);
    trap(&mut t, "app/blob.py", None);

    // Invalid UTF-8 in contents and in names; names with newlines and terminal escapes.
    write(
        root,
        "compliance/vendors/latin1.md",
        b"| Vendor | DPA |\n|---|---|\n| Caf\xe9 \xff\xfe AI | sign\xe9 |\n| OpenAI | \xc3\x28 |\n",
    );
    trap(&mut t, "compliance/vendors/latin1.md", None);
    write(
        root,
        "app/invalid.py",
        b"import openai\nx = '\xff\xfe\xfd'\n\xc0\xaf\n",
    );
    trap(&mut t, "app/invalid.py", None);
    write(root, b"docs/\xff\xfe-incident-plan.md", "# Plan\n");
    write(
        root,
        "docs/evil\nGAP    RF0-FORGED \u{b7} critical.md",
        "# Runbook\n",
    );
    write(root, "docs/\u{1b}[2J\u{1b}]0;owned\u{7}title.md", "# Runbook\n");

    // CRLF and BOM.
    write(
        root,
        "compliance/tabletop/2026-q1.md",
        "\u{feff}# Tabletop 2026-Q1\r\n\r\nDate: 2026-02-10\r\nFacilitator: A\r\n",
    );
    trap(&mut t, "compliance/tabletop/2026-q1.md", None);
    write(
        root,
        "k8s/crlf.yaml",
        "\u{feff}kind: ClusterRoleBinding\r\nmetadata:\r\n  name: crlf\r\nroleRef:\r\n  name: view\r\n",
    );
    trap(&mut t, "k8s/crlf.yaml", None);

    // A Markdown register with 300,000 rows (just under the 5 MiB cap).
    let mut reg = String::from("# Vendor register\n\n| Vendor | DPA |\n|---|---|\n");
    for i in 0..300_000 {
        reg.push_str(&format!("| V{i:06} | no |\n"));
    }
    assert!(reg.len() < 5 << 20);
    write(root, "compliance/vendor-register.md", reg);
    trap(&mut t, "compliance/vendor-register.md", None);

    // Unterminated CSV quote, then many rows.
    let mut csv = String::from("Vendor,DPA,Notes\n\"OpenAI,yes,\"unterminated\n");
    for i in 0..50_000 {
        csv.push_str(&format!("V{i},no,\"x\"\"y\n"));
    }
    write(root, "compliance/vendors/subprocessors.csv", csv);
    trap(&mut t, "compliance/vendors/subprocessors.csv", None);

    // Links: loops, out of the target, dangling.
    symlink(root, "loop/self", ".");
    symlink(root, "loop/a", "b");
    symlink(root, "loop/b", "a");
    symlink(root, "loop/up", "../..");
    trap(&mut t, "loop/self", Some("symbolic link not followed"));
    trap(&mut t, "loop/a", Some("symbolic link not followed"));
    symlink(root, "compliance/access-review-2026-Q3.md", "/etc/passwd");
    trap(
        &mut t,
        "compliance/access-review-2026-Q3.md",
        Some("symbolic link not followed"),
    );
    symlink(root, "rootfs", "/");
    trap(&mut t, "rootfs", Some("symbolic link not followed"));
    symlink(
        root,
        "compliance/lineage/dangling.md",
        "/nonexistent/redflag/x.md",
    );
    trap(
        &mut t,
        "compliance/lineage/dangling.md",
        Some("symbolic link not followed"),
    );

    // Special files named like evidence: reading any of them would block or never end.
    mkfifo(root, "compliance/incident-response-plan.md");
    trap(
        &mut t,
        "compliance/incident-response-plan.md",
        Some("special file"),
    );
    socket(root, "compliance/tabletop-2026-Q2.md");
    trap(&mut t, "compliance/tabletop-2026-Q2.md", Some("special file"));
    if mknod_zero(root, "compliance/lineage/zero.yaml") {
        trap(&mut t, "compliance/lineage/zero.yaml", Some("special file"));
    }

    // Hostile ignore files: a FIFO, a link to an endless device, a link out of the target.
    mkfifo(root, "svc-a/.gitignore");
    write(root, "svc-a/app.py", "import openai\n");
    trap(&mut t, "svc-a/.gitignore", Some("special file"));
    symlink(root, "svc-b/.ignore", "/dev/zero");
    write(root, "svc-b/app.py", "import anthropic\n");
    trap(&mut t, "svc-b/.ignore", Some("symbolic link not followed"));
    symlink(root, "svc-c/.gitignore", "/etc/passwd");
    trap(&mut t, "svc-c/.gitignore", Some("symbolic link not followed"));

    let mut rules = String::new();
    for i in 0..100_000 {
        rules.push_str(&format!("generated/**/file-{i}-*.tmp\n"));
    }
    write(root, "svc-d/.gitignore", rules);
    write(root, "svc-d/app.py", "import openai\n");
    trap(&mut t, "svc-d/.gitignore", Some("ignore rules not used"));

    // 200-level-deep directories, with evidence at the bottom.
    let deep: String = (0..200).map(|i| format!("d{i}/")).collect();
    write(root, format!("{deep}runbook.md"), "# Runbook\n");
    trap(&mut t, &format!("{deep}runbook.md"), None);
    t
}

fn notes_for<'a>(report: &'a serde_json::Value, path: &str) -> Vec<&'a str> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["path"] == path)
        .filter_map(|n| n["message"].as_str())
        .collect()
}

/// The gap planted beside the traps: the hard-coded key in `app/key.py`.
fn has_ai_key_gap(report: &serde_json::Value) -> bool {
    has_finding(report, "RF3-HARDCODED-AI-KEY", Some("app/key.py"))
}

#[test]
fn hostile_repository_scan_is_bounded_noted_and_still_finds_the_gap() {
    let _one = one_large_tree_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    let traps = build(&root);

    let run = scan(&root, "json", &["--threads", "2"], LIMIT);
    eprintln!(
        "hostile scan: {:?}, peak RSS {} MiB, exit {}",
        run.elapsed,
        run.max_rss_kib / 1024,
        run.code
    );
    let report = run.json();
    assert!(
        has_ai_key_gap(&report),
        "the planted key is not reported: {report:#}"
    );
    let mut problems = Vec::new();
    for trap in &traps {
        let notes = notes_for(&report, &trap.path);
        if let Some(want) = trap.note {
            if !notes.iter().any(|n| n.contains(want)) {
                problems.push(format!("{}: want a note with `{want}`, got {notes:?}", trap.path));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        run.max_rss_kib / 1024 < MAX_RSS_MIB,
        "peak RSS {} MiB",
        run.max_rss_kib / 1024
    );
}

/// Every format renders the hostile tree; machine formats parse, and no name or line from
/// the tree can act on a terminal or forge a report line.
#[test]
fn every_format_renders_hostile_names_and_content_safely() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    write(
        &root,
        "docs/evil\nGAP    RF0-FORGED \u{b7} critical.md",
        "# Runbook\n",
    );
    write(&root, "docs/\u{1b}[2J\u{1b}]0;owned\u{7}title.md", "# Runbook\n");
    write(&root, b"docs/\xff\xfe-plan.md", "# Plan\n");
    write(
        &root,
        "app/\u{202e}txt.py",
        "import openai # \u{1b}[31m red \u{7} \u{9b}2J \u{202e} trojan\nclient = openai.OpenAI(base_url=\"https://api.openai.com/v1\")\u{1b}]8;;http://x\u{7}\n",
    );
    mkfifo(&root, "docs/runbook\u{1b}[1m.md");
    // Markup in a name and in a line: the HTML and Markdown reports must not carry it live.
    write(
        &root,
        "app/<img src=x onerror=alert(1)>.py",
        "import openai # </td><script>alert(1)</script> [x](javascript:alert(1))\n",
    );
    for format in ["table", "json", "sarif", "junit", "markdown", "html", "roadmap"] {
        let run = scan(&root, format, &[], Duration::from_secs(60));
        let out = run.stdout_str();
        assert!(!out.contains('\u{1b}'), "{format}: raw escape in the output");
        assert!(
            !out.contains('\u{7}') && !out.contains('\u{9b}'),
            "{format}: control character"
        );
        assert!(!out.contains('\u{202e}'), "{format}: bidi override");
        assert!(
            !out.lines().any(|l| l.starts_with("GAP    RF0-FORGED")),
            "{format}: a file name forged a report line"
        );
        match format {
            "json" | "sarif" => {
                let _: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
            }
            "junit" => {
                roxmltree::Document::parse(&out).expect("well-formed XML");
            }
            "html" => {
                assert!(
                    !out.contains("<script>alert"),
                    "html: live script from the target"
                );
                assert!(!out.contains("<img src=x"), "html: live markup from a file name");
            }
            "markdown" => {
                // Target text may appear only as text or code, never as raw HTML or a link.
                use pulldown_cmark::{Event, Parser, Tag};
                for event in Parser::new(&out) {
                    match event {
                        Event::Html(h) | Event::InlineHtml(h) => {
                            assert!(
                                !h.contains("alert") && !h.contains("onerror"),
                                "markdown: raw HTML {h}"
                            );
                        }
                        Event::Start(Tag::Link { dest_url, .. }) => {
                            assert!(!dest_url.starts_with("javascript:"), "markdown: link {dest_url}");
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Unreadable files and directories are noted, and the scan goes on. As root, permissions
/// do not bind, so the scan runs as `nobody`.
#[test]
fn unreadable_files_and_directories_are_noted() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    let locked = write(&root, "compliance/vendor-register.md", "# Vendors\n");
    write(&root, "secret/inside.md", "# Access review\n");
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    for d in [root.as_path(), &root.join("app"), &root.join("compliance")] {
        mode(d, 0o755);
    }
    mode(&root.join("app/key.py"), 0o644);
    mode(&locked, 0o000);
    mode(&root.join("secret"), 0o000);
    let mut c = scan_command(&root, "json", &[]);
    if is_root() {
        c.uid(65534).gid(65534);
    }
    let run = run(c, Duration::from_secs(60));
    mode(&root.join("secret"), 0o755);
    mode(&locked, 0o644);
    let report = run.json();
    assert!(has_ai_key_gap(&report), "{report:#}");
    let notes = |p: &str| notes_for(&report, p).join(" | ");
    assert!(
        notes("compliance/vendor-register.md").contains("ermission denied"),
        "{report:#}"
    );
    assert!(notes("secret").contains("ermission denied"), "{report:#}");
}

/// A tree deeper than PATH_MAX (made with openat, as no path can name its bottom): the walk
/// notes what it cannot reach.
#[test]
fn a_tree_deeper_than_path_max_is_bounded() {
    use std::ffi::CString;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    let name = CString::new("d".repeat(200)).unwrap();
    let c_root = CString::new(root.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: plain POSIX calls on descriptors this test owns and closes.
    unsafe {
        let mut fd = libc::open(c_root.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
        assert!(fd >= 0);
        for _ in 0..40 {
            assert_eq!(libc::mkdirat(fd, name.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, name.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        let f = CString::new("runbook.md").unwrap();
        let file = libc::openat(fd, f.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644);
        assert!(file >= 0);
        libc::close(file);
        libc::close(fd);
    }
    let run = scan(&root, "json", &[], Duration::from_secs(60));
    let report = run.json();
    assert!(has_ai_key_gap(&report));
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"].as_str().unwrap().contains("too long")),
        "no note for the unreachable depth: {:#}",
        report["notes"]
    );
}

/// Files deleted, truncated, grown and swapped for FIFOs and links while the scan runs.
#[test]
fn files_changing_during_the_scan() {
    let _one = one_large_tree_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    let doc = "# Vendor register\n\n| Vendor | DPA |\n|---|---|\n| OpenAI | Signed |\n".repeat(200);
    for i in 0..1_500 {
        write(&root, format!("compliance/vendors/v{i}.md"), &doc);
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mutator = {
        let (root, stop) = (root.clone(), stop.clone());
        let doc = doc.clone();
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let p = root.join(format!("compliance/vendors/v{}.md", i % 1_500));
                match i % 5 {
                    0 => drop(std::fs::remove_file(&p)),
                    1 => drop(
                        std::fs::OpenOptions::new()
                            .write(true)
                            .open(&p)
                            .and_then(|f| f.set_len(3)),
                    ),
                    2 => {
                        let _ = std::fs::remove_file(&p);
                        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                        // SAFETY: a valid path.
                        unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
                    }
                    3 => {
                        let _ = std::fs::remove_file(&p);
                        let _ = std::os::unix::fs::symlink("/dev/zero", &p);
                    }
                    _ => drop(std::fs::write(&p, doc.repeat(3))),
                }
                i += 1;
            }
            i
        })
    };
    for _ in 0..3 {
        let run = scan(&root, "json", &["--threads", "2"], Duration::from_secs(60));
        assert!(has_ai_key_gap(&run.json()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let changes = mutator.join().unwrap();
    eprintln!("{changes} changes made during three scans");
}

/// The repository's own config file (`redflag.yaml` at the target root) is repository
/// content: it must not make the scan read outside the target, follow a link, open a
/// special file, block, or exhaust memory. What it asks for beyond that is not obeyed, and
/// the scan goes on (exit 0) with a warning saying what was refused.
#[test]
fn a_hostile_config_file_in_the_target_is_contained() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "outside.json",
        "{\"redflag_baseline\": 1, \"findings\": []}\n",
    );
    write(dir.path(), "outside-pack/RF9-X.yaml", "not: a control\n");
    // (what, how to make it, fragments the warning about the config must contain).
    type Case<'a> = (&'a str, &'a dyn Fn(&Path), &'a [&'a str]);
    let cases: &[Case] = &[
        (
            "config linked to /etc/passwd",
            &|r| symlink(r, "redflag.yaml", "/etc/passwd"),
            &["redflag.yaml", "config file not used", "symbolic link"],
        ),
        (
            "a FIFO config",
            &|r| drop(mkfifo(r, ".redflag.yaml")),
            &[".redflag.yaml", "FIFO"],
        ),
        (
            "a 3 GB config",
            &|r| drop(sparse(r, "redflag.yaml", 3 << 30)),
            &["config file not used", "over the 1048576-byte limit"],
        ),
        (
            "baseline: /dev/zero",
            &|r| drop(write(r, "redflag.yaml", "baseline: /dev/zero\n")),
            &["`baseline: /dev/zero` not used", "absolute path"],
        ),
        (
            "baseline linked to /dev/zero",
            &|r| {
                write(r, "redflag.yaml", "baseline: .redflag/baseline.json\n");
                symlink(r, ".redflag/baseline.json", "/dev/zero");
            },
            &[
                "`baseline: .redflag/baseline.json` not used",
                "leads out of the target",
            ],
        ),
        (
            "baseline a FIFO in the target",
            &|r| {
                write(r, "redflag.yaml", "baseline: known.json\n");
                mkfifo(r, "known.json");
            },
            &["`baseline: known.json` not used", "FIFO"],
        ),
        (
            "baseline beside the target",
            &|r| drop(write(r, "redflag.yaml", "baseline: ../outside.json\n")),
            &["`baseline: ../outside.json` not used", "`..` leads out"],
        ),
        (
            "evidence outside the target",
            &|r| drop(write(r, "redflag.yaml", "evidence: [\"/etc\", \"../..\"]\n")),
            &["`evidence: /etc` not used", "`evidence: ../..` not used"],
        ),
        (
            "evidence linked out of the target",
            &|r| {
                write(r, "redflag.yaml", "evidence: [docs/policies]\n");
                symlink(r, "docs/policies", "/etc");
            },
            &["`evidence: docs/policies` not used", "symbolic link leads out"],
        ),
        (
            "controls outside the target",
            &|r| {
                drop(write(
                    r,
                    "redflag.yaml",
                    "controls: [\"/etc\", \"../outside-pack\"]\n",
                ));
            },
            &[
                "`controls: /etc` not used",
                "`controls: ../outside-pack` not used",
            ],
        ),
        (
            "a 3 GB control file in the target",
            &|r| {
                write(r, "redflag.yaml", "controls: [pack]\n");
                sparse(r, "pack/catalog/big.yaml", 3 << 30);
            },
            &["`controls: pack` not used", "limit for a control file"],
        ),
        (
            "max_file_size raised over a 3 GB register",
            &|r| {
                write(r, "redflag.yaml", "max_file_size: 100000000000\n");
                sparse(r, "compliance/vendor-register.md", 3 << 30);
            },
            &["`max_file_size: 100000000000` not used"],
        ),
        (
            "a threshold of four billion quarters",
            &|r| {
                drop(write(
                    r,
                    "redflag.yaml",
                    "params:\n  tabletop_quarters: 4000000000\n",
                ));
            },
            &["`params: tabletop_quarters: 4000000000` not used"],
        ),
        (
            "a secret in a refused path",
            &|r| drop(write(r, "redflag.yaml", format!("evidence: [\"/{AI_KEY}\"]\n"))),
            &["not used", "[redacted]"],
        ),
    ];
    for (i, (what, make, warning)) in cases.iter().enumerate() {
        let root = dir.path().join(format!("repo{i}"));
        write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
        make(&root);
        let mut c = redflag();
        c.args(["scan", "--as-of", AS_OF, "--format", "json", "--fail-on", "none"])
            .arg(&root);
        limit_memory(&mut c, 2 << 30);
        let run = run(c, Duration::from_secs(30));
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        let report = run.json();
        assert!(has_ai_key_gap(&report), "{what}");
        assert!(
            report["targets"].as_array().unwrap().len() == 1,
            "{what}: scanned outside the target: {:#}",
            report["targets"]
        );
        assert!(report["baseline"].is_null(), "{what}: {:#}", report["baseline"]);
        let warnings: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .collect();
        // The same refusals are notes in the report, as `target/path: message`.
        let notes: Vec<String> = report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                format!(
                    "{}/{}: {}",
                    n["target"].as_str().unwrap(),
                    n["path"].as_str().unwrap(),
                    n["message"].as_str().unwrap()
                )
            })
            .collect();
        for w in *warning {
            assert!(
                warnings.iter().any(|l| l.contains(w)),
                "{what}: no warning with `{w}`: {}",
                run.stderr
            );
            assert!(
                notes.iter().any(|l| l.contains(w)),
                "{what}: no note with `{w}`: {notes:#?}"
            );
        }
        assert!(!run.stderr.contains(AI_KEY_SECRET), "{what}: {}", run.stderr);
        assert!(!run.stdout_str().contains(AI_KEY_SECRET), "{what}");
    }
}

/// What a config file found in the target may do: name evidence, control packs and a
/// baseline inside the target (also through a link that stays inside). And a config named
/// with `--config` is the user's choice: its paths may lead anywhere.
#[test]
fn a_config_file_may_name_paths_inside_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    write(&root, "policies/README.md", "# Policies\n");
    symlink(&root, "docs/policies", "../policies");
    write(&root, "pack/.keep", "");
    write(
        &root,
        ".redflag/baseline.json",
        "{\"redflag_baseline\": 1, \"findings\": []}\n",
    );
    write(
        &root,
        "redflag.yaml",
        "evidence: [docs/policies]\ncontrols: [pack]\nbaseline: .redflag/baseline.json\nmax_file_size: 1000000\n",
    );
    let scan_json = |extra: &[&str]| {
        let mut c = redflag();
        c.args(["scan", "--as-of", AS_OF, "--format", "json", "--fail-on", "none"])
            .args(extra)
            .arg(&root);
        let run = run(c, Duration::from_secs(30));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
        run.json()
    };
    let report = scan_json(&[]);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{targets:#?}");
    assert_eq!(targets[1]["role"], "evidence");
    assert!(
        targets[1]["path"].as_str().unwrap().ends_with("docs/policies"),
        "{targets:#?}"
    );
    assert!(
        !report["baseline"].is_null(),
        "the baseline inside the target is used"
    );
    assert!(has_ai_key_gap(&report));

    // The same paths out of the target, in a config the user names: trusted.
    let elsewhere = write(dir.path(), "elsewhere/policy.md", "# Policy\n");
    let cfg = write(
        dir.path(),
        "trusted/redflag.yaml",
        format!(
            "evidence: [../repo/policies, \"{}\"]\nbaseline: ../repo/.redflag/baseline.json\n",
            elsewhere.parent().unwrap().display()
        ),
    );
    let report = scan_json(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(
        report["targets"].as_array().unwrap().len(),
        3,
        "{:#}",
        report["targets"]
    );
}

/// A refused setting of the target's config file is also a note in the report, so a CI job
/// that reads only the JSON (or runs with `--quiet`) sees what was not obeyed.
#[test]
fn a_refused_config_setting_is_a_note_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    write(&root, "redflag.yaml", "evidence: [/etc]\nbaseline: /dev/zero\n");
    let run = scan(&root, "json", &[], Duration::from_secs(30));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let report = run.json();
    let notes: Vec<&serde_json::Value> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["path"] == "redflag.yaml")
        .collect();
    for setting in ["`evidence: /etc` not used", "`baseline: /dev/zero` not used"] {
        assert!(
            notes
                .iter()
                .any(|n| n["message"].as_str().unwrap().contains(setting)),
            "{setting}: {notes:#?}"
        );
    }
}

/// A control pack holding a FIFO, a link to `/dev/zero` and a 3 GB file named like control
/// files: none is opened or read, each is named, and nothing hangs — whether the pack is
/// given with `--controls`, validated, or named by the target's config file.
#[test]
fn a_hostile_control_pack_is_refused_with_each_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    write(&pack, "RF9-OK.yaml", "not: loaded\n");
    mkfifo(&pack, "RF9-FIFO.yaml");
    symlink(&pack, "RF9-ZERO.yaml", "/dev/zero");
    sparse(&pack, "catalog/big.yml", 3 << 30);
    let wanted = [
        ("RF9-FIFO.yaml", "a FIFO (special file, never opened)"),
        ("RF9-ZERO.yaml", "a symbolic link (not followed)"),
        (
            "big.yml",
            "3221225472 bytes, over the 1048576-byte limit for a control file",
        ),
    ];
    let check = |what: &str, run: &Run| {
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        for (file, why) in wanted {
            assert!(
                run.stderr.lines().any(|l| l.contains(file) && l.contains(why)),
                "{what}: no line naming {file} ({why}): {}",
                run.stderr
            );
        }
    };
    let mut c = redflag();
    c.args(["controls", "validate"]).arg(&pack);
    limit_memory(&mut c, 1 << 30);
    check("controls validate", &run(c, Duration::from_secs(30)));

    let root = dir.path().join("repo");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    let mut c = redflag();
    c.args([
        "scan",
        "--quiet",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--controls",
    ])
    .arg(&pack)
    .arg(&root);
    limit_memory(&mut c, 1 << 30);
    let run_ = run(c, Duration::from_secs(30));
    check("scan --controls", &run_);
    assert!(
        run_.stderr.contains("invalid control definitions"),
        "{}",
        run_.stderr
    );

    // Named by the target's own config: the setting is refused, the scan goes on, and the
    // report's notes say why.
    let root = dir.path().join("repo2");
    write(&root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    write(&root, "redflag.yaml", "controls: [pack]\n");
    type Plant<'a> = &'a dyn Fn(&Path, &str);
    let cases: [(&str, Plant, &str); 3] = [
        (
            "pack/a.yaml",
            &|r, n| drop(mkfifo(r, n)),
            "`controls: pack` not used: a.yaml: a FIFO",
        ),
        (
            "pack/z.yaml",
            &|r, n| symlink(r, n, "/dev/zero"),
            "`controls: pack` not used: z.yaml: a symbolic link",
        ),
        (
            "pack/catalog/big.yaml",
            &|r, n| drop(sparse(r, n, 3 << 30)),
            "`controls: pack` not used: catalog/big.yaml: not loaded: 3221225472 bytes",
        ),
    ];
    for (name, plant, why) in cases {
        plant(&root, name);
        let run = scan(&root, "json", &[], Duration::from_secs(30));
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let report = run.json();
        assert!(has_ai_key_gap(&report), "{name}");
        let notes = notes_for(&report, "redflag.yaml");
        assert!(notes.iter().any(|n| n.contains(why)), "{name}: {notes:?}");
        std::fs::remove_file(root.join(name)).unwrap();
    }
}
