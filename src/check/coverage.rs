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
        Some(Coverage {
            kind,
            topics,
            require,
            missing_topics: self.missing_topics,
            missing_documents: self.missing_documents,
        })
    }
}

/// Where a topic is covered: the document and the section's first and last line.
struct Section<'a> {
    doc: &'a EvidenceDoc,
    title_line: u32,
    line: u32,
    end: u32,
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
        return Some(Section {
            doc,
            title_line: r.line,
            line: r.line,
            end: r.end_line,
        });
    }
    // Any line; its section is the smallest record containing it.
    let line = d.first_match_line(&topic.patterns)?;
    let container = d
        .records
        .iter()
        .filter(|r| {
            r.line <= line && line <= r.end_line && r.kind != crate::workspace::document::RecordKind::Document
        })
        .min_by_key(|r| r.end_line.saturating_sub(r.line));
    Some(match container {
        Some(r) => Section {
            doc,
            title_line: line,
            line: r.line,
            end: r.end_line,
        },
        None => Section {
            doc,
            title_line: line,
            line,
            end: line.saturating_add(15),
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
        for (ti, topic) in self.topics.iter().enumerate() {
            // A section whose body is only TODO lines (a template) does not cover its topic.
            let Some(s) = sections
                .iter()
                .filter_map(|per_doc| per_doc[ti].as_ref())
                .find(|s| !s.doc.doc.is_template() || section_filled(s))
            else {
                uncovered.push(&topic.name);
                continue;
            };
            let path = &cx.ws.file(s.doc.file).path;
            let text = s.doc.doc.text(s.line, s.end);
            // A requirement stated only on lines still marked TODO (a template) is not met.
            let filled: String = text
                .lines()
                .filter(|l| {
                    crate::text::value_state(l.split_once(':').map_or(*l, |(_, v)| v))
                        != crate::text::ValueState::Todo
                })
                .collect::<Vec<_>>()
                .join("\n");
            let missing: Vec<&str> = self
                .require
                .iter()
                .filter(|r| !r.is_match(&filled))
                .map(|r| r.name.as_str())
                .collect();
            let pointer = cx
                .ws
                .doc_pointer(s.doc, s.title_line)
                .labelled(topic.name.clone());
            if missing.is_empty() {
                passed.push(Item::new(
                    format!("{} covered in {path}:{}", capitalise(&topic.name), s.title_line),
                    format!("topic:{}", topic.name),
                    vec![pointer],
                ));
            } else {
                failed.push(Item::new(
                    format!("The {} section does not state {}", topic.name, missing.join(", ")),
                    format!("detail:{}", topic.name),
                    vec![pointer],
                ));
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
