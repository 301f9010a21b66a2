//! All content patterns of all controls, run in one pass per file.
//!
//! Controls register their regexes at compile time and get a [`PatternId`] back. Patterns
//! that share the same file scope (the same `files`/`exclude` globs) are grouped into one
//! [`RegexSet`], so a file is searched once per scope that applies to it, however many
//! patterns there are; only patterns the set reports as matching are run again to find
//! their lines. Regexes are compiled with ASCII word boundaries only (see `check_regex`):
//! Unicode `\b` sends the `regex` crate to its slow engines on non-ASCII text.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexSet};

/// Index of a registered content pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatternId(pub u32);

/// Limits that keep a pathological file from producing unbounded hits.
const MAX_HITS_PER_PATTERN_PER_FILE: usize = 64;
/// Size limit of a compiled regex (bytes of program); bounds memory and build time.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// Patterns grouped by file scope: (include globs, exclude globs, patterns).
type ScopeSpec = (Vec<String>, Vec<String>, Vec<(String, PatternId)>);

#[derive(Debug, Default)]
pub struct MatcherBuilder {
    scopes: Vec<ScopeSpec>,
    count: u32,
}

/// Validates a pattern for use on untrusted text: it must compile and must not use Unicode
/// word boundaries, whose cost on non-ASCII files is orders of magnitude higher.
pub fn check_regex(src: &str) -> Result<Regex, String> {
    if uses_unicode_word_boundary(src) {
        return Err(format!(
            "regex `{src}` uses a Unicode word boundary; write `(?-u:\\b)` instead (Unicode \\b is very slow on non-ASCII text)"
        ));
    }
    regex::RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().last().unwrap_or(&text).trim();
            format!(
                "invalid regex `{src}`: {}",
                last.strip_prefix("error: ").unwrap_or(last)
            )
        })
}

/// True when `src` contains `\b` or `\B` outside an `(?-u:...)` group. A conservative
/// textual check: good enough for control files, which are short and written by people.
fn uses_unicode_word_boundary(src: &str) -> bool {
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut ascii_depth: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if matches!(bytes.get(i + 1), Some(b'b' | b'B')) && ascii_depth.is_empty() {
                    return true;
                }
                i += 2;
                continue;
            }
            b'(' => {
                depth += 1;
                if src[i..].starts_with("(?-u:") {
                    ascii_depth.push(depth);
                }
            }
            b')' => {
                if ascii_depth.last() == Some(&depth) {
                    ascii_depth.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Compiles a list of globs matched against target-relative paths (`/` separators,
/// case-insensitive, `*` may cross directories).
pub fn glob_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(glob(g)?);
    }
    b.build().map_err(|e| e.to_string())
}

pub fn glob(g: &str) -> Result<Glob, String> {
    GlobBuilder::new(g)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map_err(|e| format!("invalid glob `{g}`: {}", e.kind()))
}

impl MatcherBuilder {
    /// Registers a regex for files matching `files` (all text files when empty) and not
    /// matching `exclude`. The regex must already have passed [`check_regex`].
    pub fn add(&mut self, regex: &str, files: &[String], exclude: &[String]) -> PatternId {
        let id = PatternId(self.count);
        self.count += 1;
        let scope = self
            .scopes
            .iter_mut()
            .find(|(f, e, _)| f.as_slice() == files && e.as_slice() == exclude);
        match scope {
            Some((_, _, list)) => list.push((regex.to_string(), id)),
            None => self
                .scopes
                .push((files.to_vec(), exclude.to_vec(), vec![(regex.to_string(), id)])),
        }
        id
    }

    pub fn build(self) -> Result<Matchers, String> {
        let mut scopes = Vec::with_capacity(self.scopes.len());
        for (files, exclude, patterns) in self.scopes {
            let include = if files.is_empty() {
                None
            } else {
                Some(glob_set(&files)?)
            };
            let exclude = if exclude.is_empty() {
                None
            } else {
                Some(glob_set(&exclude)?)
            };
            let sources: Vec<&str> = patterns.iter().map(|(s, _)| s.as_str()).collect();
            let set = regex::RegexSetBuilder::new(&sources)
                .size_limit(REGEX_SIZE_LIMIT * 4)
                .build()
                .map_err(|e| e.to_string())?;
            let regexes = sources
                .iter()
                .map(|s| check_regex(s))
                .collect::<Result<Vec<_>, _>>()?;
            let ids = patterns.iter().map(|(_, id)| *id).collect();
            scopes.push(Scope {
                include,
                exclude,
                set,
                regexes,
                ids,
            });
        }
        Ok(Matchers {
            scopes,
            count: self.count,
        })
    }
}

#[derive(Debug)]
struct Scope {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    set: RegexSet,
    regexes: Vec<Regex>,
    ids: Vec<PatternId>,
}

/// The compiled patterns of a scan.
#[derive(Debug)]
pub struct Matchers {
    scopes: Vec<Scope>,
    count: u32,
}

/// One match of a pattern: the line and where in the line.
#[derive(Debug, Clone)]
pub struct RawHit {
    pub pattern: PatternId,
    pub line: u32,
    /// The matched text (at most 200 bytes); used to attribute a hit (which key, which host),
    /// never printed without redaction.
    pub matched: String,
}

impl Matchers {
    pub fn empty() -> Self {
        Self {
            scopes: Vec::new(),
            count: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Runs every applicable pattern over `text`; hits go to `out`.
    pub fn scan(&self, path: &str, text: &str, line_starts: &[usize], out: &mut Vec<RawHit>) {
        for scope in &self.scopes {
            if scope.include.as_ref().is_some_and(|g| !g.is_match(path)) {
                continue;
            }
            if scope.exclude.as_ref().is_some_and(|g| g.is_match(path)) {
                continue;
            }
            for idx in scope.set.matches(text).iter() {
                let re = &scope.regexes[idx];
                let mut last_line = 0;
                let mut n = 0;
                for m in re.find_iter(text) {
                    let line = crate::text::line_of_offset(line_starts, m.start());
                    if line == last_line {
                        continue;
                    }
                    last_line = line;
                    let matched = crate::text::truncate_chars(m.as_str(), 200);
                    out.push(RawHit {
                        pattern: scope.ids[idx],
                        line,
                        matched,
                    });
                    n += 1;
                    if n >= MAX_HITS_PER_PATTERN_PER_FILE {
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_word_boundaries_are_refused() {
        assert!(check_regex(r"\bopenai\b").is_err());
        assert!(check_regex(r"(?-u:\b)openai(?-u:\b)").is_ok());
        assert!(check_regex(r"a\\b").is_ok());
    }

    #[test]
    fn one_pass_finds_lines_per_scope() {
        let mut b = MatcherBuilder::default();
        let a = b.add("openai", &[], &[]);
        let p = b.add("predict\\(", &["*.py".to_string()], &[]);
        let m = b.build().unwrap();
        let text = "import openai\nx = 1\nmodel.predict(x)\n";
        let starts = crate::text::line_starts(text);
        let mut out = Vec::new();
        m.scan("src/app.py", text, &starts, &mut out);
        let got: Vec<_> = out.iter().map(|h| (h.pattern, h.line)).collect();
        assert!(got.contains(&(a, 1)) && got.contains(&(p, 3)), "{got:?}");
        out.clear();
        m.scan("README.md", text, &starts, &mut out);
        assert!(out.iter().all(|h| h.pattern == a));
    }
}
