//! `--format html`: the consultant's gap report as one self-contained HTML file — inline CSS
//! (`templates/report.css`), inline SVG charts, no script, font, image or link outside the
//! file, and a Content-Security-Policy that blocks any request a future edit might add. It
//! renders offline and prints to PDF from a browser (A4, a page per section).
//!
//! The document is [`super::view`]'s, laid out by `templates/report.html.j2`; everything
//! taken from the scanned repositories (snippets, paths, labels, messages) is untrusted and
//! escaped by the template environment ([`super::templates`]). The charts are drawn here
//! from numbers ([`super::charts`] escapes their labels).

use std::io::Write;

use minijinja::context;
use minijinja::value::{Serde, Value};

use super::charts::{self, Bar, Span};
use super::consultant::ReportMeta;
use super::roadmap::{PhaseKind, Roadmap};
use super::view::{self, Document};
use super::Report;

const CSS: &str = include_str!("../../templates/report.css");

/// The policy every report carries: nothing may be fetched, only inline styles and
/// `data:` images are allowed.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Renders the report.
pub fn render(report: &Report, meta: &ReportMeta, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = view::build(report, meta);
    let ctx = context! {
        csp => Value::from_safe_string(CSP.to_string()),
        css => Value::from_safe_string(CSS.to_string()),
        charts => context! {
            score_ring => doc.summary.score.map(|s| charts::score_ring(s, charts::score_color(s))).unwrap_or_default(),
            severity => severity_chart(&doc),
            red_flags => red_flag_chart(&doc),
            timeline => timeline(&doc.plan),
        },
        ..Serde(&doc)
    };
    let html = super::templates::render("report.html.j2", ctx)?;
    out.write_all(html.as_bytes())
}

fn severity_chart(doc: &Document) -> String {
    let bars: Vec<Bar<'_>> = doc
        .summary
        .by_severity
        .iter()
        .map(|r| Bar {
            label: r.word,
            value: Some(r.total as f64),
            value_text: r.text.clone(),
            color: charts::severity_color(r.severity),
        })
        .collect();
    charts::hbars("Findings by severity", &bars, doc.summary.severity_max as f64)
}

fn red_flag_chart(doc: &Document) -> String {
    let bars: Vec<Bar<'_>> = doc
        .summary
        .by_red_flag
        .iter()
        .map(|r| Bar {
            label: &r.short_label,
            value: r.score,
            value_text: r.text.clone(),
            color: r.score.map_or("#7f8c8d", charts::score_color),
        })
        .collect();
    charts::hbars("Readiness score per red flag (0-100)", &bars, 100.0)
}

/// The readiness phases as a timeline, with the window's start marked.
fn timeline(road: &Roadmap) -> String {
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
    charts::timeline(
        "Readiness timeline",
        &spans,
        road.as_of,
        to,
        Some((road.window.start, &format!("window starts {}", road.window.start))),
    )
}
