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
    /// What to say when `must_match` fails ("does not say Type II").
    pub hint: Option<String>,
    /// Only required when another field matches (anonymization when classification is PII).
    pub required_when: Option<WhenSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    pub keys: Vec<String>,
    pub matches: Spanned<String>,
}

#[derive(Debug)]
pub struct FieldRule {
    pub name: String,
    keys: Vec<String>,
    max_age_days: Option<u32>,
    must_match: Option<regex::Regex>,
    hint: String,
    required_when: Option<(Vec<String>, regex::Regex)>,
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
        let required_when = match &self.required_when {
            Some(w) => Some((
                w.keys.iter().map(|k| norm_key(k)).collect(),
                cx.regex(&w.matches)?,
            )),
            None => None,
        };
        Some(FieldRule {
            name: self.name.clone(),
            keys: self.keys.iter().map(|k| norm_key(k)).collect(),
            max_age_days,
            must_match,
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
    /// Checks the field on a record; `None` when it is fine (or not required).
    pub fn problem(&self, record: &Record, as_of: Date) -> Option<FieldProblem> {
        if let Some((keys, re)) = &self.required_when {
            let applies = record.field(keys).is_some_and(|f| re.is_match(&f.value));
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
        let Some(field) = record.field(&self.keys) else {
            return mk(format!("no {} recorded", self.name), record.line);
        };
        match value_state(&field.value) {
            ValueState::Empty => return mk(format!("{} is empty", self.name), field.line),
            ValueState::Todo => return mk(format!("{} is incomplete: TODO", self.name), field.line),
            ValueState::Negative => {
                return mk(
                    format!(
                        "{} is \"{}\"",
                        self.name,
                        crate::text::truncate_chars(field.value.trim(), 60)
                    ),
                    field.line,
                )
            }
            ValueState::Present => {}
        }
        if let Some(re) = &self.must_match {
            if !re.is_match(&field.value) {
                return mk(format!("{} {}", self.name, self.hint), field.line);
            }
        }
        if let Some(max) = self.max_age_days {
            let newest = find_dates(&field.value)
                .into_iter()
                .map(|d| d.date)
                .filter(|d| *d <= as_of)
                .max();
            match newest {
                None => {
                    return mk(
                        format!("{} has no date on or before {as_of}", self.name),
                        field.line,
                    )
                }
                Some(d) => {
                    let age = days_between(d, as_of);
                    if age > i64::from(max) {
                        return mk(
                            format!(
                                "{} is stale: dated {d}, {age} days before {as_of} (limit {max} days)",
                                self.name
                            ),
                            field.line,
                        );
                    }
                }
            }
        }
        None
    }
}
