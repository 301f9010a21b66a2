//! The five red flags, loaded from `controls/red_flags.yaml`: the one place their titles
//! and chart names are written. Every renderer and `explain` reads them here.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    pub number: u8,
    /// The heading reports group controls under.
    pub title: String,
    /// The label of its bar in charts.
    pub short: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedFlagsFile {
    red_flags: Vec<RedFlag>,
    /// The heading of controls outside the red flags.
    other: String,
}

const RED_FLAGS_YAML: &str = include_str!("../../controls/red_flags.yaml");

fn file() -> &'static RedFlagsFile {
    static FILE: LazyLock<RedFlagsFile> = LazyLock::new(|| {
        serde_saphyr::from_str::<RedFlagsFile>(RED_FLAGS_YAML).unwrap_or(RedFlagsFile {
            red_flags: Vec::new(),
            other: String::new(),
        })
    });
    &FILE
}

/// The red flags, in order.
pub fn all() -> &'static [RedFlag] {
    &file().red_flags
}

/// The red flag numbered `n`.
pub fn get(n: u8) -> Option<&'static RedFlag> {
    all().iter().find(|r| r.number == n)
}

/// A red flag's title; the `other` heading for a control outside them.
pub fn title(rf: Option<u8>) -> &'static str {
    rf.and_then(get)
        .map_or(file().other.as_str(), |r| r.title.as_str())
}

/// A red flag's chart name (empty for a number that is not a red flag).
pub fn short(n: u8) -> &'static str {
    get(n).map_or("", |r| r.short.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_red_flags_are_read() {
        let numbers: Vec<u8> = all().iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(title(Some(3)), "Third-party AI providers are black boxes");
        assert_eq!(title(None), "Other controls");
        assert_eq!(title(Some(9)), "Other controls");
        assert_eq!(short(1), "Access");
    }
}
