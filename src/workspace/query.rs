//! Structured queries over YAML and JSON documents (Kubernetes manifests, CI workflows,
//! CloudFormation, exported policies), run during the walk on each parsed document.
//!
//! A query is a set of `where` conditions, each a path into the document and an expected
//! value; every condition must hold. Paths are dot-separated keys; `[]` steps into every
//! element of a list (`rules[].verbs[]`) and `*` into every value of a map (`jobs.*`); a
//! double-quoted step may hold dots (`metadata.annotations."eks.amazonaws.com/role-arn"`).
//! Expected values are exact text, a regex when they start with `~`, or a regex no value
//! on the path may match when they start with `!~`. The evidence line
//! is the line of the `report` path (default: the first condition's path).
//!
//! A `scope` path runs the conditions on each node it selects instead of on the document
//! (each job of a CI workflow), and `group` paths label each match with the values that
//! `query`'s `shared` compares across matches (one service account used by several
//! workloads).

use super::matcher::LazyRegex;

use super::node::{Node, Value};

#[derive(Debug, Clone)]
pub enum Expect {
    Exact(String),
    Regex(LazyRegex),
    /// The path exists, whatever its value.
    Exists,
    /// The path does not exist (`serviceAccountName` not set).
    Absent,
    /// No node on the path matches (`!~-sdk$`: no image is a client SDK image).
    NotRegex(LazyRegex),
}

impl Expect {
    fn holds(&self, node: &Node) -> bool {
        match self {
            Expect::Exists => true,
            Expect::Absent | Expect::NotRegex(_) => false,
            Expect::Exact(want) => node.as_str() == Some(want.as_str()),
            Expect::Regex(re) => node.as_str().is_some_and(|s| re.is_match(s)),
        }
    }
}

/// A compiled query.
#[derive(Debug)]
pub struct Query {
    pub files: super::matcher::Globs,
    pub conditions: Vec<(Vec<Step>, Expect)>,
    pub report: Vec<Step>,
    /// Alternatives, the first that selects a node wins (`environment.name|environment`).
    pub name: Option<Vec<Vec<Step>>>,
    /// Run on each node this selects (relative paths) instead of on the document.
    pub scope: Option<Vec<Step>>,
    /// Paths whose values, joined with `/`, label the match for grouping.
    pub group: Vec<Vec<Step>>,
    /// The signal or control that reads it.
    pub owner: super::matcher::Owner,
    /// False when no selected control reads it: not run (`--only`).
    pub enabled: bool,
}

impl Query {
    /// Text every matching document must contain: the keys on the condition paths and the
    /// exact expected values. A file lacking one of them is not parsed for this query, so
    /// most YAML and JSON files in a repository are never parsed at all.
    pub fn literals(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for step in self.scope.iter().flatten() {
            if let Step::Key(k) = step {
                out.push(k.as_str());
            }
        }
        for (path, expect) in &self.conditions {
            if matches!(expect, Expect::Absent | Expect::NotRegex(_)) {
                continue;
            }
            if matches!(path.as_slice(), [Step::Key(k)] if k == AT_PATH) {
                continue;
            }
            for step in path {
                if let Step::Key(k) = step {
                    out.push(k.as_str());
                }
            }
            if let Expect::Exact(v) = expect {
                out.push(v.as_str());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// True when `text` may hold a document this query matches: every literal occurs, and
    /// every unanchored regex condition matches somewhere in the text.
    ///
    /// An exact value or anchored regex under a named key must also be written as that
    /// key's value on one line (`kind: Deployment`, `"kind": "Deployment"`), as YAML and
    /// JSON writers put it: a file that merely mentions "Deployment" in a description is
    /// not parsed for a workload query.
    pub fn may_match(&self, text: &str) -> bool {
        self.may_match_at(text, None)
    }

    /// [`Self::may_match`] for one YAML document: a condition on a top-level key (a path of
    /// one step, no `scope`) must be met on a line at the document's top-level indentation
    /// (a CustomResourceDefinition's `names.kind: InferenceService` is not its `kind`).
    pub fn may_match_document(&self, doc: &str) -> bool {
        let top = if self.scope.is_none() {
            top_indent(doc)
        } else {
            None
        };
        self.may_match_at(doc, top)
    }

    fn may_match_at(&self, text: &str, top: Option<usize>) -> bool {
        self.literals().iter().all(|l| text.contains(l))
            && self.keys().all(|k| written_as_key(text, k))
            && self.conditions.iter().all(|(path, e)| {
                if matches!(path.as_slice(), [Step::Key(k)] if k == AT_PATH) {
                    return true;
                }
                let at = top.filter(|_| path.len() == 1);
                match (e, path.last()) {
                    (Expect::Regex(re), _) if !anchored(re) => re.is_match(text),
                    (Expect::Regex(re), Some(Step::Key(k))) => {
                        written_values(text, k, at).any(|v| re.is_match(v))
                    }
                    (Expect::Exact(v), Some(Step::Key(k))) => written_values(text, k, at).any(|w| w == v),
                    _ => true,
                }
            })
    }
}

impl Query {
    /// The keys every matching document has: those of the scope and of the conditions
    /// that need a value (not `absent`, not `unless`).
    fn keys(&self) -> impl Iterator<Item = &str> {
        let conditions = self
            .conditions
            .iter()
            .filter(|(path, e)| {
                !matches!(e, Expect::Absent | Expect::NotRegex(_))
                    && !matches!(path.as_slice(), [Step::Key(k)] if k == AT_PATH)
            })
            .flat_map(|(path, _)| path.iter());
        self.scope
            .iter()
            .flatten()
            .chain(conditions)
            .filter_map(|step| match step {
                Step::Key(k) => Some(k.as_str()),
                _ => None,
            })
    }
}

/// True when `key` is written as a mapping key somewhere in `text`: `key:`, `"key":` or
/// `'key' :`, not inside a longer name (`oauth:` is not `auth`, `author:` neither). A
/// schema or a vocabulary that merely mentions the word is not parsed for it.
fn written_as_key(text: &str, key: &str) -> bool {
    let bytes = text.as_bytes();
    let name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
    memchr::memmem::find_iter(bytes, key.as_bytes()).any(|pos| {
        let end = pos + key.len();
        if pos > 0 && name(bytes[pos - 1]) || bytes.get(end).is_some_and(|&b| name(b)) {
            return false;
        }
        let rest = &bytes[end..];
        let rest = rest
            .strip_prefix(b"\"")
            .or_else(|| rest.strip_prefix(b"'"))
            .unwrap_or(rest);
        rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':')
    })
}

fn anchored(re: &LazyRegex) -> bool {
    let src = re.as_str();
    src.starts_with('^') || src.ends_with('$')
}

/// The indentation of a block-style YAML document's top-level keys: that of its first
/// line of content. `None` for a flow-style document (`{…}`, `[…]`) or a sequence.
fn top_indent(doc: &str) -> Option<usize> {
    let line = doc.lines().find(|l| {
        let t = l.trim_start();
        !(t.is_empty()
            || t.starts_with('#')
            || t.starts_with('%')
            || l.starts_with("---")
            || l.starts_with("..."))
    })?;
    let t = line.trim_start_matches(' ');
    (!t.starts_with(['{', '[', '-', '"', '\'', '\t', '?', '!', '&'])).then(|| line.len() - t.len())
}

/// What may be `key`'s value wherever `key:` is written in `text` (at column `at`, when
/// given): the rest of the line (comment and quotes removed), and the same cut at a flow
/// separator (`{kind: Role, …}`, `"kind": "Role",`). A value written on a later line than
/// its key (block scalars) is not seen.
fn written_values<'t, 'k>(
    text: &'t str,
    key: &'k str,
    at: Option<usize>,
) -> impl Iterator<Item = &'t str> + use<'t, 'k> {
    let quote = |c: char| c == '"' || c == '\'';
    let unquote = move |v: &'t str| -> &'t str {
        let v = v.trim();
        match v.chars().next() {
            Some(q) if quote(q) => v[1..].split(q).next().unwrap_or(""),
            _ => v,
        }
    };
    memchr::memmem::find_iter(text.as_bytes(), key.as_bytes())
        .filter_map(move |pos| {
            if let Some(col) = at {
                let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
                if pos - line_start != col || !text[line_start..pos].bytes().all(|b| b == b' ') {
                    return None;
                }
            }
            let rest = &text[pos + key.len()..];
            let rest = rest.trim_start_matches(quote).trim_start_matches([' ', '\t']);
            let rest = rest.strip_prefix(':')?;
            let line = rest.split('\n').next().unwrap_or("");
            let line = line.split(" #").next().unwrap_or(line).trim_end_matches('\r');
            let cut = line.split([',', '}', ']']).next().unwrap_or(line);
            Some([unquote(line), unquote(cut)])
        })
        .flatten()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    /// `[]`: every element of a list.
    Each,
    /// `*`: every value of a map.
    AnyKey,
    /// `**`: the node and every node below it, at any depth (for `scope`).
    Descend,
    /// A leading `/`: the path starts at the document, not at the `scope` node
    /// (`/kind` while the conditions read each of a Role's `rules[]`).
    Root,
}

/// The pseudo-path holding the keys leading to a `scope` node (`server.auth`), so a
/// condition can say where a setting lives (`@path: "!~redis"`).
pub const AT_PATH: &str = "@path";

/// How deep `**` descends.
const MAX_DEPTH: usize = 24;

/// Why a query path in a control file is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathError(String);

/// Parses `a.b[].c` into steps.
pub fn parse_path(path: &str) -> Result<Vec<Step>, PathError> {
    let mut steps = Vec::new();
    let path = match path.strip_prefix('/') {
        Some(rest) => {
            steps.push(Step::Root);
            rest
        }
        None => path,
    };
    for part in split_path(path) {
        let (key, each) = match part.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (part, false),
        };
        if key.is_empty() && !each {
            return Err(PathError(format!("empty step in path `{path}`")));
        }
        if let Some(quoted) = key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
            // A key holding dots (`annotations."eks.amazonaws.com/role-arn"`).
            steps.push(Step::Key(quoted.to_string()));
        } else if key == "*" {
            steps.push(Step::AnyKey);
        } else if key == "**" {
            steps.push(Step::Descend);
        } else if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        if each {
            steps.push(Step::Each);
        }
    }
    if matches!(steps.as_slice(), [] | [Step::Root]) {
        return Err(PathError("empty path".to_string()));
    }
    Ok(steps)
}

/// The dot-separated parts of a path; a double-quoted part may hold dots.
fn split_path(path: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in path.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    parts
}

/// Every node reached by `steps` from `node`.
pub fn select<'a>(node: &'a Node, steps: &[Step], out: &mut Vec<&'a Node>) {
    let Some((first, rest)) = steps.split_first() else {
        out.push(node);
        return;
    };
    match (first, &node.value) {
        (Step::Key(k), Value::Map(_)) => {
            if let Some(child) = node.get(k) {
                select(child, rest, out);
            }
        }
        (Step::Each, Value::Seq(items)) => items.iter().for_each(|n| select(n, rest, out)),
        (Step::AnyKey, Value::Map(entries)) => entries.iter().for_each(|(_, n)| select(n, rest, out)),
        (Step::Descend, _) => {
            let mut nodes = Vec::new();
            descend(node, "", 0, &mut nodes);
            nodes.into_iter().for_each(|(n, _)| select(n, rest, out));
        }
        _ => {}
    }
}

/// `node` and every map below it, each with the keys leading to it (`server.auth`; list
/// elements add no key).
fn descend<'a>(node: &'a Node, path: &str, depth: usize, out: &mut Vec<(&'a Node, String)>) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            out.push((node, path.to_string()));
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.text.clone()
                } else {
                    format!("{path}.{}", k.text)
                };
                descend(v, &p, depth + 1, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| descend(n, path, depth + 1, out)),
        _ => {}
    }
}

/// Every node reached by `steps`, with its key path when the steps hold `**` (else the
/// path is empty).
fn select_scoped<'a>(node: &'a Node, steps: &[Step], out: &mut Vec<(&'a Node, String)>) {
    match steps.iter().position(|s| *s == Step::Descend) {
        Some(i) => {
            let mut heads = Vec::new();
            select(node, &steps[..i], &mut heads);
            for h in heads {
                let mut below = Vec::new();
                descend(h, "", 0, &mut below);
                for (n, path) in below {
                    let mut tail = Vec::new();
                    select(n, &steps[i + 1..], &mut tail);
                    out.extend(tail.into_iter().map(|t| (t, path.clone())));
                }
            }
        }
        None => {
            let mut nodes = Vec::new();
            select(node, steps, &mut nodes);
            out.extend(nodes.into_iter().map(|n| (n, String::new())));
        }
    }
}

/// The line of key `key` whose value is `value`, in a mapping reached by `parent` (from
/// the root when it starts with `/`, else from `doc`).
fn key_line(doc: &Node, root: &Node, parent: &[Step], key: &str, value: &Node) -> Option<u32> {
    let mut maps = Vec::new();
    match parent {
        [Step::Root, rest @ ..] => select(root, rest, &mut maps),
        _ => select(doc, parent, &mut maps),
    }
    maps.into_iter().find_map(|m| match &m.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, v)| k.text == key && std::ptr::eq(v, value))
            .map(|(k, _)| k.line),
        _ => None,
    })
}

/// Separates the values of a match's `group` (a value may hold `/`, as ARNs do).
pub const GROUP_SEP: &str = "\u{1f}";

/// A document that satisfied a query.
#[derive(Debug, Clone)]
pub struct QueryMatch {
    pub line: u32,
    /// The `name` path's value (e.g. `metadata.name`), or the reported value.
    pub name: String,
    /// The text of the evidence line (filled by the walk, which has the file's text).
    pub text: String,
    /// The `group` paths' values joined with [`GROUP_SEP`] (empty without `group`).
    pub group: String,
}

impl Query {
    /// Evaluates the query on one document: one match at most, or one per `scope` node.
    pub fn run(&self, doc: &Node) -> Vec<QueryMatch> {
        match &self.scope {
            None => self.run_on(doc, doc, "").into_iter().collect(),
            Some(scope) => {
                let mut nodes = Vec::new();
                select_scoped(doc, scope, &mut nodes);
                nodes
                    .into_iter()
                    .filter_map(|(n, path)| self.run_on(doc, n, &path))
                    .collect()
            }
        }
    }

    fn run_on(&self, root: &Node, doc: &Node, at: &str) -> Option<QueryMatch> {
        // `@path` reads the scope node's key path as if it were a value.
        let at_node = Node {
            line: doc.line,
            value: Value::Scalar(if at.is_empty() { "(top level)" } else { at }.to_string()),
        };
        let nodes_at = |path: &[Step]| -> Vec<&Node> {
            let mut nodes = Vec::new();
            if matches!(path, [Step::Key(k)] if k == AT_PATH) {
                nodes.push(&at_node);
            } else if let [Step::Root, rest @ ..] = path {
                select(root, rest, &mut nodes);
            } else {
                select(doc, path, &mut nodes);
            }
            nodes
        };
        let mut hit_lines = Vec::with_capacity(self.conditions.len());
        for (path, expect) in &self.conditions {
            let nodes = nodes_at(path);
            match expect {
                Expect::Absent if !nodes.is_empty() => return None,
                Expect::NotRegex(re) if nodes.iter().any(|n| n.as_str().is_some_and(|s| re.is_match(s))) => {
                    return None
                }
                Expect::Absent | Expect::NotRegex(_) => {
                    hit_lines.push(doc.line);
                    continue;
                }
                _ => {}
            }
            let found = nodes.into_iter().find(|n| expect.holds(n))?;
            // A block mapping or list starts on its first entry's line; what exists is the
            // key above it (`openai:` of `flavors.openai`).
            let line = match (expect, &found.value, path.split_last()) {
                (Expect::Exists, Value::Map(_) | Value::Seq(_), Some((Step::Key(k), parent))) => {
                    key_line(doc, root, parent, k, found).unwrap_or(found.line)
                }
                _ => found.line,
            };
            hit_lines.push(line);
        }
        let reported = nodes_at(&self.report);
        // The line that made the query true beats the first node on the reported path.
        let line = self
            .conditions
            .iter()
            .position(|(p, _)| *p == self.report)
            .map(|i| hit_lines[i])
            .or_else(|| reported.first().map(|n| n.line))
            .or_else(|| hit_lines.first().copied())
            .unwrap_or(doc.line);
        let first_value = |steps: &[Step]| nodes_at(steps).first().map(|n| n.flat_text());
        let name = self
            .name
            .as_ref()
            .and_then(|alts| alts.iter().find_map(|steps| first_value(steps)))
            .or_else(|| reported.first().map(|n| n.flat_text()))
            .unwrap_or_default();
        let group = self
            .group
            .iter()
            .map(|steps| first_value(steps).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(GROUP_SEP);
        Some(QueryMatch {
            line,
            name,
            text: String::new(),
            group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_written_as_a_key() {
        assert!(written_as_key("auth:\n  enabled: false\n", "auth"));
        assert!(written_as_key("{\"auth\" : {}}", "auth"));
        assert!(written_as_key("server: {auth: x}", "auth"));
        assert!(written_as_key("- 'auth': x", "auth"));
        assert!(!written_as_key("oauth: x\nauthor: me\n", "auth"));
        assert!(!written_as_key("# auth is off\nname: auth\n", "auth"));
        assert!(!written_as_key("x.auth: 1\nauth-mode: 2", "auth"));
    }
    use crate::workspace::node::parse_yaml_stream;

    #[test]
    fn quoted_steps_hold_dots_and_a_slash_starts_at_the_document() {
        let steps = parse_path(r#"/metadata.annotations."eks.amazonaws.com/role-arn""#).unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Root,
                Step::Key("metadata".into()),
                Step::Key("annotations".into()),
                Step::Key("eks.amazonaws.com/role-arn".into()),
            ]
        );
    }

    #[test]
    fn values_are_read_where_they_are_written() {
        fn values(t: &str) -> Vec<&str> {
            written_values(t, "kind", None).collect()
        }
        assert!(values("kind: RoleBinding # rbac\n").contains(&"RoleBinding"));
        assert!(values("  - \"kind\" : 'Deployment'").contains(&"Deployment"));
        assert!(values("{\"kind\": \"Role\", \"x\": 1}").contains(&"Role"));
        assert!(values("- {kind: Role, name: a}").contains(&"Role"));
        assert!(values("a: x, y\nkind: 'a, b'\n").contains(&"a, b"));
        assert!(!values("kind:\n  Deployment\n").contains(&"Deployment"));
        let crd = "kind: CustomResourceDefinition\nspec:\n  names:\n    kind: InferenceService\n";
        assert_eq!(top_indent(crd), Some(0));
        assert!(!written_values(crd, "kind", Some(0)).any(|v| v == "InferenceService"));
        assert!(written_values(crd, "kind", None).any(|v| v == "InferenceService"));
        assert_eq!(top_indent("# c\n---\n  kind: X\n"), Some(2));
        assert_eq!(top_indent("{kind: X}"), None);
    }

    #[test]
    fn a_scope_gives_one_match_per_node_with_its_group() {
        let text = "jobs:\n  a:\n    environment: {name: prod}\n    role: r1\n  b:\n    environment: dev\n    role: r1\n  c:\n    role: r2\n";
        let docs = parse_yaml_stream(text).unwrap();
        let q = Query {
            files: crate::workspace::matcher::Globs::empty(),
            conditions: vec![(parse_path("environment").unwrap(), Expect::Exists)],
            report: parse_path("role").unwrap(),
            name: Some(vec![
                parse_path("environment.name").unwrap(),
                parse_path("environment").unwrap(),
            ]),
            scope: Some(parse_path("jobs.*").unwrap()),
            group: vec![parse_path("role").unwrap()],
            owner: Default::default(),
            enabled: true,
        };
        let got: Vec<(u32, String, String)> = q
            .run(&docs[0])
            .into_iter()
            .map(|m| (m.line, m.name, m.group))
            .collect();
        assert_eq!(
            got,
            vec![(4, "prod".into(), "r1".into()), (7, "dev".into(), "r1".into())],
            "job c has no environment"
        );
        assert!(q.literals().contains(&"jobs"), "scope keys are literals too");
    }

    #[test]
    fn wildcard_verbs_are_found_at_their_line() {
        let text = "kind: ClusterRole\nmetadata:\n  name: ml-admin\nrules:\n  - apiGroups: [\"\"]\n    verbs: [get]\n  - verbs: [\"*\"]\n";
        let docs = parse_yaml_stream(text).unwrap();
        let q = Query {
            files: crate::workspace::matcher::Globs::empty(),
            conditions: vec![
                (parse_path("kind").unwrap(), Expect::Exact("ClusterRole".into())),
                (parse_path("rules[].verbs[]").unwrap(), Expect::Exact("*".into())),
            ],
            report: parse_path("rules[].verbs[]").unwrap(),
            name: Some(vec![parse_path("metadata.name").unwrap()]),
            scope: None,
            group: Vec::new(),
            owner: Default::default(),
            enabled: true,
        };
        let m = q.run(&docs[0]).pop().unwrap();
        assert_eq!(m.name, "ml-admin");
        assert_eq!(m.line, 7, "the line of the wildcard verb");
    }
}
