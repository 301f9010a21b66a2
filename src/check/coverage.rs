//! `coverage`: a document of a kind covers each topic (the AI incident scenarios), and, when
//! `require` is given, the section of each covered topic states each requirement (severity,
//! response steps, who is notified, response time).
//!
//! A topic is found, in order of preference, as a heading, table row or YAML key whose
//! title matches; otherwise as any line that matches, whose section is the smallest record
//! containing it. Synonyms are regexes in the control's YAML, so "indirect injection" or
//! "jailbreak" can be taught without Rust.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::OneOrMany;
use super::{CompileCx, Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::text::{value_state, ValueState};
use crate::workspace::document::{Record, RecordKind};
use crate::workspace::EvidenceDoc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    #[serde(rename = "match")]
    pub patterns: Spanned<OneOrMany<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub document: Spanned<String>,
    pub topics: Vec<TopicSpec>,
    /// What each covered topic's section must state.
    #[serde(default)]
    pub require: Vec<TopicSpec>,
    /// Report topics that are not covered at all (default true). A control that checks only
    /// the details of covered topics sets this to false.
    #[serde(default = "yes")]
    pub missing_topics: bool,
    /// Report a missing document (default true). A control whose other check already
    /// reports the absence (a cadence of records) sets this to false: with no document
    /// other than unfilled templates, the coverage then holds.
    #[serde(default = "yes")]
    pub missing_documents: bool,
    /// A statement outside every topic's section that applies to all of them ("for every AI
    /// incident the ML on-call joins and Model Risk is informed within 4 hours"): a line
    /// matching one of these, or the body of a section whose heading matches one. What it
    /// states is inherited by each topic's section that does not state it itself.
    #[serde(default)]
    pub document_wide: Option<Spanned<OneOrMany<String>>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug)]
struct Topic {
    name: String,
    patterns: Vec<crate::workspace::matcher::LazyRegex>,
}

impl Topic {
    fn is_match(&self, text: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(text))
    }
}

#[derive(Debug)]
pub struct Coverage {
    kind: String,
    topics: Vec<Topic>,
    require: Vec<Topic>,
    missing_topics: bool,
    missing_documents: bool,
    document_wide: Vec<crate::workspace::matcher::LazyRegex>,
}

fn compile_topics(cx: &mut CompileCx<'_>, specs: &[TopicSpec]) -> Option<Vec<Topic>> {
    let mut out = Vec::new();
    for t in specs {
        let compiled = cx.regexes(&t.patterns)?;
        out.push(Topic {
            name: t.name.clone(),
            patterns: compiled.into_iter().map(|(_, re)| re).collect(),
        });
    }
    Some(out)
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Coverage> {
        let kind = cx.doc_kind(&self.document);
        let topics = compile_topics(cx, &self.topics)?;
        let require = compile_topics(cx, &self.require)?;
        if topics.is_empty() {
            cx.error(None, "`coverage` needs at least one topic");
            return None;
        }
        let document_wide = match &self.document_wide {
            Some(list) => cx.regexes(list)?.into_iter().map(|(_, re)| re).collect(),
            None => Vec::new(),
        };
        Some(Coverage {
            kind,
            topics,
            require,
            missing_topics: self.missing_topics,
            missing_documents: self.missing_documents,
            document_wide,
        })
    }
}

/// Where a topic is covered: the document and the section's first and last line, and the
/// record when the topic is a structured entry (a table row, a CSV row, a YAML or JSON
/// mapping), whose columns or keys say what each value is.
struct Section<'a> {
    doc: &'a EvidenceDoc,
    title_line: u32,
    line: u32,
    end: u32,
    record: Option<&'a Record>,
}

impl Section<'_> {
    /// What the section states, for the requirements: its lines with a value still TODO
    /// left out; for a structured entry, each filled-in field as `key: value` (so a table's
    /// "First actions", "Notify" and "SLA" headers say what its cells are).
    fn stated(&self) -> String {
        if let Some(r) = self.record {
            return r
                .fields
                .iter()
                .filter(|f| value_state(&f.value) == ValueState::Present)
                .map(|f| format!("{}: {}\n{}: {}", f.key, f.value, f.norm, f.value))
                .collect::<Vec<_>>()
                .join("\n");
        }
        self.doc
            .doc
            .text(self.line, self.end)
            .lines()
            .filter(|l| value_state(l.split_once(':').map_or(*l, |(_, v)| v)) != ValueState::Todo)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A Markdown list item (`- `, `* `, `1. `, `1) `): its indentation.
fn list_item_indent(line: &str) -> Option<usize> {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    let rest = t.trim_start_matches(|c: char| c.is_ascii_digit());
    let bullet = if rest.len() < t.len() {
        rest.starts_with(". ") || rest.starts_with(") ")
    } else {
        t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ")
    };
    bullet.then_some(indent)
}

/// The last line of the list item starting at `line`: its continuation lines and nested
/// items, up to the next item at its level, a blank line followed by text at its level, or
/// a heading.
fn list_item_end(doc: &crate::workspace::document::Document, line: u32, indent: usize) -> u32 {
    let mut end = line;
    let n = u32::try_from(doc.line_count()).unwrap_or(u32::MAX);
    let mut l = line + 1;
    while l <= n {
        let text = doc.line(l);
        let t = text.trim_start();
        let own = text.len() - t.len();
        if t.starts_with('#') || (own <= indent && (list_item_indent(text).is_some() || !t.is_empty())) {
            break;
        }
        if !t.is_empty() {
            end = l;
        }
        l += 1;
    }
    end
}

fn find_section<'a>(doc: &'a EvidenceDoc, topic: &Topic) -> Option<Section<'a>> {
    let d = &doc.doc;
    // A record titled with the topic; the deepest (shortest) one wins.
    let titled = d
        .records
        .iter()
        .filter(|r| topic.is_match(&r.title) || topic.is_match(&r.title.replace(['_', '-'], " ")))
        .min_by_key(|r| (r.end_line.saturating_sub(r.line), r.line));
    if let Some(r) = titled {
        let structured = matches!(
            r.kind,
            RecordKind::TableRow | RecordKind::CsvRow | RecordKind::Mapping
        );
        return Some(Section {
            doc,
            title_line: r.line,
            line: r.line,
            end: r.end_line,
            record: structured.then_some(r),
        });
    }
    // Any line; a list item is its own section (`- Prompt injection: …` with its nested
    // steps), otherwise the section is the smallest record containing the line.
    let line = d.first_match_line(&topic.patterns)?;
    if let Some(indent) = list_item_indent(d.line(line)) {
        return Some(Section {
            doc,
            title_line: line,
            line,
            end: list_item_end(d, line, indent),
            record: None,
        });
    }
    let container = d
        .records
        .iter()
        .filter(|r| r.line <= line && line <= r.end_line && r.kind != RecordKind::Document)
        .min_by_key(|r| r.end_line.saturating_sub(r.line));
    Some(match container {
        Some(r) => Section {
            doc,
            title_line: line,
            line: r.line,
            end: r.end_line,
            record: None,
        },
        None => Section {
            doc,
            title_line: line,
            line,
            end: line.saturating_add(15),
            record: None,
        },
    })
}

/// In a template document: true when the section has a `Key: value` line whose value is
/// filled in (descriptions written by the template do not count).
fn section_filled(s: &Section<'_>) -> bool {
    s.doc.doc.text(s.line + 1, s.end).lines().any(|l| {
        l.split_once(':').is_some_and(|(_, v)| {
            let v = v.trim();
            !v.is_empty() && crate::text::value_state(v) != crate::text::ValueState::Todo
        })
    })
}

impl Coverage {
    /// The document kind this check reads.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        format!(
            "the {} covers: {}{}",
            self.kind,
            self.topics
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if self.require.is_empty() {
                String::new()
            } else {
                format!(
                    "; each covered topic states {}",
                    self.require
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    }

    /// The lines of `doc` outside every topic's section that state something for all
    /// topics: lines matching `document_wide`, and the lines of a section (below the
    /// document's title) whose heading does.
    fn document_wide_lines<'d>(
        &self,
        doc: &'d EvidenceDoc,
        sections: &[Option<Section<'_>>],
    ) -> Vec<(u32, &'d str)> {
        if self.document_wide.is_empty() {
            return Vec::new();
        }
        let d = &doc.doc;
        let inside = |l: u32| sections.iter().flatten().any(|s| s.line <= l && l <= s.end);
        let wide = |t: &str| self.document_wide.iter().any(|re| re.is_match(t));
        let mut lines: Vec<u32> = d
            .records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Heading(level) if level >= 2) && wide(&r.title))
            .flat_map(|r| r.line + 1..=r.end_line)
            .collect();
        // A matching line brings its paragraph: the statement may wrap.
        let n = u32::try_from(d.line_count()).unwrap_or(u32::MAX);
        let blank = |l: u32| {
            let t = d.line(l).trim_start();
            t.is_empty() || t.starts_with('#')
        };
        for l in (1..=n).filter(|&l| wide(d.line(l))) {
            let mut a = l;
            while a > 1 && !blank(a - 1) {
                a -= 1;
            }
            let mut b = l;
            while b < n && !blank(b + 1) {
                b += 1;
            }
            lines.extend(a..=b);
        }
        lines.sort_unstable();
        lines.dedup();
        lines
            .into_iter()
            .filter(|&l| !inside(l))
            .map(|l| (l, d.line(l)))
            .filter(|(_, t)| value_state(t.split_once(':').map_or(t, |(_, v)| v)) != ValueState::Todo)
            .collect()
    }

    /// The evidence item of a covered topic, and whether its section (with what the
    /// document states for every topic) states each requirement.
    fn topic_item(
        &self,
        cx: &Context<'_>,
        topic: &Topic,
        s: &Section<'_>,
        wide: &[(u32, &str)],
    ) -> (Item, bool) {
        let path = &cx.ws.file(s.doc.file).path;
        let stated = s.stated();
        let mut pointers = vec![cx
            .ws
            .doc_pointer(s.doc, s.title_line)
            .labelled(topic.name.clone())];
        let mut missing: Vec<&str> = Vec::new();
        let mut inherited: Vec<(&str, u32)> = Vec::new();
        for r in self.require.iter().filter(|r| !r.is_match(&stated)) {
            match wide.iter().find(|(_, t)| r.is_match(t)) {
                Some(&(line, _)) => inherited.push((&r.name, line)),
                None => missing.push(&r.name),
            }
        }
        for line in inherited
            .iter()
            .map(|(_, l)| *l)
            .collect::<std::collections::BTreeSet<_>>()
        {
            pointers.push(
                cx.ws
                    .doc_pointer(s.doc, line)
                    .labelled("stated for every scenario".to_string()),
            );
        }
        let from_wide = if inherited.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = inherited.iter().map(|(n, _)| *n).collect();
            format!(
                " ({} from the statement for every scenario at {path}:{})",
                crate::text::join_and(&names),
                inherited[0].1
            )
        };
        if missing.is_empty() {
            let message = format!(
                "{} covered in {path}:{}{from_wide}",
                capitalise(&topic.name),
                s.title_line
            );
            (
                Item::new(message, format!("topic:{}", topic.name), pointers),
                true,
            )
        } else {
            let message = format!("The {} section does not state {}", topic.name, missing.join(", "));
            (
                Item::new(message, format!("detail:{}", topic.name), pointers),
                false,
            )
        }
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        // Records checked by another check of the control (`missing_documents: false`) are
        // read without their templates: a template's pre-filled scope is no review.
        let docs: Vec<&EvidenceDoc> = cx
            .docs_of(&self.kind)
            .filter(|d| self.missing_documents || !d.doc.is_template())
            .collect();
        if docs.is_empty() && !self.missing_documents {
            return Outcome::complete(Vec::new(), Vec::new());
        }
        // Each document's section per topic, found once.
        let sections: Vec<Vec<Option<Section<'_>>>> = docs
            .iter()
            .map(|d| self.topics.iter().map(|t| find_section(d, t)).collect())
            .collect();
        // The document covering most topics is the plan; gaps about absent topics point at it.
        let primary = (0..docs.len())
            .max_by_key(|&i| {
                (
                    sections[i].iter().filter(|s| s.is_some()).count(),
                    std::cmp::Reverse(docs[i].file),
                )
            })
            .map(|i| docs[i]);
        let plan_pointer = |p: &EvidenceDoc| -> Pointer {
            let first = p
                .doc
                .lines()
                .position(|l| !l.trim().is_empty())
                .map_or(1, |i| i as u32 + 1);
            cx.ws.doc_pointer(p, first)
        };
        let kind_title = super::document::kind_title(cx, &self.kind);
        let mut passed = Vec::new();
        let mut failed = Vec::new();
        let mut uncovered: Vec<&str> = Vec::new();
        // Each document's statements that apply to every topic, found once.
        let wide: Vec<Vec<(u32, &str)>> = docs
            .iter()
            .zip(&sections)
            .map(|(d, per_doc)| self.document_wide_lines(d, per_doc))
            .collect();
        for (ti, topic) in self.topics.iter().enumerate() {
            // A section whose body is only TODO lines (a template) does not cover its topic.
            let Some((di, s)) = sections
                .iter()
                .enumerate()
                .filter_map(|(di, per_doc)| per_doc[ti].as_ref().map(|s| (di, s)))
                .find(|(_, s)| !s.doc.doc.is_template() || section_filled(s))
            else {
                uncovered.push(&topic.name);
                continue;
            };
            let (item, ok) = self.topic_item(cx, topic, s, &wide[di]);
            if ok {
                passed.push(item);
            } else {
                failed.push(item);
            }
        }
        if self.missing_topics && !uncovered.is_empty() {
            let pointers = primary.map(plan_pointer).into_iter().collect();
            let message = if docs.is_empty() {
                format!(
                    "No {} found; it must cover: {}",
                    kind_title.to_lowercase(),
                    uncovered.join(", ")
                )
            } else {
                format!(
                    "The {} does not cover: {}",
                    kind_title.to_lowercase(),
                    uncovered.join(", ")
                )
            };
            failed.insert(0, Item::new(message, "uncovered-topics", pointers));
        }
        Outcome::complete(passed, failed)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
