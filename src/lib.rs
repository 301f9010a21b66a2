//! redflag: find where an AI company's SOC 2 Type II controls will fail the audit.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`settings`]: command line and config file resolved into one `Settings` (the only
//!    place the clock is read, for the `--as-of` default).
//! 2. [`control`]: YAML control definitions, catalogues and signals loaded and compiled into
//!    typed checks; every problem is reported with file:line.
//! 3. [`workspace`]: one parallel walk over every target; each file is read at most once, all
//!    content patterns run in one pass, manifests and evidence documents are parsed there.
//! 4. [`check`]: the checker primitives evaluate controls against the workspace (no I/O).
//! 5. [`report`]: findings, statuses, score and exit code computed once into a plain data
//!    model; renderers only lay it out.

pub mod app;
pub mod check;
pub mod cli;
pub mod control;
pub mod date;
pub mod embedded;
pub mod evidence;
pub mod fsread;
pub mod fswrite;
pub mod gitread;
pub mod init;
pub mod policy;
pub mod redact;
pub mod report;
pub mod settings;
pub mod text;
pub mod timings;
pub mod workspace;
