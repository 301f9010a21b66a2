//! Linear cost: every parser and matcher, fed a pathological input and then one twice as
//! large, takes about twice as long. Time is this process's CPU time (not wall time, so
//! other processes on the machine do not skew it; the tests here run one at a time), the
//! best of three runs; a quadratic step would show a ratio near 4, and the bound is 3.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod support;

use std::time::Duration;

use redflag::workspace::{document, manifest, node};

/// The tests of this file run one at a time, so the process's CPU time is theirs.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// CPU time consumed so far by this process (parser and walker threads included).
fn cpu() -> Duration {
    // SAFETY: rusage is plain old data, written by the kernel.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF, no pointer kept.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t =
        |tv: libc::timeval| Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64);
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn cost(input: &str, f: &dyn Fn(&str)) -> Duration {
    (0..3)
        .map(|_| {
            let start = cpu();
            f(input);
            cpu() - start
        })
        .min()
        .unwrap()
}

/// Asserts that doubling `make(n)` about doubles the cost of `f` (retrying once at twice the
/// size, where fixed costs matter less, before failing).
/// Called with [`serial`] held: each test takes it first, so no other test's set-up (a
/// pack load, a tree written to disk) runs during a measurement.
fn assert_linear(name: &str, n: usize, make: &dyn Fn(usize) -> String, f: &dyn Fn(&str)) {
    let mut ratios = Vec::new();
    // The fixed cost (an empty input) is not part of what doubles.
    let fixed = cost(&make(0), f).as_secs_f64();
    for n in [n, 2 * n] {
        let (small, large) = (make(n), make(2 * n));
        let (a, b) = (cost(&small, f), cost(&large, f));
        let ratio = (b.as_secs_f64() - fixed) / (a.as_secs_f64() - fixed).max(1e-6);
        eprintln!(
            "{name}: {} bytes {a:?}, {} bytes {b:?}, ratio {ratio:.2}",
            small.len(),
            large.len()
        );
        if ratio < 3.0 {
            return;
        }
        ratios.push(ratio);
    }
    panic!("{name}: doubling the input multiplies the cost by {ratios:?}");
}

fn spawn_big<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn markdown_register_rows() {
    let _serial = serial();
    assert_linear(
        "Markdown register rows",
        20_000,
        &|n| {
            let mut s = String::from("# Vendors\n\n| Vendor | DPA | SOC 2 | Notes |\n|---|---|---|---|\n");
            for i in 0..n {
                s.push_str(&format!(
                    "| **V{i}** | no | 2026-01-{:02} | a: b: c |\n",
                    i % 28 + 1
                ));
            }
            s
        },
        &|t| {
            let (d, _) = document::parse("vendor-register.md", t);
            let _ = d.records.len();
        },
    );
}

#[test]
fn markdown_headings_and_fields() {
    let _serial = serial();
    assert_linear(
        "Markdown nested headings and Key: value lines",
        10_000,
        &|n| {
            (0..n)
                .map(|i| {
                    format!(
                        "{} H{i}\n- **Key {i}:** value {i}\nplain: text\n",
                        "#".repeat(i % 6 + 1)
                    )
                })
                .collect()
        },
        &|t| {
            let (d, _) = document::parse("incident-response-plan.md", t);
            for r in d.records.iter().step_by(97) {
                let _ = d.text(r.line, r.end_line);
            }
        },
    );
}

#[test]
fn markdown_single_long_line() {
    let _serial = serial();
    assert_linear(
        "one long Markdown line",
        200_000,
        &|n| {
            format!(
                "- **Key:** {}\n| {}\n",
                "a: ** __ `x` |".repeat(n / 15),
                "|".repeat(n)
            )
        },
        &|t| {
            let _ = document::parse("plan.md", t);
        },
    );
}

#[test]
fn csv_unterminated_quote() {
    let _serial = serial();
    assert_linear(
        "CSV with an unterminated quote",
        20_000,
        &|n| {
            let mut s = String::from("Vendor,DPA\n\"OpenAI,yes\n");
            for i in 0..n {
                s.push_str(&format!("V{i},\"no\"\"x\n"));
            }
            s
        },
        &|t| {
            let _ = document::parse("vendors.csv", t);
        },
    );
}

#[test]
fn yaml_documents_aliases_and_nesting() {
    let _serial = serial();
    spawn_big(|| {
        assert_linear(
            "YAML stream of small documents",
            2_000,
            &|n| "--- {a: [1, 2, {b: c}], d: &x e, f: *x}\n".repeat(n),
            &|t| {
                let _ = node::parse_yaml_stream(t);
            },
        );
        assert_linear(
            "YAML items nested 100 deep",
            100,
            &|n| format!("- {}x{}\n", "[".repeat(100), "]".repeat(100)).repeat(n),
            &|t| {
                let _ = node::parse_yaml_stream(t);
            },
        );
        assert_linear(
            "YAML alias fan-out",
            2_000,
            &|n| format!("a: &a [1, 2, 3, 4, 5]\nb:\n{}", "  - *a\n".repeat(n)),
            &|t| {
                let _ = node::parse_yaml_stream(t);
            },
        );
    });
}

#[test]
fn json_arrays_and_nesting() {
    let _serial = serial();
    assert_linear(
        "JSON array of objects",
        20_000,
        &|n| {
            format!(
                "[{}{{}}]",
                "{\"kind\": \"Role\", \"rules\": [[1], [2]], \"x\": \"\\\"]\"},\n".repeat(n)
            )
        },
        &|t| {
            let _ = node::Node::from_json(t);
        },
    );
}

#[test]
fn toml_manifests_with_many_dependencies() {
    let _serial = serial();
    assert_linear(
        "pyproject.toml dependencies",
        5_000,
        &|n| {
            let mut s = String::from("[project]\nname = \"x\"\ndependencies = [\n");
            for i in 0..n {
                s.push_str(&format!("  \"pkg-{i}>=1\",\n"));
            }
            s.push_str("]\n[tool.poetry.dependencies]\n");
            for i in 0..n {
                s.push_str(&format!("poetry-{i} = \"*\"\n"));
            }
            s
        },
        &|t| {
            let k = manifest::kind_of("pyproject.toml").unwrap();
            let _ = manifest::parse(k, "pyproject.toml", t).unwrap();
        },
    );
    assert_linear(
        "Cargo.toml dependency tables",
        5_000,
        &|n| {
            (0..n)
                .map(|i| format!("[dependencies.c{i}]\nversion = \"1\"\n"))
                .collect()
        },
        &|t| {
            let k = manifest::kind_of("Cargo.toml").unwrap();
            let _ = manifest::parse(k, "Cargo.toml", t);
        },
    );
}

#[test]
fn line_manifests() {
    let _serial = serial();
    for name in [
        "requirements.txt",
        "go.mod",
        "Gemfile",
        "pom.xml",
        "build.gradle",
        "setup.cfg",
    ] {
        assert_linear(
            name,
            20_000,
            &|n| {
                (0..n)
                    .map(|i| format!("<dependency><groupId>g{i}</groupId><artifactId>a</artifactId>\ngem 'g{i}'\nrequire g.io/m{i} v1\nimplementation(\"g:a{i}:1\")\n  p{i}>=1\n"))
                    .collect()
            },
            &|t| {
                let _ = manifest::parse(manifest::kind_of(name).unwrap(), name, t);
            },
        );
    }
}

#[test]
fn redaction_and_dates() {
    let _serial = serial();
    assert_linear(
        "redaction of a line full of near-secrets",
        20_000,
        &|n| "sk- AKIA password= Bearer :// -----BEGIN x@ ".repeat(n / 40),
        &|t| {
            let _ = redflag::redact::redact(t);
        },
    );
    assert_linear(
        "redaction of a line full of near-secrets of the name-based forms and catalogue keys",
        20_000,
        &|n| {
            "ENV X_API_KEY auth=(\"u\", -u a: Authorization: Token os.environ[\"API_KEY\"] = \" nvapi- ABSK tgp_v1_ "
                .repeat(n / 100)
        },
        &|t| {
            let _ = redflag::redact::redact(t);
        },
    );
    assert_linear(
        "redaction of a path of many names",
        20_000,
        &|n| "nvapi-x/sk-ant-api03-y/password=z/".repeat(n / 35),
        &|t| {
            let _ = redflag::redact::builtin().path(t);
        },
    );
    assert_linear(
        "dates in a long field",
        4_000,
        &|n| "2026-01-05 Q3 2026 2026-03 March 2026 ".repeat(n),
        &|t| {
            let _ = redflag::date::find_dates(t);
        },
    );
}

#[test]
fn content_matcher_on_one_long_line() {
    let _serial = serial();
    let mut b = redflag::workspace::matcher::MatcherBuilder::default();
    b.add("(?-u:\\b)import openai", &[], &[]);
    b.add("sk-ant-api03-[A-Za-z0-9_-]{80,}", &[], &[]);
    b.add("api\\.openai\\.com", &["*.js".to_string()], &[]);
    b.add("[a-z]+_API_KEY", &[], &[]);
    let m = b.build().unwrap();
    assert_linear(
        "content patterns on one minified line",
        400_000,
        &|n| "x=\"api.openai.com\";import openai;k=\"sk-ant-api03-abc\";OPENAI_API_KEY;".repeat(n / 70),
        &|t| {
            let mut out = Vec::new();
            m.scan("web/app.min.js", t.as_bytes(), &mut out);
        },
    );
    assert_linear(
        "content patterns on many short lines",
        400_000,
        &|n| "import openai\nx = 1\nOPENAI_API_KEY\n".repeat(n / 35),
        &|t| {
            let mut out = Vec::new();
            m.scan("app/main.py", t.as_bytes(), &mut out);
        },
    );
}

#[test]
fn terraform_resources() {
    let _serial = serial();
    assert_linear(
        "Terraform resources",
        2_000,
        &|n| {
            (0..n)
                .map(|i| format!("resource \"aws_iam_policy\" \"p{i}\" {{\n  policy = jsonencode({{ Statement = [{{ Action = \"s3:*\", Resource = \"*\" }}] }})\n}}\nresource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"b{i}\"\n}}\n"))
                .collect()
        },
        &|t| {
            let _ = redflag::workspace::iam::terraform(t);
        },
    );
}

/// The whole pipeline, checks included, on a register with many rows.
#[test]
fn end_to_end_register() {
    let _serial = serial();
    let as_of = redflag::date::parse_iso("2026-12-01").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::write(root.join("app/llm.py"), "import openai\nimport anthropic\n").unwrap();
    assert_linear(
        "scan of a repository with a large vendor register",
        40_000,
        &|n| {
            let mut s = String::from("| Vendor | DPA | SOC 2 Type II report |\n|---|---|---|\n");
            for i in 0..n {
                s.push_str(&format!(
                    "| OpenAI {i} | Signed 2026-01-0{} | Type II 2026-0{}-30 |\n",
                    i % 9 + 1,
                    i % 9 + 1
                ));
            }
            s
        },
        &|t| {
            std::fs::write(root.join("vendor-register.md"), t).unwrap();
            let mut s = redflag::settings::Settings::for_paths(std::slice::from_ref(&root), as_of);
            s.threads = 1;
            s.max_file_size = 64 << 20;
            let _ = redflag::app::assess(&s).unwrap();
        },
    );
}

/// A tree made by `build(dir, n)` under `base/n` (once, so the repeated runs of
/// [`assert_linear`] scan it without paying for its creation); its path is the input.
fn tree(base: &std::path::Path, n: usize, build: &dyn Fn(&std::path::Path, usize)) -> String {
    let dir = base.join(n.to_string());
    if !dir.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        build(&dir, n);
    }
    dir.to_string_lossy().into_owned()
}

/// The whole pipeline (walk, checks, report) on one target, on one walker thread.
fn assess(path: &str) {
    let as_of = redflag::date::parse_iso("2026-12-01").unwrap();
    let mut s = redflag::settings::Settings::for_paths(&[std::path::PathBuf::from(path)], as_of);
    s.threads = 1;
    let _ = redflag::app::assess(&s).unwrap();
}

/// Model files (empty `.pt` files) all in one directory: CODEOWNERS groups them by
/// directory and de-duplicates them (once a scan of the group for each file).
#[test]
fn model_files_in_one_directory() {
    let _serial = serial();
    let base = tempfile::tempdir().unwrap();
    assert_linear(
        "model files in one directory",
        4_000,
        &|n| {
            tree(base.path(), n, &|dir, n| {
                std::fs::create_dir_all(dir.join("models")).unwrap();
                for i in 0..n {
                    std::fs::write(dir.join(format!("models/m{i}.pt")), "").unwrap();
                }
            })
        },
        &assess,
    );
}

/// Model files against a CODEOWNERS file of ten times as many rules, none of which owns
/// them (once every rule tried for every file).
#[test]
fn codeowners_rules_and_model_files() {
    let _serial = serial();
    let base = tempfile::tempdir().unwrap();
    assert_linear(
        "CODEOWNERS rules × model files",
        3_200,
        &|n| {
            tree(base.path(), n, &|dir, n| {
                for i in 0..n {
                    let d = dir.join(format!("svc{}", i % (n / 10).max(1)));
                    std::fs::create_dir_all(&d).unwrap();
                    std::fs::write(d.join(format!("m{i}.pt")), "").unwrap();
                }
                let rules: String = (0..10 * n).map(|i| format!("/team{i}/ @t{i}\n")).collect();
                std::fs::write(dir.join("CODEOWNERS"), rules).unwrap();
            })
        },
        &assess,
    );
}

/// Model artifacts and a lineage record naming each of them, in reverse order (once the
/// whole record searched, and its lines normalised, for each artifact).
#[test]
fn model_artifacts_and_lineage_rows() {
    let _serial = serial();
    let base = tempfile::tempdir().unwrap();
    assert_linear(
        "model artifacts × lineage rows",
        2_000,
        &|n| {
            tree(base.path(), n, &|dir, n| {
                std::fs::create_dir_all(dir.join("models")).unwrap();
                let mut rows = String::from("# Lineage\n\n| Model | Dataset |\n|---|---|\n");
                for i in 0..n {
                    std::fs::write(dir.join(format!("models/churn-v{i}.onnx")), "").unwrap();
                    rows.push_str(&format!("| churn-v{} | tickets-{i} |\n", n - 1 - i));
                }
                std::fs::write(dir.join("lineage.md"), rows).unwrap();
            })
        },
        &assess,
    );
}

/// Many evidence documents and many pattern-dense files: what is kept of each (parsed
/// records, hits, usage sites) stays bounded, so peak memory grows with the tree, not
/// faster (the peak is checked in the child, by `wait4`). Scaled down from the red-team trees (32 registers of 5 MB; 1,000 files of
/// 145 KB whose every line matches a hundred patterns) to run in seconds in a debug build.
#[test]
fn many_registers_and_pattern_dense_files_are_bounded() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    // 8 vendor registers of 256 KB.
    let mut register = String::from("# Vendors\n\n| Vendor | DPA | SOC 2 | Notes |\n|---|---|---|---|\n");
    let mut i = 0;
    while register.len() < 256_000 {
        register.push_str(&format!(
            "| **V{i}** | no | 2026-01-{:02} | a: b: c |\n",
            i % 28 + 1
        ));
        i += 1;
    }
    for n in 0..8 {
        support::write(
            &root,
            format!("compliance/vendors/vendor-register-{n}.md"),
            &register,
        );
    }
    // 30 identical files of 145 KB, every line naming AI vendors' hosts and environment
    // variables and calling models.
    let line = "import openai; import anthropic; x = m.predict(a); joblib.load(f); torch.save(m); \
                Trainer(x); ks_2samp(a); m.fit(X) OPENAI_API_KEY ANTHROPIC_API_KEY COHERE_API_KEY \
                MISTRAL_API_KEY GROQ_API_KEY GEMINI_API_KEY https://api.openai.com \
                https://api.anthropic.com https://api.cohere.ai https://api.mistral.ai\n";
    let dense = line.repeat(145_000 / line.len());
    for n in 0..30 {
        support::write(&root, format!("src/m{}/f{n}.py", n / 10), &dense);
    }
    let run = support::scan(&root, "json", &["--threads", "2"], Duration::from_secs(90));
    eprintln!(
        "registers and dense files: {:?}, peak RSS {} MiB, exit {}",
        run.elapsed,
        run.max_rss_kib / 1024,
        run.code
    );
    let report = run.json();
    // The vendors in use have no register entry (one finding each, from the register check).
    assert!(
        support::has_finding(&report, "RF3-VENDOR-REGISTERED", None),
        "{report:#}"
    );
    assert!(
        run.max_rss_kib / 1024 < 250,
        "peak RSS {} MiB",
        run.max_rss_kib / 1024
    );
}
