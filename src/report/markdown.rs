//! `--format markdown`: the consultant's gap report as CommonMark with GitHub tables — the
//! same sections as the HTML report (cover, executive summary, one section per red flag,
//! TSC coverage, manual controls and evidence requests, risk acceptances, roadmap,
//! appendix), with text bars where the HTML has charts. No raw HTML is emitted: text from
//! the scanned repositories is backslash-escaped ([`text`]) or put in code spans
//! ([`code`]), so it cannot change the document's structure.

use std::fmt::Write as _;
use std::io::Write;

use super::charts::text_bar;
use super::consultant::{
    self as cx, all_evidence, category_name, findings_of, location, multi_target, red_flag_heading,
    status_word, ReportMeta,
};
use super::roadmap::{self, PhaseKind, Roadmap, TaskKind};
use super::{ControlOut, FindingOut, PointerOut, Report, Status};

/// Escapes inline text: every character CommonMark could read as markup gets a backslash;
/// line breaks become spaces.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() || super::html::is_bidi(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span holding `s` verbatim, whatever backticks it contains. `in_table`
/// escapes pipes, which GitHub tables split cells on even inside code spans.
pub fn code(s: &str, in_table: bool) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || (c.is_control() && c != '\t') || super::html::is_bidi(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let s = if in_table { s.replace('|', "\\|") } else { s };
    // One backtick more than the longest run inside.
    let runs = s
        .as_bytes()
        .split(|b| *b != b'`')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(runs + 1);
    if s.is_empty() {
        return "` `".to_string();
    }
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    if pad {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// A control text with its `code` spans kept as code.
fn rich(s: &str, in_table: bool) -> String {
    super::consultant::code_segments(s)
        .into_iter()
        .map(|(c, part)| if c { code(part, in_table) } else { text(part) })
        .collect()
}

/// Text for a table cell: escaped, pipes included.
fn cell(s: &str) -> String {
    text(s)
}

fn pointer_item(p: &PointerOut, multi: bool, indent: &str) -> String {
    let mut line = format!("{indent}- {}", code(&location(p, multi), false));
    if let Some(snippet) = &p.snippet {
        let _ = write!(line, " {}", code(snippet, false));
    }
    if let Some(label) = &p.label {
        let _ = write!(line, " — {}", text(label));
    }
    line
}

fn evidence_items(s: &mut String, ps: &[&PointerOut], multi: bool, indent: &str, limit: usize) {
    for p in ps.iter().take(limit) {
        let _ = writeln!(s, "{}", pointer_item(p, multi, indent));
    }
    if ps.len() > limit {
        let _ = writeln!(
            s,
            "{indent}- … and {} more (appendix A lists all)",
            ps.len() - limit
        );
    }
}

/// Renders the report.
pub fn render(report: &Report, meta: &ReportMeta, out: &mut dyn Write) -> std::io::Result<()> {
    let as_of = crate::date::parse_iso(&report.as_of).unwrap_or_default();
    let road = roadmap::plan_with(report, as_of, meta.window_start, &meta.controls);
    let mut s = String::with_capacity(32 * 1024);
    cover(&mut s, report, meta);
    summary(&mut s, report, meta, &road);
    for rf in cx::red_flags(report) {
        red_flag(&mut s, report, meta, rf);
    }
    tsc_section(&mut s, report, meta);
    manual_section(&mut s, report, meta);
    waivers_section(&mut s, report);
    roadmap_section(&mut s, &road);
    appendix(&mut s, report);
    let _ = writeln!(
        s,
        "\n---\n\nPrepared with redflag {} on the evidence in the targets as of {}. Findings point at files and lines of the scanned revision; secrets are redacted. This report is a readiness assessment, not an audit opinion.",
        text(report.tool.version),
        report.as_of
    );
    out.write_all(s.as_bytes())
}

fn cover(s: &mut String, report: &Report, meta: &ReportMeta) {
    s.push_str("# SOC 2 Type II readiness assessment\n\n");
    if let Some(c) = &meta.client {
        let _ = writeln!(s, "Prepared for **{}**\n", text(c));
    }
    s.push_str("| | |\n|---|---|\n");
    if let Some(c) = &meta.client {
        let _ = writeln!(s, "| Client | {} |", cell(c));
    }
    if let Some(a) = &meta.assessor {
        let _ = writeln!(s, "| Assessor | {} |", cell(a));
    }
    let _ = writeln!(
        s,
        "| Assessment date | {} (every freshness and cadence rule is judged on this date) |",
        report.as_of
    );
    let scope: Vec<&str> = meta.scope_categories().into_iter().map(category_name).collect();
    let _ = writeln!(s, "| Criteria in scope | {} |", cell(&scope.join(", ")));
    let sm = &report.summary;
    let _ = writeln!(
        s,
        "| Readiness score | **{}** · {}: {} pass, {} gap, {} manual, {} not applicable |",
        sm.score_text(),
        crate::text::plural(sm.controls, "control"),
        sm.pass,
        sm.gap,
        sm.manual,
        sm.not_applicable
    );
    let _ = writeln!(s, "| Prepared with | redflag {} |", cell(report.tool.version));
    s.push_str(
        "\n**Targets assessed**\n\n| Target | Role | Files | Size | Commit |\n|---|---|--:|--:|---|\n",
    );
    for t in &report.targets {
        let role = if t.role == "evidence" {
            "evidence documents"
        } else {
            "code and configuration"
        };
        let commit = meta
            .commit(&t.path)
            .map_or_else(|| "not a git repository".to_string(), |c| code(c, true));
        let _ = writeln!(
            s,
            "| {} | {role} | {} | {} | {commit} |",
            code(&t.path, true),
            t.files_scanned,
            cell(&cx::human_size(t.bytes_scanned))
        );
    }
    let _ = writeln!(
        s,
        "\n> Confidential{}. This report names files and lines of the assessed systems; share it only with the people preparing the audit.\n",
        meta.client
            .as_deref()
            .map(|c| format!(": prepared for {}", text(c.trim_end_matches('.'))))
            .unwrap_or_default()
    );
    s.push_str("## Contents\n\n1. Executive summary\n");
    let mut n = 2;
    for rf in cx::red_flags(report) {
        let _ = writeln!(s, "{n}. {}", text(&red_flag_heading(rf)));
        n += 1;
    }
    for title in [
        "Trust Services Criteria coverage",
        "Manual controls and the evidence the auditor will request",
        "Risk acceptances",
        "Readiness roadmap",
        "Appendix A · All evidence",
    ] {
        let _ = writeln!(s, "{n}. {title}");
        n += 1;
    }
    s.push('\n');
}

fn summary(s: &mut String, report: &Report, meta: &ReportMeta, road: &Roadmap) {
    let sm = &report.summary;
    let open: usize = cx::open_by_severity(report).iter().map(|(_, o, _)| o).sum();
    let _ = writeln!(
        s,
        "## Executive summary\n\n**Readiness score {}.** {} The score is the severity-weighted share of the controls that examined something that pass.\n\n{} finding{} ({} open, {} accepted as risks).\n",
        sm.score_text(),
        text(&cx::controls_sentence(sm)),
        sm.findings,
        if sm.findings == 1 { "" } else { "s" },
        open,
        sm.findings - open
    );
    s.push_str("**Findings by severity**\n\n| Severity | Findings | |\n|---|--:|---|\n");
    let sev = cx::open_by_severity(report);
    let max = sev.iter().map(|(_, o, w)| o + w).max().unwrap_or(0).max(1) as f64;
    for (sv, o, w) in &sev {
        let n = if *w > 0 {
            format!("{o} + {w} accepted")
        } else {
            o.to_string()
        };
        let _ = writeln!(
            s,
            "| {} | {n} | {} |",
            cx::severity_word(*sv),
            text_bar((o + w) as f64, max, 20)
        );
    }
    s.push_str("\n**Readiness score per red flag**\n\n| Red flag | Score | |\n|---|--:|---|\n");
    for (rf, v) in cx::scores_by_red_flag(report) {
        let label = rf.map_or_else(
            || "Other controls".to_string(),
            |n| format!("RF{n} · {}", crate::control::red_flag_title(rf)),
        );
        let (num, bar) = match v {
            Some(v) => (format!("{v:.0}"), text_bar(v, 100.0, 20)),
            None => ("n/a".to_string(), String::new()),
        };
        let _ = writeln!(s, "| {} | {num} | {bar} |", cell(&label));
    }
    s.push_str("\n### Top risks\n\n");
    let risks = cx::top_risks(report, meta, 5);
    if risks.is_empty() {
        s.push_str("No open gap: every applicable, checkable control passes.\n\n");
    }
    let multi = multi_target(report);
    for (i, r) in risks.iter().enumerate() {
        let _ = writeln!(
            s,
            "{}. **{}** ({}, {})",
            i + 1,
            text(&r.headline),
            r.control.severity,
            code(&r.control.id, false)
        );
        let mut found = r.found.iter().map(|f| text(f)).collect::<Vec<_>>().join("; ");
        if r.more > 0 {
            let _ = write!(found, "; and {} more", r.more);
        }
        let at = r
            .pointer
            .map(|p| format!(" ({})", code(&location(p, multi), false)))
            .unwrap_or_default();
        let _ = writeln!(s, "   Found: {found}{at}.  ");
        let _ = writeln!(s, "   Fix: {}", rich(&r.fix, false));
    }
    s.push('\n');
    let _ = writeln!(
        s,
        "> **{}.** {}",
        text(&roadmap::headline(road)),
        text(
            &road
                .constraints
                .first()
                .map(|c| c.explanation.clone())
                .unwrap_or_default()
        ) + if road
            .constraints
            .first()
            .is_some_and(|c| !c.explanation.ends_with('.'))
        {
            "."
        } else {
            ""
        }
    );
    if let Some(q) = &road.requested {
        let _ = writeln!(
            s,
            ">\n> Planned start {}: **{}** — {}",
            q.date,
            if q.feasible { "feasible" } else { "not feasible" },
            text(&q.reasons.join("; "))
        );
    }
    s.push_str(">\n> See the readiness roadmap below.\n\n");
}

fn red_flag(s: &mut String, report: &Report, meta: &ReportMeta, rf: Option<u8>) {
    let multi = multi_target(report);
    let controls: Vec<&ControlOut> = report.controls.iter().filter(|c| c.red_flag == rf).collect();
    let _ = writeln!(s, "## {}\n", text(&red_flag_heading(rf)));
    s.push_str("| Status | Severity | Control | Title | Findings |\n|---|---|---|---|--:|\n");
    for c in &controls {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            c.status.label(),
            c.severity,
            code(&c.id, true),
            cell(&c.title),
            c.findings
        );
    }
    s.push('\n');
    for c in controls {
        let _ = writeln!(
            s,
            "### {} {} — {}\n\n{} · severity {} · TSC {}\n",
            c.status.label(),
            text(&c.id),
            text(&c.title),
            status_word(c.status),
            c.severity,
            text(&c.tsc.join(" "))
        );
        match c.status {
            Status::Gap => {
                let mut previous: Option<&[PointerOut]> = None;
                for f in findings_of(report, &c.id) {
                    finding_item(s, f, multi, &mut previous);
                }
                let _ = writeln!(
                    s,
                    "\n**Remediation.** {}\n",
                    rich(&cx::unwrap_text(&c.remediation), false)
                );
                if let Some(t) = meta.text(&c.id) {
                    let _ = writeln!(
                        s,
                        "*Why the auditor cares.* {}\n",
                        rich(&cx::unwrap_text(&t.rationale), false)
                    );
                }
            }
            Status::Pass => {
                let ev: Vec<&PointerOut> = c.evidence.iter().collect();
                match &c.examined {
                    Some(what) => {
                        let _ = writeln!(s, "Passes: examined {}.\n", text(what));
                    }
                    None => s.push_str("Passes on this evidence:\n\n"),
                }
                evidence_items(s, &ev, multi, "", 6);
                s.push('\n');
            }
            Status::Manual => {
                s.push_str("Cannot be verified from files: the auditor will ask for the evidence listed under manual controls.\n\n");
                let ev: Vec<&PointerOut> = c.evidence.iter().collect();
                evidence_items(s, &ev, multi, "", 6);
                s.push('\n');
            }
            Status::NotApplicable | Status::Blocked => {
                let why = c.reason.as_deref().unwrap_or("not applicable");
                let _ = writeln!(s, "{}: {}.\n", status_word(c.status), text(why));
            }
        }
    }
}

fn finding_item<'a>(s: &mut String, f: &'a FindingOut, multi: bool, previous: &mut Option<&'a [PointerOut]>) {
    let mut line = format!("- ✗ {}", text(&f.message));
    if let Some(w) = &f.waiver {
        let _ = write!(line, " *(accepted risk: {})*", text(&w.reason));
    }
    match f.baseline {
        Some(super::BaselineState::Known) => line.push_str(" *(known)*"),
        Some(super::BaselineState::New) => line.push_str(" **(new)**"),
        None => {}
    }
    let _ = writeln!(s, "{line}");
    if !f.evidence.is_empty() && *previous == Some(f.evidence.as_slice()) {
        s.push_str("  - (evidence as above)\n");
    } else {
        let ev: Vec<&PointerOut> = f.evidence.iter().collect();
        evidence_items(s, &ev, multi, "  ", 8);
    }
    *previous = Some(f.evidence.as_slice());
}

fn tsc_section(s: &mut String, report: &Report, meta: &ReportMeta) {
    let (rows, uncovered) = cx::tsc_coverage(report, meta);
    let scope: Vec<&str> = meta.scope_categories().into_iter().map(category_name).collect();
    let _ = writeln!(
        s,
        "## Trust Services Criteria coverage\n\nIn scope: {}. Each criterion below is touched by at least one control of this assessment; its status is the worst of its controls'. A pass means the automated evidence holds, not that the criterion is fully met: the auditor tests each criterion more broadly.\n",
        text(&scope.join(", "))
    );
    if !report.out_of_scope.is_empty() {
        s.push_str("Controls out of scope (not evaluated; in neither the score nor the gate):\n\n");
        for o in &report.out_of_scope {
            let _ = writeln!(
                s,
                "- {} {}: {}",
                code(&o.id, true),
                text(&o.title),
                text(&o.reason)
            );
        }
        s.push('\n');
    }
    s.push_str("| Criterion | Status | What it requires (paraphrased) | Controls |\n|---|---|---|---|\n");
    for r in &rows {
        let controls: Vec<String> = r
            .controls
            .iter()
            .map(|(id, st)| format!("{} {}", code(id, true), st.label()))
            .collect();
        let note = if r.in_scope || r.category.is_empty() {
            String::new()
        } else {
            format!(" *({} not in scope)*", text(category_name(&r.category)))
        };
        let _ = writeln!(
            s,
            "| **{}** | {} | {}{note} | {} |",
            cell(&r.id),
            r.status.label(),
            cell(&r.title),
            controls.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\n### Criteria in scope that no control covers ({})\n\nThese criteria are in the engagement but outside what redflag can check from files (governance, HR, physical security, risk assessment…). Each needs manual evidence: policies, tickets, screenshots, signed records.\n",
        uncovered.len()
    );
    if uncovered.is_empty() {
        s.push_str("None.\n\n");
    } else {
        s.push_str("| Criterion | Category | What it requires (paraphrased) | Status |\n|---|---|---|---|\n");
        for c in uncovered {
            let _ = writeln!(
                s,
                "| **{}** | {} | {} | needs manual evidence |",
                cell(&c.id),
                cell(category_name(&c.category)),
                cell(&c.title)
            );
        }
        s.push('\n');
    }
}

fn manual_section(s: &mut String, report: &Report, meta: &ReportMeta) {
    s.push_str("## Manual controls and the evidence the auditor will request\n\n");
    let manual: Vec<&ControlOut> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Manual)
        .collect();
    if manual.is_empty() {
        s.push_str("Every control of this assessment is checked from files; none is manual. The criteria no control covers (previous section) still need manual evidence.\n\n");
    } else {
        s.push_str("### Manual controls\n\n");
        for c in manual {
            let _ = writeln!(s, "#### {} — {}\n", text(&c.id), text(&c.title));
            if let Some(t) = meta.text(&c.id) {
                let _ = writeln!(s, "{}\n", rich(&cx::unwrap_text(&t.rationale), false));
                for a in &t.auditor_evidence {
                    let _ = writeln!(s, "- {}", rich(a, false));
                }
                s.push('\n');
            }
        }
    }
    s.push_str("### Evidence request list\n\nWhat the auditor samples for each applicable control during the observation window. Collect it from the day a control starts operating.\n\n| Control | Status | Evidence the auditor will request |\n|---|---|---|\n");
    for c in report
        .controls
        .iter()
        .filter(|c| c.status != Status::NotApplicable)
    {
        let asks = meta
            .text(&c.id)
            .map(|t| t.auditor_evidence.clone())
            .unwrap_or_default();
        let items = if asks.is_empty() {
            "see the control's documentation".to_string()
        } else {
            asks.iter().map(|a| rich(a, true)).collect::<Vec<_>>().join("; ")
        };
        let _ = writeln!(
            s,
            "| {} {} | {} | {items} |",
            code(&c.id, true),
            cell(&c.title),
            c.status.label()
        );
    }
    s.push('\n');
}

fn waivers_section(s: &mut String, report: &Report) {
    s.push_str("## Risk acceptances\n\n");
    if report.waivers.is_empty() {
        s.push_str("No risk has been formally accepted: every gap above is expected to be fixed before the observation window.\n\n");
        return;
    }
    s.push_str("Gaps management has accepted instead of fixing (waivers in the configuration or inline). The auditor will read each as a risk acceptance: it needs an owner, a reason, an expiry and a compensating control.\n\n| Control | Applies to | Reason | Owner | Expires | Status | Findings |\n|---|---|---|---|---|---|--:|\n");
    for w in &report.waivers {
        let scope = w
            .location
            .clone()
            .or_else(|| w.path.clone())
            .or_else(|| w.fingerprint.clone())
            .unwrap_or_else(|| "all paths".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code(&w.control, true),
            code(&scope, true),
            cell(&w.reason),
            cell(w.owner.as_deref().unwrap_or("—")),
            cell(w.expires.as_deref().unwrap_or("never")),
            cell(&w.status),
            w.matched
        );
    }
    s.push('\n');
}

fn task_item(t: &roadmap::Task, indent: &str) -> String {
    let mut line = format!("{indent}- ");
    if let Some(sv) = t.severity {
        let _ = write!(line, "**{sv}** ");
    }
    if let Some(id) = &t.control_id {
        let _ = write!(line, "{} ", code(id, false));
    }
    if t.kind == TaskKind::Milestone {
        line.push_str("**Milestone:** ");
    }
    let _ = write!(line, "{} — due {}", rich(&t.title, false), t.due);
    if t.critical_path {
        line.push_str(" · *critical path*");
    }
    if !t.after.is_empty() {
        let _ = write!(line, " · after {}", text(&t.after.join(", ")));
    }
    for d in &t.details {
        let _ = write!(line, "\n{indent}  - {}", text(d));
    }
    line
}

fn roadmap_section(s: &mut String, road: &Roadmap) {
    let _ = writeln!(
        s,
        "## Readiness roadmap\n\n**{}.**\n",
        text(&roadmap::headline(road))
    );
    for c in &road.constraints {
        let _ = writeln!(s, "- {}", text(&c.explanation));
    }
    s.push('\n');
    if let Some(q) = &road.requested {
        let _ = writeln!(
            s,
            "**Planned start {}: {}.**\n",
            q.date,
            if q.feasible { "feasible" } else { "not feasible" }
        );
        for r in &q.reasons {
            let _ = writeln!(s, "- {}", text(r));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "Planned window: {} to {} (6 months) or {} (12 months).\n\n| Phase | From | To |\n|---|---|---|",
        road.window.start, road.window.end_6_months, road.window.end_12_months
    );
    for p in &road.phases {
        let _ = writeln!(s, "| {} | {} | {} |", cell(p.kind.name()), p.start, p.end);
    }
    s.push_str("\n### Month by month\n\n");
    for b in roadmap::month_blocks(road) {
        let _ = writeln!(
            s,
            "#### {} ({} – {}) · {}\n",
            text(&b.title()),
            b.first.start,
            b.last.end,
            text(&b.phases())
        );
        if b.phase_start {
            for g in b.first.phases.iter().flat_map(|p| p.goals()) {
                let _ = writeln!(s, "*{}*  ", text(g));
            }
            s.push('\n');
        }
        if b.first.tasks.is_empty() {
            s.push_str("No scheduled work: operate the controls and keep their records.\n\n");
        } else {
            for t in &b.first.tasks {
                let _ = writeln!(s, "{}", task_item(t, ""));
            }
            s.push('\n');
        }
    }
    let _ = writeln!(
        s,
        "#### Type II observation window (from {}; 6 months: to {})\n",
        road.window.start, road.window.end_6_months
    );
    for g in PhaseKind::Observation.goals() {
        let _ = writeln!(s, "*{}*  ", text(g));
    }
    s.push('\n');
    for t in &road.during_window {
        let _ = writeln!(s, "{}", task_item(t, ""));
    }
    if !road.during_window.is_empty() {
        s.push('\n');
    }
    if !road.at_window_end.is_empty() {
        s.push_str("By the end of the window, on record:\n\n");
        for a in &road.at_window_end {
            let _ = writeln!(s, "- {}", text(a));
        }
        s.push('\n');
    }
    if !road.accepted.is_empty() {
        s.push_str("### Accepted risks (not scheduled)\n\n");
        for a in &road.accepted {
            let _ = writeln!(s, "- {}", text(a));
        }
        s.push('\n');
    }
}

fn appendix(s: &mut String, report: &Report) {
    let multi = multi_target(report);
    s.push_str("## Appendix A · All evidence\n\nEvery pointer the assessment relied on, per control: what passed and what failed. Paths are relative to their target; lines are 1-based.\n\n");
    if !report.documents.is_empty() {
        s.push_str("### Evidence documents\n\nThe file taken for each role (recognised by its content, not only its name).\n\n| Role | File | Contents |\n|---|---|---|\n");
        for d in &report.documents {
            let loc = if multi {
                format!("{}/{}", d.target, d.path)
            } else {
                d.path.clone()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                cell(&d.title),
                code(&loc, true),
                cell(&d.summary)
            );
        }
        s.push('\n');
    }
    for c in &report.controls {
        let ev = all_evidence(report, c);
        let _ = writeln!(
            s,
            "#### {} — {} ({})\n",
            text(&c.id),
            text(&c.title),
            c.status.label()
        );
        if ev.is_empty() {
            s.push_str("No file evidence.\n\n");
        } else {
            evidence_items(s, &ev, multi, "", usize::MAX);
            s.push('\n');
        }
    }
    if !report.notes.is_empty() {
        s.push_str("### Appendix B · Files skipped, not parsed or not used as evidence\n\n| File | Note |\n|---|---|\n");
        for n in &report.notes {
            let loc = if multi {
                format!("{}/{}", n.target, n.path)
            } else {
                n.path.clone()
            };
            let _ = writeln!(s, "| {} | {} |", code(&loc, true), cell(&n.message));
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x`", false), "`` `x` ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
    }

    #[test]
    fn text_escapes_markup() {
        assert_eq!(text("<b>*x*</b> [l](u)"), "\\<b\\>\\*x\\*\\</b\\> \\[l\\](u)");
    }
}
