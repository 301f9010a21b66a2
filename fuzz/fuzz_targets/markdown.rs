//! Markdown evidence: headings, tables, `Key: value` lists, code fences.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (doc, _) = redflag::workspace::document::parse("docs/incident-response-plan.md", &text);
    redflag_fuzz::exercise_document(&doc);
});
