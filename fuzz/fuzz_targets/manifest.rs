//! Dependency manifests of every ecosystem, chosen by the first byte.
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::workspace::manifest;

const NAMES: &[&str] = &[
    "requirements.txt",
    "requirements-dev.txt",
    "pyproject.toml",
    "Pipfile",
    "setup.cfg",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "Gemfile",
    "pom.xml",
    "build.gradle.kts",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[sel as usize % NAMES.len()];
    let kind = manifest::kind_of(name).expect("a manifest name");
    let text = String::from_utf8_lossy(rest);
    if let Ok(deps) = manifest::parse(kind, name, &text) {
        for d in deps {
            assert!(d.line >= 1, "lines are 1-based");
        }
    }
});
