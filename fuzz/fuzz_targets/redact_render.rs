//! No key survives rendering: a tiny repository holding a key of a catalogue vendor format
//! (the format, the key's random part and the text around it chosen by the input) in a
//! file's content, in an inline waiver's reason and as a file or directory name, walked,
//! checked, waivers applied and rendered in every report format. The key's random part must
//! appear in no output. The built-in pack is loaded once (as `scan` does).
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::control::{self, LoadOptions, Loaded};
use redflag::workspace::{self, ScanPlan, TargetSpec};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM_DASH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+";
const HEX: &[u8] = b"0123456789abcdef";

/// A piece of a key: fixed text, or `n` characters drawn from a set (the secret).
enum Seg {
    Lit(&'static str),
    Gen(&'static [u8], usize),
}
use Seg::{Gen, Lit};

/// The key formats of `controls/catalog/ai-vendors.yaml` (each generated key is checked to
/// match one of the catalogue's key rules, so this table cannot drift from it unnoticed).
const FORMATS: &[&[Seg]] = &[
    &[Lit("sk-proj-"), Gen(ALNUM_DASH, 24), Lit("T3BlbkFJ"), Gen(ALNUM_DASH, 24)],
    &[Lit("sk-"), Gen(ALNUM, 20), Lit("T3BlbkFJ"), Gen(ALNUM, 20)],
    &[Lit("sk-ant-api03-"), Gen(ALNUM_DASH, 93)],
    &[Lit("ABSKQmVkcm9ja0FQSUtleS"), Gen(BASE64, 100)],
    &[Lit("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t"), Gen(BASE64, 40)],
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

/// Lines holding the key (`{k}`), most beside a vendor's API host so they are evidence.
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

const FILES: &[&str] = &["app/client.py", "config/settings.yaml", ".env", "src/index.ts", "deploy/Dockerfile"];

/// Text around the key: punctuation and spaces only, so it can never spell a key's part.
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
        Pack { plan, rest: loaded, rules }
    })
}

fuzz_target!(|data: &[u8]| {
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
        pack.rules.iter().any(|r| r.find(&key).is_some_and(|m| m.as_str() == key)),
        "generated key matches no catalogue key rule: {key}"
    );
    // Text before and after the key's line, from the rest of the input.
    let around: String = rest
        .iter()
        .take(64)
        .map(|b| char::from(AROUND[*b as usize % AROUND.len()]))
        .collect();
    let (before, after) = around.split_at(around.len() / 2);
    let line = TEMPLATES[*template as usize % TEMPLATES.len()].replace("{k}", &key);
    let content = format!("{before} {line} {after}\nrequests.get(\"https://api.mistral.ai/v1\")\n");

    let dir = redflag_fuzz::scratch_dir("redact_render");
    let write = |rel: String, body: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    write(FILES[*file as usize % FILES.len()].to_string(), &content);
    // The key as a name: a file, or a directory, holding a vendor's only use.
    let use_line = "requests.get(\"https://api.deepseek.com/v1\")\n";
    match flags % 3 {
        0 => write(format!("app/{key}.py"), use_line),
        1 => write(format!("{key}/client.py"), use_line),
        _ => write(format!("models/{key}.onnx"), "onnx"),
    }

    let target = TargetSpec {
        root: dir.clone(),
        display: "repo".into(),
        evidence_only: false,
    };
    let ws = workspace::walk::scan(&pack.plan, vec![target], &|| {});
    let as_of = redflag::date::parse_iso("2026-12-01").unwrap();
    let l = &pack.rest;
    let cx = redflag::check::Context::new(&ws, as_of, &l.catalogs, &l.signals, &l.doc_kind_info);
    let controls: Vec<&control::Control> = l.controls.controls.iter().collect();
    let mut report = redflag::report::build(&controls, &l.controls, &cx, &l.redactor);
    // As `app::assess`: inline waivers (their reasons are shown), then sealed again.
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
        // Markdown escapes `_` and `-` with a backslash: compared without them too.
        let text = String::from_utf8_lossy(out);
        let plain = text.replace('\\', "");
        for s in &secrets {
            for w in s.as_bytes().windows(16) {
                // A window of few distinct characters could be a table rule (`-----`).
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
});
