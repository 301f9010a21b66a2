//! Escaping for the formats that carry text from scanned repositories (snippets, paths,
//! labels, messages: all untrusted): HTML element content and attributes, and Markdown
//! inline text and code spans. The template environment ([`super::templates`]) applies
//! them to every value by default; the charts and OSCAL's Markdown fields call them.

/// Bidirectional embedding, override and isolate controls ("Trojan Source").
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not allowed in HTML text, and
            // bidirectional overrides could reorder what a reader sees.
            c if (c.is_control() && c != '\n' && c != '\t') || is_bidi(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes Markdown inline text: every character CommonMark could read as markup gets a
/// backslash; line breaks become spaces.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() || is_bidi(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown inline code span holding `s` verbatim, whatever backticks it contains.
/// `in_table` escapes pipes, which GitHub tables split cells on even inside code spans.
pub fn markdown_code(s: &str, in_table: bool) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || (c.is_control() && c != '\t') || is_bidi(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let s = if in_table { s.replace('|', "\\|") } else { s };
    // One backtick more than the longest run inside.
    let runs = s
        .as_bytes()
        .split(|b| *b != b'`')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(runs + 1);
    if s.is_empty() {
        return "` `".to_string();
    }
    let pad = s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '));
    if pad {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(markdown_code("a`b", false), "``a`b``");
        assert_eq!(markdown_code("`x`", false), "`` `x` ``");
        assert_eq!(markdown_code("a|b", true), "`a\\|b`");
    }

    #[test]
    fn markdown_text_escapes_markup() {
        assert_eq!(markdown("<b>*x*</b> [l](u)"), "\\<b\\>\\*x\\*\\</b\\> \\[l\\](u)");
    }

    #[test]
    fn html_escapes_markup_controls_and_bidi() {
        assert_eq!(
            html("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(html("a\u{1b}b\u{202e}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd");
    }
}
