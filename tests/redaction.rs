//! Secrets never printed. One secret of each kind is planted where a control shows its
//! line as evidence — beside an AI vendor call, in a vendor-register row, on a Kubernetes
//! RBAC line, in a CI workflow — and every output format (all `--format` values, the extra
//! `FORMAT=FILE` outputs, standard error and the baseline file) is searched for it.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

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

/// Unprefixed vendor keys known only by the keys above them in a configuration file
/// (`azureOpenAI:` → `key:`): no line-level secret shape masks `key: <32 hex>`, so only
/// the nested-key evidence's own masking keeps them out. (path, text, line, key)
const NESTED: &[(&str, &str, u32, &str)] = &[
    (
        "config/llm.yaml",
        "azureOpenAI:\n  endpoint: https://contoso-eu.openai.azure.com\n  key: 5c0e7b2a9d4f1e8c3b6a0d5f2e9c7a41\n",
        3,
        "5c0e7b2a9d4f1e8c3b6a0d5f2e9c7a41",
    ),
    (
        "config/search.json",
        "{\n  \"providers\": {\n    \"cohere\": {\"token\": \"Rk4Tz9Lw2Qx7Vb3Nc8Mh5Jp1Sd6Fg0Ya2Ue7Io4K\"}\n  }\n}\n",
        3,
        "Rk4Tz9Lw2Qx7Vb3Nc8Mh5Jp1Sd6Fg0Ya2Ue7Io4K",
    ),
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
    for (path, text, line, _) in NESTED {
        write(root, path, text);
        at.push((path.to_string(), *line));
    }
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
    for (path, _, _, key) in NESTED {
        if let Some(line) = text.lines().find(|l| l.contains(&key[4..24])) {
            panic!("{what} prints the nested key of {path} in: {line}");
        }
    }
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
        .filter_map(clap::ValueEnum::to_possible_value)
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
        (NESTED[0].0, NESTED[0].2),
        (NESTED[1].0, NESTED[1].2),
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

/// A random-looking tail for generated keys (no `/`, so a key can also be a file name).
const TAIL: &str =
    "Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkLq1Ew3Rt5Yu7Io9Pa2Sd4Fg6Hj8Kl0Zx2Cv4Bn6Mq8Wr1Ty3Ui5Op7As9Df";

/// The five catalogue key formats that had no redaction rule: (kind, shown prefix, key).
fn catalog_keys() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "Bedrock long-lived key",
            "ABSK",
            format!("ABSKQmVkcm9ja0FQSUtleS{}", &TAIL[..90]),
        ),
        (
            "Bedrock short-lived key",
            "bedrock-api-key-",
            format!("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{}", &TAIL[3..40]),
        ),
        ("Together key", "tgp_v1_", format!("tgp_v1_{}", &TAIL[7..50])),
        ("NVIDIA key", "nvapi-", format!("nvapi-{}", &TAIL[11..75])),
        (
            "LangSmith key",
            "lsv2_",
            "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".to_string(),
        ),
    ]
}

/// The secret part of a key: what follows its vendor prefix (`ABSK` and the constant
/// base64 of `BedrockAPIKey-` are not secret; the end is).
fn secret_part(key: &str) -> String {
    key[key.len() - 24..].to_string()
}

/// Name-based forms: (kind, line, secret). Every secret is different, so a survivor names
/// its form.
fn forms() -> Vec<(&'static str, String, String)> {
    let s = |i: usize| format!("Rf{i:02}q8Lm2Vx7Tb3Kc9Wd");
    let mut v = vec![
        (
            "subscript assignment",
            format!(r#"os.environ["AZURE_OPENAI_API_KEY"] = "{}""#, s(1)),
            s(1),
        ),
        (
            "setdefault",
            format!(r#"os.environ.setdefault("X_API_KEY", "{}")"#, s(2)),
            s(2),
        ),
        (
            "putenv pair",
            format!(r#"os.putenv("SERVICE_TOKEN", "{}")"#, s(3)),
            s(3),
        ),
        (
            "putenv NAME=value",
            format!(r#"putenv("PAYMENTS_API_KEY={}");"#, s(4)),
            s(4),
        ),
        (
            "Go os.Setenv",
            format!(r#"os.Setenv("DB_PASSWORD","{}")"#, s(5)),
            s(5),
        ),
        (
            "Java System.setProperty",
            format!(r#"System.setProperty("db.password","{}");"#, s(6)),
            s(6),
        ),
        ("Dockerfile ENV", format!("ENV X_API_KEY {}", s(7)), s(7)),
        ("Dockerfile ENV =", format!("ENV X_API_KEY={}", s(8)), s(8)),
        (
            "aws configure set",
            format!("aws configure set aws_secret_access_key {}", s(9)),
            s(9),
        ),
        (
            "auth tuple",
            format!(r#"requests.get(u, auth=("svc-user", "{}"))"#, s(10)),
            s(10),
        ),
        (
            "curl -u",
            format!("curl -u svc-user:{} https://status.internal/x", s(11)),
            s(11),
        ),
        (
            "Authorization: Token",
            format!(r#"-H "Authorization: Token {}""#, s(12)),
            s(12),
        ),
        (
            "Authorization: ApiKey",
            format!("Authorization: ApiKey {}", s(13)),
            s(13),
        ),
        (
            "type-annotated assignment",
            format!(r#"const apiKey: string = "{}";"#, s(14)),
            s(14),
        ),
        ("Ruby =>", format!(r#":api_key => "{}","#, s(15)), s(15)),
    ];
    v.push((
        "quoted value with commas and spaces",
        r#"password = "Tq7 Lm2, Wx9 Pz4 Rb8""#.to_string(),
        "Lm2, Wx9 Pz4".to_string(),
    ));
    v.push((
        "quoted pair with spaces",
        r#"System.setProperty("app.secret", "Gh5 Jk8 Np3 Qs6")"#.to_string(),
        "Jk8 Np3".to_string(),
    ));
    v
}

/// Vendor hosts (one per planted line, so each line is its vendor's only use and shown).
const MORE_HOSTS: &[(&str, &str)] = &[
    ("api.cerebras.ai", "Cerebras"),
    ("integrate.api.nvidia.com", "NVIDIA API Catalog (NIM)"),
    ("api.smith.langchain.com", "LangSmith"),
    ("api.ai21.com", "AI21 Labs"),
    ("api.stability.ai", "Stability AI"),
    ("api.pinecone.io", "Pinecone"),
    ("generativelanguage.googleapis.com", "Google Gemini API"),
    ("router.huggingface.co", "Hugging Face"),
];

fn assert_none(what: &str, text: &str, fragments: &[(String, String)]) {
    for (kind, f) in fragments {
        if let Some(line) = text.lines().find(|l| l.contains(f.as_str())) {
            panic!("{what} prints the {kind} (`{f}`) in: {line}");
        }
    }
}

/// Every fragment the new tests plant: catalogue keys (secret parts) and name-based forms.
fn fragments() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = catalog_keys()
        .into_iter()
        .map(|(kind, _, key)| (kind.to_string(), secret_part(&key)))
        .collect();
    v.extend(forms().into_iter().map(|(kind, _, s)| (kind.to_string(), s)));
    v
}

/// Plants the five catalogue key formats (as keys in code, in a waiver reason, in a
/// register cell, as a file name and as a directory name) and every name-based form (on a
/// line shown as evidence and in a register cell quoted by a finding). Returns the planted
/// (path, line) that must be shown as evidence.
fn plant_catalog_and_forms(root: &Path) -> Vec<(String, u32)> {
    let keys = catalog_keys();
    let forms = forms();
    let hosts: Vec<(&str, &str)> = HOSTS.iter().chain(MORE_HOSTS).copied().collect();
    assert!(hosts.len() >= forms.len());
    let mut shown = Vec::new();
    // Hard-coded keys: RF3-HARDCODED-AI-KEY shows each line.
    let mut code = String::new();
    for (i, (_, _, key)) in keys.iter().enumerate() {
        code.push_str(&format!("KEY_{i} = \"{key}\"\n"));
        shown.push(("app/keys.py".to_string(), i as u32 + 1));
    }
    write(root, "app/keys.py", code);
    // Name-based forms, each beside a vendor's only call: the inventory shows the line.
    let mut lines = String::new();
    for (i, (_, line, _)) in forms.iter().enumerate() {
        lines.push_str(&format!("{line}  # via https://{}/v1\n", hosts[i].0));
        shown.push(("app/forms.py".to_string(), i as u32 + 1));
    }
    write(root, "app/forms.py", lines);
    // A register whose cells quote forms and keys: findings quote negative cells.
    let mut register =
        String::from("# Vendor register\n\n| Vendor | DPA | SOC 2 Type II report |\n|---|---|---|\n");
    for (i, (_, line, _)) in forms.iter().enumerate() {
        register.push_str(&format!("| {} | not signed {line} | none |\n", hosts[i].1));
    }
    for (_, _, key) in &keys {
        register.push_str(&format!("| OpenAI | not signed, key {key} | none |\n"));
    }
    write(root, "compliance/vendor-register.md", register);
    // Waiver reasons that quote keys.
    let mut waived = String::new();
    for (_, _, key) in &keys {
        waived.push_str(&format!(
            "x = 1  # redflag:ignore RF3-HARDCODED-AI-KEY rotated, was {key}\n"
        ));
    }
    write(root, "app/waived.py", waived);
    // Keys as a file name and a directory name, each holding the only use of a vendor the
    // register does not list (shown as evidence, and copied by `init` into the register it
    // writes).
    write(
        root,
        format!("app/{}.py", keys[3].2),
        "requests.get(\"https://api.ai21.com/v1\")\n",
    );
    shown.push((format!("app/{}.py", keys[3].2), 1));
    write(
        root,
        format!("{}/client.py", keys[0].2),
        "requests.get(\"https://api.stability.ai/v1\")\n",
    );
    shown.push((format!("{}/client.py", keys[0].2), 1));
    // A model artifact named by a key (its lineage record's name comes from it).
    write(root, format!("models/{}.onnx", keys[4].2), "onnx");
    shown
}

#[test]
fn catalog_keys_and_name_based_forms_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let planted = plant_catalog_and_forms(&root);
    let fragments = fragments();
    let limit = Duration::from_secs(60);

    // The test bites: the planted lines are evidence, the keys are reported, the forms'
    // register cells are quoted, the waivers' reasons are shown.
    let json = scan(&root, "json", &[], limit).json();
    let mut pointed = std::collections::BTreeSet::new();
    let mut paths = Vec::new();
    for f in json["findings"].as_array().unwrap() {
        for p in f["evidence"].as_array().unwrap() {
            let path = p["path"].as_str().unwrap().to_string();
            pointed.insert((path.clone(), p["line"].as_u64().unwrap_or(0) as u32));
            paths.push(path);
        }
    }
    for c in json["controls"].as_array().unwrap() {
        for p in c["evidence"].as_array().unwrap() {
            let path = p["path"].as_str().unwrap().to_string();
            pointed.insert((path.clone(), p["line"].as_u64().unwrap_or(0) as u32));
            paths.push(path);
        }
    }
    let keys = catalog_keys();
    // Paths as shown are redacted: the planted ones are found by their shown names.
    for (path, line) in &planted {
        let shown_path = redflag::redact::builtin().path(path);
        assert!(
            pointed.contains(&(shown_path.clone(), *line)),
            "{shown_path}:{line} is not shown as evidence, so the test proves nothing: {pointed:?}"
        );
    }
    for (_, prefix, _) in &keys {
        assert!(
            paths.iter().any(|p| p.contains(&format!("{prefix}…[redacted]")))
                || json["findings"]
                    .to_string()
                    .contains(&format!("{prefix}…[redacted]")),
            "no `{prefix}…[redacted]` shown"
        );
    }
    let hard_coded = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control_id"] == "RF3-HARDCODED-AI-KEY")
        .count();
    assert!(hard_coded >= keys.len(), "{hard_coded} hard-coded key findings");
    let quoted = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("not signed"))
        .count();
    assert!(quoted >= 5, "only {quoted} messages quote a register cell");
    let reasons = json["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["reason"].as_str().unwrap().starts_with("rotated, was "))
        .count();
    assert_eq!(reasons, keys.len());
    assert!(
        paths.iter().any(|p| p.starts_with("ABSK…[redacted]/")),
        "the key-named directory is not shown: {paths:?}"
    );

    // Every format, on standard output and as extra output files.
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let formats = formats();
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
        assert_eq!(run.code, 0, "--format {format}: {}", run.stderr);
        assert_none(&format!("--format {format}"), &run.stdout_str(), &fragments);
        assert_none(&format!("stderr of --format {format}"), &run.stderr, &fragments);
    }
    for entry in std::fs::read_dir(&out).unwrap() {
        let p = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        assert_none(&p.display().to_string(), &text, &fragments);
    }

    // The baseline file.
    let baseline = out.join("baseline.json");
    let mut c = redflag();
    c.args(["baseline", "--quiet", "--as-of", AS_OF, "--output"])
        .arg(&baseline)
        .arg(&root);
    let r = run(c, limit);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_none(
        "the baseline file",
        &std::fs::read_to_string(&baseline).unwrap(),
        &fragments,
    );

    // `init` copies detected sites (paths) into the register it writes, and names lineage
    // records after model files: neither carries a key.
    let before: std::collections::BTreeSet<_> = files_under(&root).into_iter().collect();
    let mut c = redflag();
    c.args(["init", "--quiet", "--as-of", AS_OF]).arg(&root);
    let r = run(c, limit);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_none("init's summary", &r.stdout_str(), &fragments);
    let written: Vec<_> = files_under(&root)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    let register = root.join("compliance/ai-vendor-register.md");
    assert!(written.contains(&register), "init wrote no register: {written:?}");
    let text = std::fs::read_to_string(&register).unwrap();
    assert!(
        text.contains("## AI21 Labs") && text.contains("nvapi-…[redacted]"),
        "{text}"
    );
    for p in &written {
        assert_none(
            &format!("init's {}", p.display()),
            &std::fs::read_to_string(p).unwrap(),
            &fragments,
        );
        assert_none("init's file names", &p.display().to_string(), &fragments);
    }
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `merge` reads JSON reports written elsewhere: untrusted input. A hand-made report with a
/// secret in every string field is merged (with itself, so colliding targets are renamed)
/// and rendered in every format: no secret survives.
#[test]
fn merge_redacts_every_string_of_its_inputs() {
    let keys = catalog_keys();
    let forms = forms();
    let mut secrets: Vec<String> = keys.iter().map(|(_, _, k)| k.clone()).collect();
    secrets.extend(forms.iter().map(|(_, line, _)| line.clone()));
    secrets.push(SECRETS[11].text.to_string());
    secrets.push(SECRETS[4].text.to_string());
    let mut next = secrets.iter().cycle();
    let mut s = || next.next().unwrap().clone();
    let pointer = |s: &mut dyn FnMut() -> String| {
        serde_json::json!({
            "target": format!("repo-{}", s()),
            "path": format!("app/{}/x.py", s()),
            "line": 3,
            "snippet": s(),
            "label": format!("OpenAI · {}", s()),
        })
    };
    let report = serde_json::json!({
        "schema_version": "2",
        "tool": {"name": "redflag", "version": "0"},
        "as_of": AS_OF,
        "targets": [{"path": format!("repo-{}", s()), "files_scanned": 1, "bytes_scanned": 1, "role": "scan"}],
        "summary": {},
        "controls": [{
            "id": format!("RF3-X-{}", s()),
            "title": s(),
            "red_flag": 3,
            "severity": "critical",
            "tsc": [s()],
            "status": "gap",
            "findings": 1,
            "evidence": [pointer(&mut s), pointer(&mut s)],
            "remediation": format!("rotate\n{}\nnow", s()),
        }],
        "findings": [{
            "control_id": format!("RF3-X-{}", s()),
            "red_flag": 3,
            "severity": "critical",
            "tsc": [s()],
            "title": s(),
            "message": s(),
            "fingerprint": s(),
            "remediation": s(),
            "evidence": [pointer(&mut s), pointer(&mut s)],
            "baseline": "new",
            "waiver": {"source": s(), "reason": s(), "owner": s(), "expires": s()},
        }],
        "notes": [{"target": s(), "path": s(), "message": s()}],
        "waivers": [{
            "source": s(), "control": s(), "path": s(), "fingerprint": s(), "reason": s(),
            "owner": s(), "expires": s(), "status": s(), "matched": 1, "location": s(),
        }],
        "baseline": {
            "source": s(), "new": 1, "known": 0,
            "fixed": [{
                "fingerprint": s(), "control_id": s(), "path": s(), "message": s(),
                "first_seen": s(), "expires": s(),
            }],
        },
        "gate": {"fail_on": s(), "fail_on_score": null, "soft_fail": true},
    });
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(&a, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    std::fs::write(&b, serde_json::to_string(&report).unwrap()).unwrap();
    let mut fragments = fragments();
    fragments.extend(
        SECRETS
            .iter()
            .flat_map(|x| x.fragments.iter().map(|f| (x.kind.to_string(), (*f).to_string()))),
    );
    // Every planted value is somewhere in the input.
    let input = std::fs::read_to_string(&a).unwrap();
    for (kind, f) in &fragments {
        if secrets.iter().any(|x| x.contains(f.as_str())) {
            assert!(
                input.contains(f.as_str()) || input.contains(&f.replace('"', "\\\"")),
                "{kind}"
            );
        }
    }
    for format in formats() {
        let mut c = redflag();
        c.args(["merge", "--format", &format]).arg(&a).arg(&b);
        let r = run(c, Duration::from_secs(60));
        assert!(r.code <= 1, "merge --format {format}: {} {}", r.code, r.stderr);
        assert!(!r.stdout.is_empty(), "merge --format {format} printed nothing");
        assert_none(&format!("merge --format {format}"), &r.stdout_str(), &fragments);
        assert_none(
            &format!("stderr of merge --format {format}"),
            &r.stderr,
            &fragments,
        );
    }
    // An invalid report's error quotes the input: redacted too.
    let bad = dir.path().join("bad.json");
    let mut broken = report.clone();
    broken["findings"][0]["severity"] = serde_json::Value::String(keys[3].2.clone());
    std::fs::write(&bad, serde_json::to_string(&broken).unwrap()).unwrap();
    let mut c = redflag();
    c.args(["merge"]).arg(&bad);
    let r = run(c, Duration::from_secs(60));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unknown severity"), "{}", r.stderr);
    assert_none("merge's error", &r.stderr, &fragments);
}

/// Unprefixed keys found by context (a vendor-named variable or config key, a vendor
/// client's key argument): (kind, line, secret). Each secret differs from the others.
fn prefixless_keys() -> Vec<(&'static str, String, String)> {
    let hex = "9f3c1a7e5b2d8046c1e9a3f7b5d20e84";
    let cohere = "Qw7Er9Ty1Ui3Op5As7Df9Gh1Jk3Lz5Xc7Vb9Nm1R";
    let mistral = "Pa2Sd4Fg6Hj8Kl0Zx2Cv4Bn6Mq8Wr1Ty";
    let gemini = "AIzaSyD4kT9wQ2mX7rB1vN8cL5pH3jF6gZ0eYsU";
    vec![
        (
            "Azure OpenAI key in .env style",
            format!("AZURE_OPENAI_KEY={hex}"),
            hex[4..].to_string(),
        ),
        (
            "Cohere key in YAML",
            format!("cohere_api_key: {cohere}"),
            cohere[4..].to_string(),
        ),
        (
            "Cohere key given to its client",
            format!("co = cohere.ClientV2(\"{}\")", &cohere[..20].repeat(2)),
            cohere[4..20].to_string(),
        ),
        (
            "Mistral key in camelCase",
            format!("const mistralApiKey = \"{mistral}\";"),
            mistral[4..].to_string(),
        ),
        (
            "Gemini key",
            format!("genai.configure(api_key=\"{gemini}\")"),
            gemini[8..].to_string(),
        ),
    ]
}

#[test]
fn prefixless_keys_are_found_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let keys = prefixless_keys();
    let mut code = String::new();
    let mut register =
        String::from("# Vendor register\n\n| Vendor | DPA | SOC 2 Type II report |\n|---|---|---|\n");
    for (_, line, _) in &keys {
        code.push_str(line);
        code.push('\n');
        register.push_str(&format!("| Cohere | not signed {line} | none |\n"));
    }
    write(&root, "app/settings.py", code);
    write(&root, "compliance/vendor-register.md", register);
    let fragments: Vec<(String, String)> = keys.iter().map(|(k, _, s)| (k.to_string(), s.clone())).collect();
    let limit = Duration::from_secs(60);
    // The test bites: each line is a hard-coded key finding.
    let json = scan(&root, "json", &[], limit).json();
    let lines: std::collections::BTreeSet<u64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["control_id"] == "RF3-HARDCODED-AI-KEY")
        .filter(|f| f["evidence"][0]["path"] == "app/settings.py")
        .filter_map(|f| f["evidence"][0]["line"].as_u64())
        .collect();
    assert_eq!(lines, (1..=keys.len() as u64).collect(), "{json:#}");
    for format in formats() {
        let run = scan(&root, &format, &[], limit);
        assert_none(&format!("--format {format}"), &run.stdout_str(), &fragments);
        assert_none(&format!("stderr of --format {format}"), &run.stderr, &fragments);
    }
    // The redactor alone (what every other string goes through).
    for (kind, line, secret) in &keys {
        let shown = redflag::redact::redact(line);
        assert!(!shown.contains(secret.as_str()), "{kind}: {shown}");
    }
}
