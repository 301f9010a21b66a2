//! The Type II observation window: what bounds its start (the end of the work, then each
//! recurring control's quarters), the earliest start that satisfies all of them, the verdict
//! on a requested `--window-start`, and what must be on record when the window ends.

use std::fmt::Write as _;

use super::cadence::Cadence;
use super::schedule::{is_open, Planner};
use super::{indefinite, pred, Constraint, Requested, Window};
use crate::date::{quarter_list, Date, Quarter};
use crate::report::Status;

/// What sets a lower bound on the start: the end of the work, then each cadence control's
/// own bound whatever the rest of the plan; the binding one first.
pub(super) fn constraints(planner: &Planner<'_>, cadences: &[Cadence<'_>]) -> Vec<Constraint> {
    let mut constraints = vec![work_constraint(planner)];
    constraints.extend(cadences.iter().map(|cad| cadence_constraint(planner.as_of, cad)));
    constraints.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.control_id.cmp(&b.control_id)));
    constraints
}

fn work_constraint(planner: &Planner<'_>) -> Constraint {
    let phase_end = planner.timeline.phase_end();
    let gaps = planner.gaps.len();
    Constraint {
        control_id: None,
        date: phase_end,
        explanation: if gaps == 0 {
            format!(
                "No open gap: scoping and a mock audit (gap assessment) take the plan to {}",
                pred(phase_end)
            )
        } else {
            format!(
                "The readiness timeline (scoping → control implementation → gap assessment → remediation) for {} open gap control{} ends {}",
                gaps,
                if gaps == 1 { "" } else { "s" },
                pred(phase_end)
            )
        },
    }
}

fn cadence_constraint(as_of: Date, cad: &Cadence<'_>) -> Constraint {
    let date = cad.earliest(as_of);
    let name = &cad.record;
    let mut e = match cad.prior {
        0 => format!(
            "{} needs no record before the window starts ({}: 0)",
            cad.control.id, cad.prior_param
        ),
        1 => format!(
            "{} must have operated at least once before the window starts: {} on record in the complete quarter before it",
            cad.control.id,
            indefinite(name)
        ),
        p => format!(
            "{} needs {} in each of the {p} complete quarters before the window starts ({}: {p})",
            cad.control.id,
            indefinite(name),
            cad.prior_param
        ),
    };
    let mut needed: std::collections::BTreeSet<Quarter> = cad.prior_quarters(date).into_iter().collect();
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
    Constraint {
        control_id: Some(cad.control.id.clone()),
        date,
        explanation: e,
    }
}

/// The earliest start: the end of the work, then every cadence satisfied.
pub(super) fn earliest(planner: &Planner<'_>, cadences: &[Cadence<'_>]) -> Date {
    let phase_end = planner.timeline.phase_end();
    let earliest = cadences
        .iter()
        .map(|c| c.earliest(phase_end))
        .chain(std::iter::once(phase_end))
        .max()
        .unwrap_or(phase_end);
    // A start satisfying one cadence breaks none of the others (records only accumulate,
    // and a later start asks for later quarters), so the latest individual bound is the
    // joint one; check anyway.
    (0..200)
        .try_fold(earliest, |d, _| {
            if cadences.iter().all(|c| c.allows(d)) {
                Err(d)
            } else {
                Ok(Quarter::of(d).next().first_day())
            }
        })
        .unwrap_or_else(|d| d)
}

/// The verdict on a requested start: why not, or the margin.
pub(super) fn requested(
    planner: &Planner<'_>,
    cadences: &[Cadence<'_>],
    date: Date,
    earliest: Date,
) -> Requested {
    let as_of = planner.as_of;
    let phase_end = planner.timeline.phase_end();
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
    for cad in cadences {
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
}

/// What each recurring control must show by the end of a 6-month window.
pub(super) fn at_window_end(cadences: &[Cadence<'_>], window: &Window) -> Vec<String> {
    cadences
        .iter()
        .map(|cad| {
            let qs = cad.by_end_quarters(window.start);
            format!(
                "{}: by {} (the end of a 6-month window), {} on record for each of {} ({} consecutive quarters)",
                cad.control.id,
                window.end_6_months,
                indefinite(&cad.record),
                quarter_list(&qs),
                qs.len()
            )
        })
        .collect()
}

/// Gaps accepted by waivers (not scheduled): control, reason, and an expiry that falls
/// before a 6-month window would end.
pub(super) fn accepted(planner: &Planner<'_>, window: &Window) -> Vec<String> {
    let report = planner.report;
    report
        .controls
        .iter()
        .filter(|c| c.status == Status::Gap && !is_open(report, c))
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
        .collect()
}
