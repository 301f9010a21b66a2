//! Model names: from a path (`churn-v3.onnx`, `fraud-detector-v4/MLmodel`,
//! `churn/12/MLmodel`), normalised, and looked up as whole words in documents.

/// File names that say nothing about which model they hold.
pub(super) const GENERIC: &[&str] = &[
    "mlmodel",
    "saved_model",
    "model",
    "pytorch_model",
    "tf_model",
    "flax_model",
    "weights",
    "checkpoint",
    "adapter_model",
    "data",
    "variables",
    "keras_metadata",
    "fingerprint",
    "latest",
    "best",
    "last",
    "final",
];

pub(super) fn norm(s: &str) -> String {
    s.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The model a path holds, by name.
pub fn model_name(path: &str) -> Option<String> {
    model_of(path).map(|(name, _)| name)
}

/// The model a path or model URI holds, by name, and the version its layout gives:
/// `churn-v3.onnx` → `churn-v3`; `fraud-detector-v4/MLmodel` → `fraud-detector-v4`;
/// `churn/12/MLmodel` and `gs://models/churn/12` → `churn`, version `12`;
/// `reranker/v3/model.safetensors` → `reranker`, version `3`. `0` and `1` are layout
/// (an MLflow experiment, TF Serving's single version), not versions; an MLflow run id
/// (`mlruns/0/<32 hex>/artifacts/model`) names no model.
pub(super) fn model_of(path: &str) -> Option<(String, Option<String>)> {
    let path = path.split_once("://").map_or(path, |(_, rest)| rest);
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let file = parts.last()?;
    let stem = file.split('.').next().unwrap_or(file);
    let stem_l = stem.to_ascii_lowercase();
    let generic = GENERIC.iter().any(|g| {
        stem_l == *g || stem_l.starts_with(&format!("{g}-0")) || stem_l.starts_with(&format!("{g}_0"))
    });
    let dir_like = !file.contains('.') && version_of(file).is_some();
    if !(generic || dir_like) {
        return (!stem.is_empty()).then(|| (stem.to_string(), None));
    }
    let dirs = if dir_like {
        &parts[..]
    } else {
        &parts[..parts.len() - 1]
    };
    let mut version = None;
    for d in dirs.iter().rev() {
        let l = d.to_ascii_lowercase();
        if matches!(
            l.as_str(),
            "artifacts" | "model" | "models" | "0" | "1" | "data" | "variables"
        ) {
            continue;
        }
        if l.len() >= 16 && l.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        match version_of(&l) {
            Some(v) if version.is_none() => version = Some(v),
            Some(_) => {}
            None => return Some((d.to_string(), version)),
        }
    }
    None
}

/// `12` → `12`, `v3` → `3`, `1.0` → `1.0`: a directory that is a version.
pub(super) fn version_of(s: &str) -> Option<String> {
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    (!digits.is_empty()
        && digits.len() <= 12
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.split('.').all(|p| !p.is_empty()))
    .then(|| digits.to_string())
}

/// For each needle (normalised, distinct), the index of the first haystack (normalised)
/// that holds it as whole words (`churn-v3` is not in `churn-v31`). A match starts where a word
/// starts and ends where one ends, so it is a run of as many words as the needle has: each
/// haystack is read once per distinct word count, each run looked up in a map.
pub(super) fn first_containing<'h>(
    hays: impl Iterator<Item = &'h str>,
    needles: &[&str],
) -> Vec<Option<usize>> {
    use std::collections::HashMap;
    let mut out = vec![None; needles.len()];
    // Needles by word count, then by text.
    let mut by_words: HashMap<usize, HashMap<&str, usize>> = HashMap::new();
    for (i, n) in needles.iter().enumerate() {
        if !n.is_empty() {
            by_words
                .entry(n.matches('-').count() + 1)
                .or_default()
                .insert(n, i);
        }
    }
    let mut left: usize = by_words.values().map(HashMap::len).sum();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for (h, hay) in hays.enumerate() {
        if left == 0 {
            break;
        }
        starts.clear();
        ends.clear();
        starts.push(0);
        for i in memchr::memchr_iter(b'-', hay.as_bytes()) {
            ends.push(i);
            starts.push(i + 1);
        }
        ends.push(hay.len());
        for (&words, group) in &mut by_words {
            if group.is_empty() || words > starts.len() {
                continue;
            }
            for k in 0..=starts.len() - words {
                let run = &hay[starts[k]..ends[k + words - 1]];
                if let Some(i) = group.remove(run) {
                    out[i] = Some(h);
                    left -= 1;
                    if group.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    out
}

/// True when normalised `hay` contains normalised `needle` as whole words (`churn-v3` is
/// not in `churn-v31`).
pub(super) fn contains_norm(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        before.is_none_or(|c| c == '-') && after.is_none_or(|c| c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::{model_name, model_of};

    #[test]
    fn model_names_from_paths() {
        assert_eq!(model_name("models/churn-v3.joblib").as_deref(), Some("churn-v3"));
        assert_eq!(
            model_name("mlruns/0/abc/artifacts/fraud-detector-v4/MLmodel").as_deref(),
            Some("fraud-detector-v4")
        );
        assert_eq!(
            model_name("export/ranker_v2/1/saved_model.pb").as_deref(),
            Some("ranker_v2")
        );
        assert_eq!(
            model_name("hf/intent-v2/model.safetensors").as_deref(),
            Some("intent-v2")
        );
        assert_eq!(
            model_name("hf/intent-v2/model-00001-of-00002.safetensors").as_deref(),
            Some("intent-v2")
        );
        let v = |p: &str| model_of(p).map(|(n, v)| (n, v.unwrap_or_default()));
        assert_eq!(
            v("registry/churn/12/MLmodel"),
            Some(("churn".into(), "12".into()))
        );
        assert_eq!(
            v("gs://acme-models/churn/12"),
            Some(("churn".into(), "12".into()))
        );
        assert_eq!(
            v("s3://b/reranker/v3/model.safetensors"),
            Some(("reranker".into(), "3".into()))
        );
        assert_eq!(
            v("export/ranker_v2/1/saved_model.pb"),
            Some(("ranker_v2".into(), String::new()))
        );
        assert_eq!(
            v("mlruns/0/0123456789abcdef0123456789abcdef/artifacts/model/MLmodel"),
            None
        );
        assert_eq!(
            v("/models/fraud-v3.onnx"),
            Some(("fraud-v3".into(), String::new()))
        );
    }
}
