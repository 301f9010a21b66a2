//! `register`: a register cross-referenced against what the code uses. With a catalogue,
//! every item in use (an AI vendor) must have an entry in a document of the given kind —
//! one gap item per missing vendor, pointing at its usage sites — and each matched entry
//! must have complete fields — one gap item per missing or stale field, pointing at the
//! entry's line. Without a catalogue, every record of the documents is checked for the
//! fields (lineage records, review records).

use rayon::prelude::*;
use serde::Deserialize;
use serde_saphyr::Spanned;

use std::borrow::Cow;

use super::catalog::Catalog;
use super::catalog::{CatalogItem, SignalKind};
use super::fields::{FieldRule, FieldSpec};
use super::inventory::{Inventory, Spec as InventorySpec};
use super::{CompileCx, Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::workspace::document::{Record, RecordKind};
use crate::workspace::EvidenceDoc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The document kind holding the register.
    pub document: Spanned<String>,
    /// Cross-reference this catalogue's items in use.
    pub catalog: Option<Spanned<String>>,
    /// Report items in use with no entry (default true). Set false in a control that only
    /// checks completeness, so a missing vendor is not reported twice.
    #[serde(default = "yes")]
    pub missing_entries: bool,
    /// Fields every entry must have.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

fn yes() -> bool {
    true
}

#[derive(Debug)]
pub struct Register {
    kind: String,
    usage: Option<(usize, Inventory)>,
    missing_entries: bool,
    fields: Vec<FieldRule>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Register> {
        let kind = cx.doc_kind(&self.document);
        let usage = match &self.catalog {
            Some(name) => {
                let idx = cx.catalog(name)?;
                let inv = InventorySpec {
                    catalog: name.clone(),
                    signals: Vec::new(),
                    group: Default::default(),
                    message: None,
                    require_declared: false,
                    // The register lists the company's own subprocessors; customer-configured
                    // integrations and offered APIs are another control's note.
                    roles: vec![super::inventory::Role::Own],
                    models_only: false,
                    require_role_declared: false,
                    defer_to_register: None,
                    integration_keys: Vec::new(),
                }
                .compile(cx)?;
                Some((idx, inv))
            }
            None => None,
        };
        let fields: Vec<FieldRule> = self.fields.iter().filter_map(|f| f.compile(cx)).collect();
        if fields.len() != self.fields.len() {
            return None;
        }
        if usage.is_none() && fields.is_empty() {
            cx.error(
                None,
                "`register` needs a `catalog` to cross-reference or `fields` to check",
            );
            return None;
        }
        Some(Register {
            kind,
            usage,
            missing_entries: self.missing_entries,
            fields,
        })
    }
}

/// Records that can be register entries: table rows, CSV rows, YAML/JSON mappings, and
/// headed sections with fields. A record whose first key comes back (`Vendor: OpenAI`,
/// `DPA: …`, `Vendor: Anthropic`, `DPA: …` written as one `Key: value` list) is a list of
/// entries, one starting at each repetition.
pub(crate) fn entries(doc: &EvidenceDoc) -> Vec<Cow<'_, Record>> {
    let mut out = Vec::new();
    for r in doc
        .doc
        .records
        .iter()
        .filter(|r| !(r.fields.is_empty() || (r.kind == RecordKind::Document && r.fields.len() < 2)))
    {
        let first = &r.fields[0].norm;
        let starts: Vec<usize> = (0..r.fields.len())
            .filter(|&i| r.fields[i].norm == *first)
            .collect();
        if starts.len() < 2 || !matches!(r.kind, RecordKind::Document | RecordKind::Heading(_)) {
            out.push(Cow::Borrowed(r));
            continue;
        }
        for (n, &a) in starts.iter().enumerate() {
            let b = starts.get(n + 1).copied().unwrap_or(r.fields.len());
            let fields = r.fields[a..b].to_vec();
            let end_line = match starts.get(n + 1) {
                Some(&next) => r.fields[next].line.saturating_sub(1),
                None => r.end_line,
            };
            out.push(Cow::Owned(Record {
                kind: r.kind,
                title: fields[0].value.trim().to_string(),
                line: fields[0].line,
                end_line,
                fields,
                container: false,
            }));
        }
    }
    out
}

/// An entry that is still a template: at least half of its fields are TODO.
fn is_placeholder(record: &Record) -> bool {
    use crate::text::{value_state, ValueState};
    let todo = record
        .fields
        .iter()
        .filter(|f| value_state(&f.value) == ValueState::Todo)
        .count();
    todo > 0 && todo * 2 >= record.fields.len()
}

/// What names an entry, as written: its name column (`vendor_name: OpenAI`), else its
/// title, else its first field's value.
fn entry_name(record: &Record, catalog: &Catalog) -> String {
    catalog
        .name_columns
        .iter()
        .find_map(|k| record.fields.iter().find(|f| &*f.norm == k))
        .map(|f| f.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .or_else(|| (!record.title.is_empty()).then(|| record.title.clone()))
        .or_else(|| record.fields.first().map(|f| f.value.trim().to_string()))
        .unwrap_or_default()
}

/// [`entry_name`] in lower case, for matching.
fn identity(record: &Record, catalog: &Catalog) -> String {
    entry_name(record, catalog).to_lowercase()
}

/// A byte range of a text.
type Span = (usize, usize);

/// The spans of `hay` where one of `names` occurs as whole words.
fn spans(hay: &str, names: &[String]) -> Vec<(usize, usize)> {
    names.iter().flat_map(|n| word_spans(hay, n)).collect()
}

fn word_spans(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let mut start = 0;
    while let Some(pos) = hay[start..].find(needle) {
        let a = start + pos;
        let b = a + needle.len();
        if whole_word(hay, a, b) {
            out.push((a, b));
        }
        start = b;
        if start >= hay.len() {
            break;
        }
    }
    out
}

/// True when `hay[a..b]` is not part of a longer word.
fn whole_word(hay: &str, a: usize, b: usize) -> bool {
    hay[..a].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
        && hay[b..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// What a catalogue name is of its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Name,
    Product,
    Parent,
}

/// Every lower-cased name, product and parent-company name of a catalogue in one
/// automaton: an entry's identity is searched once, not once per name (a register of a
/// few hundred thousand rows times a few hundred names was seconds of searcher set-up).
struct NameFinder {
    ac: Option<aho_corasick::AhoCorasick>,
    /// Per pattern: the items and kinds it names (one text may name several).
    owners: Vec<Vec<(usize, NameKind)>>,
}

/// Whole-word occurrences of catalogue names in a text: (item, kind, span).
type NameHits = Vec<(usize, NameKind, Span)>;

impl NameFinder {
    fn new(catalog: &Catalog) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<(usize, NameKind)>> = Vec::new();
        for (i, item) in catalog.items.iter().enumerate() {
            let kinds = [
                (&item.names, NameKind::Name),
                (&item.products, NameKind::Product),
                (&item.parent_names, NameKind::Parent),
            ];
            for (list, kind) in kinds {
                for n in list.iter().filter(|n| !n.is_empty()) {
                    match patterns.iter().position(|p| p == n) {
                        Some(k) => owners[k].push((i, kind)),
                        None => {
                            patterns.push(n);
                            owners.push(vec![(i, kind)]);
                        }
                    }
                }
            }
        }
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&patterns)
            .ok();
        Self { ac, owners }
    }

    /// Where catalogue names occur in `hay` (lower case) as whole words.
    fn find(&self, hay: &str) -> NameHits {
        let mut out = Vec::new();
        let Some(ac) = &self.ac else { return out };
        for m in ac.find_overlapping_iter(hay) {
            if !whole_word(hay, m.start(), m.end()) {
                continue;
            }
            for &(i, kind) in &self.owners[m.pattern().as_usize()] {
                out.push((i, kind, (m.start(), m.end())));
            }
        }
        out
    }
}

/// The catalogue items an entry names, by index: the items its identity names by name,
/// alias or product — a name inside a longer name of another item is that item's
/// (`Azure OpenAI` is not `OpenAI`), and a product is not the item's when another item is
/// named outright (`Amazon Bedrock (Claude)` is Bedrock's, not Anthropic's) — and the
/// items whose parent company it names while a services or products column lists them.
fn named_items(record: &Record, catalog: &Catalog, finder: &NameFinder) -> Vec<usize> {
    let id = identity(record, catalog);
    let hits = finder.find(&id);
    if hits.is_empty() {
        return Vec::new();
    }
    // Name and product spans of every item named.
    let all: Vec<(usize, Span)> = hits
        .iter()
        .filter(|(_, k, _)| *k != NameKind::Parent)
        .map(|&(i, _, s)| (i, s))
        .collect();
    // A span of item `i` not strictly inside a longer span of another item.
    let free = |i: usize, (a, b): Span| {
        !all.iter()
            .any(|&(j, (c, d))| j != i && c <= a && b <= d && d - c > b - a)
    };
    let free_of = |kind: NameKind| -> Vec<usize> {
        let mut items: Vec<usize> = hits
            .iter()
            .filter(|&&(i, k, s)| k == kind && free(i, s))
            .map(|&(i, _, _)| i)
            .collect();
        items.sort_unstable();
        items.dedup();
        items
    };
    let by_name = free_of(NameKind::Name);
    // Then, in catalogue order: items named by a product (when none is named outright),
    // and items whose parent the entry names while listing them.
    let mut more = if by_name.is_empty() {
        free_of(NameKind::Product)
    } else {
        Vec::new()
    };
    let mut parents: Vec<usize> = hits
        .iter()
        .filter(|(_, k, _)| *k == NameKind::Parent)
        .map(|&(i, _, _)| i)
        .collect();
    parents.sort_unstable();
    parents.dedup();
    for i in parents {
        if !by_name.contains(&i) && !more.contains(&i) && lists_item(record, catalog, finder, i) {
            more.push(i);
        }
    }
    more.sort_unstable();
    let mut out = by_name;
    out.extend(more);
    out
}

/// True when one of the entry's services or products columns names item `i` (the entry's
/// identity names the item's parent company).
fn lists_item(record: &Record, catalog: &Catalog, finder: &NameFinder, i: usize) -> bool {
    record
        .fields
        .iter()
        .filter(|f| {
            catalog
                .product_columns
                .iter()
                .any(|k| crate::text::key_matches(&f.norm, k))
        })
        .any(|f| {
            finder
                .find(&f.value.to_lowercase())
                .iter()
                .any(|&(j, k, _)| j == i && k != NameKind::Parent)
        })
}

/// The entries of a register with the catalogue items each names.
pub(crate) struct RegisterIndex<'a> {
    pub entries: Vec<(&'a EvidenceDoc, Cow<'a, Record>, Vec<usize>)>,
}

impl<'a> RegisterIndex<'a> {
    pub fn new(docs: &[&'a EvidenceDoc], catalog: &Catalog) -> Self {
        let finder = NameFinder::new(catalog);
        let mut out = Vec::new();
        for d in docs {
            for r in entries(d) {
                let items = named_items(&r, catalog, &finder);
                out.push((*d, r, items));
            }
        }
        Self { entries: out }
    }

    /// The first entry naming item `i`, by its index in `entries`.
    pub fn entry_of(&self, i: usize) -> Option<usize> {
        self.entries.iter().position(|(_, _, items)| items.contains(&i))
    }

    /// The first entry whose identity names item `i`'s parent company (one that does not
    /// list the item: [`Self::entry_of`] found none).
    pub fn parent_entry(
        &self,
        catalog: &Catalog,
        i: usize,
    ) -> Option<&(&'a EvidenceDoc, Cow<'a, Record>, Vec<usize>)> {
        let parents = &catalog.items[i].parent_names;
        if parents.is_empty() {
            return None;
        }
        self.entries
            .iter()
            .find(|(_, r, _)| !spans(&identity(r, catalog), parents).is_empty())
    }
}

impl Register {
    /// The document kind this check reads.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!(
            "{}{}",
            if self.usage.is_some() {
                format!("every item in use has an entry in the {}", self.kind)
            } else {
                format!("every {} record", self.kind)
            },
            if self.fields.is_empty() {
                String::new()
            } else {
                format!(
                    " with complete fields: {}",
                    self.fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let docs: Vec<&EvidenceDoc> = cx.docs_of(&self.kind).collect();
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        match &self.usage {
            Some((catalog, inventory)) => {
                self.evaluate_catalog(cx, &docs, *catalog, inventory, &mut passed, &mut failed);
            }
            None => {
                // A record is an entry when it has at least two of the required fields (or
                // the only one); other sections of the document (an evaluation table, a
                // change log) are not entries with missing fields.
                let min = self.fields.len().min(2);
                for doc in &docs {
                    let mut any = false;
                    // A container's list entries carry its fields and are checked instead.
                    for record in entries(doc).into_iter().filter(|r| {
                        !r.container && self.fields.iter().filter(|f| f.has_key(r)).count() >= min
                    }) {
                        any = true;
                        let name = if record.title.is_empty() {
                            cx.ws.file(doc.file).path.clone()
                        } else {
                            record.title.clone()
                        };
                        self.check_fields(cx, doc, &record, &name, &mut passed, &mut failed);
                    }
                    if !any {
                        let path = &cx.ws.file(doc.file).path;
                        failed.push(Item::new(
                            format!(
                                "{path} holds no {} with the required fields ({})",
                                super::document::kind_title(cx, &self.kind).to_lowercase(),
                                self.fields
                                    .iter()
                                    .map(|f| f.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            format!("empty:{path}"),
                            vec![cx.ws.doc_pointer(doc, 1)],
                        ));
                    }
                }
                if docs.is_empty() {
                    failed.push(Item::absent(
                        format!("No {} found", cx.describe_kind(&self.kind)),
                        &self.kind,
                        Vec::new(),
                    ));
                }
            }
        }
        if self.usage.is_some() && failed.is_empty() && passed.is_empty() {
            // Nothing in use: the register has nothing to prove.
            return Outcome {
                holds: true,
                passed,
                failed,
            };
        }
        Outcome::complete(passed, failed)
    }

    /// Every catalogue item in use has an entry (or a finding saying it has none), and each
    /// entry naming items in use is checked once for its fields: a "Google Cloud" entry
    /// listing Vertex AI and Gemini is one entry with one set of problems.
    fn evaluate_catalog(
        &self,
        cx: &Context<'_>,
        docs: &[&EvidenceDoc],
        catalog: usize,
        inventory: &Inventory,
        passed: &mut Vec<Item>,
        failed: &mut Vec<Item>,
    ) {
        let catalog = &cx.catalogs[catalog];
        let index = RegisterIndex::new(docs, catalog);
        // Entries naming items in use, with those items, in the order first met.
        let mut used: Vec<(usize, Vec<&CatalogItem>)> = Vec::new();
        // Each item's sites on all cores (see `Inventory::evaluate`), read in order.
        let all_sites: Vec<_> = catalog
            .items
            .par_iter()
            .map(|item| inventory.sites(cx, item))
            .collect();
        for ((i, item), sites) in catalog.items.iter().enumerate().zip(all_sites) {
            if sites.is_empty() {
                continue;
            }
            match index.entry_of(i) {
                Some(e) => match used.iter_mut().find(|(x, _)| *x == e) {
                    Some((_, items)) => items.push(item),
                    None => used.push((e, vec![item])),
                },
                None if self.missing_entries => {
                    failed.push(self.missing(cx, docs, &index, catalog, i, sites));
                }
                None => {}
            }
        }
        for (e, items) in used {
            let (doc, record, _) = &index.entries[e];
            let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
            let name = crate::text::join_and(&names);
            if self.missing_entries && is_placeholder(record) {
                let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
                failed.push(Item::new(
                    format!("{name}: the register entry is incomplete: TODO (a template is not evidence until filled)"),
                    format!("placeholder:{}", ids.join(",")),
                    vec![cx.ws.doc_pointer(doc, record.line)],
                ));
            } else {
                self.check_fields(cx, doc, record, &name, passed, failed);
            }
        }
    }

    /// The finding for item `i`, used with no register entry: where it is used, and the
    /// parent company's entry that does not list it, if there is one.
    fn missing(
        &self,
        cx: &Context<'_>,
        docs: &[&EvidenceDoc],
        index: &RegisterIndex<'_>,
        catalog: &Catalog,
        i: usize,
        sites: Vec<(SignalKind, Pointer)>,
    ) -> Item {
        let item = &catalog.items[i];
        // Every site: renderers cap what they show ("… and N more"), the JSON lists all.
        let mut pointers: Vec<Pointer> = sites
            .into_iter()
            .map(|(kind, p)| p.labelled(format!("{} · {}", item.name, kind.as_str())))
            .collect();
        let where_ = if docs.is_empty() {
            format!(
                "no {} was found",
                super::document::kind_title(cx, &self.kind).to_lowercase()
            )
        } else if let Some((doc, record, _)) = index.parent_entry(catalog, i) {
            let path = &cx.ws.file(doc.file).path;
            let parent = entry_name(record, catalog);
            pointers.push(
                cx.ws
                    .doc_pointer(doc, record.line)
                    .labelled(format!("{parent} entry")),
            );
            format!(
                "the register has no entry for it (the {parent} entry at {path}:{} lists no {} in a services or products column)",
                record.line, item.name
            )
        } else {
            "the register has no entry for it".to_string()
        };
        Item::new(
            format!("{} is used but {where_}", item.name),
            format!("missing:{}", item.id),
            pointers,
        )
    }

    fn check_fields(
        &self,
        cx: &Context<'_>,
        doc: &EvidenceDoc,
        record: &Record,
        name: &str,
        passed: &mut Vec<Item>,
        failed: &mut Vec<Item>,
    ) {
        let path = &cx.ws.file(doc.file).path;
        let mut ok = true;
        for rule in &self.fields {
            if let Some(p) = rule.problem(record, cx.as_of) {
                ok = false;
                failed.push(Item::new(
                    format!("{name}: {}", p.message),
                    format!("field:{}|{}", crate::text::norm_words(name), p.field),
                    vec![cx.ws.doc_pointer(doc, p.line)],
                ));
            }
        }
        if ok {
            passed.push(Item::new(
                format!("{name}: entry in {path}:{}", record.line),
                format!("entry:{name}"),
                vec![cx.ws.doc_pointer(doc, record.line).labelled(name.to_string())],
            ));
        }
    }
}
