//! Recurring controls (one record per quarter: tabletop exercises, access reviews): the
//! quarters already on record, when the first new record can be held, what each control
//! asks of a window start, and the recurring tasks before and during the window.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::schedule::Planner;
use super::{add_months, indefinite, quarter_end, window_end, Task, TaskKind, Window};
use crate::control::ControlId;
use crate::date::{find_dates, quarter_list, Date, Quarter};
use crate::report::consultant::ControlText;
use crate::report::ControlOut;

/// A cadence control: one record per quarter; `prior` quarters of them before the window
/// starts, and `quarters` consecutive ones on record by the end of the window.
pub(super) struct Cadence<'a> {
    pub(super) control: &'a ControlOut,
    /// Consecutive quarters the auditor samples by the end of the window (`tabletop_quarters`).
    pub(super) quarters: u32,
    /// Complete quarters before the window that must hold a record (`window_prior_quarters`).
    pub(super) prior: u32,
    /// The parameter `prior` comes from, for the explanations.
    pub(super) prior_param: String,
    /// Quarters already holding a counted record.
    pub(super) covered: BTreeSet<Quarter>,
    /// The first quarter a new record is planned in; every later one gets one too.
    pub(super) first_new: Quarter,
    /// When its prerequisites are done.
    pub(super) ready: Date,
    pub(super) prereqs: Vec<String>,
    /// What one record is called (`roadmap.record`, else the title).
    pub(super) record: String,
    /// What one record must hold (`roadmap.record_holds`).
    pub(super) record_holds: String,
}

impl Cadence<'_> {
    fn covered_at(&self, q: Quarter) -> bool {
        self.covered.contains(&q) || q >= self.first_new
    }

    /// The earliest day the first new record can be held.
    fn first_possible(&self) -> Date {
        self.ready.max(self.first_new.first_day())
    }

    /// The complete quarters before `start` that must hold a record.
    pub(super) fn prior_quarters(&self, start: Date) -> Vec<Quarter> {
        Quarter::last_complete(start, self.prior)
    }

    /// The consecutive quarters the auditor expects on record by the end of a 6-month
    /// window from `start`: the last `quarters` complete ones by its last day.
    pub(super) fn by_end_quarters(&self, start: Date) -> Vec<Quarter> {
        let after = window_end(start).succ_opt().unwrap_or(start);
        Quarter::last_complete(after, self.quarters)
    }

    fn missing(&self, qs: Vec<Quarter>) -> Vec<Quarter> {
        qs.into_iter().filter(|q| !self.covered_at(*q)).collect()
    }

    /// True when a window from `start` is possible for this control.
    pub(super) fn allows(&self, start: Date) -> bool {
        self.missing(self.prior_quarters(start)).is_empty()
            && self.missing(self.by_end_quarters(start)).is_empty()
    }

    /// The earliest start on or after `from` this control allows (both requirements only
    /// change on the first day of a quarter).
    pub(super) fn earliest(&self, from: Date) -> Date {
        let mut d = from;
        for _ in 0..200 {
            if self.allows(d) {
                return d;
            }
            d = Quarter::of(d).next().first_day();
        }
        d
    }

    /// Why a window from `date` is not possible for this control (empty when it is).
    pub(super) fn reasons(&self, date: Date) -> Vec<String> {
        let mut out = Vec::new();
        let name = self.record.clone();
        let after = if self.prereqs.is_empty() {
            String::new()
        } else {
            format!(", after {}", self.prereqs.join(", "))
        };
        let prior = self.missing(self.prior_quarters(date));
        if !prior.is_empty() {
            let first = self.first_possible();
            let mut e = if self.prior == 1 {
                format!(
                    "{}: the control must have operated at least once before the window, so {} must be on record for {} (the complete quarter before {date})",
                    self.control.id,
                    indefinite(&name),
                    quarter_list(&self.prior_quarters(date))
                )
            } else {
                format!(
                    "{}: {} complete quarters before {date} ({}) must each hold {}",
                    self.control.id,
                    self.prior,
                    quarter_list(&self.prior_quarters(date)),
                    indefinite(&name)
                )
            };
            if date <= first {
                let _ = write!(
                    e,
                    "; the first can be held no earlier than {first} (in {}{after})",
                    self.first_new
                );
            } else {
                let _ = write!(
                    e,
                    "; none can be on record for {} (the first new one can be held in {}{after})",
                    quarter_list(&prior),
                    self.first_new
                );
            }
            out.push(e);
        }
        let by_end = self.missing(self.by_end_quarters(date));
        if !by_end.is_empty() {
            out.push(format!(
                "{}: by the end of a 6-month window from {date} ({}) the auditor expects {} consecutive quarters on record ({}); none can be on record for {} (the first new {name} can be held in {}{after})",
                self.control.id,
                window_end(date),
                self.quarters,
                quarter_list(&self.by_end_quarters(date)),
                quarter_list(&by_end),
                self.first_new
            ));
        }
        out
    }
}

/// The consecutive quarters of a recurring control (the parameter `roadmap.cadence.quarters`
/// names); `None` for a control that is not recurring.
pub(super) fn cadence_quarters(text: Option<&ControlText>) -> Option<u32> {
    let text = text?;
    let name = &text.roadmap.cadence.as_ref()?.quarters;
    text.params
        .get(name)
        .map(|v| (*v).clamp(1, crate::date::MAX_QUARTERS))
}

/// The complete quarters before the window that must hold a record (the parameter
/// `roadmap.cadence.before_window` names) and that parameter's name: 1 unless it says
/// otherwise (0 lets the window start before the first record; the quarter it starts in
/// then needs one like any other).
fn prior_quarters(text: Option<&ControlText>) -> (u32, String) {
    let name = text
        .and_then(|t| t.roadmap.cadence.as_ref())
        .and_then(|c| c.before_window.clone())
        .unwrap_or_default();
    let value = text
        .and_then(|t| t.params.get(&name))
        .map_or(1, |v| (*v).min(crate::date::MAX_QUARTERS));
    (value, name)
}

/// The cadence controls' plans: quarters on record (from the record labels of its evidence
/// and of its findings' latest record) and the first quarter a new record can be held in,
/// once the prerequisites are done.
pub(super) fn cadences<'a>(
    planner: &Planner<'a>,
    cadence_ids: &BTreeSet<&str>,
    month_of: &BTreeMap<ControlId, u32>,
) -> Vec<Cadence<'a>> {
    let report = planner.report;
    let as_of = planner.as_of;
    report
        .controls
        .iter()
        .filter(|c| cadence_ids.contains(c.id.as_str()))
        .filter_map(|c| {
            let text = planner.text(&c.id);
            let quarters = cadence_quarters(text)?;
            let mut labels: Vec<&str> = c.evidence.iter().filter_map(|p| p.label.as_deref()).collect();
            // The latest record (possibly in the current, incomplete quarter).
            labels.extend(
                report
                    .findings
                    .iter()
                    .filter(|f| f.control_id == c.id)
                    .flat_map(|f| f.evidence.iter())
                    .filter_map(|p| p.label.as_deref())
                    .filter(|l| l.starts_with("latest ")),
            );
            // A record's label names its quarter first (`access review for 2025-Q4
            // (2026-01-12)`) or is its date (`tabletop exercise 2026-05-12`).
            let covered: BTreeSet<Quarter> = labels
                .iter()
                .filter_map(|l| find_dates(l).first().map(|d| Quarter::of(d.date)))
                .filter(|q| *q <= Quarter::of(as_of))
                .collect();
            let prereqs = planner.planned_prereqs(&c.id);
            let ready = prereqs
                .iter()
                .filter_map(|p| month_of.get(p.as_str()))
                .max()
                .map_or(as_of, |m| add_months(as_of, *m));
            let mut first_new = Quarter::of(ready);
            if (quarter_end(first_new) - ready).num_days() < 14 {
                first_new = first_new.next();
            }
            while covered.contains(&first_new) {
                first_new = first_new.next();
            }
            let (prior, prior_param) = prior_quarters(text);
            Some(Cadence {
                control: c,
                quarters,
                prior,
                prior_param,
                covered,
                first_new,
                ready,
                prereqs,
                record: text
                    .and_then(|t| t.roadmap.record.clone())
                    .unwrap_or_else(|| c.title.clone()),
                record_holds: text
                    .and_then(|t| t.roadmap.record_holds.clone())
                    .unwrap_or_else(|| "its required fields".to_string()),
            })
        })
        .collect()
}

/// The recurring records: the first as soon as ready, then one per quarter until the end of
/// a 6-month window. Those due before the window start go into `tasks` (by month); the
/// ones during the window are returned.
pub(super) fn recurring(
    planner: &Planner<'_>,
    cadences: &[Cadence<'_>],
    window: &Window,
    tasks: &mut Vec<(u32, Task)>,
) -> Vec<Task> {
    let start = window.start;
    let mut during_window = Vec::new();
    for cad in cadences {
        let mut q = cad.first_new;
        let name = &cad.record;
        for i in 0..80 {
            if q.first_day() > window.end_6_months {
                break;
            }
            let target = if i == 0 {
                cad.ready.max(q.first_day())
            } else {
                q.first_day() + chrono::Days::new(45)
            };
            let task = Task {
                kind: TaskKind::Recurring,
                control_id: Some(cad.control.id.clone()),
                severity: Some(cad.control.severity),
                title: format!("Hold and record the {q} {name}"),
                details: vec![format!(
                    "dated record with {} by {}",
                    cad.record_holds,
                    quarter_end(q)
                )],
                due: quarter_end(q),
                critical_path: q.first_day() < start,
                after: if i == 0 { cad.prereqs.clone() } else { Vec::new() },
            };
            if target >= start {
                during_window.push(task);
            } else {
                tasks.push((planner.timeline.month_index(target), task));
            }
            q = q.next();
        }
    }
    during_window.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.control_id.cmp(&b.control_id)));
    during_window
}
