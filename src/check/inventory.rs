//! `inventory`: which catalogue items (AI vendors) the code uses, and where — an AI bill of
//! materials. Usage is a declared package, an import, an API host, an environment variable
//! or an API key. Tests, examples, documentation and comment lines do not count as use,
//! nor does anything the catalogue's `usage.not_use` names (docs trees, seeders, UI
//! strings, CI agents); neither do keys on lines marked as fake or example, nor keys whose
//! random part is not random (`sk-ant-api03-xxxxxxxx…`).
//!
//! Each item in use has a [`Role`]: the company's own subprocessor, a bring-your-own-key
//! integration (every call site sits in a directory with a `usage.byok` marker: the key
//! or provider comes from user, tenant or request data), or a compatible API the code
//! offers (every call site sits in a file with a `usage.compatible_api` marker, or there is
//! no call site and the code serves the item's API). Packages and environment variables
//! follow the call sites; `vendors:` in the config overrides the inference.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::dependency::name_matches;
use super::{CompileCx, Context, Outcome};
use crate::check::catalog::{Catalog, CatalogItem, SignalKind};
use crate::evidence::{Item, Pointer, Subject, TargetId};
use crate::workspace::FileId;

/// A usage site, labelled (`OpenAI · import`) and marked as a use of `item`.
fn usage_pointer(p: Pointer, item: &CatalogItem, kind: SignalKind) -> Pointer {
    p.labelled(format!("{} · {}", item.name, kind.as_str()))
        .about(Subject::Usage {
            item: item.name.clone(),
            how: kind.as_str(),
            docs: item.docs.clone(),
        })
}

/// What an AI provider integration is to the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The company sends data to the provider on its own account: a subprocessor.
    Own,
    /// Customers configure the provider with their own keys (bring your own key).
    Byok,
    /// The code offers the provider's API (a compatible server); it is not a customer.
    CompatibleApi,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "subprocessor",
            Self::Byok => "bring-your-own-key integration",
            Self::CompatibleApi => "compatible API offered",
        }
    }
}

/// One item in use: its role, whether the config declared it, its sites and what the role
/// was inferred from.
#[derive(Debug)]
pub struct Usage {
    pub role: Role,
    pub declared: bool,
    pub sites: Vec<(SignalKind, Pointer)>,
    pub why: Option<Pointer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub catalog: Spanned<String>,
    /// Which kinds of usage count (default: package, import, host, env).
    #[serde(default)]
    pub signals: Vec<SignalKind>,
    /// `item`: one evidence item per vendor with all its sites (default);
    /// `site`: one item per usage site (e.g. one finding per hard-coded key).
    #[serde(default)]
    pub group: Group,
    /// Message per item; `{name}` is the vendor, `{kinds}` how it was seen.
    pub message: Option<String>,
    /// Fail for items used without a declared package or import (raw HTTPS calls or only
    /// environment variables): integrations invisible to dependency review.
    #[serde(default)]
    pub require_declared: bool,
    /// Which roles of items count (default: all).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Only items that run models for the caller (`runs_models` in the catalogue): not
    /// vector stores or tracing services.
    #[serde(default)]
    pub models_only: bool,
    /// Fail for each item whose role (bring-your-own-key, compatible API) was inferred from
    /// the code but is not declared in the config's `vendors:`.
    #[serde(default)]
    pub require_role_declared: bool,
    /// With `require_declared`: leave out items with no entry in documents of this kind
    /// (the register check reports them; one root cause, one finding).
    pub defer_to_register: Option<Spanned<String>>,
    /// With `require_declared` and `defer_to_register`: keys of a register entry that
    /// record a raw integration (`integration`, `endpoint`); an item whose entry fills one
    /// in is declared there, not invisible.
    #[serde(default)]
    pub integration_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    #[default]
    Item,
    Site,
}

#[derive(Debug)]
pub struct Inventory {
    catalog: usize,
    signals: BTreeSet<SignalKind>,
    group: Group,
    message: String,
    require_declared: bool,
    roles: BTreeSet<Role>,
    models_only: bool,
    require_role_declared: bool,
    defer_to: Option<String>,
    integration_keys: Vec<String>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Inventory> {
        let signals: BTreeSet<SignalKind> = if self.signals.is_empty() {
            [
                SignalKind::Package,
                SignalKind::Import,
                SignalKind::Host,
                SignalKind::Env,
            ]
            .into_iter()
            .collect()
        } else {
            self.signals.iter().copied().collect()
        };
        let kinds: Vec<SignalKind> = signals.iter().copied().collect();
        let catalog = cx.catalog_kinds(&self.catalog, Some(&kinds))?;
        let message = self.message.clone().unwrap_or_else(|| match self.group {
            Group::Item => "{name} is used ({kinds})".to_string(),
            Group::Site => "{name} {kinds}".to_string(),
        });
        let roles = if self.roles.is_empty() {
            [Role::Own, Role::Byok, Role::CompatibleApi].into_iter().collect()
        } else {
            self.roles.iter().copied().collect()
        };
        let defer_to = self.defer_to_register.as_ref().map(|k| cx.doc_kind(k));
        Some(Inventory {
            catalog,
            signals,
            group: self.group,
            message,
            require_declared: self.require_declared,
            models_only: self.models_only,
            roles,
            require_role_declared: self.require_role_declared,
            defer_to,
            integration_keys: self
                .integration_keys
                .iter()
                .map(|k| crate::text::norm_key(k))
                .collect(),
        })
    }
}

/// The keys a nested-key rule found in configuration (`azureOpenAI:` → `apiKey: …`), each
/// cited at its line with the value masked. Unlike a key a line shows whole, a key known by
/// the keys above it is not reported from tests or examples (sample configurations), nor
/// when it is a placeholder or not random.
fn nested_keys(cx: &Context<'_>, rule: usize) -> Vec<(SignalKind, FileId, Pointer)> {
    let ws = cx.ws;
    let mut out = Vec::new();
    for h in ws.nested_keys(rule) {
        let f = ws.file(h.file);
        if f.flags.test
            || f.flags.example
            || ws.targets[f.target as usize].evidence_only
            || looks_fake(&h.text)
            || !looks_random(h.matched())
        {
            continue;
        }
        let value = h.matched();
        let masked = if value.is_empty() {
            h.text.to_string()
        } else {
            h.text.replace(value, "…[redacted]")
        };
        out.push((SignalKind::Key, h.file, ws.pointer(h.file, h.line, &masked)));
    }
    out
}

/// Words that mark a line as a placeholder or test value.
fn looks_fake(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "example",
        "fake",
        "dummy",
        "placeholder",
        "your-",
        "your_",
        "<your",
        "xxxx",
        "redacted",
        "sample",
        "mock",
        "changeme",
        "test-key",
        "testkey",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// A real key's random part uses many distinct characters; `sk-ant-api03-aaaa…` does not,
/// nor does a repeated pattern (`abcd1234abcd1234…`) or a count (`0123456789abcdef…`). A hexadecimal key (Azure OpenAI) has
/// only 16 symbols to draw from, so fewer distinct ones are expected of it.
fn looks_random(matched: &str) -> bool {
    let tail: Vec<char> = matched
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(24)
        .collect();
    let distinct: BTreeSet<char> = tail.iter().copied().collect();
    let hex = tail.iter().all(char::is_ascii_hexdigit);
    let periodic = (1..=11).any(|p| tail.len() > 2 * p && (p..tail.len()).all(|i| tail[i] == tail[i - p]));
    // `0123456789abcdef…` (the tail is reversed: each character follows the next).
    let counting = tail.windows(2).filter(|w| w[0] as u32 == w[1] as u32 + 1).count() >= 12;
    distinct.len() >= if hex { 8 } else { 10 } && !periodic && !counting
}

impl Inventory {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        if self.require_declared {
            "every AI provider used is reached through a declared SDK".to_string()
        } else {
            format!(
                "usage of catalogue items ({})",
                self.signals
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// Usage sites of one catalogue item whose role this check counts, sorted by target,
    /// path and line.
    pub fn sites(&self, cx: &Context<'_>, item: &CatalogItem) -> Vec<(SignalKind, Pointer)> {
        self.usage(cx, item).map(|u| u.sites).unwrap_or_default()
    }

    /// One catalogue item's use, when it is used in a role this check counts.
    pub fn usage(&self, cx: &Context<'_>, item: &CatalogItem) -> Option<Usage> {
        if self.models_only && !item.runs_models {
            return None;
        }
        let catalog = &cx.catalogs[self.catalog];
        let mut sites = self.raw_sites(cx, catalog, item);
        let base_urls = cx.base_url_cache[self.catalog].get_or_init(|| BaseUrls::find(cx, catalog));
        base_urls.drop_redirected(cx, catalog, item, &mut sites);
        if sites.is_empty() {
            return None;
        }
        let (role, declared, why) = classify(cx, self.catalog, item, &sites);
        if !self.roles.contains(&role) {
            return None;
        }
        let mut sites: Vec<(SignalKind, Pointer)> = sites.into_iter().map(|(k, _, p)| (k, p)).collect();
        // The strongest site leads (a call, else a declared package: an environment
        // variable may sit in prose), then the rest in path order.
        let lead = sites
            .iter()
            .position(|(k, _)| matches!(k, SignalKind::Import | SignalKind::Host))
            .or_else(|| sites.iter().position(|(k, _)| *k == SignalKind::Package));
        if let Some(i) = lead {
            let first = sites.remove(i);
            sites.insert(0, first);
        }
        Some(Usage {
            role,
            declared,
            sites,
            why,
        })
    }

    fn raw_sites(
        &self,
        cx: &Context<'_>,
        catalog: &Catalog,
        item: &CatalogItem,
    ) -> Vec<(SignalKind, FileId, Pointer)> {
        let ws = cx.ws;
        let usage = &catalog.usage;
        let mut sites: Vec<(SignalKind, FileId, Pointer)> = Vec::new();
        if self.signals.contains(&SignalKind::Package) {
            for (file, d) in &ws.deps {
                let f = ws.file(*file);
                if d.dev
                    || f.flags.test
                    || f.flags.example
                    || ws.targets[f.target as usize].evidence_only
                    || usage.excludes(&f.path, SignalKind::Package, None)
                {
                    continue;
                }
                if item
                    .packages
                    .iter()
                    .any(|(e, n)| *e == d.ecosystem && name_matches(*e, &d.name, n))
                {
                    let text = format!("{} ({} package)", d.name, d.ecosystem.as_str());
                    sites.push((SignalKind::Package, *file, ws.pointer(*file, d.line, &text)));
                }
            }
        }
        // One site per file and kind (its first line): a file importing a vendor a hundred
        // times is one place that uses it, and a pointer (a redacted snippet) per hit would
        // cost memory and time with the size of the tree. Keys are each their own finding.
        let mut seen: HashSet<(FileId, SignalKind)> = HashSet::new();
        for (pattern, kind) in &item.patterns {
            if !self.signals.contains(kind) {
                continue;
            }
            for h in ws.hits(*pattern) {
                if *kind != SignalKind::Key && seen.contains(&(h.file, *kind)) {
                    continue;
                }
                let f = ws.file(h.file);
                if f.flags.test || ws.targets[f.target as usize].evidence_only {
                    continue;
                }
                if *kind == SignalKind::Key {
                    // A committed key leaks wherever it sits (an example, a notebook, a
                    // comment); only placeholders and tests' fixtures are exempt.
                    if looks_fake(&h.text) || !looks_random(h.matched()) {
                        continue;
                    }
                    // The evidence masks exactly what the key rule matched, whatever the
                    // other redaction rules make of the line.
                    let masked = item.keys.iter().find(|(id, _)| id == pattern).map_or_else(
                        || crate::redact::redact(&h.text).into_owned(),
                        |(_, rule)| crate::redact::mask_span(&h.text, h.span, rule),
                    );
                    sites.push((*kind, h.file, ws.pointer(h.file, h.line, &masked)));
                    continue;
                } else if f.flags.prose
                    || f.flags.example
                    || f.evidence_doc
                    || h.comment
                    || usage.excludes(&f.path, *kind, Some(&h.text))
                {
                    continue;
                }
                seen.insert((h.file, *kind));
                sites.push((*kind, h.file, ws.pointer(h.file, h.line, &h.text)));
            }
        }
        if let Some(rule) = item
            .nested_key
            .filter(|_| self.signals.contains(&SignalKind::Key))
        {
            sites.extend(nested_keys(cx, rule));
        }
        for (query, kind) in &item.queries {
            if !self.signals.contains(kind) {
                continue;
            }
            for (file, m) in &ws.query_matches[*query] {
                let f = ws.file(*file);
                // A query names its files (an `MLmodel` is also lineage evidence): only
                // tests, examples and what is not use are left out.
                if seen.contains(&(*file, *kind))
                    || f.flags.test
                    || f.flags.example
                    || ws.targets[f.target as usize].evidence_only
                    || usage.excludes(&f.path, *kind, Some(&m.text))
                {
                    continue;
                }
                seen.insert((*file, *kind));
                sites.push((*kind, *file, ws.pointer(*file, m.line, &m.text)));
            }
        }
        sites.sort_by(|a, b| {
            (&a.2.target, &a.2.path, a.2.line, a.0).cmp(&(&b.2.target, &b.2.path, b.2.line, b.0))
        });
        sites.dedup_by(|a, b| a.2.target == b.2.target && a.2.path == b.2.path && a.2.line == b.2.line);
        sites
    }

    /// Whether the deferred-to register has an entry naming item `i` of the catalogue
    /// (`None`: no entry), and if so the pointer to its recorded integration, if any.
    fn registration(&self, cx: &Context<'_>, i: usize) -> Option<Option<Pointer>> {
        let Some(kind) = &self.defer_to else {
            return Some(None);
        };
        let docs: Vec<_> = cx.ws.docs_of(kind).collect();
        let index = super::register::RegisterIndex::new(&docs, &cx.catalogs[self.catalog]);
        let (doc, record, _) = &index.entries[index.entry_of(i)?];
        let recorded = record.fields.iter().find(|f| {
            self.integration_keys
                .iter()
                .any(|k| crate::text::key_matches(&f.norm, k))
                && crate::text::value_state(&f.value) == crate::text::ValueState::Present
        });
        Some(recorded.map(|f| cx.ws.doc_pointer(doc, f.line)))
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let catalog = &cx.catalogs[self.catalog];
        let mut items = Vec::new();
        let mut undeclared = Vec::new();
        // Items whose inferred role is not declared, by role: one finding per role (one
        // `vendors:` entry in the config fixes all of them).
        let mut undeclared_roles: BTreeMap<Role, Vec<(&CatalogItem, Vec<Pointer>)>> = BTreeMap::new();
        // Each item's use is independent of the others' and the largest cost of evaluation
        // (every hit of every pattern): computed on all cores, read in catalogue order.
        let usages: Vec<Option<Usage>> = catalog
            .items
            .par_iter()
            .map(|item| self.usage(cx, item))
            .collect();
        for ((i, item), usage) in catalog.items.iter().enumerate().zip(usages) {
            let Some(usage) = usage else {
                continue;
            };
            let (role, declared_role, why, sites) = (usage.role, usage.declared, usage.why, usage.sites);
            match self.group {
                Group::Item => {
                    let kinds: BTreeSet<SignalKind> = sites.iter().map(|(k, _)| *k).collect();
                    let kinds = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
                    let message = self
                        .message
                        .replace("{name}", &item.name)
                        .replace("{kinds}", &kinds);
                    let declared = sites
                        .iter()
                        .any(|(k, _)| matches!(k, SignalKind::Package | SignalKind::Import));
                    let why_label = format!("{} · {}", item.name, role.as_str());
                    // `usage` put the first call site first, if there is one.
                    let call_first = sites
                        .first()
                        .is_some_and(|(k, _)| matches!(k, SignalKind::Import | SignalKind::Host));
                    // Every site: renderers cap what they show, the JSON lists all.
                    let mut pointers: Vec<Pointer> = sites
                        .into_iter()
                        .map(|(k, p)| usage_pointer(p, item, k))
                        .collect();
                    // A role's reason goes right after the first call site it explains (first
                    // when there is none).
                    if let Some(p) = why {
                        pointers.insert(usize::from(call_first), p.labelled(why_label));
                    }
                    if self.require_role_declared && role != Role::Own {
                        if declared_role {
                            items.push(Item::new(
                                format!("{}: {} (declared in the config)", item.name, role.as_str()),
                                format!("role:{}", item.id),
                                pointers,
                            ));
                        } else {
                            undeclared_roles.entry(role).or_default().push((item, pointers));
                        }
                    } else if let Some(registration) = (self.require_declared && !declared)
                        .then(|| self.registration(cx, i))
                        .flatten()
                    {
                        match registration {
                            None => {
                                let message = format!("{} is called without a declared SDK (only {kinds}): dependency review and SBOMs will not show it", item.name);
                                undeclared.push(Item::new(
                                    message,
                                    format!("undeclared:{}", item.id),
                                    pointers,
                                ));
                            }
                            Some(p) => {
                                let message = format!("{} is called without an SDK (only {kinds}); the integration is recorded in the vendor register", item.name);
                                let label = format!("{} · integration recorded", item.name);
                                pointers.insert(0, p.labelled(label));
                                items.push(Item::new(message, format!("item:{}", item.id), pointers));
                            }
                        }
                    } else {
                        items.push(Item::new(message, format!("item:{}", item.id), pointers));
                    }
                }
                Group::Site => {
                    for (k, p) in sites {
                        let message = self
                            .message
                            .replace("{name}", &item.name)
                            .replace("{kinds}", k.as_str());
                        let key = format!("{}|{}|{}", item.id, p.path, p.snippet.as_deref().unwrap_or(""));
                        items.push(Item::new(message, key, vec![usage_pointer(p, item, k)]));
                    }
                }
            }
        }
        for (role, of_role) in undeclared_roles {
            undeclared.push(role_item(role, of_role));
        }
        if (self.require_declared || self.require_role_declared)
            && !(items.is_empty() && undeclared.is_empty())
        {
            return Outcome::complete(items, undeclared);
        }
        Outcome::found(items, || {
            Item::absent(
                format!("No use of any of the {} found", catalog.title.to_lowercase()),
                &catalog.id,
                Vec::new(),
            )
        })
    }
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Own => "own",
        Role::Byok => "byok",
        Role::CompatibleApi => "compatible-api",
    }
}

/// The finding for the items whose inferred role is `role` and not declared: what they
/// are and why they are not subprocessor gaps. Each item's evidence is its first call site
/// and the reason for the role (its other sites are the inventory's). The fingerprint is the
/// role and the items' ids, so a newly inferred item is a new finding.
fn role_item(role: Role, of_role: Vec<(&CatalogItem, Vec<Pointer>)>) -> Item {
    let names: Vec<&str> = of_role.iter().map(|(i, _)| i.name.as_str()).collect();
    let ids: Vec<&str> = of_role.iter().map(|(i, _)| i.id.as_str()).collect();
    let list = crate::text::join_and(&names);
    let (are, it) = if names.len() == 1 {
        ("is", "it")
    } else {
        ("are", "them")
    };
    let message = match role {
        Role::Byok => format!(
            "{list} {are} bring-your-own-key {} (customers' own keys, from user, tenant or request data), not your subprocessors: declare {it} (`vendors: {{ byok: [{}] }}` in redflag.yaml) and describe {it} as customer-configured",
            if names.len() == 1 { "integration" } else { "integrations" },
            ids.join(", ")
        ),
        Role::CompatibleApi => format!(
            "This code offers {}{list}-compatible {} (it serves {}, it is not a customer of {}): declare {it} (`vendors: {{ offers_compatible_api: [{}] }}` in redflag.yaml)",
            match names.as_slice() {
                [one] if one.starts_with(['A', 'E', 'I', 'O', 'U']) => "an ",
                [_] => "a ",
                _ => "",
            },
            if names.len() == 1 { "API" } else { "APIs" },
            if names.len() == 1 { "that API" } else { "those APIs" },
            if names.len() == 1 { "that vendor" } else { "those vendors" },
            ids.join(", ")
        ),
        Role::Own => format!("{list} {are} used"),
    };
    let pointers = of_role
        .into_iter()
        .flat_map(|(_, p)| p.into_iter().take(2))
        .collect();
    Item::new(message, format!("{}:{}", role_key(role), ids.join(",")), pointers)
}

/// The directory of a path (`""` at the root).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The role of an item from its sites: declared in the config, or inferred from the
/// bring-your-own-key and compatible-API markers around its call sites (imports, hosts).
fn classify(
    cx: &Context<'_>,
    catalog_index: usize,
    item: &CatalogItem,
    sites: &[(SignalKind, FileId, Pointer)],
) -> (Role, bool, Option<Pointer>) {
    if let Some(role) = cx.vendor_roles.declared(&item.id, &item.name) {
        return (role, true, None);
    }
    let ws = cx.ws;
    let catalog = &cx.catalogs[catalog_index];
    let production = |file: FileId| production(cx, catalog, file);
    let markers = cx.byok_cache[catalog_index].get_or_init(|| ByokMarkers::find(cx, catalog));
    let (byok, byok_files) = (&markers.dirs, &markers.files);
    // The first marker naming the item's own key (`profile.azure_openai_api_key`).
    let byok_named = markers
        .named
        .iter()
        .find(|(text, _)| item.key_names.iter().any(|k| text.contains(k.as_str())))
        .map(|(_, p)| p.clone());
    // Files offering the item's API, with the first marker.
    let mut offers: BTreeMap<FileId, Pointer> = BTreeMap::new();
    for pattern in &item.offers {
        for h in ws.hits(*pattern) {
            if production(h.file) {
                offers
                    .entry(h.file)
                    .or_insert_with(|| ws.pointer(h.file, h.line, &h.text));
            }
        }
    }
    if let Some(globs) = &item.offer_paths {
        for (i, f) in ws.files.iter().enumerate() {
            let id = i as FileId;
            if globs.is_match(&f.path) && production(id) {
                offers.entry(id).or_insert_with(|| ws.file_pointer(id));
            }
        }
    }
    let code: Vec<&(SignalKind, FileId, Pointer)> = sites
        .iter()
        .filter(|(k, _, _)| matches!(k, SignalKind::Import | SignalKind::Host))
        .collect();
    if code.is_empty() {
        // No call site names the vendor: a generic client is pointed at it with a key
        // read from customer data, or the code serves its API, or it is the company's.
        return match (byok_named, offers.into_values().next()) {
            (Some(p), _) => (Role::Byok, false, Some(p)),
            (None, Some(p)) => (Role::CompatibleApi, false, Some(p)),
            (None, None) => (Role::Own, false, None),
        };
    }
    let in_byok = |file: FileId| {
        let f = ws.file(file);
        byok.get(&(f.target, dir_of(&f.path).to_string()))
    };
    if code
        .iter()
        .any(|(_, file, _)| in_byok(*file).is_none() && !offers.contains_key(file))
    {
        return (Role::Own, false, None);
    }
    if let Some(p) = code
        .iter()
        .find_map(|(_, file, _)| byok_files.get(file))
        .or_else(|| code.iter().find_map(|(_, file, _)| in_byok(*file)))
    {
        return (Role::Byok, false, Some(p.clone()));
    }
    let p = code.iter().find_map(|(_, file, _)| offers.get(file)).cloned();
    (Role::CompatibleApi, false, p)
}

/// A catalogue's base-URL lines (`base_url="https://api.groq.com/openai/v1"`) by file,
/// each with the items whose hosts it carries (found once per scan).
#[derive(Debug, Default)]
pub struct BaseUrls {
    lines: BTreeMap<FileId, BTreeMap<u32, BaseUrlLine>>,
}

/// One base-URL line: the items whose hosts it carries, and whether it names a literal
/// public host (`https://api.z.ai/…`, catalogued or not).
#[derive(Debug, Default)]
struct BaseUrlLine {
    items: BTreeSet<usize>,
    public: bool,
}

/// True when `line` holds an `http(s)://` URL whose host is written out and public: not a
/// template (`${region}`), a local or private server, or a placeholder.
fn names_public_host(line: &str) -> bool {
    static URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"https?://([^/\s"'`:?#]+)"#).unwrap_or_else(|_| unreachable!())
    });
    URL.captures_iter(line).any(|c| {
        let host = c[1].to_ascii_lowercase();
        let local = host == "localhost"
            || host.ends_with(".localhost")
            || host.ends_with(".local")
            || host.ends_with(".internal")
            || host.starts_with("127.")
            || host.starts_with("10.")
            || host.starts_with("192.168.")
            || host == "0.0.0.0";
        let placeholder = host.contains("example") || host.starts_with("your") || host.contains("xxx");
        host.contains('.')
            && !host.contains(['$', '{', '}', '%', '<', '>', '[', ']'])
            && !local
            && !placeholder
    })
}

impl BaseUrls {
    fn find(cx: &Context<'_>, catalog: &Catalog) -> Self {
        let ws = cx.ws;
        let mut out = Self::default();
        for pattern in &catalog.usage.base_url {
            for h in ws.hits(*pattern).iter().filter(|h| !h.comment) {
                let line = out.lines.entry(h.file).or_default().entry(h.line).or_default();
                line.public |= names_public_host(&h.text);
            }
        }
        if out.lines.is_empty() {
            return out;
        }
        for (i, item) in catalog.items.iter().enumerate() {
            for (pattern, kind) in &item.patterns {
                if *kind != SignalKind::Host {
                    continue;
                }
                for h in ws.hits(*pattern) {
                    if let Some(line) = out.lines.get_mut(&h.file).and_then(|l| l.get_mut(&h.line)) {
                        line.items.insert(i);
                    }
                }
            }
        }
        out
    }

    /// Drops `item`'s SDK imports from each file whose every client of the item is given
    /// another vendor's host as its base URL (`OpenAI(base_url="https://api.groq.com/…")` is
    /// Groq's use): the file has at least as many base-URL lines as constructions of the
    /// item's clients, and each carries another item's host, or a public host no item has
    /// (`https://api.z.ai/…`: a vendor outside the catalogue), and not this item's. A base
    /// URL from the environment, a setting, a template or localhost names no host: the
    /// import stays.
    /// When every import went, so do the item's packages (the SDK serves other vendors).
    fn drop_redirected(
        &self,
        cx: &Context<'_>,
        catalog: &Catalog,
        item: &CatalogItem,
        sites: &mut Vec<(SignalKind, FileId, Pointer)>,
    ) {
        let Some(clients) = item.clients else { return };
        let Some(me) = catalog.items.iter().position(|i| std::ptr::eq(i, item)) else {
            return;
        };
        let redirected = |file: FileId| {
            let Some(lines) = self.lines.get(&file) else {
                return false;
            };
            let constructions = cx
                .ws
                .hits(clients)
                .iter()
                .filter(|h| h.file == file && !h.comment)
                .count();
            constructions <= lines.len()
                && lines
                    .values()
                    .all(|l| !l.items.contains(&me) && (!l.items.is_empty() || l.public))
        };
        let imports = sites.iter().filter(|(k, _, _)| *k == SignalKind::Import).count();
        sites.retain(|(k, file, _)| *k != SignalKind::Import || !redirected(*file));
        let calls_left = sites
            .iter()
            .any(|(k, _, _)| matches!(k, SignalKind::Import | SignalKind::Host));
        if imports > 0 && !calls_left {
            sites.retain(|(k, _, _)| *k != SignalKind::Package);
        }
    }
}

/// A catalogue's bring-your-own-key markers in production code, the same for each of its
/// items (found once per scan, not once per item: a tree has thousands).
#[derive(Debug, Default)]
pub struct ByokMarkers {
    /// Directories holding a marker, with the first marker.
    dirs: BTreeMap<(TargetId, String), Pointer>,
    /// The first marker of each file (shown as the reason when the call is in that file).
    files: BTreeMap<FileId, Pointer>,
    /// Every marker's text (letters and digits, lower case) in path and line order, to
    /// find the first that names an item's own key.
    named: Vec<(String, Pointer)>,
}

impl ByokMarkers {
    fn find(cx: &Context<'_>, catalog: &Catalog) -> Self {
        let ws = cx.ws;
        let mut out = Self::default();
        for pattern in &catalog.usage.byok {
            for h in ws.hits(*pattern) {
                if h.comment || !production(cx, catalog, h.file) {
                    continue;
                }
                let f = ws.file(h.file);
                let p = ws.pointer(h.file, h.line, &h.text);
                out.named.push((crate::text::alnum_lower(&h.text), p.clone()));
                out.dirs
                    .entry((f.target, dir_of(&f.path).to_string()))
                    .or_insert_with(|| p.clone());
                out.files
                    .entry(h.file)
                    .and_modify(|q| {
                        if p.line < q.line {
                            *q = p.clone();
                        }
                    })
                    .or_insert(p);
            }
        }
        // Stable: of markers on the same path and line, the first met stays first.
        out.named
            .sort_by(|a, b| (&a.1.path, a.1.line).cmp(&(&b.1.path, b.1.line)));
        out
    }
}

/// Production code of the tree, not an evidence document, not excluded for calls.
fn production(cx: &Context<'_>, catalog: &Catalog, file: FileId) -> bool {
    let ws = cx.ws;
    let f = ws.file(file);
    f.flags.production()
        && !f.evidence_doc
        && !ws.targets[f.target as usize].evidence_only
        && !catalog.usage.excludes(&f.path, SignalKind::Import, None)
}

/// `vendors:` in the config: the role of AI providers, overriding what redflag infers from
/// the code. `subprocessors`: the company's own (always cross-checked with the register);
/// `byok`: integrations customers configure with their own keys; `offers_compatible_api`:
/// providers whose API the code offers (a compatible server), not uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorRoles {
    #[serde(default)]
    pub subprocessors: Vec<String>,
    #[serde(default)]
    pub byok: Vec<String>,
    #[serde(default)]
    pub offers_compatible_api: Vec<String>,
}

impl VendorRoles {
    fn names(list: &[String], id: &str, name: &str) -> bool {
        list.iter()
            .any(|v| v.trim().eq_ignore_ascii_case(id) || v.trim().eq_ignore_ascii_case(name))
    }

    /// The declared role of a catalogue item, if any (`subprocessors` wins).
    pub fn declared(&self, id: &str, name: &str) -> Option<Role> {
        if Self::names(&self.subprocessors, id, name) {
            Some(Role::Own)
        } else if Self::names(&self.byok, id, name) {
            Some(Role::Byok)
        } else if Self::names(&self.offers_compatible_api, id, name) {
            Some(Role::CompatibleApi)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_and_low_entropy_keys() {
        assert!(looks_fake("OPENAI_API_KEY=sk-your-key-here"));
        assert!(!looks_random("sk-ant-api03-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(looks_random("sk-ant-api03-Zx81kQpL0vBn3RtY7uWcE5hJ2mAs9dFg"));
        // Hex keys (Azure OpenAI) draw from 16 symbols; a repeated pattern is no key.
        assert!(looks_random("AZURE_OPENAI_KEY=bff9d7e0d877099a49078040ee979b8d"));
        assert!(!looks_random(
            "AZURE_OPENAI_KEY=\"0123456789abcdef0123456789abcdef\""
        ));
    }
}
