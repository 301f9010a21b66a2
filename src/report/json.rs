//! The JSON renderer: the report model serialised as is (`report-contract.md`).

use std::io::Write;

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
