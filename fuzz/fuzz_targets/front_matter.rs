//! Markdown with YAML front matter.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = format!("---\n{}", String::from_utf8_lossy(data));
    let (doc, _) = redflag::workspace::document::parse("lineage/dataset.md", &text);
    redflag_fuzz::exercise_document(&doc);
});
