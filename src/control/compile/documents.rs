//! Document kinds (`documents.yaml`: which files are the vendor register, the AI playbook,
//! …) and the folders whose documents are not evidence, compiled into glob sets.

use crate::check::compile::Diag;
use crate::check::DocKindInfo;
use crate::control::spec::DocKindSpec;
use crate::workspace::content::{NotEvidence, NotEvidenceSpec};
use crate::workspace::matcher::{glob_set, Globs};
use crate::workspace::DocKind;

/// The compiled kinds and what `explain`/reports say of each; a kind that does not compile
/// is a problem in `diags`.
pub(super) fn kinds(specs: &[DocKindSpec], diags: &mut Vec<Diag>) -> (Vec<DocKind>, Vec<DocKindInfo>) {
    let mut doc_kinds = Vec::new();
    let mut doc_kind_info = Vec::new();
    for k in specs {
        match kind(k) {
            Ok(kind) => {
                doc_kinds.push(kind);
                doc_kind_info.push(info(k));
            }
            Err(e) => diags.push(problem(format!("document kind `{}`: {e}", k.id))),
        }
    }
    (doc_kinds, doc_kind_info)
}

/// Why a document kind does not compile.
#[derive(Debug, thiserror::Error)]
enum KindError {
    #[error(transparent)]
    Pattern(#[from] crate::workspace::matcher::PatternError),
    #[error(transparent)]
    Content(#[from] crate::workspace::content::Unmeetable),
}

fn kind(k: &DocKindSpec) -> Result<DocKind, KindError> {
    // Names with a `/` are paths from the target root; the others file names.
    let (paths, names): (Vec<String>, Vec<String>) = k.names.iter().cloned().partition(|n| n.contains('/'));
    let trusted = if k.trusted_names.is_empty() {
        None
    } else {
        Some(glob_set(&k.trusted_names)?)
    };
    Ok(DocKind {
        id: k.id.clone(),
        title: crate::text::printable(&k.title).into_owned(),
        names: glob_set(&names)?,
        paths: glob_set(&paths)?,
        dirs: glob_set(&k.dirs)?,
        trusted,
        content: k.content.as_ref().map(|c| c.compile()).transpose()?,
        front_matter: k.front_matter,
    })
}

fn info(k: &DocKindSpec) -> DocKindInfo {
    DocKindInfo {
        id: k.id.clone(),
        title: crate::text::printable(&k.title).into_owned(),
        patterns: k.names.clone(),
        expected: k
            .expected
            .as_deref()
            .map(|e| crate::text::printable(e).into_owned()),
        count: k.count,
    }
}

/// `not_evidence:`: each list compiled into one glob set (none when empty).
pub(super) fn not_evidence(spec: &NotEvidenceSpec, diags: &mut Vec<Diag>) -> NotEvidence {
    let mut set = |v: &[String]| -> Option<Globs> {
        if v.is_empty() {
            return None;
        }
        glob_set(v)
            .map_err(|e| diags.push(problem(format!("not_evidence: {e}"))))
            .ok()
    };
    NotEvidence {
        dirs: set(&spec.dirs),
        names: set(&spec.names),
        paths: set(&spec.paths),
    }
}

fn problem(message: String) -> Diag {
    Diag {
        file: "documents".into(),
        line: None,
        column: None,
        message,
    }
}
