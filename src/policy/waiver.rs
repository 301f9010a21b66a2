//! Waivers: risk acceptances. In the config file (control, optional path glob or
//! fingerprint, a required reason, owner and expiry) or inline, as a comment on the line of
//! a finding or the line above:
//! `# redflag:ignore CONTROL-ID owner=NAME expires=YYYY-MM-DD reason` (the same three are
//! required). A waived finding stays
//! in the report, marked; an expired waiver stops applying and is reported; a waiver that
//! matched nothing is reported as unused. Auditors read waivers as risk acceptances, so
//! every renderer shows them.

use std::sync::LazyLock;

use globset::GlobMatcher;
use regex::Regex;
use serde::Deserialize;

use crate::date::{parse_iso, Date};
use crate::report::{FindingOut, WaiverOut, WaiverRef, WaiverStatus};

/// A waiver as written in `redflag.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverSpec {
    pub control: String,
    pub path: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub expires: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub control: String,
    pub path: Option<(String, GlobMatcher)>,
    pub fingerprint: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: Date,
}

impl WaiverSpec {
    /// Validates a waiver: reason, owner and expiry are required; the expiry is a date.
    pub fn compile(&self, index: usize) -> Result<Waiver, super::Error> {
        let which = format!("waiver #{} ({})", index + 1, self.control);
        let required = |v: &Option<String>, field: &'static str| match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(super::Error::WaiverMissing {
                waiver: which.clone(),
                field,
            }),
        };
        let reason = required(&self.reason, "reason")?;
        let owner = required(&self.owner, "owner")?;
        let expires_text = required(&self.expires, "expires")?;
        let expires = parse_iso(&expires_text).ok_or_else(|| super::Error::WaiverExpiry {
            waiver: which.clone(),
            found: expires_text.clone(),
        })?;
        let path = match &self.path {
            Some(g) => Some((
                g.clone(),
                crate::workspace::matcher::glob(g)
                    .map_err(|message| super::Error::WaiverPath {
                        waiver: which.clone(),
                        message: message.to_string(),
                    })?
                    .compile_matcher(),
            )),
            None => None,
        };
        Ok(Waiver {
            control: self.control.clone(),
            path,
            fingerprint: self.fingerprint.clone(),
            reason,
            owner,
            expires,
        })
    }
}

impl Waiver {
    pub fn covers(&self, f: &FindingOut) -> bool {
        if !f.control_id.eq_ignore_ascii_case(&self.control) {
            return false;
        }
        if let Some(fp) = &self.fingerprint {
            if !f.fingerprint.starts_with(fp.as_str()) {
                return false;
            }
        }
        if let Some((_, glob)) = &self.path {
            if !f.evidence.first().is_some_and(|p| glob.is_match(&p.path)) {
                return false;
            }
        }
        true
    }

    pub fn expired(&self, as_of: Date) -> bool {
        as_of > self.expires
    }

    pub fn as_ref_out(&self) -> WaiverRef {
        WaiverRef {
            source: "config".into(),
            reason: self.reason.clone(),
            owner: Some(self.owner.clone()),
            expires: Some(self.expires.to_string()),
        }
    }

    pub fn out(&self, matched: usize, as_of: Date, matched_expired: bool) -> WaiverOut {
        let status = if self.expired(as_of) {
            WaiverStatus::Expired
        } else if matched == 0 {
            WaiverStatus::Unused
        } else {
            WaiverStatus::Active
        };
        let _ = matched_expired;
        WaiverOut {
            source: "config".into(),
            control: self.control.clone(),
            path: self.path.as_ref().map(|(g, _)| g.clone()),
            fingerprint: self.fingerprint.clone(),
            reason: self.reason.clone(),
            owner: Some(self.owner.clone()),
            expires: Some(self.expires.to_string()),
            status,
            matched,
            location: None,
        }
    }
}

/// `redflag:ignore CONTROL-ID reason` in a comment.
pub static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"redflag:ignore[ \t]+([A-Za-z0-9][A-Za-z0-9-]*)(?:[ \t]+(.*?))?[ \t]*(?:\*/|-->)?[ \t]*$")
        .unwrap()
});

/// The regex the loader registers with the one-pass matcher to find inline suppressions.
pub use crate::control::INLINE_WAIVER_PATTERN as INLINE_PATTERN;

/// An inline waiver found in a target file:
/// `# redflag:ignore CONTROL-ID owner=NAME expires=YYYY-MM-DD reason`. Like a waiver in the
/// config file, it needs a reason, an owner and an expiry (the `owner=` and `expires=`
/// words may stand anywhere after the id; the rest is the reason). One without them, or
/// with an expiry that is not a date, applies to nothing and is reported `invalid: …`; an
/// expired one stops applying and is reported `expired`.
#[derive(Debug, Clone)]
pub struct InlineSuppression {
    pub target: String,
    pub path: String,
    pub line: u32,
    pub control: String,
    pub reason: Option<String>,
    pub owner: Option<String>,
    /// As written (shown in reports even when it is not a date).
    pub expires: Option<String>,
    expires_on: Option<Date>,
    /// Why it does not apply, when it is malformed (`no owner=NAME`, …).
    pub problem: Option<String>,
}

impl InlineSuppression {
    /// Parses a line holding `redflag:ignore`.
    pub fn parse(target: &str, path: &str, line: u32, text: &str) -> Option<Self> {
        let c = INLINE.captures(text)?;
        let (mut owner, mut expires, mut words) = (None, None, Vec::new());
        for word in c.get(2).map_or("", |m| m.as_str()).split_whitespace() {
            if let Some(v) = word.strip_prefix("owner=").filter(|v| !v.is_empty()) {
                owner = Some(v);
            } else if let Some(v) = word.strip_prefix("expires=").filter(|v| !v.is_empty()) {
                expires = Some(v);
            } else {
                words.push(word);
            }
        }
        // Reason, owner and expiry are the target's text, shown in every report format:
        // redacted and control characters escaped, like evidence lines.
        let shown = |s: &str| crate::redact::shown(s);
        let reason = Some(shown(&words.join(" "))).filter(|r| !r.is_empty());
        let expires_on = expires.and_then(parse_iso);
        let mut missing = Vec::new();
        if reason.is_none() {
            missing.push("a reason");
        }
        if owner.is_none() {
            missing.push("owner=NAME");
        }
        if expires.is_none() {
            missing.push("expires=YYYY-MM-DD");
        }
        let problem = if !missing.is_empty() {
            Some(format!("needs {}", crate::text::join_and(&missing)))
        } else if expires_on.is_none() {
            Some("expires= must be a date, YYYY-MM-DD".to_string())
        } else {
            None
        };
        Some(Self {
            target: target.into(),
            path: path.into(),
            line,
            control: c[1].to_string(),
            reason,
            owner: owner.map(shown),
            expires: expires.map(shown),
            expires_on,
            problem,
        })
    }

    /// Waives the findings it covers on `as_of`: well-formed and not expired.
    pub fn applies(&self, as_of: Date) -> bool {
        self.problem.is_none() && self.expires_on.is_some_and(|e| as_of <= e)
    }

    /// Covers a finding whose primary evidence is this line or the line below it.
    pub fn covers(&self, f: &FindingOut) -> bool {
        f.control_id.eq_ignore_ascii_case(&self.control)
            && f.evidence.first().is_some_and(|p| {
                p.target == self.target
                    && p.path == self.path
                    && p.line.is_some_and(|l| l == self.line || l == self.line + 1)
            })
    }

    pub fn as_ref_out(&self) -> WaiverRef {
        WaiverRef {
            source: format!("inline {}:{}", self.path, self.line),
            reason: self.reason.clone().unwrap_or_default(),
            owner: self.owner.clone(),
            expires: self.expires.clone(),
        }
    }

    pub fn out(&self, matched: usize, as_of: Date) -> WaiverOut {
        let status = match &self.problem {
            Some(p) => WaiverStatus::Invalid(p.clone()),
            None if !self.applies(as_of) => WaiverStatus::Expired,
            None if matched == 0 => WaiverStatus::Unused,
            None => WaiverStatus::Active,
        };
        WaiverOut {
            source: "inline".into(),
            control: self.control.clone(),
            path: Some(self.path.clone()),
            fingerprint: None,
            reason: self.reason.clone().unwrap_or_default(),
            owner: self.owner.clone(),
            expires: self.expires.clone(),
            status,
            matched,
            location: Some(format!("{}:{}", self.path, self.line)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comments() {
        let day = |s| parse_iso(s).unwrap();
        let s = InlineSuppression::parse(
            "t",
            "a.py",
            3,
            "KEY = x  # redflag:ignore RF3-HARDCODED-AI-KEY test fixture, owner=sec-team revoked expires=2027-03-31",
        )
        .unwrap();
        assert_eq!(s.control, "RF3-HARDCODED-AI-KEY");
        assert_eq!(s.reason.as_deref(), Some("test fixture, revoked"));
        assert_eq!(s.owner.as_deref(), Some("sec-team"));
        assert_eq!(s.expires.as_deref(), Some("2027-03-31"));
        assert!(s.applies(day("2027-03-31")) && !s.applies(day("2027-04-01")));
        assert_eq!(s.out(1, day("2027-04-01")).status.to_string(), "expired");
        assert_eq!(s.out(1, day("2026-12-01")).status.to_string(), "active");
        assert_eq!(s.out(0, day("2026-12-01")).status.to_string(), "unused");
        let s = InlineSuppression::parse("t", "a.ts", 3, "// redflag:ignore RF3-AI-INVENTORY").unwrap();
        assert!(s.reason.is_none() && !s.applies(day("2026-12-01")));
        assert_eq!(
            s.out(0, day("2026-12-01")).status.to_string(),
            "invalid: needs a reason, owner=NAME and expires=YYYY-MM-DD"
        );
        let s = InlineSuppression::parse(
            "t",
            "a.md",
            3,
            "<!-- redflag:ignore RF4-IR-PLAN kept in Confluence owner=cto expires=soon -->",
        )
        .unwrap();
        assert_eq!(s.reason.as_deref(), Some("kept in Confluence"));
        assert_eq!(s.problem.as_deref(), Some("expires= must be a date, YYYY-MM-DD"));
        let s = InlineSuppression::parse("t", "a.py", 3, "# redflag:ignore X legacy owner=cto").unwrap();
        assert_eq!(s.problem.as_deref(), Some("needs expires=YYYY-MM-DD"));
    }

    #[test]
    fn inline_reasons_are_made_safe_to_show() {
        let line =
            "x # redflag:ignore RF3-HARDCODED-AI-KEY old ghp_Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL \u{1b}[2J";
        let s = InlineSuppression::parse("t", "a.py", 1, line).unwrap();
        let reason = s.reason.unwrap();
        assert!(
            !reason.contains("Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL"),
            "{reason}"
        );
        assert!(reason.contains("[redacted]"), "{reason}");
        assert!(!reason.contains('\u{1b}'), "{reason}");
    }

    #[test]
    fn waivers_need_reason_owner_and_expiry() {
        let spec = WaiverSpec {
            control: "X".into(),
            path: None,
            fingerprint: None,
            reason: Some("r".into()),
            owner: None,
            expires: Some("2027-01-01".into()),
        };
        assert!(spec
            .compile(0)
            .unwrap_err()
            .to_string()
            .contains("`owner` is required"));
    }
}
