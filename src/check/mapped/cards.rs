//! Model cards as a source of model names and partial lineage: a document whose YAML
//! front matter has model-card keys (`model-index`, `base_model`, `pipeline_tag`), named by
//! `model-index[0].name` or its directory; it is partial lineage when it lists its training
//! data (`datasets:` or a filled-in "Training data" section).

use super::names::model_name;
use crate::check::Context;

#[derive(Debug)]
pub(super) struct Cards {
    pub(super) kind: String,
    pub(super) keys: Vec<String>,
    pub(super) lineage: Vec<String>,
    pub(super) sections: Option<crate::workspace::matcher::LazyRegex>,
}

/// A model card: the model it names and, when it lists training data, where.
pub(super) struct Card<'a> {
    pub(super) doc: &'a crate::workspace::EvidenceDoc,
    pub(super) path: String,
    pub(super) name: String,
    pub(super) pointer: crate::evidence::Pointer,
    /// The lineage key or section and its line.
    pub(super) lineage: Option<(String, u32)>,
}

/// Top-level keys of a Markdown file's YAML front matter: (key, line, has a value).
fn front_matter(lines: &[&str]) -> Option<Vec<(String, u32, bool)>> {
    if lines.first().map(|l| l.trim()) != Some("---") {
        return None;
    }
    let end = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim(), "---" | "..."))?
        + 1;
    let mut keys: Vec<(String, u32, bool)> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(end).skip(1) {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let top = !l.starts_with([' ', '\t', '-', '#']);
        match l.split_once(':') {
            Some((k, v)) if top && !k.is_empty() && !k.contains(' ') => {
                let v = v.trim();
                let has = !v.is_empty() && !matches!(v, "[]" | "{}" | "null" | "~" | "\"\"" | "''");
                keys.push((k.trim().to_string(), line, has));
            }
            _ => {
                // An indented or list line gives the key above it a value.
                if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                    if let Some(last) = keys.last_mut() {
                        last.2 = true;
                    }
                }
            }
        }
    }
    Some(keys)
}

/// Values in a model card that mean "not filled in".
fn placeholder(line: &str) -> bool {
    let l = line
        .trim()
        .trim_matches(|c| c == '[' || c == ']' || c == '*' || c == '_')
        .to_ascii_lowercase();
    l.is_empty()
        || l.starts_with("more information needed")
        || l.starts_with("<!--")
        || matches!(crate::text::value_state(&l), crate::text::ValueState::Todo)
}

impl Cards {
    pub(super) fn find<'a>(&self, cx: &Context<'a>) -> Vec<Card<'a>> {
        let key_norm = |k: &str| k.to_ascii_lowercase().replace(['-', '_'], "");
        let is_key = |list: &[String], k: &str| list.iter().any(|w| key_norm(w) == key_norm(k));
        let mut out = Vec::new();
        for d in cx.docs_of(&self.kind) {
            let f = cx.ws.file(d.file);
            if f.flags.test || f.flags.example {
                continue;
            }
            let Some(keys) = front_matter(&d.doc.lines().collect::<Vec<_>>()) else {
                continue;
            };
            if !keys.iter().any(|(k, _, _)| is_key(&self.keys, k)) {
                continue;
            }
            // `model-index: - name: X` names the model; else the card's directory.
            let indexed = keys
                .iter()
                .position(|(k, _, _)| key_norm(k) == "modelindex")
                .and_then(|i| {
                    let from = keys[i].1;
                    let to = keys.get(i + 1).map_or(u32::MAX, |k| k.1);
                    (from + 1..to).find_map(|n| {
                        let l = d.doc.line(n).trim_start().trim_start_matches("- ").trim_start();
                        let v = l.strip_prefix("name:")?.trim().trim_matches(['"', '\'']);
                        (!v.is_empty()).then(|| (v.to_string(), n))
                    })
                });
            let (name, line) = match indexed {
                Some(x) => x,
                None => {
                    let dir = f.path.rsplit_once('/').map(|(d, _)| d);
                    let name = dir.and_then(|d| model_name(&format!("{d}/model"))).or_else(|| {
                        cx.ws.targets[f.target as usize]
                            .root
                            .file_name()
                            .map(|n| n.to_string_lossy().to_string())
                    });
                    let Some(name) = name else { continue };
                    (name, 1)
                }
            };
            let lineage = keys
                .iter()
                .find(|(k, _, has)| *has && is_key(&self.lineage, k))
                .map(|(k, l, _)| (format!("{k}:"), *l))
                .or_else(|| {
                    let re = self.sections.as_ref()?;
                    d.doc.records.iter().find_map(|r| {
                        let heading = matches!(r.kind, crate::workspace::document::RecordKind::Heading(_));
                        let filled = (r.line + 1..=r.end_line).any(|n| {
                            let l = d.doc.line(n);
                            !l.trim_start().starts_with('#') && !placeholder(l)
                        });
                        (heading && re.is_match(&r.title) && filled)
                            .then(|| (format!("section \"{}\"", r.title), r.line))
                    })
                });
            out.push(Card {
                doc: d,
                path: f.path.clone(),
                pointer: cx
                    .ws
                    .doc_pointer(d, line)
                    .labelled(format!("model card · {name}")),
                name,
                lineage,
            });
        }
        out
    }
}

#[cfg(test)]
mod card_tests {
    use super::super::names::{contains_norm, first_containing, norm};
    use super::{front_matter, placeholder};

    #[test]
    fn front_matter_keys_and_values() {
        let lines: Vec<&str> =
            "---\nlicense: mit\ndatasets:\n  - imdb\ntags: []\nbase_model: roberta-base\n---\n# x"
                .lines()
                .collect();
        let keys = front_matter(&lines).unwrap();
        let got: Vec<(&str, u32, bool)> = keys.iter().map(|(k, l, h)| (k.as_str(), *l, *h)).collect();
        assert_eq!(
            got,
            vec![
                ("license", 2, true),
                ("datasets", 3, true),
                ("tags", 5, false),
                ("base_model", 6, true)
            ]
        );
        assert!(front_matter(&["# no front matter"]).is_none());
    }

    #[test]
    fn placeholders_and_whole_word_names() {
        assert!(placeholder("More information needed"));
        assert!(placeholder("[More Information Needed]"));
        assert!(!placeholder("Support tickets from Q2, PII removed."));
        assert!(contains_norm(&norm("model: churn-v3."), &norm("churn-v3")));
        assert!(!contains_norm(&norm("model: churn-v31"), &norm("churn-v3")));
    }

    #[test]
    fn first_containing_agrees_with_contains_norm() {
        let hays: Vec<String> = [
            "model: churn-v31",
            "churn-v3 and fraud",
            "x--y, _lead, über-model v2",
            "",
            "fraud-detector-v4/MLmodel",
        ]
        .iter()
        .map(|h| norm(h))
        .collect();
        let needles: Vec<String> = [
            "churn-v3",
            "fraud",
            "y",
            "-lead",
            "x",
            "model-v2",
            "v4-mlmodel",
            "absent",
            "-",
            "",
            "churn-v31",
        ]
        .iter()
        .map(|n| norm(n))
        .collect();
        let mut uniq: Vec<&str> = Vec::new();
        for n in &needles {
            if !uniq.contains(&n.as_str()) {
                uniq.push(n);
            }
        }
        let got = first_containing(hays.iter().map(String::as_str), &uniq);
        for (n, g) in uniq.iter().zip(got) {
            let want = hays.iter().position(|h| contains_norm(h, n));
            assert_eq!(g, want, "needle {n:?}");
        }
    }
}
