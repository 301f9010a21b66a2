//! Catalogues: data about things redflag detects, e.g. `controls/catalog/ai-vendors.yaml`
//! (per vendor: package names per ecosystem, import names per language, API hosts,
//! environment variables, key formats). A catalogue is compiled once into content patterns
//! registered with the scan plan; the `inventory` and `register` checks read it. Adding a
//! vendor is a YAML edit.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::check::compile::Diag;
use crate::redact::KeyRule;
use crate::workspace::manifest::Ecosystem;
use crate::workspace::matcher::{check_regex, MatcherBuilder};
use crate::workspace::PatternId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSpec {
    pub catalog: String,
    pub title: String,
    pub items: Vec<ItemSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub packages: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub modules: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub key_patterns: Vec<String>,
    /// Regexes for SDK use that no import names (a generic SDK addressing this vendor, e.g.
    /// `boto3.client("bedrock-runtime")`), searched in source files; they count as imports.
    #[serde(default)]
    pub code_patterns: Vec<String>,
    pub docs: Option<String>,
}

/// How an item was seen in the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Package,
    Import,
    Host,
    Env,
    Key,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Package => "package",
            Self::Import => "import",
            Self::Host => "API host",
            Self::Env => "env var",
            Self::Key => "API key",
        }
    }
}

#[derive(Debug)]
pub struct CatalogItem {
    pub id: String,
    pub name: String,
    /// Lower-cased name and aliases, for matching register entries.
    pub names: Vec<String>,
    pub packages: Vec<(Ecosystem, String)>,
    /// Content patterns of this item with what they detect.
    pub patterns: Vec<(PatternId, SignalKind)>,
    /// The key rules among them (`SignalKind::Key`): what of a hit may be shown.
    pub keys: Vec<(PatternId, KeyRule)>,
    pub docs: Option<String>,
}

#[derive(Debug)]
pub struct Catalog {
    pub id: String,
    pub title: String,
    pub items: Vec<CatalogItem>,
}

/// Which files each language's imports are searched in.
fn language_files(lang: &str) -> Option<&'static [&'static str]> {
    Some(match lang {
        "python" => &["*.py", "*.pyi"],
        "js" => &[
            "*.js", "*.jsx", "*.ts", "*.tsx", "*.mjs", "*.cjs", "*.vue", "*.svelte",
        ],
        "go" => &["*.go"],
        "rust" => &["*.rs"],
        "java" => &["*.java", "*.kt", "*.kts", "*.scala", "*.groovy"],
        "ruby" => &["*.rb"],
        _ => return None,
    })
}

/// An import-statement regex for the module names of one language.
///
/// The keyword and the module name are separated by exactly one space or tab (what
/// formatters write), so each pattern starts with a specific literal (`from openai`,
/// `use async_openai`): the one-pass prefilter then looks only at lines that can match.
fn import_regex(lang: &str, modules: &[String]) -> String {
    let alt = modules
        .iter()
        .map(|m| regex::escape(m))
        .collect::<Vec<_>>()
        .join("|");
    match lang {
        "python" => {
            // `import openai`, `from openai import X`, `from openai.types import X`, and for a
            // dotted module `google.genai` also `from google import genai`.
            let mut parts = vec![format!(
                r"(?-u:\b)(?:from[ \t](?:{alt})(?:\.[A-Za-z0-9_.]+)?[ \t]+import|import[ \t](?:{alt})(?:[ \t.,]|$))"
            )];
            for m in modules.iter().filter(|m| m.contains('.')) {
                if let Some((parent, last)) = m.rsplit_once('.') {
                    parts.push(format!(
                        r"(?-u:\b)from[ \t]{}[ \t]+import[ \t]+(?:\(?[ \t]*)?(?:[A-Za-z0-9_]+[ \t]*,[ \t]*)*{}(?:[ \t,)]|$)",
                        regex::escape(parent),
                        regex::escape(last)
                    ));
                }
            }
            format!("(?m){}", parts.join("|"))
        }
        "js" => format!(r#"(?:from ?|require\( ?|import\( ?|import )["'](?:{alt})(?:/[^"']*)?["']"#),
        "go" => format!(r#""(?:{alt})(?:/[^"]*)?""#),
        "rust" => format!(r"(?m)(?-u:\b)(?:pub )?(?:use|extern crate)[ \t](?:{alt})(?:::|;|[ \t])"),
        "java" => format!(r"(?m)(?-u:\b)import[ \t](?:static )?(?:{alt})\."),
        "ruby" => format!(r#"(?m)(?-u:\b)require[ \t(]["'](?:{alt})["']"#),
        _ => String::new(),
    }
}

/// A host pattern: `*.` prefix = any subdomain, `*` elsewhere = one DNS label. A leading
/// wildcard is matched from its dot (`.openai.azure.com`) so the pattern starts with a
/// literal, which keeps the one-pass search on its fast prefilter.
fn host_regex(host: &str) -> String {
    // `*.x.com` is matched as `.x.com`: any subdomain, and a literal first byte.
    let (lead, rest) = match host.strip_prefix('*') {
        Some(rest) if rest.starts_with('.') => ("", rest),
        _ => (r"(?-u:\b)", host),
    };
    let body = rest
        .split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("[A-Za-z0-9-]+");
    format!(r"{lead}{body}(?-u:\b)")
}

/// Source files searched for `code_patterns`.
const CODE_FILES: &[&str] = &[
    "*.py", "*.js", "*.jsx", "*.ts", "*.tsx", "*.mjs", "*.cjs", "*.go", "*.rs", "*.java", "*.kt", "*.scala",
    "*.rb", "*.cs",
];

/// Documentation files.
const PROSE: &[&str] = &[
    "*.md",
    "*.markdown",
    "*.rst",
    "*.txt",
    "*.adoc",
    "*.html",
    "*.htm",
];

/// Files where a host or env name is configuration or code, not prose or lock data.
const CONFIG_AND_CODE_EXCLUDE: &[&str] = &[
    "*.lock",
    "*-lock.json",
    "*.lock.json",
    "*.sum",
    "*.svg",
    "*.min.js",
    "*.map",
];

/// The key rules of an item, in the order they are registered: a literal assigned to one
/// of its key-like environment variables (`…KEY`, `…TOKEN`), then each of its
/// `key_patterns`. The scan searches for them (RF3-HARDCODED-AI-KEY) and redaction masks
/// whatever they match.
pub fn key_rules(item: &ItemSpec) -> Vec<KeyRule> {
    let keyish: Vec<String> = item
        .env
        .iter()
        .filter(|e| e.ends_with("KEY") || e.ends_with("TOKEN"))
        .cloned()
        .collect();
    let mut rules = Vec::new();
    if !keyish.is_empty() {
        rules.push(KeyRule::assignment(&keyish));
    }
    rules.extend(item.key_patterns.iter().map(|k| KeyRule::key(k)));
    rules
}

/// The key rules of the built-in catalogues (`controls/catalog/*.yaml`, embedded), for the
/// redaction that runs before or without a loaded pack ([`crate::redact::builtin`]).
pub fn builtin_key_rules() -> Vec<KeyRule> {
    super::builtin::BUILTIN
        .iter()
        .filter(|(rel, _)| rel.starts_with("catalog/"))
        .filter_map(|(_, text)| serde_saphyr::from_str::<CatalogSpec>(text).ok())
        .flat_map(|spec| spec.items.iter().flat_map(key_rules).collect::<Vec<_>>())
        .filter(|r| check_regex(&r.regex).is_ok())
        .collect()
}

/// Compiles catalogue files into catalogues whose patterns are registered in `matchers`.
pub fn compile(
    specs: Vec<(String, CatalogSpec)>,
    matchers: &mut MatcherBuilder,
    diags: &mut Vec<Diag>,
) -> Vec<Catalog> {
    // Keys leak from any file; hosts and variable names in prose are documentation, not use
    // (the inventory ignores them), so prose is not even searched for them.
    let key_exclude: Vec<String> = CONFIG_AND_CODE_EXCLUDE.iter().map(ToString::to_string).collect();
    let exclude: Vec<String> = CONFIG_AND_CODE_EXCLUDE
        .iter()
        .chain(PROSE)
        .map(ToString::to_string)
        .collect();
    let mut out: Vec<Catalog> = Vec::new();
    for (file, spec) in specs {
        let mut problems: Vec<String> = Vec::new();
        if out.iter().any(|c| c.id == spec.catalog) {
            diags.push(Diag {
                file: file.clone(),
                line: None,
                message: format!("duplicate catalog `{}`", spec.catalog),
            });
            continue;
        }
        let mut items = Vec::new();
        for item in spec.items {
            let mut patterns = Vec::new();
            let mut packages = Vec::new();
            for (eco, names) in &item.packages {
                match Ecosystem::parse(eco) {
                    Some(e) => packages.extend(names.iter().map(|n| (e, e.normalize(n)))),
                    None => problems.push(format!("{}: unknown ecosystem `{eco}`", item.id)),
                }
            }
            for (lang, modules) in &item.modules {
                let Some(files) = language_files(lang) else {
                    problems.push(format!(
                        "{}: unknown language `{lang}` (python, js, go, rust, java, ruby)",
                        item.id
                    ));
                    continue;
                };
                if modules.is_empty() {
                    continue;
                }
                let re = import_regex(lang, modules);
                match check_regex(&re) {
                    Ok(_) => {
                        let files: Vec<String> = files.iter().map(ToString::to_string).collect();
                        patterns.push((matchers.add(&re, &files, &[]), SignalKind::Import));
                    }
                    Err(e) => problems.push(format!("{}: {e}", item.id)),
                }
            }
            if !item.code_patterns.is_empty() {
                let files: Vec<String> = CODE_FILES.iter().map(ToString::to_string).collect();
                for re in &item.code_patterns {
                    match check_regex(re) {
                        Ok(_) => patterns.push((matchers.add(re, &files, &[]), SignalKind::Import)),
                        Err(e) => problems.push(format!("{}: {e}", item.id)),
                    }
                }
            }
            let mut add = |re: String,
                           kind: SignalKind,
                           patterns: &mut Vec<(PatternId, SignalKind)>,
                           problems: &mut Vec<String>| match check_regex(&re) {
                Ok(_) => {
                    let exclude = if kind == SignalKind::Key {
                        &key_exclude
                    } else {
                        &exclude
                    };
                    let id = matchers.add(&re, &[], exclude);
                    patterns.push((id, kind));
                    Some(id)
                }
                Err(e) => {
                    problems.push(format!("{}: {e}", item.id));
                    None
                }
            };
            if !item.hosts.is_empty() {
                let re = item
                    .hosts
                    .iter()
                    .map(|h| host_regex(h))
                    .collect::<Vec<_>>()
                    .join("|");
                add(re, SignalKind::Host, &mut patterns, &mut problems);
            }
            if !item.env.is_empty() {
                let names = item
                    .env
                    .iter()
                    .map(|e| regex::escape(e))
                    .collect::<Vec<_>>()
                    .join("|");
                add(
                    format!(r"(?-u:\b)(?:{names})(?-u:\b)"),
                    SignalKind::Env,
                    &mut patterns,
                    &mut problems,
                );
            }
            let mut keys = Vec::new();
            for rule in key_rules(&item) {
                if let Some(id) = add(rule.regex.clone(), SignalKind::Key, &mut patterns, &mut problems) {
                    keys.push((id, rule));
                }
            }
            let mut names: Vec<String> = std::iter::once(&item.name)
                .chain(item.aliases.iter())
                .map(|n| n.to_lowercase())
                .collect();
            names.dedup();
            items.push(CatalogItem {
                id: item.id,
                name: item.name,
                names,
                packages,
                patterns,
                keys,
                docs: item.docs,
            });
        }
        diags.extend(problems.into_iter().map(|message| Diag {
            file: file.clone(),
            line: None,
            message,
        }));
        out.push(Catalog {
            id: spec.catalog,
            title: spec.title,
            items,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_imports() {
        let re =
            regex::Regex::new(&import_regex("python", &["openai".into(), "google.genai".into()])).unwrap();
        for ok in [
            "import openai",
            "from openai import OpenAI",
            "  from openai.types import X",
            "from google import genai",
            "from google import auth, genai",
        ] {
            assert!(re.is_match(ok), "{ok}");
        }
        for no in [
            "import openai_helpers",
            "from openaix import y",
            "# see openai",
            "from google import auth",
        ] {
            assert!(!re.is_match(no), "{no}");
        }
    }

    #[test]
    fn js_and_hosts() {
        let re = regex::Regex::new(&import_regex("js", &["@anthropic-ai/sdk".into()])).unwrap();
        assert!(re.is_match(r#"import Anthropic from "@anthropic-ai/sdk";"#));
        assert!(re.is_match(r#"const a = require('@anthropic-ai/sdk/resources')"#));
        assert!(!re.is_match(r#"import x from "@anthropic-ai/sdk-extra""#));
        let h = regex::Regex::new(&host_regex("bedrock-runtime.*.amazonaws.com")).unwrap();
        assert!(h.is_match("https://bedrock-runtime.us-east-1.amazonaws.com/model"));
        let h = regex::Regex::new(&host_regex("*.openai.azure.com")).unwrap();
        assert!(h.is_match("https://acme-prod.openai.azure.com/"));
        assert!(!h.is_match("openai.azure.com"));
    }
}
