//! Scheduling the work before the window: which gaps are open, how long each phase of the
//! source's timeline lasts when this much is open, in which month each fix goes (severity
//! first, never before what it builds on), and how the months and phases are laid out.

use std::collections::{BTreeMap, BTreeSet};

use super::{add_months, pred, Month, Phase, PhaseKind, Task, TaskKind, Window};
use crate::control::{ControlId, Severity};
use crate::date::Date;
use crate::report::consultant::{builtin_texts, ControlText};
use crate::report::prose::first_sentence;
use crate::report::{ControlOut, Report, Status};

/// The months of the work before the window, counted from 1 (the month starting `as_of`):
/// the source's 1 + 2 + 1 + 1, shortened when little is open.
pub(super) struct Timeline {
    as_of: Date,
    /// The month high-severity fixes go in.
    impl_first: u32,
    /// The last implementation month.
    impl_last: u32,
    /// The mock audit's month.
    pub(super) assess_month: u32,
    /// 1 when something is open (a remediation month follows the mock audit), else 0.
    remediation_months: u32,
    /// Months of work before the window could start.
    work_months: u32,
}

impl Timeline {
    fn new(as_of: Date, gaps: &[&ControlOut]) -> Timeline {
        let any_high = gaps.iter().any(|c| c.severity >= Severity::High);
        let impl_months: u32 = if any_high { 2 } else { u32::from(!gaps.is_empty()) };
        let remediation_months = u32::from(!gaps.is_empty());
        let impl_last = 1 + impl_months;
        let assess_month = impl_last + 1;
        Timeline {
            as_of,
            impl_first: 2,
            impl_last,
            assess_month,
            remediation_months,
            work_months: assess_month + remediation_months,
        }
    }

    fn month_start(&self, k: u32) -> Date {
        add_months(self.as_of, k - 1)
    }

    /// The last day of month `k`.
    pub(super) fn month_end(&self, k: u32) -> Date {
        pred(add_months(self.as_of, k))
    }

    /// The day after the work: the earliest a window could start with no cadence binding.
    pub(super) fn phase_end(&self) -> Date {
        add_months(self.as_of, self.work_months)
    }

    fn phase_of(&self, k: u32) -> PhaseKind {
        if k == 1 {
            PhaseKind::Scoping
        } else if k <= self.impl_last {
            PhaseKind::Implementation
        } else if k == self.assess_month {
            PhaseKind::GapAssessment
        } else if self.remediation_months > 0 && k == self.assess_month + 1 {
            PhaseKind::Remediation
        } else {
            PhaseKind::BuildEvidence
        }
    }

    /// The month holding day `d`.
    pub(super) fn month_index(&self, d: Date) -> u32 {
        let mut k = 1;
        while self.month_end(k) < d && k < 600 {
            k += 1;
        }
        k
    }
}

/// What every step of the plan reads: the report, the controls' texts, the open gaps.
pub(super) struct Planner<'a> {
    pub(super) report: &'a Report,
    pub(super) as_of: Date,
    texts: &'a BTreeMap<ControlId, ControlText>,
    /// Gap controls with a finding no waiver accepts, in report order.
    pub(super) gaps: Vec<&'a ControlOut>,
    gap_ids: BTreeSet<&'a str>,
    pub(super) timeline: Timeline,
}

impl<'a> Planner<'a> {
    pub(super) fn new(report: &'a Report, as_of: Date, texts: &'a BTreeMap<ControlId, ControlText>) -> Self {
        let gaps: Vec<&ControlOut> = report.controls.iter().filter(|c| is_open(report, c)).collect();
        let gap_ids = gaps.iter().map(|c| c.id.as_str()).collect();
        let timeline = Timeline::new(as_of, &gaps);
        Planner {
            report,
            as_of,
            texts,
            gaps,
            gap_ids,
            timeline,
        }
    }

    /// A control's texts: the evaluated pack's, else the built-in pack's.
    pub(super) fn text(&self, id: &str) -> Option<&'a ControlText> {
        self.texts.get(id).or_else(|| builtin_texts().get(id))
    }

    /// What a control builds on (`roadmap.after`).
    fn after(&self, id: &str) -> &'a [String] {
        self.text(id).map_or(&[][..], |t| t.roadmap.after.as_slice())
    }

    /// The prerequisites of `id` that are planned too, transitively, nearest first.
    pub(super) fn planned_prereqs(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_prereqs(id, &mut out);
        out
    }

    fn collect_prereqs(&self, id: &str, out: &mut Vec<String>) {
        for p in self.after(id) {
            if self.gap_ids.contains(p.as_str()) && !out.iter().any(|o| o == p) {
                out.push(p.clone());
                self.collect_prereqs(p, out);
            }
        }
    }

    /// Cadence controls (applicable and checkable).
    pub(super) fn cadence_ids(&self) -> BTreeSet<&'a str> {
        self.report
            .controls
            .iter()
            .filter(|c| matches!(c.status, Status::Pass | Status::Gap))
            .filter(|c| super::cadence::cadence_quarters(self.text(&c.id)).is_some())
            .map(|c| c.id.as_str())
            .collect()
    }

    /// The planned prerequisites of the cadence controls: they set the earliest start.
    pub(super) fn critical_path(&self, cadence_ids: &BTreeSet<&str>) -> BTreeSet<ControlId> {
        cadence_ids
            .iter()
            .flat_map(|id| self.planned_prereqs(id))
            .map(ControlId::from)
            .collect()
    }

    /// The month of each fix: by severity, critical path first, never before a prerequisite.
    pub(super) fn fix_months(
        &self,
        cadence_ids: &BTreeSet<&str>,
        critical: &BTreeSet<ControlId>,
    ) -> BTreeMap<ControlId, u32> {
        let t = &self.timeline;
        let mut month_of: BTreeMap<ControlId, u32> = BTreeMap::new();
        for c in &self.gaps {
            if cadence_ids.contains(c.id.as_str()) {
                continue;
            }
            let first = self.text(&c.id).is_some_and(|t| t.roadmap.first);
            let m = if c.severity == Severity::Critical || critical.contains(&c.id) || first {
                1
            } else if c.severity == Severity::High {
                t.impl_first.min(t.impl_last.max(1))
            } else {
                t.impl_last.max(1)
            };
            month_of.insert(c.id.clone(), m);
        }
        for _ in 0..=month_of.len() {
            let snapshot = month_of.clone();
            for (id, m) in &mut month_of {
                for p in self.after(id) {
                    if let Some(pm) = snapshot.get(p.as_str()) {
                        *m = (*m).max(*pm);
                    }
                }
            }
        }
        month_of
    }

    /// One task per scheduled fix, with the findings it closes.
    pub(super) fn fix_tasks(
        &self,
        month_of: &BTreeMap<ControlId, u32>,
        critical: &BTreeSet<ControlId>,
    ) -> Vec<(u32, Task)> {
        let mut tasks = Vec::new();
        for c in &self.gaps {
            let Some(&m) = month_of.get(&c.id) else { continue };
            let findings: Vec<String> = self
                .report
                .findings
                .iter()
                .filter(|f| f.control_id == c.id && f.waiver.is_none())
                .map(|f| f.message.clone())
                .collect();
            let mut details: Vec<String> = findings.iter().take(6).cloned().collect();
            if findings.len() > 6 {
                details.push(format!("… and {} more findings", findings.len() - 6));
            }
            tasks.push((
                m,
                Task {
                    kind: TaskKind::Fix,
                    control_id: Some(c.id.clone()),
                    severity: Some(c.severity),
                    title: self
                        .text(&c.id)
                        .and_then(|t| t.roadmap.action.clone())
                        .unwrap_or_else(|| first_sentence(&c.remediation)),
                    details,
                    due: self.timeline.month_end(m),
                    critical_path: critical.contains(&c.id),
                    after: self
                        .after(&c.id)
                        .iter()
                        .filter(|p| month_of.contains_key(p.as_str()))
                        .cloned()
                        .collect(),
                },
            ));
        }
        tasks
    }

    /// The mock audit, in the gap-assessment month.
    pub(super) fn mock_audit(&self) -> (u32, Task) {
        let month = self.timeline.assess_month;
        let due = self.timeline.month_end(month);
        (
            month,
            Task {
                kind: TaskKind::Milestone,
                control_id: None,
                severity: None,
                title: format!(
                    "Mock audit: re-run `redflag scan --as-of {due}` and sample each control's evidence"
                ),
                details: vec!["every gap scheduled before this month should now pass".into()],
                due,
                critical_path: false,
                after: Vec::new(),
            },
        )
    }

    /// The months up to the one holding the window start, each with its tasks in order.
    pub(super) fn months(&self, start: Date, tasks: Vec<(u32, Task)>) -> Vec<Month> {
        let t = &self.timeline;
        let mut n_months = 1;
        while t.month_end(n_months) < pred(start) {
            n_months += 1;
        }
        n_months = n_months.max(t.work_months);
        let mut months: Vec<Month> = (1..=n_months)
            .map(|k| Month {
                index: k,
                start: t.month_start(k),
                end: t.month_end(k),
                phases: vec![t.phase_of(k)],
                tasks: Vec::new(),
            })
            .collect();
        for (m, task) in tasks {
            let idx = (m.clamp(1, n_months) - 1) as usize;
            months[idx].tasks.push(task);
        }
        for m in &mut months {
            m.tasks = order(std::mem::take(&mut m.tasks));
        }
        months
    }
}

/// A gap control with a finding no waiver accepts.
pub(super) fn is_open(report: &Report, c: &ControlOut) -> bool {
    c.status == Status::Gap
        && report
            .findings
            .iter()
            .any(|f| f.control_id == c.id && f.waiver.is_none())
}

/// Runs of months of one phase, cut at the window start, then the observation window.
pub(super) fn phases(months: &[Month], window: &Window) -> Vec<Phase> {
    let last_day = pred(window.start);
    let mut phases: Vec<Phase> = Vec::new();
    for m in months {
        let kind = m.phases[0];
        match phases.last_mut() {
            Some(p) if p.kind == kind => p.end = m.end.min(last_day),
            _ => phases.push(Phase {
                kind,
                start: m.start,
                end: m.end.min(last_day),
                goals: kind.goals().to_vec(),
            }),
        }
    }
    phases.retain(|p| p.start <= p.end);
    phases.push(Phase {
        kind: PhaseKind::Observation,
        start: window.start,
        end: window.end_6_months,
        goals: PhaseKind::Observation.goals().to_vec(),
    });
    phases
}

/// Orders a month's tasks: milestones last; otherwise, among the tasks whose planned
/// prerequisites are already listed, critical gaps first, then the critical path, then by
/// severity (Kahn's algorithm with a priority).
fn order(tasks: Vec<Task>) -> Vec<Task> {
    let (mut rest, milestones): (Vec<Task>, Vec<Task>) =
        tasks.into_iter().partition(|t| t.kind != TaskKind::Milestone);
    let mut out: Vec<Task> = Vec::new();
    while !rest.is_empty() {
        let listed: BTreeSet<ControlId> = out.iter().filter_map(|t| t.control_id.clone()).collect();
        let pending: BTreeSet<ControlId> = rest.iter().filter_map(|t| t.control_id.clone()).collect();
        let ready = |t: &Task| {
            t.after.iter().all(|p| {
                listed.contains(p.as_str())
                    || !pending.contains(p.as_str())
                    || t.control_id.as_deref() == Some(p.as_str())
            })
        };
        let pick = rest
            .iter()
            .enumerate()
            .filter(|(_, t)| ready(t))
            .min_by(|(_, a), (_, b)| {
                (b.severity == Some(Severity::Critical))
                    .cmp(&(a.severity == Some(Severity::Critical)))
                    .then_with(|| b.critical_path.cmp(&a.critical_path))
                    .then_with(|| b.severity.cmp(&a.severity))
                    .then_with(|| (a.kind == TaskKind::Recurring).cmp(&(b.kind == TaskKind::Recurring)))
                    .then_with(|| a.due.cmp(&b.due))
                    .then_with(|| a.control_id.cmp(&b.control_id))
            })
            .map_or(0, |(i, _)| i);
        out.push(rest.remove(pick));
    }
    out.extend(milestones);
    out
}
