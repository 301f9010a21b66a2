//! Signals (`signals.yaml`): named conditions controls build on ("the repository serves a
//! model", "it calls an AI provider"), compiled in file order so a signal may use earlier
//! ones.

use super::yaml::line_of;
use super::Builder;
use crate::check::compile::Diag;
use crate::check::Signal;
use crate::control::spec::SignalSpec;
use crate::workspace::matcher::Owner;

/// Signals have no parameters.
static NO_PARAMS: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();

impl Builder<'_> {
    /// Compiles the signals; each is an owner of the patterns and queries it reads.
    pub(super) fn signals(&mut self, specs: &[(usize, SignalSpec)]) -> Vec<Signal> {
        let mut signals = Vec::new();
        for (i, s) in specs {
            if self.signal_names.contains(&s.id.value) {
                self.diags.push(Diag {
                    file: self.sources[*i].display.clone(),
                    line: line_of(&s.id),
                    column: None,
                    message: format!("duplicate signal `{}`", s.id.value),
                });
                continue;
            }
            let unit = Owner::Unit(u32::try_from(self.signal_names.len()).unwrap_or(u32::MAX));
            self.matchers.owner = unit;
            let mut cx = self.cx(*i, line_of(&s.id).unwrap_or(1), &NO_PARAMS);
            let when = s.when.compile(&mut cx);
            let uses = std::mem::take(&mut cx.uses);
            self.owners.units.insert(unit, uses);
            if let Some(when) = when {
                signals.push(Signal {
                    id: s.id.value.clone(),
                    description: s.description.clone(),
                    when,
                });
                self.signal_names.push(s.id.value.clone());
            }
        }
        signals
    }
}
