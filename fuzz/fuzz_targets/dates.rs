//! Dates in register cells, `Date:` lines and file names.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = redflag::date::find_dates(&text);
    for w in found.windows(2) {
        assert!(w[0].pos <= w[1].pos, "dates are in order of appearance");
    }
    if let Some(d) = redflag::date::parse_iso(&text) {
        for q in redflag::date::Quarter::last_complete(d, 8) {
            let _ = q.first_day();
        }
    }
});
