//! The terminal renderer: controls grouped by red flag in a table, then each gap with its
//! evidence (`path:line  the line`) and the fix, then the summary. Colour is written as ANSI
//! styles; the caller's stream strips them when the output is not a terminal or `NO_COLOR`
//! is set.

use std::fmt::Write as _;
use std::io::Write;

use anstyle::{AnsiColor, Style};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use super::{ControlOut, FindingOut, PointerOut, Report, Status, TargetRole, WaiverStatus};
use crate::control::Severity;
use crate::text::plural;

const PASS_EVIDENCE_LINES: usize = 6;
const GAP_EVIDENCE_LINES: usize = 6;

fn paint(s: &str, style: Style) -> String {
    format!("{style}{s}{style:#}")
}

fn status_style(s: Status) -> Style {
    match s {
        Status::Pass => AnsiColor::Green.on_default().bold(),
        Status::Gap => AnsiColor::Red.on_default().bold(),
        Status::NotApplicable => Style::new().dimmed(),
        Status::Manual => AnsiColor::Yellow.on_default().bold(),
        Status::Blocked => AnsiColor::Yellow.on_default(),
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Magenta.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default(),
        Severity::Medium => AnsiColor::Yellow.on_default(),
        Severity::Low => AnsiColor::Cyan.on_default(),
    }
}

fn pointer_line(p: &PointerOut, multi_target: bool) -> String {
    let loc = paint(&p.location(multi_target), Style::new().bold());
    let mut line = format!("      {loc}");
    if let Some(snippet) = &p.snippet {
        let _ = write!(line, "  {}", paint(snippet, Style::new().dimmed()));
    }
    if let Some(label) = &p.label {
        let _ = write!(
            line,
            "  {}",
            paint(&format!("[{label}]"), AnsiColor::Blue.on_default())
        );
    }
    line
}

/// How many gaps the "Fix these first" block lists.
const FIRST_FIXES: usize = 5;

/// The terminal report, read top-down: what to fix first, then each red flag's gaps (with
/// passing and not-applicable controls only when `all`), then the summary and the verdict.
pub fn render(report: &Report, width: Option<u16>, all: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let mut s = String::new();
    let multi = report.targets.len() > 1;
    let _ = writeln!(
        s,
        "{} · SOC 2 Type II readiness · as of {}",
        paint(&format!("redflag {}", report.tool.version), Style::new().bold()),
        super::iso(report.as_of)
    );
    for t in &report.targets {
        let role = if t.role == TargetRole::Evidence {
            " (evidence only)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "target: {}{role} · {}, {}",
            t.path,
            plural(usize::try_from(t.files_scanned).unwrap_or(usize::MAX), "file"),
            crate::check::artifact::human_size(t.bytes_scanned)
        );
    }

    fix_first(&mut s, report, multi);
    let mut groups: Vec<Option<u8>> = report.controls.iter().map(|c| c.red_flag).collect();
    groups.dedup();
    for rf in groups {
        red_flag_section(&mut s, report, rf, width, all, multi);
    }

    if !report.documents.is_empty() {
        let _ = writeln!(s, "\n{}", paint("Evidence documents", Style::new().bold()));
        for d in &report.documents {
            let loc = super::location(&d.target, &d.path, None, multi);
            let _ = writeln!(
                s,
                "  {}: {} {}",
                d.title.to_lowercase(),
                paint(&loc, Style::new().bold()),
                paint(&format!("({})", d.summary), Style::new().dimmed())
            );
        }
    }

    summary(&mut s, report, multi);
    verdict(&mut s, &report.gate);
    out.write_all(s.as_bytes())
}

/// The summary: score and counts, notes, the baseline comparison, waivers, and the
/// controls `--scope` left out.
fn summary(s: &mut String, report: &Report, multi: bool) {
    let sm = &report.summary;
    let _ = writeln!(s, "\n{}", paint("Summary", Style::new().bold()));
    let _ = writeln!(
        s,
        "  readiness score {} · {}: {} pass, {} gap, {} blocked, {} n/a, {} manual",
        paint(&sm.score_text(), Style::new().bold()),
        plural(sm.controls, "control"),
        sm.pass,
        sm.gap,
        sm.blocked,
        sm.not_applicable,
        sm.manual
    );
    let sev: Vec<String> = ["critical", "high", "medium", "low"]
        .iter()
        .map(|k| format!("{} {k}", sm.by_severity.get(k).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(s, "  {}: {}", plural(sm.findings, "finding"), sev.join(", "));
    if !report.out_of_scope.is_empty() {
        let ids: Vec<&str> = report.out_of_scope.iter().map(|o| o.id.as_str()).collect();
        let _ = writeln!(
            s,
            "  {} out of scope (--scope; in neither the score nor the gate): {}",
            plural(ids.len(), "control"),
            ids.join(", ")
        );
    }
    if !report.notes.is_empty() {
        let _ = writeln!(
            s,
            "  {}: files skipped, not parsed or not used as evidence",
            plural(report.notes.len(), "note")
        );
        for n in report.notes.iter().take(10) {
            let loc = super::location(&n.target, &n.path, None, multi);
            let _ = writeln!(s, "    {}  {}", loc, paint(&n.message, Style::new().dimmed()));
        }
        if report.notes.len() > 10 {
            let _ = writeln!(
                s,
                "    … and {} more (--format json lists all)",
                report.notes.len() - 10
            );
        }
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(
            s,
            "  baseline {}: {} new, {} known, {} fixed",
            b.source,
            b.new,
            b.known,
            b.fixed.len()
        );
        for e in b.fixed.iter().take(10) {
            let _ = writeln!(
                s,
                "    fixed: {} {} {}",
                e.control_id,
                e.path,
                paint(&e.message, Style::new().dimmed())
            );
        }
        if !b.fixed.is_empty() {
            let _ = writeln!(s, "    tighten the baseline: redflag baseline --update");
        }
    }
    if !report.waivers.is_empty() {
        let _ = writeln!(s, "  waivers (risk acceptances):");
        for w in &report.waivers {
            let scope = w
                .location
                .clone()
                .or_else(|| w.path.clone())
                .unwrap_or_else(|| "all paths".into());
            let who = w
                .owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default();
            let until = w
                .expires
                .as_deref()
                .map(|e| format!(", expires {e}"))
                .unwrap_or_default();
            let style = if w.status == WaiverStatus::Active {
                Style::new()
            } else {
                AnsiColor::Yellow.on_default().bold()
            };
            let _ = writeln!(
                s,
                "    {} {} ({scope}): {}{who}{until} — {}",
                paint(&format!("[{}]", w.status), style),
                w.control,
                w.reason,
                plural(w.matched, "finding")
            );
        }
    }
}

/// The last line: whether the run fails, and why.
fn verdict(s: &mut String, g: &super::Gate) {
    let mut why = Vec::new();
    if g.failing_findings > 0 {
        why.push(format!(
            "{} at or above --fail-on {}",
            plural(g.failing_findings, "open finding"),
            g.fail_on
        ));
    }
    if g.score_below {
        why.push(format!(
            "score below --fail-on-score {}",
            g.fail_on_score.unwrap_or_default()
        ));
    }
    let verdict = if why.is_empty() {
        paint(
            &format!("passes (--fail-on {})", g.fail_on),
            AnsiColor::Green.on_default().bold(),
        )
    } else if g.soft_fail {
        paint(
            &format!("{} (--soft-fail: exit 0)", why.join("; ")),
            AnsiColor::Yellow.on_default().bold(),
        )
    } else {
        paint(&why.join("; "), AnsiColor::Red.on_default().bold())
    };
    let _ = writeln!(s, "  result: {verdict}");
}

/// One red flag: its heading, a table of its gaps (every control with `all`) and the
/// details of each listed control.
fn red_flag_section(
    s: &mut String,
    report: &Report,
    rf: Option<u8>,
    width: Option<u16>,
    all: bool,
    multi: bool,
) {
    let every: Vec<&ControlOut> = report.controls.iter().filter(|c| c.red_flag == rf).collect();
    let controls: Vec<&ControlOut> = every
        .iter()
        .copied()
        .filter(|c| all || matches!(c.status, Status::Gap | Status::Manual | Status::Blocked))
        .collect();
    let heading = super::consultant::red_flag_heading(rf);
    let _ = writeln!(s, "\n{}", paint(&format!("━━ {heading} ━━"), Style::new().bold()));
    if controls.is_empty() {
        let _ = writeln!(
            s,
            "  {}",
            paint(
                &format!(
                    "no gap: {} pass or do not apply (--all lists them)",
                    plural(every.len(), "control")
                ),
                Style::new().dimmed()
            )
        );
        return;
    }
    let hidden = every.len() - controls.len();
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(vec!["Status", "Severity", "Control", "Title", "Findings"]);
    for c in &controls {
        table.add_row(vec![
            c.status.label().to_string(),
            c.severity.to_string(),
            c.id.to_string(),
            c.title.clone(),
            c.findings.to_string(),
        ]);
    }
    let _ = writeln!(s, "{table}");
    if hidden > 0 {
        let _ = writeln!(
            s,
            "  {}",
            paint(
                &format!(
                    "and {} that pass or do not apply (--all lists them)",
                    plural(hidden, "control")
                ),
                Style::new().dimmed()
            )
        );
    }
    for c in controls {
        render_control(s, c, report, multi);
    }
}

fn findings_of<'a>(report: &'a Report, id: &'a str) -> impl Iterator<Item = &'a FindingOut> {
    report.findings.iter().filter(move |f| f.control_id == id)
}

/// "Fix these first": the open gaps that matter most, by severity then red flag, one line
/// each; a control with several findings is one line (its root cause), with a count.
fn fix_first(s: &mut String, report: &Report, multi: bool) {
    let mut open: Vec<&FindingOut> = report.findings.iter().filter(|f| f.is_open()).collect();
    if open.is_empty() {
        return;
    }
    open.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.red_flag.unwrap_or(99).cmp(&b.red_flag.unwrap_or(99)))
            .then(a.control_id.cmp(&b.control_id))
    });
    let _ = writeln!(s, "\n{}", paint("Fix these first", Style::new().bold()));
    let mut shown: Vec<&str> = Vec::new();
    for f in open.iter() {
        if shown.contains(&f.control_id.as_str()) {
            continue;
        }
        if shown.len() == FIRST_FIXES {
            break;
        }
        shown.push(&f.control_id);
        let n = open.iter().filter(|g| g.control_id == f.control_id).count();
        let more = if n > 1 {
            format!(" (+{} more)", n - 1)
        } else {
            String::new()
        };
        let at = f
            .evidence
            .first()
            .map(|p| p.location(multi))
            .filter(|at| !f.message.contains(at.as_str()))
            .map(|at| format!("  {}", paint(&at, Style::new().dimmed())))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {} {}  {}{more}{at}",
            paint(&format!("{:<8}", f.severity.as_str()), severity_style(f.severity)),
            paint(&f.control_id, Style::new().bold()),
            f.message,
        );
    }
}

fn render_control(s: &mut String, c: &ControlOut, report: &Report, multi: bool) {
    let head = format!(
        "{} {} · {} · {}",
        paint(&format!("{:<6}", c.status.label()), status_style(c.status)),
        paint(&c.id, Style::new().bold()),
        paint(c.severity.as_str(), severity_style(c.severity)),
        c.tsc.join(" ")
    );
    match c.status {
        Status::Gap => {
            let _ = writeln!(s, "\n{head}");
            let findings: Vec<&FindingOut> =
                report.findings.iter().filter(|f| f.control_id == c.id).collect();
            let mut previous: Option<&[PointerOut]> = None;
            for f in findings {
                let tag = match (&f.waiver, f.baseline) {
                    (Some(w), _) => paint(
                        &format!(" [waived: {}]", w.reason),
                        AnsiColor::Yellow.on_default(),
                    ),
                    (None, Some(super::BaselineState::Known)) => paint(" [known]", Style::new().dimmed()),
                    (None, Some(super::BaselineState::New)) => {
                        paint(" [new]", AnsiColor::Red.on_default().bold())
                    }
                    (None, None) => String::new(),
                };
                let _ = writeln!(
                    s,
                    "  {} {}{tag}",
                    paint("✗", AnsiColor::Red.on_default()),
                    f.message
                );
                if previous == Some(f.evidence.as_slice()) && !f.evidence.is_empty() {
                    let _ = writeln!(s, "      {}", paint("(evidence as above)", Style::new().dimmed()));
                    continue;
                }
                previous = Some(f.evidence.as_slice());
                for p in f.evidence.iter().take(GAP_EVIDENCE_LINES) {
                    let _ = writeln!(s, "{}", pointer_line(p, multi));
                }
                if f.evidence.len() > GAP_EVIDENCE_LINES {
                    let _ = writeln!(s, "      … and {} more", f.evidence.len() - GAP_EVIDENCE_LINES);
                }
            }
            // Why the control applies, once for the control (not repeated per finding).
            // Shown for gaps about something missing, whose location is where it should be.
            let absent =
                |f: &&FindingOut| f.evidence.iter().all(|p| p.line.is_none()) && !f.context.is_empty();
            if let Some(f) = findings_of(report, &c.id).find(absent) {
                let why: Vec<String> = f
                    .context
                    .iter()
                    .map(|p| match &p.label {
                        Some(l) => format!("{l} at {}", p.location(multi)),
                        None => p.location(multi),
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "  {} {}",
                    paint("applies because:", Style::new().dimmed()),
                    paint(&why.join("; "), Style::new().dimmed())
                );
            }
            let fix = super::prose::shorten(&super::prose::first_sentence(&c.remediation), 220);
            let _ = writeln!(
                s,
                "  {} {fix} (redflag explain {})",
                paint("fix:", Style::new().bold()),
                c.id
            );
        }
        Status::Pass => {
            let _ = writeln!(s, "\n{head}");
            if let Some(e) = &c.examined {
                let _ = writeln!(s, "  examined {e}");
            }
            for p in c.evidence.iter().take(PASS_EVIDENCE_LINES) {
                let _ = writeln!(s, "{}", pointer_line(p, multi));
            }
            if c.evidence.len() > PASS_EVIDENCE_LINES {
                let _ = writeln!(s, "      … and {} more", c.evidence.len() - PASS_EVIDENCE_LINES);
            }
        }
        Status::Manual => {
            let _ = writeln!(s, "\n{head}\n  needs manual evidence: redflag explain {}", c.id);
        }
        Status::Blocked | Status::NotApplicable => {
            let why = c.reason.as_deref().unwrap_or("");
            let _ = writeln!(s, "\n{head}\n  {}", paint(why, Style::new().dimmed()));
        }
    }
}
