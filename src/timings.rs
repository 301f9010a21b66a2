//! Phase timings for `REDFLAG_TIMINGS=1`: where a run spends its time (start-up, walk,
//! evaluation, rendering), to measure every optimisation against the same phases.
//!
//! A phase is recorded by dropping a [`Phase`] guard; the binary prints the table to
//! stderr when the run ends. Recording is a no-op unless the variable is set, so the
//! library stays silent and deterministic.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static ENABLED: OnceLock<bool> = OnceLock::new();
static PHASES: Mutex<Vec<(Cow<'static, str>, Duration)>> = Mutex::new(Vec::new());

/// True when `REDFLAG_TIMINGS` is set to a non-empty value other than `0`.
pub fn enabled() -> bool {
    *ENABLED.get_or_init(|| std::env::var_os("REDFLAG_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// Times a phase from creation to drop.
#[must_use = "a phase is timed until the guard is dropped"]
pub struct Phase {
    name: Cow<'static, str>,
    start: Option<Instant>,
}

impl Phase {
    pub fn start(name: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            start: enabled().then(Instant::now),
        }
    }

    /// A phase whose name is made only when timings are on (`evaluate RF3-…`).
    pub fn named(name: impl FnOnce() -> String) -> Self {
        let start = enabled().then(Instant::now);
        Self {
            name: if start.is_some() {
                Cow::Owned(name())
            } else {
                Cow::Borrowed("")
            },
            start,
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            if let Ok(mut p) = PHASES.lock() {
                p.push((std::mem::take(&mut self.name), start.elapsed()));
            }
        }
    }
}

/// The recorded phases, in the order they ended, as lines `  12.3 ms  name`.
pub fn table() -> String {
    let phases = PHASES.lock().map(|p| p.clone()).unwrap_or_default();
    phases
        .iter()
        .map(|(name, d)| format!("{:>9.1} ms  {name}\n", d.as_secs_f64() * 1000.0))
        .collect()
}
