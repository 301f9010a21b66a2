//! The CSV renderer: one row per finding, for the consultant's spreadsheet and tracker
//! imports. Columns (a header row first):
//!
//! `control_id, red_flag, severity, tsc, status, fails_gate, title, message, target,
//! evidence, fix, fingerprint`
//!
//! - `tsc`: the Trust Services Criteria ids, space-separated;
//! - `status`: `open`, `waived` or `known` (in the baseline), as `gate.findings_by_state`;
//! - `fails_gate`: `yes` when the finding fails this run (`--fail-on`), else `no`;
//! - `evidence`: every pointer as `path:line` (`path` when there is no line), separated by
//!   `; `, the first being the primary location; with several targets, `target/path:line`.
//!
//! Cells are safe to open in a spreadsheet: RFC 4180 quoting (CRLF line ends), control
//! characters shown escaped, and a cell starting with `=`, `+`, `-`, `@`, tab or carriage
//! return is prefixed with `'` so it is never read as a formula (OWASP's CSV injection
//! advice). Rows are in report order; the output is deterministic.

use std::io::Write;

use super::Report;

const HEADER: [&str; 12] = [
    "control_id",
    "red_flag",
    "severity",
    "tsc",
    "status",
    "fails_gate",
    "title",
    "message",
    "target",
    "evidence",
    "fix",
    "fingerprint",
];

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(out);
    w.write_record(HEADER)?;
    let multi = report.targets.len() > 1;
    for f in &report.findings {
        let target = f.evidence.first().map_or("", |p| p.target.as_str());
        let evidence: Vec<String> = f.evidence.iter().map(|p| p.location(multi)).collect();
        let row = [
            f.control_id.to_string(),
            f.red_flag.map_or_else(String::new, |r| r.to_string()),
            f.severity.to_string(),
            f.tsc.join(" "),
            f.state().to_string(),
            if report.gate.fails(f) { "yes" } else { "no" }.to_string(),
            f.title.clone(),
            f.message.clone(),
            target.to_string(),
            evidence.join("; "),
            super::prose::unwrap_text(&f.remediation),
            f.fingerprint.clone(),
        ];
        w.write_record(row.iter().map(|c| cell(c)))?;
    }
    w.flush()
}

/// A cell as a spreadsheet may read it: control characters escaped (a target's file names
/// and texts are the target author's), and never a formula.
pub fn cell(text: &str) -> String {
    let formula = |s: &str| matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    let shown = crate::text::printable(text);
    if formula(text) || formula(&shown) {
        format!("'{shown}")
    } else {
        shown.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_inert() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(cell(bad).starts_with('\''), "{bad:?} -> {:?}", cell(bad));
        }
        assert_eq!(cell("app/config.py:12"), "app/config.py:12");
        assert_eq!(cell(""), "");
        assert!(!cell("a\u{1b}[31mred").contains('\u{1b}'));
    }
}
