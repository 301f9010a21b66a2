//! The config file loader (`redflag.yaml`), and compiling the waivers it declares.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = redflag_fuzz::scratch_dir("config");
    let path = dir.join("redflag.yaml");
    std::fs::write(&path, data).unwrap();
    if let Ok(config) = redflag::settings::read_config(&path) {
        for (i, w) in config.waivers.iter().enumerate() {
            let _ = w.compile(i);
        }
        let _ = redflag::workspace::matcher::glob_set(&config.exclude);
    }
});
