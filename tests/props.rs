//! "Never panics, always terminates" properties on stable, so `cargo test` covers what the
//! fuzz targets (fuzz/, nightly) cover: every parser and loader fed structured garbage
//! built from the tokens of its format, each run on a watchdog thread that fails the test
//! if it takes more than a few seconds. The crash inputs the fuzzers found are replayed
//! here too (fuzz/regressions/TARGET/*), through the same calls as the fuzz targets.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod support;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use redflag::workspace::{document, manifest, node};

/// Runs `f` on a thread with a large stack and fails if it panics or runs past `limit`.
fn bounded(what: &str, limit: Duration, f: impl FnOnce() + Send + 'static) {
    bounded_on(64 << 20, what, limit, f);
}

/// [`bounded`] on a thread with `stack` bytes of stack.
fn bounded_on(stack: usize, what: &str, limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(p) = handle.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not terminate within {limit:?}"),
    }
}

const LIMIT: Duration = Duration::from_secs(20);

/// Text made of `tokens` (and a few arbitrary characters), up to `max` tokens.
fn text_of(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    let token = prop_oneof![
        8 => proptest::sample::select(tokens).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
        1 => "[a-zA-Z0-9 _-]{1,12}",
    ];
    proptest::collection::vec(token, 0..max).prop_map(|v| v.concat())
}

const YAML: &[&str] = &[
    "- ",
    ": ",
    "\n",
    "  ",
    "    ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "---\n",
    "...\n",
    "? ",
    "|",
    "|-",
    ">",
    "\"",
    "'",
    "# c",
    "!!str ",
    "!!map ",
    "!tag ",
    "key",
    "kind",
    "name",
    "1",
    "0o17",
    "null",
    "~",
    "yes",
    "\t",
    "\r\n",
    "\u{feff}",
    "%YAML 1.2\n",
    "<<: *a\n",
    "<<: ",
    "\\",
    "@",
    "`",
    "%",
];
const JSON: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"k\"",
    "\"kind\"",
    "1",
    "-0.5e10",
    "true",
    "null",
    "\\\"",
    "\\u00e9",
    "\\ud800",
    "\n",
    " ",
    "\"metadata\"",
];
const MARKDOWN: &[&str] = &[
    "# ",
    "## ",
    "###### ",
    "\n",
    "| ",
    " |",
    "|",
    "---",
    "|---|---|",
    ":",
    "- ",
    "* ",
    "**",
    "__",
    "`",
    "```",
    "~~~",
    "[ ] ",
    "[x] ",
    "Vendor",
    "DPA",
    "Date: 2026-01-0",
    "Q3 2026",
    "2026-02-30",
    "March 2026",
    "---\n",
    "...\n",
    "key: value",
    "  ",
    "\t",
    "\r\n",
    "<fill in>",
    "TODO",
    "N/A",
    "\u{202e}",
    "\u{1b}[2J",
];
const CSV: &[&str] = &[
    "\"", ",", "\n", "\r\n", "\t", "\"\"", "Vendor", "DPA", "a", " ", "\u{feff}",
];
const TOML: &[&str] = &[
    "[project]\n",
    "[tool.poetry.dependencies]\n",
    "[dependencies]\n",
    "[dev-dependencies.x]\n",
    "dependencies = ",
    "[",
    "]",
    "{",
    "}",
    "\"openai>=1\"",
    "'x'",
    ", ",
    "=",
    "\n",
    "a.b",
    ".",
    "\"\"\"",
    "'''",
    "1979-05-27",
    "inf",
    "# c",
    "package = ",
    "[[bin]]\n",
    "\\u0000",
    "python",
];
const LINES: &[&str] = &[
    "openai==1.0",
    "-r x.txt",
    "# c",
    "\n",
    "require (",
    ")",
    "require github.com/a/b v1",
    "gem 'x'",
    "group :test do",
    "end",
    "<dependency>",
    "</dependency>",
    "<groupId>g</groupId>",
    "<artifactId>a</artifactId>",
    "<!--",
    "-->",
    "implementation(\"a:b:1\")",
    "install_requires =",
    "  ",
    "[options]",
    "=",
    "\t",
    "[",
];
const HCL: &[&str] = &[
    "resource ",
    "\"aws_iam_policy\" ",
    "\"p\" ",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    "\n",
    "${",
    "%{",
    "~}",
    "\"",
    "<<EOT\n",
    "EOT\n",
    "jsonencode(",
    "Action",
    "\"*\"",
    "for ",
    " in ",
    ":",
    "=>",
    "...",
    "?",
    "#",
    "//",
    "/*",
    "*/",
    "var.x",
    "count.index",
    "1",
    ",",
];
const SECRETISH: &[&str] = &[
    "sk-",
    "sk-ant-api03-",
    "AKIA",
    "ghp_",
    "xoxb-",
    "Bearer ",
    "basic ",
    "://",
    "u:",
    "@",
    "password",
    "=",
    ": ",
    "\"",
    "'",
    "-----BEGIN ",
    "PRIVATE KEY-----",
    "-----END ",
    "\\n",
    "…",
    "[redacted]",
    "eyJ",
    "abcdefghijklmnop",
    "0123456789",
    " ",
    "${",
    "os.getenv(",
    "ENV ",
    "X_API_KEY",
    "os.environ[\"",
    "\"] = ",
    "\", \"",
    "auth=(",
    " -u ",
    "Authorization: ",
    "Token ",
    "=>",
    ": string = ",
    "aws configure set ",
    "nvapi-",
    "tgp_v1_",
    "lsv2_pt_",
    "ABSKQmVkcm9ja0FQSUtleS",
    "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
    "0123456789abcdef0123456789abcdef",
    "_",
];

fn cfg(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cfg(256))]

    #[test]
    fn yaml_parsing_never_panics(text in text_of(YAML, 120)) {
        bounded("YAML", LIMIT, move || {
            let _ = node::parse_yaml_stream(&text).map(|d| d.iter().map(node::Node::flat_text).count());
            let _ = node::parse_yaml(&text);
        });
    }

    #[test]
    fn json_parsing_never_panics(text in text_of(JSON, 120)) {
        bounded("JSON", LIMIT, move || {
            let _ = node::Node::from_json(&text).map(|n| n.flat_text());
        });
    }

    #[test]
    fn evidence_documents_never_panic(
        ext in proptest::sample::select(&["md", "txt", "yaml", "json", "csv", "tsv", ""][..]),
        md in text_of(MARKDOWN, 150),
        yaml in text_of(YAML, 100),
        csv in text_of(CSV, 150),
        json in text_of(JSON, 100),
    ) {
        let text = match ext {
            "yaml" => yaml,
            "json" => json,
            "csv" | "tsv" => csv,
            _ => md,
        };
        bounded("document", LIMIT, move || {
            let (doc, _) = document::parse(&format!("vendor-register.{ext}"), &text);
            exercise(&doc);
        });
    }

    #[test]
    fn front_matter_never_panics(front in text_of(YAML, 80), body in text_of(MARKDOWN, 60)) {
        bounded("front matter", LIMIT, move || {
            let text = format!("---\n{front}\n---\n{body}");
            let (doc, _) = document::parse("lineage.md", &text);
            exercise(&doc);
        });
    }

    #[test]
    fn manifests_never_panic(
        name in proptest::sample::select(&[
            "requirements.txt", "pyproject.toml", "Pipfile", "setup.cfg", "package.json", "go.mod",
            "Cargo.toml", "Gemfile", "pom.xml", "build.gradle",
        ][..]),
        toml in text_of(TOML, 120),
        lines in text_of(LINES, 120),
        json in text_of(JSON, 80),
    ) {
        let text = match name {
            "pyproject.toml" | "Pipfile" | "Cargo.toml" => toml,
            "package.json" => json,
            _ => lines,
        };
        bounded("manifest", LIMIT, move || {
            let kind = manifest::kind_of(name).unwrap();
            if let Ok(deps) = manifest::parse(kind, name, &text) {
                for d in deps {
                    assert!(d.line >= 1);
                }
            }
        });
    }

    #[test]
    fn hcl_and_terraform_never_panic(text in text_of(HCL, 150)) {
        bounded("HCL", LIMIT, move || {
            let _ = hcl::parse(&text);
            let _ = redflag::workspace::iam::terraform(&text);
            let _ = redflag::workspace::resources::terraform(&text);
        });
    }

    #[test]
    fn redaction_is_idempotent_and_text_is_printable(text in text_of(SECRETISH, 60)) {
        bounded("redaction", LIMIT, move || {
            let once = redflag::redact::redact(&text);
            assert_eq!(redflag::redact::redact(&once), once, "not idempotent on {text:?}");
            let s = redflag::redact::snippet(&text);
            assert!(s.chars().count() <= 200);
            assert!(!s.chars().any(|c| c.is_control() && c != '\t'), "{s:?}");
            let _ = redflag::date::find_dates(&text);
        });
    }

    #[test]
    fn dates_never_panic_and_come_in_order(text in text_of(MARKDOWN, 100)) {
        bounded("dates", LIMIT, move || {
            let found = redflag::date::find_dates(&text);
            assert!(found.windows(2).all(|w| w[0].pos <= w[1].pos));
            for f in found {
                assert!(f.pos <= text.len());
            }
        });
    }
}

/// Secrets of each shape, embedded in arbitrary text, never survive redaction.
fn secret() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[A-Za-z0-9_-]{95}".prop_map(|s| (format!("sk-ant-api03-{s}"), s)),
        "[A-Z2-7]{16}".prop_map(|s| (format!("AKIA{s}"), s)),
        "[A-Za-z0-9]{36}".prop_map(|s| (format!("ghp_{s}"), s)),
        "[A-Za-z0-9_.-]{24,60}".prop_map(|s| (format!("Authorization: Bearer {s}"), s)),
        "[A-Za-z0-9]{12,30}".prop_map(|s| (format!("postgres://app:{s}@db:5432/x"), s)),
        "[A-Za-z0-9+/]{40,80}".prop_map(|s| (format!("-----BEGIN RSA PRIVATE KEY----- {s}"), s)),
        "[A-Za-z0-9+/]{40,80}".prop_map(|s| (
            format!("\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{s}\\n-----END PRIVATE KEY-----\\n\""),
            s
        )),
        "[A-Za-z0-9]{10,30}".prop_map(|s| (format!("password = \"x{s}\""), s)),
        "[A-Za-z0-9]{36}".prop_map(|s| (format!("https://ghp_{s}:x-oauth-basic@github.com/a/b"), s)),
    ]
}

proptest! {
    #![proptest_config(cfg(512))]

    #[test]
    fn planted_secrets_never_survive(
        (secret, body) in secret(),
        before in "[ -~]{0,40}",
        after in "[ ,;)\"'#][ -~]{0,40}",
    ) {
        let line = format!("{before}{secret}{after}");
        let out = redflag::redact::redact(&line);
        prop_assert!(!out.contains(&body), "{line:?} -> {out:?}");
        // Cut short by a 400-character cap, what is left of it is hidden too.
        let cut = redflag::text::truncate_chars(&line, before.chars().count() + secret.chars().count() - 3);
        let out = redflag::redact::redact(&cut);
        let keep = body.len().saturating_sub(3).min(12);
        prop_assert!(keep < 4 || !out.contains(&body[..keep]), "{cut:?} -> {out:?}");
    }
}

/// Keys of the catalogue formats that had no built-in shape, after any non-word character.
fn catalog_secret() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        "[A-Za-z0-9+]{80,100}".prop_map(|s| (format!("ABSKQmVkcm9ja0FQSUtleS{s}"), s)),
        "[A-Za-z0-9+=]{20,60}".prop_map(|s| (format!("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{s}"), s)),
        "[A-Za-z0-9_-]{43}".prop_map(|s| (format!("tgp_v1_{s}"), s)),
        "[A-Za-z0-9_-]{60,80}".prop_map(|s| (format!("nvapi-{s}"), s)),
        "[0-9a-f]{32}_[0-9a-f]{10}".prop_map(|s| (format!("lsv2_sk_{s}"), s)),
    ]
}

proptest! {
    #![proptest_config(cfg(256))]

    #[test]
    fn planted_catalog_keys_never_survive(
        (secret, body) in catalog_secret(),
        before in "([ -~]{0,40}[ \"'=:(,])?",
        after in "[ ,;)\"'#][ -~]{0,40}",
    ) {
        let line = format!("{before}{secret}{after}");
        let out = redflag::redact::redact(&line);
        prop_assert!(!out.contains(&body[body.len() - 12..]), "{line:?} -> {out:?}");
        prop_assert_eq!(redflag::redact::redact(&out), out.clone());
        // As a file name.
        let out = redflag::redact::builtin().path(&format!("app/{secret}.txt"));
        prop_assert!(!out.contains(&body[body.len() - 12..]), "{secret:?} -> {out:?}");
        // Cut short by a 400-character cap, what is left of it is hidden too.
        let cut = redflag::text::truncate_chars(&line, before.chars().count() + secret.chars().count() - 3);
        let out = redflag::redact::redact(&cut);
        let keep = body.len().saturating_sub(3).min(12);
        prop_assert!(!out.contains(&body[..keep]), "{cut:?} -> {out:?}");
    }
}

/// Loaders that read files: each case writes its inputs to a fresh directory.
mod loaders {
    use super::*;

    const CONTROL: &[&str] = &[
        "id: RF9-X\n",
        "title: t\n",
        "red_flag: 3\n",
        "severity: high\n",
        "tsc: [CC6.1]\n",
        "rationale: r\n",
        "remediation: r\n",
        "check:\n",
        "  any:\n",
        "  all:\n",
        "  not:\n",
        "    - pattern:\n",
        "      regex: ",
        "\"(a+)+$\"",
        "\"[\"",
        "\"(?-u:\\\\b)x\"",
        "\"\\\\bopenai\\\\b\"",
        "      files: [\"**\"]\n",
        "    - document: vendor-register\n",
        "    - register:\n",
        "        kind: nope\n",
        "    - query:\n",
        "        where: { kind: \"~(\" }\n",
        "params: { x: 4294967296 }\n",
        "applies_when:\n",
        "&a ",
        "*a",
        "\n",
        "  ",
        "- ",
        "unknown_key: 1\n",
        "id: RF9-X\n",
        "message: \"{name}\"\n",
    ];

    fn load_pack(files: &[(&str, String)], builtin: bool) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            support::write(dir.path(), name, text);
        }
        let loaded = redflag::control::load(&redflag::control::LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            no_builtin: !builtin,
            ..Default::default()
        });
        for d in &loaded.diags {
            assert!(!d.message.is_empty());
        }
    }

    proptest! {
        #![proptest_config(cfg(64))]

        #[test]
        fn the_control_loader_never_panics(
            control in text_of(CONTROL, 60),
            signals in text_of(YAML, 40),
            catalog in text_of(YAML, 40),
            builtin in proptest::bool::weighted(0.05),
        ) {
            bounded("control loader", LIMIT, move || {
                load_pack(
                    &[
                        ("RF9-X.yaml", control),
                        ("signals.yaml", format!("signals:\n{signals}")),
                        ("catalog/x.yaml", format!("catalog: x\ntitle: t\nitems:\n{catalog}")),
                    ],
                    builtin,
                );
            });
        }

        #[test]
        fn the_config_loader_never_panics(text in text_of(YAML, 80)) {
            bounded("config loader", LIMIT, move || {
                let dir = tempfile::tempdir().unwrap();
                let p = support::write(dir.path(), "redflag.yaml", &text);
                if let Ok(c) = redflag::settings::read_config(&p) {
                    for (i, w) in c.waivers.iter().enumerate() {
                        let _ = w.compile(i);
                    }
                }
            });
        }
    }
}

/// Reads a parsed document the way checks do.
fn exercise(doc: &document::Document) {
    let keys = vec![redflag::text::norm_key("DPA"), redflag::text::norm_key("date")];
    let re = [redflag::workspace::matcher::LazyRegex::new("(?i)prompt", true).unwrap()];
    let _ = doc.first_match_line(&re);
    for r in &doc.records {
        let _ = doc.text(r.line, r.end_line);
        let _ = redflag::redact::snippet(doc.line(r.line));
        if let Some(f) = r.field(&keys) {
            let _ = redflag::text::value_state(&f.value);
            let _ = redflag::date::find_dates(&f.value);
        }
    }
}

/// Splits at `\0\0` into at most `n` parts, as `redflag_fuzz::parts`.
fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(2).position(|w| w == b"\0\0") {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + 2..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// As `redflag_fuzz::exercise_git_dir` (fuzz/src/lib.rs): a hostile `.git` from the input's
/// parts (`HEAD`, `packed-refs`, a loose ref, `alternates`, a `.git` file), then discovery
/// and ref reading; whatever is found stays inside the work tree.
fn exercise_git_dir(dir: &Path, data: &[u8]) {
    use redflag::gitread::{discover, refs};
    let p = parts(data, 5);
    let part = |i: usize| p.get(i).copied().unwrap_or_default();
    let work = dir.join("work");
    let git_file = part(4);
    let git_dir = if git_file.is_empty() {
        work.join(".git")
    } else {
        work.join("gd")
    };
    let files = [
        ("HEAD", part(0)),
        ("packed-refs", part(1)),
        ("refs/heads/main", part(2)),
        ("objects/info/alternates", part(3)),
    ];
    for (name, bytes) in files {
        let path = git_dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::create_dir_all(work.join("sub")).unwrap();
    if !git_file.is_empty() {
        std::fs::write(work.join(".git"), git_file).unwrap();
    }
    for bytes in [part(0), part(1), part(2), part(4)] {
        let text = String::from_utf8_lossy(bytes);
        let _ = refs::parse_ref_value(&text);
        let _ = refs::is_ref_name(text.trim_end());
        let _ = refs::parse_packed_refs(&text);
    }
    if let Ok(Some(dirs)) = discover::discover(&work.join("sub")) {
        assert!(dirs.git_dir.starts_with(&dirs.root));
        assert!(dirs.object_dirs.iter().all(|d| d.starts_with(&dirs.root)));
        if let Some(id) = refs::head_commit(&dirs) {
            assert!(refs::is_object_id(&id), "{id:?}");
        }
        let _ = refs::collect(&dirs);
        let _ = discover::check_object_dirs(&dirs);
    }
}

const GIT_PARTS: &[&str] = &[
    "ref: refs/heads/main\n",
    "ref: refs/heads/other\n",
    "ref: ../../../etc/passwd\n",
    "ref: refs/heads/../../x\n",
    "0123456789abcdef0123456789abcdef01234567",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    " refs/heads/main\n",
    " refs/heads/other\n",
    "^0123456789abcdef0123456789abcdef01234567\n",
    "# pack-refs with: peeled\n",
    "gitdir: ../gd\n",
    "gitdir: gd",
    "gitdir: /etc\n",
    "gitdir: ..\n",
    "../..\n",
    "../../gd/objects\n",
    "/tmp\n",
    "\"quoted\"\n",
    "#\n",
    "\0\0",
    "\n",
    "\u{0}",
    "ref:",
    "refs/heads/main.lock",
];

proptest! {
    #![proptest_config(cfg(64))]

    /// Discovery and ref reading never panic, never hang and never leave the work tree.
    #[test]
    fn git_discovery_and_refs_stay_inside(text in text_of(GIT_PARTS, 24)) {
        bounded("git discovery", LIMIT, move || {
            let dir = tempfile::tempdir().unwrap();
            exercise_git_dir(dir.path(), text.as_bytes());
        });
    }
}

/// Replays every input a fuzz target once crashed on (fuzz/regressions/TARGET/*).
#[test]
fn fuzz_regressions_stay_fixed() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(targets) = std::fs::read_dir(&base) else {
        return;
    };
    let mut n = 0;
    for target in targets.flatten() {
        let name = target.file_name().to_string_lossy().into_owned();
        for input in std::fs::read_dir(target.path()).unwrap().flatten() {
            let data = std::fs::read(input.path()).unwrap();
            let what = format!("{name}/{}", input.file_name().to_string_lossy());
            let target = name.clone();
            // The stack of a walker thread (2 MiB), where the scan parses.
            bounded_on(2 << 20, &what, LIMIT, move || replay(&target, &data));
            n += 1;
        }
    }
    eprintln!("{n} fuzz regression inputs replayed");
}

/// What each fuzz target does with its input (kept in step with fuzz/fuzz_targets/).
fn replay(target: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let rest = || String::from_utf8_lossy(data.get(1..).unwrap_or_default()).into_owned();
    let sel = data.first().copied().unwrap_or(0) as usize;
    match target {
        "yaml" => {
            let _ = node::parse_yaml_stream(&text);
            let _ = node::parse_yaml(&text);
        }
        "json" => {
            let _ = node::Node::from_json(&text);
        }
        "document" => {
            let exts = [
                "md", "yaml", "yml", "json", "csv", "tsv", "txt", "rst", "adoc", "",
            ];
            let (doc, _) = document::parse(
                &format!("compliance/vendor-register.{}", exts[sel % exts.len()]),
                &rest(),
            );
            exercise(&doc);
        }
        "markdown" => exercise(&document::parse("docs/incident-response-plan.md", &text).0),
        "front_matter" => exercise(&document::parse("lineage/dataset.md", &format!("---\n{text}")).0),
        "csv" => {
            let path = if sel & 1 == 0 {
                "vendors.csv"
            } else {
                "access-review-2026-q1.tsv"
            };
            exercise(&document::parse(path, &rest()).0);
        }
        "manifest" => {
            let names = [
                "requirements.txt",
                "requirements-dev.txt",
                "pyproject.toml",
                "Pipfile",
                "setup.cfg",
                "package.json",
                "go.mod",
                "Cargo.toml",
                "Gemfile",
                "pom.xml",
                "build.gradle.kts",
            ];
            let name = names[sel % names.len()];
            let _ = manifest::parse(manifest::kind_of(name).unwrap(), name, &rest());
        }
        "hcl" => {
            let _ = hcl::parse(&text);
            let _ = redflag::workspace::iam::terraform(&text);
            let _ = redflag::workspace::resources::terraform(&text);
        }
        "redact" | "dates" => {
            let once = redflag::redact::redact(&text);
            assert_eq!(redflag::redact::redact(&once), once);
            let _ = redflag::redact::snippet(&text);
            let _ = redflag::date::find_dates(&text);
        }
        "controls" => {
            // As fuzz/fuzz_targets/controls.rs: `\0\0`-separated files of a pack.
            let names = [
                "RF9-FUZZ.yaml",
                "signals.yaml",
                "documents.yaml",
                "catalog/fuzz.yaml",
            ];
            let mut files = Vec::new();
            let mut rest = data.get(1..).unwrap_or_default();
            for (i, name) in names.iter().enumerate() {
                let cut = (i + 1 < names.len())
                    .then(|| rest.windows(2).position(|w| w == b"\0\0"))
                    .flatten();
                let (part, next) = match cut {
                    Some(at) => (&rest[..at], &rest[at + 2..]),
                    None => (rest, &[][..]),
                };
                files.push((*name, String::from_utf8_lossy(part).into_owned()));
                rest = next;
                if cut.is_none() {
                    break;
                }
            }
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in &files {
                support::write(dir.path(), name, text);
            }
            let loaded = redflag::control::load(&redflag::control::LoadOptions {
                dirs: vec![dir.path().to_path_buf()],
                no_builtin: !sel.is_multiple_of(32),
                ..Default::default()
            });
            assert!(loaded.diags.iter().all(|d| !d.message.is_empty()));
        }
        "gitexport" => {
            let dir = tempfile::tempdir().unwrap();
            exercise_git_dir(dir.path(), data);
        }
        "redact_render" => rendered_keys::check(data),
        _ => {
            // config, scan: inputs are replayed by hand (see fuzz/README.md).
        }
    }
}

/// As fuzz/fuzz_targets/redact_render.rs (kept in step with it): a tiny repository holding
/// a key of a catalogue vendor format in a file's content, in an inline waiver's reason and
/// as a file or directory name, walked, checked, waivers applied and rendered in every
/// format. The key's random part appears in no output.
mod rendered_keys {
    use super::*;
    use redflag::control::{self, LoadOptions, Loaded};
    use redflag::workspace::{self, ScanPlan, TargetSpec};

    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const ALNUM_DASH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+";
    const HEX: &[u8] = b"0123456789abcdef";

    enum Seg {
        Lit(&'static str),
        Gen(&'static [u8], usize),
    }
    use Seg::{Gen, Lit};

    /// The key formats of `controls/catalog/ai-vendors.yaml`.
    const FORMATS: &[&[Seg]] = &[
        &[
            Lit("sk-proj-"),
            Gen(ALNUM_DASH, 24),
            Lit("T3BlbkFJ"),
            Gen(ALNUM_DASH, 24),
        ],
        &[Lit("sk-"), Gen(ALNUM, 20), Lit("T3BlbkFJ"), Gen(ALNUM, 20)],
        &[Lit("sk-ant-api03-"), Gen(ALNUM_DASH, 93)],
        &[Lit("ABSKQmVkcm9ja0FQSUtleS"), Gen(BASE64, 100)],
        &[
            Lit("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t"),
            Gen(BASE64, 40),
        ],
        &[Lit("gsk_"), Gen(ALNUM, 52)],
        &[Lit("tgp_v1_"), Gen(ALNUM_DASH, 43)],
        &[Lit("r8_"), Gen(ALNUM, 37)],
        &[Lit("hf_"), Gen(ALNUM, 34)],
        &[Lit("sk-or-v1-"), Gen(HEX, 64)],
        &[Lit("pcsk_"), Gen(ALNUM, 6), Lit("_"), Gen(ALNUM, 60)],
        &[Lit("pplx-"), Gen(ALNUM, 48)],
        &[Lit("xai-"), Gen(ALNUM_DASH, 80)],
        &[Lit("csk-"), Gen(ALNUM, 48)],
        &[Lit("nvapi-"), Gen(ALNUM_DASH, 64)],
        &[Lit("lsv2_pt_"), Gen(HEX, 32), Lit("_"), Gen(HEX, 10)],
    ];

    const TEMPLATES: &[&str] = &[
        "client = Client(api_key=\"{k}\", base_url=\"https://api.openai.com/v1\")",
        "{k}",
        "export TOGETHER_API_KEY={k}  # https://api.together.xyz",
        "headers = {\"Authorization\": \"Bearer {k}\"}  # https://api.groq.com",
        "url = \"https://api.x.ai/v1?key={k}&v=1\"",
        "  - {k}",
        "  \"token\": \"{k}\",",
        "# old key: {k}",
        "x = 1  # redflag:ignore RF3-HARDCODED-AI-KEY rotated, was {k}",
    ];

    const FILES: &[&str] = &[
        "app/client.py",
        "config/settings.yaml",
        ".env",
        "src/index.ts",
        "deploy/Dockerfile",
    ];

    const AROUND: &[u8] = b" \t\"'=:,;()[]{}<>#@!?*&%|";

    struct Pack {
        plan: ScanPlan,
        rest: Loaded,
        rules: Vec<regex::Regex>,
    }

    fn pack() -> &'static Pack {
        static PACK: std::sync::OnceLock<Pack> = std::sync::OnceLock::new();
        PACK.get_or_init(|| {
            let mut loaded = control::load(&LoadOptions::default());
            assert!(loaded.diags.is_empty(), "the built-in pack loads");
            let rules = loaded
                .catalogs
                .iter()
                .flat_map(|c| c.items.iter())
                .flat_map(|i| i.keys.iter())
                .map(|(_, rule)| regex::Regex::new(&rule.regex).unwrap())
                .collect();
            let plan = ScanPlan {
                matchers: std::mem::replace(&mut loaded.matchers, workspace::Matchers::empty()),
                queries: std::mem::take(&mut loaded.queries),
                nested_keys: Default::default(),
                workloads: Some(redflag::workspace::workload::Filter::everything()),
                doc_kinds: std::mem::take(&mut loaded.doc_kinds),
                not_evidence: std::mem::take(&mut loaded.not_evidence),
                max_file_size: 5 << 20,
                no_ignore: false,
                gitignore_only: false,
                threads: 1,
                exclude: None,
            };
            Pack {
                plan,
                rest: loaded,
                rules,
            }
        })
    }

    /// The fuzz target's body: `[format, template, file, flags, rest…]`.
    pub fn check(data: &[u8]) {
        let [format, template, file, flags, rest @ ..] = data else {
            return;
        };
        let mut bytes = rest.iter().copied().cycle();
        let mut key = String::new();
        let mut secrets: Vec<String> = Vec::new();
        for seg in FORMATS[*format as usize % FORMATS.len()] {
            match seg {
                Lit(s) => key.push_str(s),
                Gen(set, n) => {
                    let part: String = (0..*n)
                        .map(|i| char::from(set[(bytes.next().unwrap_or(i as u8) as usize) % set.len()]))
                        .collect();
                    key.push_str(&part);
                    secrets.push(part);
                }
            }
        }
        let pack = pack();
        assert!(
            pack.rules
                .iter()
                .any(|r| r.find(&key).is_some_and(|m| m.as_str() == key)),
            "generated key matches no catalogue key rule: {key}"
        );
        let around: String = rest
            .iter()
            .take(64)
            .map(|b| char::from(AROUND[*b as usize % AROUND.len()]))
            .collect();
        let (before, after) = around.split_at(around.len() / 2);
        let line = TEMPLATES[*template as usize % TEMPLATES.len()].replace("{k}", &key);
        let content = format!("{before} {line} {after}\nrequests.get(\"https://api.mistral.ai/v1\")\n");

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        support::write(&root, FILES[*file as usize % FILES.len()], &content);
        let use_line = "requests.get(\"https://api.deepseek.com/v1\")\n";
        match flags % 3 {
            0 => support::write(&root, format!("app/{key}.py"), use_line),
            1 => support::write(&root, format!("{key}/client.py"), use_line),
            _ => support::write(&root, format!("models/{key}.onnx"), "onnx"),
        };

        let target = TargetSpec {
            root: root.clone(),
            display: "repo".into(),
            evidence_only: false,
        };
        let ws = workspace::walk::scan(&pack.plan, vec![target], &|| {});
        let as_of = redflag::date::parse_iso(support::AS_OF).unwrap();
        let l = &pack.rest;
        let cx = redflag::check::Context::new(&ws, as_of, &l.catalogs, &l.signals, &l.doc_kind_info);
        let controls: Vec<&control::Control> = l.controls.controls.iter().collect();
        let mut report = redflag::report::build(&controls, &l.controls, &cx, &l.redactor);
        let inline: Vec<_> = ws
            .hits(l.inline_suppressions)
            .iter()
            .filter_map(|h| {
                let f = ws.file(h.file);
                redflag::policy::InlineSuppression::parse("repo", &l.redactor.path(&f.path), h.line, &h.text)
            })
            .collect();
        redflag::policy::apply(&mut report, &Default::default(), &inline, as_of);
        redflag::report::seal::seal(&mut report, &l.redactor);

        let meta = redflag::report::consultant::ReportMeta::default();
        let mut outputs: Vec<Vec<u8>> = vec![Vec::new(); 7];
        redflag::report::json::render(&report, &mut outputs[0]).unwrap();
        redflag::report::table::render(&report, Some(100), false, &mut outputs[1]).unwrap();
        redflag::report::sarif::render(&report, &mut outputs[2]).unwrap();
        redflag::report::junit::render(&report, &mut outputs[3]).unwrap();
        redflag::report::markdown::render(&report, &meta, &mut outputs[4]).unwrap();
        redflag::report::html::render(&report, &meta, &mut outputs[5]).unwrap();
        let plan = redflag::report::roadmap::plan_with(&report, as_of, None, &meta.controls);
        redflag::report::roadmap::render_text(&plan, &mut outputs[6]).unwrap();
        for out in &outputs {
            let text = String::from_utf8_lossy(out);
            let plain = text.replace('\\', "");
            for s in &secrets {
                for w in s.as_bytes().windows(16) {
                    if w.iter().collect::<std::collections::BTreeSet<_>>().len() < 8 {
                        continue;
                    }
                    let w = std::str::from_utf8(w).unwrap();
                    assert!(
                        !text.contains(w) && !plain.contains(w),
                        "`{w}` of the key {key} is printed:\n{text}"
                    );
                }
            }
        }
    }

    /// Every format, template and kind of name once, with a fixed random part.
    #[test]
    fn every_catalog_key_format_is_masked_in_every_rendering() {
        let random: Vec<u8> = (0u32..200)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for format in 0..FORMATS.len() {
            let template = format % TEMPLATES.len();
            let mut data = vec![format as u8, template as u8, format as u8, (format % 3) as u8];
            data.extend(&random);
            check(&data);
        }
        for template in 0..TEMPLATES.len() {
            for flags in 0..3u8 {
                let mut data = vec![template as u8 * 5 + flags, template as u8, flags, flags];
                data.extend(&random);
                check(&data);
            }
        }
    }

    proptest! {
        #![proptest_config(cfg(16))]

        #[test]
        fn no_generated_key_survives_rendering(data in proptest::collection::vec(any::<u8>(), 4..200)) {
            check(&data);
        }
    }
}
