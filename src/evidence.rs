//! The result vocabulary shared by checks and the report: pointers into a target and the
//! items a check produces. Checks never print; they return these.

/// Index of a scanned target or evidence directory in `Workspace::targets`.
pub type TargetId = u16;

/// A place in a target: `path:line` and the line's text (already redacted and trimmed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pointer {
    pub target: TargetId,
    pub path: String,
    pub line: Option<u32>,
    pub snippet: Option<String>,
    /// A short label saying what this pointer shows (`OpenAI · import`); optional.
    pub label: Option<String>,
    /// What the pointer is evidence of, as data (the label says it in words): for tools
    /// that act on what was found, such as `init`. Not part of the JSON report.
    pub subject: Option<Subject>,
}

/// What a pointer shows, as data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// A use of a catalogue item (an AI vendor): the item's name, how it is used
    /// (`import`, `package`, `env var`, `API host`, `API key`) and the item's trust-centre
    /// or documentation page.
    Usage {
        item: String,
        how: &'static str,
        docs: Option<String>,
    },
    /// A file an `artifact` check found, with the check's label (`model artifact`).
    Artifact { label: String },
}

impl Pointer {
    pub fn file(target: TargetId, path: &str) -> Self {
        Self {
            target,
            path: path.to_string(),
            line: None,
            snippet: None,
            label: None,
            subject: None,
        }
    }

    pub fn at(target: TargetId, path: &str, line: u32, text: &str) -> Self {
        Self {
            target,
            path: path.to_string(),
            line: Some(line),
            snippet: Some(crate::redact::snippet(text)),
            label: None,
            subject: None,
        }
    }

    #[must_use]
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Records what the pointer shows, as data (see [`Subject`]).
    #[must_use]
    pub fn about(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }
}

/// One unit of evidence produced by a check: a usage site group, a missing register field,
/// a missing quarter. When the check fails, each failed item becomes one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub message: String,
    /// What identifies this item across runs, independent of line numbers (the vendor, the
    /// missing field, the quarter). Combined with the control id into the fingerprint.
    pub key: String,
    pub pointers: Vec<Pointer>,
}

/// The key prefix of an item that records something missing.
const ABSENT: &str = "absent:";

impl Item {
    pub fn new(message: impl Into<String>, key: impl Into<String>, pointers: Vec<Pointer>) -> Self {
        Self {
            message: message.into(),
            key: key.into(),
            pointers,
        }
    }

    /// Something missing (no record, no file, no grant), identified by `what` (the document
    /// kind, the pattern): the report points it at where it should be, and a control's
    /// `message:` replaces its text.
    pub fn absent(message: impl Into<String>, what: &str, pointers: Vec<Pointer>) -> Self {
        Self::new(message, format!("{ABSENT}{what}"), pointers)
    }

    /// True for an item made by [`Item::absent`].
    pub fn is_absent(&self) -> bool {
        self.key.starts_with(ABSENT)
    }
}
