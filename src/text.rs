//! Small text helpers shared by parsers and checks: loose key matching, placeholders,
//! snippets.

/// Normalises a field name for loose matching: lower case, every run of characters that are
/// not ASCII letters or digits becomes one space (`Consent_Basis`, `consent-basis` and
/// `**Consent basis:**` all become `consent basis`), and a camelCase word boundary is a
/// space too (`soc2Type2ReportDate` becomes `soc2 type2 report date`, `dataResidency`
/// `data residency`). A boundary is an upper-case letter after a lower-case letter or a
/// digit and before a lower-case letter, so acronyms stay whole (`OpenAI`, `TSCs`, `DPA`).
pub fn norm_key(key: &str) -> String {
    normalise(key, true)
}

/// Lower-case ASCII words of `text` joined by one space; with `camel`, a camelCase boundary
/// also separates words.
fn normalise(text: &str, camel: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    let mut space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let boundary = camel && c.is_ascii_uppercase() && i > 0 && starts_word(&chars, i);
            if (space || boundary) && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// True when the upper-case letter at `i` starts a camelCase word: it is followed by a
/// lower-case letter and preceded by a lower-case letter or digit (`dataResidency`,
/// `soc2Type`), or ends an acronym before a word (`typeIIPeriod`), but not a plural
/// acronym's `s` (`TSCs`, `DPAs`).
fn starts_word(chars: &[char], i: usize) -> bool {
    let prev = chars[i - 1];
    let lower_at = |j: usize| chars.get(j).is_some_and(char::is_ascii_lowercase);
    if !lower_at(i + 1) {
        return false;
    }
    if prev.is_ascii_lowercase() || prev.is_ascii_digit() {
        return true;
    }
    prev.is_ascii_uppercase() && (chars[i + 1] != 's' || lower_at(i + 2))
}

/// [`norm_key`] without the camelCase boundaries: the lower-case words of a text. What
/// fingerprints are computed from (a line of code, a vendor's name), so they stay stable.
pub fn norm_words(text: &str) -> String {
    normalise(text, false)
}

/// True when the normalised `key` contains the normalised `wanted` as a run of whole words.
pub fn key_matches(key_norm: &str, wanted_norm: &str) -> bool {
    if wanted_norm.is_empty() {
        return false;
    }
    if key_norm == wanted_norm {
        return true;
    }
    let padded = format!(" {key_norm} ");
    padded.contains(&format!(" {wanted_norm} "))
}

/// How a register or record value reads to an auditor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueState {
    /// Empty, or only a dash.
    Empty,
    /// A template marker: TODO, TBD, FIXME, `<fill in>`, `???`.
    Todo,
    /// Explicitly says it is not there: no, none, pending, not signed, missing, unknown.
    Negative,
    /// Anything else.
    Present,
}

pub fn value_state(value: &str) -> ValueState {
    let v = value
        .trim()
        .trim_matches(|c| c == '*' || c == '_' || c == '`')
        .trim();
    if v.is_empty() || matches!(v, "-" | "—" | "–" | "~" | "null" | "n/a" | "N/A" | "NA") {
        return ValueState::Empty;
    }
    let lower = v.to_ascii_lowercase();
    if lower.contains("todo")
        || lower.contains("tbd")
        || lower.contains("fixme")
        || lower.contains("???")
        || (lower.starts_with('<') && lower.ends_with('>'))
        || lower.starts_with("[fill")
    {
        return ValueState::Todo;
    }
    let n = crate::text::norm_key(&lower);
    const NEGATIVE: &[&str] = &[
        "no",
        "none",
        "false",
        "pending",
        "missing",
        "unknown",
        "not signed",
        "not yet",
        "not provided",
        "not available",
        "not started",
        "requested",
        "in progress",
        "unsigned",
        "no dpa",
        "not received",
        "not reviewed",
        "x",
        "[ ]",
    ];
    if NEGATIVE.contains(&n.as_str())
        || NEGATIVE.contains(&lower.as_str())
        || n.starts_with("not ")
        || n.starts_with("no ")
        || deferred(&n)
    {
        return ValueState::Negative;
    }
    ValueState::Present
}

/// A normalised value that says the thing is absent or only intended: it starts with
/// "none", "n/a", "pending", "unknown", "deferred"… whatever follows ("none (raw export;
/// planned)"), or it says "planned", "not yet" or "to be decided" anywhere.
fn deferred(n: &str) -> bool {
    const FIRST: &[&str] = &[
        "none", "tba", "pending", "unknown", "deferred", "missing", "planned", "unclear",
    ];
    const TO_BE: &[&str] = &[
        "determined",
        "defined",
        "decided",
        "confirmed",
        "documented",
        "implemented",
    ];
    let mut words = n.split(' ');
    let first = words.next().unwrap_or("");
    if FIRST.contains(&first) || (first == "n" && words.next() == Some("a")) {
        return true;
    }
    let padded = format!(" {n} ");
    padded.contains(" planned ")
        || padded.contains(" not yet ")
        || padded.match_indices(" to be ").any(|(i, m)| {
            let rest = &padded[i + m.len()..];
            TO_BE
                .iter()
                .any(|w| rest.strip_prefix(w).is_some_and(|r| r.starts_with(' ')))
        })
}

/// "A", "A and B", "A, B and C".
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `s` lower-cased with only ASCII letters and digits kept: `AZURE_OPENAI_API_KEY`,
/// `azure_openai_api_key` and `azureOpenaiApiKey` all become `azureopenaiapikey`.
pub fn alnum_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A count and its noun, singular for one: `1 finding`, `2 findings`, `0 findings`. `word`
/// is the singular and takes an `s` (every noun redflag counts does).
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Escapes the characters that would let a file's content or name act on a terminal or
/// forge report lines: C0 and C1 controls (escape sequences, line breaks, bells) and the
/// bidirectional overrides ("Trojan Source"). Tabs are kept. `\n` becomes the two characters
/// `\` `n`, an escape `\u{1b}`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
    };
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The last guard before standard error: a message redflag assembled (it may span lines)
/// with every control character but the line breaks redflag put there escaped, and every
/// continuation line indented, so nothing quoted from a file can start a line of its own
/// (a forged `::error::` CI annotation) or drive the terminal. Text from files is made safe
/// where it is quoted ([`shown`], [`printable`]); this catches what a message forgot.
pub fn terminal_safe(message: &str) -> String {
    message
        .split('\n')
        .enumerate()
        .map(|(i, line)| {
            let line = printable(line.strip_suffix('\r').unwrap_or(line));
            if i == 0 || line.starts_with(char::is_whitespace) {
                line.into_owned()
            } else {
                format!("  {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`printable`] for multi-line prose from a file (a control pack's rationale or
/// remediation): line breaks are kept, every other control character escaped. Renderers
/// that show one line unwrap it; those that show paragraphs indent each line.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(|l| printable(l.strip_suffix('\r').unwrap_or(l)).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Cuts a string to at most `max` characters on a character boundary.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => {
            let mut cut = s[..i].to_string();
            cut.pop();
            cut.push('…');
            cut
        }
    }
}

/// 1-based line number of a byte offset, given the offsets where lines start.
pub fn line_of_offset(line_starts: &[usize], offset: usize) -> u32 {
    let idx = match line_starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    u32::try_from(idx + 1).unwrap_or(u32::MAX)
}

/// Offsets where each line of `text` starts.
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
    starts
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

/// The text of the line that starts at `starts[line-1]`, without its line break.
pub fn line_text<'a>(text: &'a str, starts: &[usize], line: u32) -> &'a str {
    let i = (line as usize).saturating_sub(1);
    let Some(&start) = starts.get(i) else {
        return "";
    };
    let end = starts.get(i + 1).map_or(text.len(), |e| e.saturating_sub(1));
    text.get(start..end.max(start))
        .unwrap_or("")
        .trim_end_matches('\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_loosely() {
        assert_eq!(norm_key("**Consent_Basis:**"), "consent basis");
        assert!(key_matches(
            &norm_key("SOC 2 Type II report date"),
            &norm_key("soc 2")
        ));
        assert!(!key_matches(&norm_key("Subprocessors"), &norm_key("processor")));
    }

    /// Every key style people write a register in normalises to the same words.
    #[test]
    fn key_styles_normalise_alike() {
        for k in [
            "soc2_type2_report_date",
            "soc2-type2-report-date",
            "soc2Type2ReportDate",
            "Soc2Type2ReportDate",
            "SOC2 Type2 Report Date",
            "soc2 type2 report date:",
        ] {
            assert_eq!(norm_key(k), "soc2 type2 report date", "{k}");
        }
        assert_eq!(norm_key("dataResidency"), "data residency");
        assert_eq!(norm_key("SOC2TypeII"), "soc2 typeii");
        assert_eq!(norm_key("soc2TypeIIPeriodEnd"), "soc2 typeii period end");
        assert_eq!(norm_key("DPAs signed"), "dpas signed");
        // Acronyms stay whole.
        assert_eq!(norm_key("OpenAI"), "openai");
        assert_eq!(norm_key("TSCs covered"), "tscs covered");
        assert_eq!(norm_key("DPA"), "dpa");
        assert_eq!(norm_words("soc2Type2"), "soc2type2");
    }

    #[test]
    fn value_states() {
        assert_eq!(value_state("TODO: ask legal"), ValueState::Todo);
        assert_eq!(value_state(" - "), ValueState::Empty);
        assert_eq!(value_state("Pending"), ValueState::Negative);
        assert_eq!(value_state("Signed 2026-01-04"), ValueState::Present);
        assert_eq!(value_state("Not signed"), ValueState::Negative);
        // Deferred or absent, whatever follows.
        for v in [
            "none (raw export; planned)",
            "No – planned",
            "N/A (legacy export)",
            "Pending legal review",
            "Nightly purge (planned)",
            "To be decided with legal",
        ] {
            assert_eq!(value_state(v), ValueState::Negative, "{v}");
        }
        for v in [
            "Planning data, consented 2026",
            "Nonetheless kept 2 years",
            "S3 lifecycle, 365 days",
        ] {
            assert_eq!(value_state(v), ValueState::Present, "{v}");
        }
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(printable("a\x1b[2Jb\nc\td"), "a\\u{1b}[2Jb\\nc\td");
        assert_eq!(printable("abc \u{202e}cba"), "abc \\u{202e}cba");
        assert!(matches!(printable("plain é"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate_chars("héllo", 3), "hé…");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
