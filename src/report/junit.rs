//! The JUnit XML renderer, for CI test-report views (GitLab `artifacts:reports:junit`,
//! Jenkins `junit`): one `<testsuite>` per red flag, one `<testcase>` per evaluated control.
//!
//! - a gap with open findings is a `<failure>` whose text lists each finding and its
//!   `path:line` evidence;
//! - a gap whose findings are all accepted (waived, or known in the baseline) is
//!   `<skipped>`, so the test view agrees with the exit decision, which does not fail on them;
//!   so is a gap none of whose findings fails the gate (below `--fail-on`); both keep their
//!   findings and evidence in the test case's `<system-out>` (reported, not failed);
//! - `not_applicable` and `manual` are `<skipped>`; a pass is a plain `<testcase>`.
//!
//! Written by hand (the format is small): every text and attribute is escaped and stripped
//! of characters XML 1.0 forbids. Deterministic: no timestamps, hostnames or durations.

use std::fmt::Write as _;
use std::io::Write;

use super::{BaselineState, ControlOut, FindingOut, PointerOut, Report, Status};
use crate::control::red_flag_title;
use crate::text::plural;

/// Evidence lines listed per finding in a failure's text.
const MAX_POINTERS_PER_FINDING: usize = 20;

/// Escapes text for XML 1.0: `&`, `<`, `>` everywhere, `"` and `'` in attributes; drops
/// characters XML 1.0 does not allow (C0 controls other than tab, newline and carriage
/// return, and U+FFFE/U+FFFF) and, in attributes, writes tab and line breaks as character
/// references so attribute-value normalisation keeps them.
fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn attr(s: &str) -> String {
    escape(s, true)
}

fn text(s: &str) -> String {
    escape(s, false)
}

fn suite_key(rf: Option<u8>) -> String {
    match rf {
        Some(n) => format!("RF{n}"),
        None => "other".to_string(),
    }
}

fn suite_name(rf: Option<u8>) -> String {
    match rf {
        Some(n) => format!("RF{n} {}", red_flag_title(rf)),
        None => red_flag_title(None).to_string(),
    }
}

fn location(p: &PointerOut, multi: bool) -> String {
    let mut s = String::new();
    if multi {
        let _ = write!(s, "{}/", p.target);
    }
    s.push_str(&p.path);
    if let Some(l) = p.line {
        let _ = write!(s, ":{l}");
    }
    s
}

/// A finding the exit decision does not fail on: waived, or known in the baseline.
fn accepted(f: &FindingOut) -> bool {
    f.waiver.is_some() || f.baseline == Some(BaselineState::Known)
}

/// The failure text: each finding, its evidence as `path:line  snippet`, then the fix.
fn failure_body(c: &ControlOut, findings: &[&FindingOut], multi: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} · {} · TSC {}", c.id, c.severity, c.tsc.join(" "));
    for f in findings {
        let mut state = String::new();
        if let Some(w) = &f.waiver {
            let _ = write!(state, " [waived: {}]", w.reason);
        } else if f.baseline == Some(BaselineState::Known) {
            state.push_str(" [known: in the baseline]");
        }
        let _ = writeln!(s, "✗ {}{state}", f.message);
        for p in f.evidence.iter().take(MAX_POINTERS_PER_FINDING) {
            let _ = write!(s, "    {}", location(p, multi));
            if let Some(snippet) = &p.snippet {
                let _ = write!(s, "  {snippet}");
            }
            if let Some(label) = &p.label {
                let _ = write!(s, "  [{label}]");
            }
            s.push('\n');
        }
        if f.evidence.len() > MAX_POINTERS_PER_FINDING {
            let _ = writeln!(
                s,
                "    … and {} more",
                f.evidence.len() - MAX_POINTERS_PER_FINDING
            );
        }
    }
    let fix = c.remediation.split_whitespace().collect::<Vec<_>>().join(" ");
    if !fix.is_empty() {
        let _ = writeln!(s, "fix: {fix}");
    }
    let _ = write!(s, "(redflag explain {})", c.id);
    s
}

/// "2 waived", "1 known in the baseline": the accepted findings, by why.
fn accepted_parts(findings: &[&FindingOut]) -> Vec<String> {
    let waived = findings.iter().filter(|f| f.waiver.is_some()).count();
    let known = findings.iter().filter(|f| accepted(f)).count() - waived;
    let mut parts = Vec::new();
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    if known > 0 {
        parts.push(format!("{known} known in the baseline"));
    }
    parts
}

enum Outcome {
    Pass,
    Failure {
        message: String,
        kind: String,
        body: String,
    },
    /// Skipped, with the gap's findings and evidence (as `<system-out>`) when it is a gap
    /// the run does not fail on: reported, not failed.
    Skipped(String, Option<String>),
}

fn outcome(c: &ControlOut, report: &Report, multi: bool) -> Outcome {
    match c.status {
        Status::Pass => Outcome::Pass,
        Status::NotApplicable => {
            Outcome::Skipped(c.reason.clone().unwrap_or_else(|| "not applicable".into()), None)
        }
        Status::Blocked => Outcome::Skipped(c.reason.clone().unwrap_or_else(|| "blocked".into()), None),
        Status::Manual => Outcome::Skipped("manual evidence needed".into(), None),
        Status::Gap => {
            let findings: Vec<&FindingOut> =
                report.findings.iter().filter(|f| f.control_id == c.id).collect();
            if !findings.is_empty() && findings.iter().all(|f| accepted(f)) {
                return Outcome::Skipped(
                    format!(
                        "gap accepted: {} ({})",
                        plural(findings.len(), "finding"),
                        accepted_parts(&findings).join(", ")
                    ),
                    Some(failure_body(c, &findings, multi)),
                );
            }
            if !findings.is_empty() && !findings.iter().any(|f| report.gate.fails(f)) {
                // Reported, not failed: the test view agrees with the exit decision.
                let mut parts = accepted_parts(&findings);
                let below = findings.iter().filter(|f| !accepted(f)).count();
                parts.push(match report.gate.threshold() {
                    Some(t) => format!("{below} below --fail-on {t}"),
                    None => format!("{below} reported with --fail-on none"),
                });
                return Outcome::Skipped(
                    format!(
                        "gap not failing this run: {} ({})",
                        plural(findings.len(), "finding"),
                        parts.join(", ")
                    ),
                    Some(failure_body(c, &findings, multi)),
                );
            }
            let n = findings.len().max(c.findings);
            Outcome::Failure {
                message: plural(n, "finding"),
                kind: c.severity.to_string(),
                body: failure_body(c, &findings, multi),
            }
        }
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let multi = report.targets.len() > 1;
    // Suites in the order their red flag first appears (controls are sorted by red flag).
    let mut groups: Vec<Option<u8>> = Vec::new();
    for c in &report.controls {
        if !groups.contains(&c.red_flag) {
            groups.push(c.red_flag);
        }
    }
    let mut suites = Vec::new();
    let (mut all_tests, mut all_failures, mut all_skipped) = (0, 0, 0);
    for rf in groups {
        let mut cases = String::new();
        let (mut tests, mut failures, mut skipped) = (0, 0, 0);
        for c in report.controls.iter().filter(|c| c.red_flag == rf) {
            tests += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"redflag.{}\" name=\"{}\"",
                attr(&suite_key(rf)),
                attr(&format!("{}: {}", c.id, c.title))
            );
            match outcome(c, report, multi) {
                Outcome::Pass => cases.push_str("/>\n"),
                Outcome::Skipped(message, body) => {
                    skipped += 1;
                    let out = body
                        .map(|b| format!("\n      <system-out>{}</system-out>", text(&b)))
                        .unwrap_or_default();
                    let _ = write!(
                        cases,
                        ">\n      <skipped message=\"{}\"/>{out}\n    </testcase>\n",
                        attr(&message)
                    );
                }
                Outcome::Failure { message, kind, body } => {
                    failures += 1;
                    let _ = write!(
                        cases,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        attr(&message),
                        attr(&kind),
                        text(&body)
                    );
                }
            }
        }
        all_tests += tests;
        all_failures += failures;
        all_skipped += skipped;
        suites.push(format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n",
            attr(&suite_name(rf))
        ));
    }
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"redflag\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"0\" skipped=\"{all_skipped}\">"
    );
    for suite in suites {
        s.push_str(&suite);
    }
    s.push_str("</testsuites>\n");
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_strips() {
        assert_eq!(
            escape("a & b < c > d \" e ' f", true),
            "a &amp; b &lt; c &gt; d &quot; e &apos; f"
        );
        assert_eq!(
            escape("a & b < c > d \" e ' f", false),
            "a &amp; b &lt; c &gt; d \" e ' f"
        );
        assert_eq!(escape("x\u{1b}[31my\u{0}\u{FFFF}", false), "x[31my");
        assert_eq!(escape("l1\nl2\tz", true), "l1&#10;l2&#9;z");
        assert_eq!(escape("l1\nl2", false), "l1\nl2");
        assert_eq!(escape("ü ✗ 😀", false), "ü ✗ 😀");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "finding"), "1 finding");
        assert_eq!(plural(3, "finding"), "3 findings");
    }
}
