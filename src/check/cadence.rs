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
use crate::date::{
    days_between, find_dates, period_quarter, quarter_list, Date, Quarter, MAX_DAYS, MAX_QUARTERS,
};
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
    must_match: Vec<crate::workspace::matcher::LazyRegex>,
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
        let must_match: Vec<crate::workspace::matcher::LazyRegex> = match &self.must_match {
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
    /// The quarter the record is for: the period it states (`Period covered: Q4 2025`),
    /// else the quarter of its date.
    quarter: Quarter,
    /// The date written on the record; for a record that states only its period (or whose
    /// date names only a month or quarter), the first day of that period.
    date: Date,
    /// Whether `date` is a day written on the record.
    dated: bool,
    line: u32,
    /// Records whose fields describe this dated record.
    records: Vec<&'a Record>,
    text: String,
}

impl Dated<'_> {
    /// How the record is named after its label: `2026-05-12` (a date in its own quarter),
    /// `for 2025-Q4 (2026-01-12)` (a date in another quarter than the period it covers),
    /// `for 2026-Q3` (a period, no day). The quarter comes first when it is not the date's,
    /// so a reader of the label (the roadmap) finds the quarter first.
    fn stamp(&self) -> String {
        if self.dated && Quarter::of(self.date) == self.quarter {
            self.date.to_string()
        } else if self.dated {
            format!("for {} ({})", self.quarter, self.date)
        } else {
            format!("for {}", self.quarter)
        }
    }
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

/// Keys that state the period a record covers: it is the record of that quarter, whenever
/// it was written (a Q4 access review held in January). Exact (normalised) names only.
fn is_period_key(norm: &str) -> bool {
    const KEYS: &[&str] = &[
        "period",
        "period covered",
        "covered period",
        "coverage period",
        "period of review",
        "review period",
        "reviewed period",
        "period reviewed",
        "period under review",
        "reporting period",
        "quarter",
        "quarter covered",
        "review quarter",
        "exercise quarter",
        "for quarter",
    ];
    KEYS.contains(&norm)
}

/// What a record says about when it was held and what it covers.
#[derive(Default)]
struct Stamp {
    /// A written date and its line; `approximate` when it names only a month or quarter.
    date: Option<(crate::date::FoundDate, u32)>,
    period: Option<(Quarter, u32)>,
}

impl Stamp {
    /// Reads one `key: value` pair.
    fn read(&mut self, norm: &str, value: &str, line: u32) {
        if self.period.is_none() && is_period_key(norm) {
            self.period = period_quarter(value).map(|q| (q, line));
        } else if self.date.is_none() && is_date_key(norm) {
            self.date = find_dates(value).first().map(|x| (*x, line));
        }
    }

    fn is_empty(&self) -> bool {
        self.date.is_none() && self.period.is_none()
    }

    /// The record's quarter, date, whether the date is a written day, and its line (the
    /// period statement when there is one: it decides the quarter).
    fn resolve(&self) -> Option<(Quarter, Date, bool, u32)> {
        match (self.period, self.date) {
            (Some((q, line)), Some((d, _))) => Some((q, d.date, !d.approximate, line)),
            (Some((q, line)), None) => Some((q, q.first_day(), false, line)),
            (None, Some((d, line))) => Some((Quarter::of(d.date), d.date, !d.approximate, line)),
            (None, None) => None,
        }
    }
}

/// Records of the activity in one document. A document that states its own date or period
/// (front matter, a `Date:` or `Period covered:` line before or under its title, a
/// two-column key/value table, the file name) is one record, whatever tables it contains
/// (action items with due dates, accounts with last-login dates). Only a document without
/// its own date is read as a log whose rows are the records.
fn dated_records<'a>(doc: &'a EvidenceDoc, path: &str) -> Vec<Dated<'a>> {
    let d = &doc.doc;
    let whole = |(quarter, date, dated, line): (Quarter, Date, bool, u32)| Dated {
        doc,
        quarter,
        date,
        dated,
        line,
        records: d.records.iter().collect(),
        text: d.text.clone(),
    };
    let mut own = Stamp::default();
    for r in &d.records {
        match r.kind {
            RecordKind::Document | RecordKind::Heading(_) => {
                for f in &r.fields {
                    own.read(&f.norm, &f.value, f.line);
                }
            }
            // `| Period covered | Q4 2025 |` in a key/value table.
            RecordKind::TableRow if r.fields.len() == 2 => {
                let key = crate::text::norm_key(&r.fields[0].value);
                if is_period_key(&key) || is_date_key(&key) {
                    own.read(&key, &r.fields[1].value, r.line);
                }
            }
            _ => {}
        }
    }
    if let Some(stamp) = own.resolve() {
        return vec![whole(stamp)];
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if let Some(x) = find_dates(name).first() {
        return vec![whole((Quarter::of(x.date), x.date, !x.approximate, 1))];
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
            let mut stamp = Stamp::default();
            for f in &r.fields {
                stamp.read(&f.norm, &f.value, f.line);
            }
            if stamp.is_empty() {
                return None;
            }
            let (quarter, date, dated, _) = stamp.resolve()?;
            let text = r
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.key, f.value))
                .collect::<Vec<_>>()
                .join("\n");
            Some(Dated {
                doc,
                quarter,
                date,
                dated,
                line: r.line,
                records: vec![r],
                text,
            })
        })
        .collect();
    // A YAML or JSON record with a nested list (the accounts reviewed) is one record: its
    // list items are mappings of their own, undated or dated by the date they inherit.
    if let Some(top) = rows.first() {
        let outer = top.records.first().filter(|r| r.kind == RecordKind::Mapping);
        let within = |o: &Dated<'_>, t: &Record| {
            o.records
                .first()
                .is_some_and(|r| r.line > t.line && r.end_line <= t.end_line)
        };
        if outer.is_some_and(|t| (rows.len() == 1 || t.container) && rows[1..].iter().all(|o| within(o, t))) {
            return vec![whole((top.quarter, top.date, top.dated, top.line))];
        }
    }
    if !rows.is_empty() {
        return rows;
    }
    // Last resort: the first date written near the top of the document.
    d.lines()
        .take(15)
        .enumerate()
        .find_map(|(i, l)| {
            find_dates(l)
                .first()
                .map(|x| whole((Quarter::of(x.date), x.date, !x.approximate, i as u32 + 1)))
        })
        .into_iter()
        .collect()
}

impl Cadence {
    /// The document kind this check reads.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        match self.rule {
            Rule::Quarters(k) => format!(
                "a dated {} record in each of the last {k} quarters: the {k} complete quarters \
                 before the assessment date, or the {k} ending with the current quarter once it \
                 holds a record",
                self.label
            ),
            Rule::WithinDays(n) => format!("a {} record within {n} days", self.label),
        }
    }

    fn counts(&self, r: &Dated<'_>) -> bool {
        self.must_match.is_empty() || self.must_match.iter().any(|p| p.is_match(&r.text))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let current = Quarter::of(cx.as_of);
        // Records that existed on the as-of date, for a quarter that has begun.
        let mut records: Vec<Dated<'_>> = cx
            .docs_of(&self.kind)
            .flat_map(|d| dated_records(d, &cx.ws.file(d.file).path))
            .filter(|r| r.date <= cx.as_of && r.quarter <= current)
            .collect();
        records.sort_by_key(|r| (r.quarter, r.date, r.doc.file, r.line));
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        let counted: Vec<&Dated<'_>> = match self.rule {
            Rule::Quarters(k) => self.quarters(cx, k, &records, &mut passed, &mut failed),
            Rule::WithinDays(n) => self.within_days(cx, n, &records, &mut passed, &mut failed),
        };
        self.incomplete(cx, &counted, &mut failed);
        Outcome::complete(passed, failed)
    }

    /// A record's pointer, labelled with what it is and when.
    fn pointer(&self, cx: &Context<'_>, r: &Dated<'_>) -> crate::evidence::Pointer {
        cx.ws
            .doc_pointer(r.doc, r.line)
            .labelled(format!("{} {}", self.label, r.stamp()))
    }

    /// `quarters: K`: a record that counts in each of the last K quarters; returns the
    /// records counted.
    fn quarters<'r>(
        &self,
        cx: &Context<'_>,
        k: u32,
        records: &'r [Dated<'r>],
        passed: &mut Vec<Item>,
        failed: &mut Vec<Item>,
    ) -> Vec<&'r Dated<'r>> {
        let current = Quarter::of(cx.as_of);
        let pointer = |r: &Dated<'_>| self.pointer(cx, r);
        let mut used = Vec::new();
        let mut missing = Vec::new();
        let mut found = Vec::new();
        // Records by quarter, in date order: one pass, whatever `k` is.
        let mut by_quarter: std::collections::BTreeMap<Quarter, Vec<&Dated<'_>>> =
            std::collections::BTreeMap::new();
        for r in records {
            by_quarter.entry(r.quarter).or_default().push(r);
        }
        let counted_in = |q: Quarter| {
            by_quarter
                .get(&q)
                .and_then(|rs| rs.iter().copied().find(|r| self.counts(r)))
        };
        // The current quarter is not over, so it is never missing; once it holds a
        // record, that record counts and the window ends with it (what an auditor
        // sampling "the last K quarters" on the as-of date would accept).
        let last = if counted_in(current).is_some() {
            current
        } else {
            current.prev()
        };
        for q in Quarter::ending(last, k) {
            let in_q = by_quarter.get(&q).map_or(&[][..], Vec::as_slice);
            match (counted_in(q), in_q.first()) {
                (Some(r), _) => {
                    passed.push(Item::new(
                        format!(
                            "{} for {q}: {}",
                            self.label,
                            if r.dated {
                                r.date.to_string()
                            } else {
                                "period stated, no date".to_string()
                            }
                        ),
                        format!("quarter:{q}"),
                        vec![pointer(r)],
                    ));
                    used.push(r);
                    found.push(q);
                }
                (None, Some(r)) => failed.push(Item::new(
                    format!(
                        "The {} record for {q} does not cover {}",
                        self.label, self.must_match_label
                    ),
                    format!("off-topic:{q}"),
                    vec![pointer(r)],
                )),
                (None, None) => missing.push(q),
            }
        }
        if !missing.is_empty() {
            // The latest record that counts (an off-topic one is not a record of
            // the activity: the roadmap reads this pointer as a covered quarter).
            let latest = records.iter().rev().find(|r| self.counts(r));
            let pointers = latest
                .map(|r| vec![pointer(r).labelled(format!("latest {} {}", self.label, r.stamp()))])
                .unwrap_or_default();
            found.reverse();
            let context = match (found.as_slice(), latest) {
                ([], Some(r)) => format!(" (latest record: {})", r.quarter),
                ([], None) => " (no dated record found)".to_string(),
                ([one], _) => format!(" (record found for {one})"),
                (many, _) => format!(
                    " (records found for {})",
                    many.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            failed.insert(
                0,
                Item::new(
                    format!("No {} record for {}{context}", self.label, quarter_list(&missing)),
                    // The fingerprint names the missing quarters: a quarter missed
                    // since a baseline was taken makes a new gap, not a known one.
                    format!(
                        "missing-quarters:{}",
                        missing
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    pointers,
                ),
            );
        }
        used
    }

    /// `within_days: N`: the latest record that counts is at most N days old.
    fn within_days<'r>(
        &self,
        cx: &Context<'_>,
        n: u32,
        records: &'r [Dated<'r>],
        passed: &mut Vec<Item>,
        failed: &mut Vec<Item>,
    ) -> Vec<&'r Dated<'r>> {
        let pointer = |r: &Dated<'_>| self.pointer(cx, r);
        match records.iter().rev().find(|r| self.counts(r)) {
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
        }
    }

    /// The required fields of each counted record: one finding per missing or stale field.
    fn incomplete(&self, cx: &Context<'_>, counted: &[&Dated<'_>], failed: &mut Vec<Item>) {
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
                            "The {} record {} is incomplete: {}",
                            self.label,
                            if r.dated && Quarter::of(r.date) == r.quarter {
                                format!("of {}", r.date)
                            } else {
                                r.stamp()
                            },
                            p.message
                        ),
                        format!("incomplete:{}|{}", r.quarter, p.field),
                        vec![cx.ws.doc_pointer(r.doc, p.line)],
                    ));
                }
            }
        }
    }
}
