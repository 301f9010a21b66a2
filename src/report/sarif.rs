//! The SARIF 2.1.0 renderer, for GitHub code scanning (`upload-sarif`) and other SARIF
//! consumers. Hand-written structs for the subset GitHub reads, with the fields it requires
//! non-optional, so a log it would reject cannot be built:
//!
//! - one rule per evaluated control (`report.controls`, in report order, so a control's
//!   `ruleIndex` is stable across runs with the same controls), with `security-severity`
//!   and the TSC ids as tags and as relationships to the criteria of the run's taxonomy
//!   (the 61 Trust Services Criteria, `runs[].taxonomies`);
//! - one result per finding, located at the finding's first evidence pointer (further
//!   pointers go to `relatedLocations`), fingerprinted with the finding's line-independent
//!   fingerprint under redflag's own key (`redflagFingerprint/v1`; GitHub computes
//!   `primaryLocationLineHash` itself); baseline state and waivers become `baselineState` and `suppressions`;
//! - GitHub's limits applied (25,000 results per run, keeping the most severe, with a
//!   notification saying what was left out; 100 related locations; 20 tags).
//!
//! Output is deterministic: no timestamps, no absolute paths that the report lacks.

use std::io::Write;

use serde::Serialize;

use super::{BaselineState, ControlOut, FindingOut, PointerOut, Report, TargetRole};
use crate::control::Severity;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/redflag-dev/redflag";
/// The base every artifact URI is relative to: the checkout (repository root).
const SRCROOT: &str = "%SRCROOT%";
/// GitHub rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub accepts 1,000 locations per result and shows 100.
const MAX_RELATED_LOCATIONS: usize = 100;
/// GitHub accepts 20 tags per rule (and shows 10).
const MAX_TAGS: usize = 20;
/// GitHub's limit on `shortDescription.text`.
const MAX_SHORT_DESCRIPTION: usize = 1024;
/// GitHub's limit on `rule.name`.
const MAX_RULE_NAME: usize = 255;
/// Report notes (files not parsed) carried as notifications, at most.
const MAX_NOTE_NOTIFICATIONS: usize = 1000;
/// Where a finding with nothing at all to point at is placed (see [`Locator::primary`]).
const FALLBACK_URI: &str = "redflag.yaml";

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    render_with_limit(report, MAX_RESULTS, out)
}

/// [`render`] with a chosen cap on the number of results (tests use a small one).
pub(crate) fn render_with_limit(
    report: &Report,
    max_results: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let log = build_log(report, max_results);
    serde_json::to_writer_pretty(&mut *out, &log).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

// ---------------------------------------------------------------------------------------
// The SARIF subset.

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    /// The Trust Services Criteria, which rules are related to.
    taxonomies: Vec<Taxonomy>,
}

/// The 2017 Trust Services Criteria as a SARIF taxonomy (§3.19.3), so a viewer can group
/// rules and results by criterion.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Taxonomy {
    name: &'static str,
    full_name: &'static str,
    version: &'static str,
    organization: &'static str,
    short_description: Text,
    information_uri: &'static str,
    is_comprehensive: bool,
    taxa: Vec<Taxon>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Taxon {
    id: String,
    name: String,
    short_description: Text,
    properties: TaxonProperties,
}

#[derive(Serialize)]
struct TaxonProperties {
    category: String,
}

/// A rule's relation to a criterion (§3.53).
#[derive(Serialize)]
struct Relationship {
    target: ReportingDescriptorReference,
    kinds: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptorReference {
    id: String,
    index: usize,
    tool_component: ToolComponentReference,
}

#[derive(Serialize)]
struct ToolComponentReference {
    name: &'static str,
    index: usize,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
    supported_taxonomies: Vec<ToolComponentReference>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: DefaultConfiguration,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relationships: Vec<Relationship>,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct DefaultConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: PartialFingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

/// redflag's line-independent fingerprint under its own key. `primaryLocationLineHash` is
/// left to GitHub, which computes it from the file (a tool that fills it in overrides
/// GitHub's own tracking with a value of another kind).
#[derive(Serialize)]
struct PartialFingerprints {
    #[serde(rename = "redflagFingerprint/v1")]
    redflag: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SuppressionProperties>,
}

#[derive(Serialize)]
struct SuppressionProperties {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Mapping the report.

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (a string, "0.1".."10.0"): over 9.0 shows as critical,
/// 7.0–8.9 high, 4.0–6.9 medium, under 4.0 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `RF3-VENDOR-REGISTERED` → `Rf3VendorRegistered`.
fn camel_case(id: &str) -> String {
    let mut s = String::new();
    for word in id.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            s.extend(first.to_uppercase());
            s.extend(chars.flat_map(char::to_lowercase));
        }
    }
    if s.is_empty() {
        id.to_string()
    } else {
        s
    }
}

fn non_empty(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

/// What a rule is made of: a control, or (should a finding name a control the report does
/// not list) the finding itself, so every result has a rule.
struct RuleSource<'a> {
    id: &'a str,
    title: &'a str,
    red_flag: Option<u8>,
    severity: Severity,
    tsc: &'a [String],
    remediation: &'a str,
}

impl<'a> From<&'a ControlOut> for RuleSource<'a> {
    fn from(c: &'a ControlOut) -> Self {
        RuleSource {
            id: &c.id,
            title: &c.title,
            red_flag: c.red_flag,
            severity: c.severity,
            tsc: &c.tsc,
            remediation: &c.remediation,
        }
    }
}

impl<'a> From<&'a FindingOut> for RuleSource<'a> {
    fn from(f: &'a FindingOut) -> Self {
        RuleSource {
            id: &f.control_id,
            title: &f.title,
            red_flag: f.red_flag,
            severity: f.severity,
            tsc: &f.tsc,
            remediation: &f.remediation,
        }
    }
}

/// Control text made inert in a Markdown field: it may come from a third-party pack, and a
/// code-scanning UI renders `help.markdown`. Outside backtick code spans, the characters
/// that open links, images, HTML and emphasis are escaped, and URLs are shown as code (so
/// GitHub's bare-URL autolinks do not apply); code spans are kept as written.
fn inert_markdown(text: &str) -> String {
    // An unclosed code span would leave what follows it live: then no span is kept.
    let spans = text.matches('`').count().is_multiple_of(2);
    let parts: Vec<&str> = if spans {
        text.split('`').collect()
    } else {
        vec![text]
    };
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part); // inside a code span
            continue;
        }
        for (j, word) in part.split(' ').enumerate() {
            if j > 0 {
                out.push(' ');
            }
            if word.contains("://") || word.starts_with("www.") {
                out.push('`');
                out.push_str(word);
                out.push('`');
                continue;
            }
            for c in word.chars() {
                if matches!(c, '\\' | '`' | '[' | ']' | '<' | '>' | '!' | '*' | '_' | '&') {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

fn rule(src: &RuleSource<'_>) -> Rule {
    let title = non_empty(src.title, src.id);
    let full = if src.tsc.is_empty() {
        title.clone()
    } else {
        format!("{title} (TSC {})", src.tsc.join(", "))
    };
    let remediation = non_empty(src.remediation.trim(), &title);
    let mut markdown = format!("**{}**\n\n{}\n\n", src.id, inert_markdown(&remediation));
    if !src.tsc.is_empty() {
        markdown.push_str(&format!("Trust Services Criteria: {}\n\n", src.tsc.join(", ")));
    }
    markdown.push_str(&format!(
        "Run `redflag explain {}` for what the check looks at and the evidence an auditor asks for.",
        src.id
    ));
    let mut tags = vec!["security".to_string(), "soc2".to_string()];
    if let Some(n) = src.red_flag {
        tags.push(format!("red-flag-{n}"));
    }
    tags.extend(src.tsc.iter().map(|t| format!("TSC-{t}")));
    tags.truncate(MAX_TAGS);
    Rule {
        id: src.id.to_string(),
        name: crate::text::truncate_chars(&camel_case(src.id), MAX_RULE_NAME),
        short_description: Text {
            text: crate::text::truncate_chars(&title, MAX_SHORT_DESCRIPTION),
        },
        full_description: Text { text: full },
        help: Help {
            text: remediation,
            markdown,
        },
        default_configuration: DefaultConfiguration {
            level: level(src.severity),
        },
        relationships: src.tsc.iter().filter_map(|t| relationship(t)).collect(),
        properties: RuleProperties {
            tags,
            precision: "high",
            security_severity: security_severity(src.severity),
        },
    }
}

/// The taxonomy's name, and its index in `runs[].taxonomies`.
const TSC_TAXONOMY: &str = "TSC";
const TSC_TAXONOMY_INDEX: usize = 0;

/// A rule's relation to a criterion of the taxonomy; `None` for an id that is not one of
/// the 61 criteria (a merged report from another pack).
fn relationship(id: &str) -> Option<Relationship> {
    let index = crate::control::tsc::all().iter().position(|c| c.id == id)?;
    Some(Relationship {
        target: ReportingDescriptorReference {
            id: id.to_string(),
            index,
            tool_component: ToolComponentReference {
                name: TSC_TAXONOMY,
                index: TSC_TAXONOMY_INDEX,
            },
        },
        kinds: ["relevant"],
    })
}

/// The 61 criteria, in the order of `controls/tsc.yaml` (titles are redflag's paraphrases).
fn tsc_taxonomy() -> Taxonomy {
    Taxonomy {
        name: TSC_TAXONOMY,
        full_name: "AICPA 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality, and Privacy",
        version: "2017 (points of focus revised 2022)",
        organization: "AICPA",
        short_description: Text {
            text: "The criteria a SOC 2 examination reports on; titles are paraphrases, not AICPA text.".to_string(),
        },
        information_uri: "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
        is_comprehensive: true,
        taxa: crate::control::tsc::all()
            .iter()
            .map(|c| Taxon {
                id: c.id.clone(),
                name: c.id.clone(),
                short_description: Text {
                    text: c.title.clone(),
                },
                properties: TaxonProperties {
                    category: c.category.clone(),
                },
            })
            .collect(),
    }
}

/// Percent-encodes a path into a relative URI reference: unreserved characters, `/` and the
/// sub-delimiters stay; everything else (spaces, `%`, `#`, `?`, `:`, non-ASCII) is encoded
/// as UTF-8 bytes. In a relative reference `:` is encoded too, so a first segment like
/// `C:` is never read as a scheme; `keep_colon` keeps it for a `file://` URI's drive.
pub(crate) fn encode_uri_path(path: &str, keep_colon: bool) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (keep_colon && b == b':');
        if keep {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Places pointers in the repository: URIs relative to `%SRCROOT%`.
struct Locator<'a> {
    report: &'a Report,
    /// More than one target: URIs are prefixed with the target's display path so they stay
    /// unique (`examples/acme-ai/app/config.py`).
    multi: bool,
}

/// The artifact location of `path` in `target`: relative to `%SRCROOT%` (the checkout), the
/// target's display path first when there are several targets; or, for a target of several
/// given as an absolute path, an absolute `file://` URI (GitHub resolves only relative URIs
/// against the checkout, so such a scan is meant for other SARIF consumers).
fn artifact_location(multi: bool, target: &str, path: &str) -> ArtifactLocation {
    let path = path.replace('\\', "/");
    let path = path.trim_start_matches("./");
    let target = target.replace('\\', "/");
    let target = target.trim_end_matches('/');
    if !multi || target.is_empty() || target == "." {
        let path = if path.is_empty() { "." } else { path };
        return ArtifactLocation {
            uri: encode_uri_path(path, false),
            uri_base_id: Some(SRCROOT),
        };
    }
    let target = target.trim_start_matches("./");
    let joined = if path.is_empty() || path == "." {
        target.to_string()
    } else {
        format!("{target}/{path}")
    };
    let drive = joined.as_bytes().get(1) == Some(&b':') && joined.as_bytes()[0].is_ascii_alphabetic();
    if joined.starts_with('/') || drive {
        let slash = if drive { "/" } else { "" };
        ArtifactLocation {
            uri: format!("file://{slash}{}", encode_uri_path(&joined, true)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_uri_path(&joined, false),
            uri_base_id: Some(SRCROOT),
        }
    }
}

impl Locator<'_> {
    fn location(&self, p: &PointerOut, id: Option<usize>, message: Option<String>) -> Location {
        let line = p.line.unwrap_or(1).max(1);
        // GitHub requires a full region. Columns count UTF-16 code units (SARIF's default
        // `columnKind`); the snippet is the trimmed, possibly redacted line, so the span is
        // indicative (the line is what matters). The snippet itself is not copied into
        // `region.snippet`, which must be the region's exact text.
        let snippet = p.line.and(p.snippet.as_deref()).filter(|s| !s.is_empty());
        let width = snippet.map_or(1, |s| s.encode_utf16().count().max(1));
        Location {
            id,
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(self.multi, &p.target, &p.path),
                region: Some(Region {
                    start_line: line,
                    start_column: 1,
                    end_line: line,
                    end_column: u32::try_from(width).unwrap_or(u32::MAX - 1) + 1,
                }),
            },
            message: message.filter(|m| !m.is_empty()).map(|text| Text { text }),
        }
    }

    /// The primary location of a finding. GitHub drops a result without a location, and a
    /// finding must never be dropped, so a finding without evidence of its own (a gap about
    /// something absent where nothing needing the control was found either) is placed on
    /// the most relevant file the report knows, in this order:
    ///
    /// 1. its own first evidence pointer;
    /// 2. the first evidence of another finding of the same control (same gap, same place);
    /// 3. the control's own evidence (what its check examined);
    /// 4. the first evidence of any finding of the same red flag (the area of the gap);
    /// 5. `redflag.yaml` at the first target's root: the report does not list scanned
    ///    files, and this is the file where the team scopes controls and records waivers.
    ///    GitHub accepts a result on a file that does not exist and shows it without a
    ///    code preview, so the finding is still listed.
    fn primary(&self, f: &FindingOut) -> Location {
        let report = self.report;
        let found = f
            .evidence
            .first()
            .or_else(|| {
                report
                    .findings
                    .iter()
                    .filter(|o| o.control_id == f.control_id)
                    .find_map(|o| o.evidence.first())
            })
            .or_else(|| {
                report
                    .controls
                    .iter()
                    .filter(|c| c.id == f.control_id)
                    .find_map(|c| c.evidence.first())
            })
            .or_else(|| {
                f.red_flag.and_then(|rf| {
                    report
                        .findings
                        .iter()
                        .filter(|o| o.red_flag == Some(rf))
                        .find_map(|o| o.evidence.first())
                })
            });
        match found {
            Some(p) => self.location(p, None, None),
            None => {
                let target = report
                    .targets
                    .iter()
                    .find(|t| t.role != TargetRole::Evidence)
                    .or(report.targets.first())
                    .map_or("", |t| t.path.as_str());
                let placeholder = PointerOut {
                    target: target.to_string(),
                    path: FALLBACK_URI.to_string(),
                    line: None,
                    snippet: None,
                    label: None,
                    subject: None,
                };
                self.location(&placeholder, None, None)
            }
        }
    }
}

fn result(f: &FindingOut, rule_index: usize, loc: &Locator<'_>) -> SarifResult {
    let related = f
        .evidence
        .iter()
        .skip(1)
        .take(MAX_RELATED_LOCATIONS)
        .enumerate()
        .map(|(i, p)| loc.location(p, Some(i + 1), p.label.clone()))
        .collect();
    let suppressions = f
        .waiver
        .iter()
        .map(|w| Suppression {
            // An inline waiver is a comment in the scanned files; a config waiver lives in
            // redflag.yaml, outside the code it waives.
            kind: if w.source.starts_with("inline") {
                "inSource"
            } else {
                "external"
            },
            status: "accepted",
            justification: non_empty(&w.reason, "waived"),
            properties: Some(SuppressionProperties {
                source: w.source.clone(),
                owner: w.owner.clone(),
                expires: w.expires.clone(),
            }),
        })
        .collect();
    SarifResult {
        rule_id: f.control_id.to_string(),
        rule_index,
        level: level(f.severity),
        message: Text {
            text: non_empty(&f.message, &non_empty(&f.title, &f.control_id)),
        },
        locations: vec![loc.primary(f)],
        related_locations: related,
        partial_fingerprints: PartialFingerprints {
            redflag: f.fingerprint.clone(),
        },
        baseline_state: f.baseline.map(|b| match b {
            BaselineState::New => "new",
            BaselineState::Known => "unchanged",
        }),
        suppressions,
    }
}

fn build_log(report: &Report, max_results: usize) -> Log {
    let loc = Locator {
        report,
        multi: report.targets.len() > 1,
    };
    let mut rules: Vec<Rule> = report
        .controls
        .iter()
        .map(|c| rule(&RuleSource::from(c)))
        .collect();
    let mut rule_ids: Vec<String> = report.controls.iter().map(|c| c.id.to_string()).collect();

    // Over GitHub's limit the whole file is rejected; keep the most severe findings (GitHub
    // itself keeps the most severe when it trims what it shows) in report order.
    let mut kept: Vec<usize> = (0..report.findings.len()).collect();
    let dropped = kept.len().saturating_sub(max_results);
    if dropped > 0 {
        kept.sort_by_key(|&i| (std::cmp::Reverse(report.findings[i].severity), i));
        kept.truncate(max_results);
        kept.sort_unstable();
    }

    let mut results = Vec::with_capacity(kept.len());
    for i in kept {
        let f = &report.findings[i];
        let index = match rule_ids.iter().position(|id| *id == f.control_id) {
            Some(index) => index,
            None => {
                rules.push(rule(&RuleSource::from(f)));
                rule_ids.push(f.control_id.to_string());
                rules.len() - 1
            }
        };
        results.push(result(f, index, &loc));
    }

    let mut notifications = Vec::new();
    if dropped > 0 {
        notifications.push(Notification {
            level: "warning",
            message: Text {
                text: format!(
                    "{dropped} of {} findings were left out of this SARIF log (limit {max_results} \
                     results per run), the least severe first; the JSON report lists them all",
                    report.findings.len()
                ),
            },
            locations: Vec::new(),
        });
    }
    for n in report.notes.iter().take(MAX_NOTE_NOTIFICATIONS) {
        let p = PointerOut {
            target: n.target.clone(),
            path: n.path.clone(),
            line: None,
            snippet: None,
            label: None,
            subject: None,
        };
        let mut location = loc.location(&p, None, None);
        location.physical_location.region = None;
        notifications.push(Notification {
            level: "note",
            message: Text {
                text: non_empty(&n.message, "file skipped or not parsed"),
            },
            locations: vec![location],
        });
    }
    if report.notes.len() > MAX_NOTE_NOTIFICATIONS {
        notifications.push(Notification {
            level: "note",
            message: Text {
                text: format!(
                    "… and {} more files skipped or not parsed (the JSON report lists all)",
                    report.notes.len() - MAX_NOTE_NOTIFICATIONS
                ),
            },
            locations: Vec::new(),
        });
    }

    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: report.tool.name,
                    version: report.tool.version,
                    semantic_version: report.tool.version,
                    information_uri: INFORMATION_URI,
                    rules,
                    supported_taxonomies: vec![ToolComponentReference {
                        name: TSC_TAXONOMY,
                        index: TSC_TAXONOMY_INDEX,
                    }],
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
            taxonomies: vec![tsc_taxonomy()],
        }],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pack_text_is_inert_in_markdown() {
        let md = super::inert_markdown(
            "See ![x](https://evil.example/p.png) and [click](javascript:alert) <img src=x> `keep [this]` www.evil.example",
        );
        assert_eq!(
            md,
            "See `![x](https://evil.example/p.png)` and \\[click\\](javascript:alert) \\<img src=x\\> `keep [this]` `www.evil.example`"
        );
        // An unclosed span: everything escaped, nothing left live.
        let md = super::inert_markdown("`open [x](https://e.example)");
        assert_eq!(md, "\\`open `[x](https://e.example)`");
    }

    use super::*;

    #[test]
    fn camel_case_ids() {
        assert_eq!(camel_case("RF3-VENDOR-REGISTERED"), "Rf3VendorRegistered");
        assert_eq!(camel_case("x"), "X");
        assert_eq!(camel_case("--"), "--");
    }

    #[test]
    fn uri_encoding() {
        assert_eq!(encode_uri_path("app/my file#1.py", false), "app/my%20file%231.py");
        assert_eq!(encode_uri_path("C:/x", false), "C%3A/x");
        assert_eq!(encode_uri_path("C:/x", true), "C:/x");
        assert_eq!(encode_uri_path("ü.md", false), "%C3%BC.md");
        assert_eq!(encode_uri_path("a-b_c.d~/e", false), "a-b_c.d~/e");
    }

    #[test]
    fn artifact_uris() {
        let uri = |multi, t, p| {
            let a = artifact_location(multi, t, p);
            (a.uri, a.uri_base_id)
        };
        let rel = Some(SRCROOT);
        assert_eq!(uri(false, "/abs/repo", "app/x.py"), ("app/x.py".into(), rel));
        assert_eq!(uri(true, "repo", "app/x.py"), ("repo/app/x.py".into(), rel));
        assert_eq!(uri(true, "./repo/", "./app/x.py"), ("repo/app/x.py".into(), rel));
        assert_eq!(uri(true, ".", "app/x.py"), ("app/x.py".into(), rel));
        assert_eq!(
            uri(true, "../policies", "ir plan.md"),
            ("../policies/ir%20plan.md".into(), rel)
        );
        assert_eq!(
            uri(true, "/abs/repo", "a b.py"),
            ("file:///abs/repo/a%20b.py".into(), None)
        );
        assert_eq!(
            uri(true, "C:\\repo", "x.py"),
            ("file:///C:/repo/x.py".into(), None)
        );
    }

    #[test]
    fn truncation_keeps_the_most_severe_and_says_so() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-ai");
        let settings =
            crate::settings::Settings::for_paths(&[root], crate::date::parse_iso("2026-12-01").unwrap());
        let report = crate::app::assess(&settings).unwrap();
        assert!(report.findings.len() > 3);
        let log = build_log(&report, 3);
        let run = &log.runs[0];
        assert_eq!(run.results.len(), 3);
        let max = report.findings.iter().map(|f| f.severity).max().unwrap();
        assert!(run.results.iter().any(|r| r.level == level(max)));
        let n = &run.invocations[0].tool_execution_notifications[0];
        assert_eq!(n.level, "warning");
        assert!(n.message.text.contains("left out"), "{}", n.message.text);
    }
}
