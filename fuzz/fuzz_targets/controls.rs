//! The control loader on an untrusted control pack: a control file, signals, document kinds
//! and a catalogue (the input's `\0\0`-separated parts); one input in 32 is loaded with the
//! built-ins too (loading them costs a few hundred milliseconds under instrumentation).
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::control::{load, LoadOptions};

const FILES: &[&str] = &[
    "RF9-FUZZ.yaml",
    "signals.yaml",
    "documents.yaml",
    "catalog/fuzz.yaml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let dir = redflag_fuzz::scratch_dir("controls");
    for (name, part) in FILES.iter().zip(redflag_fuzz::parts(rest, FILES.len())) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, part).unwrap();
    }
    let loaded = load(&LoadOptions {
        dirs: vec![dir],
        no_builtin: sel % 32 != 0,
        ..LoadOptions::default()
    });
    for d in &loaded.diags {
        assert!(!d.message.is_empty());
    }
});
