//! Catalogues: data about things redflag detects, e.g. `controls/catalog/ai-vendors.yaml`
//! (per vendor: package names per ecosystem, import names per language, API hosts,
//! environment variables, key formats). A catalogue is compiled once into content patterns
//! registered with the scan plan; the `inventory` and `register` checks read it. Adding a
//! vendor is a YAML edit.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::compile::Diag;
use crate::redact::KeyRule;
use crate::text::norm_key;
use crate::workspace::manifest::Ecosystem;

use crate::workspace::matcher::{glob_set, Globs, LazyRegex, MatcherBuilder, Owner};
use crate::workspace::nested_key::Rule as NestedRule;
use crate::workspace::query::{parse_path, Expect, Query};
use crate::workspace::PatternId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSpec {
    pub catalog: String,
    pub title: String,
    /// What counts as use of the items, and how integrations are told apart.
    #[serde(default)]
    pub usage: UsageSpec,
    /// Parent companies of items (`parent:` of an item names one): a register entry for the
    /// company is the item's when it names the item in a services or products column.
    #[serde(default)]
    pub companies: Vec<CompanySpec>,
    /// How register entries name items.
    #[serde(default)]
    pub registers: RegistersSpec,
    pub items: Vec<ItemSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistersSpec {
    /// Columns or keys of a register entry that list what a company provides ("Services",
    /// "Products"): where a parent company's entry names its product.
    #[serde(default)]
    pub product_columns: Vec<String>,
    /// Columns or keys that name the entry's vendor (`Vendor`, `vendor_name`,
    /// `providerName`), matched whole after normalising; the first one present wins over
    /// the title the document gave the entry.
    #[serde(default)]
    pub name_columns: Vec<String>,
}

/// `usage:` of a catalogue: the one generic mechanism deciding what is use of an item.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Paths and lines that never count as use (documentation, tests, fixtures, seeders, UI
    /// strings, CI agents). Keys found there still count as leaked keys.
    #[serde(default)]
    pub not_use: NotUseSpec,
    /// Markers of a bring-your-own-key adapter: the provider or its key comes from user,
    /// tenant or request data. They mark their file's directory.
    #[serde(default)]
    pub byok: MarkerSpec,
    /// Markers of a server offering an item's API (`{names}`: the item's name and aliases,
    /// `{paths}`: its `api_paths`). They mark their file.
    #[serde(default)]
    pub compatible_api: MarkerSpec,
    /// Markers of a line giving an SDK client its base URL (`base_url=`, `baseURL:`): an
    /// item's SDK import in a file whose every client is given another item's host on such
    /// a line is that item's use, not the SDK vendor's.
    #[serde(default)]
    pub base_url: MarkerSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotUseSpec {
    /// Globs of paths that are not use.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Globs of paths that stay use although `paths` matches them (`requirements*.txt`).
    #[serde(default)]
    pub keep: Vec<String>,
    /// Lines that are not use (a UI placeholder, help text).
    #[serde(default)]
    pub lines: Vec<LineRuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRuleSpec {
    /// What such a line is (for `explain` and the YAML reader).
    pub label: String,
    /// Files the rule applies to (all when empty).
    #[serde(default)]
    pub files: Vec<String>,
    /// Kinds of usage the rule applies to (all but keys when empty).
    #[serde(default)]
    pub kinds: Vec<SignalKind>,
    pub regex: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkerSpec {
    /// Files searched for the markers (source files when empty).
    #[serde(default)]
    pub files: Vec<String>,
    /// Regexes; one match marks the file.
    #[serde(default)]
    pub markers: Vec<String>,
    /// Globs of paths that are marked by their name alone (`{path}`: each `api_paths` entry).
    #[serde(default)]
    pub paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Product and model names that identify the item in a register (`Claude`, `Bedrock`):
    /// an entry titled with one is the item's unless it names another item outright.
    #[serde(default)]
    pub products: Vec<String>,
    /// The id of the item's parent company in `companies:`.
    pub parent: Option<String>,
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
    /// The item's unprefixed keys, recognised by the name or call they are given to.
    pub key_context: Option<crate::redact::KeyContext>,
    /// Regexes for SDK use that no import names (a generic SDK addressing this vendor, e.g.
    /// `boto3.client("bedrock-runtime")`), searched in source files; they count as imports.
    #[serde(default)]
    pub code_patterns: Vec<String>,
    /// Constructors of the item's SDK clients (`OpenAI`, `AsyncOpenAI`, `ChatOpenAI`):
    /// counted against the base-URL lines of a file (see [`UsageSpec::base_url`]).
    #[serde(default)]
    pub clients: Vec<String>,
    /// Structured queries over YAML files for use no line names (an MLflow model whose
    /// flavor wraps the vendor: `flavors.openai` in an `MLmodel` file); a match counts as
    /// an import, cited at the line of the `report` path (default: the first condition's).
    #[serde(default)]
    pub queries: Vec<ItemQuerySpec>,
    /// Paths of the item's HTTP API (`/v1/messages`): a server routing them offers a
    /// compatible API.
    #[serde(default)]
    pub api_paths: Vec<String>,
    /// False for services that run no model for the caller (vector stores, tracing):
    /// they are vendors, but not models or LLM features to monitor.
    #[serde(default = "yes")]
    pub runs_models: bool,
    pub docs: Option<String>,
}

/// One of an item's `queries`: the `query` check's `files`, `where` and `report`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuerySpec {
    pub files: Vec<String>,
    /// Path → expected value: exact text, `~regex`, or `*exists*`.
    #[serde(rename = "where")]
    pub conditions: BTreeMap<String, String>,
    pub report: Option<String>,
}

fn yes() -> bool {
    true
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
    pub const ALL: [SignalKind; 5] = [Self::Package, Self::Import, Self::Host, Self::Env, Self::Key];

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
    /// Lower-cased product names (see [`ItemSpec::products`]).
    pub products: Vec<String>,
    /// Aliases and products as written (for `explain`).
    pub aliases_shown: Vec<String>,
    pub products_shown: Vec<String>,
    /// The parent company's name and aliases as written, and lower-cased (empty when the
    /// item has no parent).
    pub parent: Vec<String>,
    pub parent_names: Vec<String>,
    pub packages: Vec<(Ecosystem, String)>,
    /// Content patterns of this item with what they detect.
    pub patterns: Vec<(PatternId, SignalKind)>,
    /// The item's structured queries (indexes into the scan plan's queries), each with
    /// what it detects.
    pub queries: Vec<(usize, SignalKind)>,
    /// The key rules among them (`SignalKind::Key`): what of a hit may be shown.
    pub keys: Vec<(PatternId, KeyRule)>,
    /// The item's rule for unprefixed keys nested in configuration (an index into the
    /// scan plan's [`crate::workspace::nested_key::NestedKeys`]), when it has a `key_context`.
    pub nested_key: Option<usize>,
    /// The constructions of the item's SDK clients (see [`ItemSpec::clients`]).
    pub clients: Option<PatternId>,
    /// Markers of a server offering this item's API, and paths that are such servers.
    pub offers: Vec<PatternId>,
    pub offer_paths: Option<Globs>,
    /// The item's key-holding environment names, lower-cased with only letters and digits
    /// kept (`AZURE_OPENAI_API_KEY` → `azureopenaiapikey`): a bring-your-own-key marker
    /// naming one (`profile.azure_openai_api_key`) is this item's, even where no call site
    /// names the vendor (a generic SDK pointed at a customer's endpoint).
    pub key_names: Vec<String>,
    /// See [`ItemSpec::runs_models`].
    pub runs_models: bool,
    pub docs: Option<String>,
}

/// A compiled `not_use.lines` rule.
#[derive(Debug)]
pub struct LineRule {
    pub files: Option<Globs>,
    pub kinds: Vec<SignalKind>,
    pub regex: LazyRegex,
}

/// What is not use, and the markers that tell integrations apart.
#[derive(Debug, Default)]
pub struct Usage {
    pub not_use: Option<Globs>,
    pub keep: Option<Globs>,
    pub lines: Vec<LineRule>,
    pub byok: Vec<PatternId>,
    /// Base-URL lines (see [`UsageSpec::base_url`]).
    pub base_url: Vec<PatternId>,
}

impl Usage {
    /// True when a match of `kind` at `path` on `line` is not use.
    pub fn excludes(&self, path: &str, kind: SignalKind, line: Option<&str>) -> bool {
        if kind == SignalKind::Key {
            return false;
        }
        if self.not_use.as_ref().is_some_and(|g| g.is_match(path))
            && !self.keep.as_ref().is_some_and(|g| g.is_match(path))
        {
            return true;
        }
        let Some(line) = line else { return false };
        self.lines.iter().any(|r| {
            (if r.kinds.is_empty() {
                true
            } else {
                r.kinds.contains(&kind)
            }) && r.files.as_ref().is_none_or(|g| g.is_match(path))
                && r.regex.is_match(line)
        })
    }
}

#[derive(Debug)]
pub struct Catalog {
    pub id: String,
    pub title: String,
    pub usage: Usage,
    pub items: Vec<CatalogItem>,
    /// `registers.product_columns` and `registers.name_columns`, normalised
    /// ([`crate::text::norm_key`]).
    pub product_columns: Vec<String>,
    pub name_columns: Vec<String>,
}

impl Catalog {
    /// The item whose id, name or one of whose aliases or products is `query` (any case).
    pub fn find(&self, query: &str) -> Option<&CatalogItem> {
        let q = query.trim().to_lowercase();
        self.items.iter().find(|i| i.id == q).or_else(|| {
            self.items
                .iter()
                .find(|i| i.names.contains(&q) || i.products.contains(&q))
        })
    }
}

impl CatalogItem {
    /// What the item is called, for `explain`: its name, aliases, products and parent
    /// company, and how a register entry is matched to it.
    pub fn describe_names(&self) -> String {
        let list = |l: &[String]| {
            if l.is_empty() {
                "none".to_string()
            } else {
                l.join(", ")
            }
        };
        let mut s = format!(
            "{} ({})
",
            self.name, self.id
        );
        s.push_str(&format!("  aliases:  {}\n", list(&self.aliases_shown)));
        s.push_str(&format!("  products: {}\n", list(&self.products_shown)));
        match self.parent.split_first() {
            Some((company, others)) => s.push_str(&format!(
                "  parent:   {company}{}\n",
                if others.is_empty() {
                    String::new()
                } else {
                    format!(" (also written {})", others.join(", "))
                }
            )),
            None => s.push_str("  parent:   none\n"),
        }
        s.push_str(
            "A register entry is this vendor's when its name names the vendor, an alias or a product (and no other vendor outright)",
        );
        if !self.parent.is_empty() {
            s.push_str(", or names the parent company and lists the vendor or a product in a services or products column");
        }
        s.push_str(".\n");
        s
    }
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
                r"(?-u:\b)from[ \t](?:{alt})(?:\.[A-Za-z0-9_.]+)?[ \t]+import|^[ \t]*import[ \t](?:{alt})(?:[ \t.,]|$)"
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

/// A placeholder standing for (part of) a host label in a URL template: `%s`,
/// `%(region)s`, `{region}`, `${region}`, `#{region}`, `{{region}}`, `{}`, `<region>`.
const PLACEHOLDER: &str =
    r"%s|%\([A-Za-z_][A-Za-z0-9_]*\)s|[$#]?\{\{?[ \t]*[A-Za-z_.][A-Za-z0-9_.]*[ \t]*\}\}?|\{\}|<[A-Za-z_]+>";

/// A host pattern: `*.` prefix = any subdomain, `*` elsewhere = one DNS label, written out
/// or templated (`bedrock-runtime.%s.amazonaws.com`, `${region}-aiplatform.googleapis.com`:
/// see [`PLACEHOLDER`]). A leading `*.` is matched from its dot (`.openai.azure.com`) so
/// the pattern starts with a literal, which keeps the one-pass search on its fast
/// prefilter.
fn host_regex(host: &str) -> String {
    // `*.x.com` is matched as `.x.com`: any subdomain, and a literal first byte.
    let (lead, rest) = match host.strip_prefix('*') {
        Some(rest) if rest.starts_with('.') => ("", rest),
        // `*-x.com`: the label may start with a placeholder, so no word boundary before it.
        Some(_) => ("", host),
        None => (r"(?-u:\b)", host),
    };
    let body = rest
        .split('*')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(&format!("(?:[A-Za-z0-9-]|{PLACEHOLDER})+"));
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
    KeyRule::for_vendor(&item.env, &item.key_patterns, item.key_context.as_ref())
}

/// Compiles catalogue files into catalogues whose patterns are registered in `matchers`.
/// `specs` are (file, catalogue, compile its regexes now: see [`LazyRegex`]).
pub fn compile(
    specs: Vec<(String, CatalogSpec, bool)>,
    matchers: &mut MatcherBuilder,
    queries: &mut Vec<Query>,
    nested: &mut Vec<NestedRule>,
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
    for (file, spec, eager) in specs {
        let mut problems: Vec<String> = Vec::new();
        if out.iter().any(|c| c.id == spec.catalog) {
            diags.push(Diag {
                file: file.clone(),
                line: None,
                column: None,
                message: format!("duplicate catalog `{}`", spec.catalog),
            });
            continue;
        }
        let index = u32::try_from(out.len()).unwrap_or(u32::MAX);
        matchers.owner = Owner::Catalog(index, None);
        let usage = compile_usage(&spec.usage, matchers, &mut problems, eager);
        let cx = ItemContext {
            companies: &spec.companies,
            compatible_api: &spec.usage.compatible_api,
            key_exclude: &key_exclude,
            exclude: &exclude,
        };
        let items: Vec<CatalogItem> = spec
            .items
            .into_iter()
            .map(|mut item| {
                let queries = std::mem::take(&mut item.queries);
                (item, queries)
            })
            .map(|item| {
                let nested_rule = nested_rule(&item.0, &spec.companies, index, eager);
                let mut compiled = compile_item(item.0, &cx, index, matchers, &mut problems, eager);
                if let Some(rule) = nested_rule {
                    nested.push(rule);
                    compiled.nested_key = Some(nested.len() - 1);
                }
                for q in &item.1 {
                    let owner = Owner::Catalog(index, Some(SignalKind::Import as u8));
                    match compile_query(q, owner, eager) {
                        Ok(query) => {
                            queries.push(query);
                            compiled.queries.push((queries.len() - 1, SignalKind::Import));
                        }
                        Err(e) => problems.push(format!("{}: queries: {e}", compiled.id)),
                    }
                }
                compiled
            })
            .collect();
        diags.extend(problems.into_iter().map(|message| Diag {
            file: file.clone(),
            line: None,
            column: None,
            message,
        }));
        out.push(Catalog {
            id: spec.catalog,
            title: spec.title,
            usage,
            items,
            product_columns: spec
                .registers
                .product_columns
                .iter()
                .map(|k| norm_key(k))
                .collect(),
            name_columns: spec.registers.name_columns.iter().map(|k| norm_key(k)).collect(),
        });
    }
    out
}

/// What one catalogue item's patterns and names compile to, for the catalogue numbered
/// `index` (its patterns' owner).
fn compile_item(
    item: ItemSpec,
    spec: &ItemContext<'_>,
    index: u32,
    matchers: &mut MatcherBuilder,
    problems: &mut Vec<String>,
    eager: bool,
) -> CatalogItem {
    let owner = |kind: Option<SignalKind>| Owner::Catalog(index, kind.map(|k| k as u8));
    let (key_exclude, exclude) = (spec.key_exclude, spec.exclude);
    let parent = parent_names(spec.companies, &item, problems);
    let mut patterns = Vec::new();
    let mut packages = Vec::new();
    for (eco, names) in &item.packages {
        match Ecosystem::parse(eco) {
            Some(e) => packages.extend(names.iter().map(|n| (e, e.normalize(n)))),
            None => problems.push(format!("{}: unknown ecosystem `{eco}`", item.id)),
        }
    }
    matchers.owner = owner(Some(SignalKind::Import));
    import_patterns(&item, matchers, &mut patterns, problems, eager);
    if !item.code_patterns.is_empty() {
        let files: Vec<String> = CODE_FILES.iter().map(ToString::to_string).collect();
        for re in &item.code_patterns {
            match LazyRegex::new(re, eager) {
                Ok(_) => {
                    matchers.owner = owner(Some(SignalKind::Import));
                    patterns.push((matchers.add(re, &files, &[]), SignalKind::Import));
                }
                Err(e) => problems.push(format!("{}: {e}", item.id)),
            }
        }
    }
    let clients = clients_pattern(&item, matchers, owner(Some(SignalKind::Import)));
    let mut add = |re: String,
                   kind: SignalKind,
                   patterns: &mut Vec<(PatternId, SignalKind)>,
                   problems: &mut Vec<String>| match LazyRegex::new(&re, eager) {
        Ok(_) => {
            let exclude = if kind == SignalKind::Key {
                &key_exclude
            } else {
                &exclude
            };
            matchers.owner = owner(Some(kind));
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
        add(re, SignalKind::Host, &mut patterns, problems);
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
            problems,
        );
    }
    let mut keys = Vec::new();
    for rule in key_rules(&item) {
        if let Some(id) = add(rule.regex.clone(), SignalKind::Key, &mut patterns, problems) {
            keys.push((id, rule));
        }
    }
    let mut names: Vec<String> = std::iter::once(&item.name)
        .chain(item.aliases.iter())
        .map(|n| n.to_lowercase())
        .collect();
    names.dedup();
    let (offers, offer_paths) = {
        matchers.owner = owner(None);
        compile_offers(spec.compatible_api, &item, matchers, problems, eager)
    };
    let key_names = item
        .env
        .iter()
        .filter(|e| e.ends_with("KEY") || e.ends_with("TOKEN"))
        .map(|e| crate::text::alnum_lower(e))
        .collect();
    CatalogItem {
        products: item.products.iter().map(|n| n.to_lowercase()).collect(),
        parent_names: parent.iter().map(|n| n.to_lowercase()).collect(),
        parent,
        aliases_shown: item.aliases,
        products_shown: item.products,
        key_names,
        runs_models: item.runs_models,
        id: item.id,
        name: item.name,
        names,
        packages,
        patterns,
        queries: Vec::new(),
        keys,
        nested_key: None,
        clients,
        offers,
        offer_paths,
        docs: item.docs,
    }
}

/// An item's rule for keys nested in configuration, from its `key_context`: the names
/// that say the vendor are its id, name and aliases and the names of its key variables
/// less their `API`/`KEY`/`TOKEN` words (`AZURE_OPENAI_API_KEY` → azure openai), never its
/// parent company's name alone (an `azure:` map holds the keys of many Azure services) nor
/// a name of fewer than four letters (`CO_API_KEY`).
fn nested_rule(item: &ItemSpec, companies: &[CompanySpec], index: u32, eager: bool) -> Option<NestedRule> {
    let context = item.key_context.as_ref()?;
    let split = |n: &str| -> Vec<String> {
        n.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let parent: Vec<String> = companies
        .iter()
        .filter(|c| item.parent.as_deref() == Some(c.id.as_str()))
        .flat_map(|c| std::iter::once(&c.name).chain(&c.aliases))
        .map(|n| split(n).concat())
        .collect();
    let mut names: Vec<Vec<String>> = std::iter::once(&item.id)
        .chain(std::iter::once(&item.name))
        .chain(&item.aliases)
        .map(|n| split(n))
        .chain(context.names.iter().map(|n| {
            let mut w = split(n);
            while w
                .last()
                .is_some_and(|l| matches!(l.as_str(), "api" | "key" | "token" | "subscription"))
            {
                w.pop();
            }
            w
        }))
        .filter(|w| {
            let joined = w.concat();
            joined.len() >= 4 && !parent.contains(&joined)
        })
        .collect();
    names.sort();
    names.dedup();
    let shape = LazyRegex::new(&format!("(?:{})", context.value), eager).ok()?;
    let value = LazyRegex::new(&format!("^(?:{})$", context.value), eager).ok()?;
    Some(NestedRule {
        names,
        shape,
        value,
        owner: Owner::Catalog(index, Some(SignalKind::Key as u8)),
        enabled: true,
    })
}

/// The pattern finding constructions of an item's SDK clients (`OpenAI(`), if it names any.
fn clients_pattern(item: &ItemSpec, matchers: &mut MatcherBuilder, owner: Owner) -> Option<PatternId> {
    if item.clients.is_empty() {
        return None;
    }
    let alt = item
        .clients
        .iter()
        .map(|c| regex::escape(c))
        .collect::<Vec<_>>()
        .join("|");
    let files: Vec<String> = CODE_FILES.iter().map(ToString::to_string).collect();
    matchers.owner = owner;
    Some(matchers.add(&format!(r"(?-u:\b)(?:{alt})\("), &files, &[]))
}

/// Why an item's query does not compile.
#[derive(Debug, thiserror::Error)]
enum QueryError {
    #[error(transparent)]
    Pattern(#[from] crate::workspace::matcher::PatternError),
    #[error(transparent)]
    Path(#[from] crate::workspace::query::PathError),
    #[error("a query needs at least one `where` condition")]
    NoCondition,
}

/// One of an item's `queries`, compiled for the walk (see [`ItemQuerySpec`]).
fn compile_query(spec: &ItemQuerySpec, owner: Owner, eager: bool) -> Result<Query, QueryError> {
    let files = glob_set(&spec.files)?;
    let mut conditions = Vec::new();
    for (path, want) in &spec.conditions {
        let expect = if want == "*exists*" {
            Expect::Exists
        } else if let Some(re) = want.strip_prefix('~') {
            Expect::Regex(LazyRegex::new(re, eager)?)
        } else {
            Expect::Exact(want.clone())
        };
        conditions.push((parse_path(path)?, expect));
    }
    let report = match &spec.report {
        Some(p) => parse_path(p)?,
        None => conditions
            .first()
            .map(|(p, _)| p.clone())
            .ok_or(QueryError::NoCondition)?,
    };
    Ok(Query {
        files,
        conditions,
        report,
        name: None,
        scope: None,
        group: Vec::new(),
        owner,
        enabled: true,
    })
}

/// What every item of one catalogue is compiled with.
struct ItemContext<'a> {
    companies: &'a [CompanySpec],
    compatible_api: &'a MarkerSpec,
    key_exclude: &'a [String],
    exclude: &'a [String],
}

/// The import patterns of an item, one per language, registered in `matchers` under its
/// current owner.
fn import_patterns(
    item: &ItemSpec,
    matchers: &mut MatcherBuilder,
    patterns: &mut Vec<(PatternId, SignalKind)>,
    problems: &mut Vec<String>,
    eager: bool,
) {
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
        match LazyRegex::new(&re, eager) {
            Ok(_) => {
                let files: Vec<String> = files.iter().map(ToString::to_string).collect();
                patterns.push((matchers.add(&re, &files, &[]), SignalKind::Import));
            }
            Err(e) => problems.push(format!("{}: {e}", item.id)),
        }
    }
}

/// The names of an item's parent company (its name first), or a problem when `parent:`
/// names no company of the catalogue.
fn parent_names(companies: &[CompanySpec], item: &ItemSpec, problems: &mut Vec<String>) -> Vec<String> {
    let Some(p) = &item.parent else {
        return Vec::new();
    };
    match companies.iter().find(|c| &c.id == p) {
        Some(c) => std::iter::once(&c.name).chain(&c.aliases).cloned().collect(),
        None => {
            problems.push(format!("{}: parent `{p}` is not in `companies:`", item.id));
            Vec::new()
        }
    }
}

/// Globs compiled for `usage`, or a problem.
fn globs(list: &[String], problems: &mut Vec<String>) -> Option<Globs> {
    if list.is_empty() {
        return None;
    }
    glob_set(list)
        .map_err(|e| problems.push(format!("usage: {e}")))
        .ok()
}

/// Compiles `usage:` (what is not use; bring-your-own-key markers, registered as patterns).
fn compile_usage(
    spec: &UsageSpec,
    matchers: &mut MatcherBuilder,
    problems: &mut Vec<String>,
    eager: bool,
) -> Usage {
    let mut usage = Usage {
        not_use: globs(&spec.not_use.paths, problems),
        keep: globs(&spec.not_use.keep, problems),
        ..Usage::default()
    };
    for rule in &spec.not_use.lines {
        match LazyRegex::new(&rule.regex, eager) {
            Ok(regex) => usage.lines.push(LineRule {
                files: globs(&rule.files, problems),
                kinds: rule.kinds.clone(),
                regex,
            }),
            Err(e) => problems.push(format!("usage.not_use.lines `{}`: {e}", rule.label)),
        }
    }
    let files = marker_files(&spec.byok);
    for re in &spec.byok.markers {
        match LazyRegex::new(re, eager) {
            Ok(_) => usage.byok.push(matchers.add(re, &files, &[])),
            Err(e) => problems.push(format!("usage.byok: {e}")),
        }
    }
    if !spec.byok.paths.is_empty() {
        problems.push("usage.byok: `paths` is not supported (markers only)".to_string());
    }
    let files = marker_files(&spec.base_url);
    for re in &spec.base_url.markers {
        match LazyRegex::new(re, eager) {
            Ok(_) => usage.base_url.push(matchers.add(re, &files, &[])),
            Err(e) => problems.push(format!("usage.base_url: {e}")),
        }
    }
    if !spec.base_url.paths.is_empty() {
        problems.push("usage.base_url: `paths` is not supported (markers only)".to_string());
    }
    usage
}

fn marker_files(spec: &MarkerSpec) -> Vec<String> {
    if spec.files.is_empty() {
        CODE_FILES.iter().map(ToString::to_string).collect()
    } else {
        spec.files.clone()
    }
}

/// The `compatible_api` markers of one item: `{names}` and `{paths}` filled in with its
/// names and API paths; a marker naming what the item does not have is skipped.
fn compile_offers(
    spec: &MarkerSpec,
    item: &ItemSpec,
    matchers: &mut MatcherBuilder,
    problems: &mut Vec<String>,
    eager: bool,
) -> (Vec<PatternId>, Option<Globs>) {
    let alt = |list: &mut dyn Iterator<Item = &String>| {
        list.map(|n| regex::escape(n)).collect::<Vec<_>>().join("|")
    };
    let names = alt(&mut std::iter::once(&item.name).chain(item.aliases.iter()));
    let paths = alt(&mut item.api_paths.iter());
    let files = marker_files(spec);
    let mut out = Vec::new();
    for m in &spec.markers {
        if !(m.contains("{names}") || m.contains("{paths}")) {
            problems.push(format!(
                "usage.compatible_api: marker `{m}` names neither {{names}} nor {{paths}}"
            ));
            continue;
        }
        if m.contains("{paths}") && item.api_paths.is_empty() {
            continue;
        }
        let re = m
            .replace("{names}", &format!("(?:{names})"))
            .replace("{paths}", &format!("(?:{paths})"));
        match LazyRegex::new(&re, eager) {
            Ok(_) => out.push(matchers.add(&re, &files, &[])),
            Err(e) => problems.push(format!("{}: usage.compatible_api: {e}", item.id)),
        }
    }
    let globs_list: Vec<String> = spec
        .paths
        .iter()
        .flat_map(|g| {
            if g.contains("{path}") {
                item.api_paths
                    .iter()
                    .map(|p| g.replace("{path}", p.trim_matches('/')))
                    .collect::<Vec<_>>()
            } else {
                vec![g.clone()]
            }
        })
        .collect();
    (out, globs(&globs_list, problems))
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
            // A local module of the same name.
            "from managed_deepagents.connectors import openai",
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

    /// URL templates with a placeholder in a host label, in each language's style.
    #[test]
    fn templated_hosts() {
        let bedrock = regex::Regex::new(&host_regex("bedrock-runtime.*.amazonaws.com")).unwrap();
        for ok in [
            r#"fmt.Sprintf("https://bedrock-runtime.%s.amazonaws.com/model/%s/invoke", region, id)"#,
            r#"url = f"https://bedrock-runtime.{region}.amazonaws.com/model/{model_id}/converse""#,
            r#"url = "https://bedrock-runtime.%(region)s.amazonaws.com" % cfg"#,
            "const url = `https://bedrock-runtime.${region}.amazonaws.com/model/${id}/invoke`;",
            r#"url = "https://bedrock-runtime.#{region}.amazonaws.com""#,
            r#"endpoint: "https://bedrock-runtime.{{ .Values.region }}.amazonaws.com""#,
            r#"String.format("https://bedrock-runtime.%s.amazonaws.com", region)"#,
        ] {
            assert!(bedrock.is_match(ok), "{ok}");
        }
        assert!(!bedrock.is_match("https://bedrock-runtime.amazonaws.com.example.org"));
        let vertex = regex::Regex::new(&host_regex("*-aiplatform.googleapis.com")).unwrap();
        for ok in [
            "const url = `https://${region}-aiplatform.googleapis.com/v1/projects/${p}`;",
            r#"f"https://{location}-aiplatform.googleapis.com/v1""#,
            "https://us-central1-aiplatform.googleapis.com/v1/projects",
        ] {
            assert!(vertex.is_match(ok), "{ok}");
        }
        assert!(!vertex.is_match("https://aiplatform.googleapis.com/v1"));
    }
}
