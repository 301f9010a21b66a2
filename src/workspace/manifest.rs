//! Dependency manifests: which packages a project declares, and on which line.
//!
//! One parser per manifest format, each returning `Dependency` values with the manifest
//! line as evidence. Formats with real structure (TOML, JSON) are parsed with their parser
//! first, so a broken manifest becomes a note instead of guesses; line numbers are then
//! recovered from the text. Line-based formats (requirements files, go.mod, Gemfile) are
//! read line by line.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::node::{Node, Value};
use super::ParseError;

/// Package ecosystems, named as in the vendor catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ecosystem {
    Pypi,
    Npm,
    Go,
    Crates,
    Maven,
    Rubygems,
}

impl Ecosystem {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pypi" => Some(Self::Pypi),
            "npm" => Some(Self::Npm),
            "go" => Some(Self::Go),
            "crates" => Some(Self::Crates),
            "maven" => Some(Self::Maven),
            "rubygems" => Some(Self::Rubygems),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pypi => "pypi",
            Self::Npm => "npm",
            Self::Go => "go",
            Self::Crates => "crates",
            Self::Maven => "maven",
            Self::Rubygems => "rubygems",
        }
    }

    /// Canonical form of a package name for comparison (PEP 503 for PyPI).
    pub fn normalize(self, name: &str) -> String {
        let lower = name.trim().to_ascii_lowercase();
        match self {
            Self::Pypi | Self::Crates => lower.replace(['_', '.'], "-"),
            _ => lower,
        }
    }
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// Normalised name (see [`Ecosystem::normalize`]).
    pub name: String,
    pub line: u32,
    /// Declared only for development or tests.
    pub dev: bool,
}

/// Which manifest parser handles a file name, if any.
pub fn kind_of(file_name: &str) -> Option<ManifestKind> {
    let lower = file_name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "pyproject.toml" => ManifestKind::Pyproject,
        "pipfile" => ManifestKind::Pipfile,
        "setup.cfg" => ManifestKind::SetupCfg,
        "package.json" => ManifestKind::PackageJson,
        "go.mod" => ManifestKind::GoMod,
        "cargo.toml" => ManifestKind::CargoToml,
        "gemfile" => ManifestKind::Gemfile,
        "pom.xml" => ManifestKind::Pom,
        "build.gradle" | "build.gradle.kts" => ManifestKind::Gradle,
        _ if lower.starts_with("requirements") && lower.ends_with(".txt") => ManifestKind::Requirements,
        _ if lower.ends_with(".requirements.txt") || lower == "constraints.txt" => ManifestKind::Requirements,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    Requirements,
    Pyproject,
    Pipfile,
    SetupCfg,
    PackageJson,
    GoMod,
    CargoToml,
    Gemfile,
    Pom,
    Gradle,
}

/// Parses a manifest. `Err` carries a one-line parse error for the report's notes.
pub fn parse(kind: ManifestKind, file_name: &str, text: &str) -> Result<Vec<Dependency>, ParseError> {
    let mut deps = match kind {
        ManifestKind::Requirements => Ok(requirements(text, is_dev_name(file_name))),
        ManifestKind::Pyproject => pyproject(text),
        ManifestKind::Pipfile => pipfile(text),
        ManifestKind::SetupCfg => Ok(setup_cfg(text)),
        ManifestKind::PackageJson => package_json(text),
        ManifestKind::GoMod => Ok(go_mod(text)),
        ManifestKind::CargoToml => cargo_toml(text),
        ManifestKind::Gemfile => Ok(gemfile(text)),
        ManifestKind::Pom => Ok(pom(text)),
        ManifestKind::Gradle => Ok(gradle(text)),
    }?;
    deps.sort_by(|a, b| (a.line, &a.name).cmp(&(b.line, &b.name)));
    deps.dedup_by(|a, b| a.name == b.name && a.ecosystem == b.ecosystem);
    Ok(deps)
}

fn is_dev_name(file_name: &str) -> bool {
    let l = file_name.to_ascii_lowercase();
    ["dev", "test", "lint", "docs", "ci"]
        .iter()
        .any(|w| l.contains(w))
}

static REQ_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)").unwrap());

fn requirements(text: &str, dev: bool) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('-') {
            continue;
        }
        if let Some(c) = REQ_NAME.captures(t) {
            out.push(dep(Ecosystem::Pypi, &c[1], i, dev));
        }
    }
    out
}

fn dep(ecosystem: Ecosystem, name: &str, line0: usize, dev: bool) -> Dependency {
    Dependency {
        ecosystem,
        name: ecosystem.normalize(name),
        line: u32::try_from(line0 + 1).unwrap_or(u32::MAX),
        dev,
    }
}

/// Where dependency names sit in a TOML manifest, indexed in one pass: searching the text
/// once per declared dependency would cost dependencies × lines (quadratic in a hostile
/// manifest with a hundred thousand entries).
struct NameLines {
    /// Lower-cased name → first 0-based line that starts with it (after quotes or `[`),
    /// followed by something that cannot continue a name.
    starts: HashMap<String, usize>,
    /// Lower-cased name → first line of a `[…dependencies.NAME]` table header.
    tables: HashMap<String, usize>,
}

/// Longest name indexed; longer names are not located (line 1 is reported).
const MAX_NAME: usize = 256;

impl NameLines {
    fn new(text: &str) -> Self {
        let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        let (mut starts, mut tables) = (HashMap::new(), HashMap::new());
        for (i, line) in text.lines().enumerate() {
            let head: String = line.trim_start().chars().take(MAX_NAME + 2).collect();
            let l = head.to_ascii_lowercase();
            let l = l.trim_start_matches(['"', '\'', '[']);
            // The name run (name characters and dots); a name may end at its end or
            // before any of its first few dots (`zope` in `zope.interface = …`).
            let run = l.find(|c: char| !(name_char(c) || c == '.')).unwrap_or(l.len());
            let mut ends: Vec<usize> = l[..run].match_indices('.').map(|(j, _)| j).take(4).collect();
            ends.push(run);
            for end in ends.into_iter().filter(|&e| e > 0 && e <= MAX_NAME) {
                starts.entry(l[..end].to_string()).or_insert(i);
            }
            let t = line.trim().to_ascii_lowercase();
            if let (Some(at), Some(body)) = (t.rfind("dependencies."), t.strip_suffix(']')) {
                if let Some(name) = body.get(at + "dependencies.".len()..) {
                    tables.entry(name.to_string()).or_insert(i);
                }
            }
        }
        Self { starts, tables }
    }

    /// Line (0-based) where a dependency string or key for `name` appears (0 if nowhere).
    fn find(&self, name: &str) -> usize {
        let lower = name.to_ascii_lowercase();
        let a = self.starts.get(&lower).copied();
        let b = self.tables.get(&lower).copied();
        a.into_iter().chain(b).min().unwrap_or(0)
    }
}

fn pep508_name(spec: &str) -> Option<&str> {
    REQ_NAME.captures(spec).and_then(|c| c.get(1)).map(|m| m.as_str())
}

fn toml_table(text: &str) -> Result<toml::Table, ParseError> {
    text.parse::<toml::Table>()
        .map_err(|e| ParseError(format!("TOML parse error: {}", e.message())))
}

fn pyproject(text: &str) -> Result<Vec<Dependency>, ParseError> {
    let doc = toml_table(text)?;
    let lines = NameLines::new(text);
    let mut out = Vec::new();
    let push_specs = |list: Option<&toml::Value>, dev: bool, out: &mut Vec<Dependency>| {
        for spec in list.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(name) = spec.as_str().and_then(pep508_name) {
                out.push(dep(Ecosystem::Pypi, name, lines.find(name), dev));
            }
        }
    };
    let project = doc.get("project");
    push_specs(project.and_then(|p| p.get("dependencies")), false, &mut out);
    if let Some(opt) = project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(|v| v.as_table())
    {
        for (group, list) in opt {
            push_specs(Some(list), is_dev_name(group), &mut out);
        }
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(|v| v.as_table()) {
        for list in groups.values() {
            push_specs(Some(list), true, &mut out);
        }
    }
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let push_keys = |table: Option<&toml::Value>, dev: bool, out: &mut Vec<Dependency>| {
        for name in table
            .and_then(|v| v.as_table())
            .into_iter()
            .flat_map(|t| t.keys())
        {
            if name != "python" {
                out.push(dep(Ecosystem::Pypi, name, lines.find(name), dev));
            }
        }
    };
    push_keys(poetry.and_then(|p| p.get("dependencies")), false, &mut out);
    push_keys(poetry.and_then(|p| p.get("dev-dependencies")), true, &mut out);
    if let Some(groups) = poetry.and_then(|p| p.get("group")).and_then(|v| v.as_table()) {
        for (name, g) in groups {
            push_keys(g.get("dependencies"), is_dev_name(name), &mut out);
        }
    }
    Ok(out)
}

fn pipfile(text: &str) -> Result<Vec<Dependency>, ParseError> {
    let doc = toml_table(text)?;
    let lines = NameLines::new(text);
    let mut out = Vec::new();
    for (section, dev) in [("packages", false), ("dev-packages", true)] {
        for name in doc
            .get(section)
            .and_then(|v| v.as_table())
            .into_iter()
            .flat_map(|t| t.keys())
        {
            out.push(dep(Ecosystem::Pypi, name, lines.find(name), dev));
        }
    }
    Ok(out)
}

fn setup_cfg(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut in_list = false;
    let mut dev = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let indented = line.starts_with([' ', '\t']);
        if t.starts_with('[') {
            in_list = false;
            dev = t.contains("extras_require") && is_dev_name(t);
            continue;
        }
        if !indented {
            if let Some((key, rest)) = t.split_once('=') {
                let key = key.trim();
                in_list = key == "install_requires" || key == "tests_require" || t.contains("extras_require");
                dev = key == "tests_require" || is_dev_name(key);
                if in_list {
                    if let Some(name) = pep508_name(rest.trim()) {
                        out.push(dep(Ecosystem::Pypi, name, i, dev));
                    }
                }
                continue;
            }
            in_list = false;
        } else if in_list && !t.starts_with('#') {
            if let Some(name) = pep508_name(t) {
                out.push(dep(Ecosystem::Pypi, name, i, dev));
            }
        }
    }
    out
}

fn package_json(text: &str) -> Result<Vec<Dependency>, ParseError> {
    let root = Node::from_json(text)
        .map_err(|e| ParseError(format!("JSON parse error at {}:{}: {e}", e.line(), e.column())))?;
    let mut out = Vec::new();
    for (section, dev) in [
        ("dependencies", false),
        ("peerDependencies", false),
        ("optionalDependencies", false),
        ("devDependencies", true),
    ] {
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = root.get(section)
        {
            for (k, _) in entries {
                out.push(Dependency {
                    ecosystem: Ecosystem::Npm,
                    name: Ecosystem::Npm.normalize(&k.text),
                    line: k.line,
                    dev,
                });
            }
        }
    }
    Ok(out)
}

fn go_mod(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut block = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.split("//").next().unwrap_or("").trim();
        if t.starts_with("require (") || t == "require(" {
            block = true;
            continue;
        }
        if block && t.starts_with(')') {
            block = false;
            continue;
        }
        let spec = if block {
            Some(t)
        } else {
            t.strip_prefix("require ")
        };
        if let Some(path) = spec.and_then(|s| s.split_whitespace().next()) {
            if path.contains('.') || path.contains('/') {
                out.push(dep(Ecosystem::Go, path, i, false));
            }
        }
    }
    out
}

fn cargo_toml(text: &str) -> Result<Vec<Dependency>, ParseError> {
    let doc = toml_table(text)?;
    let lines = NameLines::new(text);
    let mut out = Vec::new();
    let mut tables: Vec<(&toml::Value, bool)> = Vec::new();
    for (key, dev) in [
        ("dependencies", false),
        ("dev-dependencies", true),
        ("build-dependencies", true),
    ] {
        if let Some(t) = doc.get(key) {
            tables.push((t, dev));
        }
        if let Some(t) = doc.get("workspace").and_then(|w| w.get(key)) {
            tables.push((t, dev));
        }
        for target in doc
            .get("target")
            .and_then(|v| v.as_table())
            .into_iter()
            .flat_map(|t| t.values())
        {
            if let Some(t) = target.get(key) {
                tables.push((t, dev));
            }
        }
    }
    for (table, dev) in tables {
        for (name, spec) in table.as_table().into_iter().flatten() {
            let real = spec.get("package").and_then(|p| p.as_str()).unwrap_or(name);
            out.push(dep(Ecosystem::Crates, real, lines.find(name), dev));
        }
    }
    Ok(out)
}

static GEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^\s*gem\s+["']([A-Za-z0-9._-]+)["']"#).unwrap());

fn gemfile(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut dev_depth = 0usize;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("group") && (t.contains(":development") || t.contains(":test")) {
            dev_depth += 1;
        } else if t == "end" && dev_depth > 0 {
            dev_depth -= 1;
        }
        if let Some(c) = GEM.captures(line) {
            out.push(dep(Ecosystem::Rubygems, &c[1], i, dev_depth > 0));
        }
    }
    out
}

static POM_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<dependency>\s*(?:<!--.*?-->\s*)*<groupId>\s*([^<\s]+)\s*</groupId>\s*<artifactId>\s*([^<\s]+)\s*</artifactId>(.*?)</dependency>").unwrap()
});

fn pom(text: &str) -> Vec<Dependency> {
    let starts = crate::text::line_starts(text);
    POM_DEP
        .captures_iter(text)
        .map(|c| {
            let line = crate::text::line_of_offset(&starts, c.get(2).map_or(0, |m| m.start()));
            let dev = c
                .get(3)
                .is_some_and(|m| m.as_str().contains("<scope>test</scope>"));
            Dependency {
                ecosystem: Ecosystem::Maven,
                name: format!("{}:{}", &c[1], &c[2]).to_ascii_lowercase(),
                line,
                dev,
            }
        })
        .collect()
}

static GRADLE_DEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(implementation|api|compileOnly|runtimeOnly|testImplementation|compile)\s*\(?\s*["']([A-Za-z0-9._-]+):([A-Za-z0-9._-]+)"#).unwrap()
});

fn gradle(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(c) = GRADLE_DEP.captures(line) {
            let dev = c[1].starts_with("test");
            out.push(dep(Ecosystem::Maven, &format!("{}:{}", &c[2], &c[3]), i, dev));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Dependency]) -> Vec<(String, u32, bool)> {
        v.iter().map(|d| (d.name.clone(), d.line, d.dev)).collect()
    }

    #[test]
    fn requirements_and_pyproject() {
        let r = parse(
            ManifestKind::Requirements,
            "requirements.txt",
            "# x\nopenai==1.2\n-r base.txt\nAnthropic[bedrock]>=0.3\n",
        )
        .unwrap();
        assert_eq!(
            names(&r),
            [("openai".into(), 2, false), ("anthropic".into(), 4, false)]
        );
        let p = "[project]\nname='x'\ndependencies = [\n  \"openai>=1\",\n  'scikit_learn',\n]\n[tool.poetry.dependencies]\npython='^3.11'\nanthropic = '*'\n";
        let d = parse(ManifestKind::Pyproject, "pyproject.toml", p).unwrap();
        assert_eq!(
            names(&d),
            [
                ("openai".into(), 4, false),
                ("scikit-learn".into(), 5, false),
                ("anthropic".into(), 9, false)
            ]
        );
        assert!(parse(ManifestKind::Pyproject, "pyproject.toml", "[project\n").is_err());
    }

    #[test]
    fn package_json_go_mod_cargo_gemfile_pom_gradle() {
        let pj = "{\n \"dependencies\": {\n  \"openai\": \"^4\"\n },\n \"devDependencies\": {\"@anthropic-ai/sdk\": \"1\"}\n}";
        let d = parse(ManifestKind::PackageJson, "package.json", pj).unwrap();
        assert_eq!(
            names(&d),
            [("openai".into(), 3, false), ("@anthropic-ai/sdk".into(), 5, true)]
        );
        let gm = "module x\n\nrequire (\n\tgithub.com/sashabaranov/go-openai v1.20.0 // indirect\n)\nrequire github.com/a/b v1\n";
        let d = parse(ManifestKind::GoMod, "go.mod", gm).unwrap();
        assert_eq!(
            names(&d)[0],
            ("github.com/sashabaranov/go-openai".into(), 4, false)
        );
        let ct = "[package]\nname='x'\n[dependencies]\nasync-openai = \"0.20\"\n[dev-dependencies.tokio]\nversion='1'\n";
        let d = parse(ManifestKind::CargoToml, "Cargo.toml", ct).unwrap();
        assert_eq!(
            names(&d),
            [("async-openai".into(), 4, false), ("tokio".into(), 5, true)]
        );
        let gf = "source 'x'\ngem 'ruby-openai'\ngroup :test do\n  gem \"rspec\"\nend\n";
        let d = parse(ManifestKind::Gemfile, "Gemfile", gf).unwrap();
        assert_eq!(
            names(&d),
            [("ruby-openai".into(), 2, false), ("rspec".into(), 4, true)]
        );
        let pom = "<project>\n<dependencies>\n<dependency>\n  <groupId>com.openai</groupId>\n  <artifactId>openai-java</artifactId>\n</dependency>\n</dependencies>\n</project>";
        let d = parse(ManifestKind::Pom, "pom.xml", pom).unwrap();
        assert_eq!(names(&d), [("com.openai:openai-java".into(), 5, false)]);
        let gr = "dependencies {\n  implementation(\"com.anthropic:anthropic-java:1.0\")\n}\n";
        let d = parse(ManifestKind::Gradle, "build.gradle.kts", gr).unwrap();
        assert_eq!(names(&d), [("com.anthropic:anthropic-java".into(), 2, false)]);
    }
}
