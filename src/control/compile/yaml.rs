//! Reading a pack file's YAML so that one run shows every problem: unknown keys and missing
//! fields are repaired and the file parsed again, each problem at `line:column` of the file
//! as written.

use serde::de::DeserializeOwned;

use super::sources::SourceFile;
use crate::check::compile::Diag;

/// At most this many parses of one file while collecting its problems (each unknown key or
/// missing field found costs one more parse of a small file).
const MAX_PARSES: usize = 64;

/// Values tried in turn for a missing field, so the parse can go on to the next problem.
const PLACEHOLDERS: [&str; 5] = ["placeholder", "[]", "{}", "1", "~"];

/// Parses a pack file, collecting every unknown key and missing field in one run: after
/// each such error the text is repaired (the unknown key and its block dropped, the
/// missing field given a placeholder) and parsed again, so a user fixing a file sees all
/// its problems at once, each with `line:column` in the file as written.
pub(super) fn parse<T: DeserializeOwned>(file: &SourceFile, diags: &mut Vec<Diag>) -> Option<T> {
    let mut text = Repairable::new(&file.text);
    let mut found: Vec<Diag> = Vec::new();
    let mut trying: Option<Placeholder> = None;
    let mut placeholders = false;
    for _ in 0..MAX_PARSES {
        let err = match parse_once::<T>(&text.joined()) {
            // Only unknown keys were dropped: the rest is compiled too (its problems are
            // at their lines, which dropping keys did not move).
            Ok(v) if !placeholders => {
                found.sort();
                diags.extend(found);
                return Some(v);
            }
            Ok(_) => break,
            Err(e) => e,
        };
        let (line, column) = err
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let message = yaml_message(&err);
        let missing = quoted_after(&message, "missing field `");
        // The placeholder for a missing field has the wrong type: try the next one.
        if let Some(p) = trying.take() {
            if missing.is_none() && line == p.line && p.next < PLACEHOLDERS.len() {
                text = p.before.clone();
                trying = text.insert_field(&p.field, p.at, p.indent, p.next);
                continue;
            }
        }
        let site = missing.and_then(|_| text.missing_field_site(line));
        // A missing field is reported where its mapping starts.
        let (orig_line, orig_col) = match site {
            Some((_, indent, start)) => text.original(start, indent + 1),
            None => text.original(line, column),
        };
        if missing.is_none() && text.inserted(line) {
            // A problem of a placeholder, not of the file: stop here.
            break;
        }
        found.push(Diag {
            file: file.display.clone(),
            line: orig_line,
            column: orig_col,
            message: message.clone(),
        });
        if let Some(key) = quoted_after(&message, "unknown field `") {
            if !text.remove_key(line, column, key) {
                break;
            }
        } else if let Some(field) = missing {
            match site {
                Some((at, indent, _)) => trying = text.insert_field(field, at, indent, 0),
                None => break,
            }
            placeholders = true;
        } else {
            break;
        }
    }
    found.sort();
    diags.extend(found);
    None
}

fn parse_once<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    let mut options = crate::workspace::node::yaml_options();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    serde_saphyr::from_str_with_options::<T>(text, options)
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    clean_yaml_error(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid YAML"),
    )
}

/// The name in `` prefix`name` `` of a serde message.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.split('`').next().filter(|s| !s.is_empty())
}

/// A placeholder inserted for a missing field, and the text before it (to try the next).
struct Placeholder {
    field: String,
    at: usize,
    indent: usize,
    line: usize,
    next: usize,
    before: Repairable,
}

/// A pack file's lines being repaired, each with its line number in the file as written
/// (`None` for an inserted line).
#[derive(Clone)]
struct Repairable {
    lines: Vec<(String, Option<u32>)>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

impl Repairable {
    fn new(text: &str) -> Self {
        Self {
            lines: text
                .split('\n')
                .enumerate()
                .map(|(i, l)| (l.to_string(), u32::try_from(i + 1).ok()))
                .collect(),
        }
    }

    fn joined(&self) -> String {
        self.lines
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A 1-based position in the repaired text, in the file as written (an inserted line
    /// is reported at the line before it, without a column).
    fn original(&self, line: usize, column: usize) -> (Option<u32>, Option<u32>) {
        if line == 0 {
            return (None, None);
        }
        let Some((_, orig)) = self.lines.get(line - 1) else {
            return (self.lines.iter().rev().find_map(|(_, o)| *o), None);
        };
        match orig {
            Some(l) => (Some(*l), u32::try_from(column).ok().filter(|c| *c > 0)),
            None => (self.lines[..line - 1].iter().rev().find_map(|(_, o)| *o), None),
        }
    }

    /// Drops the block key `key` at `line:column` and the lines nested under it; false when
    /// it is not a block key there (a flow mapping: the parse stops at this problem).
    fn remove_key(&mut self, line: usize, column: usize, key: &str) -> bool {
        let Some((text, _)) = self.lines.get(line.wrapping_sub(1)) else {
            return false;
        };
        let col = column.saturating_sub(1);
        let head = text.get(..col).unwrap_or_default();
        let at_key = text.get(col..).is_some_and(|rest| {
            let rest = rest.trim_start_matches(['"', '\'']);
            rest.starts_with(key)
        });
        if !at_key || !head.chars().all(|c| c == ' ' || c == '-') || head.contains('{') {
            return false;
        }
        let keep_head = head.to_string();
        let mut end = line;
        while end < self.lines.len() && (is_blank(&self.lines[end].0) || indent_of(&self.lines[end].0) > col)
        {
            end += 1;
        }
        // Trailing blank lines belong to what follows.
        while end > line && is_blank(&self.lines[end - 1].0) {
            end -= 1;
        }
        // Blanked, not removed: the lines keep their numbers, so what compiling the
        // repaired file reports is at the right place.
        for l in &mut self.lines[line..end] {
            l.0.clear();
        }
        let sibling_follows = self.lines[line..]
            .iter()
            .find(|(l, _)| !is_blank(l))
            .is_some_and(|(l, _)| indent_of(l) == col);
        if keep_head.contains('-') {
            // A sequence item whose only key was this one stays an (empty) mapping.
            self.lines[line - 1].0 = if sibling_follows {
                keep_head
            } else {
                format!("{keep_head}{{}}")
            };
            return true;
        }
        self.lines[line - 1].0.clear();
        if !sibling_follows {
            self.close_emptied_parent(line - 1, col);
        }
        true
    }

    /// After the last key of a block mapping was dropped, its parent key (`roadmap:`)
    /// would hold null: it gets an empty mapping instead, so the repair adds no problem.
    fn close_emptied_parent(&mut self, removed_at: usize, col: usize) {
        let Some(p) = self.lines[..removed_at].iter().rposition(|(l, _)| !is_blank(l)) else {
            return;
        };
        let parent = &self.lines[p].0;
        let nested_left = self.lines[p + 1..]
            .iter()
            .find(|(l, _)| !is_blank(l))
            .is_some_and(|(l, _)| indent_of(l) > indent_of(parent));
        if indent_of(parent) < col && parent.trim_end().ends_with(':') && !nested_left {
            self.lines[p].0.push_str(" {}");
        }
    }

    fn inserted(&self, line: usize) -> bool {
        line > 0 && self.lines.get(line - 1).is_some_and(|(_, o)| o.is_none())
    }

    /// Where to insert a missing field of the mapping an error at `line:column` is about:
    /// after the mapping's last line, at the indentation of its first key.
    fn missing_field_site(&self, line: usize) -> Option<(usize, usize, usize)> {
        // The error may point past the end (the top level).
        if line == 0 || line > self.lines.len() {
            return Some((self.lines.len(), 0, 1));
        }
        // The error points at a key of the mapping (its last): the mapping's indentation
        // is that key's, after any `- ` of a sequence item.
        let text = &self.lines[line - 1].0;
        let indent = text.len() - text.trim_start_matches([' ', '-']).len();
        if text.trim_start_matches([' ', '-']).starts_with('{') {
            return None;
        }
        let mut end = line;
        while end < self.lines.len()
            && (is_blank(&self.lines[end].0) || indent_of(&self.lines[end].0) >= indent.max(1))
        {
            end += 1;
        }
        if indent == 0 {
            end = self.lines.len();
        }
        while end > line && is_blank(&self.lines[end - 1].0) {
            end -= 1;
        }
        // Its first key: back over lines at least as indented (a `- ` item starts it).
        let mut start = line;
        while start > 1 {
            let prev = &self.lines[start - 2].0;
            let item_start = self.lines[start - 1].0.trim_start().starts_with('-');
            if item_start || (!is_blank(prev) && indent_of(prev) < indent) {
                break;
            }
            start -= 1;
        }
        while start < line && is_blank(&self.lines[start - 1].0) {
            start += 1;
        }
        Some((end, indent, start))
    }

    /// Inserts `field: PLACEHOLDERS[which]` at line index `at`; the state to try the next
    /// placeholder from.
    fn insert_field(&mut self, field: &str, at: usize, indent: usize, which: usize) -> Option<Placeholder> {
        let before = self.clone();
        let value = PLACEHOLDERS.get(which)?;
        let at = at.min(self.lines.len());
        self.lines
            .insert(at, (format!("{}{field}: {value}", " ".repeat(indent)), None));
        Some(Placeholder {
            field: field.to_string(),
            at,
            indent,
            line: at + 1,
            next: which + 1,
            before,
        })
    }
}

pub(super) fn line_of<T>(s: &serde_saphyr::Spanned<T>) -> Option<u32> {
    u32::try_from(s.referenced.line()).ok().filter(|l| *l > 0)
}

/// `error: line 7 column 1: unknown field …` → `unknown field …` (the line is reported
/// separately, as `file:line`).
pub fn clean_yaml_error(first_line: &str) -> String {
    let s = first_line.trim();
    let s = s.strip_prefix("error:").unwrap_or(s).trim_start();
    if let Some(rest) = s.strip_prefix("line ") {
        if let Some((pos, after)) = rest.split_once(": ") {
            if pos
                .split_whitespace()
                .all(|w| w == "column" || w.chars().all(|c| c.is_ascii_digit()))
            {
                return after.to_string();
            }
        }
    }
    s.to_string()
}
