//! Command line and config file resolved into one [`Settings`]. This is the only place the
//! clock is read: `--as-of` defaults to today's local date. Command-line values win over the
//! config file; paths in the config file are relative to the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;

use clap::ValueEnum as _;

use crate::cli::{FailOn, Format, ScanArgs};
use crate::control::spec::DocKindSpec;
use crate::control::{LoadOptions, Severity};
use crate::date::{parse_iso, Date};
use crate::workspace::TargetSpec;

/// Default size cap: files over 5 MiB are indexed but never read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

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
}

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
        }
    }
}

/// Reads a config file; errors name the file and line.
pub fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    if text.trim().is_empty() {
        return Ok(ConfigFile::default());
    }
    serde_saphyr::from_str::<ConfigFile>(&text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        let msg = e.to_string();
        let first = crate::control::compile::clean_yaml_error(
            msg.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid YAML"),
        );
        anyhow::anyhow!("{}:{line}: {first}", path.display())
    })
}

/// Parses `--as-of`, or returns today's local date.
pub fn resolve_as_of(arg: Option<&str>) -> Result<Date> {
    match arg {
        Some(s) => parse_iso(s).ok_or_else(|| {
            anyhow::anyhow!("invalid --as-of `{s}`: expected a date as YYYY-MM-DD, e.g. 2026-12-01")
        }),
        None => Ok(chrono::Local::now().date_naive()),
    }
}

fn parse_fail_on(s: &str) -> Result<Option<Severity>> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Severity::parse(s)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("invalid fail_on `{s}` (critical, high, medium, low, none)"))
}

pub fn resolve(args: &ScanArgs) -> Result<Settings> {
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
    }
    let as_of = resolve_as_of(args.as_of.as_deref())?;

    let config_path = match &args.config {
        Some(p) => {
            if !p.is_file() {
                bail!("config file not found: {}", p.display());
            }
            Some(p.clone())
        }
        None => ["redflag.yaml", ".redflag.yaml"]
            .iter()
            .map(|n| paths[0].join(n))
            .find(|p| p.is_file()),
    };
    let (config, base) = match &config_path {
        Some(p) => (
            read_config(p)?,
            p.parent().map(Path::to_path_buf).unwrap_or_default(),
        ),
        None => (ConfigFile::default(), PathBuf::new()),
    };

    let fail_on = match (args.fail_on, &config.fail_on) {
        (Some(f), _) => f.threshold(),
        (None, Some(s)) => parse_fail_on(s)?,
        (None, None) => FailOn::Low.threshold(),
    };

    let mut targets: Vec<TargetSpec> = paths
        .iter()
        .map(|p| TargetSpec {
            root: p.clone(),
            display: display_path(p),
            evidence_only: false,
        })
        .collect();
    let evidence: Vec<PathBuf> = args
        .evidence
        .iter()
        .cloned()
        .chain(config.evidence.iter().map(|p| base.join(p)))
        .collect();
    for e in evidence {
        if !e.is_dir() {
            bail!("evidence directory not found: {}", e.display());
        }
        targets.push(TargetSpec {
            display: display_path(&e),
            root: e,
            evidence_only: true,
        });
    }

    let mut dirs = args.controls.clone();
    dirs.extend(config.controls.iter().map(|p| base.join(p)));
    let documents = config
        .documents
        .into_iter()
        .map(|d| DocKindSpec {
            title: d.title.unwrap_or_else(|| d.id.clone()),
            id: d.id,
            names: d.names,
            dirs: d.dirs,
        })
        .collect();
    let load = LoadOptions {
        dirs,
        params: config.params,
        documents,
        no_builtin: false,
    };

    let mut only = args.only.clone();
    if only.is_empty() {
        only = config.only;
    }
    let mut skip = args.skip.clone();
    skip.extend(config.skip);

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);

    let mut output = None;
    let mut extra_outputs = Vec::new();
    for o in &args.output {
        match o
            .split_once('=')
            .and_then(|(f, p)| Format::from_str(f, true).ok().map(|f| (f, p)))
        {
            Some((format, path)) => extra_outputs.push((format, PathBuf::from(path))),
            None if output.is_none() => output = Some(PathBuf::from(o)),
            None => bail!("--output `{o}`: only one plain output file; use FORMAT=FILE for the others"),
        }
    }
    let config_name = config_path
        .as_ref()
        .map_or_else(|| "config".to_string(), |p| p.display().to_string());
    let mut waivers = Vec::new();
    for (i, w) in config.waivers.iter().enumerate() {
        waivers.push(w.compile(i).map_err(|e| anyhow::anyhow!("{config_name}: {e}"))?);
    }
    let baseline_path = args
        .baseline
        .clone()
        .or_else(|| config.baseline.as_ref().map(|p| base.join(p)));
    let baseline = match &baseline_path {
        Some(p) => Some(crate::policy::Baseline::read(p).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
    let fail_on_score = args.fail_on_score.or(config.fail_on_score);
    if let Some(s) = fail_on_score {
        if !(0.0..=100.0).contains(&s) {
            bail!("--fail-on-score must be between 0 and 100, found {s}");
        }
    }
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
        format: args.format,
        output,
        extra_outputs,
        fail_on,
        policy,
        new_since: args.new_since.clone(),
        load,
        only,
        skip,
        threads,
        max_file_size: args
            .max_file_size
            .or(config.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
        exclude: config.exclude,
        no_ignore: args.no_ignore,
        quiet: args.quiet,
    })
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
