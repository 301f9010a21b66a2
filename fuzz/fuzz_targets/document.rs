//! Evidence documents of every format, chosen by the first byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

const EXTS: &[&str] = &[
    "md", "yaml", "yml", "json", "csv", "tsv", "txt", "rst", "adoc", "",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let ext = EXTS[sel as usize % EXTS.len()];
    let path = format!("compliance/vendor-register.{ext}");
    let text = String::from_utf8_lossy(rest);
    let (doc, _) = redflag::workspace::document::parse(&path, &text);
    redflag_fuzz::exercise_document(&doc);
});
