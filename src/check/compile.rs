//! From YAML to compiled conditions. The spec types mirror the YAML (unknown keys are
//! errors); compiling validates regexes, globs, parameter references, document kinds,
//! catalogue and signal names, and registers content patterns and structured queries
//! with the scan plan. Problems are collected with the control file's line, not thrown.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::{
    artifact, bucket, cadence, coverage, covered, dependency, document, iam, inventory, mapped, owners,
    pattern, query, register, workload, Check, Condition,
};
use crate::check::catalog::Catalog;
use crate::check::catalog::SignalKind;
use crate::workspace::matcher::{self, LazyRegex, MatcherBuilder, Owner};
use crate::workspace::Query;

/// A condition as written in YAML: a map with a single key naming the combinator or the
/// primitive (`all`, `any`, `not`, `signal`, `pattern`, `register`, …).
// Specs live only while a pack is compiled; boxing the big variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ConditionSpec {
    All(Vec<ConditionSpec>),
    Any(Vec<ConditionSpec>),
    Not(Box<ConditionSpec>),
    Signal(Spanned<String>),
    Document(document::Spec),
    Pattern(pattern::Spec),
    Query(query::Spec),
    Dependency(dependency::Spec),
    Artifact(artifact::Spec),
    Inventory(inventory::Spec),
    Register(register::Spec),
    Coverage(coverage::Spec),
    Cadence(cadence::Spec),
    Iam(iam::Spec),
    Mapped(mapped::Spec),
    Bucket(bucket::Spec),
    Covered(covered::Spec),
    Owners(owners::Spec),
    Workload(workload::Spec),
}

/// One problem found while compiling, with the line (and, where the YAML parser or a value's
/// span gives it, the column) in the control file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diag {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

/// A number in a check that may instead name a control parameter: `365` or `$max_age_days`.
#[derive(Debug, Clone)]
pub struct Param {
    pub raw: Spanned<ParamRaw>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ParamRaw {
    Number(u32),
    Name(String),
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Param {
            raw: Spanned::deserialize(d)?,
        })
    }
}

/// The largest value a parameter may take, from what its name says it counts
/// (`tabletop_quarters`, `soc2_report_max_age_days`), and that unit; `None` when the name
/// says neither. A count of quarters is a loop bound (one entry per quarter in checks and
/// the roadmap), so an absurd value from a config file or a pack would exhaust memory.
pub fn param_limit(name: &str) -> Option<(u32, &'static str)> {
    if name.ends_with("_quarters") {
        Some((crate::date::MAX_QUARTERS, "quarters"))
    } else if name.ends_with("_days") {
        Some((crate::date::MAX_DAYS, "days"))
    } else {
        None
    }
}

/// Accepts any YAML scalar and keeps its text (`true`, `3`, `cluster-admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarText(pub String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            B(bool),
            I(i64),
            F(f64),
            S(String),
        }
        Ok(ScalarText(match Any::deserialize(d)? {
            Any::B(b) => b.to_string(),
            Any::I(i) => i.to_string(),
            Any::F(f) => f.to_string(),
            Any::S(s) => s,
        }))
    }
}

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            OneOrMany::One(_) => 1,
            OneOrMany::Many(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What compiling a control needs.
pub struct CompileCx<'a> {
    pub file: String,
    pub control_line: u32,
    pub matchers: &'a mut MatcherBuilder,
    pub queries: &'a mut Vec<Query>,
    /// The units that read Kubernetes workloads: the walk gathers them only for those.
    pub workload_readers: &'a mut Vec<(Owner, crate::workspace::workload::ModelHint)>,
    pub catalogs: &'a [Catalog],
    pub signals: &'a [String],
    pub doc_kinds: &'a [String],
    pub params: &'a BTreeMap<String, u32>,
    pub diags: &'a mut Vec<Diag>,
    /// Compile regexes now (any pack but the built-in one, whose tests compile them);
    /// otherwise on first use (see [`LazyRegex`]).
    pub eager: bool,
    /// The signals and catalogue patterns this unit reads (see [`Owner`]).
    pub uses: Vec<Owner>,
}

impl CompileCx<'_> {
    pub fn error(&mut self, line: Option<u32>, message: impl Into<String>) {
        self.diags.push(Diag {
            file: self.file.clone(),
            line: line.or(Some(self.control_line)),
            column: None,
            message: message.into(),
        });
    }

    /// A problem at a value: its line and column.
    pub fn error_at<T>(&mut self, s: &Spanned<T>, message: impl Into<String>) {
        let line = Self::line_of(s);
        self.diags.push(Diag {
            file: self.file.clone(),
            line: line.or(Some(self.control_line)),
            column: line
                .and_then(|_| u32::try_from(s.referenced.column()).ok())
                .filter(|c| *c > 0),
            message: message.into(),
        });
    }

    pub fn line_of<T>(s: &Spanned<T>) -> Option<u32> {
        u32::try_from(s.referenced.line()).ok().filter(|l| *l > 0)
    }

    /// A regex for untrusted text (validated now or on first use, see [`LazyRegex`]);
    /// reports and returns `None` when it is bad.
    pub fn regex(&mut self, src: &Spanned<String>) -> Option<LazyRegex> {
        match LazyRegex::new(&src.value, self.eager) {
            Ok(re) => Some(re),
            Err(e) => {
                self.error_at(src, e);
                None
            }
        }
    }

    /// Validates one regex or a list of them (all reported at the value's line); `None`
    /// when any is bad.
    pub fn regexes(&mut self, list: &Spanned<OneOrMany<String>>) -> Option<Vec<(String, LazyRegex)>> {
        let sources: Vec<String> = list.value.clone().into_vec();
        let mut out = Vec::new();
        for src in sources {
            match LazyRegex::new(&src, self.eager) {
                Ok(re) => out.push((src, re)),
                Err(e) => self.error_at(list, e),
            }
        }
        (out.len() == list.value.len()).then_some(out)
    }

    /// Validates globs; reports each bad one.
    pub fn globs(&mut self, globs: &[Spanned<String>]) -> Vec<String> {
        let mut out = Vec::new();
        for g in globs {
            match matcher::glob(&g.value) {
                Ok(_) => out.push(g.value.clone()),
                Err(e) => self.error(Self::line_of(g), e),
            }
        }
        out
    }

    pub fn doc_kind(&mut self, kind: &Spanned<String>) -> String {
        if !self.doc_kinds.contains(&kind.value) {
            let known = self.doc_kinds.join(", ");
            self.error(
                Self::line_of(kind),
                format!("unknown document kind `{}` (known: {known})", kind.value),
            );
        }
        kind.value.clone()
    }

    /// Resolves a catalogue, which this unit then reads in full (see
    /// [`Self::catalog_kinds`]).
    pub fn catalog(&mut self, name: &Spanned<String>) -> Option<usize> {
        self.catalog_kinds(name, None)
    }

    /// Resolves a catalogue of which this unit reads the usage markers and the patterns
    /// of `kinds` (all when `None`).
    pub fn catalog_kinds(&mut self, name: &Spanned<String>, kinds: Option<&[SignalKind]>) -> Option<usize> {
        let idx = self.catalogs.iter().position(|c| c.id == name.value);
        if let Some(i) = idx.and_then(|i| u32::try_from(i).ok()) {
            self.uses.push(Owner::Catalog(i, None));
            for k in kinds.unwrap_or(&SignalKind::ALL) {
                self.uses.push(Owner::Catalog(i, Some(*k as u8)));
            }
        }
        if idx.is_none() {
            let known: Vec<&str> = self.catalogs.iter().map(|c| c.id.as_str()).collect();
            self.error(
                Self::line_of(name),
                format!("unknown catalog `{}` (known: {})", name.value, known.join(", ")),
            );
        }
        idx
    }

    /// Resolves a parameter to its number (control parameters, overridden by the config).
    pub fn param(&mut self, p: &Param) -> Option<u32> {
        let line = Self::line_of(&p.raw);
        match &p.raw.value {
            ParamRaw::Number(n) => Some(*n),
            ParamRaw::Name(name) => {
                let key = name.strip_prefix('$').unwrap_or(name);
                if !name.starts_with('$') {
                    self.error(
                        line,
                        format!("expected a number or a `$parameter` reference, found `{name}`"),
                    );
                    return None;
                }
                match self.params.get(key) {
                    Some(v) => Some(*v),
                    None => {
                        self.error(
                            line,
                            format!("unknown parameter `{name}`: declare it under the control's `params`"),
                        );
                        None
                    }
                }
            }
        }
    }

    /// Resolves a parameter counting `unit`s (`quarters`, `days`) that must be at most
    /// `max`, whatever it is named: a larger value is reported and `None`.
    pub fn param_at_most(&mut self, p: &Param, max: u32, unit: &str) -> Option<u32> {
        let v = self.param(p)?;
        if v > max {
            let what = match &p.raw.value {
                ParamRaw::Name(name) => format!("`{name}` is {v} {unit}"),
                ParamRaw::Number(_) => format!("{v} {unit}"),
            };
            self.error(
                Self::line_of(&p.raw),
                format!("{what}: at most {max} {unit} (ten years) is allowed"),
            );
            return None;
        }
        Some(v)
    }
}

impl ConditionSpec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Condition> {
        Some(match self {
            ConditionSpec::All(list) | ConditionSpec::Any(list) => {
                if list.is_empty() {
                    cx.error(None, "`all`/`any` needs at least one condition");
                }
                let children: Vec<Condition> = list.iter().filter_map(|c| c.compile(cx)).collect();
                if children.len() != list.len() {
                    return None;
                }
                if matches!(self, ConditionSpec::All(_)) {
                    Condition::All(children)
                } else {
                    Condition::Any(children)
                }
            }
            ConditionSpec::Not(inner) => Condition::Not(Box::new(inner.compile(cx)?)),
            ConditionSpec::Signal(name) => match cx.signals.iter().position(|s| *s == name.value) {
                Some(i) => {
                    cx.uses.push(Owner::Unit(u32::try_from(i).unwrap_or(u32::MAX)));
                    Condition::Signal(i)
                }
                None => {
                    cx.error(
                        CompileCx::line_of(name),
                        format!(
                            "unknown signal `{}` (known: {})",
                            name.value,
                            cx.signals.join(", ")
                        ),
                    );
                    return None;
                }
            },
            ConditionSpec::Document(s) => Condition::Check(Check::Document(s.compile(cx)?)),
            ConditionSpec::Pattern(s) => Condition::Check(Check::Pattern(s.compile(cx)?)),
            ConditionSpec::Query(s) => Condition::Check(Check::Query(s.compile(cx)?)),
            ConditionSpec::Dependency(s) => Condition::Check(Check::Dependency(s.compile(cx)?)),
            ConditionSpec::Artifact(s) => Condition::Check(Check::Artifact(s.compile(cx)?)),
            ConditionSpec::Inventory(s) => Condition::Check(Check::Inventory(s.compile(cx)?)),
            ConditionSpec::Register(s) => Condition::Check(Check::Register(s.compile(cx)?)),
            ConditionSpec::Coverage(s) => Condition::Check(Check::Coverage(s.compile(cx)?)),
            ConditionSpec::Cadence(s) => Condition::Check(Check::Cadence(s.compile(cx)?)),
            ConditionSpec::Iam(s) => Condition::Check(Check::Iam(Box::new(s.compile(cx)?))),
            ConditionSpec::Mapped(s) => Condition::Check(Check::Mapped(s.compile(cx)?)),
            ConditionSpec::Bucket(s) => Condition::Check(Check::Bucket(s.compile(cx)?)),
            ConditionSpec::Covered(s) => Condition::Check(Check::Covered(s.compile(cx)?)),
            ConditionSpec::Owners(s) => Condition::Check(Check::Owners(s.compile(cx)?)),
            ConditionSpec::Workload(s) => Condition::Check(Check::Workload(s.compile(cx)?)),
        })
    }
}
