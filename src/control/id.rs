//! [`ControlId`]: the name of a control (`RF1-JIT-ACCESS`), as the pack defines it.
//!
//! A type of its own so a control's id cannot be confused with the other strings that
//! travel with a finding (titles, paths, messages, fingerprints), and cheap to clone: every
//! finding, status and roadmap task carries one. It serializes as the plain string, so the
//! JSON report is unchanged.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A control's id. Compares, orders and hashes as its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlId(Arc<str>);

impl ControlId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for ControlId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ControlId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ControlId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ControlId {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl From<String> for ControlId {
    fn from(s: String) -> Self {
        Self(Arc::from(s))
    }
}

impl From<&String> for ControlId {
    fn from(s: &String) -> Self {
        Self(Arc::from(s.as_str()))
    }
}

impl From<ControlId> for String {
    fn from(id: ControlId) -> String {
        id.0.to_string()
    }
}

impl PartialEq<str> for ControlId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ControlId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for ControlId {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<ControlId> for str {
    fn eq(&self, other: &ControlId) -> bool {
        self == &*other.0
    }
}

impl PartialEq<ControlId> for &str {
    fn eq(&self, other: &ControlId) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<ControlId> for String {
    fn eq(&self, other: &ControlId) -> bool {
        **self == *other.0
    }
}

impl serde::Serialize for ControlId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ControlId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_text_everywhere() {
        let id = ControlId::from("RF9-EXAMPLE");
        assert_eq!(id, "RF9-EXAMPLE");
        assert_eq!("RF9-EXAMPLE", id);
        assert_eq!(id.to_string(), "RF9-EXAMPLE");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"RF9-EXAMPLE\"");
        let back: ControlId = serde_json::from_str("\"RF9-EXAMPLE\"").unwrap();
        assert_eq!(back, id);
        let mut set = std::collections::BTreeSet::new();
        set.insert(id.clone());
        assert!(set.contains("RF9-EXAMPLE"));
        let (a, b) = (ControlId::from("RF1-A"), ControlId::from("RF1-B"));
        assert!(a < b);
    }
}
