//! Redaction and the text helpers every evidence line passes through. Redaction must be
//! idempotent: a report rendered from already redacted text shows the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use redflag::{redact, text};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let once = redact::redact(&line);
    let twice = redact::redact(&once);
    assert_eq!(once, twice, "redaction is not idempotent");
    let _ = redact::has_secret(&line);
    let s = redact::snippet(&line);
    assert!(s.chars().count() <= 200);
    assert!(
        !s.chars().any(|c| c.is_control() && c != '\t'),
        "control character in {s:?}"
    );
    let _ = redact::shown(&line);
    let n = text::norm_key(&line);
    let _ = text::key_matches(&n, "consent basis");
    let _ = text::value_state(&line);
    let starts = text::line_starts(&line);
    for l in [0, 1, 2, u32::MAX] {
        let _ = text::line_text(&line, &starts, l);
    }
    let _ = text::line_of_offset(&starts, line.len());
});
