//! Loading and compiling the control pack: built-ins plus `--controls` directories, with
//! config overrides for parameters and document names. Every problem is collected as a
//! [`Diag`] with file:line; the caller decides to stop (exit 2) when there are any.

mod controls;
mod documents;
mod parsed;
mod signals;
mod sources;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::spec::DocKindSpec;
use super::{builtin, ControlSet};
use crate::check::catalog::{self, Catalog};
use crate::check::compile::Diag;
use crate::check::{CompileCx, DocKindInfo, Signal};
use crate::redact::Redactor;
use crate::timings::Phase;
use crate::workspace::matcher::{MatcherBuilder, Matchers, Owner};
use crate::workspace::workload::ModelHint;
use crate::workspace::{DocKind, Query};

pub use sources::{check_pack_dir, PackRefused, MAX_PACK_BYTES, MAX_PACK_FILE, MAX_PACK_FILES};
pub use yaml::clean_yaml_error;

#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// `--controls` directories: add controls, or override built-ins with the same id.
    pub dirs: Vec<PathBuf>,
    /// Parameter overrides from the config file (`params:`), by parameter name.
    pub params: BTreeMap<String, u32>,
    /// Document-kind name overrides from the config file (`documents:`).
    pub documents: Vec<DocKindSpec>,
    /// Control directories named by an untrusted target's config (`--untrusted`): their
    /// controls are added, but one with a built-in control's id, and their catalogue and
    /// document files, are not used (each is listed in [`Loaded::refused`]), so a pull
    /// request cannot weaken a built-in check through a pack.
    pub untrusted_dirs: Vec<PathBuf>,
    /// Skip the built-in pack (for `controls validate DIR` of a standalone pack).
    pub no_builtin: bool,
    /// Compile every regex of the built-in pack now, as `controls validate` and the tests
    /// do; a scan compiles them on first use (see [`LazyRegex`]). Other packs are always
    /// compiled at load.
    ///
    /// [`LazyRegex`]: crate::workspace::matcher::LazyRegex
    pub check_builtin: bool,
}

/// Everything compiled from the control pack.
#[derive(Debug)]
pub struct Loaded {
    pub controls: ControlSet,
    /// What each signal and control reads, to scan only for the selected ones.
    pub owners: Owners,
    pub catalogs: Vec<Catalog>,
    pub signals: Vec<Signal>,
    pub doc_kinds: Vec<DocKind>,
    pub doc_kind_info: Vec<DocKindInfo>,
    /// Folders whose documents are not evidence (`not_evidence:` of `documents.yaml`).
    pub not_evidence: crate::workspace::content::NotEvidence,
    pub matchers: Matchers,
    pub queries: Vec<Query>,
    /// The catalogues' rules for unprefixed keys nested in configuration.
    pub nested_keys: Vec<crate::workspace::nested_key::Rule>,
    /// The signals and controls that read Kubernetes workloads (see
    /// `ScanPlan::workloads`).
    pub workload_readers: Vec<(Owner, ModelHint)>,
    /// The pattern that finds inline `redflag:ignore` comments.
    pub inline_suppressions: crate::workspace::PatternId,
    /// The built-in secret shapes plus every key rule of the pack's catalogues: what report
    /// building redacts with, so whatever a key rule detects is masked in every format.
    pub redactor: Redactor,
    /// Problems; when not empty the pack must not be used.
    pub diags: Vec<Diag>,
    /// Parts of untrusted packs that were not used, and why (shown as report notes).
    pub refused: Vec<Diag>,
}
/// Loads and compiles the pack. The steps: gather the files (`sources`), parse them
/// (`parsed`), compile document kinds (`documents`), catalogues, signals (`signals`) and
/// controls (`controls`) into one matcher set, then build it.
pub fn load(opts: &LoadOptions) -> Loaded {
    let mut diags = Vec::new();
    let mut refused = Vec::new();
    let sources = sources::gather(opts, &mut diags, &mut refused);

    let parse_phase = Phase::start("load: parse YAML");
    let parsed = parsed::Parsed::read(&sources, opts, &mut diags);
    drop(parse_phase);

    let compile_phase = Phase::start("load: compile documents, catalogue, checks");
    let (doc_kinds, doc_kind_info) = documents::kinds(&parsed.documents, &mut diags);
    let not_evidence = documents::not_evidence(&parsed.not_evidence, &mut diags);
    let mut b = Builder {
        opts,
        sources,
        diags,
        refused,
        matchers: MatcherBuilder::default(),
        queries: Vec::new(),
        workload_readers: Vec::new(),
        owners: Owners::default(),
        catalogs: Vec::new(),
        kind_ids: doc_kinds.iter().map(|k| k.id.clone()).collect(),
        signal_names: Vec::new(),
    };
    let inline_suppressions = b.matchers.add(super::INLINE_WAIVER_PATTERN, &[], &[]);
    let mut nested_keys = Vec::new();
    b.catalogs = catalog::compile(
        parsed.catalogs,
        &mut b.matchers,
        &mut b.queries,
        &mut nested_keys,
        &mut b.diags,
    );
    // The redactor needs only the catalogues' key rules: it compiles on the other core
    // while signals and controls compile.
    let key_rules = b.key_rules();
    let (redactor, (signals, controls)) = rayon::join(
        || redactor(&key_rules),
        || (b.signals(&parsed.signals), b.controls(parsed.controls)),
    );
    let redactor = redactor.unwrap_or_else(|e| {
        b.diags.push(Diag {
            file: "catalog".into(),
            line: None,
            column: None,
            message: e.0,
        });
        Redactor::default()
    });
    drop(compile_phase);

    let matchers = b.build_matchers();
    let mut diags = b.diags;
    diags.sort();
    diags.dedup();
    Loaded {
        controls: ControlSet { controls },
        owners: b.owners,
        catalogs: b.catalogs,
        signals,
        doc_kinds,
        doc_kind_info,
        not_evidence,
        matchers,
        queries: b.queries,
        nested_keys,
        workload_readers: b.workload_readers,
        inline_suppressions,
        redactor,
        diags,
        refused: b.refused,
    }
}

/// The pack being compiled: what each step adds to (patterns, queries, owners, problems)
/// and what later steps read (catalogues, document kinds, earlier signals).
struct Builder<'o> {
    opts: &'o LoadOptions,
    sources: Vec<sources::SourceFile>,
    diags: Vec<Diag>,
    refused: Vec<Diag>,
    matchers: MatcherBuilder,
    queries: Vec<Query>,
    workload_readers: Vec<(Owner, ModelHint)>,
    owners: Owners,
    catalogs: Vec<Catalog>,
    kind_ids: Vec<String>,
    signal_names: Vec<String>,
}

impl Builder<'_> {
    /// The context a condition of source file `i` compiles in. Built-in regexes compile
    /// on first use unless the pack is being checked; other packs' compile now.
    fn cx<'a>(&'a mut self, i: usize, line: u32, params: &'a BTreeMap<String, u32>) -> CompileCx<'a> {
        CompileCx {
            file: self.sources[i].display.clone(),
            control_line: line,
            matchers: &mut self.matchers,
            queries: &mut self.queries,
            workload_readers: &mut self.workload_readers,
            catalogs: &self.catalogs,
            signals: &self.signal_names,
            doc_kinds: &self.kind_ids,
            params,
            diags: &mut self.diags,
            eager: self.opts.check_builtin || i >= builtin_len(self.opts),
            uses: Vec::new(),
        }
    }

    /// Every key rule of the catalogues.
    fn key_rules(&self) -> Vec<crate::redact::KeyRule> {
        self.catalogs
            .iter()
            .flat_map(|c| c.items.iter())
            .flat_map(|i| i.keys.iter().map(|(_, rule)| rule.clone()))
            .collect()
    }

    /// Builds the matcher set; a pack other than the built-in one (or the built-in one
    /// being checked) has every regex compiled now.
    fn build_matchers(&mut self) -> Matchers {
        let _phase = Phase::start("load: build matchers");
        let builder = std::mem::take(&mut self.matchers);
        let matchers = builder.build().unwrap_or_else(|e| {
            self.diags.push(together(&e));
            Matchers::empty()
        });
        if self.opts.check_builtin || self.sources.len() > builtin_len(self.opts) {
            if let Err(e) = matchers.check() {
                self.diags.push(together(&e));
            }
        }
        matchers
    }
}

/// The built-in secret shapes plus the catalogues' key rules.
fn redactor(key_rules: &[crate::redact::KeyRule]) -> Result<Redactor, crate::redact::RuleError> {
    let _phase = Phase::start("load: redactor");
    Redactor::new(key_rules)
}

fn together(e: &dyn std::fmt::Display) -> Diag {
    Diag {
        file: "controls".into(),
        line: None,
        column: None,
        message: format!("patterns do not compile together: {e}"),
    }
}

/// Owners of controls are numbered from here; signals from 0.
const CONTROL_UNITS: u32 = 1 << 20;

/// Which patterns and queries each signal and control reads (see [`Owner`]).
#[derive(Debug, Default)]
pub struct Owners {
    /// For each signal and control: the signals and catalogue patterns it reads.
    pub units: BTreeMap<Owner, Vec<Owner>>,
    /// The owner of each control, by id.
    pub controls: BTreeMap<String, Owner>,
}

impl Owners {
    /// Everything the controls `ids` read, directly or through signals.
    pub fn needed<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> BTreeSet<Owner> {
        let mut needed = BTreeSet::from([Owner::Always]);
        let mut todo: Vec<Owner> = ids
            .into_iter()
            .filter_map(|id| self.controls.get(id).copied())
            .collect();
        while let Some(o) = todo.pop() {
            if needed.insert(o) {
                todo.extend(self.units.get(&o).into_iter().flatten().copied());
            }
        }
        needed
    }
}
fn builtin_len(opts: &LoadOptions) -> usize {
    if opts.no_builtin {
        0
    } else {
        builtin::BUILTIN.len()
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn messages(loaded: &Loaded) -> Vec<String> {
        loaded
            .diags
            .iter()
            .map(|d| format!("{}: {}", d.file, d.message))
            .collect()
    }

    /// A control of a pack whose cadence looks back `quarters`, declaring `name: value`.
    fn cadence_pack(dir: &Path, quarters: &str, name: &str, value: u64) {
        std::fs::write(
            dir.join("X-CADENCE.yaml"),
            format!(
                "id: X-CADENCE\ntitle: t\nseverity: low\ntsc: [CC7.4]\nrationale: r\nremediation: f\n\
                 params:\n  {name}: {value}\ncheck:\n  cadence:\n    document: tabletop\n    \
                 quarters: {quarters}\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn thresholds_are_bounded_when_a_pack_is_compiled() {
        // A trusted config (`--config`) asking for four billion quarters: refused, naming the
        // control and the parameter, before any check or the roadmap lists the quarters.
        let mut opts = LoadOptions::default();
        opts.params.insert("tabletop_quarters".into(), 4_000_000_000);
        let loaded = load(&opts);
        let m = messages(&loaded);
        assert!(
            m.iter().any(|d| d.contains("control `RF4-TABLETOP-CADENCE`")
                && d.contains("`tabletop_quarters` is 4000000000 quarters")
                && d.contains("at most 40")),
            "{m:#?}"
        );
        assert!(loaded.controls.get("RF4-TABLETOP-CADENCE").is_none());
        opts.params.insert("tabletop_quarters".into(), 40);
        assert!(load(&opts).diags.is_empty());

        let mut opts = LoadOptions::default();
        opts.params.insert("soc2_report_max_age_days".into(), 3_651);
        let m = messages(&load(&opts));
        assert!(
            m.iter()
                .any(|d| d.contains("`soc2_report_max_age_days` is 3651 days")),
            "{m:#?}"
        );

        // Declared by a pack, whatever the parameter is called, or written in the check.
        let dir = tempfile::tempdir().unwrap();
        let pack = LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            ..LoadOptions::default()
        };
        cadence_pack(dir.path(), "$review_quarters", "review_quarters", 41);
        let m = messages(&load(&pack));
        assert!(
            m.iter()
                .any(|d| d.contains("control `X-CADENCE`: parameter `review_quarters` is 41")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "$every", "every", 41);
        let m = messages(&load(&pack));
        assert!(
            m.iter()
                .any(|d| d.contains("`$every` is 41 quarters: at most 40")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "4000000000", "every", 1);
        let m = messages(&load(&pack));
        assert!(
            m.iter().any(|d| d.contains("4000000000 quarters: at most 40")),
            "{m:#?}"
        );
        cadence_pack(dir.path(), "$every", "every", 8);
        assert!(load(&pack).diags.is_empty(), "{:#?}", messages(&load(&pack)));
    }

    /// A scan compiles the built-in pack's regexes on first use; this is where every one
    /// of them, and all patterns as one set, is compiled and must be valid.
    #[test]
    fn the_builtin_pack_compiles_every_regex() {
        let loaded = load(&LoadOptions {
            check_builtin: true,
            ..LoadOptions::default()
        });
        assert_eq!(messages(&loaded), Vec::<String>::new());
    }

    /// Client reports and the roadmap speak for every built-in control: a control added
    /// without its plain risk and its roadmap action would fall back to generic text.
    #[test]
    fn every_builtin_control_has_its_client_texts() {
        let loaded = load(&LoadOptions::default());
        let missing: Vec<&str> = loaded
            .controls
            .controls
            .iter()
            .filter(|c| c.risk.is_none() || c.roadmap.action.is_none())
            .map(|c| c.id.as_str())
            .collect();
        assert!(missing.is_empty(), "no `risk:` or `roadmap.action`: {missing:?}");
        // A recurring control (a `cadence` check) says which parameters its roadmap plans
        // with, and only a recurring control does.
        let recurring: Vec<(&str, bool, bool)> = loaded
            .controls
            .controls
            .iter()
            .map(|c| {
                let checked = c.check.as_ref().is_some_and(crate::check::Condition::has_cadence);
                (c.id.as_str(), checked, c.roadmap.cadence.is_some())
            })
            .filter(|(_, checked, planned)| checked != planned)
            .collect();
        assert!(
            recurring.is_empty(),
            "`cadence` check without `roadmap.cadence` or the reverse: {recurring:?}"
        );
        assert!(loaded
            .controls
            .controls
            .iter()
            .any(|c| c.roadmap.cadence.is_some()));
    }

    #[test]
    fn roadmap_cadence_names_declared_parameters() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("X-REC.yaml"),
            "id: X-REC\ntitle: t\nseverity: low\ntsc: [CC7.4]\nrationale: r\nremediation: f\n\
             params:\n  drill_quarters: 2\nroadmap:\n  cadence: {quarters: drill_quarters, before_window: nope_quarters}\n",
        )
        .unwrap();
        let loaded = load(&LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            ..LoadOptions::default()
        });
        let m = messages(&loaded);
        assert_eq!(
            m.iter().filter(|d| d.contains("`roadmap.cadence` names")).count(),
            1,
            "{m:#?}"
        );
        assert!(m.iter().any(|d| d.contains("`nope_quarters`")), "{m:#?}");
    }

    #[test]
    fn requires_and_defers_to_name_other_controls() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("X-ONE.yaml"),
            "id: X-ONE\ntitle: t\nseverity: low\ntsc: [CC7.4]\nrationale: r\nremediation: f\n\
             requires: [RF4-IR-PLAN, X-NOPE]\ndefers_to: [X-ONE, RF1-IAM-WILDCARD-AI]\n",
        )
        .unwrap();
        let loaded = load(&LoadOptions {
            dirs: vec![dir.path().to_path_buf()],
            ..LoadOptions::default()
        });
        let m = messages(&loaded);
        assert!(
            m.iter()
                .any(|d| d.contains("`requires: X-NOPE` names no other control")),
            "{m:#?}"
        );
        assert!(
            m.iter()
                .any(|d| d.contains("`defers_to: X-ONE` names no other control")),
            "{m:#?}"
        );
        assert_eq!(m.len(), 2, "{m:#?}");
    }
}
