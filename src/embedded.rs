//! The built-in control pack's files, embedded in the binary so nothing is needed at run
//! time. A leaf: the control loader compiles them (`control::builtin`) and redaction reads
//! the catalogues' key rules from them before any pack is loaded (`redact::builtin`), so
//! neither has to depend on the other. `build.rs` lists `controls/**/*.yaml`; a test
//! (`tests/controls.rs`) checks the table against the directory.

/// `(path relative to controls/, contents)`, sorted by path.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
