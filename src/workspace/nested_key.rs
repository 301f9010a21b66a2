//! Unprefixed vendor keys nested in a YAML or JSON configuration: the line holding the key
//! (`apiKey: 0123…`) does not say whose key it is, the keys above it do
//! (`azureOpenAI:` → `apiKey:`, `{"cohere": {"api_key": …}}`, `api_keys: {mistral: …}`).
//! Read from the parsed tree ([`Node`]), never by a regex across lines.
//!
//! A value is a vendor's key when it has the key's exact shape (the catalogue's
//! `key_context.value`), it sits under a key-holding name (`key`, `api_key`, `apiKey`,
//! `token`, `secret`, `subscription_key`, `key1`) and that name, its parent or its
//! grandparent names the vendor as whole words in any key style (`azure_openai`,
//! `azureOpenAI`, `AZURE-OPENAI`); or it sits under the vendor's name directly below a
//! key-holding map (`api_keys: {cohere: …}`). A reference (`${AZURE_OPENAI_KEY}`) or a
//! placeholder (`<your-key>`, `changeme`) never has a key's shape.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};

use super::matcher::{LazyRegex, Owner};
use super::node::{Node, Value};

/// One vendor's rule: the names that say the vendor (each as lower-case words) and the
/// shape of its key.
#[derive(Debug)]
pub struct Rule {
    pub names: Vec<Vec<String>>,
    /// The key's shape anywhere in a text (`(?:value)`), and as a whole value
    /// (`^(?:value)$`).
    pub shape: LazyRegex,
    pub value: LazyRegex,
    pub owner: Owner,
    /// False when no selected control reads it (`--only`).
    pub enabled: bool,
}

/// The rules of a scan, with a prefilter on the first word of every vendor name.
#[derive(Debug, Default)]
pub struct NestedKeys {
    pub rules: Vec<Rule>,
    first_words: Option<AhoCorasick>,
}

/// A nested key found: the rule (vendor), the line of the value and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rule: usize,
    pub line: u32,
    pub value: String,
}

/// Words that make a name hold a key (its last word).
const KEY_WORDS: &[&str] = &["key", "keys", "apikey", "apikeys", "token", "secret"];

impl NestedKeys {
    pub fn new(rules: Vec<Rule>) -> Self {
        let mut words: Vec<&str> = rules
            .iter()
            .filter(|r| r.enabled)
            .flat_map(|r| r.names.iter().filter_map(|n| n.first().map(String::as_str)))
            .collect();
        words.sort_unstable();
        words.dedup();
        let first_words = (!words.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .build(&words)
                    .ok()
            })
            .flatten();
        Self { rules, first_words }
    }

    /// True when `text` may hold a nested key: it names a vendor and holds a value of some
    /// vendor's key shape.
    pub fn may_hold(&self, text: &str) -> bool {
        self.first_words.as_ref().is_some_and(|ac| ac.is_match(text))
            && self.rules.iter().any(|r| r.enabled && r.shape.is_match(text))
    }

    /// Every nested key in `doc`.
    pub fn find(&self, doc: &Node) -> Vec<Found> {
        let mut out = Vec::new();
        self.visit(doc, &[], &mut out);
        out
    }

    fn visit(&self, node: &Node, above: &[Vec<String>], out: &mut Vec<Found>) {
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let words = words(&k.text);
                    match &v.value {
                        Value::Scalar(s) => {
                            if let Some(rule) = self.rule_for(&words, above, s) {
                                out.push(Found {
                                    rule,
                                    line: v.line,
                                    value: s.clone(),
                                });
                            }
                        }
                        Value::Map(_) | Value::Seq(_) => {
                            let mut next = above.to_vec();
                            next.push(words);
                            // Only the two nearest keys are read: a deeper one is no context.
                            if next.len() > 2 {
                                next.remove(0);
                            }
                            self.visit(v, &next, out);
                        }
                        Value::Null => {}
                    }
                }
            }
            Value::Seq(items) => items.iter().for_each(|n| self.visit(n, above, out)),
            Value::Scalar(_) | Value::Null => {}
        }
    }

    /// The rule whose vendor the context names and whose key shape `value` has.
    fn rule_for(&self, leaf: &[String], above: &[Vec<String>], value: &str) -> Option<usize> {
        let parent = above.last();
        let leaf_holds_key = holds_key(leaf);
        let parent_holds_key = parent.is_some_and(|p| holds_key(p));
        if !(leaf_holds_key || parent_holds_key) {
            return None;
        }
        self.rules.iter().position(|r| {
            r.enabled
                && (if leaf_holds_key {
                    names_vendor(leaf, r) || above.iter().any(|a| names_vendor(a, r))
                } else {
                    names_vendor(leaf, r)
                })
                && r.value.is_match(value)
        })
    }
}

/// True when the name's last word says it holds a key (`api_key`, `apiKey`, `key1`).
fn holds_key(words: &[String]) -> bool {
    words.last().is_some_and(|w| {
        KEY_WORDS.contains(&w.as_str())
            || w.strip_prefix("key")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// True when some run of whole `words` spells one of the rule's names.
fn names_vendor(words: &[String], rule: &Rule) -> bool {
    rule.names.iter().any(|name| {
        let want: String = name.concat();
        (0..words.len()).any(|i| {
            let mut run = String::new();
            words[i..].iter().any(|w| {
                run.push_str(w);
                run == want
            })
        })
    })
}

/// A key's words, lower case: split at non-alphanumerics and camel-case humps
/// (`azureOpenAIKey` → azure, open, ai, key; `AZURE_OPENAI_KEY` → azure, openai, key).
pub fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in key.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let hump = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
                });
            if hump && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c.to_ascii_lowercase());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> NestedKeys {
        let rule = |names: &[&[&str]], value: &str| Rule {
            names: names
                .iter()
                .map(|n| n.iter().map(ToString::to_string).collect())
                .collect(),
            shape: LazyRegex::new(&format!("(?:{value})"), true).unwrap(),
            value: LazyRegex::new(&format!("^(?:{value})$"), true).unwrap(),
            owner: Owner::Always,
            enabled: true,
        };
        NestedKeys::new(vec![
            rule(&[&["azure", "openai"]], "[0-9a-fA-F]{32}"),
            rule(&[&["cohere"]], "[A-Za-z0-9]{40}"),
        ])
    }

    #[test]
    fn key_styles_split_into_words() {
        assert_eq!(words("azureOpenAIKey"), ["azure", "open", "ai", "key"]);
        assert_eq!(words("AZURE_OPENAI_API_KEY"), ["azure", "openai", "api", "key"]);
        assert_eq!(words("azure-openai"), ["azure", "openai"]);
        assert_eq!(words("key1"), ["key1"]);
    }

    #[test]
    fn parent_keys_name_the_vendor() {
        let n = rules();
        let hex = "7c4e1b9a2d8f3e6a0b5c9d1e4f7a2b8c";
        let co = "Zp3Qw8Rt2Yu6Io0Pa4Sd8Fg2Hj6Kl0Zx4Cv8Bn2M";
        let found = |yaml: &str| {
            let doc = super::super::node::parse_yaml(yaml).unwrap();
            n.find(&doc)
                .into_iter()
                .map(|f| (f.rule, f.line))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found(&format!("azureOpenAI:\n  endpoint: https://x\n  apiKey: {hex}\n")),
            [(0, 3)]
        );
        assert_eq!(
            found(&format!(
                "providers:\n  azure_openai:\n    credentials:\n      key: {hex}\n"
            )),
            [(0, 4)]
        );
        assert_eq!(
            found(&format!("{{\"cohere\": {{\"api_key\": \"{co}\"}}}}")),
            [(1, 1)]
        );
        assert_eq!(found(&format!("api_keys:\n  cohere: {co}\n")), [(1, 2)]);
        // No vendor above, not a key name, a reference, another vendor's shape.
        assert!(found(&format!("build:\n  sha: {hex}\n")).is_empty());
        assert!(found(&format!("azure_openai:\n  deployment: {hex}\n")).is_empty());
        assert!(found("azure_openai:\n  api_key: ${AZURE_OPENAI_KEY}\n").is_empty());
        assert!(found(&format!("coherence:\n  key: {co}\n")).is_empty());
        assert!(found(&format!("cohere:\n  key: {hex}\n")).is_empty());
        // Three keys up is no context.
        assert!(found(&format!("azure_openai:\n  a:\n    b:\n      key: {hex}\n")).is_empty());
    }
}
