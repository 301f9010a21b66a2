//! `register`: a register cross-referenced against what the code uses. With a catalogue,
//! every item in use (an AI vendor) must have an entry in a document of the given kind —
//! one gap item per missing vendor, pointing at its usage sites — and each matched entry
//! must have complete fields — one gap item per missing or stale field, pointing at the
//! entry's line. Without a catalogue, every record of the documents is checked for the
//! fields (lineage records, review records).

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::fields::{FieldRule, FieldSpec};
use super::inventory::{Inventory, Spec as InventorySpec};
use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
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
/// headed sections with fields.
pub(crate) fn entries(doc: &EvidenceDoc) -> impl Iterator<Item = &Record> {
    doc.doc
        .records
        .iter()
        .filter(|r| !(r.fields.is_empty() || (r.kind == RecordKind::Document && r.fields.len() < 2)))
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

/// True when `record` names one of `names` (lower case): in its title or identity fields.
pub(crate) fn names_item(record: &Record, names: &[String]) -> bool {
    let title = record.title.to_lowercase();
    let hay = if title.is_empty() {
        record
            .fields
            .first()
            .map(|f| f.value.to_lowercase())
            .unwrap_or_default()
    } else {
        title
    };
    names.iter().any(|n| contains_words(&hay, n))
}

fn contains_words(hay: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = hay[start..].find(needle) {
        let a = start + pos;
        let b = a + needle.len();
        let before = hay[..a].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = hay[b..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        start = a + needle.len().max(1);
        if start >= hay.len() {
            break;
        }
    }
    false
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
                for item in &cx.catalogs[*catalog].items {
                    let sites = inventory.sites(cx, item);
                    if sites.is_empty() {
                        continue;
                    }
                    let entry = docs
                        .iter()
                        .find_map(|d| entries(d).find(|r| names_item(r, &item.names)).map(|r| (*d, r)));
                    match entry {
                        None if self.missing_entries => {
                            let pointers = sites
                                .into_iter()
                                .take(10)
                                .map(|(kind, p)| p.labelled(format!("{} · {}", item.name, kind.as_str())))
                                .collect();
                            let where_ = if docs.is_empty() {
                                format!(
                                    "no {} was found",
                                    super::document::kind_title(cx, &self.kind).to_lowercase()
                                )
                            } else {
                                "the register has no entry for it".to_string()
                            };
                            failed.push(Item::new(
                                format!("{} is used but {where_}", item.name),
                                format!("missing:{}", item.id),
                                pointers,
                            ));
                        }
                        None => {}
                        Some((doc, record)) if self.missing_entries && is_placeholder(record) => {
                            failed.push(Item::new(
                                format!("{}: the register entry is incomplete: TODO (a template is not evidence until filled)", item.name),
                                format!("placeholder:{}", item.id),
                                vec![cx.ws.doc_pointer(doc, record.line)],
                            ));
                        }
                        Some((doc, record)) => {
                            self.check_fields(cx, doc, record, &item.name, &mut passed, &mut failed)
                        }
                    }
                }
            }
            None => {
                // A record is an entry when it has at least two of the required fields (or
                // the only one); other sections of the document (an evaluation table, a
                // change log) are not entries with missing fields.
                let min = self.fields.len().min(2);
                for doc in &docs {
                    let mut any = false;
                    // A container's list entries carry its fields and are checked instead.
                    for record in entries(doc).filter(|r| {
                        !r.container && self.fields.iter().filter(|f| f.has_key(r)).count() >= min
                    }) {
                        any = true;
                        let name = if record.title.is_empty() {
                            cx.ws.file(doc.file).path.clone()
                        } else {
                            record.title.clone()
                        };
                        self.check_fields(cx, doc, record, &name, &mut passed, &mut failed);
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
                    failed.push(Item::new(
                        format!("No {} found", cx.describe_kind(&self.kind)),
                        format!("absent:{}", self.kind),
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
                    format!("field:{}|{}", crate::text::norm_key(name), p.field),
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
