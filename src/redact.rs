//! Secrets never leave redflag. Every text a report shows (evidence lines, messages, labels,
//! notes, waiver reasons, paths) passes through a [`Redactor`], so a key found in a client's
//! repository cannot end up in a CI log or a consultant's PDF. A redacted secret keeps a
//! short prefix (`sk-ant-…`) so a reader can still tell which key it was.
//!
//! A [`Redactor`] is the built-in secret shapes (private keys, tokens of well-known
//! services, bearer and basic credentials, passwords in URLs, values assigned to
//! secret-looking names) plus the key rules of the vendor catalogues ([`KeyRule`]): every
//! key format RF3-HARDCODED-AI-KEY detects is also masked, wherever it appears. The
//! compiled control pack builds one from its catalogues (`control::Loaded::redactor`) and
//! hands it to report building; [`builtin`] (the built-in shapes and the built-in
//! catalogue) serves the places that run before a pack is loaded or without one (evidence
//! lines as they are read, `merge`).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexBuilder};

/// Names whose assigned value is a secret (`password`, `api_key`, `client_secret`, …).
const NAMES: &str = r"api[_-]?key|secret(?:[_-]?access)?[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|secret|token|passwd|password|passphrase|pwd|auth|credentials?";

/// Private key blocks, through the END line when it is on the same line; `\n` escapes (a
/// key inside a JSON string, as in cloud service-account files) are part of it.
const PEM: &str = r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s]|\\[nr])*(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----)?";

/// A double- or single-quoted value (escapes kept inside), to the closing quote or the end
/// of the line: spaces and commas are part of it.
fn quoted(name: &str, min: usize) -> String {
    format!(r#"(?:"(?P<{name}d>(?:[^"\\\n]|\\.){{{min},}})|'(?P<{name}s>(?:[^'\\\n]|\\.){{{min},}}))"#)
}

/// The built-in secret shapes as one alternation, so a line is scanned once whatever the
/// number of shapes. `boundary`: vendor prefixes must start a word (for file and directory
/// names, where `risk-model.onnx` must not read as an `sk-` key).
fn shapes(boundary: bool) -> Regex {
    let b = if boundary { r"(?-u:\b)" } else { "" };
    // A secret cut short by an earlier truncation (a hit's line is capped at 400
    // characters, the cut marked `…`) still loses what is left of it.
    let shapes = [
        format!("(?P<pem>{PEM})"),
        // Vendor API keys with a distinctive prefix, and JSON web tokens.
        // Prefixes long enough to be unmistakable need no word boundary before them: a key
        // glued to a preceding letter (`Ask-ant-api03-…`) is still one key, not a prefix
        // shown up to some `sk-` inside it.
        format!(r"(?P<key>(?:sk-ant-(?:api|admin)[0-9]{{2}}-|sk-(?:proj|svcacct|admin|or-v1)-|github_pat_|glpat-|sq0csp-|{b}(?:sk-|[sr]k_(?:live|test)_|gsk_|hf_|r8_|pplx-|pcsk_|xai-|fw_|AIza|ghp_|gho_|ghs_|ghu_|ghr_|xox[abposr]-|SG\.|AKIA|ASIA|eyJ))(?:[A-Za-z0-9_\-.]{{12,}}|[A-Za-z0-9_\-.]{{1,11}}…))"),
        // `Authorization: <scheme> <credentials>`, whatever the scheme (Token, Digest, …).
        r#"(?i:(?P<authz>authorization["']?\]?[ \t]*[:=][ \t]*["']?(?:[A-Za-z][A-Za-z0-9._-]*[ \t]+)?))(?P<zval>…\[redacted\]|[^\s"',;`]{6,})"#.to_string(),
        // Bearer / basic tokens in headers.
        r"(?i:(?P<bearer>(?:bearer|basic)\s+)(?:[A-Za-z0-9_\-.=+/]{12,}|[A-Za-z0-9_\-.=+/]{1,11}…))".to_string(),
        // Passwords inside connection strings: scheme://user:password@host (user may be empty).
        r"(?P<url>[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?:[^\s@/]{3,}@|(?P<urlcut>[^\s@/]{1,}…|…\[redacted\]))".to_string(),
        // Python's `auth=("user", "pw")` and `HTTPBasicAuth("user", "pw")`.
        format!(
            r#"(?i:(?P<tuple>(?:(?-u:\b)auth[ \t]*=[ \t]*|basicauth[ \t]*|digestauth[ \t]*)\([ \t]*(?:"[^"\n]*"|'[^'\n]*'|[A-Za-z_][A-Za-z0-9_.]*)[ \t]*,[ \t]*)){}"#,
            quoted("t", 1)
        ),
        // `curl -u user:password`.
        r#"(?P<curl>(?:^|[ \t])(?:-u|--user)(?:[ \t]+|=)?["']?(?P<cuser>[^\s:"']*):)(?P<cval>[^\s"']{2,})"#.to_string(),
        // Dockerfile `ENV X_API_KEY value` and `aws configure set aws_secret_access_key value`.
        format!(
            r#"(?P<spaced>(?-u:\b)(?:ENV|(?i:configure)[ \t]+set)[ \t]+[A-Za-z0-9_.\-]*(?i:{NAMES})[ \t]+)(?:{}|(?P<sval>[^\s"']{{4,}}))"#,
            quoted("s", 1)
        ),
        // `name = value` assignments whose name says secret: `=`, `:`, `:=`, `=>`, a
        // type-annotated `apiKey: string = …`, a subscript `os.environ["X_API_KEY"] = …`.
        // (A private key assigned to a name is one value, spaces and all.)
        format!(
            r#"(?i:(?P<assign>(?:{NAMES})["']?\]?[ \t]*(?::[ \t]*[A-Za-z_][A-Za-z0-9_.<>\[\]?|&*]*[ \t]*=|=>|:=|[:=])\s*))(?:{}|(?P<aval>{PEM}|…\[redacted\]|[^\s"',;`]{{6,}}))"#,
            quoted("a", 4)
        ),
        // A quoted name, a comma, a quoted value: `setdefault("X_API_KEY", "…")`,
        // `os.Setenv("K", "v")`, `System.setProperty("db.password", "v")`, `putenv`.
        format!(r#"(?i:(?P<pair>(?:{NAMES})["'][ \t]*,[ \t]*)){}"#, quoted("p", 4)),
    ];
    Regex::new(&shapes.join("|")).expect("redaction regex compiles")
}

/// The built-in shapes for text (a vendor prefix may be glued to what precedes it).
static LINE: LazyLock<Regex> = LazyLock::new(|| shapes(false));
/// The built-in shapes for a file or directory name.
static NAME: LazyLock<Regex> = LazyLock::new(|| shapes(true));

/// Passes at most: each pass can uncover a secret the previous one hid (redacting
/// `ANT@ROPIC_` removes an `@` that kept `scheme://user:password@host` from reading as a
/// connection string), so redaction runs until nothing changes.
const MAX_PASSES: usize = 6;

/// What is shown of a span a catalogue key rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// A vendor key: at most its fixed prefix (`nvapi-`, `ABSK`), from the pattern.
    Prefix(String),
    /// `NAME = value` (a literal assigned to a vendor's key variable): the name and the
    /// operator, not the value.
    Assignment,
}

/// A key rule of a catalogue: the regex the scan searches for (and RF3-HARDCODED-AI-KEY
/// reports), and what of a match may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRule {
    /// As registered with the scan: `(?-u:\b)` and the pattern.
    pub regex: String,
    pub show: Show,
}

/// Where a vendor's unprefixed key is recognised by context (`key_context` in a catalogue):
/// a literal of the key's shape (`value`, e.g. 32 hex characters) assigned to a name that
/// says whose key it is (`names`, matched in any key style: `AZURE_OPENAI_API_KEY`,
/// `azure_openai_api_key`, `azureOpenAIApiKey`, `azure-openai-api-key`), or passed as the key
/// of one of the vendor's client constructors (`calls`: `cohere.Client("…")`,
/// `AzureOpenAI(api_key="…")`, `new CohereClient({ token: "…" })`). A reference
/// (`os.environ[…]`, `process.env.X`, `${X}`, `{{ .Values.x }}`) or a placeholder never has the
/// key's shape, so it never matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyContext {
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub calls: Vec<String>,
    pub value: String,
}

/// What may follow a key-shaped literal: the end of the token (a closing quote, a space,
/// a separator, a comment) or of the line. A longer run of key characters is another shape.
const VALUE_END: &str = r#"(?:["'`\s,;#})]|$)"#;

impl KeyContext {
    /// A name in any key style: its `_`-separated words, case-insensitive, joined by `_`,
    /// `-` or nothing; any prefix words before it (`NEXT_PUBLIC_`, `settings.`).
    fn name_regex(&self) -> String {
        let alt = self
            .names
            .iter()
            .map(|n| {
                n.split(['_', '-', ' '])
                    .filter(|w| !w.is_empty())
                    .map(|w| regex::escape(&w.to_ascii_lowercase()))
                    .collect::<Vec<_>>()
                    .join("[_-]?")
            })
            .collect::<Vec<_>>()
            .join("|");
        format!(r"(?-u:\b)(?:[A-Za-z0-9]+_)*(?i:{alt})")
    }

    /// The context's rules: names assigned the value, calls given it.
    fn rules(&self) -> Vec<KeyRule> {
        let value = &self.value;
        let mut rules = Vec::new();
        if !self.names.is_empty() {
            rules.push(KeyRule {
                regex: format!(
                    r#"{}["']?\]?[ \t]*(?::[ \t]*[A-Za-z_][A-Za-z0-9_.<>|]*[ \t]*=|=>|:=|[:=])[ \t]*["'`]?(?:{value}){VALUE_END}"#,
                    self.name_regex()
                ),
                show: Show::Assignment,
            });
        }
        if !self.calls.is_empty() {
            let calls = self
                .calls
                .iter()
                .map(|c| regex::escape(c))
                .collect::<Vec<_>>()
                .join("|");
            rules.push(KeyRule {
                regex: format!(
                    r#"(?-u:\b)(?:{calls})\((?:(?:[^)\n]*?[{{, \t])?(?:api_?key|apiKey|token)["']?[ \t]*[=:][ \t]*)?[ \t{{]*["'`](?:{value}){VALUE_END}"#
                ),
                show: Show::Assignment,
            });
        }
        rules
    }
}

impl KeyRule {
    /// The rules of one catalogue vendor: a value assigned to one of its key-holding
    /// environment variables (`…KEY`, `…TOKEN`), its unprefixed key in context
    /// ([`KeyContext`]), and each of its `key_patterns`.
    pub fn for_vendor(env: &[String], key_patterns: &[String], context: Option<&KeyContext>) -> Vec<Self> {
        let keyish: Vec<String> = env
            .iter()
            .filter(|e| e.ends_with("KEY") || e.ends_with("TOKEN"))
            .cloned()
            .collect();
        let mut rules = Vec::new();
        if !keyish.is_empty() {
            rules.push(Self::assignment(&keyish));
        }
        if let Some(c) = context {
            rules.extend(c.rules());
        }
        rules.extend(key_patterns.iter().map(|k| Self::key(k)));
        rules
    }

    /// A catalogue's `key_patterns` entry.
    pub fn key(pattern: &str) -> Self {
        Self {
            regex: format!(r"(?-u:\b){pattern}"),
            show: Show::Prefix(literal_prefix(pattern)),
        }
    }

    /// A value assigned to one of `names` (environment variables holding a vendor's key).
    pub fn assignment(names: &[String]) -> Self {
        let alt = names
            .iter()
            .map(|n| regex::escape(n))
            .collect::<Vec<_>>()
            .join("|");
        Self {
            regex: format!(r#"(?-u:\b)(?:{alt})["']?[ \t]*[:=][ \t]*["']?[A-Za-z0-9_\-]{{24,}}"#),
            show: Show::Assignment,
        }
    }
}

/// The fixed start every match of `pattern` shares, as much of it as may be shown: through
/// its last `-`, `_` or `.` (`bedrock-api-key-`), else four characters (`ABSK`), and never
/// more than 16 characters or half the shortest key.
fn literal_prefix(pattern: &str) -> String {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
        return String::new();
    };
    let min = hir.properties().minimum_len().unwrap_or(0);
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let Some(common) = seq.longest_common_prefix() else {
        return String::new();
    };
    let common: String = common
        .iter()
        .take_while(|b| b.is_ascii_graphic())
        .map(|&b| char::from(b))
        .collect();
    let cut = common
        .rfind(['-', '_', '.'])
        .map_or(common.len().min(4), |i| i + 1)
        .min(16)
        .min(min / 2);
    common[..cut].to_string()
}

/// Built-in secret shapes plus catalogue key rules. Idempotent: redacting redacted text
/// changes nothing. Linear: a bounded number of passes of linear-time regexes. The
/// default has the built-in shapes only.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Assignment rules and cut-short keys, one alternation:
    /// `(?P<a>assignment rules)|(?P<cut>a known prefix, then `…`)`.
    keys: Option<Regex>,
    /// The key rules alone, run first: a key rule's whole span is masked even where an
    /// assignment rule starts earlier and stops inside the key (`X_KEY=ABSK…+…`).
    key_only: Option<Regex>,
    /// Fixed prefixes of the key rules (longest first): shown, and recognised when cut short.
    prefixes: Vec<String>,
}

/// The built-in shapes and the built-in catalogue's key rules.
pub fn builtin() -> &'static Redactor {
    static B: LazyLock<Redactor> =
        LazyLock::new(|| Redactor::new(&builtin_key_rules()).expect("built-in key rules compile"));
    &B
}

/// The key rules of the built-in catalogues (`controls/catalog/*.yaml`, embedded), for the
/// redaction that runs before or without a loaded pack. Only the two fields rules come from
/// are read; the control loader validates the rest (and derives the same rules through
/// [`KeyRule::for_vendor`]).
pub fn builtin_key_rules() -> Vec<KeyRule> {
    #[derive(serde::Deserialize)]
    struct Catalogue {
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        env: Vec<String>,
        #[serde(default)]
        key_patterns: Vec<String>,
        key_context: Option<KeyContext>,
    }
    crate::embedded::BUILTIN
        .iter()
        .filter(|(rel, _)| rel.starts_with("catalog/"))
        .filter_map(|(_, text)| serde_saphyr::from_str::<Catalogue>(text).ok())
        .flat_map(|c| c.items)
        .flat_map(|item| KeyRule::for_vendor(&item.env, &item.key_patterns, item.key_context.as_ref()))
        .collect()
}

/// Redacts with the built-in shapes and catalogue ([`builtin`]).
pub fn redact(line: &str) -> Cow<'_, str> {
    builtin().redact(line)
}

/// True when `line` contains something [`redact`] would hide.
pub fn has_secret(line: &str) -> bool {
    builtin().has_secret(line)
}

/// The text shown for an evidence line: trimmed, secrets redacted, control characters made
/// visible, at most 200 characters.
pub fn snippet(line: &str) -> String {
    let redacted = redact(line.trim());
    crate::text::truncate_chars(crate::text::printable(redacted.trim()).trim(), 200)
}

/// Text from a target made safe to show anywhere (a terminal, a CI log, a report): secrets
/// redacted, control characters escaped. For messages and labels built from target content.
pub fn shown(text: &str) -> String {
    crate::text::printable(&redact(text)).into_owned()
}

/// Why the key rules do not compile into a redactor (a rule does not parse, or together
/// they exceed the regex size limit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

/// Removes capture groups (so rules from different files cannot clash by group name) and
/// prints the pattern back.
fn without_groups(pattern: &str) -> Result<String, RuleError> {
    use regex_syntax::hir::{Hir, HirKind, Repetition};
    fn strip(h: &Hir) -> Hir {
        match h.kind() {
            HirKind::Capture(c) => strip(&c.sub),
            HirKind::Concat(v) => Hir::concat(v.iter().map(strip).collect()),
            HirKind::Alternation(v) => Hir::alternation(v.iter().map(strip).collect()),
            HirKind::Repetition(r) => Hir::repetition(Repetition {
                min: r.min,
                max: r.max,
                greedy: r.greedy,
                sub: Box::new(strip(&r.sub)),
            }),
            _ => h.clone(),
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .map_err(|e| RuleError(e.to_string()))?;
    Ok(strip(&hir).to_string())
}

impl Redactor {
    /// The built-in shapes plus `rules`. Fails when a rule does not parse or the rules
    /// together exceed the regex size limit.
    pub fn new(rules: &[KeyRule]) -> Result<Self, RuleError> {
        let mut key = Vec::new();
        let mut assign = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        for r in rules {
            let body = without_groups(&r.regex)?;
            match &r.show {
                Show::Prefix(p) => {
                    key.push(body);
                    if p.len() >= 3 && !prefixes.contains(p) {
                        prefixes.push(p.clone());
                    }
                }
                Show::Assignment => assign.push(body),
            }
        }
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        // Key rules run on their own first (`key_only`); this alternation handles what
        // is left: assignments and keys already cut short.
        let mut alts = Vec::new();
        if !assign.is_empty() {
            alts.push(format!("(?P<a>{})", assign.join("|")));
        }
        if !prefixes.is_empty() {
            let p = prefixes
                .iter()
                .map(|p| regex::escape(p))
                .collect::<Vec<_>>()
                .join("|");
            // Not inside a longer token: an `sk-` inside a key glued to a letter is part of
            // that key, which a shape masks whole.
            alts.push(format!(
                r"(?P<cut>(?:^|(?P<pre>[^A-Za-z0-9_.\-]))(?:{p})[A-Za-z0-9_+/=.\-]*…)"
            ));
        }
        let key_only = if key.is_empty() {
            None
        } else {
            Some(
                RegexBuilder::new(&key.join("|"))
                    .size_limit(32 << 20)
                    .build()
                    .map_err(|e| RuleError(format!("catalogue key patterns for redaction: {e}")))?,
            )
        };
        let keys = if alts.is_empty() {
            None
        } else {
            Some(
                RegexBuilder::new(&alts.join("|"))
                    .size_limit(32 << 20)
                    .build()
                    .map_err(|e| RuleError(format!("catalogue key patterns for redaction: {e}")))?,
            )
        };
        Ok(Self {
            keys,
            key_only,
            prefixes,
        })
    }

    /// Replaces every secret in `line` with a short prefix and `…[redacted]`.
    pub fn redact<'a>(&self, line: &'a str) -> Cow<'a, str> {
        self.run(line, &LINE)
    }

    /// Text made safe to show anywhere: redacted, control characters escaped.
    pub fn shown(&self, text: &str) -> String {
        crate::text::printable(&self.redact(text)).into_owned()
    }

    /// A path as shown: each file or directory name redacted on its own (a key used as a
    /// name loses its secret part; `risk-model.onnx` stays as it is), control characters
    /// escaped.
    pub fn path(&self, path: &str) -> String {
        let redacted: Vec<Cow<'_, str>> = path.split('/').map(|c| self.run(c, &NAME)).collect();
        crate::text::printable(&redacted.join("/")).into_owned()
    }

    /// True when `line` holds something [`Redactor::redact`] would hide.
    pub fn has_secret(&self, line: &str) -> bool {
        self.key_only.as_ref().is_some_and(|k| k.is_match(line))
            || self.keys.as_ref().is_some_and(|k| k.is_match(line))
            || LINE.is_match(line)
    }

    fn run<'a>(&self, line: &'a str, shapes: &Regex) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(line);
        for _ in 0..MAX_PASSES {
            let next = {
                // Catalogue keys first, so a built-in shape can never take part of one.
                let keyed = self.keys_once(&out);
                let shaped = self.shapes_once(&keyed, shapes);
                (*shaped != *out).then(|| shaped.into_owned())
            };
            match next {
                Some(next) => out = Cow::Owned(next),
                None => break,
            }
        }
        out
    }

    /// Every match of a catalogue key pattern masked, keeping its known prefix. A match
    /// inside a longer token (`Ask-ant-api03-…-sk-…`: the boundary before an inner `sk-`
    /// holds after `-`) masks the whole token and shows none of it: showing the token up to
    /// the match would show most of a key.
    fn whole_tokens<'a>(&self, k: &Regex, line: &'a str) -> Cow<'a, str> {
        let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        let mut out = String::new();
        let mut last = 0;
        for m in k.find_iter(line) {
            if m.start() < last {
                continue;
            }
            let before = &line[last..m.start()];
            let start = before
                .char_indices()
                .rev()
                .take_while(|&(_, c)| token(c))
                .last()
                .map_or(m.start(), |(i, _)| last + i);
            out.push_str(&line[last..start]);
            if start < m.start() {
                out.push_str("…[redacted]");
            } else {
                out.push_str(&format!(
                    "{}…[redacted]",
                    head_of(m.as_str(), self.shown_len(m.as_str()))
                ));
            }
            last = m.end();
        }
        if last == 0 {
            return Cow::Borrowed(line);
        }
        out.push_str(&line[last..]);
        Cow::Owned(out)
    }

    fn keys_once<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let line: Cow<'a, str> = match &self.key_only {
            Some(k) => self.whole_tokens(k, line),
            None => Cow::Borrowed(line),
        };
        let Some(keys) = &self.keys else {
            return line;
        };
        let replaced = match keys.replace_all(&line, |c: &Captures| {
            let m = c.get(0).map_or("", |m| m.as_str());
            let rest = &line[c.get(0).map_or(0, |m| m.end())..];
            if c.name("cut").is_some() {
                if rest.starts_with("[redacted]") {
                    return m.to_string();
                }
                let pre = c.name("pre").map_or("", |p| p.as_str());
                let key = &m[pre.len()..];
                return format!("{pre}{}…[redacted]", head_of(key, self.shown_len(key)));
            }
            if c.name("a").is_some() {
                let (head, value) = split_assignment(m);
                if is_reference(value) {
                    return m.to_string();
                }
                return format!(
                    "{head}{}…[redacted]",
                    head_of(value, self.known_prefix(value).unwrap_or(0))
                );
            }
            format!("{}…[redacted]", head_of(m, self.shown_len(m)))
        }) {
            Cow::Borrowed(_) => None,
            Cow::Owned(s) => Some(s),
        };
        match replaced {
            Some(s) => Cow::Owned(s),
            None => line,
        }
    }

    fn shapes_once<'a>(&self, line: &'a str, shapes: &Regex) -> Cow<'a, str> {
        shapes.replace_all(line, |c: &Captures| {
            let whole = c.get(0).map_or("", |m| m.as_str());
            // Already redacted (`sk-ant-api03-…[redacted]` reads as a key cut short): keep.
            let rest = &line[c.get(0).map_or(0, |m| m.end())..];
            if rest.starts_with("[redacted]") || rest.starts_with("…[redacted]") {
                return whole.to_string();
            }
            if c.name("pem").is_some() {
                return "-----BEGIN PRIVATE KEY-----…[redacted]".to_string();
            }
            if let Some(m) = c.name("key") {
                return format!("{}…[redacted]", head_of(m.as_str(), self.shown_len(m.as_str())));
            }
            if let Some(m) = c.name("bearer") {
                return format!("{}…[redacted]", m.as_str());
            }
            if let Some(m) = c.name("url") {
                let at = if c.name("urlcut").is_some() { "" } else { "@" };
                // The user part is shown, but may itself be a token (`https://ghp_…:x@github.com`).
                let (scheme, user) = m.as_str().split_once("://").unwrap_or(("", m.as_str()));
                return format!("{scheme}://{}…[redacted]{at}", self.redact(user));
            }
            if let (Some(head), Some(v)) = (c.name("authz"), c.name("zval")) {
                let word = v
                    .as_str()
                    .trim_end_matches(|ch: char| !ch.is_ascii_alphanumeric());
                if is_scheme(word) {
                    return whole.to_string();
                }
                // A credential, dotted or not (a JSON web token): only a template is not one.
                return self.masked_credential(whole, head.as_str(), "", v.as_str());
            }
            if let (Some(head), Some(v)) = (c.name("curl"), c.name("cval")) {
                let user = c.name("cuser").map_or("", |u| u.as_str());
                if v.as_str() == user || v.as_str().chars().all(|ch| ch.is_ascii_digit()) {
                    return whole.to_string();
                }
                return self.masked(whole, head.as_str(), "", v.as_str());
            }
            for (group, prefix) in [("tuple", "t"), ("spaced", "s"), ("assign", "a"), ("pair", "p")] {
                let Some(head) = c.name(group) else { continue };
                let quoted = [("d", "\""), ("s", "'")]
                    .into_iter()
                    .find_map(|(q, mark)| c.name(&format!("{prefix}{q}")).map(|v| (mark, v.as_str())));
                let (mark, value) = match quoted {
                    Some(q) => q,
                    None => ("", c.name(&format!("{prefix}val")).map_or("", |v| v.as_str())),
                };
                return self.masked(whole, head.as_str(), mark, value);
            }
            String::from("…[redacted]")
        })
    }

    /// `head`, the opening quote and the value masked — or `whole` unchanged when the value
    /// is a reference, a placeholder or already redacted.
    fn masked(&self, whole: &str, head: &str, quote: &str, value: &str) -> String {
        if is_reference(value) {
            return whole.to_string();
        }
        self.masked_credential(whole, head, quote, value)
    }

    /// As [`Redactor::masked`], for a value that is a credential even when it reads like a
    /// dotted name (a JSON web token after `Authorization:`).
    fn masked_credential(&self, whole: &str, head: &str, quote: &str, value: &str) -> String {
        if value.is_empty() || is_template(value) || is_placeholder(value) || self.is_redacted(value) {
            return whole.to_string();
        }
        let keep = head_of(value, self.known_prefix(value).unwrap_or(0));
        format!("{head}{quote}{keep}…[redacted]")
    }

    /// `…[redacted]`, or a known prefix and `…[redacted]`.
    fn is_redacted(&self, value: &str) -> bool {
        value
            .strip_suffix("…[redacted]")
            .is_some_and(|head| self.known_prefix(head) == Some(head.len()) || head.is_empty())
    }

    /// The length of the longest vendor prefix `key` starts with: built-in or catalogue.
    fn known_prefix(&self, key: &str) -> Option<usize> {
        let builtin = PREFIXES
            .iter()
            .filter(|p| key.starts_with(**p))
            .map(|p| p.len())
            .max();
        let catalogue = self
            .prefixes
            .iter()
            .find(|p| key.starts_with(p.as_str()))
            .map(String::len);
        builtin.max(catalogue)
    }

    /// How much of a key may be shown: its vendor prefix and nothing of the random part.
    fn shown_len(&self, key: &str) -> usize {
        self.known_prefix(key).unwrap_or(0).min(key.len())
    }
}

/// The first `n` bytes of `s`, fewer if `n` is not on a character boundary.
fn head_of(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// `NAME = "value` → (`NAME = "`, `value`): the name, operator, spaces and opening quote,
/// then the value.
fn split_assignment(m: &str) -> (&str, &str) {
    // `(` too: a key passed to a client constructor (`cohere.Client("…")`).
    let op = m.rfind([':', '=', '(']).map_or(0, |i| i + 1);
    let value_at = m[op..]
        .find(|c: char| !matches!(c, ' ' | '\t' | '"' | '\''))
        .map_or(m.len(), |i| op + i);
    m.split_at(value_at)
}

/// Masks the span a key rule matched in `text` (a line holding a key hit): the rule's
/// prefix (or the name and operator) stays, the rest of the span becomes `…[redacted]`.
/// A span cut by the line cap (`…`) is masked to the end. Byte offsets are clamped to
/// `text` and its character boundaries.
pub fn mask_span(text: &str, span: (usize, usize), rule: &KeyRule) -> String {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (mut start, mut end) = (floor(span.0), floor(span.1));
    // Another key rule's match overlapping the span (an assignment rule stops at a key's
    // `+`) is masked with it: the union, so no tail of a key is left to show.
    if let Some(k) = &builtin().key_only {
        for m in k.find_iter(text) {
            if m.start() < end && m.end() > start {
                start = start.min(m.start());
                end = end.max(m.end());
            }
        }
    }
    let cut = text.ends_with('…') && span.1 > text.len().saturating_sub('…'.len_utf8());
    if cut {
        end = text.len();
    }
    if start >= end {
        return text.to_string();
    }
    let r = Redactor {
        keys: None,
        key_only: None,
        prefixes: match &rule.show {
            Show::Prefix(p) if !p.is_empty() => vec![p.clone()],
            _ => Vec::new(),
        },
    };
    let m = &text[start..end];
    let shown = match rule.show {
        Show::Prefix(_) => head_of(m, r.shown_len(m)).to_string(),
        Show::Assignment => {
            let (head, value) = split_assignment(m);
            format!("{head}{}", head_of(value, r.known_prefix(value).unwrap_or(0)))
        }
    };
    format!("{}{shown}…[redacted]{}", &text[..start], &text[end..])
}

/// A value that names where a secret comes from rather than being one: an environment
/// variable name (`ANTHROPIC_API_KEY`), a dotted, called or subscripted reference
/// (`settings.api_key`, `os.getenv(`, `os.environ[`), or a template (`${{ secrets.X }}`,
/// `$TOKEN`, `{{ .Values.key }}`).
fn is_reference(value: &str) -> bool {
    let v = value.trim_end_matches([')', ']', '}']);
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let all_caps =
        ident(v) && v.chars().any(|c| c.is_ascii_uppercase()) && !v.chars().any(|c| c.is_ascii_lowercase());
    let known = PREFIXES.iter().any(|p| v.starts_with(p));
    let dotted = v.contains('.') && !known && v.split('.').all(|p| ident(p.trim_end_matches('(')));
    // `os.environ[` (the bare value stops at the quote of `["X"]`): a name, then a subscript.
    let subscript = v.strip_suffix('[').is_some_and(|name| name.split('.').all(ident));
    all_caps && v.chars().any(|c| c == '_') && !known
        || dotted
        || subscript
        || v.contains('(')
        || is_template(v)
        || v.starts_with("process.env")
}

/// `$TOKEN`, `${{ secrets.X }}`, `{{ .Values.key }}`.
fn is_template(value: &str) -> bool {
    value.starts_with('$') || value.starts_with("{{")
}

/// A value that stands in for a secret: `your-key-here`, `<API_KEY>`, `xxxx`, `****`, and
/// settings that are not secrets (`token: required`, `auth: disabled`).
fn is_placeholder(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "true",
        "false",
        "null",
        "none",
        "required",
        "optional",
        "enabled",
        "disabled",
        "string",
        "boolean",
        "changeme",
        "changeit",
        "redacted",
        "example",
        "placeholder",
    ];
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    WORDS.contains(&lower.as_str())
        || lower.starts_with("your")
        || lower.starts_with("<your")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.chars()
            .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '•' | '…'))
}

/// An HTTP authentication scheme alone (`Authorization: Bearer` in documentation).
fn is_scheme(word: &str) -> bool {
    [
        "bearer",
        "basic",
        "token",
        "digest",
        "negotiate",
        "ntlm",
        "apikey",
    ]
    .iter()
    .any(|s| word.eq_ignore_ascii_case(s))
}

/// Vendor prefixes of the built-in shapes, shown in front of `…[redacted]`.
const PREFIXES: &[&str] = &[
    "sk-ant-api03-",
    "sk-ant-admin01-",
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-or-v1-",
    "github_pat_",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "sk-",
    "gsk_",
    "hf_",
    "r8_",
    "pplx-",
    "pcsk_",
    "xai-",
    "fw_",
    "AIza",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "xoxo-",
    "xoxr-",
    "sq0csp-",
    "SG.",
    "AKIA",
    "ASIA",
    "eyJ",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_only_their_prefix() {
        let key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij";
        let line = format!("client = Anthropic(api_key=\"{key}\")");
        let out = redact(&line);
        assert!(!out.contains("AbCdEfGh"), "{out}");
        assert!(out.contains("sk-ant-api03-…[redacted]"), "{out}");
        // Glued to a letter, with an `sk-` inside it, whole or cut short by truncation:
        // nothing of the key's body is shown.
        for glued in [
            "Ask-ant-api03-AbCdEfGhIjKlMn-sk-OpQrStUvWxYz0123456789",
            "Ask-ant-api03-AbCdEfGhIjKlMn-sk-OpQrStUv…",
        ] {
            let out = redact(glued);
            assert!(
                !out.contains("AbCdEfGh") && !out.contains("OpQrSt"),
                "{glued} -> {out}"
            );
        }
    }

    #[test]
    fn other_secret_shapes() {
        for (line, secret) in [
            ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
                "eyJhbGciOiJIUzI1NiJ9",
            ),
            ("DATABASE_URL=postgres://app:s3cretpass@db:5432/x", "s3cretpass"),
            (
                "git clone https://ghp_Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL:x-oauth-basic@github.com/a/b",
                "Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA",
                "MIIEpAIBAAKCAQEA",
            ),
            ("password: hunter2hunter2", "hunter2hunter2"),
        ] {
            let out = redact(line);
            assert!(!out.contains(secret), "{line} -> {out}");
        }
    }

    #[test]
    fn references_to_secrets_are_not_secrets() {
        for line in [
            "client = Anthropic(api_key=ANTHROPIC_API_KEY)",
            "token = settings.github_token",
            "password: ${DB_PASSWORD}",
            "api_key = os.getenv(\"OPENAI_API_KEY\")",
        ] {
            assert_eq!(redact(line), line);
        }
        assert!(!redact("password = \"Tr0ub4dor&3xyz\"").contains("Tr0ub4dor"));
    }

    /// One key of each catalogue format that had no built-in shape.
    fn catalog_keys() -> Vec<(&'static str, String)> {
        let b64 =
            "Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkLq1Ew3Rt5Yu7Io9Pa2Sd4Fg6Hj8Kl0Zx2Cv4Bn6Mq8Wr1Ty3Ui5Op7As9Df";
        vec![
            ("ABSK", format!("ABSKQmVkcm9ja0FQSUtleS{b64}")),
            (
                "bedrock-api-key-",
                format!("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{}", &b64[..40]),
            ),
            ("tgp_v1_", format!("tgp_v1_{}", &b64[..43])),
            ("nvapi-", format!("nvapi-{}", &b64[..64])),
            (
                "lsv2_",
                "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".to_string(),
            ),
        ]
    }

    #[test]
    fn catalog_key_formats_keep_only_their_prefix() {
        for (prefix, key) in catalog_keys() {
            let secret = &key[prefix.len()..];
            for line in [
                format!("client = Client(\"{key}\")"),
                key.to_string(),
                format!("# old key {key}, rotated"),
                format!("export AWS_BEARER_TOKEN_BEDROCK={key}"),
            ] {
                let out = redact(&line);
                assert!(!out.contains(&secret[..12]), "{line} -> {out}");
                assert!(out.contains("…[redacted]"), "{line} -> {out}");
                assert_eq!(redact(&out), out, "not idempotent: {out}");
            }
            let out = redact(&format!("x = \"{key}\"")).into_owned();
            assert!(out.contains(&format!("{prefix}…[redacted]")), "{out}");
            // Cut short by the line cap: what is left of it is hidden too.
            let cut = format!("k = {}…", &key[..prefix.len() + 10]);
            let out = redact(&cut);
            assert!(!out.contains(&secret[..8]), "{cut} -> {out}");
        }
    }

    #[test]
    fn name_based_forms() {
        let s = "Hk29dLq83mZp";
        for line in [
            format!(r#"os.environ["AZURE_OPENAI_API_KEY"] = "{s}""#),
            format!(r#"ENV["X_API_KEY"] = '{s}'"#),
            format!(r#"os.environ.setdefault("X_API_KEY", "{s}")"#),
            format!(r#"os.putenv("SERVICE_TOKEN", "{s}")"#),
            format!(r#"putenv("OPENAI_API_KEY={s}");"#),
            format!(r#"os.Setenv("DB_PASSWORD","{s}")"#),
            format!(r#"System.setProperty("javax.net.ssl.keyStorePassword", "{s}");"#),
            format!("ENV X_API_KEY {s}"),
            format!("ENV X_API_KEY={s}"),
            format!("aws configure set aws_secret_access_key {s}"),
            format!(r#"r = requests.get(url, auth=("admin", "{s}"))"#),
            format!(r#"HTTPBasicAuth('admin', '{s}')"#),
            format!("curl -u admin:{s} https://api.example.com/v1"),
            format!("curl --user=admin:{s} https://api.example.com/v1"),
            format!("Authorization: Token {s}"),
            format!(r#"-H "Authorization: ApiKey {s}""#),
            format!("Authorization: {s}"),
            format!(r#"const apiKey: string = "{s}";"#),
            format!(r#"val apiKey: String = "{s}""#),
            format!(r#"  :api_key => "{s}","#),
            format!(r#"  "password" => '{s}'"#),
            format!(r#"apiKey := "{s}""#),
        ] {
            let out = redact(&line);
            assert!(!out.contains(s), "{line} -> {out}");
            assert_eq!(redact(&out), out, "not idempotent: {out}");
        }
        // Quoted values are whole: commas and spaces inside the quotes.
        for (line, secret) in [
            (r#"password = "correct horse, battery staple""#, "battery staple"),
            (
                r#"os.environ.setdefault("X_API_KEY", "Zq8-Lm2, Pv7 Rt4")"#,
                "Pv7 Rt4",
            ),
            (r#"secret: 'a b c d e f'"#, "d e f"),
            (r#"token = "abc\"def-ghi""#, "def-ghi"),
        ] {
            let out = redact(line);
            assert!(!out.contains(secret), "{line} -> {out}");
        }
        // What stays shown: the name, the operator and the quote.
        assert_eq!(
            redact(r#"os.environ["AZURE_OPENAI_API_KEY"] = "Hk29dLq83mZp""#),
            r#"os.environ["AZURE_OPENAI_API_KEY"] = "…[redacted]""#
        );
        assert_eq!(redact("ENV X_API_KEY Hk29dLq83mZp"), "ENV X_API_KEY …[redacted]");
        assert_eq!(
            redact("curl -u admin:Hk29dLq83mZp x"),
            "curl -u admin:…[redacted] x"
        );
        assert_eq!(
            redact("Authorization: Token Hk29dLq83mZp"),
            "Authorization: Token …[redacted]"
        );
    }

    #[test]
    fn references_and_placeholders_are_not_redacted() {
        for line in [
            r#"api_key = os.environ["OPENAI_API_KEY"]"#,
            r#"key = os.environ["AZURE_OPENAI_API_KEY"]"#,
            r#"os.environ["AZURE_OPENAI_API_KEY"]"#,
            r#"os.environ.setdefault("OPENAI_API_KEY", os.getenv("FALLBACK"))"#,
            "token: ${{ secrets.GITHUB_TOKEN }}",
            "OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}",
            "apiKey: process.env.OPENAI_API_KEY,",
            "const apiKey = process.env.OPENAI_API_KEY;",
            "OPENAI_API_KEY=your-key-here",
            r#"api_key = "<KEY>""#,
            r#"api_key = "<your-api-key>""#,
            r#"password = "xxxxxxxx""#,
            "password: changeme",
            "apiKey: string;",
            "ENV OPENAI_API_KEY=$OPENAI_API_KEY",
            "ENV OPENAI_API_KEY $OPENAI_API_KEY",
            "Authorization: Bearer ${TOKEN}",
            r#"headers = {"Authorization": "Bearer " + token}"#,
            "set the `Authorization: Bearer` header",
            "docker run -u 1000:1000 image",
            "docker run -u app:app image",
            "auth=(user, password)",
            r#"token = os.environ.get("GITHUB_TOKEN")"#,
            "password: {{ .Values.db.password }}",
            "import anthropic  # the sk- prefix is documented",
        ] {
            assert_eq!(redact(line), line);
        }
    }

    #[test]
    fn names_are_redacted_component_by_component() {
        let r = builtin();
        for (_, key) in catalog_keys() {
            let secret = &key[key.len() - 20..];
            for path in [format!("app/{key}.txt"), format!("{key}/config.py"), key.clone()] {
                let out = r.path(&path);
                assert!(!out.contains(secret), "{path} -> {out}");
                assert!(out.contains("…[redacted]"), "{path} -> {out}");
                assert_eq!(r.path(&out), out);
            }
        }
        let anthropic = "sk-ant-api03-Hq3vT8nLw2Zr5Kc9Bx4Mf7Pj1Ys6Ud0Ge3Ai8Ro2Wn5Qk9Lt4Vb7Xe1";
        // (The built-in shape takes the dots of a key, and so the extension.)
        assert_eq!(
            r.path(&format!("keys/{anthropic}.txt")),
            "keys/sk-ant-api03-…[redacted]"
        );
        // A vendor prefix inside a word is not a key in a name.
        for path in [
            "models/risk-scoring-model.onnx",
            "ml/task-classification.pt",
            "ml/mask-rcnn-weights.pt",
            "src/load_hf_checkpoint_weights.py",
            "app/config.py",
        ] {
            assert_eq!(r.path(path), path);
        }
    }

    /// Found by the `redact_render` fuzz target: an assignment rule (`TOGETHER_API_KEY=`)
    /// starts before a Bedrock key and stops at its `+`, so the key rule never saw the key
    /// and its tail was shown. Every key rule's whole span is masked first.
    #[test]
    fn an_assignment_cannot_cut_a_key_short() {
        let key = "ABSKQmVkcm9ja0FQSUtleSABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk";
        let line = format!("export TOGETHER_API_KEY={key}  # https://api.together.xyz");
        let out = redact(&line);
        assert_eq!(
            out,
            "export TOGETHER_API_KEY=ABSK…[redacted]  # https://api.together.xyz"
        );
        assert_eq!(redact(&out), out);
        // The scan's hit of the assignment rule, masked as its span: the key's tail too.
        let rule = KeyRule::assignment(&["TOGETHER_API_KEY".to_string()]);
        let m = Regex::new(&rule.regex).unwrap().find(&line).unwrap();
        let out = mask_span(&line, (m.start(), m.end()), &rule);
        assert!(!out.contains("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk "), "{out}");
        assert!(out.starts_with("export TOGETHER_API_KEY="), "{out}");
    }

    #[test]
    fn a_key_hit_masks_exactly_its_span() {
        let key = "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";
        let text = format!("client = NIM(key={key}) # do-not-mask");
        let start = text.find(key).unwrap();
        let rule = KeyRule::key("nvapi-[A-Za-z0-9_-]{60,}");
        assert_eq!(rule.show, Show::Prefix("nvapi-".into()));
        let out = mask_span(&text, (start, start + key.len()), &rule);
        assert_eq!(out, "client = NIM(key=nvapi-…[redacted]) # do-not-mask");
        // Cut by the line cap: masked to the end.
        let cut = crate::text::truncate_chars(&text, start + 20);
        let out = mask_span(&cut, (start, start + key.len()), &rule);
        assert_eq!(out, "client = NIM(key=nvapi-…[redacted]");
        // An assignment keeps its name and operator.
        let rule = KeyRule::assignment(&["NVIDIA_API_KEY".to_string()]);
        let text = format!("NVIDIA_API_KEY = \"{key}\"");
        let out = mask_span(&text, (0, text.len() - 1), &rule);
        assert_eq!(out, "NVIDIA_API_KEY = \"…[redacted]\"");
        // Offsets off the text or its characters never panic.
        for span in [(0, 0), (5, 2), (1, 400), (usize::MAX, usize::MAX)] {
            let _ = mask_span("é…ü", span, &rule);
        }
    }

    #[test]
    fn shown_prefixes_come_from_the_patterns() {
        for (pattern, prefix) in [
            ("ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{80,}", "ABSK"),
            (
                "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=]{20,}",
                "bedrock-api-key-",
            ),
            ("tgp_v1_[A-Za-z0-9_-]{43}", "tgp_v1_"),
            ("nvapi-[A-Za-z0-9_-]{60,}", "nvapi-"),
            ("lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}", "lsv2_"),
            ("sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_-]{80,}", "sk-ant-"),
            (
                "sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
                "sk-",
            ),
            ("[a-f0-9]{32}", ""),
            // A literal pattern shows at most half of itself.
            ("my-secret-key-123456", "my-secret-"),
        ] {
            assert_eq!(literal_prefix(pattern), prefix, "{pattern}");
        }
    }

    #[test]
    fn pack_key_rules_are_redacted_too() {
        // Two rules with the same group name compile together.
        let rules = [
            KeyRule::key("acme_(?P<v>[a-z0-9]{30})"),
            KeyRule::key("zeta-(?P<v>[A-Z0-9]{24})"),
        ];
        let r = Redactor::new(&rules).unwrap();
        let line = "k1 = acme_0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o, k2 = zeta-ABCDEFGH12345678IJKLMNOP";
        let out = r.redact(line);
        assert_eq!(out, "k1 = acme_…[redacted], k2 = zeta-…[redacted]");
        assert_eq!(r.redact(&out), out);
        // The built-in redactor does not know them.
        assert!(redact(line).contains("0a1b2c3d"));
    }

    #[test]
    fn ordinary_lines_are_untouched() {
        let line = "import anthropic  # the sk- prefix is documented";
        assert_eq!(redact(line), line);
    }
}
