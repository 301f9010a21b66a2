//! CSV and TSV registers and exports.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let path = if sel & 1 == 0 {
        "vendors.csv"
    } else {
        "access-review-2026-q1.tsv"
    };
    let text = String::from_utf8_lossy(rest);
    let (doc, _) = redflag::workspace::document::parse(path, &text);
    redflag_fuzz::exercise_document(&doc);
});
