//! Orchestration only: settings → controls → workspace → checks → report → renderer.
//! Each subcommand is a short sequence of calls into the stages; no stage reaches back.
//! This is the binary's edge: the only library module that prints (the `[lints]` table
//! denies printing everywhere else).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context as _, Result};

use crate::check::Context;
use crate::cli::{Cli, Command, ControlsCommand, Format, ListFormat};
use crate::control::{self, LoadOptions, Loaded};
use crate::policy::InlineSuppression;
use crate::report;
use crate::settings;
use crate::workspace::{self, ScanPlan};

/// Runs a command; the result is the process exit code (errors exit 2 in `main`).
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Baseline(args) => baseline(&args),
        Command::Init(args) => init(&args),
        Command::Merge(args) => merge(&args),
        Command::Controls(ControlsCommand::List { format, controls }) => list(format, controls),
        Command::Controls(ControlsCommand::Validate { dir }) => validate(dir),
        Command::Controls(ControlsCommand::Patterns { controls }) => patterns(controls),
        Command::Controls(ControlsCommand::Export { dir, force }) => export(&dir, force),
        Command::Explain { id, controls, config } => explain(&id, controls, config),
        Command::Man { command } => man(command.as_deref()),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "redflag", &mut std::io::stdout());
            Ok(0)
        }
    }
}

/// `redflag man [COMMAND]`: the man page generated from the command-line definition.
fn man(command: Option<&str>) -> Result<u8> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => {
            let sub = cmd
                .get_subcommands()
                .find(|c| c.get_name() == name)
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
                    anyhow::anyhow!(
                        "no command `{}` (commands: {})",
                        crate::text::printable(name),
                        names.join(", ")
                    )
                })?;
            sub.display_name(format!("redflag-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    write_stdout(&out)?;
    Ok(0)
}

/// Loads the pack, turning problems into one error listing every `file:line: message`.
fn load(opts: &LoadOptions) -> Result<Loaded> {
    let loaded = control::load(opts);
    if !loaded.diags.is_empty() {
        bail!("invalid control definitions:\n{}", format_diags(&loaded.diags));
    }
    Ok(loaded)
}

fn format_diags(diags: &[crate::check::compile::Diag]) -> String {
    diags
        .iter()
        .map(|d| {
            // A pack may come from a third party: its names and quoted text must not act on
            // the terminal.
            let (file, message) = (
                crate::text::printable(&d.file),
                crate::text::printable(&d.message),
            );
            match (d.line, d.column) {
                (Some(l), Some(c)) => format!("  {file}:{l}:{c}: {message}"),
                (Some(l), None) => format!("  {file}:{l}: {message}"),
                _ => format!("  {file}: {message}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn scan(args: &crate::cli::ScanArgs) -> Result<u8> {
    let settings = {
        let _t = crate::timings::Phase::start("settings");
        resolve(args)?
    };
    let (report, controls) = assess_with_controls(&settings)?;
    let _t = crate::timings::Phase::start("report metadata and rendering");
    let mut meta = report_meta(
        args.report.client.clone(),
        args.report.assessor.clone(),
        &args.report.scope,
        args.report.window_start.as_deref(),
        Some(&settings),
    )?;
    meta.controls = report::consultant::ControlText::from_set(&controls);
    meta.show_all = args.report.all;
    emit(
        &report,
        &meta,
        settings.format,
        settings.output.as_deref(),
        &settings.extra_outputs,
    )?;
    Ok(report.gate.exit_code)
}

/// The consultant-report metadata (cover, scope, planned window). Commit ids are read only
/// when a format shows them.
fn report_meta(
    client: Option<String>,
    assessor: Option<String>,
    scope: &[String],
    window_start: Option<&str>,
    settings: Option<&settings::Settings>,
) -> Result<report::consultant::ReportMeta> {
    let scope = report::consultant::parse_scope(scope)?;
    let window_start = match window_start {
        Some(s) => Some(
            crate::date::parse_iso(s)
                .ok_or_else(|| anyhow::anyhow!("invalid --window-start `{s}`: expected YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let cover = |f: &Format| matches!(f, Format::Markdown | Format::Html);
    let wants_cover =
        settings.is_some_and(|s| cover(&s.format) || s.extra_outputs.iter().any(|(f, _)| cover(f)));
    let target_commits = match settings {
        Some(s) if wants_cover => s
            .targets
            .iter()
            .map(|t| (t.display.clone(), report::consultant::head_commit(&t.root)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(report::consultant::ReportMeta {
        client,
        assessor,
        scope,
        window_start,
        target_commits,
        controls: Default::default(),
        show_all: false,
    })
}

/// Writes the report in every requested format.
fn emit(
    report: &report::Report,
    meta: &report::consultant::ReportMeta,
    format: Format,
    output: Option<&std::path::Path>,
    extra: &[(Format, std::path::PathBuf)],
) -> Result<()> {
    for (f, path) in extra {
        write_file(report, meta, *f, path)?;
    }
    match output {
        Some(path) => write_file(report, meta, format, path),
        None => {
            let width = if std::io::stdout().is_terminal() {
                None
            } else {
                Some(120)
            };
            write_stdout(&render(report, meta, format, width)?)
        }
    }
}

/// Renders the report in one format. The only place that knows every renderer.
fn render(
    report: &report::Report,
    meta: &report::consultant::ReportMeta,
    format: Format,
    width: Option<u16>,
) -> Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::new();
    match format {
        Format::Markdown => report::markdown::render(report, meta, &mut buf)?,
        Format::Html => report::html::render(report, meta, &mut buf)?,
        Format::Roadmap => {
            let plan = report::roadmap::plan_with(report, report.as_of, meta.window_start, &meta.controls);
            report::roadmap::render_text(&plan, &mut buf)?;
        }
        Format::Json => report::json::render(report, &mut buf)?,
        Format::Table => report::table::render(report, width, meta.show_all, &mut buf)?,
        Format::Sarif => report::sarif::render(report, &mut buf)?,
        Format::Junit => report::junit::render(report, &mut buf)?,
        Format::Csv => report::csv::render(report, &mut buf)?,
        Format::Oscal => report::oscal::render(report, &mut buf)?,
    }
    Ok(buf)
}

/// Writes a report file, never coloured.
fn write_file(
    report: &report::Report,
    meta: &report::consultant::ReportMeta,
    format: Format,
    path: &std::path::Path,
) -> Result<()> {
    let buf = render(report, meta, format, Some(120))?;
    let text = anstream::adapter::strip_bytes(&buf).into_vec();
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// `redflag init`: scan, then write the missing evidence files as templates with TODOs.
/// An explicit, requested write into the target; existing files are kept unless `--force`.
fn init(args: &crate::cli::InitArgs) -> Result<u8> {
    let settings = resolve(&args.scan)?;
    let (report, controls) = assess_with_controls(&settings)?;
    let root = args.scan.paths.first().cloned().unwrap_or_else(|| ".".into());
    let outcome = crate::init::init(&root, &report, &controls, args.force)?;
    write_stdout(outcome.summary().as_bytes())?;
    Ok(0)
}

/// `redflag merge`: one assessment from JSON reports produced separately.
fn merge(args: &crate::cli::MergeArgs) -> Result<u8> {
    let mut reports = Vec::new();
    for f in &args.files {
        let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let r = report::merge::read_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let name = f
            .file_name()
            .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().to_string());
        reports.push((name, r));
    }
    let plain: Vec<report::Report> = reports.iter().map(|(_, r)| r.clone()).collect();
    for w in report::merge::check_compatible(&plain) {
        eprintln!("warning: {}", crate::text::terminal_safe(&w));
    }
    let merged = report::merge::merge_named(reports);
    let mut meta = report_meta(
        args.report.client.clone(),
        args.report.assessor.clone(),
        &args.report.scope,
        args.report.window_start.as_deref(),
        None,
    )?;
    meta.show_all = args.report.all;
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, None) => Format::Json,
        (None, Some(path)) => Format::from_path(path).ok_or_else(|| {
            anyhow::anyhow!(
                "--output `{}`: cannot tell the format from the file name; use an extension \
                 (.json, .sarif, .xml, .md, .html, .csv, .txt) or --format (formats: {})",
                crate::text::printable(&path.display().to_string()),
                Format::names()
            )
        })?,
    };
    emit(&merged, &meta, format, args.output.as_deref(), &[])?;
    Ok(merged.gate.exit_code)
}

/// `redflag baseline`: scan, then write the findings as the baseline file (by default
/// `.redflag/baseline.json` in the first target). An explicit, requested write, like
/// `init`; a scan never writes into a target.
fn baseline(args: &crate::cli::BaselineArgs) -> Result<u8> {
    let mut scan_args = args.scan.clone();
    // An explicit `-o FILE` is the user's; the default path is inside the target, whose
    // directories the target's author controls: read and written without following links.
    let (path, inside) = match scan_args.output.first() {
        Some(p) => (std::path::PathBuf::from(p), None),
        None => {
            let root = scan_args.paths.first().cloned().unwrap_or_else(|| ".".into());
            let rel = std::path::PathBuf::from(crate::policy::baseline::DEFAULT_PATH);
            (root.join(&rel), Some((root, rel)))
        }
    };
    scan_args.output.clear();
    scan_args.baseline = None;
    let mut settings = resolve(&scan_args)?;
    settings.policy.baseline = None;
    let report = assess(&settings)?;
    let previous = match &inside {
        None if path.is_file() => Some(crate::policy::Baseline::read(&path).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
        Some((root, rel)) => {
            crate::fswrite::check_dirs(root, rel)?;
            if std::fs::symlink_metadata(&path).is_ok() {
                let bytes = crate::fsread::read_regular(&path, settings::MAX_BASELINE_SIZE)
                    .map_err(|e| anyhow::anyhow!("cannot read baseline {}: {e}", path.display()))?;
                let text = String::from_utf8_lossy(&bytes);
                let parsed = crate::policy::Baseline::parse(&path.display().to_string(), &text);
                Some(parsed.map_err(|e| anyhow::anyhow!(e))?)
            } else {
                None
            }
        }
    };
    let baseline = match (&previous, args.update) {
        (Some(prev), true) => prev.tightened(&report),
        (None, true) => bail!("--update needs an existing baseline at {}", path.display()),
        (prev, false) => crate::policy::Baseline::from_report(&report, prev.as_ref(), settings.as_of),
    };
    match &inside {
        Some((root, rel)) => {
            let mode = crate::fswrite::Mode::Replace;
            crate::fswrite::write_inside(root, rel, baseline.to_json().as_bytes(), mode)?;
        }
        None => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, baseline.to_json())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if !settings.quiet {
        eprint!(
            "{}",
            crate::text::terminal_safe(&baseline_changes(&path, previous.as_ref(), &baseline))
        );
    }
    Ok(0)
}

/// What `redflag baseline` did: the file, its size, and each entry it added (`+`) and
/// removed (`-`), so new gaps are never accepted silently.
fn baseline_changes(
    path: &std::path::Path,
    previous: Option<&crate::policy::Baseline>,
    baseline: &crate::policy::Baseline,
) -> String {
    use std::fmt::Write as _;
    const MAX_LINES: usize = 50;
    let had = |b: Option<&crate::policy::Baseline>, fp: &str| {
        b.is_some_and(|b| b.entries.iter().any(|e| e.fingerprint == fp))
    };
    let added: Vec<_> = baseline
        .entries
        .iter()
        .filter(|e| !had(previous, &e.fingerprint))
        .collect();
    let removed: Vec<_> = previous
        .map(|p| {
            p.entries
                .iter()
                .filter(|e| !had(Some(baseline), &e.fingerprint))
                .collect()
        })
        .unwrap_or_default();
    let mut s = format!(
        "wrote {}: {} ({} added, {} removed)\n",
        path.display(),
        crate::text::plural(baseline.entries.len(), "known gap"),
        added.len(),
        removed.len()
    );
    let lines = added
        .iter()
        .map(|e| ('+', e))
        .chain(removed.iter().map(|e| ('-', e)));
    for (sign, e) in lines.clone().take(MAX_LINES) {
        let _ = writeln!(s, "  {sign} {} {}  {}", e.control_id, e.path, e.message);
    }
    let total = added.len() + removed.len();
    if total > MAX_LINES {
        let _ = writeln!(
            s,
            "  … and {} more (the file lists every entry)",
            total - MAX_LINES
        );
    }
    s
}

/// Resolves the settings and, unless `--quiet`, warns on stderr about what a config file
/// found in the target asked for and was not obeyed (the report's notes say it too).
fn resolve(args: &crate::cli::ScanArgs) -> Result<settings::Settings> {
    let settings = settings::resolve(args)?;
    if !settings.quiet {
        for n in &settings.notes {
            let line = format!("warning: {}/{}: {}", n.target, n.path, n.message);
            eprintln!("{}", crate::text::terminal_safe(&line));
        }
    }
    Ok(settings)
}

/// Runs an assessment: load controls, walk the targets once, evaluate, build the report.
/// The library entry point (tests call it; `scan` renders its result).
pub fn assess(settings: &settings::Settings) -> Result<report::Report> {
    assess_with_controls(settings).map(|(report, _)| report)
}

/// [`assess`], also handing back the loaded controls (the consultant formats quote their
/// texts), so a run loads and compiles the pack once.
fn assess_with_controls(settings: &settings::Settings) -> Result<(report::Report, control::ControlSet)> {
    let mut loaded = {
        let _t = crate::timings::Phase::start("load controls");
        load(&settings.load)?
    };
    for sel in settings.only.iter().chain(&settings.skip) {
        let known = loaded.controls.get(sel).is_some()
            || sel
                .to_ascii_lowercase()
                .strip_prefix("rf")
                .and_then(|n| n.parse::<u8>().ok())
                .is_some_and(|n| (1..=5).contains(&n));
        if !known {
            // May come from the target's config file: made safe to print.
            let sel = crate::redact::shown(sel);
            bail!("unknown control `{sel}` in --only/--skip (see `redflag controls list`)");
        }
    }
    let plan = scan_plan(settings, &mut loaded)?;

    let progress = progress_bar(settings.quiet);
    let tick = || progress.inc(1);
    let walk = crate::timings::Phase::start("walk and match");
    let ws = workspace::walk::scan(&plan, settings.targets.clone(), &tick);
    drop(walk);
    progress.finish_and_clear();

    let mut cx = Context::new(
        &ws,
        settings.as_of,
        &loaded.catalogs,
        &loaded.signals,
        &loaded.doc_kind_info,
    );
    cx.vendor_roles = settings.vendors.clone();
    let (selected, out_of_scope): (Vec<&control::Control>, Vec<&control::Control>) = loaded
        .controls
        .controls
        .iter()
        .filter(|c| settings::selected(&c.id, c.red_flag, &settings.only, &settings.skip))
        .partition(|c| scope_reason(c, settings.scope.as_deref()).is_none());
    let redactor = &loaded.redactor;
    let evaluate = crate::timings::Phase::start("evaluate");
    let mut report = report::build(&selected, &loaded.controls, &cx, redactor);
    drop(evaluate);
    report.out_of_scope = out_of_scope
        .iter()
        .map(|c| report::OutOfScopeOut {
            id: c.id.clone(),
            title: crate::text::printable(&c.title).into_owned(),
            red_flag: c.red_flag,
            severity: c.severity,
            tsc: c.tsc.clone(),
            reason: scope_reason(c, settings.scope.as_deref()).unwrap_or_default(),
        })
        .collect();
    let mut notes = settings.notes.clone();
    let first_target = settings
        .targets
        .first()
        .map(|t| t.display.clone())
        .unwrap_or_default();
    notes.extend(loaded.refused.iter().map(|d| report::NoteOut {
        target: first_target.clone(),
        path: d.file.clone(),
        message: crate::redact::shown(&d.message),
    }));
    let mut inline: Vec<InlineSuppression> = ws
        .hits(loaded.inline_suppressions)
        .iter()
        .filter_map(|h| {
            let f = ws.file(h.file);
            // Named as the report names the finding's evidence (paths redacted).
            let target = redactor.path(&ws.targets[f.target as usize].display);
            InlineSuppression::parse(&target, &redactor.path(&f.path), h.line, &h.text)
        })
        .collect();
    if settings.untrusted {
        // A pull request could silence its own finding with a comment.
        notes.extend(inline.drain(..).map(|s| report::NoteOut {
            target: s.target.clone(),
            path: format!("{}:{}", s.path, s.line),
            message: format!(
                "inline `redflag:ignore {}` not obeyed: the target is untrusted (--untrusted)",
                s.control
            ),
        }));
    }
    add_setting_notes(&mut report, &notes);
    let mut policy = settings.policy.clone();
    if let Some(reference) = &settings.new_since {
        policy.baseline = Some(known_at(settings, reference)?);
    }
    crate::policy::apply(&mut report, &policy, &inline, settings.as_of);
    // Waivers (reasons, owners, paths), setting notes and the baseline's fixed entries
    // came in after `build`: sealed with the same redactor.
    report::seal::seal(&mut report, redactor);
    Ok((report, loaded.controls))
}

/// Why `--scope` leaves a control out (`None`: in scope, or no `--scope`): every criterion
/// it maps to is in a category outside the engagement.
fn scope_reason(c: &control::Control, scope: Option<&[String]>) -> Option<String> {
    let scope = scope?;
    let outside = control::tsc::outside_scope(&c.tsc, scope)?;
    let name = |id: &str| {
        let name = control::tsc::category_name(id);
        name.split(" (").next().unwrap_or(name).to_lowercase()
    };
    let outside: Vec<String> = outside.iter().map(|c| name(c)).collect();
    let inside: Vec<String> = std::iter::once("security")
        .chain(scope.iter().map(String::as_str))
        .map(name)
        .collect();
    let refs = |v: &[String]| crate::text::join_and(&v.iter().map(String::as_str).collect::<Vec<_>>());
    Some(format!(
        "out of scope: its criteria ({}) are in {}, outside --scope ({})",
        c.tsc.join(", "),
        refs(&outside),
        refs(&inside)
    ))
}

/// What the walk gathers: a scan of some controls runs only the patterns, queries and
/// workload readers they need (taken out of `loaded`).
fn scan_plan(settings: &settings::Settings, loaded: &mut control::Loaded) -> Result<ScanPlan> {
    let exclude = if settings.exclude.is_empty() {
        None
    } else {
        Some(
            workspace::matcher::glob_set(&settings.exclude)
                .map_err(|e| anyhow::anyhow!("config exclude: {}", crate::redact::shown(&e.to_string())))?,
        )
    };
    // A scan of some controls runs only the patterns and queries they read.
    let mut matchers = std::mem::take(&mut loaded.matchers);
    let mut queries = std::mem::take(&mut loaded.queries);
    let mut nested_keys = std::mem::take(&mut loaded.nested_keys);
    let mut readers: Vec<&workspace::workload::ModelHint> =
        loaded.workload_readers.iter().map(|(_, h)| h).collect();
    if !(settings.only.is_empty() && settings.skip.is_empty()) {
        let needed = loaded.owners.needed(selected_ids(&loaded.controls, settings));
        matchers.retain(|o| needed.contains(&o));
        for q in &mut queries {
            q.enabled = needed.contains(&q.owner);
        }
        for r in &mut nested_keys {
            r.enabled = needed.contains(&r.owner);
        }
        readers = loaded
            .workload_readers
            .iter()
            .filter(|(o, _)| needed.contains(o))
            .map(|(_, h)| h)
            .collect();
    }
    let workloads = (!readers.is_empty()).then(|| workspace::workload::Filter::new(&readers));
    Ok(ScanPlan {
        matchers,
        queries,
        nested_keys: workspace::nested_key::NestedKeys::new(nested_keys),
        workloads,
        doc_kinds: std::mem::take(&mut loaded.doc_kinds),
        not_evidence: std::mem::take(&mut loaded.not_evidence),
        max_file_size: settings.max_file_size,
        no_ignore: settings.no_ignore,
        gitignore_only: settings.untrusted,
        threads: settings.threads,
        exclude,
    })
}

/// The ids of the selected controls and of the controls they depend on (`requires`,
/// `defers_to`), whose results theirs read.
fn selected_ids<'a>(controls: &'a control::ControlSet, settings: &settings::Settings) -> Vec<&'a str> {
    let mut ids: Vec<&str> = controls
        .controls
        .iter()
        .filter(|c| settings::selected(&c.id, c.red_flag, &settings.only, &settings.skip))
        .map(|c| c.id.as_str())
        .collect();
    let mut i = 0;
    while i < ids.len() {
        if let Some(c) = controls.get(ids[i]) {
            for dep in c.requires.iter().chain(&c.defers_to) {
                if !ids.contains(&dep.as_str()) {
                    ids.push(dep);
                }
            }
        }
        i += 1;
    }
    ids
}

/// Adds what the settings refused (settings of a config file found in the target) to the
/// report's notes, so a reader of any format — or a CI job run with `--quiet` — sees what
/// was not obeyed. The notes stay in the walk's order (target, then path, then message)
/// and free of duplicates, so the report is the same on every run.
fn add_setting_notes(report: &mut report::Report, notes: &[report::NoteOut]) {
    if notes.is_empty() {
        return;
    }
    report.notes.extend(notes.iter().cloned());
    let targets: Vec<String> = report.targets.iter().map(|t| t.path.clone()).collect();
    let key = |n: &report::NoteOut| {
        let target = targets.iter().position(|t| *t == n.target).unwrap_or(usize::MAX);
        (target, n.path.clone(), n.message.clone())
    };
    report.notes.sort_by_cached_key(key);
    report
        .notes
        .dedup_by(|a, b| a.target == b.target && a.path == b.path && a.message == b.message);
}

/// The findings of the tree at a git revision, as a baseline: each target is read with
/// `git ls-tree` and `git cat-file` into a temporary directory and assessed there. No
/// checkout, branch, index or worktree of the user's repository is touched, and no hook,
/// filter or other configured command of the repository runs.
fn known_at(settings: &settings::Settings, reference: &str) -> Result<crate::policy::Baseline> {
    let scanned = || settings.targets.iter().filter(|t| !t.evidence_only);
    if reference == "HEAD" && scanned().all(|t| crate::gitread::head_is_unborn(&t.root)) {
        // Before the first commit (a pre-commit hook on a new repository): nothing is known.
        if !settings.quiet {
            eprintln!("note: --new-since HEAD: no commit yet, so every gap is new");
        }
        return Ok(crate::policy::Baseline {
            source: "git:HEAD (no commit yet)".to_string(),
            entries: Vec::new(),
        });
    }
    let dir = tempfile_dir()?;
    let mut old = settings::Settings {
        new_since: None,
        quiet: true,
        ..settings.clone()
    };
    old.policy.baseline = None;
    for (i, t) in old.targets.iter_mut().enumerate() {
        if t.evidence_only {
            continue;
        }
        let dest = dir.path().join(format!("t{i}"));
        let limits = crate::gitread::Limits::with_max_file_size(settings.max_file_size);
        crate::gitread::export_tree(&t.root, reference, &dest, &limits).with_context(|| {
            format!(
                "--new-since {reference}: cannot read {} at that revision",
                t.display
            )
        })?;
        t.root = dest;
    }
    let report = assess(&old)?;
    let mut baseline = crate::policy::Baseline::from_report(&report, None, settings.as_of);
    baseline.source = format!("git:{reference}");
    Ok(baseline)
}

/// Removed when dropped, on success and on error alike (not when the process is killed).
fn tempfile_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("redflag-")
        .tempdir()
        .context("cannot create a temporary directory")
}

/// Writes to stdout through anstream (strips colour when not a terminal or NO_COLOR is
/// set); a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = anstream::stdout();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

fn progress_bar(quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template("{spinner} scanning… {pos} files")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn patterns(dirs: Vec<std::path::PathBuf>) -> Result<u8> {
    let loaded = load(&LoadOptions {
        dirs,
        ..LoadOptions::default()
    })?;
    // One regex per line, as `rg -f` reads them: rg joins the lines into one alternation,
    // where the same group name twice is an error, so named groups are written unnamed.
    static NAMED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>").unwrap_or_else(|_| unreachable!())
    });
    let mut out = String::new();
    for p in loaded.matchers.sources() {
        out.push_str(&NAMED.replace_all(p, "(?:"));
        out.push('\n');
    }
    write_stdout(out.as_bytes())?;
    Ok(0)
}

fn list(format: ListFormat, dirs: Vec<std::path::PathBuf>) -> Result<u8> {
    let loaded = load(&LoadOptions {
        dirs,
        ..LoadOptions::default()
    })?;
    let set = &loaded.controls;
    let out = match format {
        ListFormat::Json => {
            let mut out = serde_json::to_string_pretty(&control::describe::list_json(set))?;
            out.push('\n');
            out
        }
        ListFormat::Table => {
            let width = (!std::io::stdout().is_terminal()).then_some(120);
            control::describe::list_table(set, width)
        }
        ListFormat::Markdown => control::describe::reference_markdown(set),
    };
    write_stdout(out.as_bytes())?;
    Ok(0)
}

fn validate(dir: Option<std::path::PathBuf>) -> Result<u8> {
    let opts = LoadOptions {
        dirs: dir.into_iter().collect(),
        check_builtin: true,
        ..LoadOptions::default()
    };
    let loaded = control::load(&opts);
    if loaded.diags.is_empty() {
        write_stdout(
            format!(
                "ok: {}, {}, {}\n",
                crate::text::plural(loaded.controls.controls.len(), "control"),
                crate::text::plural(loaded.signals.len(), "signal"),
                crate::text::plural(loaded.catalogs.len(), "catalogue")
            )
            .as_bytes(),
        )?;
        Ok(0)
    } else {
        eprintln!(
            "{}",
            format_diags(&loaded.diags).replace("\n  ", "\n").trim_start()
        );
        eprintln!(
            "error: {} in control definitions",
            crate::text::plural(loaded.diags.len(), "problem")
        );
        Ok(2)
    }
}

/// `redflag controls export DIR`: the built-in pack's files, as they are embedded.
fn export(dir: &std::path::Path, force: bool) -> Result<u8> {
    let shown = |p: &std::path::Path| crate::text::printable(&p.display().to_string()).into_owned();
    let files = crate::embedded::BUILTIN;
    if !force {
        if let Some((rel, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
            bail!(
                "{} exists; use --force to overwrite the exported pack",
                shown(&dir.join(rel))
            );
        }
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", shown(parent)))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", shown(&path)))?;
    }
    write_stdout(
        format!(
            "wrote {} to {}: edit them, check with `redflag controls validate {}`, scan with \
             `--controls {}` (or `controls:` in redflag.yaml)\n",
            crate::text::plural(files.len(), "file"),
            shown(dir),
            shown(dir),
            shown(dir)
        )
        .as_bytes(),
    )?;
    Ok(0)
}

/// `redflag explain ID`: built-in controls, `--controls` directories and the control
/// directories of the config file (`--config`, or the one in the current directory).
fn explain(id: &str, dirs: Vec<std::path::PathBuf>, config: Option<std::path::PathBuf>) -> Result<u8> {
    let Ok(Cli {
        command: Command::Scan(mut args),
    }) = <Cli as clap::Parser>::try_parse_from(["redflag", "scan", "--quiet"])
    else {
        bail!("internal error: default scan arguments");
    };
    args.controls = dirs;
    args.config = config;
    let settings = settings::resolve(&args)?;
    let loaded = load(&settings.load)?;
    let Some(c) = loaded.controls.get(id) else {
        // A catalogue item (an AI vendor by id, name, alias or product): its names.
        if let Some(item) = loaded.catalogs.iter().find_map(|cat| cat.find(id)) {
            write_stdout(crate::text::printable_lines(&item.describe_names()).as_bytes())?;
            return Ok(0);
        }
        bail!(
            "unknown control or vendor `{}` (see `redflag controls list`)",
            crate::redact::shown(id)
        );
    };
    write_stdout(control::describe::explain(c).as_bytes())?;
    Ok(0)
}
