//! `cadence`: dated records of a recurring activity (tabletop exercises, access reviews).
//! Either one record in each of the last K complete quarters before the as-of date, or a
//! record within N days of it. Dates come from a table column (one record per row), a
//! `Date:` field or front matter, the file name, or the first lines of the document.
//! Optionally each record must mention something (`must_match`: an AI scenario) and have
//! complete fields (reviewer, decisions).

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::{OneOrMany, Param};
use super::fields::{FieldRule, FieldSpec};
use super::{CompileCx, Context, Outcome};
use crate::date::{days_between, find_dates, Date, Quarter, MAX_DAYS, MAX_QUARTERS};
use crate::evidence::Item;
use crate::workspace::document::{Record, RecordKind};
use crate::workspace::EvidenceDoc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub document: Spanned<String>,
    /// One record per quarter for this many complete quarters before the as-of date.
    pub quarters: Option<Param>,
    /// Or: the newest record is at most this many days old.
    pub within_days: Option<Param>,
    /// A record counts only when its text matches one of these.
    pub must_match: Option<Spanned<OneOrMany<String>>>,
    /// What a record must say to count, for messages ("an AI scenario").
    pub must_match_label: Option<String>,
    /// Fields each counted record must have.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    /// What one record is called in messages ("tabletop exercise").
    pub label: Option<String>,
}

#[derive(Debug)]
enum Rule {
    Quarters(u32),
    WithinDays(u32),
}

#[derive(Debug)]
pub struct Cadence {
    kind: String,
    rule: Rule,
    must_match: Vec<regex::Regex>,
    must_match_label: String,
    fields: Vec<FieldRule>,
    label: String,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Cadence> {
        let kind = cx.doc_kind(&self.document);
        let rule = match (&self.quarters, &self.within_days) {
            // Bounded: the quarters are listed one by one when evaluated.
            (Some(q), None) => Rule::Quarters(cx.param_at_most(q, MAX_QUARTERS, "quarters")?.max(1)),
            (None, Some(d)) => Rule::WithinDays(cx.param_at_most(d, MAX_DAYS, "days")?),
            _ => {
                cx.error(None, "`cadence` needs exactly one of `quarters` or `within_days`");
                return None;
            }
        };
        let must_match: Vec<regex::Regex> = match &self.must_match {
            Some(list) => cx.regexes(list)?.into_iter().map(|(_, re)| re).collect(),
            None => Vec::new(),
        };
        let fields: Vec<FieldRule> = self.fields.iter().filter_map(|f| f.compile(cx)).collect();
        if fields.len() != self.fields.len() {
            return None;
        }
        Some(Cadence {
            kind,
            rule,
            must_match,
            must_match_label: self
                .must_match_label
                .clone()
                .unwrap_or_else(|| "the required subject".into()),
            fields,
            label: self.label.clone().unwrap_or_else(|| "record".into()),
        })
    }
}

/// One dated record: a table row or a whole document.
struct Dated<'a> {
    doc: &'a EvidenceDoc,
    date: Date,
    line: u32,
    /// Records whose fields describe this dated record.
    records: Vec<&'a Record>,
    text: String,
}

/// Keys that date the activity itself. Exact (normalised) names only: a "due date" or
/// "last login date" column dates something else.
fn is_date_key(norm: &str) -> bool {
    const KEYS: &[&str] = &[
        "date",
        "when",
        "held",
        "held on",
        "conducted",
        "conducted on",
        "performed",
        "performed on",
        "quarter",
        "period",
        "exercise date",
        "review date",
        "date of review",
        "date of exercise",
        "completed",
        "completed on",
        "date held",
        "session date",
    ];
    KEYS.contains(&norm)
}

/// Records of the activity in one document. A document that states its own date (front
/// matter, a `Date:` line before or under its title, the file name) is one record, whatever
/// tables it contains (action items with due dates, accounts with last-login dates). Only a
/// document without its own date is read as a log whose rows are the records.
fn dated_records<'a>(doc: &'a EvidenceDoc, path: &str) -> Vec<Dated<'a>> {
    let d = &doc.doc;
    let whole = |date: Date, line: u32| Dated {
        doc,
        date,
        line,
        records: d.records.iter().collect(),
        text: d.text.clone(),
    };
    let own_field = d
        .records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Document | RecordKind::Heading(_)))
        .flat_map(|r| r.fields.iter())
        .filter(|f| is_date_key(&f.norm))
        .find_map(|f| find_dates(&f.value).first().map(|x| (x.date, f.line)));
    if let Some((date, line)) = own_field {
        return vec![whole(date, line)];
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some(x) = find_dates(name).first() {
        return vec![whole(x.date, 1)];
    }
    let rows: Vec<Dated<'a>> = d
        .records
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RecordKind::TableRow | RecordKind::CsvRow | RecordKind::Mapping
            )
        })
        .filter_map(|r| {
            let f = r.fields.iter().find(|f| is_date_key(&f.norm))?;
            let date = find_dates(&f.value).first()?.date;
            let text = r
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.key, f.value))
                .collect::<Vec<_>>()
                .join("\n");
            Some(Dated {
                doc,
                date,
                line: r.line,
                records: vec![r],
                text,
            })
        })
        .collect();
    if !rows.is_empty() {
        return rows;
    }
    // Last resort: the first date written near the top of the document.
    d.lines()
        .take(15)
        .enumerate()
        .find_map(|(i, l)| find_dates(l).first().map(|x| whole(x.date, i as u32 + 1)))
        .into_iter()
        .collect()
}

impl Cadence {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        match self.rule {
            Rule::Quarters(k) => format!(
                "a dated {} record in each of the last {k} complete quarters",
                self.label
            ),
            Rule::WithinDays(n) => format!("a {} record within {n} days", self.label),
        }
    }

    fn counts(&self, r: &Dated<'_>) -> bool {
        self.must_match.is_empty() || self.must_match.iter().any(|p| p.is_match(&r.text))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let mut records: Vec<Dated<'_>> = cx
            .docs_of(&self.kind)
            .flat_map(|d| dated_records(d, &cx.ws.file(d.file).path))
            .filter(|r| r.date <= cx.as_of)
            .collect();
        records.sort_by_key(|r| (r.date, r.doc.file, r.line));
        let pointer = |r: &Dated<'_>| {
            cx.ws
                .doc_pointer(r.doc, r.line)
                .labelled(format!("{} {}", self.label, r.date))
        };
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        let counted: Vec<&Dated<'_>> = match self.rule {
            Rule::Quarters(k) => {
                let mut used = Vec::new();
                let mut missing = Vec::new();
                // Records by quarter, in date order: one pass, whatever `k` is.
                let mut by_quarter: std::collections::BTreeMap<Quarter, Vec<&Dated<'_>>> =
                    std::collections::BTreeMap::new();
                for r in &records {
                    by_quarter.entry(Quarter::of(r.date)).or_default().push(r);
                }
                for q in Quarter::last_complete(cx.as_of, k) {
                    let in_q = by_quarter.get(&q).map_or(&[][..], Vec::as_slice);
                    match (in_q.iter().find(|r| self.counts(r)), in_q.first()) {
                        (Some(r), _) => {
                            passed.push(Item::new(
                                format!("{} for {q}: {}", self.label, r.date),
                                format!("quarter:{q}"),
                                vec![pointer(r)],
                            ));
                            used.push(*r);
                        }
                        (None, Some(r)) => failed.push(Item::new(
                            format!(
                                "The {} record for {q} does not cover {}",
                                self.label, self.must_match_label
                            ),
                            format!("off-topic:{q}"),
                            vec![pointer(r)],
                        )),
                        (None, None) => missing.push(q.to_string()),
                    }
                }
                if !missing.is_empty() {
                    let pointers = records
                        .last()
                        .map(|r| vec![pointer(r).labelled(format!("latest {}: {}", self.label, r.date))])
                        .unwrap_or_default();
                    let s = if missing.len() == 1 { "" } else { "s" };
                    failed.insert(
                        0,
                        Item::new(
                            format!("No {} record for quarter{s} {}", self.label, missing.join(", ")),
                            "missing-quarters",
                            pointers,
                        ),
                    );
                }
                used
            }
            Rule::WithinDays(n) => match records.iter().rev().find(|r| self.counts(r)) {
                Some(r) if days_between(r.date, cx.as_of) <= i64::from(n) => {
                    passed.push(Item::new(
                        format!("latest {}: {}", self.label, r.date),
                        "latest".to_string(),
                        vec![pointer(r)],
                    ));
                    vec![r]
                }
                Some(r) => {
                    let age = days_between(r.date, cx.as_of);
                    failed.push(Item::new(
                        format!(
                            "The latest {} is from {} ({age} days before {}; limit {n} days)",
                            self.label, r.date, cx.as_of
                        ),
                        "stale".to_string(),
                        vec![pointer(r)],
                    ));
                    vec![]
                }
                None => {
                    failed.push(Item::new(
                        format!("No dated {} record found", self.label),
                        "none".to_string(),
                        Vec::new(),
                    ));
                    vec![]
                }
            },
        };
        for r in counted {
            for rule in &self.fields {
                let record = r
                    .records
                    .iter()
                    .copied()
                    .find(|rec| rule.problem(rec, cx.as_of).is_none())
                    .or_else(|| r.records.first().copied());
                let problem = record.and_then(|rec| rule.problem(rec, cx.as_of)).or_else(|| {
                    record.is_none().then(|| super::fields::FieldProblem {
                        field: rule.name.clone(),
                        message: format!("no {} recorded", rule.name),
                        line: r.line,
                    })
                });
                if let Some(p) = problem {
                    failed.push(Item::new(
                        format!(
                            "The {} record of {} is incomplete: {}",
                            self.label, r.date, p.message
                        ),
                        format!("incomplete:{}|{}", Quarter::of(r.date), p.field),
                        vec![cx.ws.doc_pointer(r.doc, p.line)],
                    ));
                }
            }
        }
        Outcome::complete(passed, failed)
    }
}
