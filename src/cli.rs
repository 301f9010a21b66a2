//! The command line, declared with clap. Nothing here does work: `app` resolves these
//! arguments into settings and runs the pipeline.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::control::Severity;

/// What each exit code means, at the end of `redflag --help` and `redflag scan --help`.
pub const EXIT_CODES: &str = "Exit codes: 0 no gap at or above --fail-on; 1 gaps found at or above \
--fail-on (default low: any gap), which is the expected result of a scan that finds gaps (--fail-on \
none or --soft-fail to exit 0); 2 usage, config or control error.";

/// Find where an AI company's SOC 2 Type II controls will fail the audit, with file:line
/// evidence an auditor would accept.
#[derive(Debug, Parser)]
#[command(name = "redflag", version, about, long_about = None, propagate_version = true)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan repositories or directories of exported configs and documents for SOC 2 gaps.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// List, validate or export control definitions.
    #[command(subcommand)]
    Controls(ControlsCommand),
    /// Explain a control: what it checks, why auditors care, the evidence they ask for, how to fix it.
    Explain {
        /// Control id, e.g. RF3-VENDOR-REGISTERED (case-insensitive).
        id: String,
        /// Also load controls from this directory (the config file's `controls:`
        /// directories are loaded too).
        #[arg(long, value_name = "DIR")]
        controls: Vec<PathBuf>,
        /// Config file whose `controls:` directories and `params:` apply [default:
        /// redflag.yaml or .redflag.yaml in the current directory].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Record the current gaps as a baseline, so CI fails only on new ones.
    Baseline(BaselineArgs),
    /// Write starter evidence files (vendor register, AI incident playbook, lineage records,
    /// tabletop and access-review templates) filled from what a scan detects, with TODOs.
    Init(InitArgs),
    /// Combine JSON reports (e.g. one CI job per repository) into one, in any format.
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, in roff: `redflag man > redflag.1`, `redflag man scan >
    /// redflag-scan.1`.
    Man {
        /// A subcommand's page (e.g. `scan`) instead of the main one.
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Tighten an existing baseline: drop entries whose gaps are fixed, add nothing new.
    #[arg(long)]
    pub update: bool,
}

/// Cover and scope of the consultant reports (Markdown, HTML, roadmap).
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Client name for the cover of Markdown and HTML reports.
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,

    /// Assessor named on the cover of Markdown and HTML reports.
    #[arg(long, value_name = "NAME")]
    pub assessor: Option<String>,

    /// Trust Services categories in scope besides security: availability, confidentiality,
    /// processing-integrity, privacy (comma-separated).
    #[arg(long, value_name = "CATEGORY", value_delimiter = ',')]
    pub scope: Vec<String>,

    /// Test a planned start date of the Type II observation window in the roadmap.
    #[arg(long, value_name = "DATE")]
    pub window_start: Option<String>,

    /// Terminal report: also list passing, not-applicable and blocked controls, with what
    /// each examined or why it does not apply (by default only gaps are detailed).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `redflag scan --format json`.
    #[arg(required = true, value_name = "REPORT.json")]
    pub files: Vec<PathBuf>,
    /// Output format [default: the output file's extension, else json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the merged report to FILE instead of standard output, in the format its
    /// extension names unless --format is given.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// Table of controls: id, red flag, severity, Trust Services Criteria, title
    /// (`--format markdown`: the control reference, docs/controls.md for the built-in pack).
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Also load controls from this directory.
        #[arg(long, value_name = "DIR")]
        controls: Vec<PathBuf>,
    },
    /// Print every content regex the controls run, one per line (feed them to `rg -f` to
    /// compare a scan with a grep doing the same matching).
    Patterns {
        /// Also load controls from this directory.
        #[arg(long, value_name = "DIR")]
        controls: Vec<PathBuf>,
    },
    /// Check control files (schema, unknown keys, missing fields, duplicate ids, TSC ids,
    /// regexes, globs): every problem of every file, at file:line:column.
    Validate {
        /// Directory of control files (default: the built-in pack only).
        dir: Option<PathBuf>,
    },
    /// Write the built-in pack (controls, signals, catalogue, document kinds) into DIR, as
    /// the starting point of your own: edit it, then `--controls DIR` (its files replace
    /// the built-ins of the same id).
    Export {
        /// Directory to write into (created if needed).
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    /// The control reference: an index, then each control's check, criteria, evidence and
    /// fix (docs/controls.md is this, for the built-in pack).
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable report grouped by red flag.
    Table,
    /// The JSON report (schema_version 2, docs/report-contract.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per control, for GitLab and Jenkins.
    Junit,
    /// A consultant's gap report in Markdown.
    Markdown,
    /// The same report as one self-contained HTML file (prints to PDF).
    Html,
    /// The month-by-month readiness roadmap, as text.
    Roadmap,
    /// One row per finding (control, TSC ids, status, severity, evidence, fix), for
    /// spreadsheets; cells are never formulas.
    Csv,
    /// OSCAL 1.1 assessment-results (JSON), for GRC tools.
    Oscal,
}

impl Format {
    /// The format a report file's extension names: `.json`, `.sarif` (and `.sarif.json`),
    /// `.xml` (and `.junit.xml`), `.md`, `.html`, `.csv`, `.txt`; `None` for any other.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let ext = |e: &str| name.len() > e.len() && name.ends_with(e);
        Some(if ext(".sarif") || ext(".sarif.json") {
            Format::Sarif
        } else if ext(".oscal.json") {
            Format::Oscal
        } else if ext(".json") {
            Format::Json
        } else if ext(".xml") {
            Format::Junit
        } else if ext(".md") || ext(".markdown") {
            Format::Markdown
        } else if ext(".html") || ext(".htm") {
            Format::Html
        } else if ext(".csv") {
            Format::Csv
        } else if ext(".txt") {
            Format::Table
        } else {
            return None;
        })
    }

    /// Every format name, for error messages: `table, json, sarif, …`.
    pub fn names() -> String {
        Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The name `--format` takes.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    None,
}

impl FailOn {
    /// The lowest severity that fails the run, or `None` when nothing does.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Repositories or directories to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: table, or the extension of a plain --output FILE].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write the report to FILE instead of standard output, in --format if given, else in the
    /// format FILE's extension names (.json, .sarif, .xml/.junit.xml, .md, .html, .csv,
    /// .oscal.json, .txt);
    /// `FORMAT=FILE` (e.g. `sarif=redflag.sarif`) writes that format to FILE beside the
    /// standard output report. Repeatable.
    #[arg(short, long, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,

    /// Compare with a baseline file: only new gaps count toward --fail-on.
    #[arg(long, value_name = "FILE", conflicts_with = "new_since")]
    pub baseline: Option<PathBuf>,

    /// Inside a git repository: report as new only the gaps absent from the tree at REF
    /// (e.g. origin/main). The checkout, branches and index are not touched.
    #[arg(long, value_name = "REF")]
    pub new_since: Option<String>,

    /// Also fail when the readiness score is below this number (0-100).
    #[arg(long, value_name = "SCORE")]
    pub fail_on_score: Option<f64>,

    /// Report gaps but always exit 0 (errors still exit 2).
    #[arg(long)]
    pub soft_fail: bool,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Assessment date (YYYY-MM-DD) used by every freshness and cadence rule [default: today].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,

    /// Load controls from DIR too; a control with a built-in's id replaces it.
    #[arg(long, value_name = "DIR")]
    pub controls: Vec<PathBuf>,

    /// Evaluate only these controls (ids, or rf1..rf5 for a whole red flag). Repeatable or comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Skip these controls (ids or rf1..rf5). Repeatable or comma-separated.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Exit 1 when a gap of this severity or higher is found.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Config file [default: redflag.yaml or .redflag.yaml at the first target's root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Also scan gitignored files and vendored directories (node_modules, vendor, .venv, …).
    #[arg(long)]
    pub no_ignore: bool,

    /// Worker threads for the walk, 1 to 512 [default: number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,

    /// Directory searched only for evidence documents (registers, plans, records), e.g. a
    /// policies repository or a shared-drive export. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub evidence: Vec<PathBuf>,

    /// Files larger than this are indexed by path and size but never read, at most 1 GiB
    /// [default: 5 MiB].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(0..=1 << 30))]
    pub max_file_size: Option<u64>,

    /// Print nothing on standard error but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Scan the target as untrusted code (a pull request from a fork): its config file may
    /// only make the scan stricter, its control packs only add controls, and inline
    /// `redflag:ignore` comments and `.ignore` files are not obeyed. On by default in a CI
    /// job for a pull or merge request.
    #[arg(long, conflicts_with = "trusted")]
    pub untrusted: bool,

    /// Trust the target even in a CI job for a pull request (turns the automatic
    /// --untrusted off).
    #[arg(long)]
    pub trusted: bool,
}
