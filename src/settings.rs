//! Command line and config file resolved into one [`Settings`]. This is the only place the
//! clock is read: `--as-of` defaults to today's local date. Command-line values win over the
//! config file; paths in the config file are relative to the file.
//!
//! How far a config file is trusted depends on where it came from:
//!
//! - **Named with `--config`**: the user chose it, so it is trusted like the command line;
//!   its paths may point anywhere.
//! - **Found at the first target's root** (`redflag.yaml`, `.redflag.yaml`): it is
//!   repository content, as hostile as any other file in the target. It is read with
//!   [`crate::fsread::read_regular`], as the walker reads files — never through a symbolic
//!   link, never blocking on a FIFO, only a regular file, at most [`MAX_CONFIG_SIZE`] bytes —
//!   and every path it names (`evidence:`, `controls:`, `baseline:`) must resolve inside the
//!   target: no absolute path, no `..` out of it, no link leading out, no special file. A
//!   control pack it names must load within the loader's limits
//!   ([`check_pack_dir`](crate::control::compile::check_pack_dir)). It may lower
//!   `max_file_size` but not raise it, and its `params:` thresholds are bounded
//!   ([`MAX_TARGET_PARAM`], and the compile-time limits by name).
//!
//! A found config that breaks one of these rules is not obeyed, but the scan goes on: the
//! setting (or, for an unreadable file, the whole file) is ignored, recorded for the report's
//! notes ([`Settings::notes`]) and named in a warning on standard error, so a CI job scanning
//! a hostile repository keeps working and its reader sees what was refused. Ignoring a
//! setting only makes a scan stricter (fewer exclusions, waivers or known findings), never more lenient
//! than the defaults. A config that redflag can read but not understand (invalid YAML, an
//! unknown key, a missing evidence directory) is still an error, as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use clap::ValueEnum as _;

use crate::cli::{FailOn, Format, ScanArgs};
use crate::control::spec::DocKindSpec;
use crate::control::{LoadOptions, Severity};
use crate::date::{parse_iso, Date};
use crate::workspace::TargetSpec;

/// Why the command line and config file could not be resolved into [`Settings`]. Every
/// message names the option, file or directory at fault; `app` prints it and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or resolved; the cause is the I/O error.
    #[error("{what}")]
    Io {
        /// What was being done, naming the path (`cannot read config file …`).
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An invalid value or a path that is not there: the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// A baseline or waiver that cannot be read.
    #[error(transparent)]
    Policy(#[from] crate::policy::Error),
}

/// The settings module's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns an [`Error::Invalid`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Error::Invalid(format!($($arg)*)))
    };
}

/// An I/O error with what was being done.
fn io(what: impl FnOnce() -> String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what: what(), source }
}

/// Default size cap: files over 5 MiB are indexed but never read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// Names of the config file looked for at the first target's root; the first one present
/// (whatever it is: a link or a FIFO is refused, not skipped) is the config.
pub const CONFIG_NAMES: [&str; 2] = ["redflag.yaml", ".redflag.yaml"];
/// Largest config file read from a target (a real one is a few KiB).
pub const MAX_CONFIG_SIZE: u64 = 1 << 20;
/// Largest baseline file a config found in a target may name (about 60,000 findings).
pub const MAX_BASELINE_SIZE: u64 = 16 << 20;
/// Largest policy threshold (`params:`) a config found in a target may set: ten years in
/// days, and for a count of quarters (`tabletop_quarters`, a loop bound) ten years in
/// quarters, the limit every pack is compiled with
/// ([`param_limit`](crate::check::compile::param_limit)).
pub const MAX_TARGET_PARAM: u32 = crate::date::MAX_DAYS;
/// Longest value quoted in a note about a refused setting.
const MAX_QUOTED: usize = 120;

/// `redflag.yaml` / `.redflag.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub fail_on: Option<String>,
    #[serde(default)]
    pub evidence: Vec<PathBuf>,
    #[serde(default)]
    pub controls: Vec<PathBuf>,
    #[serde(default)]
    pub only: Vec<String>,
    #[serde(default)]
    pub skip: Vec<String>,
    pub max_file_size: Option<u64>,
    /// Globs of target paths never scanned (`legacy/**`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Policy thresholds by parameter name (`soc2_report_max_age_days: 400`).
    #[serde(default)]
    pub params: BTreeMap<String, u32>,
    /// Extra or replacement names for evidence documents.
    #[serde(default)]
    pub documents: Vec<ConfigDocKind>,
    /// Risk acceptances: control, optional path glob or fingerprint, reason, owner, expiry.
    #[serde(default)]
    pub waivers: Vec<crate::policy::waiver::WaiverSpec>,
    /// Baseline file (relative to this file).
    pub baseline: Option<PathBuf>,
    pub fail_on_score: Option<f64>,
    /// What the AI providers in the code are to the company (catalogue ids or names).
    #[serde(default)]
    pub vendors: VendorRoles,
}

pub use crate::check::inventory::VendorRoles;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocKind {
    pub id: String,
    pub title: Option<String>,
    pub names: Vec<String>,
    #[serde(default)]
    pub dirs: Vec<String>,
}

/// Everything a scan needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub targets: Vec<TargetSpec>,
    pub as_of: Date,
    pub format: Format,
    /// Where the `--format` report goes (`None`: standard output).
    pub output: Option<PathBuf>,
    /// Extra reports: `--output FORMAT=FILE`.
    pub extra_outputs: Vec<(Format, PathBuf)>,
    /// `--scope`: the TSC categories in scope besides security, when given; controls whose
    /// criteria are all outside them are left out of the assessment (`None`: all count).
    pub scope: Option<Vec<String>>,
    pub fail_on: Option<Severity>,
    /// Waivers, baseline and gate thresholds.
    pub policy: crate::policy::Policy,
    pub new_since: Option<String>,
    pub load: LoadOptions,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub threads: usize,
    pub max_file_size: u64,
    pub exclude: Vec<String>,
    pub no_ignore: bool,
    pub quiet: bool,
    /// The target is untrusted (`--untrusted`, or a pull-request CI job): see
    /// [`untrusted_mode`].
    pub untrusted: bool,
    /// What was refused in a config file found in the target (a link, a path out of the
    /// target, a file over a cap), for the report's notes. Already safe to show (redacted,
    /// control characters escaped).
    pub notes: Vec<crate::report::NoteOut>,
    /// Declared roles of AI providers (`vendors:`).
    pub vendors: VendorRoles,
}

impl Settings {
    /// Settings for scanning `paths` as of a date with everything else at its default (no
    /// config file); used by tests and embedders.
    pub fn for_paths(paths: &[PathBuf], as_of: Date) -> Self {
        Settings {
            targets: paths
                .iter()
                .map(|p| TargetSpec {
                    root: p.clone(),
                    display: display_path(p),
                    evidence_only: false,
                })
                .collect(),
            as_of,
            format: Format::Json,
            output: None,
            extra_outputs: Vec::new(),
            scope: None,
            fail_on: Some(Severity::Low),
            policy: crate::policy::Policy {
                fail_on: Some(Severity::Low),
                ..Default::default()
            },
            new_since: None,
            load: LoadOptions::default(),
            only: Vec::new(),
            skip: Vec::new(),
            threads: 2,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            exclude: Vec::new(),
            no_ignore: false,
            quiet: true,
            untrusted: false,
            notes: Vec::new(),
            vendors: VendorRoles::default(),
        }
    }
}

/// Reads a config file; errors name the file and line. For a file named on the command
/// line (trusted); a file found in a target is read by [`resolve`] with the target's rules.
pub fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .map_err(io(|| format!("cannot read config file {}", path.display())))?;
    parse_config(path, &text)
}

/// Parses a config file's text; errors name the file and line.
fn parse_config(path: &Path, text: &str) -> Result<ConfigFile> {
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    serde_saphyr::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        let msg = e.to_string();
        let first = crate::control::compile::clean_yaml_error(
            msg.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid YAML"),
        );
        Error::Invalid(format!("{}:{line}: {first}", path.display()))
    })
}

/// Parses `--as-of`, or returns today's local date.
pub fn resolve_as_of(arg: Option<&str>) -> Result<Date> {
    match arg {
        Some(s) => parse_iso(s).ok_or_else(|| {
            Error::Invalid(format!(
                "invalid --as-of `{s}`: expected a date as YYYY-MM-DD, e.g. 2026-12-01"
            ))
        }),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

/// `--fail-on` (else the config's, else low) and `--fail-on-score` (else the config's).
fn gate_thresholds(args: &ScanArgs, config: &ConfigFile) -> Result<(Option<Severity>, Option<f64>)> {
    let fail_on = match (args.fail_on, &config.fail_on) {
        (Some(f), _) => f.threshold(),
        (None, Some(s)) => parse_fail_on(s)?,
        (None, None) => FailOn::Low.threshold(),
    };
    let fail_on_score = args.fail_on_score.or(config.fail_on_score);
    if let Some(s) = fail_on_score {
        if !(0.0..=100.0).contains(&s) {
            bail!("--fail-on-score must be between 0 and 100, found {s}");
        }
    }
    Ok((fail_on, fail_on_score))
}

fn parse_fail_on(s: &str) -> Result<Option<Severity>> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Severity::parse(s).map(Some).ok_or_else(|| {
        let s = crate::redact::shown(s);
        Error::Invalid(format!(
            "invalid fail_on `{s}` (critical, high, medium, low, none)"
        ))
    })
}

/// The config file: the one `--config` names (confined to nothing: the user chose it), or
/// the one discovered in the first target (confined to it), with the directory its paths
/// are relative to.
#[allow(clippy::type_complexity)]
fn config_file(
    args: &ScanArgs,
    first: &Path,
    notes: &mut Vec<crate::report::NoteOut>,
) -> Result<(Option<PathBuf>, ConfigFile, PathBuf, Option<Confined>)> {
    match &args.config {
        Some(p) => {
            if !p.is_file() {
                bail!("config file not found: {}", p.display());
            }
            let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
            Ok((Some(p.clone()), read_config(p)?, base, None))
        }
        None => Ok(match discover(first, notes)? {
            Some((path, config, confined)) => (Some(path), config, first.to_path_buf(), Some(confined)),
            None => (None, ConfigFile::default(), PathBuf::new(), None),
        }),
    }
}

/// The controls selected: `--only` replaces the config's list; `--skip` adds to it.
fn selection(
    args: &ScanArgs,
    config_only: Vec<String>,
    config_skip: Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let only = if args.only.is_empty() {
        config_only
    } else {
        args.only.clone()
    };
    let skip = args.skip.iter().cloned().chain(config_skip).collect();
    (only, skip)
}

pub fn resolve(args: &ScanArgs) -> Result<Settings> {
    let paths = target_paths(args)?;
    let as_of = resolve_as_of(args.as_of.as_deref())?;

    let mut notes = Vec::new();
    let (config_path, mut config, base, confined) = config_file(args, &paths[0], &mut notes)?;

    let untrusted = args.untrusted || (!args.trusted && ci_pull_request(|k| std::env::var(k).ok()));
    if let (true, Some(c)) = (untrusted, &confined) {
        untrusted_mode(&mut config, c, &mut notes);
    }

    let (fail_on, fail_on_score) = gate_thresholds(args, &config)?;

    let mut targets: Vec<TargetSpec> = paths
        .iter()
        .map(|p| TargetSpec {
            root: p.clone(),
            display: display_path(p),
            evidence_only: false,
        })
        .collect();
    targets.extend(evidence_targets(
        args,
        &config,
        &base,
        confined.as_ref(),
        &mut notes,
    )?);

    let (dirs, untrusted_dirs) = control_dirs(args, &config, &base, confined.as_ref(), untrusted, &mut notes);
    if let Some(c) = &confined {
        bound_params(&mut config.params, c, &mut notes);
    }
    // Not when the config file is an untrusted target's own, which may only make the scan
    // stricter.
    let documents = document_kinds(config.documents, !(untrusted && confined.is_some()));
    let load = LoadOptions {
        dirs,
        untrusted_dirs,
        params: config.params,
        documents,
        no_builtin: false,
        check_builtin: false,
    };

    let (only, skip) = selection(
        args,
        std::mem::take(&mut config.only),
        std::mem::take(&mut config.skip),
    );
    let threads = args
        .threads
        .map_or_else(
            || std::thread::available_parallelism().map_or(2, |n| n.get()),
            usize::from,
        )
        .max(1);

    let (format, output, extra_outputs) = outputs(args)?;
    let scope = if args.report.scope.is_empty() {
        None
    } else {
        Some(
            crate::report::consultant::parse_scope(&args.report.scope)
                .map_err(|e| Error::Invalid(e.to_string()))?,
        )
    };
    let config_name = config_path
        .as_ref()
        .map_or_else(|| "config".to_string(), |p| p.display().to_string());
    let waivers = waivers(&mut config.waivers, &config_name)?;
    let baseline = baseline(
        args,
        config.baseline.as_ref(),
        &base,
        confined.as_ref(),
        &mut notes,
    )?;
    let max_file_size = max_file_size(
        args.max_file_size,
        config.max_file_size,
        confined.as_ref(),
        &mut notes,
    );
    let policy = crate::policy::Policy {
        fail_on,
        fail_on_score,
        soft_fail: args.soft_fail,
        waivers,
        baseline,
    };
    Ok(Settings {
        targets,
        as_of,
        format,
        output,
        extra_outputs,
        scope,
        fail_on,
        policy,
        new_since: args.new_since.clone(),
        load,
        only,
        skip,
        threads,
        max_file_size,
        exclude: config.exclude,
        no_ignore: args.no_ignore,
        quiet: args.quiet,
        untrusted,
        notes,
        vendors: config.vendors,
    })
}

/// The directories to scan (`.` by default); each must exist and be listable.
fn target_paths(args: &ScanArgs) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for p in &paths {
        if !p.exists() {
            bail!("path not found: {}", p.display());
        }
        if !p.is_dir() {
            bail!(
                "not a directory: {} (redflag scans a repository or a directory of exported files)",
                p.display()
            );
        }
        // A target that cannot be listed would otherwise scan as empty, and pass.
        if let Err(e) = std::fs::read_dir(p) {
            bail!("cannot read {}: {e}", p.display());
        }
    }
    Ok(paths)
}

/// `--max-file-size`, else the config's (a target's own config may only lower it).
fn max_file_size(
    flag: Option<u64>,
    configured: Option<u64>,
    confined: Option<&Confined>,
    notes: &mut Vec<crate::report::NoteOut>,
) -> u64 {
    match (flag, configured, confined) {
        (Some(n), _, _) => n,
        (None, Some(n), Some(c)) if n > DEFAULT_MAX_FILE_SIZE => {
            notes.push(c.note(&format!(
                "`max_file_size: {n}` not used: a config file found in the target may lower the \
                 size cap but not raise it above the default {DEFAULT_MAX_FILE_SIZE} (use \
                 --max-file-size, or name the file with --config to trust it)"
            )));
            DEFAULT_MAX_FILE_SIZE
        }
        (None, n, _) => n.unwrap_or(DEFAULT_MAX_FILE_SIZE),
    }
}

/// A config file found in the target may set a threshold only within bounds; the others
/// are dropped with a note.
fn bound_params(params: &mut BTreeMap<String, u32>, c: &Confined, notes: &mut Vec<crate::report::NoteOut>) {
    params.retain(|name, v| {
        let max = crate::check::compile::param_limit(name).map_or(MAX_TARGET_PARAM, |(m, _)| m);
        let keep = *v <= max;
        if !keep {
            let name = crate::text::truncate_chars(name, MAX_QUOTED);
            notes.push(c.note(&format!(
                "`params: {name}: {v}` not used: a config file found in the target may set this \
                 threshold to at most {max} (name it with --config to trust it)"
            )));
        }
        keep
    });
}

/// The config's `documents:` overrides. A document the user names exactly (no wildcard) is
/// trusted by name, its content not tested, when `trust_names`.
fn document_kinds(documents: Vec<ConfigDocKind>, trust_names: bool) -> Vec<DocKindSpec> {
    documents
        .into_iter()
        .map(|d| DocKindSpec {
            title: d.title.unwrap_or_else(|| d.id.clone()),
            trusted_names: if trust_names {
                d.names
                    .iter()
                    .filter(|n| !n.contains(['*', '?', '[', '{']))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            id: d.id,
            names: d.names,
            dirs: d.dirs,
            front_matter: false,
            expected: None,
            content: None,
            count: Default::default(),
        })
        .collect()
}

/// `--evidence` directories and the config's `evidence:` (confined to the target when the
/// config file is the target's own), as evidence-only targets.
fn evidence_targets(
    args: &ScanArgs,
    config: &ConfigFile,
    base: &Path,
    confined: Option<&Confined>,
    notes: &mut Vec<crate::report::NoteOut>,
) -> Result<Vec<TargetSpec>> {
    let mut targets = Vec::new();
    // (where to read, how to display it)
    let mut evidence: Vec<(PathBuf, String)> = args
        .evidence
        .iter()
        .map(|e| (e.clone(), display_path(e)))
        .collect();
    for e in &config.evidence {
        match confined {
            None => evidence.push((base.join(e), display_path(&base.join(e)))),
            Some(c) => match c.reach(e) {
                Reach::Inside(real) => evidence.push((real, c.shown_path(e))),
                Reach::Missing => evidence.push((c.root.join(e), c.shown_path(e))),
                Reach::Refused(why) => notes.push(c.refused("evidence", e, &why)),
            },
        }
    }
    for (root, display) in evidence {
        if !root.is_dir() {
            bail!("evidence directory not found: {display}");
        }
        if let Err(e) = std::fs::read_dir(&root) {
            bail!("cannot read evidence directory {display}: {e}");
        }
        targets.push(TargetSpec {
            display,
            root,
            evidence_only: true,
        });
    }
    Ok(targets)
}

/// `--controls` and the config's `controls:` directories: (trusted, untrusted) packs.
fn control_dirs(
    args: &ScanArgs,
    config: &ConfigFile,
    base: &Path,
    confined: Option<&Confined>,
    untrusted: bool,
    notes: &mut Vec<crate::report::NoteOut>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut dirs = args.controls.clone();
    let mut untrusted_dirs = Vec::new();
    for d in &config.controls {
        match confined {
            None => dirs.push(base.join(d)),
            Some(c) => match c.reach(d) {
                Reach::Inside(real) => match crate::control::compile::check_pack_dir(&real) {
                    Ok(()) if untrusted => untrusted_dirs.push(real),
                    Ok(()) => dirs.push(real),
                    Err(why) => notes.push(c.refused("controls", d, &why.0)),
                },
                // The loader says the directory does not exist.
                Reach::Missing => dirs.push(c.root.join(d)),
                Reach::Refused(why) => notes.push(c.refused("controls", d, &why)),
            },
        }
    }
    (dirs, untrusted_dirs)
}

/// `-o FORMAT=FILE` outputs.
type ExtraOutputs = Vec<(Format, PathBuf)>;

/// The report outputs: the `--format` report's file (`None`: standard output) and its
/// format, and the files written beside it.
///
/// `-o FORMAT=FILE` writes FORMAT; `-o FILE` writes `--format` when given, else the format
/// FILE's extension names. The first plain `-o FILE` replaces standard output; further ones
/// are written beside it. An unknown FORMAT, or an unknown extension without `--format`,
/// is an error naming the formats.
fn outputs(args: &ScanArgs) -> Result<(Format, Option<PathBuf>, ExtraOutputs)> {
    let mut main: Option<(Format, PathBuf)> = None;
    let mut extra_outputs = Vec::new();
    for o in &args.output {
        let (format, path) = output_spec(o, args.format)?;
        if main.is_none() && explicit_format(o).is_none() {
            main = Some((format, path));
        } else {
            extra_outputs.push((format, path));
        }
    }
    Ok(match main {
        Some((format, path)) => (format, Some(path), extra_outputs),
        None => (args.format.unwrap_or(Format::Table), None, extra_outputs),
    })
}

/// The `FORMAT` of `FORMAT=FILE`, when the part before `=` is a word (a path such as
/// `out/a=b.json` has a `/` or `.` before its `=`).
fn explicit_format(o: &str) -> Option<&str> {
    let (f, _) = o.split_once('=')?;
    (!f.is_empty()
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then_some(f)
}

/// One `--output` value as a format and a file.
fn output_spec(o: &str, format: Option<Format>) -> Result<(Format, PathBuf)> {
    let shown = || crate::text::printable(o);
    if let Some(f) = explicit_format(o) {
        let path = &o[f.len() + 1..];
        let Ok(format) = Format::from_str(f, true) else {
            bail!(
                "--output `{}`: unknown format `{}` (formats: {})",
                shown(),
                crate::text::printable(f),
                Format::names()
            );
        };
        if path.is_empty() {
            bail!(
                "--output `{}`: no file after `{}=`",
                shown(),
                crate::text::printable(f)
            );
        }
        return Ok((format, PathBuf::from(path)));
    }
    let path = PathBuf::from(o);
    match format.or_else(|| Format::from_path(&path)) {
        Some(format) => Ok((format, path)),
        None => bail!(
            "--output `{}`: cannot tell the format from the file name; use an extension \
             (.json, .sarif, .xml, .junit.xml, .md, .html, .csv, .txt), --format, or FORMAT=FILE \
             (formats: {})",
            shown(),
            Format::names()
        ),
    }
}

/// The config's waivers, their texts made safe to show, compiled.
fn waivers(
    specs: &mut [crate::policy::waiver::WaiverSpec],
    config_name: &str,
) -> Result<Vec<crate::policy::Waiver>> {
    // Shown in every report format, in errors and on standard error: made safe like any
    // other text from a file, once, here (secrets redacted, control characters escaped).
    for w in specs.iter_mut() {
        w.control = crate::redact::shown(&w.control);
        let fields = [
            &mut w.path,
            &mut w.fingerprint,
            &mut w.reason,
            &mut w.owner,
            &mut w.expires,
        ];
        for text in fields.into_iter().flatten() {
            *text = crate::redact::shown(text);
        }
    }
    let mut waivers = Vec::new();
    for (i, w) in specs.iter().enumerate() {
        waivers.push(
            w.compile(i)
                .map_err(|e| Error::Invalid(format!("{config_name}: {e}")))?,
        );
    }
    Ok(waivers)
}

/// `--baseline`, or the config's `baseline:` (confined when the config is the target's).
fn baseline(
    args: &ScanArgs,
    configured: Option<&PathBuf>,
    base: &Path,
    confined: Option<&Confined>,
    notes: &mut Vec<crate::report::NoteOut>,
) -> Result<Option<crate::policy::Baseline>> {
    Ok(match (&args.baseline, configured, confined) {
        (Some(p), _, _) => Some(read_baseline(p)?),
        (None, Some(p), None) => Some(read_baseline(&base.join(p))?),
        (None, Some(p), Some(c)) => match c.reach(p) {
            Reach::Inside(real) => match crate::fsread::read_regular(&real, MAX_BASELINE_SIZE) {
                Ok(bytes) => Some(crate::policy::Baseline::parse(
                    &c.shown_path(p),
                    &String::from_utf8_lossy(&bytes),
                )?),
                Err(why) => {
                    notes.push(c.refused("baseline", p, &why.to_string()));
                    None
                }
            },
            Reach::Missing => bail!(
                "cannot read baseline {}: not found{NO_BASELINE_HINT}",
                c.shown_path(p)
            ),
            Reach::Refused(why) => {
                notes.push(c.refused("baseline", p, &why));
                None
            }
        },
        (None, None, _) => None,
    })
}

/// What to do when the baseline file does not exist yet (a first run, a first commit).
const NO_BASELINE_HINT: &str = " (record today's gaps first: `redflag baseline .` writes \
.redflag/baseline.json, then commit it; or compare with the last commit instead: \
`--new-since HEAD`)";

/// Reads a baseline named on the command line or by a trusted config file.
fn read_baseline(p: &Path) -> Result<crate::policy::Baseline> {
    if std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        bail!(
            "cannot read baseline {}: not found{NO_BASELINE_HINT}",
            crate::text::printable(&p.display().to_string())
        );
    }
    Ok(crate::policy::Baseline::read(p)?)
}

/// Finds the config file at the target root and reads it with the target's rules. A file
/// that is not a regular file, or is over [`MAX_CONFIG_SIZE`], is not used (a note says
/// why); one that is read but invalid is an error.
fn discover(
    root: &Path,
    notes: &mut Vec<crate::report::NoteOut>,
) -> Result<Option<(PathBuf, ConfigFile, Confined)>> {
    for name in CONFIG_NAMES {
        let path = root.join(name);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            _ => {}
        }
        let confined = Confined::new(root, name)?;
        let bytes = match crate::fsread::read_regular(&path, MAX_CONFIG_SIZE) {
            Ok(b) => b,
            Err(why) => {
                notes.push(confined.note(&format!("config file not used: {why}")));
                return Ok(None);
            }
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Invalid(format!(
                "cannot read config file {}: not UTF-8 text",
                path.display()
            ))
        })?;
        // The parser's message may quote the file: made safe to show.
        let config =
            parse_config(&path, &text).map_err(|e| Error::Invalid(crate::redact::shown(&e.to_string())))?;
        return Ok(Some((path, config, confined)));
    }
    Ok(None)
}

/// True when redflag runs in a CI job for a pull or merge request, where the target is
/// code someone proposes rather than code the project accepted: GitHub Actions, GitLab,
/// Bitbucket, Azure Pipelines, CircleCI, Buildkite and Jenkins say so in their
/// environment. `env` reads a variable (the process environment, or a test's).
pub fn ci_pull_request(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if !set("CI") && !set("TF_BUILD") && !set("JENKINS_URL") {
        return false;
    }
    matches!(
        env("GITHUB_EVENT_NAME").as_deref(),
        Some("pull_request" | "pull_request_target")
    ) || [
        "CI_MERGE_REQUEST_IID",
        "BITBUCKET_PR_ID",
        "SYSTEM_PULLREQUEST_PULLREQUESTID",
        "CIRCLE_PULL_REQUEST",
        "BUILDKITE_PULL_REQUEST",
        "CHANGE_ID",
    ]
    .into_iter()
    .any(set)
}

/// An untrusted target's config file may only make the scan stricter: every setting that
/// could make it less strict (a looser `fail_on`, `only`/`skip`, `exclude`, thresholds,
/// waivers, a baseline, a size cap) is dropped, each with a note. Evidence directories,
/// document names and `fail_on_score` stay; its control packs are loaded as additions only
/// (see [`LoadOptions::untrusted_dirs`]).
fn untrusted_mode(config: &mut ConfigFile, c: &Confined, notes: &mut Vec<crate::report::NoteOut>) {
    let mut dropped = |setting: &str| {
        notes.push(c.note(&format!(
            "`{setting}` not used: the target is untrusted (--untrusted), and its config file \
             may only make the scan stricter"
        )));
    };
    if let Some(f) = config.fail_on.take() {
        if matches!(parse_fail_on(&f), Ok(Some(Severity::Low))) {
            config.fail_on = Some(f);
        } else {
            dropped(&format!(
                "fail_on: {}",
                crate::text::truncate_chars(&f, MAX_QUOTED)
            ));
        }
    }
    let lists = [
        ("only", std::mem::take(&mut config.only).len()),
        ("skip", std::mem::take(&mut config.skip).len()),
        ("exclude", std::mem::take(&mut config.exclude).len()),
        ("params", std::mem::take(&mut config.params).len()),
        ("waivers", std::mem::take(&mut config.waivers).len()),
    ];
    for (name, n) in lists {
        if n > 0 {
            dropped(name);
        }
    }
    if config.baseline.take().is_some() {
        dropped("baseline");
    }
    if config.max_file_size.take().is_some() {
        dropped("max_file_size");
    }
    // Declaring a provider customer-configured or offered turns its gaps into notes;
    // declaring it a subprocessor only adds strictness and stays.
    let v = &mut config.vendors;
    for (name, n) in [
        ("vendors.byok", std::mem::take(&mut v.byok).len()),
        (
            "vendors.offers_compatible_api",
            std::mem::take(&mut v.offers_compatible_api).len(),
        ),
    ] {
        if n > 0 {
            dropped(name);
        }
    }
}

/// The path as the user wrote it, with `/` separators and no trailing slash.
fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let t = s.trim_end_matches('/');
    if t.is_empty() {
        s
    } else {
        t.to_string()
    }
}

/// True when a control is selected by `--only`/`--skip` (ids or `rf1`..`rf5`).
pub fn selected(id: &str, red_flag: Option<u8>, only: &[String], skip: &[String]) -> bool {
    let matches = |sel: &String| {
        let s = sel.trim();
        s.eq_ignore_ascii_case(id)
            || s.to_ascii_lowercase()
                .strip_prefix("rf")
                .and_then(|n| n.parse::<u8>().ok())
                .is_some_and(|n| Some(n) == red_flag)
    };
    (only.is_empty() || only.iter().any(matches)) && !skip.iter().any(matches)
}

/// A config file found in a target, and the target it is confined to.
struct Confined {
    /// The target root, canonical: every path the config names must resolve under it.
    real: PathBuf,
    /// The target root as given, for display (`repo/policies`).
    root: PathBuf,
    /// The target as the report displays it.
    target: String,
    /// The config file's path relative to the target (`redflag.yaml`).
    name: String,
}

/// Where a path named by a config found in a target leads.
enum Reach {
    /// Inside the target: the canonical path.
    Inside(PathBuf),
    /// Lexically inside the target, but nothing is there (or a dangling link).
    Missing,
    /// Refused, and why.
    Refused(String),
}

impl Confined {
    fn new(root: &Path, name: &str) -> Result<Self> {
        let real = root
            .canonicalize()
            .map_err(io(|| format!("cannot resolve {}", root.display())))?;
        Ok(Self {
            real,
            root: root.to_path_buf(),
            target: display_path(root),
            name: name.to_string(),
        })
    }

    /// A note about this config file, made safe to show.
    fn note(&self, message: &str) -> crate::report::NoteOut {
        crate::report::NoteOut {
            target: self.target.clone(),
            path: self.name.clone(),
            message: crate::redact::shown(message),
        }
    }

    /// A note saying a setting was ignored, quoting its value (shortened).
    fn refused(&self, setting: &str, value: &Path, why: &str) -> crate::report::NoteOut {
        let value = crate::text::truncate_chars(&value.to_string_lossy(), MAX_QUOTED);
        self.note(&format!(
            "`{setting}: {value}` not used: {why} (name the config file with --config to trust it, \
             or pass the path on the command line)"
        ))
    }

    /// Resolves a path the config names: relative, not out of the target through `..`, and
    /// after following links still under the target's canonical root.
    fn reach(&self, p: &Path) -> Reach {
        use std::path::Component;
        let mut depth = 0usize;
        for c in p.components() {
            match c {
                Component::Prefix(_) | Component::RootDir => {
                    return Reach::Refused(
                        "an absolute path (a config file found in the target may only name paths \
                         inside it)"
                            .into(),
                    );
                }
                Component::CurDir => {}
                Component::ParentDir => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return Reach::Refused("`..` leads out of the target".into()),
                },
                Component::Normal(_) => depth += 1,
            }
        }
        match self.real.join(p).canonicalize() {
            Ok(c) if c.starts_with(&self.real) => Reach::Inside(c),
            Ok(_) => Reach::Refused("a symbolic link leads out of the target".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Reach::Missing,
            Err(e) => Reach::Refused(format!("cannot be resolved: {e}")),
        }
    }

    /// The path as the user would write it (`repo/policies`), made safe to show: for
    /// messages and the report.
    fn shown_path(&self, p: &Path) -> String {
        crate::redact::shown(&display_path(&self.root.join(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn scan_args(argv: &[&str]) -> ScanArgs {
        let mut full = vec!["redflag", "scan"];
        full.extend_from_slice(argv);
        match crate::cli::Cli::try_parse_from(full).unwrap().command {
            crate::cli::Command::Scan(a) => a,
            _ => unreachable!(),
        }
    }

    fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn paths_named_by_a_found_config_stay_in_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        write(&root, "docs/a.md", "a");
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("etc")).unwrap();
        std::os::unix::fs::symlink("../docs", root.join("docs/self")).unwrap();
        let c = Confined::new(&root, "redflag.yaml").unwrap();
        let real = root.canonicalize().unwrap();
        let refused = |p: &str| matches!(c.reach(Path::new(p)), Reach::Refused(_));
        assert!(refused("/etc"));
        assert!(refused("../outside"));
        assert!(refused("docs/../../outside"));
        assert!(refused("etc"), "a link out of the target");
        assert!(refused("etc/ssl"));
        assert!(matches!(c.reach(Path::new("docs/../docs")), Reach::Inside(p) if p == real.join("docs")));
        assert!(matches!(c.reach(Path::new("docs/self")), Reach::Inside(p) if p == real.join("docs")));
        assert!(matches!(c.reach(Path::new(".")), Reach::Inside(p) if p == real));
        assert!(matches!(c.reach(Path::new("nothing/here")), Reach::Missing));
    }

    #[test]
    fn a_refused_setting_is_a_note_and_the_rest_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        write(&root, "policies/p.md", "# P\n");
        write(
            &root,
            "redflag.yaml",
            "fail_on: high\nevidence: [policies, /etc]\nbaseline: ../b.json\nmax_file_size: 1000\n",
        );
        let s = resolve(&scan_args(&["-q", root.to_str().unwrap()])).unwrap();
        assert_eq!(s.fail_on, Some(Severity::High));
        assert_eq!(s.max_file_size, 1000, "lowering the cap is allowed");
        assert_eq!(s.targets.len(), 2);
        assert!(s.targets[1].evidence_only);
        assert!(s.policy.baseline.is_none());
        assert_eq!(s.notes.len(), 2, "{:?}", s.notes);
        for n in &s.notes {
            assert_eq!(n.path, "redflag.yaml");
            assert_eq!(n.target, display_path(&root));
        }
        assert!(s.notes[0].message.contains("`evidence: /etc` not used"));
        assert!(s.notes[1].message.contains("`baseline: ../b.json` not used"));
    }

    #[test]
    fn thresholds_of_a_found_config_are_bounded_by_what_they_count() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "redflag.yaml",
            "params:\n  tabletop_quarters: 41\n  access_review_quarters: 40\n  \
             soc2_report_max_age_days: 3651\n  lineage_review_max_age_days: 3650\n  \
             window_prior_quarters: 41\n",
        );
        let s = resolve(&scan_args(&["-q", dir.path().to_str().unwrap()])).unwrap();
        let kept: Vec<(&str, u32)> = s.load.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            kept,
            [
                ("access_review_quarters", 40),
                ("lineage_review_max_age_days", 3650)
            ]
        );
        let notes: Vec<&str> = s.notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("`params: soc2_report_max_age_days: 3651` not used"));
        assert!(notes[0].contains("at most 3650"));
        assert!(notes[1].contains("`params: tabletop_quarters: 41` not used"));
        assert!(notes[1].contains("at most 40"));
        assert!(notes[2].contains("`params: window_prior_quarters: 41` not used"));
    }

    #[test]
    fn a_config_named_on_the_command_line_is_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        write(dir.path(), "policies/p.md", "# P\n");
        write(
            dir.path(),
            "b.json",
            "{\"redflag_baseline\": 1, \"findings\": []}",
        );
        let cfg = write(
            &root,
            "redflag.yaml",
            "evidence: [../policies]\nbaseline: ../b.json\nmax_file_size: 99999999\n",
        );
        let s = resolve(&scan_args(&[
            "-q",
            "--config",
            cfg.to_str().unwrap(),
            root.to_str().unwrap(),
        ]))
        .unwrap();
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        assert_eq!(s.targets.len(), 2);
        assert!(s.policy.baseline.is_some());
        assert_eq!(s.max_file_size, 99_999_999);
    }

    #[test]
    fn an_invalid_config_found_in_the_target_is_still_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".redflag.yaml", "fail_on: [\n");
        let e = resolve(&scan_args(&["-q", dir.path().to_str().unwrap()])).unwrap_err();
        assert!(e.to_string().contains(".redflag.yaml:"), "{e}");
    }
}
