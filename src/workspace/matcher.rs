//! All content patterns of all controls, run in one pass per file.
//!
//! Controls register their regexes at compile time and get a [`PatternId`] back, each with
//! a file scope (`files`/`exclude` globs). At build time the prefix literals of every
//! pattern are extracted (`regex-syntax`). Scanning a file then works like a grep with a
//! literal prefilter: SIMD literal searchers (Teddy, from `aho-corasick`) built from the
//! literals of the patterns that apply to this kind of file find candidate lines; one
//! `RegexSet` run on each candidate line tells which patterns really match. Most lines of
//! most files are only ever touched by the SIMD search.
//!
//! Regexes are compiled with ASCII word boundaries only (see `check_regex`): Unicode `\b`
//! sends the `regex` crate to its slow engines on non-ASCII text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use aho_corasick::AhoCorasick;
use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex as BytesRegex, RegexSet};
use regex::Regex;

/// Index of a registered content pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatternId(pub u32);

/// Limits that keep a pathological file from producing unbounded hits.
const MAX_HITS_PER_PATTERN_PER_FILE: usize = 64;
/// Size limit of a compiled regex (bytes of program); bounds memory and build time.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// Patterns grouped by file scope: (include globs, exclude globs, patterns).
type ScopeSpec = (Vec<String>, Vec<String>, Vec<(String, PatternId, Owner)>);

/// What registered a pattern, so a scan of a few controls (`--only`) runs only the
/// patterns they read (see [`Matchers::retain`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// Needed by every scan (inline waivers).
    #[default]
    Always,
    /// A signal or a control, numbered by the loader.
    Unit(u32),
    /// A catalogue's patterns of one kind of signal (`None`: its usage markers).
    Catalog(u32, Option<u8>),
}

#[derive(Debug, Default)]
pub struct MatcherBuilder {
    scopes: Vec<ScopeSpec>,
    count: u32,
    /// The owner of the patterns added from now on.
    pub owner: Owner,
}

/// Validates a pattern for use on untrusted text: it must compile and must not use Unicode
/// word boundaries, whose cost on non-ASCII files is orders of magnitude higher.
pub fn check_regex(src: &str) -> Result<Regex, String> {
    // Both problems of a regex are reported at once: a Unicode word boundary and a syntax
    // error (fixing one must not reveal the other).
    let boundary = uses_unicode_word_boundary(src).then(|| {
        "uses a Unicode word boundary; write `(?-u:\\b)` instead (Unicode \\b is very slow on non-ASCII text)"
            .to_string()
    });
    let built = regex::RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().last().unwrap_or(&text).trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        });
    match (built, boundary) {
        (Ok(re), None) => Ok(re),
        (Ok(_), Some(b)) => Err(format!("regex `{src}` {b}")),
        (Err(e), None) => Err(format!("invalid regex `{src}`: {e}")),
        (Err(e), Some(b)) => Err(format!("invalid regex `{src}`: {e}; it also {b}")),
    }
}

/// A regex compiled on first use.
///
/// Start-up is paid on every pre-commit run, and most of a pack's regexes are never needed
/// by a given repository (no Terraform, no registers…). The built-in pack's regexes are
/// validated when its tests load it with `LoadOptions::check_builtin`, so a run builds
/// only what it uses; regexes of any other pack are compiled (validated) when it loads.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    src: Box<str>,
    re: OnceLock<Regex>,
}

impl LazyRegex {
    /// Validates and compiles `src` now when `eager`; otherwise checks only what is cheap
    /// (no Unicode word boundary) and compiles on first use.
    pub fn new(src: &str, eager: bool) -> Result<Self, String> {
        let re = OnceLock::new();
        if eager {
            let _ = re.set(check_regex(src)?);
        } else if uses_unicode_word_boundary(src) {
            check_regex(src)?;
        }
        Ok(Self { src: src.into(), re })
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;

    /// The compiled regex. A built-in regex that does not compile (the pack's tests make
    /// that impossible) matches nothing rather than failing the scan.
    fn deref(&self) -> &Regex {
        self.re.get_or_init(|| {
            check_regex(&self.src).unwrap_or_else(|_| {
                static NEVER: std::sync::LazyLock<Regex> =
                    std::sync::LazyLock::new(|| Regex::new(r"[a&&b]").unwrap_or_else(|_| unreachable!()));
                NEVER.clone()
            })
        })
    }
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

/// A list of globs matched against target-relative paths (`/` separators,
/// case-insensitive, `*` may cross directories): each glob is parsed (validated) now, the
/// set is compiled on first use, like [`LazyRegex`] (a pack has hundreds of file globs; a
/// scan meets the kinds of file a few of them name).
pub fn glob_set(globs: &[String]) -> Result<Globs, String> {
    let globs = globs.iter().map(|g| glob(g)).collect::<Result<Vec<_>, _>>()?;
    Ok(Globs {
        globs,
        set: OnceLock::new(),
    })
}

/// A glob set compiled on first use (see [`glob_set`]).
#[derive(Debug, Clone)]
pub struct Globs {
    globs: Vec<Glob>,
    set: OnceLock<GlobSet>,
}

impl Globs {
    pub fn empty() -> Self {
        Self {
            globs: Vec::new(),
            set: OnceLock::new(),
        }
    }
}

impl std::ops::Deref for Globs {
    type Target = GlobSet;

    /// The compiled set. Every glob parsed when the list was made; a set the glob engine
    /// cannot build (beyond its size limits) matches nothing rather than failing the scan.
    fn deref(&self) -> &GlobSet {
        self.set.get_or_init(|| {
            let mut b = GlobSetBuilder::new();
            for g in &self.globs {
                b.add(g.clone());
            }
            b.build().unwrap_or_else(|_| GlobSet::empty())
        })
    }
}

///
/// As in `.gitignore`, a glob without `/` matches the file name in any directory
/// (`MLmodel`, `*.py`); a glob with `/` matches the path from the target root.
pub fn glob(g: &str) -> Result<Glob, String> {
    let anchored = if g.contains('/') {
        g.to_string()
    } else {
        format!("**/{g}")
    };
    GlobBuilder::new(&anchored)
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
        let owner = self.owner;
        match scope {
            Some((_, _, list)) => list.push((regex.to_string(), id, owner)),
            None => self.scopes.push((
                files.to_vec(),
                exclude.to_vec(),
                vec![(regex.to_string(), id, owner)],
            )),
        }
        id
    }

    /// Compiles the file scopes. Regexes, their literals and the regex sets are compiled
    /// on first use (see [`Matchers`]): a run pays only for the kinds of file it meets.
    pub fn build(self) -> Result<Matchers, String> {
        let mut scopes = Vec::with_capacity(self.scopes.len());
        let mut patterns = Vec::new();
        for (files, exclude, list) in self.scopes {
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
            let first = patterns.len();
            let scope = scopes.len();
            patterns.extend(list.into_iter().map(|(src, id, owner)| Pattern {
                src,
                id,
                scope,
                owner,
                enabled: true,
                regex: OnceLock::new(),
            }));
            scopes.push(Scope {
                include,
                exclude,
                patterns: first..patterns.len(),
                literals: OnceLock::new(),
            });
        }
        if scopes.len() > 64 {
            return Err(format!(
                "{} distinct file scopes; at most 64 are supported",
                scopes.len()
            ));
        }
        Ok(Matchers {
            scopes,
            patterns,
            prefilters: RwLock::default(),
            count: self.count,
        })
    }
}

/// Most literals a pattern may contribute to the prefilter; beyond this it is searched on
/// its own (case-insensitive words explode into many literals).
const MAX_LITERALS_PER_PATTERN: usize = 300;

/// Prefilter literals are cut to this many bytes: `from openai` and `from openai.types`
/// need one literal, and a short literal is as selective as a long one past this length.
const PREFIX_BYTES: usize = 8;

/// Literals per SIMD (Teddy) searcher: Teddy handles at most 64; above that the
/// `aho-corasick` crate falls back to slower searchers, so large sets are split.
const TEDDY_GROUP: usize = 64;

/// Literals locating a pattern's matches, or `None` when it could start and end with
/// anything (such a pattern is searched on its own, whole file). Matching is per line, so
/// any literal every match contains finds the line: the prefix literals are used, or the
/// suffix literals when the prefix is unusable (`^[ \t]*import (?:evidently|whylogs)`
/// starts with anything but ends with one of its package names).
fn prefix_literals(src: &str) -> Result<Option<Vec<Vec<u8>>>, String> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(src)
        .map_err(|e| e.to_string())?;
    let usable = |kind: ExtractKind| {
        let mut extractor = Extractor::new();
        extractor.kind(kind).limit_total(MAX_LITERALS_PER_PATTERN);
        let seq = extractor.extract(&hir);
        let lits = seq.literals()?;
        let shortest = lits.iter().map(|l| l.as_bytes().len()).min()?;
        (shortest >= 2).then(|| (shortest, lits.to_vec()))
    };
    let prefix = usable(ExtractKind::Prefix);
    // A suffix is used only when it is clearly more selective than the prefix.
    let pick = match (prefix, || usable(ExtractKind::Suffix)) {
        (Some(p), _) if p.0 >= 3 => Some((p.1, ExtractKind::Prefix)),
        (p, suffix) => match (p, suffix()) {
            (Some(p), Some(s)) if s.0 > p.0 => Some((s.1, ExtractKind::Suffix)),
            (Some(p), _) => Some((p.1, ExtractKind::Prefix)),
            (None, Some(s)) if s.0 >= 3 => Some((s.1, ExtractKind::Suffix)),
            _ => None,
        },
    };
    Ok(pick.map(|(lits, kind)| {
        lits.iter()
            .map(|l| {
                let b = l.as_bytes();
                let n = b.len().min(PREFIX_BYTES);
                match kind {
                    ExtractKind::Suffix => b[b.len() - n..].to_vec(),
                    _ => b[..n].to_vec(),
                }
            })
            .collect()
    }))
}

/// Sorted, deduplicated literals with every literal that starts with another removed (it
/// adds nothing to a prefilter).
fn minimal(mut literals: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    literals.sort();
    literals.dedup();
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(literals.len());
    for lit in literals {
        if !out.last().is_some_and(|prev| lit.starts_with(prev)) {
            out.push(lit);
        }
    }
    out
}

/// One group of prefilter literals.
#[derive(Debug)]
enum Literals {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Literals {
    fn build(chunk: &[Vec<u8>]) -> Result<Self, String> {
        let mut b = aho_corasick::packed::Config::new().builder();
        b.extend(chunk);
        match b.build() {
            Some(searcher) => Ok(Literals::Packed(searcher)),
            None => AhoCorasick::new(chunk)
                .map(Literals::Automaton)
                .map_err(|e| e.to_string()),
        }
    }

    /// Start offsets of the literal occurrences, leftmost first.
    fn starts(&self, hay: &[u8], out: &mut Vec<usize>) {
        match self {
            Literals::Packed(s) => out.extend(s.find_iter(hay).map(|m| m.start())),
            Literals::Automaton(a) => out.extend(a.find_iter(hay).map(|m| m.start())),
        }
    }
}

/// The prefilter and regex set for one combination of applicable scopes.
#[derive(Debug)]
struct Prefilter {
    groups: Vec<Literals>,
    /// Patterns (indexes into `Matchers::patterns`) with no usable literal: searched on
    /// their own over the whole file.
    unfiltered: Vec<usize>,
    /// Every applicable pattern, ascending; `set`'s pattern `i` is `patterns[i]`.
    patterns: Vec<usize>,
    set: RegexSet,
}

/// Which files a group of patterns applies to.
#[derive(Debug)]
struct Scope {
    include: Option<Globs>,
    exclude: Option<Globs>,
    /// This scope's patterns (a range of `Matchers::patterns`).
    patterns: std::ops::Range<usize>,
    /// The literals locating the scope's patterns, and the patterns without any; extracted
    /// on first use.
    literals: OnceLock<(Vec<Vec<u8>>, Vec<usize>)>,
}

impl Scope {
    fn applies(&self, path: &Candidate<'_>) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match_candidate(path))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match_candidate(path))
    }

    fn literals(&self, patterns: &[Pattern]) -> &(Vec<Vec<u8>>, Vec<usize>) {
        self.literals.get_or_init(|| {
            let mut literals = Vec::new();
            let mut unfiltered = Vec::new();
            for idx in self.patterns.clone().filter(|&i| patterns[i].enabled) {
                match prefix_literals(&patterns[idx].src) {
                    Ok(Some(lits)) => literals.extend(lits),
                    _ => unfiltered.push(idx),
                }
            }
            (literals, unfiltered)
        })
    }
}

/// One registered pattern; its regex is compiled the first time a line needs it.
#[derive(Debug)]
struct Pattern {
    src: String,
    id: PatternId,
    scope: usize,
    owner: Owner,
    /// False when no selected control reads it ([`Matchers::retain`]).
    enabled: bool,
    regex: OnceLock<Option<BytesRegex>>,
}

impl Pattern {
    /// The compiled regex; `None` only for a pattern that does not compile, which the
    /// loader has already refused (see [`Matchers::check`]).
    fn regex(&self) -> Option<&BytesRegex> {
        self.regex.get_or_init(|| bytes_regex(&self.src).ok()).as_ref()
    }
}

fn bytes_regex(src: &str) -> Result<BytesRegex, String> {
    regex::bytes::RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// The compiled patterns of a scan. A file's applicable scopes are a bit mask; for each
/// combination met (a handful: Python files, Markdown, YAML…) the literal prefilter and
/// the regex set of exactly the applicable patterns are built on first use and shared by
/// the walker's threads. Start-up compiles nothing but the file globs, and a smaller set
/// per kind of file keeps the lazy DFA's cache from thrashing.
#[derive(Debug, Default)]
pub struct Matchers {
    scopes: Vec<Scope>,
    patterns: Vec<Pattern>,
    prefilters: RwLock<HashMap<u64, Arc<Prefilter>>>,
    count: u32,
}

/// One match of a pattern: the line and where in the line.
#[derive(Debug, Clone)]
pub struct RawHit {
    pub pattern: PatternId,
    pub line: u32,
    /// The whole line (at most 400 characters), unredacted; shared by every pattern that
    /// matches the line (a line can match a hundred patterns).
    pub text: Arc<str>,
    /// Where the match is in `text` (byte offsets; past its end when the cap cut it), so
    /// a key hit's evidence can mask exactly what matched.
    pub span: (usize, usize),
}

impl Matchers {
    pub fn empty() -> Self {
        Self {
            scopes: Vec::new(),
            patterns: Vec::new(),
            prefilters: RwLock::default(),
            count: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// The regex of every registered pattern.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.src.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Keeps only the patterns whose owner `keep` accepts: a scan of some controls runs
    /// only what they read. Called before the first scan (sets are built on first use).
    pub fn retain(&mut self, keep: impl Fn(Owner) -> bool) {
        for p in &mut self.patterns {
            p.enabled = keep(p.owner);
        }
        if let Ok(m) = self.prefilters.get_mut() {
            m.clear();
        }
        for s in &mut self.scopes {
            s.literals = OnceLock::new();
        }
    }

    /// Compiles everything now: every pattern, and all of them as one set (the largest
    /// set a file can need). The loader calls it for packs other than the built-in one,
    /// whose tests do the same, so a bad pattern is an error at load, never a silent miss.
    pub fn check(&self) -> Result<(), String> {
        for p in &self.patterns {
            bytes_regex(&p.src)?;
        }
        if !self.scopes.is_empty() {
            // Every scope's bit (1 to 64 scopes, checked by `build`).
            self.prefilter(u64::MAX >> (64 - self.scopes.len().min(64)))?;
        }
        Ok(())
    }

    fn prefilter(&self, mask: u64) -> Result<Arc<Prefilter>, String> {
        if let Some(p) = self.prefilters.read().ok().and_then(|m| m.get(&mask).cloned()) {
            return Ok(p);
        }
        let applicable = || {
            self.scopes
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| s)
        };
        let literals = minimal(
            applicable()
                .flat_map(|s| s.literals(&self.patterns).0.iter().cloned())
                .collect(),
        );
        let groups = literals
            .chunks(TEDDY_GROUP)
            .map(Literals::build)
            .collect::<Result<Vec<_>, _>>()?;
        let mut unfiltered: Vec<usize> = applicable()
            .flat_map(|s| s.literals(&self.patterns).1.iter().copied())
            .collect();
        unfiltered.sort_unstable();
        let patterns: Vec<usize> = (0..self.patterns.len())
            .filter(|&i| self.patterns[i].enabled && mask & (1 << self.patterns[i].scope) != 0)
            .collect();
        let set = regex::bytes::RegexSetBuilder::new(patterns.iter().map(|&i| &self.patterns[i].src))
            .size_limit(REGEX_SIZE_LIMIT * 8)
            .build()
            .map_err(|e| e.to_string())?;
        let p = Arc::new(Prefilter {
            groups,
            unfiltered,
            patterns,
            set,
        });
        if let Ok(mut m) = self.prefilters.write() {
            return Ok(m.entry(mask).or_insert(p).clone());
        }
        Ok(p)
    }

    /// Runs every applicable pattern over `bytes`; hits go to `out`. Matching is line
    /// oriented, as in grep: a pattern reports each line it matches once.
    pub fn scan(&self, path: &str, bytes: &[u8], out: &mut Vec<RawHit>) {
        if self.patterns.is_empty() {
            return;
        }
        let candidate = Candidate::new(path);
        let mask = self
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.applies(&candidate))
            .fold(0u64, |m, (i, _)| m | (1 << i));
        if mask == 0 {
            return;
        }
        let Ok(prefilter) = self.prefilter(mask) else {
            return;
        };
        let line_of = |at: usize| {
            let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
            (start, end)
        };
        // Candidate lines: where a literal occurs, plus the matches of patterns that could
        // not be prefiltered.
        let mut starts = Vec::new();
        for group in &prefilter.groups {
            group.starts(bytes, &mut starts);
        }
        for &idx in &prefilter.unfiltered {
            let Some(re) = self.patterns[idx].regex() else {
                continue;
            };
            starts.extend(
                re.find_iter(bytes)
                    .take(MAX_HITS_PER_PATTERN_PER_FILE)
                    .map(|m| m.start()),
            );
        }
        if prefilter.groups.len() > 1 || !prefilter.unfiltered.is_empty() {
            starts.sort_unstable();
        }
        let mut counts = vec![0usize; prefilter.patterns.len()];
        let mut next = 0;
        // Line numbers are counted incrementally, so the cost stays linear in the file.
        let (mut counted_to, mut line_no) = (0usize, 1u32);
        for at in starts {
            if at < next {
                continue;
            }
            let (start, end) = line_of(at);
            next = end + 1;
            line_no +=
                u32::try_from(memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count()).unwrap_or(0);
            counted_to = start;
            let line = &bytes[start..end];
            let mut text: Option<Arc<str>> = None;
            for local in prefilter.set.matches(line).iter() {
                if counts[local] >= MAX_HITS_PER_PATTERN_PER_FILE {
                    continue;
                }
                counts[local] += 1;
                let pattern = &self.patterns[prefilter.patterns[local]];
                let found = pattern.regex().and_then(|re| re.find(line));
                let matched = found.map_or(&b""[..], |m| m.as_bytes());
                let text = text
                    .get_or_insert_with(|| {
                        let t = String::from_utf8_lossy(line);
                        Arc::from(crate::text::truncate_chars(t.trim_end_matches('\r'), 400))
                    })
                    .clone();
                // Offsets in the text as decoded (invalid bytes become U+FFFD).
                let span = match found {
                    None => (0, 0),
                    Some(m) => {
                        let start = String::from_utf8_lossy(&line[..m.start()]).len();
                        (start, start + String::from_utf8_lossy(matched).len())
                    }
                };
                out.push(RawHit {
                    pattern: pattern.id,
                    line: line_no,
                    text,
                    span,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_regex_is_checked_now_only_when_eager() {
        assert!(LazyRegex::new("(unclosed", true).is_err());
        let lazy = LazyRegex::new("(unclosed", false).expect("not compiled yet");
        assert!(
            !lazy.is_match("(unclosed") && !lazy.is_match(""),
            "a bad regex matches nothing"
        );
        assert!(
            LazyRegex::new(r"\bopenai", false).is_err(),
            "the cheap check runs anyway"
        );
        assert!(LazyRegex::new("open(ai)?", false).unwrap().is_match("openai"));
    }

    #[test]
    fn regex_sets_are_built_per_kind_of_file() {
        let mut b = MatcherBuilder::default();
        b.add("openai", &[], &[]);
        b.add("predict\\(", &["*.py".to_string()], &[]);
        let m = b.build().unwrap();
        assert!(
            m.prefilters.read().unwrap().is_empty(),
            "nothing built before a file"
        );
        let mut out = Vec::new();
        m.scan("a.md", b"openai\n", &mut out);
        m.scan("b.md", b"openai\n", &mut out);
        m.scan("c.py", b"openai\n", &mut out);
        let sets = m.prefilters.read().unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets.values().map(|p| p.set.len()).sum::<usize>(), 3);
        assert!(m.check().is_ok());
    }

    #[test]
    fn unicode_word_boundaries_are_refused() {
        assert!(check_regex(r"\bopenai\b").is_err());
        assert!(check_regex(r"(?-u:\b)openai(?-u:\b)").is_ok());
        assert!(check_regex(r"a\\b").is_ok());
    }

    #[test]
    fn a_pattern_starting_with_anything_is_found_by_its_suffix() {
        let re = r"^[ \t]*(?:from|import)[ \t]+(?:evidently|whylogs)(?-u:\b)";
        let lits = prefix_literals(re).unwrap().expect("suffix literals");
        assert!(
            lits.iter()
                .all(|l| l.ends_with(b"vidently") || l.ends_with(b"whylogs")),
            "{lits:?}"
        );
        let mut b = MatcherBuilder::default();
        let id = b.add(re, &[], &[]);
        let m = b.build().unwrap();
        let mut out = Vec::new();
        m.scan("a.py", b"x = 1\n    import whylogs\nwhylogs.log()\n", &mut out);
        assert_eq!(
            out.iter().map(|h| (h.pattern, h.line)).collect::<Vec<_>>(),
            vec![(id, 2)]
        );
        assert!(prefix_literals(r"[a-z]+\.[a-z]+").unwrap().is_none());
    }

    #[test]
    fn one_pass_finds_lines_per_scope() {
        let mut b = MatcherBuilder::default();
        let a = b.add("openai", &[], &[]);
        let p = b.add("predict\\(", &["*.py".to_string()], &[]);
        let m = b.build().unwrap();
        let text = "import openai\nx = 1\nmodel.predict(x)\n";
        let mut out = Vec::new();
        m.scan("src/app.py", text.as_bytes(), &mut out);
        let got: Vec<_> = out.iter().map(|h| (h.pattern, h.line)).collect();
        assert!(got.contains(&(a, 1)) && got.contains(&(p, 3)), "{got:?}");
        out.clear();
        m.scan("README.md", text.as_bytes(), &mut out);
        assert!(out.iter().all(|h| h.pattern == a));
    }
}
