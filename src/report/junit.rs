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
//! Written with `quick-junit` (nextest's serializer), which escapes every text and attribute;
//! characters XML 1.0 forbids are dropped first ([`xml`]). Deterministic: no timestamps,
//! hostnames or durations.

use std::fmt::Write as _;
use std::io::Write;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{BaselineState, ControlOut, FindingOut, Report, Status};
use crate::control::red_flag_title;
use crate::text::plural;

/// Evidence lines listed per finding in a failure's text.
const MAX_POINTERS_PER_FINDING: usize = 20;

/// Text as XML 1.0 allows it: C0 controls other than tab, newline and carriage return, and
/// U+FFFE/U+FFFF, dropped (an escape sequence loses its ESC and stays visible as text).
fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            !(((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}')
        })
        .collect()
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
            let _ = write!(s, "    {}", p.location(multi));
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
    let fix = super::prose::unwrap_text(&c.remediation);
    if !fix.is_empty() {
        let _ = writeln!(s, "fix: {fix}");
    }
    let _ = write!(s, "(redflag explain {})", c.id);
    s
}

/// "2 waived", "1 known in the baseline": the accepted findings, by why.
fn accepted_parts(findings: &[&FindingOut]) -> Vec<String> {
    let waived = findings.iter().filter(|f| f.waiver.is_some()).count();
    let known = findings.iter().filter(|f| !f.is_open()).count() - waived;
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
            if !findings.is_empty() && findings.iter().all(|f| !f.is_open()) {
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
                let below = findings.iter().filter(|f| f.is_open()).count();
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
    let mut junit = quick_junit::Report::new("redflag");
    // Suites in the order their red flag first appears (controls are sorted by red flag).
    for rf in super::consultant::red_flags(report) {
        let mut suite = TestSuite::new(xml(&suite_name(rf)));
        for c in report.controls.iter().filter(|c| c.red_flag == rf) {
            let (status, system_out) = match outcome(c, report, multi) {
                Outcome::Pass => (TestCaseStatus::success(), None),
                Outcome::Skipped(message, body) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(xml(&message));
                    (status, body)
                }
                Outcome::Failure { message, kind, body } => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_message(xml(&message))
                        .set_type(xml(&kind))
                        .set_description(xml(&body));
                    (status, None)
                }
            };
            let mut case = TestCase::new(xml(&format!("{}: {}", c.id, c.title)), status);
            case.set_classname(format!("redflag.{}", suite_key(rf)));
            if let Some(body) = system_out {
                case.set_system_out(xml(&body));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.serialize(out).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_dropped() {
        assert_eq!(xml("x\u{1b}[31my\u{0}\u{FFFF}"), "x[31my");
        assert_eq!(xml("l1\nl2\tz\r"), "l1\nl2\tz\r");
        assert_eq!(xml("ü ✗ 😀 <&>"), "ü ✗ 😀 <&>");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "finding"), "1 finding");
        assert_eq!(plural(3, "finding"), "3 findings");
    }
}
