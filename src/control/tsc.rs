//! The 61 AICPA Trust Services Criteria (2017, points of focus revised 2022), loaded from
//! `controls/tsc.yaml`. Titles are our own paraphrases, not AICPA text.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub category: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TscFile {
    criteria: Vec<Criterion>,
}

const TSC_YAML: &str = include_str!("../../controls/tsc.yaml");

/// All criteria, in the order of the file.
pub fn all() -> &'static [Criterion] {
    static ALL: std::sync::LazyLock<Vec<Criterion>> = std::sync::LazyLock::new(|| {
        serde_saphyr::from_str::<TscFile>(TSC_YAML)
            .map(|f| f.criteria)
            .unwrap_or_default()
    });
    &ALL
}

pub fn get(id: &str) -> Option<&'static Criterion> {
    all().iter().find(|c| c.id == id)
}

/// TSC categories: id (as in `controls/tsc.yaml`) and name.
pub const CATEGORIES: [(&str, &str); 5] = [
    ("security", "Security (Common Criteria)"),
    ("availability", "Availability"),
    ("processing_integrity", "Processing Integrity"),
    ("confidentiality", "Confidentiality"),
    ("privacy", "Privacy"),
];

pub fn category_name(id: &str) -> &str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == id)
        .map_or(id, |(_, name)| name)
}

/// A `--scope` value that names no Trust Services category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown TSC category `{0}` in --scope (expected availability, confidentiality, processing-integrity, privacy)"
)]
pub struct UnknownCategory(String);

/// Parses `--scope` values (`availability,confidentiality,processing-integrity,privacy`;
/// `security` is accepted and always in scope). Returns the category ids, deduplicated.
pub fn parse_scope<S: AsRef<str>>(values: &[S]) -> Result<Vec<String>, UnknownCategory> {
    let mut out: Vec<String> = Vec::new();
    for raw in values.iter().flat_map(|v| v.as_ref().split(',')) {
        let v = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if v.is_empty() {
            continue;
        }
        let id = match v.as_str() {
            "security" | "cc" | "common_criteria" => continue,
            "availability" | "a" => "availability",
            "confidentiality" | "c" => "confidentiality",
            "processing_integrity" | "pi" | "integrity" => "processing_integrity",
            "privacy" | "p" => "privacy",
            _ => return Err(UnknownCategory(raw.trim().to_string())),
        };
        if !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    Ok(out)
}

/// When a control is out of the engagement's scope: none of its criteria is in a category
/// of `scope` (security, always in scope, or one of the `--scope` categories), the
/// categories its criteria are in. `None` when it is in scope, or names no criterion.
pub fn outside_scope(ids: &[String], scope: &[String]) -> Option<Vec<&'static str>> {
    let mut categories: Vec<&'static str> = Vec::new();
    for id in ids {
        let category = get(id).map_or("", |c| c.category.as_str());
        let category = CATEGORIES.iter().find(|(c, _)| *c == category)?.0;
        if category == "security" || scope.iter().any(|s| s == category) {
            return None;
        }
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    (!categories.is_empty()).then_some(categories)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_control_is_out_of_scope_when_none_of_its_criteria_is() {
        let ids = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        let privacy = ids(&["P4.2", "C1.1"]);
        assert_eq!(
            super::outside_scope(&privacy, &[]),
            Some(vec!["privacy", "confidentiality"])
        );
        assert_eq!(super::outside_scope(&privacy, &ids(&["confidentiality"])), None);
        assert_eq!(super::outside_scope(&ids(&["CC6.1", "P4.2"]), &[]), None);
        assert_eq!(super::outside_scope(&[], &[]), None);
        assert_eq!(super::outside_scope(&ids(&["X9.9"]), &[]), None);
    }

    #[test]
    fn there_are_61_criteria() {
        let all = super::all();
        assert_eq!(all.len(), 61);
        let cc = all.iter().filter(|c| c.id.starts_with("CC")).count();
        assert_eq!(cc, 33);
    }
}
