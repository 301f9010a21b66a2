//! The roadmap in words: month titles, one line per task, the headline and
//! `--format roadmap` (plain text). The consultant formats lay out the same pieces.

use std::fmt::Write as _;
use std::io::Write;

use chrono::Datelike;

use super::{Month, PhaseKind, Roadmap, Task};
use crate::date::Date;

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
