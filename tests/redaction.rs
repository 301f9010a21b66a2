//! Secrets never printed. One secret of each kind is planted where a control shows its
//! line as evidence — beside an AI vendor call, in a vendor-register row, on a Kubernetes
//! RBAC line, in a CI workflow — and every output format (all `--format` values, the extra
//! `FORMAT=FILE` outputs, standard error and the baseline file) is searched for it.

mod support;

use std::path::Path;
use std::time::Duration;

use clap::ValueEnum as _;
use support::*;

/// A planted secret: its kind, the text as written, and fragments of it that must never
/// be printed.
struct Secret {
    kind: &'static str,
    text: &'static str,
    fragments: &'static [&'static str],
}

const SECRETS: &[Secret] = &[
    Secret {
        kind: "Anthropic API key",
        text: AI_KEY,
        fragments: &[AI_KEY_SECRET, "Kw7Rq1Ev9Lx3BAAA"],
    },
    Secret {
        kind: "OpenAI project key",
        text: "sk-proj-Rt5Yh8Jk2Lm4Np6Qs9Uv1WxT3BlbkFJz3Ab5Cd7Ef9Gh1Ij3Kl",
        fragments: &["Rt5Yh8Jk2Lm4Np6Qs9Uv", "z3Ab5Cd7Ef9Gh1Ij3Kl"],
    },
    Secret {
        kind: "AWS access key id",
        text: "aws_access_key_id=AKIAZ7Q4MDX3RHTP5N2W",
        fragments: &["Z7Q4MDX3RHTP5N2W"],
    },
    Secret {
        kind: "AWS secret access key",
        text: "aws_secret_access_key = 'Jx9/qLr2Tz8vWm4KpB6nYc1HdE5sFgA3uZo7iXeV'",
        fragments: &["Jx9/qLr2Tz8vWm4KpB6n", "Yc1HdE5sFgA3uZo7iXeV"],
    },
    Secret {
        kind: "private key in a JSON string",
        text: r#"{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Rfz\nq3VdK8LmN2pX5rT9wY4zB6cE1gH7jU0iO3aS\n-----END PRIVATE KEY-----\n"}"#,
        fragments: &["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "q3VdK8LmN2pX5rT9wY4zB6cE1gH7jU0iO3aS"],
    },
    Secret {
        kind: "OpenSSH private key",
        text: "-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB",
        fragments: &["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE"],
    },
    Secret {
        kind: "bearer token",
        text: "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyZWRmbGFnLXRlc3QifQ.Qm9ndXNTaWduYXR1cmVGb3JUZXN0cw",
        fragments: &["eyJzdWIiOiJyZWRmbGFnLXRlc3QifQ", "Qm9ndXNTaWduYXR1cmVGb3JUZXN0cw"],
    },
    Secret {
        kind: "basic auth header",
        text: "Authorization: Basic YWRtaW46c3VwZXJzZWNyZXRwYXNz",
        fragments: &["YWRtaW46c3VwZXJzZWNyZXRwYXNz"],
    },
    Secret {
        kind: "connection string with a password",
        text: "postgresql://svc_llm:Wq8-zR4p-Lm2-Vx7@db.internal:5432/prod",
        fragments: &["Wq8-zR4p-Lm2-Vx7"],
    },
    Secret {
        kind: "connection string with a password and no user",
        text: "redis://:Kd93hfTq0pLzW@cache.internal:6379/0",
        fragments: &["Kd93hfTq0pLzW"],
    },
    Secret {
        kind: "token as the user of a URL",
        text: "https://glpat-Hb7Nq2Xs9Kd4Lm6Pw3Rt:x-oauth-basic@gitlab.example.com/a/b.git",
        fragments: &["Hb7Nq2Xs9Kd4Lm6Pw3Rt"],
    },
    Secret {
        kind: "GitHub token",
        text: "ghp_Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL",
        fragments: &["Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL"],
    },
    Secret {
        kind: "Slack bot token",
        text: "xoxb-2748103948-5829104738-Pq7Rs9Tu1Vw3Xy5Za",
        fragments: &["2748103948-5829104738-Pq7Rs9Tu1Vw3Xy5Za"],
    },
    Secret {
        kind: "Stripe live key",
        text: "sk_live_51Hq8Zr4Lm2Np6Vx9Tb3Kc7Wd",
        fragments: &["51Hq8Zr4Lm2Np6Vx9Tb3Kc7Wd"],
    },
    Secret {
        kind: "password assignment",
        text: "password = \"Tr0ub4dor&3xyzQ\"",
        fragments: &["Tr0ub4dor&3xyzQ"],
    },
];

/// AI vendor hosts, one per secret: each secret's code line is that vendor's only usage,
/// so the inventory and vendor-register controls show it as evidence.
const HOSTS: &[(&str, &str)] = &[
    ("api.openai.com", "OpenAI"),
    ("api.anthropic.com", "Anthropic"),
    ("api.mistral.ai", "Mistral"),
    ("api.cohere.com", "Cohere"),
    ("api.groq.com", "Groq"),
    ("api.together.xyz", "Together"),
    ("api.replicate.com", "Replicate"),
    ("openrouter.ai", "OpenRouter"),
    ("api.voyageai.com", "Voyage"),
    ("api.perplexity.ai", "Perplexity"),
    ("api.fireworks.ai", "Fireworks"),
    ("api.deepseek.com", "DeepSeek"),
    ("api.x.ai", "xAI"),
    ("api.elevenlabs.io", "ElevenLabs"),
    ("api.assemblyai.com", "AssemblyAI"),
    ("api.deepgram.com", "Deepgram"),
];

/// Plants every secret; returns the (path, line) of each line that holds one.
fn plant(root: &Path) -> Vec<(String, u32)> {
    assert!(HOSTS.len() >= SECRETS.len());
    let mut at = Vec::new();
    let mut code = String::from("import requests\n\n");
    let mut register = String::from(
        "# Vendor register\n\n| Vendor | DPA | SOC 2 Type II report | Notes |\n|---|---|---|---|\n",
    );
    for (i, s) in SECRETS.iter().enumerate() {
        let (host, vendor) = HOSTS[i];
        code.push_str(&format!(
            "r{i} = requests.post(\"https://{host}/v1/x\", data='{}')\n",
            s.text
        ));
        at.push(("app/clients.py".to_string(), 3 + i as u32));
        register.push_str(&format!("| {vendor} | Pending | none | {} |\n", s.text));
        at.push(("compliance/vendor-register.md".to_string(), 5 + i as u32));
    }
    write(root, "app/clients.py", code);
    write(root, "compliance/vendor-register.md", register);
    write(root, "app/key.py", format!("KEY = \"{AI_KEY}\"\n"));
    at.push(("app/key.py".to_string(), 1));
    // Query evidence (the RBAC line) and CI static keys.
    write(
        root,
        "k8s/rbac.yaml",
        format!(
            "kind: ClusterRoleBinding\nmetadata:\n  name: ops\nroleRef:\n  name: cluster-admin # {} {}\n",
            SECRETS[11].text, SECRETS[8].text
        ),
    );
    at.push(("k8s/rbac.yaml".to_string(), 5));
    write(
        root,
        ".github/workflows/deploy.yml",
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      AWS_ACCESS_KEY_ID: AKIAZ7Q4MDX3RHTP5N2W\n      AWS_SECRET_ACCESS_KEY: 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\n    steps:\n      - run: ./deploy.sh\n",
    );
    at
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        for f in s.fragments {
            if let Some(line) = text.lines().find(|l| l.contains(f)) {
                panic!("{what} prints the {} (`{f}`) in: {line}", s.kind);
            }
        }
    }
}

fn formats() -> Vec<String> {
    redflag::cli::Format::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value())
        .map(|v| v.get_name().to_string())
        .collect()
}

#[test]
fn no_secret_is_printed_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let planted = plant(&root);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let limit = Duration::from_secs(60);

    // The evidence really is shown: the JSON report points at the planted lines.
    let json = scan(&root, "json", &[], limit).json();
    let mut pointed = std::collections::BTreeSet::new();
    for f in json["findings"].as_array().unwrap() {
        for p in f["evidence"].as_array().unwrap() {
            if let (Some(path), Some(line)) = (p["path"].as_str(), p["line"].as_u64()) {
                pointed.insert((path.to_string(), line as u32));
            }
        }
    }
    let shown: Vec<_> = planted.iter().filter(|p| pointed.contains(*p)).collect();
    for (path, line) in [
        ("app/key.py", 1),
        ("k8s/rbac.yaml", 5),
        ("compliance/vendor-register.md", 5),
    ] {
        assert!(
            pointed.contains(&(path.to_string(), line)),
            "{path}:{line} is not shown as evidence, so the test proves nothing: {pointed:?}"
        );
    }
    assert!(
        shown.len() >= SECRETS.len(),
        "only {} of the planted lines are shown: {shown:?}",
        shown.len()
    );
    eprintln!("{} planted secret lines are shown as evidence", shown.len());

    // Every format, on standard output, with every other format written beside it.
    let formats = formats();
    assert!(formats.len() >= 4, "{formats:?}");
    for format in &formats {
        let extra: Vec<String> = formats
            .iter()
            .map(|f| format!("{f}={}", out.join(format!("{format}-out.{f}")).display()))
            .collect();
        let mut args: Vec<&str> = Vec::new();
        for e in &extra {
            args.push("--output");
            args.push(e);
        }
        let run = scan(&root, format, &args, limit);
        assert!(
            run.code == 0,
            "--format {format}: exit {} {}",
            run.code,
            run.stderr
        );
        let stdout = run.stdout_str();
        if matches!(format.as_str(), "table" | "json" | "junit") {
            assert!(
                stdout.contains("[redacted]"),
                "--format {format} shows no redacted line"
            );
        }
        assert_clean(&format!("--format {format}"), &stdout);
        assert_clean(&format!("stderr of --format {format}"), &run.stderr);
    }
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        assert_clean(&p.display().to_string(), &text);
    }

    // The baseline file (written on request) holds no secret either.
    let baseline = out.join("baseline.json");
    let mut c = redflag();
    c.args(["baseline", "--quiet", "--as-of", AS_OF, "--output"])
        .arg(&baseline)
        .arg(&root);
    let run = run(c, limit);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean("the baseline file", &std::fs::read_to_string(&baseline).unwrap());
}

/// Messages, labels, notes and inline waiver reasons are built from target content too (a
/// register cell, a record title, a comment): they are redacted like evidence lines.
#[test]
fn messages_and_notes_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let mut register =
        String::from("# Vendor register\n\n| Vendor | DPA | SOC 2 Type II report |\n|---|---|---|\n");
    // A negative value is quoted in the finding's message; a title names the record.
    for (i, s) in SECRETS.iter().enumerate() {
        let (_, vendor) = HOSTS[i];
        register.push_str(&format!("| {vendor} | not signed {} | none |\n", s.text));
    }
    write(&root, "compliance/vendor-register.md", register);
    let mut code = String::new();
    for (host, _) in HOSTS {
        code.push_str(&format!("requests.get(\"https://{host}/v1\")\n"));
    }
    write(&root, "app/clients.py", code);
    // A broken YAML register next to a secret: the parse error note must not quote it.
    write(
        &root,
        "compliance/vendors/list.yaml",
        format!(
            "vendors:\n  - name: OpenAI\n    token: {}\n   bad: [\n",
            SECRETS[11].text
        ),
    );
    // An inline waiver's reason is shown in every format (risk acceptances): a secret
    // written in it is redacted too.
    write(
        &root,
        "app/waived.py",
        format!(
            "x = 1  # redflag:ignore RF3-HARDCODED-AI-KEY rotated, was {}\n",
            SECRETS[11].text
        ),
    );
    // The test bites: messages do quote the register cells (redacted).
    let json = scan(&root, "json", &[], Duration::from_secs(60)).json();
    let reasons: Vec<&str> = json["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["location"] == "app/waived.py:1")
        .filter_map(|w| w["reason"].as_str())
        .collect();
    assert!(
        reasons.len() == 1 && reasons[0].starts_with("rotated, was ") && reasons[0].contains("[redacted]"),
        "{reasons:?}"
    );
    let quoted = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["message"].as_str().unwrap().contains("not signed")
                && f["message"].as_str().unwrap().contains("[redacted]")
        })
        .count();
    assert!(
        quoted >= 5,
        "only {quoted} messages quote a redacted register cell"
    );
    for format in formats() {
        let run = scan(&root, &format, &[], Duration::from_secs(60));
        assert_clean(&format!("--format {format}"), &run.stdout_str());
    }

    // Fingerprints come from the checks' keys, not the shown (redacted) messages: a baseline
    // written from this tree knows every finding of a scan of it.
    let baseline = dir.path().join("baseline.json");
    let mut c = redflag();
    c.args(["baseline", "--quiet", "--as-of", AS_OF, "--output"])
        .arg(&baseline)
        .arg(&root);
    let run = run(c, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_clean("the baseline file", &std::fs::read_to_string(&baseline).unwrap());
    let json = scan(
        &root,
        "json",
        &["--baseline", baseline.to_str().unwrap()],
        Duration::from_secs(60),
    )
    .json();
    assert_eq!(json["baseline"]["new"], 0, "{:#}", json["baseline"]);
}

/// A finding's fingerprint is the hash of its control and the check's key, as before
/// redaction reached messages: baselines written by earlier versions stay valid.
#[test]
fn fingerprints_do_not_depend_on_redaction() {
    // sha256("RF3-HARDCODED-AI-KEY\0app/key.py|key"), first 16 bytes.
    assert_eq!(
        redflag::report::build::fingerprint("RF3-HARDCODED-AI-KEY", "app/key.py|key"),
        "0fd266b09ee1ffd32a7ec9190868d1f5"
    );
}
