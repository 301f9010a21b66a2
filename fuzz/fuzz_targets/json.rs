//! JSON documents with line recovery (package.json, exported policies, registers).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(doc) = redflag::workspace::node::Node::from_json(&text) {
        redflag_fuzz::exercise_node(&doc);
    }
});
