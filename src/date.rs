//! Dates as evidence: finding dates in register cells, `Date:` lines and file names, and the
//! quarter arithmetic the cadence rules use. Everything is relative to the `--as-of` date
//! handed in; nothing here reads the clock.

use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

pub use chrono::NaiveDate as Date;

/// Most quarters a cadence may look back (ten years). Control parameters are bounded to it
/// when a pack is compiled; [`Quarter::last_complete`] also stops there, so no value can
/// make it allocate without bound.
pub const MAX_QUARTERS: u32 = 40;
/// Largest day count a threshold may have (ten years).
pub const MAX_DAYS: u32 = 3_650;

/// Parses a strict `YYYY-MM-DD` (the `--as-of` and config format).
pub fn parse_iso(s: &str) -> Option<Date> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A calendar quarter, e.g. 2026-Q3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    pub fn of(date: Date) -> Self {
        Self {
            year: date.year(),
            q: (date.month0() / 3) + 1,
        }
    }

    #[must_use]
    pub fn prev(self) -> Self {
        if self.q == 1 {
            Self {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Self {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    #[must_use]
    pub fn next(self) -> Self {
        if self.q == 4 {
            Self {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Self {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn first_day(self) -> Date {
        NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1).unwrap_or_default()
    }

    /// The last day of the quarter.
    pub fn last_day(self) -> Date {
        let first = self.next().first_day();
        first.pred_opt().unwrap_or(first)
    }

    /// The `k` complete quarters before the quarter containing `as_of`, oldest first; at
    /// most [`MAX_QUARTERS`] of them (compiling a pack refuses a larger `k`).
    pub fn last_complete(as_of: Date, k: u32) -> Vec<Quarter> {
        Self::ending(Quarter::of(as_of).prev(), k)
    }

    /// The `k` consecutive quarters ending with `last` (included), oldest first; at most
    /// [`MAX_QUARTERS`] of them.
    pub fn ending(last: Quarter, k: u32) -> Vec<Quarter> {
        let k = k.min(MAX_QUARTERS);
        let mut out = Vec::with_capacity(k as usize);
        let mut q = last;
        for _ in 0..k {
            out.push(q);
            q = q.prev();
        }
        out.reverse();
        out
    }
}

/// `2026-Q2`, `2026-Q2 and 2026-Q3`, `2025-Q4, 2026-Q1 and 2026-Q2`.
pub fn quarter_list(qs: &[Quarter]) -> String {
    match qs {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The quarter a period statement names (`Q4 2025`, `2026-Q3`,
/// `2026-07-01 to 2026-09-30`, `September 2026`): a quarter written out wins; otherwise
/// the quarter in which the stated period ends (its last date).
pub fn period_quarter(text: &str) -> Option<Quarter> {
    // The quarter regex on its own: find_dates would also report the dates around it.
    if let Some(c) = QUARTER.captures(text) {
        let (y, q) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(y), Some(q), _, _) | (_, _, Some(q), Some(y)) => (y.as_str(), q.as_str()),
            _ => return None,
        };
        if let (Ok(year), Ok(q)) = (y.parse::<i32>(), q.parse::<u32>()) {
            return Some(Quarter { year, q });
        }
    }
    find_dates(text).last().map(|d| Quarter::of(d.date))
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

/// A date found in text, with how precise the text was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundDate {
    pub date: Date,
    /// True when the text named only a quarter (`2026-Q2`) or a month (`2026-05`): the
    /// date is the first day of that period.
    pub approximate: bool,
    /// Byte offset of the date in the searched text.
    pub pos: usize,
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(20[0-9]{2}|19[0-9]{2})[-/._](0?[1-9]|1[0-2])[-/._](0?[1-9]|[12][0-9]|3[01])(?-u:\b)",
    )
    .unwrap()
});
static QUARTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:(20[0-9]{2})[-_ ]?q([1-4])|q([1-4])[-_ ]?(20[0-9]{2}))(?-u:\b)").unwrap()
});
static MONTH_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:([0-9]{1,2})(?:st|nd|rd|th)? +)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? +(?:([0-9]{1,2})(?:st|nd|rd|th)?,? +)?(20[0-9]{2})(?-u:\b)",
    )
    .unwrap()
});
static YEAR_MONTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(20[0-9]{2})[-_](0[1-9]|1[0-2])(?-u:\b)").unwrap());

/// Day-first and month-first numeric dates: `15.03.2026`, `15-03-2026` (day first, as
/// written in Europe), `15/03/2026` or `03/15/2026` (whichever is a valid reading).
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([0-9]{1,2})([./-])([0-9]{1,2})[./-]((?:19|20)[0-9]{2})(?-u:\b)").unwrap()
});

/// Month names in French, German, Spanish, Italian, Portuguese and Dutch (the English ones
/// are [`MONTH_NAME`]'s), with the number of the month.
const LOCAL_MONTHS: &[(&str, u32)] = &[
    ("janvier", 1),
    ("januar", 1),
    ("januari", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("janeiro", 1),
    ("février", 2),
    ("fevrier", 2),
    ("februar", 2),
    ("februari", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevereiro", 2),
    ("mars", 3),
    ("märz", 3),
    ("maerz", 3),
    ("maart", 3),
    ("marzo", 3),
    ("março", 3),
    ("marco", 3),
    ("avril", 4),
    ("abril", 4),
    ("aprile", 4),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("maio", 5),
    ("mei", 5),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("giugno", 6),
    ("junho", 6),
    ("juillet", 7),
    ("juli", 7),
    ("julio", 7),
    ("luglio", 7),
    ("julho", 7),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("augustus", 8),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("setembro", 9),
    ("octobre", 10),
    ("oktober", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("outubro", 10),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("dezember", 12),
    ("diciembre", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

/// `15 mars 2026`, `15. März 2026`, `15 de marzo de 2026`, `1er avril 2026`, `März 2026`.
static LOCAL_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    let names = LOCAL_MONTHS
        .iter()
        .map(|(n, _)| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?i)\b(?:([0-9]{{1,2}})(?:\.|er|º|°)?\s+(?:de\s+)?)?({names})\.?\s+(?:de\s+)?((?:19|20)[0-9]{{2}})\b"
    ))
    .unwrap()
});

/// The numeric and non-English dates of `text` (see [`NUMERIC`], [`LOCAL_MONTH`]) that no
/// span of `covered` overlaps, with their spans. A slash date both of whose readings are
/// valid (`03/04/2026`) is read as the earlier one: a freshness rule then never accepts a
/// report on a reading the writer may not have meant.
fn localized_dates(text: &str, covered: &[(usize, usize)]) -> Vec<(usize, usize, FoundDate)> {
    let index = Spans::new(covered);
    let mut out = Vec::new();
    for c in NUMERIC.captures_iter(text) {
        let m = c.get(0).unwrap();
        if index.overlaps(m.start(), m.end()) {
            continue;
        }
        let (Ok(a), Ok(b), Ok(y)) = (c[1].parse::<u32>(), c[3].parse::<u32>(), c[4].parse::<i32>()) else {
            continue;
        };
        let day_first = NaiveDate::from_ymd_opt(y, b, a);
        let month_first = NaiveDate::from_ymd_opt(y, a, b);
        let date = match (&c[2], day_first, month_first) {
            ("/", Some(d), Some(m)) => Some(d.min(m)),
            ("/", d, m) => d.or(m),
            (_, d, _) => d,
        };
        if let Some(date) = date {
            out.push((
                m.start(),
                m.end(),
                FoundDate {
                    date,
                    approximate: false,
                    pos: 0,
                },
            ));
        }
    }
    for c in LOCAL_MONTH.captures_iter(text) {
        let m = c.get(0).unwrap();
        let name = c[2].to_lowercase();
        let Some(&(_, mo)) = LOCAL_MONTHS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let day = c.get(1).and_then(|d| d.as_str().parse::<u32>().ok());
        let (Ok(y), false) = (c[3].parse::<i32>(), index.overlaps(m.start(), m.end())) else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(y, mo, day.unwrap_or(1)) {
            out.push((
                m.start(),
                m.end(),
                FoundDate {
                    date,
                    approximate: day.is_none(),
                    pos: 0,
                },
            ));
        }
    }
    out
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// Every date written in `text`, in order of appearance. Exact dates win over the month or
/// quarter that contains them when both appear in the same spot.
pub fn find_dates(text: &str) -> Vec<FoundDate> {
    let mut found: Vec<(usize, FoundDate)> = Vec::new();
    let mut covered: Vec<(usize, usize)> = Vec::new();
    for c in ISO.captures_iter(text) {
        let m = c.get(0).unwrap();
        let (y, mo, d) = (c[1].parse().ok(), c[2].parse().ok(), c[3].parse().ok());
        if let (Some(y), Some(mo), Some(d)) = (y, mo, d) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, mo, d) {
                found.push((
                    m.start(),
                    FoundDate {
                        date,
                        approximate: false,
                        pos: 0,
                    },
                ));
                covered.push((m.start(), m.end()));
            }
        }
    }
    for (a, b, d) in localized_dates(text, &covered) {
        found.push((a, d));
        covered.push((a, b));
    }
    let index = Spans::new(&covered);
    for c in MONTH_NAME.captures_iter(text) {
        let m = c.get(0).unwrap();
        if index.overlaps(m.start(), m.end()) {
            continue;
        }
        let Some(mo) = month_number(&c[2]) else {
            continue;
        };
        let Ok(y) = c[4].parse::<i32>() else { continue };
        let day = c.get(1).or(c.get(3)).and_then(|d| d.as_str().parse::<u32>().ok());
        let date = NaiveDate::from_ymd_opt(y, mo, day.unwrap_or(1));
        if let Some(date) = date {
            found.push((
                m.start(),
                FoundDate {
                    date,
                    approximate: day.is_none(),
                    pos: 0,
                },
            ));
            covered.push((m.start(), m.end()));
        }
    }
    // Matches of one regex never overlap each other, so each pass is checked against the
    // spans of the earlier passes only, through a sorted index (a linear scan of all spans
    // per match would be quadratic in a text holding many dates).
    let index = Spans::new(&covered);
    for c in QUARTER.captures_iter(text) {
        let m = c.get(0).unwrap();
        if index.overlaps(m.start(), m.end()) {
            continue;
        }
        let (y, q) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(y), Some(q), _, _) | (_, _, Some(q), Some(y)) => (y.as_str(), q.as_str()),
            _ => continue,
        };
        if let (Ok(year), Ok(q)) = (y.parse::<i32>(), q.parse::<u32>()) {
            let date = Quarter { year, q }.first_day();
            found.push((
                m.start(),
                FoundDate {
                    date,
                    approximate: true,
                    pos: 0,
                },
            ));
            covered.push((m.start(), m.end()));
        }
    }
    let index = Spans::new(&covered);
    for c in YEAR_MONTH.captures_iter(text) {
        let m = c.get(0).unwrap();
        // `2026-02` inside an invalid `2026-02-30` is not a month reference.
        let rest = &text.as_bytes()[m.end()..];
        let continues =
            rest.len() >= 2 && matches!(rest[0], b'-' | b'/' | b'.' | b'_') && rest[1].is_ascii_digit();
        if index.overlaps(m.start(), m.end()) || continues {
            continue;
        }
        if let (Ok(y), Ok(mo)) = (c[1].parse::<i32>(), c[2].parse::<u32>()) {
            if let Some(date) = NaiveDate::from_ymd_opt(y, mo, 1) {
                found.push((
                    m.start(),
                    FoundDate {
                        date,
                        approximate: true,
                        pos: 0,
                    },
                ));
            }
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    found.into_iter().map(|(pos, d)| FoundDate { pos, ..d }).collect()
}

/// Byte spans sorted by start, with the running maximum of their ends: whether any span
/// overlaps `s..e` is one binary search.
struct Spans {
    spans: Vec<(usize, usize)>,
    max_end: Vec<usize>,
}

impl Spans {
    fn new(spans: &[(usize, usize)]) -> Self {
        let mut spans = spans.to_vec();
        spans.sort_unstable();
        let max_end = spans
            .iter()
            .scan(0, |m, &(_, b)| {
                *m = b.max(*m);
                Some(*m)
            })
            .collect();
        Self { spans, max_end }
    }

    fn overlaps(&self, s: usize, e: usize) -> bool {
        let k = self.spans.partition_point(|&(a, _)| a < e);
        k > 0 && self.max_end[k - 1] > s
    }
}

/// Whole days from `earlier` to `later` (negative when `earlier` is after `later`).
pub fn days_between(earlier: Date, later: Date) -> i64 {
    (later - earlier).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_iso(s).unwrap()
    }

    #[test]
    fn finds_many_date_shapes() {
        let got: Vec<Date> =
            find_dates("Signed 2025-11-15; report March 3, 2026; 14 Feb 2026; 2026-Q2; 2026_05")
                .into_iter()
                .map(|f| f.date)
                .collect();
        assert_eq!(
            got,
            vec![
                d("2025-11-15"),
                d("2026-03-03"),
                d("2026-02-14"),
                d("2026-04-01"),
                d("2026-05-01")
            ]
        );
    }

    /// Dates as people outside the US and ISO write them.
    #[test]
    fn finds_localized_dates() {
        let one = |s: &str| {
            let got = find_dates(s);
            assert_eq!(got.len(), 1, "{s}: {got:?}");
            got[0].date
        };
        for s in [
            "15.03.2026",
            "15-03-2026",
            "15/03/2026",
            "03/15/2026",
            "15 mars 2026",
            "15. März 2026",
            "15 de marzo de 2026",
            "15 marzo 2026",
            "15 de março de 2026",
            "15 maart 2026",
        ] {
            assert_eq!(one(s), d("2026-03-15"), "{s}");
        }
        assert_eq!(one("1er août 2026"), d("2026-08-01"));
        assert_eq!(one("Dezember 2025"), d("2025-12-01"));
        assert!(find_dates("Dezember 2025")[0].approximate);
        // Both readings valid: the earlier one.
        assert_eq!(one("04/03/2026"), d("2026-03-04"));
        // Not dates: a version, an impossible day.
        assert!(find_dates("v1.2.3 and 32.13.2026").is_empty());
    }

    #[test]
    fn invalid_dates_are_ignored() {
        assert!(find_dates("2026-02-30 and 2026-13-01").is_empty());
    }

    #[test]
    fn complete_quarters_before_as_of() {
        let qs = Quarter::last_complete(d("2026-12-01"), 3);
        let names: Vec<String> = qs.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-Q1", "2026-Q2", "2026-Q3"]);
        let qs = Quarter::last_complete(d("2026-01-15"), 2);
        assert_eq!(qs[0].to_string(), "2025-Q3");
    }

    #[test]
    fn quarters_ending_with_one_and_their_days() {
        let q = Quarter::of(d("2026-12-01"));
        let names: Vec<String> = Quarter::ending(q, 3).iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-Q2", "2026-Q3", "2026-Q4"]);
        assert_eq!(q.first_day(), d("2026-10-01"));
        assert_eq!(q.last_day(), d("2026-12-31"));
        assert_eq!(Quarter::of(d("2026-03-31")).last_day(), d("2026-03-31"));
        assert_eq!(Quarter::of(d("2026-04-01")).to_string(), "2026-Q2");
        assert!(Quarter::ending(q, 0).is_empty());
        assert_eq!(Quarter::ending(q, u32::MAX).len(), MAX_QUARTERS as usize);
    }

    #[test]
    fn periods_name_their_quarter() {
        let p = |s: &str| period_quarter(s).map(|q| q.to_string());
        assert_eq!(p("Q4 2025").as_deref(), Some("2025-Q4"));
        assert_eq!(p("2026-Q3").as_deref(), Some("2026-Q3"));
        assert_eq!(p("2026-07-01 to 2026-09-30").as_deref(), Some("2026-Q3"));
        assert_eq!(p("July – September 2026").as_deref(), Some("2026-Q3"));
        // A quarter written out wins over a date beside it.
        assert_eq!(p("Q4 2025 (reviewed 2026-01-12)").as_deref(), Some("2025-Q4"));
        assert_eq!(p("the last quarter"), None);
        assert_eq!(
            quarter_list(&[
                Quarter { year: 2025, q: 4 },
                Quarter { year: 2026, q: 1 },
                Quarter { year: 2026, q: 2 }
            ]),
            "2025-Q4, 2026-Q1 and 2026-Q2"
        );
    }

    #[test]
    fn an_absurd_number_of_quarters_stops_at_ten_years() {
        let qs = Quarter::last_complete(d("2026-12-01"), 4_000_000_000);
        assert_eq!(qs.len(), MAX_QUARTERS as usize);
        assert_eq!(qs[0].to_string(), "2016-Q4");
        assert_eq!(qs[39].to_string(), "2026-Q3");
    }
}
