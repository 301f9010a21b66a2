//! `--format markdown`: the consultant's gap report as CommonMark with GitHub tables — the
//! same document as the HTML report ([`super::view`]), laid out by `templates/report.md.j2`
//! with text bars where the HTML has charts. No raw HTML is emitted: every value from the
//! scanned repositories is backslash-escaped or put in a code span by the template
//! environment ([`super::templates`]), so it cannot change the document's structure.

use std::io::Write;

use minijinja::value::{Serde, Value};

use super::consultant::ReportMeta;
use super::Report;

/// Renders the report.
pub fn render(report: &Report, meta: &ReportMeta, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = super::view::build(report, meta);
    let text = super::templates::render("report.md.j2", Value::from(Serde(&doc)))?;
    out.write_all(text.as_bytes())
}
