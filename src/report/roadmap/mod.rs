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

mod cadence;
mod schedule;
mod text;
mod window;

use std::collections::BTreeMap;

use chrono::Months;

use super::consultant::{builtin_texts, ControlText};
use super::Report;
use crate::control::{ControlId, Severity};
use crate::date::{Date, Quarter};

pub use text::{headline, month_blocks, month_name, month_title, render_text, task_line, MonthBlock};

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
    pub control_id: Option<ControlId>,
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
    pub control_id: Option<ControlId>,
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

impl Window {
    fn starting(start: Date) -> Window {
        Window {
            start,
            end_6_months: window_end(start),
            end_12_months: pred(add_months(start, 12)),
        }
    }
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

/// The last day of a 6-month window starting on `start` (the source's minimum).
fn window_end(start: Date) -> Date {
    pred(add_months(start, 6))
}

/// The plan, with the built-in pack's cadence parameters.
pub fn plan(report: &Report, as_of: Date, window_start: Option<Date>) -> Roadmap {
    plan_with(report, as_of, window_start, builtin_texts())
}

/// The plan, with the cadence parameters (`tabletop_quarters`, …) of the evaluated pack.
///
/// The steps, each in its own module: what is open and the phase months it needs
/// (`schedule`), the fix tasks and their months, the recurring records (`cadence`), the
/// earliest window start and the verdict on a requested one (`window`), then the months
/// and phases laid out.
pub fn plan_with(
    report: &Report,
    as_of: Date,
    window_start: Option<Date>,
    texts: &BTreeMap<ControlId, ControlText>,
) -> Roadmap {
    let planner = schedule::Planner::new(report, as_of, texts);
    let cadence_ids = planner.cadence_ids();
    let critical = planner.critical_path(&cadence_ids);
    let month_of = planner.fix_months(&cadence_ids, &critical);
    let mut tasks = planner.fix_tasks(&month_of, &critical);
    let cadences = cadence::cadences(&planner, &cadence_ids, &month_of);

    let constraints = window::constraints(&planner, &cadences);
    let earliest = window::earliest(&planner, &cadences);
    let requested = window_start.map(|date| window::requested(&planner, &cadences, date, earliest));
    let start = match &requested {
        Some(r) if r.feasible => r.date,
        _ => earliest,
    };
    let window = Window::starting(start);
    let at_window_end = window::at_window_end(&cadences, &window);

    let during_window = cadence::recurring(&planner, &cadences, &window, &mut tasks);
    tasks.push(planner.mock_audit());
    let months = planner.months(start, tasks);
    let phases = schedule::phases(&months, &window);
    let accepted = window::accepted(&planner, &window);

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
