//! Evidence documents (registers, plans, records) parsed into records and fields.
//!
//! Companies keep the same evidence in many shapes: a Markdown table, `- Key: value`
//! bullets under a heading (the source's lineage template), YAML front matter, a YAML or
//! JSON list, a CSV export from a GRC tool. All of them become [`Record`]s: a title, the
//! lines it spans and its fields, each with a line number, so checks need not care about
//! the format and every finding can point at the entry's line.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::node::{self, Node, Value};
use crate::text::norm_key;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The document as a whole (front matter and fields before the first heading).
    Document,
    Heading(u8),
    TableRow,
    Mapping,
    CsvRow,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// Shared by every row of a table (one allocation per column, not per cell).
    pub key: Arc<str>,
    /// `norm_key(key)`.
    pub norm: Arc<str>,
    pub value: String,
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub kind: RecordKind,
    pub title: String,
    pub line: u32,
    /// Last line (inclusive) of the text this record covers.
    pub end_line: u32,
    pub fields: Vec<Field>,
    /// A record whose list entries inherit its fields (a model version with a `datasets:`
    /// list): each entry is one complete record, so this one is not checked on its own.
    pub container: bool,
}

impl Record {
    /// The first field whose key loosely matches any of `keys` (already normalised).
    pub fn field(&self, keys: &[String]) -> Option<&Field> {
        keys.iter()
            .find_map(|k| self.fields.iter().find(|f| crate::text::key_matches(&f.norm, k)))
    }
}

/// A parsed evidence document.
#[derive(Debug, Clone)]
pub struct Document {
    pub records: Vec<Record>,
    /// The whole text (lines joined with `\n`, carriage returns removed), for searches: one
    /// regex pass over a document instead of one per line.
    pub text: String,
    /// Where each line starts in `text` (lines are slices of it, not copies).
    starts: Vec<usize>,
}

impl Document {
    /// True when the document is an unfilled template: it has fields and at least half of
    /// them are still TODO. Templates are not evidence (`redflag init` writes them).
    pub fn is_template(&self) -> bool {
        let states: Vec<crate::text::ValueState> = self
            .records
            .iter()
            .flat_map(|r| r.fields.iter())
            .map(|f| crate::text::value_state(&f.value))
            .collect();
        let todo = states
            .iter()
            .filter(|s| **s == crate::text::ValueState::Todo)
            .count();
        !states.is_empty() && todo * 2 >= states.len()
    }

    /// The 1-based line of the first match of any of `patterns`.
    pub fn first_match_line(&self, patterns: &[super::matcher::LazyRegex]) -> Option<u32> {
        let at = patterns
            .iter()
            .filter_map(|p| p.find(&self.text))
            .map(|m| m.start())
            .min()?;
        let line = self.text.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        u32::try_from(line).ok()
    }

    /// A document of `records` over `text`'s lines.
    pub fn new(records: Vec<Record>, text: &str) -> Self {
        let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
        let text = lines.join("\n");
        let mut starts = Vec::with_capacity(lines.len());
        if !lines.is_empty() {
            starts.push(0);
            starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        }
        Self {
            records,
            text,
            starts,
        }
    }

    /// Drops every line after the first `n` (the text of entries that are not read).
    fn keep_lines(&mut self, n: usize) {
        if n < self.starts.len() {
            self.text.truncate(self.starts[n].saturating_sub(1));
            self.text.shrink_to_fit();
            self.starts.truncate(n);
            self.starts.shrink_to_fit();
        }
    }

    /// How many lines the document has.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The lines, in order.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.starts.len()).map(move |i| self.nth_line(i))
    }

    fn nth_line(&self, i: usize) -> &str {
        let Some(&a) = self.starts.get(i) else { return "" };
        let b = self.starts.get(i + 1).map_or(self.text.len(), |&e| e - 1);
        &self.text[a..b]
    }

    /// The text of lines `from..=to` (1-based), joined with newlines.
    pub fn text(&self, from: u32, to: u32) -> String {
        let a = (from.max(1) - 1) as usize;
        let b = (to as usize).min(self.starts.len());
        if a >= b {
            return String::new();
        }
        let end = self.starts.get(b).map_or(self.text.len(), |&e| e - 1);
        self.text[self.starts[a]..end].to_string()
    }

    pub fn line(&self, line: u32) -> &str {
        self.nth_line((line.max(1) - 1) as usize)
    }
}

/// The most records kept from one document. Registers, plans and lineage maps are kept by
/// people (hundreds of entries, a few thousand for a lineage map); a document with more is
/// an export or an attack, and keeping every entry of 32 such files cost gigabytes. The
/// first entries are read and the report says the rest were not.
pub const MAX_RECORDS: usize = 20_000;

/// Parses a document by its extension. `Err` is a one-line note for the report; the raw
/// lines are still usable, so a broken YAML register yields a text-only document.
pub fn parse(path: &str, text: &str) -> (Document, Option<String>) {
    let (doc, err) = parse_all(path, text);
    if doc.records.len() <= MAX_RECORDS {
        return (doc, err);
    }
    let mut doc = doc;
    doc.records.truncate(MAX_RECORDS);
    let last = doc.records.iter().map(|r| r.line).max().unwrap_or(0);
    for r in &mut doc.records {
        r.end_line = r.end_line.min(last);
    }
    doc.keep_lines(last as usize);
    let note =
        format!("more than {MAX_RECORDS} entries: only the first {MAX_RECORDS} (to line {last}) are read");
    (doc, Some(err.map_or(note.clone(), |e| format!("{e}; {note}"))))
}

fn parse_all(path: &str, text: &str) -> (Document, Option<String>) {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let (records, err) = match ext.as_str() {
        "yaml" | "yml" => match node::parse_yaml_stream(text) {
            Ok(docs) => (
                docs.iter().flat_map(|d| records_from_node(d, None)).collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(format!("YAML parse error: {e}"))),
        },
        "json" => match Node::from_json(text) {
            Ok(doc) => (records_from_node(&doc, None), None),
            Err(e) => (
                Vec::new(),
                Some(format!("JSON parse error at {}:{}: {e}", e.line(), e.column())),
            ),
        },
        "csv" | "tsv" => csv_records(text, if ext == "tsv" { b'\t' } else { b',' }),
        _ => {
            let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
            markdown_records(&lines)
        }
    };
    (Document::new(records, text), err)
}

// ---------------------------------------------------------------------------------------
// YAML / JSON

/// Keys whose value names the entry (a vendor, a dataset, a scenario).
const IDENTITY_KEYS: &[&str] = &[
    "name",
    "vendor",
    "provider",
    "title",
    "id",
    "supplier",
    "company",
    "dataset name",
    "scenario",
    "model",
];

fn records_from_node(doc: &Node, title: Option<&str>) -> Vec<Record> {
    let mut out = Vec::new();
    collect_records(doc, title.unwrap_or(""), false, &[], &mut out);
    out
}

fn has_scalar_entry(entries: &[(node::Key, Node)]) -> bool {
    entries.iter().any(|(_, v)| matches!(v.value, Value::Scalar(_)))
}

/// A map becomes a record when it holds scalars or sits in a list; nested maps inside a
/// record are flattened into `parent key` fields; lists of maps become records of their own.
/// The entries of such a list inherit the fields of the record they sit in (`inherit`), so
/// a model version with its own fields and a `datasets:` list is one record per dataset,
/// each complete, and not a model record missing dataset fields plus dataset records
/// missing model fields.
fn collect_records(node: &Node, title: &str, in_list: bool, inherit: &[Field], out: &mut Vec<Record>) {
    match &node.value {
        Value::Map(entries) if in_list || has_scalar_entry(entries) => {
            let mut rec = Record {
                kind: RecordKind::Mapping,
                title: title.to_string(),
                line: node.line,
                end_line: node.line,
                fields: Vec::new(),
                container: false,
            };
            let mut children = Vec::new();
            flatten_fields(entries, "", &mut rec, &mut children);
            if let Some(id) = IDENTITY_KEYS
                .iter()
                .find_map(|k| rec.fields.iter().find(|f| &*f.norm == *k))
            {
                rec.title = id.value.clone();
            }
            if in_list {
                qualify_identity(&mut rec.fields, title);
                let own: Vec<Arc<str>> = rec.fields.iter().map(|f| f.norm.clone()).collect();
                rec.fields
                    .extend(inherit.iter().filter(|f| !own.contains(&f.norm)).cloned());
            }
            rec.end_line = max_line(node).max(rec.line);
            // What the list entries inherit: this record's own scalar fields, not the
            // flattened text of the lists themselves.
            let lists: Vec<&str> = children.iter().map(|(k, _)| k.as_str()).collect();
            let heritage: Vec<Field> = rec
                .fields
                .iter()
                .filter(|f| !lists.contains(&&*f.key))
                .cloned()
                .collect();
            let at = out.len();
            out.push(rec);
            let before = out.len();
            for (key, child) in children {
                collect_records(child, &key, false, &heritage, out);
            }
            out[at].container = out.len() > before;
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                collect_records(v, &k.text, false, inherit, out);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_records(item, title, true, inherit, out);
            }
        }
        _ => {}
    }
}

/// In an entry of a list named `datasets:`, `name:` is the dataset's name: the entry also
/// gets a `dataset name` field, so a check asking for a dataset name finds it.
fn qualify_identity(fields: &mut Vec<Field>, list: &str) {
    let list = norm_key(list);
    let singular = list
        .strip_suffix('s')
        .filter(|s| s.len() > 2 && !s.ends_with('s'))
        .unwrap_or(&list);
    if singular.is_empty() {
        return;
    }
    let Some(id) = fields
        .iter()
        .find(|f| matches!(&*f.norm, "name" | "id" | "title"))
        .cloned()
    else {
        return;
    };
    let key = format!("{singular} {}", id.norm);
    if fields.iter().any(|f| *f.norm == *key) {
        return;
    }
    fields.push(Field {
        norm: key.clone().into(),
        key: key.into(),
        ..id
    });
}

fn flatten_fields<'a>(
    entries: &'a [(node::Key, Node)],
    prefix: &str,
    rec: &mut Record,
    children: &mut Vec<(String, &'a Node)>,
) {
    for (k, v) in entries {
        let key = if prefix.is_empty() {
            k.text.clone()
        } else {
            format!("{prefix} {}", k.text)
        };
        match &v.value {
            Value::Map(inner) => flatten_fields(inner, &key, rec, children),
            Value::Seq(items) if items.iter().any(|i| matches!(i.value, Value::Map(_))) => {
                children.push((key.clone(), v));
                rec.fields.push(Field {
                    norm: norm_key(&key).into(),
                    key: key.into(),
                    value: v.flat_text(),
                    line: k.line,
                });
            }
            _ => rec.fields.push(Field {
                norm: norm_key(&key).into(),
                key: key.into(),
                value: v.flat_text(),
                line: k.line,
            }),
        }
    }
}

fn max_line(node: &Node) -> u32 {
    match &node.value {
        Value::Seq(items) => items.iter().map(max_line).max().unwrap_or(node.line),
        Value::Map(entries) => entries
            .iter()
            .map(|(_, v)| max_line(v))
            .max()
            .unwrap_or(node.line),
        _ => node.line,
    }
}

// ---------------------------------------------------------------------------------------
// CSV

fn csv_records(text: &str, delimiter: u8) -> (Vec<Record>, Option<String>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<Arc<str>> = match reader.headers() {
        Ok(h) => h.iter().map(Arc::from).collect(),
        Err(e) => return (Vec::new(), Some(format!("CSV parse error: {e}"))),
    };
    let norms: Vec<Arc<str>> = headers.iter().map(|h| norm_key(h).into()).collect();
    let mut out = Vec::new();
    let mut err = None;
    for row in reader.records() {
        if out.len() > MAX_RECORDS {
            break;
        }
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                err = Some(format!("CSV parse error: {e}"));
                break;
            }
        };
        let line = row
            .position()
            .map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX));
        let fields: Vec<Field> = headers
            .iter()
            .zip(&norms)
            .zip(row.iter())
            .map(|((k, norm), v)| Field {
                key: k.clone(),
                norm: norm.clone(),
                value: v.to_string(),
                line,
            })
            .collect();
        let title = identity_of(&fields);
        out.push(Record {
            kind: RecordKind::CsvRow,
            title,
            line,
            end_line: line,
            fields,
            container: false,
        });
    }
    (out, err)
}

fn identity_of(fields: &[Field]) -> String {
    IDENTITY_KEYS
        .iter()
        .find_map(|k| {
            fields
                .iter()
                .find(|f| &*f.norm == *k || f.norm.starts_with(&format!("{k} ")))
        })
        .or(fields.first())
        .map(|f| f.value.trim().to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Markdown and plain text

static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(#{1,6})\s+(.+?)\s*#*\s*$").unwrap());
/// `- Key: value`, `* **Key:** value`, `Key: value`, `| Key | value |` is handled as a table.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?)?(?:\*\*|__)?([A-Za-z][A-Za-z0-9 /()&'._-]{0,60}?)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$").unwrap()
});

fn split_row(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator_row(line: &str) -> bool {
    let t = line.trim();
    t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

fn strip_md(s: &str) -> String {
    s.replace("**", "")
        .replace("__", "")
        .replace('`', "")
        .trim()
        .to_string()
}

/// A Markdown table read as records, or as the fields of the section it sits in.
enum Table {
    Rows(Vec<Record>),
    Fields(Vec<Field>),
}

/// Headers of a two-column table that lists one record's fields vertically
/// (`| Field | Value |`, `| Attribute | Details |`).
fn is_vertical(norms: &[Arc<str>]) -> bool {
    let [key, value] = norms else { return false };
    matches!(
        &**key,
        "" | "field"
            | "fields"
            | "key"
            | "attribute"
            | "property"
            | "item"
            | "parameter"
            | "aspect"
            | "element"
    ) && matches!(
        &**value,
        "value" | "values" | "detail" | "details" | "entry" | "answer" | "response" | "information" | "info"
    )
}

/// The table whose header is `lines[i]` (then a separator row, then body rows), reading at
/// most `room` rows as records; and the index of the first line after it. A vertical table
/// (`| Field | Value |`) is one record written downwards: its rows are fields.
fn read_table(lines: &[&str], i: usize, room: usize) -> (Table, usize) {
    let headers: Vec<Arc<str>> = split_row(lines[i])
        .iter()
        .map(|h| Arc::from(strip_md(h)))
        .collect();
    let norms: Vec<Arc<str>> = headers.iter().map(|h| norm_key(h).into()).collect();
    let vertical = is_vertical(&norms);
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    let mut j = i + 2;
    while j < lines.len() && lines[j].trim_start().starts_with('|') && rows.len() < room {
        let row_line = u32::try_from(j + 1).unwrap_or(u32::MAX);
        let cells = split_row(lines[j]);
        j += 1;
        if vertical {
            let key = strip_md(cells.first().map_or("", String::as_str));
            if !key.is_empty() {
                fields.push(Field {
                    norm: norm_key(&key).into(),
                    key: key.into(),
                    value: strip_md(cells.get(1).map_or("", String::as_str)),
                    line: row_line,
                });
            }
            continue;
        }
        let fields: Vec<Field> = headers
            .iter()
            .zip(&norms)
            .zip(cells.iter())
            .map(|((k, norm), v)| Field {
                key: k.clone(),
                norm: norm.clone(),
                value: strip_md(v),
                line: row_line,
            })
            .collect();
        rows.push(Record {
            kind: RecordKind::TableRow,
            title: identity_of(&fields),
            line: row_line,
            end_line: row_line,
            fields,
            container: false,
        });
    }
    if vertical {
        (Table::Fields(fields), j)
    } else {
        (Table::Rows(rows), j)
    }
}

/// The fields of a Markdown file's YAML front matter (lines are file lines), the index of
/// the first line after it (0 without front matter) and a parse error, if any.
fn front_matter_fields(lines: &[&str]) -> (Vec<Field>, usize, Option<String>) {
    if lines.first().is_none_or(|l| l.trim() != "---") {
        return (Vec::new(), 0, None);
    }
    let Some(end) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "---" || l.trim() == "...")
    else {
        return (Vec::new(), 0, None);
    };
    let body = lines[1..=end].join("\n");
    let mut tmp = Record {
        kind: RecordKind::Document,
        title: String::new(),
        line: 1,
        end_line: 1,
        fields: Vec::new(),
        container: false,
    };
    let err = match node::parse_yaml(&body) {
        Ok(front) => {
            if let Value::Map(entries) = &front.value {
                flatten_fields(entries, "", &mut tmp, &mut Vec::new());
            }
            None
        }
        Err(e) => Some(format!("front matter YAML parse error: {e}")),
    };
    for f in &mut tmp.fields {
        f.line += 1; // front matter starts on line 2
    }
    (tmp.fields, end + 2, err)
}

fn markdown_records(lines: &[&str]) -> (Vec<Record>, Option<String>) {
    let mut out: Vec<Record> = Vec::new();
    let n = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    let mut doc = Record {
        kind: RecordKind::Document,
        title: String::new(),
        line: 1,
        end_line: n.max(1),
        fields: Vec::new(),
        container: false,
    };
    // Front matter: its fields are the document's; reading goes on after it.
    let (front, mut i, err) = front_matter_fields(lines);
    doc.fields.extend(front);

    // Open heading records, innermost last: (index in out, level).
    let mut stack: Vec<(usize, u8)> = Vec::new();
    let mut in_code = false;
    while i < lines.len() && out.len() <= MAX_RECORDS {
        let line = &lines[i];
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_code = !in_code;
            i += 1;
            continue;
        }
        if in_code {
            i += 1;
            continue;
        }
        if let Some(c) = HEADING.captures(line) {
            let level = u8::try_from(c[1].len()).unwrap_or(6);
            while stack.last().is_some_and(|&(_, l)| l >= level) {
                let (idx, _) = stack.pop().unwrap_or_default();
                out[idx].end_line = lineno - 1;
            }
            out.push(Record {
                kind: RecordKind::Heading(level),
                title: strip_md(&c[2]),
                line: lineno,
                end_line: n,
                fields: Vec::new(),
                container: false,
            });
            stack.push((out.len() - 1, level));
            i += 1;
            continue;
        }
        // A table: header row, separator row, body rows.
        if t.starts_with('|') && lines.get(i + 1).is_some_and(|l| is_separator_row(l)) {
            let (table, next) = read_table(lines, i, MAX_RECORDS + 1 - out.len().min(MAX_RECORDS + 1));
            match table {
                Table::Rows(rows) => out.extend(rows),
                Table::Fields(fields) => match stack.last() {
                    Some(&(idx, _)) => out[idx].fields.extend(fields),
                    None => doc.fields.extend(fields),
                },
            }
            i = next;
            continue;
        }
        if let Some(c) = KEY_VALUE.captures(line) {
            let key = strip_md(&c[1]);
            // Prose sentences with a colon are not fields: keys are short.
            if key.split_whitespace().count() <= 6 && !key.ends_with('.') {
                let field = Field {
                    norm: norm_key(&key).into(),
                    key: key.into(),
                    value: strip_md(&c[2]),
                    line: lineno,
                };
                match stack.last() {
                    Some(&(idx, _)) => out[idx].fields.push(field),
                    None => doc.fields.push(field),
                }
            }
        }
        i += 1;
    }
    if !doc.fields.is_empty() {
        doc.title = out
            .iter()
            .find(|r| matches!(r.kind, RecordKind::Heading(1)))
            .map(|r| r.title.clone())
            .unwrap_or_default();
        out.insert(0, doc);
    }
    (out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A register with more entries than anyone keeps by hand: the first `MAX_RECORDS` are
    /// read, the text after them is dropped, and the note says where reading stopped.
    #[test]
    fn records_are_capped_per_document() {
        let mut md = String::from("# Vendors\n\n| Vendor | DPA |\n|---|---|\n");
        for i in 0..MAX_RECORDS + 50 {
            md.push_str(&format!("| V{i} | yes |\n"));
        }
        let (doc, err) = parse("vendors.md", &md);
        assert_eq!(doc.records.len(), MAX_RECORDS);
        let last = doc.records.last().unwrap();
        assert_eq!(last.title, format!("V{}", MAX_RECORDS - 2));
        assert_eq!(doc.line_count(), last.line as usize);
        assert!(!doc.text.contains(&format!("V{} ", MAX_RECORDS + 49)));
        assert_eq!(
            err.as_deref(),
            Some(&*format!(
                "more than {MAX_RECORDS} entries: only the first {MAX_RECORDS} (to line {}) are read",
                last.line
            ))
        );
        let mut csv = String::from("vendor,dpa\n");
        for i in 0..MAX_RECORDS + 5 {
            csv.push_str(&format!("V{i},yes\n"));
        }
        let (doc, err) = parse("vendors.csv", &csv);
        assert_eq!(doc.records.len(), MAX_RECORDS);
        assert!(err.is_some());
        let (doc, err) = parse("vendors.csv", "vendor,dpa\nA,yes\n");
        assert_eq!((doc.records.len(), err), (1, None));
    }

    #[test]
    fn lineage_template_bullets() {
        let md = "# Lineage: churn model\n\n- Dataset Name: customer_support_v3\n- Consent Basis: ToS 4.2\n- **Last Compliance Review:** 2025-11-15 (passed)\n";
        let (doc, err) = parse("ml/lineage.md", md);
        assert!(err.is_none());
        let r = &doc.records[0];
        assert_eq!(r.title, "Lineage: churn model");
        assert_eq!(r.fields.len(), 3);
        assert_eq!(r.field(&["consent basis".into()]).unwrap().line, 4);
        assert_eq!(
            r.field(&["last compliance review".into()]).unwrap().value,
            "2025-11-15 (passed)"
        );
    }

    #[test]
    fn markdown_table_rows_are_records() {
        let md = "# Vendors\n\n| Vendor | DPA |\n|---|---|\n| OpenAI | Signed |\n| Anthropic | TODO |\n";
        let (doc, _) = parse("vendors.md", md);
        let rows: Vec<_> = doc
            .records
            .iter()
            .filter(|r| r.kind == RecordKind::TableRow)
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].title, "Anthropic");
        assert_eq!(rows[1].line, 6);
    }

    #[test]
    fn yaml_and_csv_registers() {
        let y = "vendors:\n  - name: OpenAI\n    dpa: signed\n    soc2:\n      type: II\n      date: 2026-01-10\n";
        let (doc, _) = parse("vendors.yaml", y);
        assert_eq!(doc.records.len(), 1);
        assert_eq!(doc.records[0].title, "OpenAI");
        assert_eq!(doc.records[0].field(&["soc2 date".into()]).unwrap().line, 6);
        let c = "Vendor,DPA\nOpenAI,yes\n\"Anthropic, PBC\",no\n";
        let (doc, _) = parse("vendors.csv", c);
        assert_eq!(doc.records[1].title, "Anthropic, PBC");
        assert_eq!(doc.records[1].line, 3);
    }

    #[test]
    fn heading_sections_end_at_next_peer() {
        let md = "# Plan\n## Prompt injection\nSeverity: high\n### Steps\nblock\n## Jailbreak\n";
        let (doc, _) = parse("ir.md", md);
        let pi = doc
            .records
            .iter()
            .find(|r| r.title == "Prompt injection")
            .unwrap();
        assert_eq!((pi.line, pi.end_line), (2, 5));
    }
}
