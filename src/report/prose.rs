//! The text rules every renderer shares, defined once: how control texts (hard-wrapped YAML
//! with `code` in backticks) are unwrapped, cut to their first sentence and shortened.

/// Text unwrapped (YAML block text is hard-wrapped).
pub fn unwrap_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence of a text, unwrapped. A period inside parentheses or after an
/// abbreviation (`e.g.`, `i.e.`, `etc.`) does not end it.
pub fn first_sentence(text: &str) -> String {
    let flat = unwrap_text(text);
    let mut depth = 0usize;
    let bytes = flat.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'.' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                let word = flat[..i].rsplit(' ').next().unwrap_or("");
                if !matches!(word, "e.g" | "i.e" | "etc" | "vs" | "cf") {
                    return flat[..=i].to_string();
                }
            }
            _ => {}
        }
    }
    flat
}

/// `text` cut to at most `max` characters with `…`, never inside a parenthesis: a cut that
/// would fall inside `( … )` is made before the parenthesis opens, so an aside such as
/// "(e.g. …)" is dropped whole rather than left open.
pub fn shorten(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max.saturating_sub(1)) else {
        return text.to_string();
    };
    if text.char_indices().nth(max).is_none() {
        return text.to_string();
    }
    let mut open: Vec<usize> = Vec::new();
    for (i, c) in text[..cut].char_indices() {
        match c {
            '(' => open.push(i),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    match open.first() {
        Some(&paren) => format!("{}…", text[..paren].trim_end()),
        None => format!("{}…", &text[..cut]),
    }
}

/// Control texts (remediation, rationale, evidence requests) mark code with backticks, as
/// Markdown does. Splits such a text into `(is_code, text)` segments; with an odd number of
/// backticks the whole text is plain.
pub fn code_segments(s: &str) -> Vec<(bool, &str)> {
    if s.matches('`').count() % 2 == 1 {
        return vec![(false, s)];
    }
    s.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| (i % 2 == 1, part))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_segments_split_on_backtick_pairs() {
        assert_eq!(
            code_segments("use `a` or `b`."),
            [
                (false, "use "),
                (true, "a"),
                (false, " or "),
                (true, "b"),
                (false, ".")
            ]
        );
        assert_eq!(code_segments("odd ` one"), [(false, "odd ` one")]);
    }

    #[test]
    fn first_sentences_skip_abbreviations_and_parentheses() {
        assert_eq!(first_sentence("Do it (e.g. a. b). Then"), "Do it (e.g. a. b).");
        assert_eq!(first_sentence("Use X, e.g. Y. More"), "Use X, e.g. Y.");
        assert_eq!(first_sentence("One\n  line"), "One line");
        assert_eq!(first_sentence("1) a (b. c). D"), "1) a (b. c).");
    }

    #[test]
    fn shortening_never_cuts_inside_a_parenthesis() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("exactly10!", 10), "exactly10!");
        assert_eq!(shorten("abcdefghijkl", 10), "abcdefghi…");
        assert_eq!(
            shorten("keep a record (e.g. compliance/access-reviews/2026-Q1.md)", 30),
            "keep a record…"
        );
        assert_eq!(shorten("a (b) c d e f g h i j k", 10), "a (b) c d…");
    }
}
