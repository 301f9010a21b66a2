//! `--format html`: the consultant's gap report as one self-contained HTML file — inline CSS
//! (`templates/report.css`), inline SVG charts, no script, font, image or link outside the
//! file, and a Content-Security-Policy that blocks any request a future edit might add. It
//! renders offline and prints to PDF from a browser (A4, a page per section).
//!
//! Everything taken from the scanned repositories (snippets, paths, labels, messages) is
//! untrusted and escaped by [`esc`].

use std::fmt::Write as _;
use std::io::Write;

use super::charts::{self, Bar, Span};
use super::consultant::{
    self as cx, all_evidence, category_name, findings_of, location, multi_target, red_flag_heading,
    status_word, ReportMeta,
};
use super::roadmap::{self, PhaseKind, Roadmap, TaskKind};
use super::{ControlOut, FindingOut, PointerOut, Report, Status};

const CSS: &str = include_str!("../../templates/report.css");

/// The policy every report carries: nothing may be fetched, only inline styles and
/// `data:` images are allowed.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in HTML text, and
            // bidirectional overrides could reorder what a reader sees.
            c if (c.is_control() && c != '\n' && c != '\t') || is_bidi(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A control text (trusted pack text, still escaped) with its `code` spans.
fn rich(s: &str) -> String {
    cx::code_segments(s)
        .into_iter()
        .map(|(code, part)| {
            if code {
                format!("<code>{}</code>", esc(part))
            } else {
                esc(part)
            }
        })
        .collect()
}

/// Bidirectional embedding, override and isolate controls ("Trojan Source").
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn status_pill(s: Status) -> String {
    let class = match s {
        Status::Pass => "pass",
        Status::Gap => "gap",
        Status::Manual => "manual",
        Status::NotApplicable => "not_applicable",
        Status::Blocked => "blocked",
    };
    format!(r#"<span class="pill st-{class}">{}</span>"#, s.label())
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Gap => "gap",
        Status::Manual => "manual",
        Status::NotApplicable => "not_applicable",
        Status::Blocked => "blocked",
    }
}

fn sev(s: crate::control::Severity) -> String {
    format!(r#"<span class="sev sev-{}">{}</span>"#, s.as_str(), s.as_str())
}

fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn rf_anchor(rf: Option<u8>) -> String {
    rf.map_or_else(|| "rf-other".to_string(), |n| format!("rf{n}"))
}

fn pointer_li(s: &mut String, p: &PointerOut, multi: bool) {
    let _ = write!(s, r#"<li><code class="loc">{}</code>"#, esc(&location(p, multi)));
    if let Some(snippet) = &p.snippet {
        let _ = write!(s, r#" <code class="snip">{}</code>"#, esc(snippet));
    }
    if let Some(label) = &p.label {
        let _ = write!(s, r#" <span class="label">{}</span>"#, esc(label));
    }
    s.push_str("</li>");
}

fn evidence_list(s: &mut String, ps: &[&PointerOut], multi: bool, limit: usize) {
    if ps.is_empty() {
        return;
    }
    s.push_str(r#"<ul class="evidence">"#);
    for p in ps.iter().take(limit) {
        pointer_li(s, p, multi);
    }
    if ps.len() > limit {
        let _ = write!(
            s,
            r#"<li class="muted">… and {} more (appendix A lists all)</li>"#,
            ps.len() - limit
        );
    }
    s.push_str("</ul>");
}

/// Renders the report.
pub fn render(report: &Report, meta: &ReportMeta, out: &mut dyn Write) -> std::io::Result<()> {
    let as_of = crate::date::parse_iso(&report.as_of).unwrap_or_default();
    let road = roadmap::plan_with(report, as_of, meta.window_start, &meta.controls);
    let mut s = String::with_capacity(64 * 1024);
    let client = meta.client.as_deref().unwrap_or("");
    let title = if client.is_empty() {
        format!("SOC 2 Type II readiness assessment — {}", report.as_of)
    } else {
        format!("SOC 2 Type II readiness assessment — {client} — {}", report.as_of)
    };
    let _ = write!(
        s,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"redflag {}\">\n",
            "<meta name=\"color-scheme\" content=\"light\">\n",
            "<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n"
        ),
        CSP,
        esc(report.tool.version),
        esc(&title),
        CSS
    );
    cover(&mut s, report, meta);
    toc(&mut s, report);
    s.push_str("<main>\n");
    summary(&mut s, report, meta, &road);
    for rf in cx::red_flags(report) {
        red_flag(&mut s, report, meta, rf);
    }
    tsc_section(&mut s, report, meta);
    manual_section(&mut s, report, meta);
    waivers_section(&mut s, report);
    roadmap_section(&mut s, &road);
    appendix(&mut s, report);
    s.push_str("</main>\n");
    let _ = write!(
        s,
        "<footer>Prepared with redflag {} on the evidence in the targets as of {}. Findings point at files and lines of the scanned revision; secrets are redacted. This report is a readiness assessment, not an audit opinion.</footer>\n</body>\n</html>\n",
        esc(report.tool.version),
        esc(&report.as_of)
    );
    out.write_all(s.as_bytes())
}

fn cover(s: &mut String, report: &Report, meta: &ReportMeta) {
    s.push_str(
        "<header class=\"cover\">\n<div class=\"kicker\">SOC 2 Type II readiness · gap assessment</div>\n",
    );
    s.push_str("<h1>SOC 2 Type II readiness assessment</h1>\n");
    if let Some(c) = &meta.client {
        let _ = writeln!(
            s,
            "<p class=\"client\">Prepared for <strong>{}</strong></p>",
            esc(c)
        );
    }
    s.push_str("<dl>\n");
    if let Some(c) = &meta.client {
        let _ = writeln!(s, "<dt>Client</dt><dd>{}</dd>", esc(c));
    }
    if let Some(a) = &meta.assessor {
        let _ = writeln!(s, "<dt>Assessor</dt><dd>{}</dd>", esc(a));
    }
    let _ = writeln!(
        s,
        "<dt>Assessment date</dt><dd>{} <span class=\"muted small\">(every freshness and cadence rule is judged on this date)</span></dd>",
        esc(&report.as_of)
    );
    let scope: Vec<&str> = meta.scope_categories().into_iter().map(category_name).collect();
    let _ = writeln!(s, "<dt>Criteria in scope</dt><dd>{}</dd>", esc(&scope.join(", ")));
    let _ = writeln!(
        s,
        "<dt>Readiness score</dt><dd><strong>{}</strong> · {}: {} pass, {} gap, {} manual, {} not applicable</dd>",
        report.summary.score_text(),
        crate::text::plural(report.summary.controls, "control"),
        report.summary.pass,
        report.summary.gap,
        report.summary.manual,
        report.summary.not_applicable
    );
    let _ = writeln!(
        s,
        "<dt>Prepared with</dt><dd>redflag {}</dd>",
        esc(report.tool.version)
    );
    s.push_str("</dl>\n<h4>Targets assessed</h4>\n<table><thead><tr><th>Target</th><th>Role</th><th class=\"num\">Files</th><th class=\"num\">Size</th><th>Commit</th></tr></thead><tbody>\n");
    for t in &report.targets {
        let role = if t.role == "evidence" {
            "evidence documents"
        } else {
            "code and configuration"
        };
        let commit = meta.commit(&t.path).map_or_else(
            || "<span class=\"muted\">not a git repository</span>".to_string(),
            |c| format!("<code>{}</code>", esc(c)),
        );
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{role}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{commit}</td></tr>",
            esc(&t.path),
            t.files_scanned,
            esc(&cx::human_size(t.bytes_scanned))
        );
    }
    s.push_str("</tbody></table>\n");
    let _ = writeln!(
        s,
        "<p class=\"confidential\">Confidential{}. This report names files and lines of the assessed systems; share it only with the people preparing the audit.</p>",
        meta.client
            .as_deref()
            .map(|c| format!(": prepared for {}", esc(c.trim_end_matches('.'))))
            .unwrap_or_default()
    );
    s.push_str("</header>\n");
}

fn toc(s: &mut String, report: &Report) {
    s.push_str("<nav class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n<li><a href=\"#summary\">Executive summary</a></li>\n");
    for rf in cx::red_flags(report) {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            rf_anchor(rf),
            esc(&red_flag_heading(rf))
        );
    }
    s.push_str(concat!(
        "<li><a href=\"#tsc\">Trust Services Criteria coverage</a></li>\n",
        "<li><a href=\"#manual\">Manual controls and the evidence the auditor will request</a></li>\n",
        "<li><a href=\"#waivers\">Risk acceptances</a></li>\n",
        "<li><a href=\"#roadmap\">Readiness roadmap</a></li>\n",
        "<li><a href=\"#appendix\">Appendix A · All evidence</a></li>\n",
        "</ol>\n</nav>\n"
    ));
}

fn summary(s: &mut String, report: &Report, meta: &ReportMeta, road: &Roadmap) {
    let sm = &report.summary;
    s.push_str(
        "<section id=\"summary\" class=\"page\">\n<h2>Executive summary</h2>\n<div class=\"score\">\n",
    );
    if let Some(score) = sm.score {
        s.push_str(&charts::score_ring(score, charts::score_color(score)));
    }
    let open: usize = cx::open_by_severity(report).iter().map(|(_, o, _)| o).sum();
    let _ = write!(
        s,
        "<div class=\"facts\"><p><strong>Readiness score {}.</strong> {} The score is the severity-weighted share of the controls that examined something that pass.</p><p>{} finding{} ({} open, {} accepted as risks).</p></div>\n</div>\n",
        sm.score_text(),
        esc(&cx::controls_sentence(sm)),
        sm.findings,
        if sm.findings == 1 { "" } else { "s" },
        open,
        sm.findings - open
    );
    s.push_str("<div class=\"charts\">\n<div>\n<h4>Findings by severity</h4>\n");
    let counts = cx::open_by_severity(report);
    let max = counts.iter().map(|(_, o, w)| o + w).max().unwrap_or(0).max(1) as f64;
    let bars: Vec<Bar<'_>> = counts
        .iter()
        .map(|(sv, o, w)| Bar {
            label: cx::severity_word(*sv),
            value: Some((o + w) as f64),
            value_text: if *w > 0 {
                format!("{o} + {w} accepted")
            } else {
                o.to_string()
            },
            color: charts::severity_color(*sv),
        })
        .collect();
    s.push_str(&charts::hbars("Findings by severity", &bars, max));
    s.push_str("</div>\n<div>\n<h4>Readiness score per red flag</h4>\n");
    let scores = cx::scores_by_red_flag(report);
    let labels: Vec<String> = scores
        .iter()
        .map(|(rf, _)| {
            rf.map_or_else(
                || "Other controls".to_string(),
                |n| format!("RF{n} · {}", short_rf(n)),
            )
        })
        .collect();
    let bars: Vec<Bar<'_>> = scores
        .iter()
        .zip(&labels)
        .map(|((_, v), label)| Bar {
            label,
            value: *v,
            value_text: v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}")),
            color: v.map_or("#7f8c8d", charts::score_color),
        })
        .collect();
    s.push_str(&charts::hbars(
        "Readiness score per red flag (0-100)",
        &bars,
        100.0,
    ));
    s.push_str("</div>\n</div>\n");

    let risks = cx::top_risks(report, meta, 5);
    s.push_str("<h3>Top risks</h3>\n");
    if risks.is_empty() {
        s.push_str("<p>No open gap: every applicable, checkable control passes.</p>\n");
    } else {
        s.push_str("<ol class=\"risks\">\n");
        for r in &risks {
            let _ = write!(
                s,
                "<li><div class=\"headline\">{}</div><div class=\"small\">{} · <a href=\"#{}\"><code>{}</code></a></div>",
                esc(&r.headline),
                sev(r.control.severity),
                anchor(&r.control.id),
                esc(&r.control.id)
            );
            let mut found = r.found.iter().map(|f| esc(f)).collect::<Vec<_>>().join("; ");
            if r.more > 0 {
                let _ = write!(found, "; and {} more", r.more);
            }
            let _ = write!(s, "<div class=\"small\">Found: {found}");
            if let Some(p) = r.pointer {
                let _ = write!(s, " (<code>{}</code>)", esc(&location(p, multi_target(report))));
            }
            let _ = writeln!(s, ".</div><div class=\"small\">Fix: {}</div></li>", rich(&r.fix));
        }
        s.push_str("</ol>\n");
    }
    let bad = road.requested.as_ref().is_some_and(|r| !r.feasible);
    let _ = write!(
        s,
        "<div class=\"callout{}\"><strong>{}.</strong> {}",
        if bad { " bad" } else { "" },
        esc(&roadmap::headline(road)),
        esc(&sentence(
            road.constraints.first().map_or("", |c| c.explanation.as_str())
        ))
    );
    if let Some(q) = &road.requested {
        let _ = write!(
            s,
            "<br>Planned start {}: <strong>{}</strong> — {}",
            q.date,
            if q.feasible { "feasible" } else { "not feasible" },
            esc(&q.reasons.join("; "))
        );
    }
    s.push_str(" See the <a href=\"#roadmap\">roadmap</a>.</div>\n</section>\n");
}

/// Ends a clause with a period.
fn sentence(s: &str) -> String {
    if s.is_empty() || s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

fn short_rf(n: u8) -> &'static str {
    match n {
        1 => "Access",
        2 => "Drift monitoring",
        3 => "AI vendors",
        4 => "AI incident response",
        5 => "Training data",
        _ => "",
    }
}

fn red_flag(s: &mut String, report: &Report, meta: &ReportMeta, rf: Option<u8>) {
    let multi = multi_target(report);
    let controls: Vec<&ControlOut> = report.controls.iter().filter(|c| c.red_flag == rf).collect();
    let _ = writeln!(
        s,
        "<section id=\"{}\" class=\"page\">\n<h2>{}</h2>",
        rf_anchor(rf),
        esc(&red_flag_heading(rf))
    );
    s.push_str("<table><thead><tr><th>Status</th><th>Severity</th><th>Control</th><th>Title</th><th class=\"num\">Findings</th></tr></thead><tbody>\n");
    for c in &controls {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td class=\"num\">{}</td></tr>",
            status_pill(c.status),
            sev(c.severity),
            anchor(&c.id),
            esc(&c.id),
            esc(&c.title),
            c.findings
        );
    }
    s.push_str("</tbody></table>\n");
    for c in controls {
        let _ = write!(
            s,
            "<article class=\"control {}\" id=\"{}\">\n<h3>{} <code>{}</code> {}</h3>\n<div class=\"meta\">{} · severity {} · TSC {}</div>\n",
            status_class(c.status),
            anchor(&c.id),
            status_pill(c.status),
            esc(&c.id),
            esc(&c.title),
            esc(status_word(c.status)),
            sev(c.severity),
            esc(&c.tsc.join(" "))
        );
        match c.status {
            Status::Gap => {
                s.push_str("<ul class=\"findings\">\n");
                let mut previous: Option<&[PointerOut]> = None;
                for f in findings_of(report, &c.id) {
                    finding_li(s, f, multi, &mut previous);
                }
                s.push_str("</ul>\n");
                let _ = writeln!(
                    s,
                    "<div class=\"remediation\"><strong>Remediation.</strong> {}</div>",
                    rich(&cx::unwrap_text(&c.remediation))
                );
                if let Some(t) = meta.text(&c.id) {
                    let _ = writeln!(
                        s,
                        "<p class=\"why\"><strong>Why the auditor cares.</strong> {}</p>",
                        rich(&cx::unwrap_text(&t.rationale))
                    );
                }
            }
            Status::Pass => {
                let ev: Vec<&PointerOut> = c.evidence.iter().collect();
                match &c.examined {
                    Some(what) => {
                        let _ = writeln!(s, "<p>Passes: examined {}.</p>", esc(what));
                    }
                    None => s.push_str("<p>Passes on this evidence:</p>\n"),
                }
                evidence_list(s, &ev, multi, 6);
            }
            Status::Manual => {
                s.push_str("<p>Cannot be verified from files: the auditor will ask for the evidence listed under <a href=\"#manual\">manual controls</a>.</p>\n");
                let ev: Vec<&PointerOut> = c.evidence.iter().collect();
                evidence_list(s, &ev, multi, 6);
            }
            Status::NotApplicable | Status::Blocked => {
                let why = c.reason.as_deref().unwrap_or("not applicable");
                let _ = writeln!(s, "<p>{}: {}.</p>", esc(status_word(c.status)), esc(why));
            }
        }
        s.push_str("</article>\n");
    }
    s.push_str("</section>\n");
}

fn finding_li<'a>(s: &mut String, f: &'a FindingOut, multi: bool, previous: &mut Option<&'a [PointerOut]>) {
    let _ = write!(s, "<li>{}", esc(&f.message));
    if let Some(w) = &f.waiver {
        let _ = write!(
            s,
            " <span class=\"tag waived\">accepted risk: {}</span>",
            esc(&w.reason)
        );
    }
    match f.baseline {
        Some(super::BaselineState::Known) => s.push_str(" <span class=\"tag\">known</span>"),
        Some(super::BaselineState::New) => s.push_str(" <span class=\"tag crit\">new</span>"),
        None => {}
    }
    if !f.evidence.is_empty() && *previous == Some(f.evidence.as_slice()) {
        s.push_str("<div class=\"muted small\">(evidence as above)</div>");
    } else {
        let ev: Vec<&PointerOut> = f.evidence.iter().collect();
        evidence_list(s, &ev, multi, 8);
    }
    *previous = Some(f.evidence.as_slice());
    s.push_str("</li>\n");
}

fn tsc_section(s: &mut String, report: &Report, meta: &ReportMeta) {
    let (rows, uncovered) = cx::tsc_coverage(report, meta);
    let scope: Vec<&str> = meta.scope_categories().into_iter().map(category_name).collect();
    let _ = writeln!(
        s,
        "<section id=\"tsc\" class=\"page\">\n<h2>Trust Services Criteria coverage</h2>\n<p>In scope: {}. Each criterion below is touched by at least one control of this assessment; its status is the worst of its controls'. A pass means the automated evidence holds, not that the criterion is fully met: the auditor tests each criterion more broadly.</p>",
        esc(&scope.join(", "))
    );
    if !report.out_of_scope.is_empty() {
        s.push_str(
            "<p>Controls out of scope (not evaluated; in neither the score nor the gate):</p>\n<ul>\n",
        );
        for o in &report.out_of_scope {
            let _ = writeln!(
                s,
                "<li><code>{}</code> {}: {}</li>",
                esc(&o.id),
                esc(&o.title),
                esc(&o.reason)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("<table><thead><tr><th>Criterion</th><th>Status</th><th>What it requires (paraphrased)</th><th>Controls</th></tr></thead><tbody>\n");
    for r in &rows {
        let controls: Vec<String> = r
            .controls
            .iter()
            .map(|(id, st)| {
                format!(
                    "<a href=\"#{}\"><code>{}</code></a> {}",
                    anchor(id),
                    esc(id),
                    esc(st.label())
                )
            })
            .collect();
        let scope_note = if r.in_scope || r.category.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"tag\">{} not in scope</span>",
                esc(category_name(&r.category))
            )
        };
        let _ = writeln!(
            s,
            "<tr><td><strong>{}</strong></td><td>{}</td><td>{}{scope_note}</td><td class=\"small\">{}</td></tr>",
            esc(&r.id),
            status_pill(r.status),
            esc(&r.title),
            controls.join("<br>")
        );
    }
    s.push_str("</tbody></table>\n");
    let _ = writeln!(
        s,
        "<h3>Criteria in scope that no control covers ({})</h3>\n<p>These criteria are in the engagement but outside what redflag can check from files (governance, HR, physical security, risk assessment…). Each needs manual evidence: policies, tickets, screenshots, signed records.</p>",
        uncovered.len()
    );
    if uncovered.is_empty() {
        s.push_str("<p>None.</p>\n");
    } else {
        s.push_str("<table><thead><tr><th>Criterion</th><th>Category</th><th>What it requires (paraphrased)</th><th>Status</th></tr></thead><tbody>\n");
        for c in uncovered {
            let _ = writeln!(
                s,
                "<tr><td><strong>{}</strong></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.id),
                esc(category_name(&c.category)),
                esc(&c.title),
                status_pill(Status::Manual)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str("</section>\n");
}

fn manual_section(s: &mut String, report: &Report, meta: &ReportMeta) {
    s.push_str("<section id=\"manual\" class=\"page\">\n<h2>Manual controls and the evidence the auditor will request</h2>\n");
    let manual: Vec<&ControlOut> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Manual)
        .collect();
    if manual.is_empty() {
        s.push_str("<p>Every control of this assessment is checked from files; none is manual. The criteria no control covers (previous section) still need manual evidence.</p>\n");
    } else {
        s.push_str("<h3>Manual controls</h3>\n");
        for c in manual {
            let _ = writeln!(s, "<h4><code>{}</code> {}</h4>", esc(&c.id), esc(&c.title));
            if let Some(t) = meta.text(&c.id) {
                let _ = writeln!(s, "<p>{}</p>", rich(&cx::unwrap_text(&t.rationale)));
                evidence_requests(s, &t.auditor_evidence);
            }
        }
    }
    s.push_str("<h3>Evidence request list</h3>\n<p>What the auditor samples for each applicable control during the observation window. Collect it from the day a control starts operating.</p>\n<table><thead><tr><th>Control</th><th>Status</th><th>Evidence the auditor will request</th></tr></thead><tbody>\n");
    for c in report
        .controls
        .iter()
        .filter(|c| c.status != Status::NotApplicable)
    {
        let asks = meta
            .text(&c.id)
            .map(|t| t.auditor_evidence.clone())
            .unwrap_or_default();
        let items: String = if asks.is_empty() {
            "<span class=\"muted\">see the control's documentation</span>".to_string()
        } else {
            format!(
                "<ul>{}</ul>",
                asks.iter()
                    .map(|a| format!("<li>{}</li>", rich(a)))
                    .collect::<String>()
            )
        };
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code><br><span class=\"small\">{}</span></td><td>{}</td><td class=\"small\">{items}</td></tr>",
            esc(&c.id),
            esc(&c.title),
            status_pill(c.status)
        );
    }
    s.push_str("</tbody></table>\n</section>\n");
}

fn evidence_requests(s: &mut String, asks: &[String]) {
    if asks.is_empty() {
        return;
    }
    s.push_str("<ul>");
    for a in asks {
        let _ = write!(s, "<li>{}</li>", rich(a));
    }
    s.push_str("</ul>\n");
}

fn waivers_section(s: &mut String, report: &Report) {
    s.push_str("<section id=\"waivers\" class=\"page\">\n<h2>Risk acceptances</h2>\n");
    if report.waivers.is_empty() {
        s.push_str("<p>No risk has been formally accepted: every gap above is expected to be fixed before the observation window.</p>\n</section>\n");
        return;
    }
    s.push_str("<p>Gaps management has accepted instead of fixing (waivers in the configuration or inline). The auditor will read each as a risk acceptance: it needs an owner, a reason, an expiry and a compensating control.</p>\n<table><thead><tr><th>Control</th><th>Applies to</th><th>Reason</th><th>Owner</th><th>Expires</th><th>Status</th><th class=\"num\">Findings</th></tr></thead><tbody>\n");
    for w in &report.waivers {
        let scope = w
            .location
            .clone()
            .or_else(|| w.path.clone())
            .or_else(|| w.fingerprint.clone())
            .unwrap_or_else(|| "all paths".into());
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&w.control),
            esc(&scope),
            esc(&w.reason),
            esc(w.owner.as_deref().unwrap_or("—")),
            esc(w.expires.as_deref().unwrap_or("never")),
            esc(&w.status),
            w.matched
        );
    }
    s.push_str("</tbody></table>\n</section>\n");
}

fn roadmap_section(s: &mut String, road: &Roadmap) {
    s.push_str("<section id=\"roadmap\" class=\"page\">\n<h2>Readiness roadmap</h2>\n");
    let bad = road.requested.as_ref().is_some_and(|r| !r.feasible);
    let _ = write!(
        s,
        "<div class=\"callout{}\"><strong>{}.</strong><ul>",
        if bad { " bad" } else { " good" },
        esc(&roadmap::headline(road))
    );
    for c in &road.constraints {
        let _ = write!(s, "<li>{}</li>", esc(&c.explanation));
    }
    s.push_str("</ul>");
    if let Some(q) = &road.requested {
        let _ = write!(
            s,
            "<p><strong>Planned start {}: {}.</strong></p><ul>",
            q.date,
            if q.feasible { "feasible" } else { "not feasible" }
        );
        for r in &q.reasons {
            let _ = write!(s, "<li>{}</li>", esc(r));
        }
        s.push_str("</ul>");
    }
    let _ = writeln!(
        s,
        "<p>Planned window: {} to {} (6 months) or {} (12 months).</p></div>",
        road.window.start, road.window.end_6_months, road.window.end_12_months
    );
    phases_timeline(s, road);
    s.push_str("<h3>Month by month</h3>\n");
    for b in roadmap::month_blocks(road) {
        let _ = write!(
            s,
            "<div class=\"month\"><h4>{} <span class=\"muted small\">{} – {} · {}</span></h4>",
            esc(&b.title()),
            b.first.start,
            b.last.end,
            esc(&b.phases())
        );
        if b.phase_start {
            s.push_str("<ul class=\"goals\">");
            for g in b.first.phases.iter().flat_map(|p| p.goals()) {
                let _ = write!(s, "<li>{}</li>", esc(g));
            }
            s.push_str("</ul>");
        }
        if b.first.tasks.is_empty() {
            s.push_str("<p class=\"muted small\">No scheduled work: operate the controls and keep their records.</p>");
        } else {
            s.push_str("<ul>");
            for t in &b.first.tasks {
                task_li(s, t);
            }
            s.push_str("</ul>");
        }
        s.push_str("</div>\n");
    }
    let _ = write!(
        s,
        "<div class=\"month\"><h4>Type II observation window <span class=\"muted small\">from {} (6 months: to {})</span></h4><ul class=\"goals\">",
        road.window.start, road.window.end_6_months
    );
    for g in PhaseKind::Observation.goals() {
        let _ = write!(s, "<li>{}</li>", esc(g));
    }
    s.push_str("</ul>");
    if !road.during_window.is_empty() {
        s.push_str("<ul>");
        for t in &road.during_window {
            task_li(s, t);
        }
        s.push_str("</ul>");
    }
    if !road.at_window_end.is_empty() {
        s.push_str("<p class=\"small\">By the end of the window, on record:</p><ul>");
        for a in &road.at_window_end {
            let _ = write!(s, "<li>{}</li>", esc(a));
        }
        s.push_str("</ul>");
    }
    s.push_str("</div>\n");
    if !road.accepted.is_empty() {
        s.push_str("<h3>Accepted risks (not scheduled)</h3><ul>");
        for a in &road.accepted {
            let _ = write!(s, "<li>{}</li>", esc(a));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
}

/// The readiness phases as a timeline chart and a table.
fn phases_timeline(s: &mut String, road: &Roadmap) {
    let color = |k: PhaseKind| match k {
        PhaseKind::Scoping => "#5d6d7e",
        PhaseKind::Implementation => "#2e86c1",
        PhaseKind::GapAssessment => "#8e44ad",
        PhaseKind::Remediation => "#d68910",
        PhaseKind::BuildEvidence => "#a9b4c2",
        PhaseKind::Observation => "#1e8449",
    };
    let spans: Vec<Span<'_>> = road
        .phases
        .iter()
        .map(|p| Span {
            label: p.kind.short_name(),
            start: p.start,
            end: p.end,
            color: color(p.kind),
        })
        .collect();
    let to = road.phases.last().map_or(road.as_of, |p| p.end);
    s.push_str(&charts::timeline(
        "Readiness timeline",
        &spans,
        road.as_of,
        to,
        Some((road.window.start, &format!("window starts {}", road.window.start))),
    ));
    s.push_str("<table><thead><tr><th>Phase</th><th>From</th><th>To</th></tr></thead><tbody>\n");
    for p in &road.phases {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p.kind.name()),
            p.start,
            p.end
        );
    }
    s.push_str("</tbody></table>\n");
}

fn task_li(s: &mut String, t: &roadmap::Task) {
    s.push_str("<li>");
    if let Some(sv) = t.severity {
        s.push_str(&sev(sv));
        s.push(' ');
    }
    if let Some(id) = &t.control_id {
        let _ = write!(s, "<a href=\"#{}\"><code>{}</code></a> ", anchor(id), esc(id));
    }
    if t.kind == TaskKind::Milestone {
        s.push_str("<strong>Milestone:</strong> ");
    }
    let _ = write!(
        s,
        "{} <span class=\"muted small\">due {}</span>",
        rich(&t.title),
        t.due
    );
    if t.critical_path {
        s.push_str(" <span class=\"tag crit\">critical path</span>");
    }
    if !t.after.is_empty() {
        let _ = write!(
            s,
            " <span class=\"tag\">after {}</span>",
            esc(&t.after.join(", "))
        );
    }
    if !t.details.is_empty() {
        s.push_str("<ul class=\"small\">");
        for d in &t.details {
            let _ = write!(s, "<li>{}</li>", esc(d));
        }
        s.push_str("</ul>");
    }
    s.push_str("</li>");
}

fn appendix(s: &mut String, report: &Report) {
    let multi = multi_target(report);
    s.push_str("<section id=\"appendix\" class=\"page\">\n<h2>Appendix A · All evidence</h2>\n<p>Every pointer the assessment relied on, per control: what passed and what failed. Paths are relative to their target; lines are 1-based.</p>\n");
    if !report.documents.is_empty() {
        s.push_str("<h3>Evidence documents</h3>\n<p class=\"muted small\">The file taken for each role (recognised by its content, not only its name).</p>\n<table><thead><tr><th>Role</th><th>File</th><th>Contents</th></tr></thead><tbody>\n");
        for d in &report.documents {
            let loc = if multi {
                format!("{}/{}", d.target, d.path)
            } else {
                d.path.clone()
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&d.title),
                esc(&loc),
                esc(&d.summary)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    for c in &report.controls {
        let ev = all_evidence(report, c);
        let _ = write!(
            s,
            "<h4><code>{}</code> {} {}</h4>",
            esc(&c.id),
            esc(&c.title),
            status_pill(c.status)
        );
        if ev.is_empty() {
            s.push_str("<p class=\"muted small\">No file evidence.</p>\n");
        } else {
            evidence_list(s, &ev, multi, usize::MAX);
        }
    }
    if !report.notes.is_empty() {
        s.push_str("<h3>Appendix B · Files skipped, not parsed or not used as evidence</h3>\n<table><thead><tr><th>File</th><th>Note</th></tr></thead><tbody>\n");
        for n in &report.notes {
            let loc = if multi {
                format!("{}/{}", n.target, n.path)
            } else {
                n.path.clone()
            };
            let _ = writeln!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                esc(&loc),
                esc(&n.message)
            );
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str("</section>\n");
}
