//! Required fields of a record (a register entry, a lineage record, a review record):
//! present, filled in (not TODO), not negative ("DPA: pending"), matching a pattern, and
//! fresh when dated. Shared by `register` and `cadence`.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::Param;
use super::CompileCx;
use crate::date::{days_between, find_dates, Date};
use crate::text::{norm_key, value_state, ValueState};
use crate::workspace::document::Record;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The field as an auditor names it ("SOC 2 Type II report").
    pub name: String,
    /// Column or key names that hold it, matched loosely (case, spaces, `_`/`-`; a key
    /// containing one of these words in order also matches: "SOC 2 report date").
    pub keys: Vec<String>,
    /// The value must contain a date no older than this many days before the as-of date.
    pub max_age_days: Option<Param>,
    /// The value must match this regex.
    pub must_match: Option<Spanned<String>>,
    /// The value must not match this regex (a Type I report where Type II is required).
    pub must_not_match: Option<Spanned<String>>,
    /// What to say when `must_match` or `must_not_match` fails ("does not say Type II").
    pub hint: Option<String>,
    /// Only required when another field matches (anonymization when classification is PII).
    pub required_when: Option<WhenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    pub keys: Vec<String>,
    pub matches: Spanned<String>,
    /// ...unless the value also matches this ("no personal data").
    pub unless: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct FieldRule {
    pub name: String,
    keys: Vec<String>,
    max_age_days: Option<u32>,
    must_match: Option<crate::workspace::matcher::LazyRegex>,
    must_not_match: Option<crate::workspace::matcher::LazyRegex>,
    hint: String,
    required_when: Option<When>,
}

#[derive(Debug)]
struct When {
    keys: Vec<String>,
    matches: crate::workspace::matcher::LazyRegex,
    unless: Option<crate::workspace::matcher::LazyRegex>,
}

impl FieldSpec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<FieldRule> {
        if self.keys.is_empty() {
            cx.error(None, format!("field `{}` needs at least one key", self.name));
            return None;
        }
        let max_age_days = match &self.max_age_days {
            Some(p) => Some(cx.param(p)?),
            None => None,
        };
        let must_match = match &self.must_match {
            Some(r) => Some(cx.regex(r)?),
            None => None,
        };
        let must_not_match = match &self.must_not_match {
            Some(r) => Some(cx.regex(r)?),
            None => None,
        };
        let required_when = match &self.required_when {
            Some(w) => {
                let unless = match &w.unless {
                    Some(u) => Some(cx.regex(u)?),
                    None => None,
                };
                Some(When {
                    keys: w.keys.iter().map(|k| norm_key(k)).collect(),
                    matches: cx.regex(&w.matches)?,
                    unless,
                })
            }
            None => None,
        };
        Some(FieldRule {
            name: self.name.clone(),
            keys: self.keys.iter().map(|k| norm_key(k)).collect(),
            max_age_days,
            must_match,
            must_not_match,
            hint: self
                .hint
                .clone()
                .unwrap_or_else(|| "does not have the expected form".to_string()),
            required_when,
        })
    }
}

/// A problem with one field of one record.
#[derive(Debug, Clone)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
    pub line: u32,
}

impl FieldRule {
    /// True when the record has a field under one of this rule's keys, filled in or not.
    pub fn has_key(&self, record: &Record) -> bool {
        record
            .fields
            .iter()
            .any(|f| self.keys.iter().any(|k| crate::text::key_matches(&f.norm, k)))
    }

    /// Checks the field on a record; `None` when it is fine (or not required). When several
    /// columns match (`SOC 2 Type II: yes`, `SOC 2 report date: 2026-01-10`) they are read
    /// together.
    pub fn problem(&self, record: &Record, as_of: Date) -> Option<FieldProblem> {
        if let Some(w) = &self.required_when {
            let applies = record.field(&w.keys).is_some_and(|f| {
                w.matches.is_match(&f.value) && !w.unless.as_ref().is_some_and(|u| u.is_match(&f.value))
            });
            if !applies {
                return None;
            }
        }
        let mk = |message: String, line: u32| {
            Some(FieldProblem {
                field: self.name.clone(),
                message,
                line,
            })
        };
        let fields: Vec<_> = record
            .fields
            .iter()
            .filter(|f| self.keys.iter().any(|k| crate::text::key_matches(&f.norm, k)))
            .collect();
        let Some(first) = fields.first() else {
            return mk(format!("no {} recorded", self.name), record.line);
        };
        let present: Vec<_> = fields
            .iter()
            .filter(|f| value_state(&f.value) == ValueState::Present)
            .collect();
        if present.is_empty() {
            let f = fields
                .iter()
                .find(|f| value_state(&f.value) != ValueState::Empty)
                .unwrap_or(first);
            let message = match value_state(&f.value) {
                ValueState::Todo => format!("{} is incomplete: TODO", self.name),
                ValueState::Negative => {
                    format!(
                        "{} is \"{}\"",
                        self.name,
                        crate::text::truncate_chars(f.value.trim(), 60)
                    )
                }
                _ => format!("{} is empty", self.name),
            };
            return mk(message, f.line);
        }
        let line = present[0].line;
        let value = present
            .iter()
            .map(|f| f.value.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        // The key's words, not its spelling: `soc2_type2_report_date` reads `soc2 type2
        // report date`, so a pattern's word boundary after `type2` holds in any key style.
        let keyed = present
            .iter()
            .map(|f| format!("{}: {}", f.norm, f.value))
            .collect::<Vec<_>>()
            .join("; ");
        if let Some(re) = &self.must_not_match {
            if re.is_match(&value) {
                return mk(format!("{}: {}", self.name, self.hint), line);
            }
        }
        if let Some(re) = &self.must_match {
            if !re.is_match(&keyed) {
                return mk(format!("{}: {}", self.name, self.hint), line);
            }
        }
        if let Some(max) = self.max_age_days {
            match effective_date(&value, as_of) {
                None => return mk(format!("{} has no date on or before {as_of}", self.name), line),
                Some(d) => {
                    let age = days_between(d, as_of);
                    if age > i64::from(max) {
                        return mk(
                            format!(
                                "{} is stale: dated {d}, {age} days before {as_of} (limit {max} days)",
                                self.name
                            ),
                            line,
                        );
                    }
                }
            }
        }
        None
    }
}

/// The date a freshness rule should judge: the end of a stated period (`period ended
/// 2025-06-30`, `2025-07-01 to 2026-06-30`) when there is one, not the date the report was
/// received or reviewed; otherwise the newest date on or before `as_of`.
fn effective_date(value: &str, as_of: Date) -> Option<Date> {
    let lower = value.to_ascii_lowercase();
    let dates: Vec<_> = find_dates(value)
        .into_iter()
        .filter(|d| d.date <= as_of)
        .collect();
    // The words between the previous date (or 28 bytes back) and this one.
    let before = |i: usize| {
        let pos = dates[i].pos;
        let prev_end = if i > 0 { dates[i - 1].pos + 10 } else { 0 };
        let mut start = pos.saturating_sub(28).max(prev_end).min(pos);
        while !lower.is_char_boundary(start) {
            start += 1;
        }
        lower.get(start..pos).unwrap_or("").to_string()
    };
    const END: &[&str] = &[
        "end", "through", "thru", " to ", "until", " - ", "–", "—", "as of",
    ];
    const NOT_PERIOD: &[&str] = &[
        "received",
        "reviewed",
        "obtained",
        "requested",
        "uploaded",
        "signed",
        "filed",
    ];
    let period_end = (0..dates.len())
        .filter(|i| END.iter().any(|w| before(*i).contains(w)))
        .map(|i| dates[i].date)
        .max();
    period_end.or_else(|| {
        let own: Vec<Date> = (0..dates.len())
            .filter(|i| !NOT_PERIOD.iter().any(|w| before(*i).contains(w)))
            .map(|i| dates[i].date)
            .collect();
        own.into_iter()
            .max()
            .or_else(|| dates.iter().map(|d| d.date).max())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        crate::date::parse_iso(s).unwrap()
    }

    #[test]
    fn the_report_period_end_wins_over_the_receipt_date() {
        let as_of = d("2026-12-01");
        assert_eq!(
            effective_date("Type II, period ended 2025-06-30, received 2026-02-01", as_of),
            Some(d("2025-06-30"))
        );
        assert_eq!(
            effective_date("2025-07-01 to 2026-06-30", as_of),
            Some(d("2026-06-30"))
        );
        assert_eq!(
            effective_date("received 2026-02-01", as_of),
            Some(d("2026-02-01"))
        );
        assert_eq!(
            effective_date("Type II dated 2026-03-01; reviewed 2026-04-02", as_of),
            Some(d("2026-03-01"))
        );
    }
}
