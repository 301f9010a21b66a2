//! Controls: one per id (a `--controls` directory overrides a built-in; an untrusted pack
//! may only add), each validated (id, file name, severity, red flag, criteria, texts,
//! bounded parameters, references to other controls and starter files) and its
//! `applies_when`, `check` and `examines` compiled.

use std::collections::{BTreeMap, BTreeSet};

use super::yaml::line_of;
use super::{builtin_len, Builder, CONTROL_UNITS};
use crate::check::compile::Diag;
use crate::check::CompileCx;
use crate::control::spec::{ControlSpec, RoadmapSpec};
use crate::control::{tsc, CadenceParams, Control, RoadmapText, Severity, Source};
use crate::text::printable;
use crate::workspace::matcher::{glob_set, Owner};

impl Builder<'_> {
    /// Compiles the controls, sorted by red flag and id; config parameters no control
    /// declares are problems.
    pub(super) fn controls(&mut self, specs: Vec<(usize, ControlSpec)>) -> Vec<Control> {
        let by_id = self.one_per_id(specs);
        let known_ids: BTreeSet<String> = by_id.keys().cloned().collect();
        let mut compiled: Vec<Control> = Vec::new();
        let mut used_params = BTreeSet::new();
        for (id, (i, spec)) in by_id {
            let unit = Owner::Unit(CONTROL_UNITS + u32::try_from(compiled.len()).unwrap_or(0));
            if let Some(c) = self.control(id, i, &spec, &known_ids, unit, &mut used_params) {
                compiled.push(c);
            }
        }
        for k in self.opts.params.keys() {
            if !used_params.contains(k) {
                self.diags.push(Diag {
                    file: "config".into(),
                    line: None,
                    column: None,
                    message: format!("parameter `{k}` is not declared by any control"),
                });
            }
        }
        compiled.sort_by(|a, b| {
            (a.red_flag.unwrap_or(u8::MAX), &a.id).cmp(&(b.red_flag.unwrap_or(u8::MAX), &b.id))
        });
        compiled
    }

    /// Later sources (user directories) override earlier ones with the same id; an
    /// untrusted pack may not replace a control, and two of one origin are a duplicate.
    fn one_per_id(&mut self, specs: Vec<(usize, ControlSpec)>) -> BTreeMap<String, (usize, ControlSpec)> {
        let builtin = builtin_len(self.opts);
        let mut by_id: BTreeMap<String, (usize, ControlSpec)> = BTreeMap::new();
        for (i, c) in specs {
            let id = c.id.value.clone();
            if let Some((prev, _)) = by_id.get(&id) {
                let file = self.sources[i].display.clone();
                if self.sources[i].untrusted && !self.sources[*prev].untrusted {
                    self.refused.push(Diag {
                        file,
                        line: line_of(&c.id),
                        column: None,
                        message: format!(
                            "control `{id}` not used: a pack named by an untrusted target may add \
                             controls but not replace one"
                        ),
                    });
                    continue;
                }
                if (*prev < builtin) == (i < builtin) {
                    let message = format!(
                        "duplicate control id `{id}` (also in {})",
                        self.sources[*prev].display
                    );
                    self.diags.push(Diag {
                        file,
                        line: line_of(&c.id),
                        column: None,
                        message,
                    });
                    continue;
                }
            }
            by_id.insert(id, (i, c));
        }
        by_id
    }

    fn error(&mut self, i: usize, line: Option<u32>, message: String) {
        self.diags.push(Diag {
            file: self.sources[i].display.clone(),
            line,
            column: None,
            message,
        });
    }

    /// One control, or `None` when it cannot be used (its problems are in `diags`).
    fn control(
        &mut self,
        id: String,
        i: usize,
        spec: &ControlSpec,
        known_ids: &BTreeSet<String>,
        unit: Owner,
        used_params: &mut BTreeSet<String>,
    ) -> Option<Control> {
        let line = line_of(&spec.id).unwrap_or(1);
        let severity = self.validate(&id, i, spec);
        let params = self.params(&id, i, spec, used_params)?;
        self.matchers.owner = unit;
        let file = self.sources[i].display.clone();
        let mut cx = self.cx(i, line, &params);
        let applies_when = spec.applies_when.as_ref().map(|c| c.compile(&mut cx));
        let check = spec.check.as_ref().map(|c| c.compile(&mut cx));
        let examines = spec.examines.as_ref().map(|e| compile_examines(e, &mut cx));
        let compiled = !(matches!(applies_when, Some(None))
            || matches!(check, Some(None))
            || matches!(examines, Some(None)));
        if compiled {
            check_references(&id, spec, known_ids, &mut cx);
            check_cadence(spec, &params, &mut cx);
        }
        let uses = std::mem::take(&mut cx.uses);
        self.owners.units.insert(unit, uses);
        self.owners.controls.insert(id.clone(), unit);
        if !compiled {
            return None;
        }
        Some(Control {
            id: id.into(),
            // A pack may come from a third party: its texts reach terminals, CI logs and
            // reports, so control characters are escaped once, here.
            title: printable(spec.title.trim()).into_owned(),
            red_flag: spec.red_flag.as_ref().map(|r| r.value),
            severity: severity?,
            tsc: spec.tsc.iter().map(|t| t.value.clone()).collect(),
            rationale: crate::text::printable_lines(spec.rationale.trim()),
            remediation: crate::text::printable_lines(spec.remediation.trim()),
            auditor_evidence: spec
                .auditor_evidence
                .iter()
                .map(|e| printable(e).into_owned())
                .collect(),
            applies_when: applies_when.flatten(),
            check: check.flatten(),
            message: spec.message.as_deref().map(|m| printable(m).into_owned()),
            params,
            examines: examines.flatten(),
            requires: spec.requires.iter().map(|r| r.value.as_str().into()).collect(),
            defers_to: spec.defers_to.iter().map(|r| r.value.as_str().into()).collect(),
            risk: spec.risk.as_deref().map(trimmed),
            roadmap: roadmap_text(&spec.roadmap),
            init: spec.init.as_ref().map(|t| t.value.clone()),
            source: Source { file, line },
        })
    }

    /// The header's problems: id and file name, severity (returned when known), red flag,
    /// criteria, texts.
    fn validate(&mut self, id: &str, i: usize, spec: &ControlSpec) -> Option<Severity> {
        let line = line_of(&spec.id).unwrap_or(1);
        if !valid_id(id) {
            self.error(
                i,
                line_of(&spec.id),
                format!("control id `{id}` must be upper-case letters, digits and dashes"),
            );
        }
        if !self.opts.no_builtin && i < builtin_len(self.opts) {
            let stem = self.sources[i].rel.trim_end_matches(".yaml");
            if stem != id {
                self.error(
                    i,
                    line_of(&spec.id),
                    format!("control `{id}` must live in `{id}.yaml`"),
                );
            }
        }
        let severity = Severity::parse(&spec.severity.value);
        if severity.is_none() {
            let message = format!(
                "unknown severity `{}` (critical, high, medium, low)",
                spec.severity.value
            );
            self.error(i, line_of(&spec.severity), message);
        }
        if let Some(r) = &spec.red_flag {
            if crate::control::red_flags::get(r.value).is_none() {
                self.error(
                    i,
                    line_of(r),
                    format!("red_flag must be 1 to 5, found {}", r.value),
                );
            }
        }
        if spec.tsc.is_empty() {
            self.error(
                i,
                Some(line),
                "a control must map to at least one Trust Services Criterion (`tsc`)".into(),
            );
        }
        for t in &spec.tsc {
            if tsc::get(&t.value).is_none() {
                self.error(
                    i,
                    line_of(t),
                    format!(
                        "unknown Trust Services Criterion `{}` (see controls/tsc.yaml)",
                        t.value
                    ),
                );
            }
        }
        if spec.title.trim().is_empty()
            || spec.rationale.trim().is_empty()
            || spec.remediation.trim().is_empty()
        {
            self.error(
                i,
                Some(line),
                "title, rationale and remediation must not be empty".into(),
            );
        }
        severity
    }

    /// The control's parameters with the config file's overrides; `None` when one counting
    /// quarters or days is out of bounds (by its name here, where it is used in the checks:
    /// the roadmap and the cadence checks list the quarters).
    fn params(
        &mut self,
        id: &str,
        i: usize,
        spec: &ControlSpec,
        used_params: &mut BTreeSet<String>,
    ) -> Option<BTreeMap<String, u32>> {
        let mut params = spec.params.clone();
        for (k, v) in &self.opts.params {
            if let Some(p) = params.get_mut(k) {
                *p = *v;
                used_params.insert(k.clone());
            }
        }
        let mut out_of_bounds = false;
        for (k, v) in &params {
            let Some((max, unit)) = crate::check::compile::param_limit(k) else {
                continue;
            };
            if *v > max {
                let origin = if self.opts.params.contains_key(k) {
                    "set by the config file's `params:`"
                } else {
                    "declared by the control"
                };
                self.error(
                    i,
                    line_of(&spec.id),
                    format!(
                        "control `{id}`: parameter `{k}` is {v} {unit} ({origin}); at most {max} {unit} \
                         (ten years) is allowed"
                    ),
                );
                out_of_bounds = true;
            }
        }
        (!out_of_bounds).then_some(params)
    }
}

/// `requires`, `defers_to` and `roadmap.after` name other controls; `init` a starter file.
fn check_references(id: &str, spec: &ControlSpec, known_ids: &BTreeSet<String>, cx: &mut CompileCx<'_>) {
    for (field, list) in [
        ("requires", &spec.requires),
        ("defers_to", &spec.defers_to),
        ("roadmap.after", &spec.roadmap.after),
    ] {
        for r in list {
            if !known_ids.contains(&r.value) || r.value == id {
                cx.error(
                    line_of(r),
                    format!("`{field}: {}` names no other control", r.value),
                );
            }
        }
    }
    let templates = crate::control::INIT_TEMPLATES;
    if let Some(t) = spec
        .init
        .as_ref()
        .filter(|t| !templates.contains(&t.value.as_str()))
    {
        cx.error(
            line_of(t),
            format!(
                "`init: {}` names no starter file (known: {})",
                t.value,
                templates.join(", ")
            ),
        );
    }
}

/// `roadmap.cadence` names parameters the control declares, counting quarters.
fn check_cadence(spec: &ControlSpec, params: &BTreeMap<String, u32>, cx: &mut CompileCx<'_>) {
    let Some(c) = &spec.roadmap.cadence else { return };
    for name in std::iter::once(&c.quarters).chain(c.before_window.as_ref()) {
        if !params.contains_key(&name.value) {
            cx.error(
                line_of(name),
                format!(
                    "`roadmap.cadence` names `{}`, which is not one of the control's `params`",
                    name.value
                ),
            );
        }
    }
}

fn trimmed(s: &str) -> String {
    printable(s.trim()).into_owned()
}

/// `roadmap:`, its texts made printable.
fn roadmap_text(spec: &RoadmapSpec) -> RoadmapText {
    RoadmapText {
        action: spec.action.as_deref().map(trimmed),
        after: spec.after.iter().map(|a| a.value.clone()).collect(),
        record: spec.record.as_deref().map(trimmed),
        record_holds: spec.record_holds.as_deref().map(trimmed),
        first: spec.first,
        cadence: spec.cadence.as_ref().map(|c| CadenceParams {
            quarters: c.quarters.value.clone(),
            before_window: c.before_window.as_ref().map(|b| b.value.clone()),
        }),
    }
}

/// `examines:`: its file globs compiled into one set, or its condition.
fn compile_examines(
    spec: &crate::control::spec::ExaminesSpec,
    cx: &mut CompileCx<'_>,
) -> Option<crate::control::Examines> {
    let what = crate::text::printable(spec.what.trim()).into_owned();
    let one = match &spec.one {
        Some(o) => crate::text::printable(o.trim()).into_owned(),
        None => what.strip_suffix('s').unwrap_or(&what).to_string(),
    };
    let files = if spec.files.is_empty() {
        None
    } else {
        let globs = cx.globs(&spec.files);
        if globs.len() != spec.files.len() {
            return None;
        }
        match glob_set(&globs) {
            Ok(g) => Some(g),
            Err(e) => {
                cx.error(None, e);
                return None;
            }
        }
    };
    let when = match &spec.when {
        Some(c) => Some(c.compile(cx)?),
        None => None,
    };
    if files.is_none() == when.is_none() {
        cx.error(
            None,
            "`examines` needs exactly one of `files` or `when`".to_string(),
        );
        return None;
    }
    Some(crate::control::Examines {
        what,
        one,
        files,
        when,
    })
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && id.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}
