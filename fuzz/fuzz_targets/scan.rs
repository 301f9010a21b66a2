//! End to end: a small target tree of up to six files (names chosen by each part's first
//! byte) walked, checked and rendered in every report format. The built-in pack is loaded
//! once (as `app::assess` does per run), so each input costs only the walk and the checks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::control::{self, LoadOptions, Loaded};
use redflag::workspace::{self, ScanPlan, TargetSpec};

const NAMES: &[&str] = &[
    "compliance/vendor-register.md",
    "compliance/vendors.csv",
    "compliance/vendors.yaml",
    "docs/incident-response-plan.md",
    "records/access-review-2026-q2.md",
    "records/tabletop-2026-q1.md",
    "ml/lineage/dataset.md",
    "ml/lineage.yaml",
    "k8s/rbac.yaml",
    "k8s/policy.json",
    "infra/main.tf",
    "app/llm.py",
    "requirements.txt",
    "package.json",
    "pyproject.toml",
    ".gitignore",
];

struct Pack {
    plan: ScanPlan,
    rest: Loaded,
}

fn pack() -> &'static Pack {
    static PACK: std::sync::OnceLock<Pack> = std::sync::OnceLock::new();
    PACK.get_or_init(|| {
        let mut loaded = control::load(&LoadOptions::default());
        assert!(loaded.diags.is_empty(), "the built-in pack loads");
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
        Pack { plan, rest: loaded }
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = redflag_fuzz::scratch_dir("scan");
    for part in redflag_fuzz::parts(data, 6) {
        let Some((&sel, body)) = part.split_first() else {
            continue;
        };
        let p = dir.join(NAMES[sel as usize % NAMES.len()]);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    let pack = pack();
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
    let report = redflag::report::build(&controls, &l.controls, &cx, &l.redactor);
    let mut out = Vec::new();
    redflag::report::json::render(&report, &mut out).unwrap();
    redflag::report::table::render(&report, Some(100), false, &mut out).unwrap();
    redflag::report::sarif::render(&report, &mut out).unwrap();
    redflag::report::junit::render(&report, &mut out).unwrap();
});
