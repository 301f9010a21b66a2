//! Control fixtures: `tests/fixtures/<CONTROL-ID>/<case>/` is a mini-repository and
//! `<case>.expect` the exact result of evaluating only that control on it as of
//! 2026-12-01: the status, what a check examined (`examined:`) or why it does not apply or
//! is blocked (`reason:`), then one line per finding, `path:line | message` (the finding's
//! first evidence pointer; for something missing, where it should be). Case names start with `pass`, `gap` or `na`, which must agree
//! with the expected status. Every built-in control must have at least one `pass*` and one
//! `gap*` case.
//!
//! A case's `redflag.yaml`, if any, contributes only its `vendors:` declarations.
//!
//! Each case is its own test, named `CONTROL-ID/case` (a `libtest-mimic` harness), so
//! `cargo test --test controls RF1-JIT-ACCESS` runs one control's cases and a failure names
//! its case. `REDFLAG_BLESS=1 cargo test --test controls` rewrites the `.expect` files from
//! the current results; review the diff before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

use redflag::report::{Report, Status};
use redflag::settings::Settings;

const AS_OF: &str = "2026-12-01";

fn render(report: &Report, id: &str) -> String {
    let control = report
        .controls
        .iter()
        .find(|c| c.id == id)
        .expect("control evaluated");
    let status = match control.status {
        Status::Pass => "pass",
        Status::Gap => "gap",
        Status::NotApplicable => "not_applicable",
        Status::Manual => "manual",
        Status::Blocked => "blocked",
    };
    let mut out = format!("status: {status}\n");
    // What a pass examined, why a control does not apply or is blocked.
    if let Some(e) = &control.examined {
        let _ = writeln!(out, "examined: {e}");
    }
    if let Some(r) = &control.reason {
        let _ = writeln!(out, "reason: {r}");
    }
    for f in report.findings.iter().filter(|f| f.control_id == id) {
        let loc = match f.evidence.first() {
            Some(p) => match p.line {
                Some(l) => format!("{}:{l}", p.path),
                None => p.path.clone(),
            },
            None => "-".to_string(),
        };
        let _ = writeln!(out, "{loc} | {}", f.message);
    }
    out
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test(
            "every_builtin_control_has_a_passing_and_a_gapping_fixture",
            wrap(every_builtin_control_has_a_passing_and_a_gapping_fixture),
        ),
        Trial::test(
            "builtin_table_matches_the_controls_directory",
            wrap(builtin_table_matches_the_controls_directory),
        ),
        Trial::test(
            "cadence_window_at_quarter_boundaries",
            wrap(cadence_window_at_quarter_boundaries),
        ),
    ];
    trials.extend(fixture_trials());
    libtest_mimic::run(&args, trials).exit();
}

/// A plain test (asserting, panicking) as a trial.
fn wrap(test: fn()) -> impl FnOnce() -> Result<(), Failed> + Send + 'static {
    move || {
        test();
        Ok(())
    }
}

/// One trial per fixture case, `CONTROL-ID/case`.
fn fixture_trials() -> Vec<Trial> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut trials = Vec::new();
    for control_dir in cases(&root) {
        let id = control_dir.file_name().unwrap().to_string_lossy().to_string();
        for case in cases(&control_dir) {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let trial_id = id.clone();
            trials.push(Trial::test(format!("{id}/{name}"), move || {
                fixture_case(&trial_id, &control_dir_of(&case), &case)
            }));
        }
    }
    assert!(!trials.is_empty(), "no fixtures found");
    trials
}

fn control_dir_of(case: &Path) -> PathBuf {
    case.parent().unwrap().to_path_buf()
}

/// Evaluates control `id` alone on `case` and compares with `<case>.expect`.
fn fixture_case(id: &str, control_dir: &Path, case: &Path) -> Result<(), Failed> {
    let bless = std::env::var_os("REDFLAG_BLESS").is_some();
    let as_of = redflag::date::parse_iso(AS_OF).unwrap();
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let mut settings = Settings::for_paths(&[case.to_path_buf()], as_of);
    settings.only = vec![id.to_string()];
    // A case may declare vendor roles (`vendors:`) in its own redflag.yaml.
    let config = case.join("redflag.yaml");
    if config.is_file() {
        settings.vendors = redflag::settings::read_config(&config)
            .map_err(|e| format!("{e:#}"))?
            .vendors;
    }
    let report = redflag::app::assess(&settings).map_err(|e| format!("{e:#}"))?;
    let got = render(&report, id);
    let expect_path = control_dir.join(format!("{name}.expect"));
    if bless {
        std::fs::write(&expect_path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&expect_path).unwrap_or_default();
    let mut failures = Vec::new();
    if got != want {
        failures.push(format!("--- expected\n{want}--- got\n{got}"));
    }
    let prefix_status = if name.starts_with("pass") {
        "status: pass"
    } else if name.starts_with("gap") {
        "status: gap"
    } else if name.starts_with("na") {
        "status: not_applicable"
    } else if name.starts_with("blocked") {
        "status: blocked"
    } else {
        "status: ?"
    };
    if !got.starts_with(prefix_status) {
        failures.push(format!(
            "the case name says `{prefix_status}` but got `{}`",
            got.lines().next().unwrap_or("")
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn every_builtin_control_has_a_passing_and_a_gapping_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let loaded = redflag::control::load(&redflag::control::LoadOptions::default());
    assert!(loaded.diags.is_empty(), "{:?}", loaded.diags);
    let mut missing = Vec::new();
    for c in &loaded.controls.controls {
        let dir = root.join(c.id.as_str());
        let names: Vec<String> = if dir.is_dir() {
            cases(&dir)
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
                .collect()
        } else {
            Vec::new()
        };
        for prefix in ["pass", "gap"] {
            if !names.iter().any(|n| n.starts_with(prefix)) {
                missing.push(format!("{} has no `{prefix}*` fixture", c.id));
            }
        }
    }
    for dir in cases(&root) {
        let id = dir.file_name().unwrap().to_string_lossy().to_string();
        if loaded.controls.get(&id).is_none() {
            missing.push(format!("fixture directory {id} names no control"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

fn builtin_table_matches_the_controls_directory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("controls");
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                on_disk.push(format!(
                    "{}/{}",
                    p.file_name().unwrap().to_string_lossy(),
                    e.file_name().to_string_lossy()
                ));
            }
        } else if p.extension().is_some_and(|e| e == "yaml")
            && p.file_name().unwrap() != "tsc.yaml"
            && p.file_name().unwrap() != "red_flags.yaml"
        {
            on_disk.push(p.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    on_disk.sort();
    let table: Vec<String> = redflag::control::builtin::BUILTIN
        .iter()
        .map(|(n, _)| (*n).to_string())
        .collect();
    assert_eq!(table, on_disk, "controls/ and control::builtin::BUILTIN disagree");
}

/// The cadence window around quarter boundaries, on one fixture (records dated 2026-06-30,
/// the last day of Q2; 2026-08-04; and 2026-10-01, the first day of Q4) assessed on several
/// days: the window is the K complete quarters before the as-of date, or the K ending with
/// the current quarter once that quarter holds a record; the current quarter is never
/// missing, and a record dated after the as-of date does not exist yet.
fn cadence_window_at_quarter_boundaries() {
    let id = "RF4-TABLETOP-CADENCE";
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/RF4-TABLETOP-CADENCE/pass-current-quarter");
    let run = |as_of: &str| {
        let mut settings = Settings::for_paths(
            std::slice::from_ref(&case),
            redflag::date::parse_iso(as_of).unwrap(),
        );
        settings.only = vec![id.to_string()];
        render(&redflag::app::assess(&settings).unwrap(), id)
    };
    let missing = |q: &str, found: &str| {
        format!("status: gap\ncompliance/tabletops/{found} | No tabletop exercise record for {q}\n")
    };
    // As of the first day of Q4, the record held that day counts: 2026-Q2..Q4.
    assert_eq!(run("2026-10-01"), "status: pass\n");
    // The day before, it does not exist yet; Q3 holds a record, so the window is Q1..Q3.
    assert_eq!(
        run("2026-09-30"),
        missing(
            "2026-Q1 (records found for 2026-Q3, 2026-Q2)",
            "drift-anomaly.md:3"
        )
    );
    // As of the first day of Q3, the current quarter has no record yet and is not missing:
    // the three complete quarters 2025-Q4..2026-Q2, where the last day of Q2 counts for Q2.
    assert_eq!(
        run("2026-07-01"),
        missing(
            "2025-Q4 and 2026-Q1 (record found for 2026-Q2)",
            "support-jailbreak.md:3"
        )
    );
    // As of the first day of 2027-Q1: the three complete quarters of 2026 all hold one.
    assert_eq!(run("2027-01-01"), "status: pass\n");
    // A quarter later the oldest one has left the window and 2027-Q1 is missing.
    assert_eq!(
        run("2027-04-01"),
        missing(
            "2027-Q1 (records found for 2026-Q4, 2026-Q3)",
            "poisoned-feedback.md:3"
        )
    );
}
