//! Every pack file parsed into its spec, sorted by role, with the precedence rules applied:
//! a trusted pack's catalogue or signal replaces the built-in one of that id, a later
//! `documents.yaml` kind replaces an earlier one, and the config file's `documents:` set
//! the names of a kind.

use super::sources::{role_of, Role, SourceFile};
use super::yaml::parse;
use super::{builtin_len, LoadOptions};
use crate::check::catalog::CatalogSpec;
use crate::check::compile::Diag;
use crate::control::spec::{ControlSpec, DocKindSpec, DocumentsFile, SignalSpec, SignalsFile};
use crate::workspace::content::NotEvidenceSpec;

/// One file parsed by its role (`None`: ignored, or it did not parse).
enum Spec {
    Control(Box<ControlSpec>),
    Catalog(Box<CatalogSpec>),
    Signals(SignalsFile),
    Documents(DocumentsFile),
    None,
}

impl Spec {
    fn parse(src: &SourceFile) -> (Spec, Vec<Diag>) {
        let mut diags = Vec::new();
        let spec = match role_of(&src.rel) {
            Role::Control => parse::<ControlSpec>(src, &mut diags).map(|c| Spec::Control(Box::new(c))),
            Role::Catalog => parse::<CatalogSpec>(src, &mut diags).map(|c| Spec::Catalog(Box::new(c))),
            Role::Signals => parse::<SignalsFile>(src, &mut diags).map(Spec::Signals),
            Role::Documents => parse::<DocumentsFile>(src, &mut diags).map(Spec::Documents),
            Role::Ignore => None,
        };
        (spec.unwrap_or(Spec::None), diags)
    }
}

/// The specs of a pack, before compiling.
#[derive(Default)]
pub(super) struct Parsed {
    /// Controls with the index of their source file.
    pub(super) controls: Vec<(usize, ControlSpec)>,
    /// Catalogues: source shown, spec, and whether its regexes compile now.
    pub(super) catalogs: Vec<(String, CatalogSpec, bool)>,
    pub(super) signals: Vec<(usize, SignalSpec)>,
    pub(super) documents: Vec<DocKindSpec>,
    pub(super) not_evidence: NotEvidenceSpec,
}

impl Parsed {
    /// Parses every file (in parallel: the pack's YAML is most of a scan's start-up), then
    /// applies them in source order, so precedence and diagnostics do not depend on threads.
    pub(super) fn read(sources: &[SourceFile], opts: &LoadOptions, diags: &mut Vec<Diag>) -> Parsed {
        use rayon::prelude::*;
        let specs: Vec<(Spec, Vec<Diag>)> = sources.par_iter().map(Spec::parse).collect();
        let mut parsed = Parsed::default();
        let builtin = builtin_len(opts);
        let mut catalog_src: Vec<usize> = Vec::new();
        for (i, (spec, mut problems)) in specs.into_iter().enumerate() {
            diags.append(&mut problems);
            let src = &sources[i];
            let trusted = i >= builtin && !src.untrusted;
            match spec {
                Spec::Control(c) => parsed.controls.push((i, *c)),
                Spec::Catalog(c) => {
                    let entry = (src.display.clone(), *c, opts.check_builtin || i >= builtin);
                    add_catalog(
                        &mut parsed.catalogs,
                        &mut catalog_src,
                        entry,
                        (i, builtin, trusted),
                    );
                }
                Spec::Signals(s) => add_signals(&mut parsed.signals, s.signals, (i, builtin, trusted)),
                Spec::Documents(d) => parsed.add_documents(d),
                Spec::None => {}
            }
        }
        parsed.override_documents(&opts.documents);
        parsed
    }

    fn add_documents(&mut self, d: DocumentsFile) {
        self.not_evidence.dirs.extend(d.not_evidence.dirs);
        self.not_evidence.names.extend(d.not_evidence.names);
        self.not_evidence.paths.extend(d.not_evidence.paths);
        for k in d.documents {
            match self.documents.iter_mut().find(|x| x.id == k.id) {
                Some(existing) => *existing = k,
                None => self.documents.push(k),
            }
        }
    }

    /// The config file's `documents:`: names (and folders, when given) of a kind.
    fn override_documents(&mut self, overrides: &[DocKindSpec]) {
        for k in overrides {
            match self.documents.iter_mut().find(|x| x.id == k.id) {
                Some(existing) => {
                    existing.names.clone_from(&k.names);
                    if !k.dirs.is_empty() {
                        existing.dirs.clone_from(&k.dirs);
                    }
                    existing.trusted_names.clone_from(&k.trusted_names);
                }
                None => self.documents.push(k.clone()),
            }
        }
    }
}

/// Where a pack file comes from: its index among the sources, the number of built-in
/// sources before it, and whether it is a trusted pack's (not built-in, not untrusted).
type Origin = (usize, usize, bool);

/// Adds a catalogue; a trusted pack's catalogue replaces the built-in one of that id (a
/// copy of the built-in pack, edited, is a pack). Any other duplicate is kept, and
/// reported as one when compiled.
fn add_catalog(
    specs: &mut Vec<(String, CatalogSpec, bool)>,
    src_of: &mut Vec<usize>,
    entry: (String, CatalogSpec, bool),
    (i, builtin, trusted): Origin,
) {
    let builtin_one = src_of
        .iter()
        .zip(specs.iter())
        .position(|(j, (_, x, _))| *j < builtin && x.catalog == entry.1.catalog);
    match builtin_one {
        Some(k) if trusted => {
            specs[k] = entry;
            src_of[k] = i;
        }
        _ => {
            specs.push(entry);
            src_of.push(i);
        }
    }
}

/// Adds signals; like catalogues, a trusted pack's signal replaces the built-in one.
fn add_signals(
    specs: &mut Vec<(usize, SignalSpec)>,
    signals: Vec<SignalSpec>,
    (i, builtin, trusted): Origin,
) {
    for s in signals {
        match specs
            .iter()
            .position(|(j, x)| *j < builtin && x.id.value == s.id.value)
        {
            Some(k) if trusted => specs[k] = (i, s),
            _ => specs.push((i, s)),
        }
    }
}
