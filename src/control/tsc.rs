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

#[cfg(test)]
mod tests {
    #[test]
    fn there_are_61_criteria() {
        let all = super::all();
        assert_eq!(all.len(), 61);
        let cc = all.iter().filter(|c| c.id.starts_with("CC")).count();
        assert_eq!(cc, 33);
    }
}
