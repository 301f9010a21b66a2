//! A line-aware tree for YAML and JSON documents found in a target.
//!
//! Checks need to point at the line where a value sits (`roleRef.name: cluster-admin` at
//! `rbac.yaml:14`), so target documents are not parsed into `serde_json::Value`. YAML goes
//! through serde-saphyr's `Spanned` wrapper, which keeps the line of every node while still
//! enforcing the parser's budgets against alias bombs and deep nesting. JSON is parsed by
//! serde_json into a value and lines are recovered by a single scan of the text (see
//! [`Node::from_json`]).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::ParseError;

/// One node of a parsed document, with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: u32,
    pub value: Value,
}

/// The shape of a node. Scalars keep their text form: the checks compare text, and a
/// YAML 1.1 `yes`/`NO` must stay what the author wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub line: u32,
    pub text: String,
}

impl Node {
    /// The scalar text, if this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping (exact key match).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Renders a node as flat text (used when a register field holds a list or a map).
    pub fn flat_text(&self) -> String {
        let mut out = String::new();
        self.flatten_into(&mut out);
        out
    }

    fn flatten_into(&self, out: &mut String) {
        match &self.value {
            Value::Null => {}
            Value::Scalar(s) => push_word(out, s),
            Value::Seq(items) => items.iter().for_each(|n| n.flatten_into(out)),
            Value::Map(entries) => {
                for (k, v) in entries {
                    push_word(out, &k.text);
                    v.flatten_into(out);
                }
            }
        }
    }

    /// Parses a JSON document. serde_json does not expose positions of values, so the line
    /// of each node is recovered by walking the text in the same order serde_json read it.
    pub fn from_json(text: &str) -> Result<Node, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        let mut cursor = JsonLines::new(text);
        Ok(cursor.node(&value))
    }
}

fn push_word(out: &mut String, s: &str) {
    if !out.is_empty() {
        out.push_str(", ");
    }
    out.push_str(s);
}

/// Walks JSON text token by token in step with a parsed value, to learn each node's line.
/// Linear in the text: every byte is visited once.
struct JsonLines<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> JsonLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' | b',' | b':' => {}
                _ => break,
            }
            self.pos += 1;
        }
    }

    /// Skips one string token, counting escaped characters correctly.
    fn skip_string(&mut self) {
        self.pos += 1; // opening quote
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'"' => return,
                b'\n' => self.line += 1,
                _ => {}
            }
        }
    }

    fn skip_scalar(&mut self) {
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.skip_string();
            return;
        }
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    fn node(&mut self, value: &serde_json::Value) -> Node {
        self.skip_ws();
        let line = self.line;
        let value = match value {
            serde_json::Value::Array(items) => {
                self.pos += 1; // [
                let nodes = items.iter().map(|v| self.node(v)).collect();
                self.skip_ws();
                self.pos += 1; // ]
                Value::Seq(nodes)
            }
            serde_json::Value::Object(map) => {
                self.pos += 1; // {
                let mut entries = Vec::with_capacity(map.len());
                for (k, v) in map {
                    self.skip_ws();
                    let key = Key {
                        line: self.line,
                        text: k.clone(),
                    };
                    self.skip_string();
                    entries.push((key, self.node(v)));
                }
                self.skip_ws();
                self.pos += 1; // }
                Value::Map(entries)
            }
            other => {
                self.skip_scalar();
                match other {
                    serde_json::Value::Null => Value::Null,
                    serde_json::Value::String(s) => Value::Scalar(s.clone()),
                    v => Value::Scalar(v.to_string()),
                }
            }
        };
        Node { line, value }
    }
}

/// Parses every document of a YAML stream into nodes.
pub fn parse_yaml_stream(text: &str) -> Result<Vec<Node>, ParseError> {
    on_parser_stack(|| {
        let docs: Vec<Spanned<Value>> = serde_saphyr::from_multiple_with_options(text, yaml_options())
            .map_err(|e| ParseError(first_line(&e.to_string())))?;
        Ok(docs.into_iter().map(spanned_to_node).collect())
    })
}

/// The documents of a YAML stream, as byte ranges of `text`: split at lines starting with
/// `---` or `...`, as YAML defines them (a marker inside a scalar may not start at column
/// 0). Each range starts at its `---` line.
///
/// Parsing is the walk's largest cost on Kubernetes repositories: a release manifest of
/// 3 MB holds a few Deployments among CustomResourceDefinitions of 2 MB each, and a query
/// for workloads only needs the Deployments. The walk parses only the documents a check
/// may read ([`only_documents`]), and a broken one (a Helm template) does not hide the
/// others.
pub fn yaml_documents(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut bounds = vec![0];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if at > 0 && is_document_marker(line) {
            bounds.push(at);
        }
        at += line.len();
    }
    bounds.push(text.len());
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// True for a Kubernetes CustomResourceDefinition document (`kind:` at the top level):
/// a schema, read by no check.
pub fn is_schema_definition(doc: &str) -> bool {
    doc.lines().any(|l| {
        l.strip_prefix("kind:")
            .is_some_and(|k| k.trim() == "CustomResourceDefinition")
    })
}

fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..].chars().next().is_none_or(char::is_whitespace)
}

/// `text` with the documents `keep` refuses emptied: their lines stay, blank (a marker
/// line keeps its `---`), so every kept node keeps its line number.
pub fn only_documents<'t>(
    text: &'t str,
    docs: &[std::ops::Range<usize>],
    keep: &[bool],
) -> std::borrow::Cow<'t, str> {
    if keep.iter().all(|k| *k) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (range, &keep) in docs.iter().zip(keep) {
        let doc = &text[range.clone()];
        if keep {
            out.push_str(doc);
            continue;
        }
        for (i, line) in doc.split_inclusive('\n').enumerate() {
            if i == 0 && is_document_marker(line) {
                out.push_str(&line[..3]);
            }
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The documents of a YAML stream that `relevant` accepts (see [`yaml_documents`]);
/// parse errors go to `notes`.
/// When they do not parse together, each is parsed on its own: a broken document (a Helm
/// template) costs a note and itself, not its valid neighbours.
pub fn parse_yaml_documents(
    text: &str,
    relevant: impl Fn(&str) -> bool,
    notes: &mut Vec<String>,
) -> Vec<Node> {
    let ranges = yaml_documents(text);
    let keep: Vec<bool> = ranges.iter().map(|r| relevant(&text[r.clone()])).collect();
    let kept = keep.iter().filter(|k| **k).count();
    if kept == 0 {
        return Vec::new();
    }
    match parse_yaml_stream(&only_documents(text, &ranges, &keep)) {
        Ok(docs) => docs,
        Err(e) if kept == 1 => {
            notes.push(format!("YAML parse error: {e}"));
            Vec::new()
        }
        Err(_) => {
            let mut docs = Vec::new();
            for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
                let only: Vec<bool> = (0..keep.len()).map(|j| j == i).collect();
                match parse_yaml_stream(&only_documents(text, &ranges, &only)) {
                    Ok(d) => docs.extend(d),
                    Err(e) => notes.push(format!("YAML parse error: {e}")),
                }
            }
            docs
        }
    }
}

/// Parses a single YAML document (front matter, control files use their own types).
pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    on_parser_stack(|| {
        let doc: Spanned<Value> = serde_saphyr::from_str_with_options(text, yaml_options())
            .map_err(|e| ParseError(first_line(&e.to_string())))?;
        Ok(spanned_to_node(doc))
    })
}

/// Stack for a YAML parse. serde-saphyr recurses once per nesting level, with frames of
/// tens of KiB in unoptimised builds, so the 128 levels the budget allows overflow the
/// 2 MiB stack of a walker thread (an abort, not an error). Parses run on a thread of
/// their own with room for them; the memory is reserved, and touched only as deep as a
/// document goes.
const PARSER_STACK: usize = 32 << 20;

fn on_parser_stack<R: Send>(parse: impl FnOnce() -> Result<R, ParseError> + Send) -> Result<R, ParseError> {
    std::thread::scope(|s| {
        match std::thread::Builder::new()
            .name("yaml".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, parse)
        {
            Ok(handle) => handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(e) => Err(ParseError(format!("cannot start the YAML parser: {e}"))),
        }
    })
}

/// YAML options for untrusted input: YAML 1.2 booleans, leading-zero numbers kept as text,
/// and budgets large enough for real manifests but bounded against bombs.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // Sized for the largest real manifests (a few hundred thousand nodes); aliases may
    // replay at most 100k events, so an alias bomb stops after a few MiB and milliseconds.
    budget.max_nodes = 500_000;
    budget.max_events = 1_000_000;
    budget.max_documents = 10_000;
    budget.max_depth = 128;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_total_scalar_bytes = 16 << 20;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 100_000;
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    // A client's file with a repeated key is still evidence; keep the first value.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::FirstWins;
    options
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("parse error").trim().to_string()
}

fn spanned_to_node(s: Spanned<Value>) -> Node {
    Node {
        line: line_of(&s),
        value: s.value,
    }
}

fn line_of<T>(s: &Spanned<T>) -> u32 {
    u32::try_from(s.referenced.line()).unwrap_or(u32::MAX).max(1)
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Scalar(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Scalar(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(spanned_to_node(item));
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Value>>()? {
            let key_line = line_of(&key);
            let text = match key.value {
                Value::Scalar(s) => s,
                Value::Null => String::new(),
                other => Node {
                    line: key_line,
                    value: other,
                }
                .flat_text(),
            };
            let value: Spanned<Value> = map.next_value()?;
            entries.push((Key { line: key_line, text }, spanned_to_node(value)));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_resource_definition_is_a_schema() {
        assert!(is_schema_definition(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        ));
        assert!(!is_schema_definition(
            "kind: Deployment\nspec:\n  names:\n    kind: CustomResourceDefinition\n"
        ));
    }

    #[test]
    fn only_kept_documents_are_parsed_and_lines_stay() {
        let text = "kind: CustomResourceDefinition\nspec: {a: 1}\n---\nkind: Deployment\nspec:\n  x: 1\n--- # crd\nkind: CustomResourceDefinition\nbroken: [\n...\n";
        let docs = yaml_documents(text);
        assert_eq!(docs.len(), 4);
        let keep: Vec<bool> = docs
            .iter()
            .map(|r| text[r.clone()].contains("Deployment"))
            .collect();
        let kept = only_documents(text, &docs, &keep);
        assert_eq!(kept.lines().count(), text.lines().count());
        let parsed = parse_yaml_stream(&kept).unwrap();
        let deployment = parsed
            .iter()
            .find(|d| d.get("kind").and_then(Node::as_str) == Some("Deployment"))
            .unwrap();
        assert_eq!(deployment.line, 4);
        assert_eq!(
            deployment.get("spec").and_then(|s| s.get("x")).map(|n| n.line),
            Some(6)
        );
        assert!(parsed
            .iter()
            .all(|d| d.get("kind").and_then(Node::as_str) != Some("CustomResourceDefinition")));
        assert!(matches!(
            only_documents(text, &docs, &[true; 4]),
            std::borrow::Cow::Borrowed(_)
        ));
        // `----` and `---x` are not markers.
        assert_eq!(yaml_documents("a: 1\n----\n---x\nb: 2\n").len(), 1);
    }

    #[test]
    fn yaml_lines_are_kept() {
        let docs = parse_yaml_stream("a: 1\nb:\n  - x\n  - y: 2\n---\nkind: Role\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].get("b").unwrap();
        match &b.value {
            Value::Seq(items) => {
                assert_eq!(items[0].line, 3);
                assert_eq!(items[1].get("y").unwrap().line, 4);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(docs[1].get("kind").unwrap().line, 6);
    }

    #[test]
    fn yaml_booleans_stay_text() {
        let doc = parse_yaml("country: NO\nflag: yes\n").unwrap();
        assert_eq!(doc.get("country").unwrap().as_str(), Some("NO"));
    }

    #[test]
    fn json_lines_are_recovered() {
        let text = "{\n  \"a\": [1, \"x,]\\\"\"],\n  \"b\": {\n    \"c\": null\n  }\n}\n";
        let n = Node::from_json(text).unwrap();
        assert_eq!(n.get("a").unwrap().line, 2);
        assert_eq!(n.get("b").unwrap().get("c").unwrap().line, 4);
    }

    #[test]
    fn alias_bomb_is_rejected_quickly() {
        let mut s = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        assert!(parse_yaml(&s).is_err());
    }
}
