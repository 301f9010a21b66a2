//! The template environment of the consultant documents: `templates/report.html.j2` and
//! `templates/report.md.j2`, embedded, rendering a [`super::view::Document`].
//!
//! Escaping is by construction: the template's name picks its escaping (`.html.j2` HTML,
//! `.md.j2` Markdown), and every value a template prints is escaped unless a filter made it
//! safe. The filters that do are the only places markup is built from data:
//! `rich` (a control text with its backtick `code` spans), `code`/`cellcode` (a Markdown
//! code span; `cell…` inside a table), `cellrich`, `bar` (a Markdown text bar) and `anchor`
//! (an HTML id). Whitespace: a line holding only a block tag prints nothing.

use std::sync::LazyLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State};

use super::escape;
use super::prose::code_segments;

const MARKDOWN: &str = "markdown";

static ENV: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// Renders a template with `ctx`.
pub fn render(name: &str, ctx: Value) -> std::io::Result<String> {
    ENV.get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(std::io::Error::other)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    let mut syntax = SyntaxConfig::builder();
    syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    env.set_syntax(syntax.build().expect("the default delimiters are valid"));
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else if name.ends_with(".md.j2") {
            AutoEscape::Custom(MARKDOWN.into())
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(format);
    env.add_filter("rich", rich);
    env.add_filter("cellrich", |s: &str| safe(rich_markdown(s, true)));
    env.add_filter("code", |s: &str| safe(escape::markdown_code(s, false)));
    env.add_filter("cellcode", |s: &str| safe(escape::markdown_code(s, true)));
    env.add_filter("bar", |v: f64, max: f64| super::charts::text_bar(v, max, 20));
    env.add_filter("anchor", anchor);
    for (name, source) in [
        ("report.html.j2", include_str!("../../templates/report.html.j2")),
        ("report.md.j2", include_str!("../../templates/report.md.j2")),
    ] {
        env.add_template(name, source)
            .expect("the embedded templates compile");
    }
    env
}

/// Prints a value: safe strings as they are, everything else escaped for the template's
/// format.
fn format(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
    let shown = if value.is_safe() {
        text
    } else {
        match state.auto_escape() {
            AutoEscape::Html => escape::html(&text),
            AutoEscape::Custom(name) if name == MARKDOWN => escape::markdown(&text),
            AutoEscape::None => text,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("no escaping for {other:?}"),
                ))
            }
        }
    };
    out.write_str(&shown).map_err(Error::from)
}

fn safe(s: String) -> Value {
    Value::from_safe_string(s)
}

/// A control text with its `code` spans, in the template's format.
fn rich(state: &State, s: &str) -> Value {
    if *state.auto_escape() == AutoEscape::Html {
        safe(
            code_segments(s)
                .into_iter()
                .map(|(code, part)| {
                    if code {
                        format!("<code>{}</code>", escape::html(part))
                    } else {
                        escape::html(part)
                    }
                })
                .collect(),
        )
    } else {
        safe(rich_markdown(s, false))
    }
}

fn rich_markdown(s: &str, in_table: bool) -> String {
    code_segments(s)
        .into_iter()
        .map(|(code, part)| {
            if code {
                escape::markdown_code(part, in_table)
            } else {
                escape::markdown(part)
            }
        })
        .collect()
}

/// An HTML id from a control id: lower-case letters and digits, `-` for anything else.
fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
