//! YAML streams and single documents (target manifests, registers, front matter).
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::workspace::node;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(docs) = node::parse_yaml_stream(&text) {
        docs.iter().for_each(redflag_fuzz::exercise_node);
    }
    if let Ok(doc) = node::parse_yaml(&text) {
        redflag_fuzz::exercise_node(&doc);
    }
});
