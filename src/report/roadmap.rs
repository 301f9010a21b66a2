//! The readiness roadmap: from the gaps, a month-by-month plan along the source's timeline
//! ("SOC2 AI Readiness Assessment: 5 Red Flags That Will Fail Your Type II Audit") —
//! scoping and baseline (month 1), control implementation (months 2–3), gap assessment
//! (month 4), remediation (month 5), then the Type II observation window ("Month 6: Type II
//! audit begins") — and the earliest date that window can start.
//!
//! Work is ordered by severity and dependency: critical gaps are fixed in month 1, high ones
//! in month 2, the rest in month 3, and a control never before what it builds on (the
//! register before due diligence, the AI playbook before a tabletop exercise). Controls with
//! a cadence (one record per quarter: tabletop exercises, access reviews) are on the
//! critical path: their prerequisites move to month 1 and their first record is scheduled as
//! soon as those are done. The window may start once each of them is in place and has
//! operated: a record in each of the `window_prior_quarters` complete quarters before the
//! start (default 1, "operated at least once"). Inside the window every quarter needs its
//! record, and the consecutive quarters the check asks for (`tabletop_quarters`: the
//! source's "three consecutive quarters of tested AI incident response") must be on record
//! by the end of a 6-month window — not before the window starts. Everything is computed
//! from the report and the as-of date; no clock is read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;

use chrono::{Datelike, Months};

use super::consultant::{builtin_texts, ControlText};
use super::prose::first_sentence;
use super::{ControlOut, Report, Status};
use crate::control::Severity;
use crate::date::{find_dates, quarter_list, Date, Quarter};

/// The phases of the source's readiness timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseKind {
    Scoping,
    Implementation,
    GapAssessment,
    Remediation,
    /// Controls operate and quarterly records accumulate until the cadence allows the
    /// window to start (not in the source's timeline: it appears only when a cadence binds).
    BuildEvidence,
    Observation,
}

impl PhaseKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Scoping => "Scoping and baseline",
            Self::Implementation => "Control implementation",
            Self::GapAssessment => "Gap assessment",
            Self::Remediation => "Remediation",
            Self::BuildEvidence => "Operate controls and build the quarterly record",
            Self::Observation => "Type II observation window",
        }
    }

    /// A short name, for charts.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Scoping => "Scoping",
            Self::Implementation => "Implementation",
            Self::GapAssessment => "Gap assessment",
            Self::Remediation => "Remediation",
            Self::BuildEvidence => "Quarterly records",
            Self::Observation => "Observation window",
        }
    }

    pub fn goals(self) -> &'static [&'static str] {
        match self {
            Self::Scoping => &[
                "Confirm the Trust Services Criteria in scope: security is mandatory; availability depends on uptime SLAs; processing integrity requires model monitoring",
                "Inventory every AI data flow: training data ingestion, model training, inference, feedback loops",
                "Map the controls to the criteria (see the TSC coverage of this report) and name an owner per control",
            ],
            Self::Implementation => &[
                "Build the missing controls below, most severe first",
                "Keep the evidence each control produces from the day it starts operating",
            ],
            Self::GapAssessment => &[
                "Run a mock audit: re-run redflag with --as-of at the end of this month and sample each control's evidence",
                "Check that every control can be shown to have operated continuously, not just to exist",
            ],
            Self::Remediation => &[
                "Close every finding of the gap assessment",
                "Run the tabletop exercises for AI-specific incidents on this plan's schedule",
                "Write down how evidence will be collected during the observation window",
            ],
            Self::BuildEvidence => &[
                "Operate every control as designed and keep its records",
                "Hold the quarterly exercises and reviews below: each recurring control must have operated before the window starts",
            ],
            Self::Observation => &[
                "Controls must operate without exception for the whole window (6 to 12 months)",
                "Keep every recurring record below on schedule; a missed quarter is an exception",
            ],
        }
    }
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub kind: PhaseKind,
    pub start: Date,
    /// Inclusive.
    pub end: Date,
    pub goals: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Close a gap.
    Fix,
    /// One occurrence of a recurring control (a quarter's tabletop or access review).
    Recurring,
    /// A step of the timeline itself (the mock audit).
    Milestone,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub kind: TaskKind,
    pub control_id: Option<String>,
    pub severity: Option<Severity>,
    pub title: String,
    /// What exactly (the findings it closes, the quarter it covers).
    pub details: Vec<String>,
    /// Done by this date.
    pub due: Date,
    /// On the path that sets the earliest window start.
    pub critical_path: bool,
    /// Controls this task builds on that are planned too.
    pub after: Vec<String>,
}

/// One month of the plan: `as_of + (index-1) months` to the day before `as_of + index months`.
#[derive(Debug, Clone)]
pub struct Month {
    pub index: u32,
    pub start: Date,
    pub end: Date,
    pub phases: Vec<PhaseKind>,
    pub tasks: Vec<Task>,
}

/// Something that sets a lower bound on the window start.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub control_id: Option<String>,
    pub date: Date,
    pub explanation: String,
}

#[derive(Debug, Clone)]
pub struct Window {
    pub start: Date,
    /// End of a 6-month window (the source's minimum).
    pub end_6_months: Date,
    /// End of a 12-month window.
    pub end_12_months: Date,
}

/// The verdict on a `--window-start` date.
#[derive(Debug, Clone)]
pub struct Requested {
    pub date: Date,
    pub feasible: bool,
    /// Why not (or, when feasible, the margin).
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Roadmap {
    pub as_of: Date,
    pub phases: Vec<Phase>,
    pub months: Vec<Month>,
    pub earliest_start: Date,
    /// What sets the earliest start, the binding one first.
    pub constraints: Vec<Constraint>,
    /// The window planned: the requested start when feasible, else the earliest.
    pub window: Window,
    pub requested: Option<Requested>,
    /// Recurring records to keep during the window.
    pub during_window: Vec<Task>,
    /// What each recurring control must show by the end of a 6-month window: its
    /// consecutive quarters on record (the auditor's "three consecutive quarters").
    pub at_window_end: Vec<String>,
    /// Gaps accepted by waivers (not scheduled): control, reason, expiry.
    pub accepted: Vec<String>,
}

/// `a tabletop` / `an access review`.
fn indefinite(name: &str) -> String {
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn add_months(d: Date, n: u32) -> Date {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

fn pred(d: Date) -> Date {
    d.pred_opt().unwrap_or(d)
}

fn quarter_end(q: Quarter) -> Date {
    pred(q.next().first_day())
}

/// The parameter saying how many quarters of records each recurring control needs before
/// the window may start (default 1: it has operated at least once).
pub const WINDOW_PRIOR_PARAM: &str = "window_prior_quarters";

/// A cadence control: one record per quarter; `prior` quarters of them before the window
/// starts, and `quarters` consecutive ones on record by the end of the window.
struct Cadence<'a> {
    control: &'a ControlOut,
    /// Consecutive quarters the auditor samples by the end of the window (`tabletop_quarters`).
    quarters: u32,
    /// Complete quarters before the window that must hold a record (`window_prior_quarters`).
    prior: u32,
    /// Quarters already holding a counted record.
    covered: BTreeSet<Quarter>,
    /// The first quarter a new record is planned in; every later one gets one too.
    first_new: Quarter,
    /// When its prerequisites are done.
    ready: Date,
    prereqs: Vec<String>,
    /// What one record is called (`roadmap.record`, else the title).
    record: String,
    /// What one record must hold (`roadmap.record_holds`).
    record_holds: String,
}

/// The last day of a 6-month window starting on `start` (the source's minimum).
fn window_end(start: Date) -> Date {
    pred(add_months(start, 6))
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
    fn prior_quarters(&self, start: Date) -> Vec<Quarter> {
        Quarter::last_complete(start, self.prior)
    }

    /// The consecutive quarters the auditor expects on record by the end of a 6-month
    /// window from `start`: the last `quarters` complete ones by its last day.
    fn by_end_quarters(&self, start: Date) -> Vec<Quarter> {
        let after = window_end(start).succ_opt().unwrap_or(start);
        Quarter::last_complete(after, self.quarters)
    }

    fn missing(&self, qs: Vec<Quarter>) -> Vec<Quarter> {
        qs.into_iter().filter(|q| !self.covered_at(*q)).collect()
    }

    /// True when a window from `start` is possible for this control.
    fn allows(&self, start: Date) -> bool {
        self.missing(self.prior_quarters(start)).is_empty()
            && self.missing(self.by_end_quarters(start)).is_empty()
    }

    /// The earliest start on or after `from` this control allows (both requirements only
    /// change on the first day of a quarter).
    fn earliest(&self, from: Date) -> Date {
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
    fn reasons(&self, date: Date) -> Vec<String> {
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

/// The cadence parameter (`*_quarters`, other than `window_prior_quarters`) of a control.
fn cadence_quarters(text: Option<&ControlText>) -> Option<u32> {
    text?
        .params
        .iter()
        .find(|(k, _)| k.ends_with("_quarters") && k.as_str() != WINDOW_PRIOR_PARAM)
        .map(|(_, v)| (*v).clamp(1, crate::date::MAX_QUARTERS))
}

/// `window_prior_quarters` of a control: 1 unless it says otherwise (0 lets the window
/// start before the first record; the quarter it starts in then needs one like any other).
fn prior_quarters(text: Option<&ControlText>) -> u32 {
    text.and_then(|t| t.params.get(WINDOW_PRIOR_PARAM))
        .map_or(1, |v| (*v).min(crate::date::MAX_QUARTERS))
}

/// The plan, with the built-in pack's cadence parameters.
pub fn plan(report: &Report, as_of: Date, window_start: Option<Date>) -> Roadmap {
    plan_with(report, as_of, window_start, builtin_texts())
}

/// The plan, with the cadence parameters (`tabletop_quarters`, …) of the evaluated pack.
pub fn plan_with(
    report: &Report,
    as_of: Date,
    window_start: Option<Date>,
    texts: &BTreeMap<String, ControlText>,
) -> Roadmap {
    let text = |id: &str| texts.get(id).or_else(|| builtin_texts().get(id));
    let open = |c: &ControlOut| {
        c.status == Status::Gap
            && report
                .findings
                .iter()
                .any(|f| f.control_id == c.id && f.waiver.is_none())
    };
    let gaps: Vec<&ControlOut> = report.controls.iter().filter(|c| open(c)).collect();
    let gap_ids: BTreeSet<&str> = gaps.iter().map(|c| c.id.as_str()).collect();

    // Phase lengths, in months: the source's 1 + 2 + 1 + 1, shortened when little is open.
    let any_high = gaps.iter().any(|c| c.severity >= Severity::High);
    let impl_months: u32 = if any_high {
        2
    } else if gaps.is_empty() {
        0
    } else {
        1
    };
    let remediation_months: u32 = u32::from(!gaps.is_empty());
    let impl_first = 2;
    let impl_last = 1 + impl_months;
    let assess_month = impl_last + 1;
    let remediation_month = assess_month + 1;
    let work_months = assess_month + remediation_months;
    let month_start = |k: u32| add_months(as_of, k - 1);
    let month_end = |k: u32| pred(add_months(as_of, k));
    let phase_end = add_months(as_of, work_months);

    // Prerequisites that are planned, transitively.
    let after = |id: &str| text(id).map_or(&[][..], |t| t.roadmap.after.as_slice());
    fn planned_prereqs<'t>(
        id: &str,
        after: &dyn Fn(&str) -> &'t [String],
        gap_ids: &BTreeSet<&str>,
        out: &mut Vec<String>,
    ) {
        for p in after(id) {
            if gap_ids.contains(p.as_str()) && !out.iter().any(|o| o == p) {
                out.push(p.clone());
                planned_prereqs(p, after, gap_ids, out);
            }
        }
    }

    // Cadence controls (applicable and checkable).
    let cadence_ids: BTreeSet<&str> = report
        .controls
        .iter()
        .filter(|c| matches!(c.status, Status::Pass | Status::Gap))
        .filter(|c| cadence_quarters(text(&c.id)).is_some())
        .map(|c| c.id.as_str())
        .collect();
    let mut critical: BTreeSet<String> = BTreeSet::new();
    for id in &cadence_ids {
        let mut pre = Vec::new();
        planned_prereqs(id, &after, &gap_ids, &mut pre);
        critical.extend(pre);
    }

    // Fix tasks: month by severity, critical path first, never before a prerequisite.
    let mut month_of: BTreeMap<String, u32> = BTreeMap::new();
    for c in &gaps {
        if cadence_ids.contains(c.id.as_str()) {
            continue;
        }
        let first = text(&c.id).is_some_and(|t| t.roadmap.first);
        let m = if c.severity == Severity::Critical || critical.contains(&c.id) || first {
            1
        } else if c.severity == Severity::High {
            impl_first.min(impl_last.max(1))
        } else {
            impl_last.max(1)
        };
        month_of.insert(c.id.clone(), m);
    }
    for _ in 0..month_of.len() + 1 {
        let snapshot = month_of.clone();
        for (id, m) in &mut month_of {
            for p in after(id) {
                if let Some(pm) = snapshot.get(p) {
                    *m = (*m).max(*pm);
                }
            }
        }
    }

    let mut tasks: Vec<(u32, Task)> = Vec::new();
    for c in &gaps {
        let Some(&m) = month_of.get(&c.id) else { continue };
        let findings: Vec<String> = report
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
                title: text(&c.id)
                    .and_then(|t| t.roadmap.action.clone())
                    .unwrap_or_else(|| first_sentence(&c.remediation)),
                details,
                due: month_end(m),
                critical_path: critical.contains(&c.id),
                after: after(&c.id)
                    .iter()
                    .filter(|p| month_of.contains_key(*p))
                    .cloned()
                    .collect(),
            },
        ));
    }

    // Cadences: existing quarters, when the first new record can be held.
    let cadences: Vec<Cadence<'_>> = report
        .controls
        .iter()
        .filter(|c| cadence_ids.contains(c.id.as_str()))
        .filter_map(|c| {
            let quarters = cadence_quarters(text(&c.id))?;
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
            let mut prereqs = Vec::new();
            planned_prereqs(&c.id, &after, &gap_ids, &mut prereqs);
            let ready = prereqs
                .iter()
                .filter_map(|p| month_of.get(p))
                .max()
                .map_or(as_of, |m| add_months(as_of, *m));
            let mut first_new = Quarter::of(ready);
            if (quarter_end(first_new) - ready).num_days() < 14 {
                first_new = first_new.next();
            }
            while covered.contains(&first_new) {
                first_new = first_new.next();
            }
            Some(Cadence {
                control: c,
                quarters,
                prior: prior_quarters(text(&c.id)),
                covered,
                first_new,
                ready,
                prereqs,
                record: text(&c.id)
                    .and_then(|t| t.roadmap.record.clone())
                    .unwrap_or_else(|| c.title.clone()),
                record_holds: text(&c.id)
                    .and_then(|t| t.roadmap.record_holds.clone())
                    .unwrap_or_else(|| "its required fields".to_string()),
            })
        })
        .collect();

    // The earliest start: the end of the work, then every cadence satisfied.
    let mut constraints: Vec<Constraint> = Vec::new();
    constraints.push(Constraint {
        control_id: None,
        date: phase_end,
        explanation: if gaps.is_empty() {
            format!(
                "No open gap: scoping and a mock audit (gap assessment) take the plan to {}",
                pred(phase_end)
            )
        } else {
            format!(
                "The readiness timeline (scoping → control implementation → gap assessment → remediation) for {} open gap control{} ends {}",
                gaps.len(),
                if gaps.len() == 1 { "" } else { "s" },
                pred(phase_end)
            )
        },
    });
    for cad in &cadences {
        // This control's own bound, whatever the rest of the plan.
        let date = cad.earliest(as_of);
        let name = cad.record.clone();
        let mut e = match cad.prior {
            0 => format!(
                "{} needs no record before the window starts ({WINDOW_PRIOR_PARAM}: 0)",
                cad.control.id
            ),
            1 => format!(
                "{} must have operated at least once before the window starts: {} on record in the complete quarter before it",
                cad.control.id,
                indefinite(&name)
            ),
            p => format!(
                "{} needs {} in each of the {p} complete quarters before the window starts ({WINDOW_PRIOR_PARAM}: {p})",
                cad.control.id,
                indefinite(&name)
            ),
        };
        let mut needed: BTreeSet<Quarter> = cad.prior_quarters(date).into_iter().collect();
        needed.extend(cad.by_end_quarters(date));
        let have: Vec<Quarter> = needed
            .iter()
            .copied()
            .filter(|q| cad.covered.contains(q))
            .collect();
        if !have.is_empty() {
            let _ = write!(e, "; on record: {}", quarter_list(&have));
        }
        if needed.iter().any(|q| !cad.covered.contains(q)) {
            let _ = write!(
                e,
                "; the first new one can be held in {}{}",
                cad.first_new,
                if cad.prereqs.is_empty() {
                    String::new()
                } else {
                    format!(" (after {})", cad.prereqs.join(", "))
                }
            );
        }
        let _ = write!(
            e,
            "; by the end of the window it must show {} consecutive quarters on record → no earlier than {date}",
            cad.quarters
        );
        constraints.push(Constraint {
            control_id: Some(cad.control.id.clone()),
            date,
            explanation: e,
        });
    }
    let earliest = cadences
        .iter()
        .map(|c| c.earliest(phase_end))
        .chain(std::iter::once(phase_end))
        .max()
        .unwrap_or(phase_end);
    // A start satisfying one cadence breaks none of the others (records only accumulate,
    // and a later start asks for later quarters), so the latest individual bound is the
    // joint one; check anyway.
    let earliest = (0..200)
        .try_fold(earliest, |d, _| {
            if cadences.iter().all(|c| c.allows(d)) {
                Err(d)
            } else {
                Ok(Quarter::of(d).next().first_day())
            }
        })
        .unwrap_or_else(|d| d);
    constraints.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.control_id.cmp(&b.control_id)));

    let requested = window_start.map(|date| {
        let mut reasons = Vec::new();
        if date < as_of {
            reasons.push(format!("{date} is before the assessment date {as_of}"));
        }
        if date < phase_end {
            reasons.push(format!(
                "the readiness work ends {}: gaps still open when the window starts become exceptions in the report",
                pred(phase_end)
            ));
        }
        for cad in &cadences {
            reasons.extend(cad.reasons(date));
        }
        let feasible = reasons.is_empty();
        if feasible {
            let slack = (date - earliest).num_days();
            reasons.push(if slack == 0 {
                "no margin: this is the earliest feasible start".to_string()
            } else {
                format!("{slack} days after the earliest feasible start ({earliest})")
            });
        }
        Requested {
            date,
            feasible,
            reasons,
        }
    });
    let start = match &requested {
        Some(r) if r.feasible => r.date,
        _ => earliest,
    };
    let window = Window {
        start,
        end_6_months: window_end(start),
        end_12_months: pred(add_months(start, 12)),
    };
    let at_window_end = cadences
        .iter()
        .map(|cad| {
            let qs = cad.by_end_quarters(start);
            format!(
                "{}: by {} (the end of a 6-month window), {} on record for each of {} ({} consecutive quarters)",
                cad.control.id,
                window.end_6_months,
                indefinite(&cad.record),
                quarter_list(&qs),
                qs.len()
            )
        })
        .collect();

    // Months up to the one holding the window start.
    let mut n_months = 1;
    while month_end(n_months) < pred(start) {
        n_months += 1;
    }
    n_months = n_months.max(work_months);
    let phase_of = |k: u32| -> PhaseKind {
        if k == 1 {
            PhaseKind::Scoping
        } else if k <= impl_last {
            PhaseKind::Implementation
        } else if k == assess_month {
            PhaseKind::GapAssessment
        } else if remediation_months > 0 && k == remediation_month {
            PhaseKind::Remediation
        } else {
            PhaseKind::BuildEvidence
        }
    };
    let month_index = |d: Date| -> u32 {
        let mut k = 1;
        while month_end(k) < d && k < 600 {
            k += 1;
        }
        k
    };

    // Recurring records: the first as soon as ready, then one per quarter.
    let mut during_window = Vec::new();
    for cad in &cadences {
        let mut q = cad.first_new;
        let name = cad.record.clone();
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
                tasks.push((month_index(target), task));
            }
            q = q.next();
        }
    }
    during_window.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.control_id.cmp(&b.control_id)));

    tasks.push((
        assess_month,
        Task {
            kind: TaskKind::Milestone,
            control_id: None,
            severity: None,
            title: format!(
                "Mock audit: re-run `redflag scan --as-of {}` and sample each control's evidence",
                month_end(assess_month)
            ),
            details: vec!["every gap scheduled before this month should now pass".into()],
            due: month_end(assess_month),
            critical_path: false,
            after: Vec::new(),
        },
    ));

    let mut months: Vec<Month> = (1..=n_months)
        .map(|k| Month {
            index: k,
            start: month_start(k),
            end: month_end(k),
            phases: vec![phase_of(k)],
            tasks: Vec::new(),
        })
        .collect();
    for (m, t) in tasks {
        let idx = (m.clamp(1, n_months) - 1) as usize;
        months[idx].tasks.push(t);
    }
    for m in &mut months {
        m.tasks = order(std::mem::take(&mut m.tasks));
    }

    let mut phases: Vec<Phase> = Vec::new();
    for m in &months {
        let kind = m.phases[0];
        match phases.last_mut() {
            Some(p) if p.kind == kind => p.end = m.end.min(pred(start)),
            _ => phases.push(Phase {
                kind,
                start: m.start,
                end: m.end.min(pred(start)),
                goals: kind.goals().to_vec(),
            }),
        }
    }
    phases.retain(|p| p.start <= p.end);
    phases.push(Phase {
        kind: PhaseKind::Observation,
        start,
        end: window.end_6_months,
        goals: PhaseKind::Observation.goals().to_vec(),
    });

    let accepted = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Gap && !open(c))
        .map(|c| {
            let w = report
                .findings
                .iter()
                .filter(|f| f.control_id == c.id)
                .find_map(|f| f.waiver.as_ref());
            let (reason, expires) =
                w.map_or((String::new(), None), |w| (w.reason.clone(), w.expires.clone()));
            let mut s = format!("{} ({}): accepted — {reason}", c.id, c.severity);
            if let Some(e) = expires {
                let _ = write!(s, "; the acceptance expires {e}");
                if crate::date::parse_iso(&e).is_some_and(|d| d < window.end_6_months) {
                    s.push_str(", before a 6-month window would end: renew it or fix the gap");
                }
            }
            s
        })
        .collect();

    Roadmap {
        as_of,
        phases,
        months,
        earliest_start: earliest,
        constraints,
        window,
        requested,
        during_window,
        at_window_end,
        accepted,
    }
}

/// Orders a month's tasks: milestones last; otherwise, among the tasks whose planned
/// prerequisites are already listed, critical gaps first, then the critical path, then by
/// severity (Kahn's algorithm with a priority).
fn order(tasks: Vec<Task>) -> Vec<Task> {
    let (mut rest, milestones): (Vec<Task>, Vec<Task>) =
        tasks.into_iter().partition(|t| t.kind != TaskKind::Milestone);
    let mut out: Vec<Task> = Vec::new();
    while !rest.is_empty() {
        let listed: BTreeSet<String> = out.iter().filter_map(|t| t.control_id.clone()).collect();
        let pending: BTreeSet<String> = rest.iter().filter_map(|t| t.control_id.clone()).collect();
        let ready = |t: &Task| {
            t.after
                .iter()
                .all(|p| listed.contains(p) || !pending.contains(p) || t.control_id.as_deref() == Some(p))
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

/// `December 2026`.
pub fn month_name(d: Date) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!("{} {}", NAMES[d.month0() as usize], d.year())
}

/// How a month is titled: `Month 1 · December 2026` (the calendar month it starts in).
pub fn month_title(m: &Month) -> String {
    format!("Month {} · {}", m.index, month_name(m.start))
}

/// Months as shown: a run of months of the same phase with nothing scheduled is one block.
#[derive(Debug, Clone, Copy)]
pub struct MonthBlock<'a> {
    pub first: &'a Month,
    pub last: &'a Month,
    /// The first block of its phase (its goals are shown).
    pub phase_start: bool,
}

impl MonthBlock<'_> {
    pub fn title(&self) -> String {
        if self.first.index == self.last.index {
            month_title(self.first)
        } else {
            format!(
                "Months {}–{} · {} – {}",
                self.first.index,
                self.last.index,
                month_name(self.first.start),
                month_name(self.last.start)
            )
        }
    }

    pub fn phases(&self) -> String {
        self.first
            .phases
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn month_blocks(r: &Roadmap) -> Vec<MonthBlock<'_>> {
    let mut out: Vec<MonthBlock<'_>> = Vec::new();
    for m in &r.months {
        if let Some(b) = out.last_mut() {
            if m.tasks.is_empty() && b.last.tasks.is_empty() && b.last.phases == m.phases {
                b.last = m;
                continue;
            }
        }
        let phase_start = out.last().is_none_or(|b| b.last.phases != m.phases);
        out.push(MonthBlock {
            first: m,
            last: m,
            phase_start,
        });
    }
    out
}

/// A task as one line: `[high] RF3-VENDOR-REGISTERED  Add …  (due 2027-01-31)`.
pub fn task_line(t: &Task) -> String {
    let mut s = String::new();
    if let Some(sev) = t.severity {
        let _ = write!(s, "[{sev}] ");
    }
    if let Some(id) = &t.control_id {
        let _ = write!(s, "{id}: ");
    }
    s.push_str(&t.title);
    let _ = write!(s, " (due {}", t.due);
    if t.critical_path {
        s.push_str(", critical path");
    }
    if !t.after.is_empty() {
        let _ = write!(s, ", after {}", t.after.join(", "));
    }
    s.push(')');
    s
}

/// The window headline: `Earliest start of the Type II observation window: 2027-10-01`.
pub fn headline(r: &Roadmap) -> String {
    format!(
        "Earliest start of the Type II observation window: {}",
        r.earliest_start
    )
}

/// `--format roadmap`: the plan as plain text.
pub fn render_text(r: &Roadmap, out: &mut dyn Write) -> std::io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "SOC 2 Type II readiness roadmap · as of {}", r.as_of);
    let _ = writeln!(s, "{}", headline(r));
    for c in &r.constraints {
        let _ = writeln!(s, "  · {}", c.explanation);
    }
    if let Some(q) = &r.requested {
        let verdict = if q.feasible { "feasible" } else { "NOT feasible" };
        let _ = writeln!(s, "Requested window start {}: {verdict}", q.date);
        for reason in &q.reasons {
            let _ = writeln!(s, "  · {reason}");
        }
    }
    let _ = writeln!(
        s,
        "Planned window: {} – {} (6 months) or – {} (12 months)",
        r.window.start, r.window.end_6_months, r.window.end_12_months
    );
    let _ = writeln!(s, "\nPhases");
    for p in &r.phases {
        let _ = writeln!(s, "  {:<48} {} – {}", p.kind.name(), p.start, p.end);
    }
    for b in month_blocks(r) {
        let _ = writeln!(
            s,
            "\n{} ({} – {}) · {}",
            b.title(),
            b.first.start,
            b.last.end,
            b.phases()
        );
        if b.phase_start {
            for g in b.first.phases.iter().flat_map(|p| p.goals()) {
                let _ = writeln!(s, "  - {g}");
            }
        }
        if b.first.tasks.is_empty() {
            let _ = writeln!(
                s,
                "  (no scheduled work: operate the controls and keep their records)"
            );
        }
        for t in &b.first.tasks {
            let _ = writeln!(s, "  * {}", task_line(t));
            for d in &t.details {
                let _ = writeln!(s, "      {d}");
            }
        }
    }
    let _ = writeln!(
        s,
        "\nType II observation window from {} ({} – {} for 6 months)",
        r.window.start, r.window.start, r.window.end_6_months
    );
    for g in PhaseKind::Observation.goals() {
        let _ = writeln!(s, "  - {g}");
    }
    for t in &r.during_window {
        let _ = writeln!(s, "  * {}", task_line(t));
    }
    if !r.at_window_end.is_empty() {
        let _ = writeln!(s, "  By the end of the window, on record:");
        for a in &r.at_window_end {
            let _ = writeln!(s, "  · {a}");
        }
    }
    if !r.accepted.is_empty() {
        let _ = writeln!(s, "\nAccepted risks (waivers, not scheduled)");
        for a in &r.accepted {
            let _ = writeln!(s, "  · {a}");
        }
    }
    out.write_all(s.as_bytes())
}
