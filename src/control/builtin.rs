//! The built-in control pack, embedded in the binary so nothing is needed at run time.
//! `build.rs` lists `controls/**/*.yaml`; a test (`tests/controls.rs`) checks the table
//! against the directory.

/// `(path relative to controls/, contents)`, sorted by path.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
