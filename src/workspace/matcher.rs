//! All content patterns of all controls, run in one pass per file.
//!
//! Controls register their regexes at compile time and get a [`PatternId`] back, each with
//! a file scope (`files`/`exclude` globs). On first use the literals locating every
//! pattern are extracted (`regex-syntax`: a prefix, a suffix or a part every match
//! needs). Scanning a file then works like a grep with a literal prefilter: SIMD literal
//! searchers (Teddy, from `aho-corasick`) built from the literals of the patterns that
//! apply to this kind of file find candidate lines; on each candidate line an overlapping
//! literal search tells which patterns could match, and only their regexes run. Most
//! lines of most files are only ever touched by the SIMD search, and no regex program is
//! larger than one pattern (a set of hundreds made the lazy DFA rebuild its cache for
//! every new line: 70% of a scan's CPU before this design).
//!
//! Regexes are compiled with ASCII word boundaries only (see `check_regex`): Unicode `\b`
//! sends the `regex` crate to its slow engines on non-ASCII text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use aho_corasick::AhoCorasick;
use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex as BytesRegex;
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

/// Why a pattern or glob of a control pack cannot be used. Converts into the loader's
/// message text (`String`), which is where every one of them ends up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// It compiles, but uses a Unicode word boundary.
    #[error("regex `{src}` {WORD_BOUNDARY}")]
    WordBoundary { src: String },
    /// It does not compile (and may also use a Unicode word boundary).
    #[error("invalid regex `{src}`: {message}{}", if *.word_boundary { format!("; it also {WORD_BOUNDARY}") } else { String::new() })]
    Regex {
        src: String,
        message: String,
        word_boundary: bool,
    },
    #[error("invalid glob `{glob}`: {message}")]
    Glob { glob: String, message: String },
    /// The patterns do not compile together (the literal prefilter, size limits).
    #[error("{0}")]
    Together(String),
}

impl From<PatternError> for String {
    fn from(e: PatternError) -> String {
        e.to_string()
    }
}

const WORD_BOUNDARY: &str =
    "uses a Unicode word boundary; write `(?-u:\\b)` instead (Unicode \\b is very slow on non-ASCII text)";

/// Validates a pattern for use on untrusted text: it must compile and must not use Unicode
/// word boundaries, whose cost on non-ASCII files is orders of magnitude higher.
pub fn check_regex(src: &str) -> Result<Regex, PatternError> {
    // Both problems of a regex are reported at once: a Unicode word boundary and a syntax
    // error (fixing one must not reveal the other).
    let word_boundary = uses_unicode_word_boundary(src);
    let built = regex::RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let last = text.lines().last().unwrap_or(&text).trim();
            last.strip_prefix("error: ").unwrap_or(last).to_string()
        });
    match built {
        Ok(re) if !word_boundary => Ok(re),
        Ok(_) => Err(PatternError::WordBoundary { src: src.to_string() }),
        Err(message) => Err(PatternError::Regex {
            src: src.to_string(),
            message,
            word_boundary,
        }),
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
    pub fn new(src: &str, eager: bool) -> Result<Self, PatternError> {
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
pub fn glob_set(globs: &[String]) -> Result<Globs, PatternError> {
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
pub fn glob(g: &str) -> Result<Glob, PatternError> {
    let anchored = if g.contains('/') {
        g.to_string()
    } else {
        format!("**/{g}")
    };
    GlobBuilder::new(&anchored)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map_err(|e| PatternError::Glob {
            glob: g.to_string(),
            message: e.kind().to_string(),
        })
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
    pub fn build(self) -> Result<Matchers, PatternError> {
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
                whole: OnceLock::new(),
            }));
            scopes.push(Scope {
                include,
                exclude,
                patterns: first..patterns.len(),
                literals: OnceLock::new(),
            });
        }
        if scopes.len() > 64 {
            return Err(PatternError::Together(format!(
                "{} distinct file scopes; at most 64 are supported",
                scopes.len()
            )));
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

/// Literals locating a pattern's matches: every match contains one of them (cut to
/// [`PREFIX_BYTES`]), or `None` when no set of at least two-byte literals is known (such a
/// pattern is searched on its own, over the whole file). Matching is per line, so any
/// literal every match contains finds the line. The candidates are the prefix literals,
/// the suffix literals (`^[ \t]*import (?:evidently|whylogs)` starts with anything but
/// ends with one of its package names) and the literals of a part every match needs
/// (`(?:[A-Za-z0-9]+_)*(?i:cohere_api_key)…`); the most selective wins: the longest
/// shortest literal, then the fewest literals.
fn prefix_literals(src: &str) -> Result<Option<Vec<Vec<u8>>>, PatternError> {
    use regex_syntax::hir::literal::ExtractKind;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(src)
        .map_err(|e| PatternError::Together(e.to_string()))?;
    let candidates = [
        required_literals(&hir),
        extract(&hir, ExtractKind::Suffix),
        extract(&hir, ExtractKind::Prefix),
    ];
    Ok(candidates
        .into_iter()
        .flatten()
        .filter(|(shortest, _)| *shortest >= 2)
        .max_by_key(|(shortest, lits)| (*shortest, std::cmp::Reverse(lits.len())))
        .map(|(_, lits)| lits))
}

/// The literals (cut to [`PREFIX_BYTES`]) one end of every match of `hir` is among, and
/// the length of the shortest; `None` when they are unknown or include the empty string.
fn extract(
    hir: &regex_syntax::hir::Hir,
    kind: regex_syntax::hir::literal::ExtractKind,
) -> Option<(usize, Vec<Vec<u8>>)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut extractor = Extractor::new();
    extractor.kind(kind.clone()).limit_total(MAX_LITERALS_PER_PATTERN);
    let seq = extractor.extract(hir);
    let lits = seq.literals()?;
    let cut: Vec<Vec<u8>> = lits
        .iter()
        .map(|l| {
            let b = l.as_bytes();
            let n = b.len().min(PREFIX_BYTES);
            match kind {
                ExtractKind::Suffix => b[b.len() - n..].to_vec(),
                _ => b[..n].to_vec(),
            }
        })
        .collect();
    let shortest = cut.iter().map(Vec::len).min()?;
    (shortest > 0).then_some((shortest, cut))
}

/// Literals of a part every match of `hir` must contain: for a concatenation, the best
/// of its parts (or its own prefix); for an alternation, the union over its branches.
fn required_literals(hir: &regex_syntax::hir::Hir) -> Option<(usize, Vec<Vec<u8>>)> {
    use regex_syntax::hir::literal::ExtractKind;
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required_literals(branch)?.1);
            }
            shrink(all)
        }
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_literals)
            .chain(extract(hir, ExtractKind::Prefix))
            .max_by_key(|(shortest, lits)| (*shortest, std::cmp::Reverse(lits.len()))),
        _ => extract(hir, ExtractKind::Prefix),
    }
}

/// At most [`MAX_LITERALS_PER_PATTERN`] of `literals`, each a prefix of one of them
/// (so still contained in every match): case-insensitive words multiply into many
/// literals (`(?i:azure|…)`: 32 spellings of `azure`), and cutting them shorter merges
/// them (16 of `azur`). `None` when even two bytes are too many.
fn shrink(mut literals: Vec<Vec<u8>>) -> Option<(usize, Vec<Vec<u8>>)> {
    for len in (2..=PREFIX_BYTES).rev() {
        for lit in &mut literals {
            lit.truncate(len);
        }
        literals.sort_unstable();
        literals.dedup();
        if literals.len() <= MAX_LITERALS_PER_PATTERN {
            let shortest = literals.iter().map(Vec::len).min()?;
            return Some((shortest, literals));
        }
    }
    None
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
    fn build(chunk: &[Vec<u8>]) -> Result<Self, PatternError> {
        let mut b = aho_corasick::packed::Config::new().builder();
        b.extend(chunk);
        match b.build() {
            Some(searcher) => Ok(Literals::Packed(searcher)),
            None => AhoCorasick::new(chunk)
                .map(Literals::Automaton)
                .map_err(|e| PatternError::Together(e.to_string())),
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

/// The prefilter for one combination of applicable scopes.
///
/// Two literal searches, each used for what it is good at: SIMD `groups` of the minimal
/// literals find candidate lines (most lines of most files are only touched there), and
/// on a candidate line an overlapping Aho-Corasick search of every literal tells which
/// patterns could match it. Only those patterns' regexes run, each on its own small
/// program: no large regex set whose lazy DFA is rebuilt for every new combination.
#[derive(Debug)]
struct Prefilter {
    groups: Vec<Literals>,
    /// Every literal of every applicable pattern (not only the minimal ones: `open` and
    /// `openai` can belong to different patterns), searched with overlaps.
    selector: Option<AhoCorasick>,
    /// The patterns (local indexes, ascending) each literal of `selector` locates.
    owners: Vec<Vec<u32>>,
    /// Patterns (local indexes) with no usable literal: searched on their own over the
    /// whole file, in multi-line mode.
    unfiltered: Vec<u32>,
    /// Every applicable pattern, ascending (indexes into `Matchers::patterns`).
    patterns: Vec<usize>,
}

/// Literals that locate a pattern (see [`prefix_literals`]).
type LiteralSet = Vec<Vec<u8>>;

/// Which files a group of patterns applies to.
#[derive(Debug)]
struct Scope {
    include: Option<Globs>,
    exclude: Option<Globs>,
    /// This scope's patterns (a range of `Matchers::patterns`).
    patterns: std::ops::Range<usize>,
    /// The literals locating each enabled pattern of the scope (`None`: it has none),
    /// extracted on first use.
    literals: OnceLock<Vec<(usize, Option<LiteralSet>)>>,
}

impl Scope {
    fn applies(&self, path: &Candidate<'_>) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match_candidate(path))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match_candidate(path))
    }

    fn literals(&self, patterns: &[Pattern]) -> &[(usize, Option<LiteralSet>)] {
        self.literals.get_or_init(|| {
            self.patterns
                .clone()
                .filter(|&i| patterns[i].enabled)
                .map(|i| (i, prefix_literals(&patterns[i].src).ok().flatten()))
                .collect()
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
    /// The regex in multi-line mode, for a pattern without literals searched over a
    /// whole file (`^` must match at every line start).
    whole: OnceLock<Option<BytesRegex>>,
}

impl Pattern {
    /// The compiled regex; `None` only for a pattern that does not compile, which the
    /// loader has already refused (see [`Matchers::check`]).
    fn regex(&self) -> Option<&BytesRegex> {
        self.regex.get_or_init(|| bytes_regex(&self.src).ok()).as_ref()
    }

    /// The regex for a whole-file search (see [`Pattern::whole`]).
    fn whole_file_regex(&self) -> Option<&BytesRegex> {
        self.whole
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.src)
                    .multi_line(true)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

fn bytes_regex(src: &str) -> Result<BytesRegex, PatternError> {
    regex::bytes::RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| PatternError::Together(e.to_string()))
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

    /// Compiles everything now: every pattern, and the prefilter of all of them (the
    /// largest a file can need). The loader calls it for packs other than the built-in one,
    /// whose tests do the same, so a bad pattern is an error at load, never a silent miss.
    pub fn check(&self) -> Result<(), PatternError> {
        for p in &self.patterns {
            bytes_regex(&p.src)?;
        }
        if !self.scopes.is_empty() {
            // Every scope's bit (1 to 64 scopes, checked by `build`).
            self.prefilter(u64::MAX >> (64 - self.scopes.len().min(64)))?;
        }
        Ok(())
    }

    fn prefilter(&self, mask: u64) -> Result<Arc<Prefilter>, PatternError> {
        if let Some(p) = self.prefilters.read().ok().and_then(|m| m.get(&mask).cloned()) {
            return Ok(p);
        }
        let patterns: Vec<usize> = (0..self.patterns.len())
            .filter(|&i| self.patterns[i].enabled && mask & (1 << self.patterns[i].scope) != 0)
            .collect();
        let local = |idx: usize| u32::try_from(patterns.partition_point(|&p| p < idx)).unwrap_or(u32::MAX);
        // Literals are searched in ASCII lower case, in a lower-cased copy of the file: a
        // case-insensitive word is one literal instead of 2^n spellings (`(?i:azure…)`),
        // which keeps the SIMD passes per file few.
        let mut by_literal: std::collections::BTreeMap<Vec<u8>, Vec<u32>> = Default::default();
        let mut unfiltered = Vec::new();
        let applicable = self
            .scopes
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| s);
        for scope in applicable {
            for (idx, literals) in scope.literals(&self.patterns) {
                match literals {
                    Some(literals) => {
                        for lit in literals {
                            by_literal
                                .entry(lit.to_ascii_lowercase())
                                .or_default()
                                .push(local(*idx));
                        }
                    }
                    None => unfiltered.push(local(*idx)),
                }
            }
        }
        unfiltered.sort_unstable();
        let minimal = minimal(by_literal.keys().cloned().collect());
        let groups = minimal
            .chunks(TEDDY_GROUP)
            .map(Literals::build)
            .collect::<Result<Vec<_>, _>>()?;
        let selector = if by_literal.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::Standard)
                    .build(by_literal.keys())
                    .map_err(|e| PatternError::Together(e.to_string()))?,
            )
        };
        let owners = by_literal
            .into_values()
            .map(|mut v| {
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        let p = Arc::new(Prefilter {
            groups,
            selector,
            owners,
            unfiltered,
            patterns,
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
        LOWER.with_borrow_mut(|lower| {
            lower.clear();
            lower.extend(bytes.iter().map(u8::to_ascii_lowercase));
            self.scan_lines(&prefilter, bytes, lower, out);
            // A raised `max_file_size` must not leave each thread holding its largest file.
            if lower.capacity() > KEPT_LOWER_BYTES {
                *lower = Vec::new();
            }
        });
    }

    /// [`Matchers::scan`] of a file and its lower-cased copy (where literals are found).
    fn scan_lines(&self, prefilter: &Prefilter, bytes: &[u8], lower: &[u8], out: &mut Vec<RawHit>) {
        let mut lines = LineCounter::new(bytes);
        let mut counts = vec![0usize; prefilter.patterns.len()];
        let mut candidates: Vec<u32> = Vec::new();
        let events = self.candidate_lines(prefilter, bytes, lower);
        let mut i = 0;
        while i < events.len() {
            let (start, end) = line_bounds(bytes, events[i].0);
            candidates.clear();
            let mut literal = false;
            while i < events.len() && events[i].0 <= end {
                match events[i].1 {
                    LITERAL => literal = true,
                    local => candidates.push(local),
                }
                i += 1;
            }
            let line = &bytes[start..end];
            if literal {
                if let Some(selector) = &prefilter.selector {
                    for m in selector.find_overlapping_iter(&lower[start..end]) {
                        candidates.extend_from_slice(&prefilter.owners[m.pattern().as_usize()]);
                    }
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            let line_no = lines.line_of(start);
            let mut text: Option<Arc<str>> = None;
            for &local in &candidates {
                let local = local as usize;
                if counts[local] >= MAX_HITS_PER_PATTERN_PER_FILE {
                    continue;
                }
                let pattern = &self.patterns[prefilter.patterns[local]];
                let Some(found) = pattern.regex().and_then(|re| re.find(line)) else {
                    continue;
                };
                counts[local] += 1;
                let text = text
                    .get_or_insert_with(|| {
                        let t = String::from_utf8_lossy(line);
                        Arc::from(crate::text::truncate_chars(t.trim_end_matches('\r'), 400))
                    })
                    .clone();
                // Offsets in the text as decoded (invalid bytes become U+FFFD).
                let start = String::from_utf8_lossy(&line[..found.start()]).len();
                let span = (start, start + String::from_utf8_lossy(found.as_bytes()).len());
                out.push(RawHit {
                    pattern: pattern.id,
                    line: line_no,
                    text,
                    span,
                });
            }
        }
    }

    /// Where candidate lines are, sorted: `(offset, LITERAL)` for each literal occurrence,
    /// `(line start, local pattern)` for each line a pattern without literals matches.
    fn candidate_lines(&self, prefilter: &Prefilter, bytes: &[u8], lower: &[u8]) -> Vec<(usize, u32)> {
        let mut starts = Vec::new();
        for group in &prefilter.groups {
            group.starts(lower, &mut starts);
        }
        let mut events: Vec<(usize, u32)> = starts.into_iter().map(|at| (at, LITERAL)).collect();
        for &local in &prefilter.unfiltered {
            let Some(re) = self.patterns[prefilter.patterns[local as usize]].whole_file_regex() else {
                continue;
            };
            // After a match, search again from the next line: a match running over the
            // line's end must not hide one starting on the next line.
            let mut at = 0;
            for _ in 0..MAX_HITS_PER_PATTERN_PER_FILE {
                let Some(m) = (at <= bytes.len()).then(|| re.find_at(bytes, at)).flatten() else {
                    break;
                };
                let (start, end) = line_bounds(bytes, m.start());
                events.push((start, local));
                at = end + 1;
            }
        }
        if prefilter.groups.len() > 1 || !prefilter.unfiltered.is_empty() {
            events.sort_unstable();
        }
        events
    }
}

impl Matchers {
    /// The reference for [`Matchers::scan`]: every applicable pattern's regex on every
    /// line, no prefilter. Tests compare the two on real trees; a literal the prefilter
    /// misses shows up as a hit only this finds.
    #[doc(hidden)]
    pub fn scan_exhaustive(&self, path: &str, bytes: &[u8], out: &mut Vec<RawHit>) {
        let candidate = Candidate::new(path);
        let applicable: Vec<&Pattern> = self
            .patterns
            .iter()
            .filter(|p| p.enabled && self.scopes[p.scope].applies(&candidate))
            .collect();
        let mut counts = vec![0usize; applicable.len()];
        let mut start = 0;
        let mut line_no = 1u32;
        while start <= bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let line = &bytes[start..end];
            for (n, p) in applicable.iter().enumerate() {
                let Some(found) = p.regex().and_then(|re| re.find(line)) else {
                    continue;
                };
                if counts[n] >= MAX_HITS_PER_PATTERN_PER_FILE {
                    continue;
                }
                counts[n] += 1;
                let t = String::from_utf8_lossy(line);
                let from = String::from_utf8_lossy(&line[..found.start()]).len();
                out.push(RawHit {
                    pattern: p.id,
                    line: line_no,
                    text: Arc::from(crate::text::truncate_chars(t.trim_end_matches('\r'), 400)),
                    span: (from, from + String::from_utf8_lossy(found.as_bytes()).len()),
                });
            }
            start = end + 1;
            line_no += 1;
        }
    }
}

/// The largest lower-cased copy a thread keeps between files (the default file size cap).
const KEPT_LOWER_BYTES: usize = 5 << 20;

thread_local! {
    /// The lower-cased copy of the file being scanned, reused from file to file.
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The event tag of a literal occurrence in [`Matchers::candidate_lines`].
const LITERAL: u32 = u32::MAX;

/// The line around byte `at`: its start and its end (the `\n` or the end of the text).
fn line_bounds(bytes: &[u8], at: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    (start, end)
}

/// Line numbers of ascending offsets, counted incrementally so a file costs one pass.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            counted_to: 0,
            line: 1,
        }
    }

    /// The 1-based line of `at`; `at` never decreases between calls.
    fn line_of(&mut self, at: usize) -> u32 {
        let newlines = memchr::memchr_iter(b'\n', &self.bytes[self.counted_to..at]).count();
        self.line += u32::try_from(newlines).unwrap_or(0);
        self.counted_to = at;
        self.line
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
        assert_eq!(sets.values().map(|p| p.patterns.len()).sum::<usize>(), 3);
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
    fn a_pattern_without_literals_is_found_on_every_line() {
        let mut b = MatcherBuilder::default();
        let id = b.add(r"^[ \t]*(?:[0-9*/]+[ \t]+){5}[^ \t#]", &[], &[]);
        let m = b.build().unwrap();
        let mut out = Vec::new();
        m.scan(
            "crontab",
            b"# jobs\nSHELL=/bin/sh\n0 3 * * * retrain\n*/5 * * * * probe\n",
            &mut out,
        );
        assert_eq!(
            out.iter().map(|h| (h.pattern, h.line)).collect::<Vec<_>>(),
            vec![(id, 3), (id, 4)],
            "`^` matches at every line start"
        );
    }

    #[test]
    fn a_required_part_locates_a_pattern_that_starts_and_ends_with_anything() {
        let re = r#"(?-u:\b)(?:[A-Za-z0-9]+_)*(?i:azure[_-]?openai[_-]?key|azure[_-]?api[_-]?key)[ \t]*[:=][ \t]*(?:[0-9a-f]{32})(?:["'\s]|$)"#;
        let lits = prefix_literals(re)
            .unwrap()
            .expect("literals of the case-insensitive part");
        assert!(
            lits.len() <= MAX_LITERALS_PER_PATTERN && lits.iter().all(|l| l.len() >= 4),
            "{lits:?}"
        );
        let mut b = MatcherBuilder::default();
        let id = b.add(re, &[], &[]);
        let m = b.build().unwrap();
        let mut out = Vec::new();
        let key = "0123456789abcdef0123456789abcdef";
        m.scan(
            "a.env",
            format!("x=1\nMY_AZURE_OPENAI_KEY={key}\n").as_bytes(),
            &mut out,
        );
        assert_eq!(
            out.iter().map(|h| (h.pattern, h.line)).collect::<Vec<_>>(),
            vec![(id, 2)]
        );
    }

    #[test]
    fn overlapping_literals_of_different_patterns_both_select_their_pattern() {
        let mut b = MatcherBuilder::default();
        let short = b.add("open[a-z]+", &[], &[]);
        let long = b.add("openai_key", &[], &[]);
        let inner = b.add("ai_key=", &[], &[]);
        let m = b.build().unwrap();
        let mut out = Vec::new();
        m.scan("a.txt", b"openai_key=1\n", &mut out);
        assert_eq!(
            out.iter().map(|h| h.pattern).collect::<Vec<_>>(),
            vec![short, long, inner]
        );
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

#[cfg(test)]
mod case_insensitive_tail {
    use super::*;

    /// Lines the prefilter finds for `re`, and lines the regex matches when run directly.
    fn both(re: &str, text: &str) -> (Vec<u32>, Vec<u32>) {
        let mut b = MatcherBuilder::default();
        b.add(re, &[], &[]);
        let m = b.build().unwrap();
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        m.scan("a.sql", text.as_bytes(), &mut fast);
        let direct = regex::Regex::new(re).unwrap();
        for (i, l) in text.lines().enumerate() {
            if direct.is_match(l) {
                slow.push(u32::try_from(i + 1).unwrap());
            }
        }
        (fast.iter().map(|h| h.line).collect(), slow)
    }

    #[test]
    fn a_case_insensitive_regex_ending_in_a_long_alternation_keeps_its_matches() {
        let re = r#"(?i)^[ \t]*(?:create[ \t]+table[^(\n]*\([ \t]*)?(?:(?:alter[ \t]+table[^\n]*?)?add[ \t]+(?:column[ \t]+)?)?["`\[]?[a-z0-9_]*api_?key["`\]]?[ \t]+(?:text|varchar|nvarchar|character varying|char|string|citext)(?-u:\b)"#;
        let text = "CREATE TABLE keys (\n  openai_api_key TEXT NOT NULL,\n  Api_Key VarChar(255),\n  id int\n);\nALTER TABLE u ADD COLUMN api_key character varying;\nADD api_key CITEXT\n";
        let (fast, slow) = both(re, text);
        assert_eq!(slow, vec![2, 3, 6, 7]);
        assert_eq!(fast, slow, "literals: {:?}", prefix_literals(re));
    }

    /// A sweep: `(?i)` heads before alternations of 1 to 12 words (past the literal limit:
    /// each word has 2^n spellings), each word written in lower and upper case.
    #[test]
    fn case_insensitive_alternations_of_any_length_keep_their_matches() {
        let words = [
            "character varying",
            "mediumtext",
            "varchar",
            "nvarchar",
            "text",
            "char",
            "string",
            "citext",
            "timestamp",
            "jsonb",
            "blob",
            "uuid",
        ];
        for head in [r"(?i)[a-z]*api_?key[ \t]+", r"(?i)^[ \t]*[a-z_]*[ \t]+"] {
            for n in 1..=words.len() {
                let re = format!("{head}(?:{})(?-u:\\b)", words[..n].join("|"));
                let text: String = words[..n]
                    .iter()
                    .flat_map(|w| {
                        [
                            format!("openai_api_key {w},\n"),
                            format!("API_KEY {}\n", w.to_uppercase()),
                        ]
                    })
                    .collect();
                let (fast, slow) = both(&re, &text);
                assert_eq!(fast, slow, "{re}");
            }
        }
    }
}
