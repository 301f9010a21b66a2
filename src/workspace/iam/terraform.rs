//! Terraform: the blocks that can grant access or hold data (IAM policies, attachments,
//! policy documents, GCP/Azure role bindings, JIT tools' resources, buckets), each parsed
//! on its own with hcl-edit so every grant keeps its line.

use hcl::edit::expr::{Expression, ObjectKey};
use hcl::edit::structure::{Block, Structure};
use hcl::edit::Span;
use serde_json::Value as Json;

use super::{
    get, statements_of, strings, Bucket, Grant, GrantKind, JitBlock, Link, Principal, Terraform, Trust,
};

thread_local! {
    /// Line starts of the file being read (keyed by its address and length), so each
    /// span's line is a binary search, not a count from the top of the file.
    static LINES: std::cell::RefCell<(usize, usize, Vec<usize>)> = const { std::cell::RefCell::new((0, 0, Vec::new())) };
}

fn line_at(text: &str, offset: usize) -> u32 {
    LINES.with(|cell| {
        let mut c = cell.borrow_mut();
        let key = (text.as_ptr() as usize, text.len());
        if (c.0, c.1) != key {
            *c = (key.0, key.1, crate::text::line_starts(text));
        }
        crate::text::line_of_offset(&c.2, offset.min(text.len()))
    })
}

fn span_line(text: &str, span: Option<std::ops::Range<usize>>) -> u32 {
    span.map_or(1, |r| line_at(text, r.start))
}

fn source(text: &str, span: Option<std::ops::Range<usize>>) -> &str {
    span.and_then(|r| text.get(r)).unwrap_or("")
}

/// Converts an HCL expression to JSON; anything not a literal becomes its source text.
fn to_json(text: &str, e: &Expression) -> Json {
    match e {
        Expression::String(s) => Json::String(s.value().to_string()),
        Expression::Bool(b) => Json::Bool(*b.value()),
        Expression::Null(_) => Json::Null,
        Expression::Number(n) => Json::String(n.value().to_string()),
        Expression::Array(a) => Json::Array(a.iter().map(|x| to_json(text, x)).collect()),
        Expression::Object(o) => {
            let mut m = serde_json::Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                    ObjectKey::Expression(x) => source(text, x.span()).to_string(),
                };
                m.insert(key, to_json(text, v.expr()));
            }
            Json::Object(m)
        }
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" => {
            f.args.iter().next().map_or(Json::Null, |a| to_json(text, a))
        }
        Expression::HeredocTemplate(h) => {
            let body = h.template.to_string();
            serde_json::from_str(&body).unwrap_or(Json::String(body))
        }
        other => {
            let src = source(text, other.span()).trim().trim_matches('"');
            serde_json::from_str(src).unwrap_or_else(|_| Json::String(src.to_string()))
        }
    }
}

/// Resource-type prefixes of JIT access tools' Terraform providers.
const JIT_PROVIDERS: &[&str] = &[
    "opal_",
    "sym_",
    "conductorone_",
    "indent_",
    "teleport_",
    // The clouds' own: GCP Privileged Access Manager, Azure PIM eligibility.
    "google_privileged_access_manager_entitlement",
    "azurerm_pim_eligible_role_assignment",
    "azuread_privileged_access_group_eligibility_schedule",
];

fn jit_block(rtype: &str, name: &str, block: &str, line: u32) -> JitBlock {
    static REF: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?:aws_iam_(?:group|role|user)|google_service_account|google_group|azuread_group)\.[A-Za-z0-9_-]+|"([^"$]{2,128})""#)
            .unwrap_or_else(|_| unreachable!())
    });
    static BOUND: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        // `max_duration = 240`, `session_ttl = "8h"`, or a request field named so (Sym's
        // `prompt_fields_json = jsonencode([{ name = "duration", ... }])`).
        regex::Regex::new(
            r#"(?im)^[ \t]*[a-z_]*(?:duration|ttl|expir)[a-z_]*[ \t]*=|"(?:duration|ttl|expir[a-z_]*)""#,
        )
        .unwrap_or_else(|_| unreachable!())
    });
    let mut mentions: Vec<String> = REF
        .captures_iter(block)
        .map(|c| {
            c.get(1)
                .map_or_else(|| c[0].to_string(), |m| m.as_str().to_string())
        })
        .collect();
    mentions.sort();
    mentions.dedup();
    JitBlock {
        address: format!("{rtype}.{name}"),
        line,
        mentions,
        bounded: BOUND.is_match(block),
        text: String::new(),
    }
}

/// Block types worth parsing: access grants and storage.
fn interesting(kind: &str, rtype: &str, block: &str) -> bool {
    match kind {
        "resource" if JIT_PROVIDERS.iter().any(|p| rtype.starts_with(p)) => true,
        "resource" => match rtype {
            "aws_iam_role" => true,
            "aws_s3_bucket"
            | "aws_s3_bucket_lifecycle_configuration"
            | "google_storage_bucket"
            | "azurerm_storage_container"
            | "azurerm_storage_account"
            | "azurerm_storage_management_policy"
            | "azurerm_role_assignment" => true,
            t => {
                (t.starts_with("aws_iam_") && (t.ends_with("_policy") || t.ends_with("_attachment")))
                    || t == "aws_ssoadmin_managed_policy_attachment"
                    || t == "aws_ssoadmin_permission_set_inline_policy"
                    || (t.starts_with("google_")
                        && (t.ends_with("_iam_member") || t.ends_with("_iam_binding")))
            }
        },
        "data" => rtype == "aws_iam_policy_document",
        // Module inputs: AWS managed policy ARNs, or policy documents (`policy = jsonencode(...)`
        // of terraform-aws-modules' iam-policy, `inline_policy_statements`).
        "module" => {
            block.contains("arn:aws:iam::aws:policy/")
                || block.contains("Statement")
                || block.contains("actions")
        }
        _ => false,
    }
}

/// Top-level blocks of interest: start offset and the offsets just after each later `}`
/// line at column 0. Terraform code is formatted with blocks opening at column 0 and
/// closed by a `}` alone at column 0; a heredoc may also hold such a line, so the caller
/// tries the candidate ends in order until the block parses. Only these ranges are parsed:
/// a file of variables and outputs costs one scan.
fn block_ranges(text: &str) -> Vec<(usize, Vec<usize>)> {
    static HEADER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"^(resource|data|module)[ \t]+"([^"]+)""#).unwrap_or_else(|_| unreachable!())
    });
    let mut out = Vec::new();
    let mut offset = 0;
    let mut current: Option<(usize, String, String)> = None;
    let mut ends: Vec<usize> = Vec::new();
    let flush = |current: Option<(usize, String, String)>,
                 ends: &mut Vec<usize>,
                 until: usize,
                 out: &mut Vec<(usize, Vec<usize>)>| {
        if let Some((s, kind, rtype)) = current {
            if !ends.is_empty() && interesting(&kind, &rtype, &text[s..until]) {
                out.push((s, std::mem::take(ends)));
            }
        }
        ends.clear();
    };
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if let Some(c) = HEADER.captures(line) {
            flush(current.take(), &mut ends, start, &mut out);
            current = Some((start, c[1].to_string(), c[2].to_string()));
            continue;
        }
        if current.is_some() && line.trim_end() == "}" {
            ends.push(offset);
        }
    }
    flush(current, &mut ends, text.len(), &mut out);
    out
}

/// Reads the grants and buckets of a Terraform file, parsing only the blocks that can hold
/// them with hcl-edit (which keeps spans). Lines are file lines.
pub fn terraform(text: &str) -> Terraform {
    let starts = crate::text::line_starts(text);
    let mut tf = Terraform::default();
    let mut lifecycle_refs = Vec::new();
    for (start, ends) in block_ranges(text) {
        let base = crate::text::line_of_offset(&starts, start) - 1;
        // Storage blocks are read from their text (a name and whether a lifecycle rule or
        // a reference to the bucket appears): parsing them would cost more than the rest
        // of the scan on storage-heavy repositories.
        let first = &text[start..ends[0]];
        if let Some(c) = JIT_HEADER.captures(first) {
            tf.jit.push(jit_block(&c[1], &c[2], first, base + 1));
            continue;
        }
        if let Some(c) = STORAGE.captures(first) {
            let (rtype, name) = (c[1].to_string(), c[2].to_string());
            if rtype.ends_with("lifecycle_configuration") || rtype.ends_with("management_policy") {
                // Only a rule that expires objects and is enabled deletes anything.
                if crate::workspace::storage::terraform_deletes(first) {
                    lifecycle_refs.push(first.to_string());
                }
            } else {
                let literal = BUCKET_NAME
                    .captures(first)
                    .map(|m| m[1].to_string())
                    .unwrap_or_default();
                tf.buckets.push(Bucket {
                    address: format!("{rtype}.{name}"),
                    name: literal,
                    line: base + 1,
                    lifecycle: first.contains("lifecycle_rule")
                        && crate::workspace::storage::terraform_deletes(first),
                });
            }
            continue;
        }
        // The common heredoc policy is read as JSON without parsing the block as HCL.
        if let Some(c) = POLICY_BLOCK.captures(first) {
            let rtype = c.get(1).map_or("", |m| m.as_str());
            if let Some(grants) = heredoc_policy(first, rtype, "", base) {
                tf.grants.extend(grants);
                continue;
            }
        }
        let parsed = ends.iter().find_map(|&end| {
            let part = &text[start..end];
            hcl::edit::parser::parse_body(part).ok().map(|body| (part, body))
        });
        let Some((part, body)) = parsed else {
            let header = text[start..]
                .lines()
                .next()
                .unwrap_or("")
                .trim_end_matches('{')
                .trim();
            tf.errors
                .push(format!("HCL parse error in `{header}` at line {}", base + 1));
            continue;
        };
        let (first_grant, first_trust) = (tf.grants.len(), tf.trusts.len());
        for st in body.iter() {
            let Structure::Block(b) = st else { continue };
            block_grants(part, b, &mut tf);
        }
        for g in &mut tf.grants[first_grant..] {
            g.line += base;
            g.action_lines.iter_mut().for_each(|(l, _)| *l += base);
        }
        tf.trusts[first_trust..].iter_mut().for_each(|t| t.line += base);
    }
    for bkt in &mut tf.buckets {
        let reference = format!("{}.", bkt.address);
        if lifecycle_refs.iter().any(|r| {
            r.contains(&reference) || (!bkt.name.is_empty() && r.contains(&format!("\"{}\"", bkt.name)))
        }) {
            bkt.lifecycle = true;
        }
    }
    tf
}

static POLICY_BLOCK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"^(?:resource[ \t]+"(aws_iam_policy|aws_iam_role_policy|aws_iam_user_policy|aws_iam_group_policy)"|data[ \t]+"(aws_iam_policy_document)")[ \t]+"([^"]+)""#)
        .unwrap_or_else(|_| unreachable!())
});

/// The common case without a parser: `policy = <<EOF` followed by a JSON document. `None`
/// when the block is written otherwise (then it is parsed as HCL).
fn heredoc_policy(block: &str, rtype: &str, _data: &str, base: u32) -> Option<Vec<Grant>> {
    static HEREDOC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)^[ \t]*policy[ \t]*=[ \t]*<<-?([A-Za-z_]+)[ \t]*\r?$")
            .unwrap_or_else(|_| unreachable!())
    });
    if rtype.is_empty() {
        return None;
    }
    let c = HEREDOC.captures(block)?;
    let body_start = c.get(0)?.end() + 1;
    let delim = &c[1];
    let body_len = block
        .get(body_start..)?
        .split_inclusive('\n')
        .take_while(|l| l.trim() != delim)
        .map(str::len)
        .sum::<usize>();
    let body = block.get(body_start..body_start + body_len)?;
    let json: Json = serde_json::from_str(body).ok()?;
    let name = POLICY_BLOCK.captures(block).map(|c| c[3].to_string())?;
    let line = base + u32::try_from(block[..c.get(0)?.start()].matches('\n').count() + 1).unwrap_or(1);
    let lines = json_statement_lines(body, line);
    let mut out = Vec::new();
    statements_of(&json, &format!("{rtype}.{name}"), line, &lines, &mut out);
    if matches!(rtype, "aws_iam_user_policy" | "aws_iam_group_policy") {
        let who = if rtype == "aws_iam_user_policy" {
            "iam user"
        } else {
            "iam group"
        };
        out.iter_mut().for_each(|g| g.principals = vec![who.to_string()]);
    }
    static HOLDER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)^[ \t]*(?:role|user|group)[ \t]*=[ \t]*([^\r\n#]+)")
            .unwrap_or_else(|_| unreachable!())
    });
    // Only the attributes before the heredoc: its body is JSON, not HCL.
    if let Some(h) = HOLDER.captures(&block[..c.get(0)?.start()]) {
        let holder = reference(&h[1]);
        out.iter_mut().for_each(|g| g.holder = Some(holder.clone()));
    }
    Some(out)
}

static JIT_HEADER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r#"^resource[ \t]+"((?:opal|sym|conductorone|indent|teleport)_[a-z0-9_]+|google_privileged_access_manager_entitlement|azurerm_pim_eligible_role_assignment|azuread_privileged_access_group_eligibility_schedule)"[ \t]+"([^"]+)""#,
    )
    .unwrap_or_else(|_| unreachable!())
});

static STORAGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"^resource[ \t]+"(aws_s3_bucket|aws_s3_bucket_lifecycle_configuration|google_storage_bucket|azurerm_storage_container|azurerm_storage_account|azurerm_storage_management_policy)"[ \t]+"([^"]+)""#)
        .unwrap_or_else(|_| unreachable!())
});
static BUCKET_NAME: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?m)^[ \t]+(?:bucket|name)[ \t]*=[ \t]*"([^"$]+)""#)
        .unwrap_or_else(|_| unreachable!())
});

/// A Terraform reference reduced to the object it names: `aws_iam_role.trainer.id` →
/// `aws_iam_role.trainer`, `data.aws_iam_policy_document.x.json` →
/// `data.aws_iam_policy_document.x`, `module.iam.role_arn` → `module.iam`; a literal
/// (`"trainer-role"`) stays itself.
pub fn reference(src: &str) -> String {
    let s = src.trim().trim_matches('"');
    let s = s
        .strip_prefix("${")
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s)
        .trim();
    let resource_like = |t: &str| {
        t.contains('_')
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let first = s.split('.').next().unwrap_or("");
    let keep = if first == "data" {
        3
    } else if matches!(first, "module" | "var" | "local") || resource_like(first) {
        2
    } else {
        return s.to_string();
    };
    let parts: Vec<&str> = s.splitn(keep + 1, '.').take(keep).collect();
    // Strip an index (`aws_iam_role.trainer[0]`).
    parts
        .iter()
        .map(|p| p.split('[').next().unwrap_or(p))
        .collect::<Vec<_>>()
        .join(".")
}

/// The evidence line of each statement of a policy written as `jsonencode({ Statement = [
/// {...}, {...} ] })` or as a heredoc of JSON: the statement's first action holding a
/// wildcard, else its `Action` line (what an auditor or a code-scanning annotation needs),
/// not `policy =`. Empty for other shapes.
fn statement_lines(text: &str, e: &Expression) -> Vec<(u32, Vec<u32>)> {
    if let Expression::HeredocTemplate(_) = e {
        let Some(span) = e.span() else { return Vec::new() };
        let src = source(text, Some(span.clone()));
        // The body starts on the line after `<<EOF`.
        let Some(nl) = src.find('\n') else {
            return Vec::new();
        };
        return json_statement_lines(&src[nl + 1..], line_at(text, span.start + nl + 1) - 1);
    }
    let arg = match e {
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" => f.args.iter().next(),
        _ => None,
    };
    let Some(Expression::Object(o)) = arg else {
        return Vec::new();
    };
    let stmts = o
        .iter()
        .find_map(|(k, v)| key_is(k, "statement").then(|| v.expr()));
    let statement_line = |x: &Expression| {
        let Expression::Object(st) = x else {
            return (span_line(text, x.span()), Vec::new());
        };
        let action = st
            .iter()
            .find(|(k, _)| key_is(k, "action") || key_is(k, "notaction"))
            .map(|(_, v)| v.expr());
        match action {
            Some(Expression::Array(items)) => (
                items
                    .iter()
                    .find(|i| matches!(i, Expression::String(s) if s.value().contains('*')))
                    .or_else(|| items.iter().next())
                    .map_or_else(|| span_line(text, x.span()), |i| span_line(text, i.span())),
                items.iter().map(|i| span_line(text, i.span())).collect(),
            ),
            Some(a) => (span_line(text, a.span()), vec![span_line(text, a.span())]),
            None => (span_line(text, x.span()), Vec::new()),
        }
    };
    match stmts {
        Some(Expression::Array(a)) => a.iter().map(statement_line).collect(),
        Some(x @ Expression::Object(_)) => vec![statement_line(x)],
        _ => Vec::new(),
    }
}

fn key_is(k: &ObjectKey, want: &str) -> bool {
    match k {
        ObjectKey::Ident(i) => i.as_str().eq_ignore_ascii_case(want),
        ObjectKey::Expression(Expression::String(s)) => s.value().eq_ignore_ascii_case(want),
        ObjectKey::Expression(_) => false,
    }
}

/// The evidence line of each statement of a JSON policy document whose first line is file
/// line `offset + 1` (see [`statement_lines`]).
fn json_statement_lines(json: &str, offset: u32) -> Vec<(u32, Vec<u32>)> {
    use crate::workspace::node::{Node, Value};
    let Ok(doc) = Node::from_json(json) else {
        return Vec::new();
    };
    let items: Vec<&Node> = match doc.get("Statement").map(|s| &s.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        Some(Value::Map(_)) => doc.get("Statement").into_iter().collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| {
            (
                super::structured::action_line(s) + offset,
                super::structured::action_lines(s)
                    .into_iter()
                    .map(|l| l + offset)
                    .collect(),
            )
        })
        .collect()
}

/// The `condition { ... }` block of a statement or binding, whitespace collapsed (time
/// bounds such as `aws:CurrentTime` or `request.time` are read from it).
fn condition_block(text: &str, b: &Block) -> Option<String> {
    b.body.iter().find_map(|s| match s {
        Structure::Block(c) if c.ident.as_str() == "condition" => Some(
            source(text, c.span())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    })
}

fn attr<'a>(b: &'a Block, key: &str) -> Option<&'a hcl::edit::structure::Attribute> {
    b.body
        .iter()
        .find_map(|s| s.as_attribute().filter(|a| a.key.as_str() == key))
}

/// The line of attribute `key` (0 when absent): a grant of a role or managed policy cites
/// the line naming it.
fn attr_line(text: &str, b: &Block, key: &str) -> u32 {
    attr(b, key).map_or(0, |a| span_line(text, a.span()))
}

fn attr_strings(text: &str, b: &Block, key: &str) -> Vec<String> {
    attr(b, key)
        .map(|a| strings(Some(&to_json(text, &a.value))))
        .unwrap_or_default()
}

/// AWS managed policy ARNs written anywhere in a block's attributes: module inputs such as
/// `iam_role_additional_policies` or `role_policy_arns` of the terraform-aws-modules, which
/// are how most teams attach policies.
fn managed_policy_refs(text: &str, b: &Block, address: &str, out: &mut Vec<Grant>) {
    for s in b.body.iter() {
        let Some(a) = s.as_attribute() else { continue };
        if a.key.as_str() == "policy_arn" || a.key.as_str() == "managed_policy_arns" {
            continue; // read by the resource-specific rules
        }
        let mut found = Vec::new();
        collect_arns(&to_json(text, &a.value), &mut found);
        for arn in found {
            let policy = arn.rsplit('/').next().unwrap_or(&arn).to_string();
            out.push(Grant::new(
                format!("{address} ({})", a.key.as_str()),
                span_line(text, a.span()),
                GrantKind::ManagedPolicy,
                vec![policy],
            ));
        }
    }
}

/// Policy documents passed to a module: an input holding a `Statement` list (`policy =
/// jsonencode({...})`), or a list of statement objects with `actions` (the
/// `inline_policy_statements` / `policy_statements` inputs of terraform-aws-modules).
fn module_policies(text: &str, b: &Block, address: &str, out: &mut Vec<Grant>) {
    for s in b.body.iter() {
        let Some(a) = s.as_attribute() else { continue };
        let key = a.key.as_str();
        let value = to_json(text, &a.value);
        let at = format!("{address} ({key})");
        if value.get("Statement").is_some() || value.get("statement").is_some() {
            let lines = statement_lines(text, &a.value);
            statements_of(&value, &at, span_line(text, a.span()), &lines, out);
            continue;
        }
        let Json::Array(items) = &value else { continue };
        let Expression::Array(exprs) = &a.value else {
            continue;
        };
        for (item, expr) in items.iter().zip(exprs.iter()) {
            let Some(m) = item.as_object() else { continue };
            if get(m, &["effect"])
                .and_then(Json::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case("deny"))
            {
                continue;
            }
            let actions = strings(get(m, &["actions", "Action"]));
            if actions.is_empty() {
                continue;
            }
            out.push(Grant {
                resources: strings(get(m, &["resources", "Resource"])),
                condition: get(m, &["condition", "conditions", "Condition"]).map(Json::to_string),
                ..Grant::new(
                    at.clone(),
                    span_line(text, expr.span()),
                    GrantKind::Statement,
                    actions,
                )
            });
        }
    }
}

fn collect_arns(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) if s.starts_with("arn:aws:iam::aws:policy/") => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| collect_arns(x, out)),
        Json::Object(m) => m.values().for_each(|x| collect_arns(x, out)),
        _ => {}
    }
}

/// The statements of a `policy = ...` attribute (jsonencode, heredoc or string JSON), each
/// at its line and held by `holder`; `policy = data.aws_iam_policy_document.x.json` links
/// that document to the holder (or, with none, to the policy at `address`).
fn policy_attribute(
    text: &str,
    a: &hcl::edit::structure::Attribute,
    address: &str,
    holder: Option<String>,
    out: &mut Vec<Grant>,
    links: &mut Vec<Link>,
) {
    let first = out.len();
    let lines = statement_lines(text, &a.value);
    statements_of(
        &to_json(text, &a.value),
        address,
        span_line(text, a.span()),
        &lines,
        out,
    );
    for g in &mut out[first..] {
        g.holder.clone_from(&holder);
    }
    let src = source(text, a.value.span());
    if src.trim_start().starts_with("data.") {
        links.push(Link {
            from: reference(src),
            to: holder.unwrap_or_else(|| address.to_string()),
            people: false,
        });
    }
}

/// What one parsed top-level block grants, links or trusts (lines relative to the block).
fn block_grants(text: &str, b: &Block, tf: &mut Terraform) {
    let kind = b.ident.as_str();
    let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
    if kind == "module" {
        if let Some(name) = labels.first() {
            let address = format!("module.{name}");
            managed_policy_refs(text, b, &address, &mut tf.grants);
            module_policies(text, b, &address, &mut tf.grants);
        }
        return;
    }
    let (Some(rtype), Some(name)) = (labels.first(), labels.get(1)) else {
        return;
    };
    let address = if kind == "data" {
        format!("data.{rtype}.{name}")
    } else {
        format!("{rtype}.{name}")
    };
    match (kind, *rtype) {
        (
            "resource",
            "aws_iam_policy" | "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy",
        ) => inline_policy(text, b, rtype, &address, tf),
        ("data", "aws_iam_policy_document") => policy_document(text, b, &address, tf),
        ("resource", t) if t.starts_with("aws_iam_") && t.ends_with("policy_attachment") => {
            attachment(text, b, rtype, &address, tf);
        }
        ("resource", "aws_iam_role") => role(text, b, &address, tf),
        (
            "resource",
            "aws_ssoadmin_managed_policy_attachment" | "aws_ssoadmin_permission_set_inline_policy",
        ) => {
            sso(text, b, &address, tf);
        }
        ("resource", t)
            if t.starts_with("google_") && (t.ends_with("_iam_member") || t.ends_with("_iam_binding")) =>
        {
            let condition = condition_block(text, b);
            let mut principals = attr_strings(text, b, "member");
            principals.extend(attr_strings(text, b, "members"));
            let line = span_line(text, b.span());
            let at = attr_line(text, b, "role");
            for role in attr_strings(text, b, "role") {
                if t.starts_with("google_service_account_iam_") && impersonation(&role) {
                    // Who may act as the service account: its trust, as an AWS role's
                    // assume-role policy is.
                    if let Some(sa) = attr(b, "service_account_id") {
                        tf.trusts.push(Trust {
                            role: reference(source(text, sa.value.span())),
                            // The member line: who is trusted.
                            line: attr_line(text, b, "member")
                                .max(attr_line(text, b, "members"))
                                .max(line),
                            principals: principals
                                .iter()
                                .map(|m| Principal {
                                    kind: "gcp".into(),
                                    id: m.clone(),
                                })
                                .collect(),
                            condition: condition.clone(),
                        });
                    }
                }
                tf.grants.push(Grant {
                    condition: condition.clone(),
                    principals: principals.clone(),
                    action_lines: vec![(at, String::new())],
                    ..Grant::new(address.clone(), line, GrantKind::Role, vec![role])
                });
            }
        }
        ("resource", "azurerm_role_assignment") => {
            let line = span_line(text, b.span());
            let at = attr_line(text, b, "role_definition_name");
            // Assignments to users and groups are grants to people.
            let principals = match attr_strings(text, b, "principal_type")
                .first()
                .map(String::as_str)
            {
                Some("User") => vec!["azure user".to_string()],
                Some("Group") => vec!["azure group".to_string()],
                _ => Vec::new(),
            };
            for role in attr_strings(text, b, "role_definition_name") {
                tf.grants.push(Grant {
                    principals: principals.clone(),
                    action_lines: vec![(at, String::new())],
                    resources: attr_strings(text, b, "scope"),
                    holder: attr(b, "principal_id").map(|a| reference(source(text, a.value.span()))),
                    ..Grant::new(address.clone(), line, GrantKind::Role, vec![role])
                });
            }
        }
        _ => {}
    }
}

/// `aws_iam_policy`, `aws_iam_{role,user,group}_policy`: a policy document, held by the
/// role, user or group the block names.
fn inline_policy(text: &str, b: &Block, rtype: &str, address: &str, tf: &mut Terraform) {
    let holder = ["role", "user", "group"]
        .iter()
        .find_map(|k| attr(b, k).map(|a| reference(source(text, a.value.span()))));
    let Some(a) = attr(b, "policy") else { return };
    let first = tf.grants.len();
    policy_attribute(text, a, address, holder, &mut tf.grants, &mut tf.links);
    let who = match rtype {
        "aws_iam_user_policy" => "iam user",
        "aws_iam_group_policy" => "iam group",
        _ => return,
    };
    tf.grants[first..]
        .iter_mut()
        .for_each(|g| g.principals = vec![who.to_string()]);
}

/// `data "aws_iam_policy_document"`: its `statement` blocks; one with `principals` belongs
/// to a resource or trust policy and is read as a [`Trust`].
fn policy_document(text: &str, b: &Block, address: &str, tf: &mut Terraform) {
    for s in b.body.iter() {
        let Structure::Block(st) = s else { continue };
        if st.ident.as_str() != "statement" {
            continue;
        }
        let effect = attr_strings(text, st, "effect");
        if effect.first().is_some_and(|e| e.eq_ignore_ascii_case("deny")) {
            continue;
        }
        let condition = condition_block(text, st);
        let principals: Vec<Principal> = st
            .body
            .iter()
            .filter_map(|p| match p {
                Structure::Block(p) if p.ident.as_str() == "principals" => Some(p),
                _ => None,
            })
            .flat_map(|p| {
                let kind = attr_strings(text, p, "type")
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                attr_strings(text, p, "identifiers")
                    .into_iter()
                    .map(move |id| Principal {
                        kind: kind.clone(),
                        id,
                    })
            })
            .collect();
        let has_principals = st.body.iter().any(|p| {
            matches!(p, Structure::Block(p) if p.ident.as_str() == "principals" || p.ident.as_str() == "not_principals")
        });
        if has_principals {
            let assume = attr_strings(text, st, "actions")
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("sts:assumerole"));
            if assume && !principals.is_empty() {
                tf.trusts.push(Trust {
                    role: address.to_string(),
                    line: span_line(text, st.span()),
                    principals,
                    condition,
                });
            }
            continue;
        }
        let mut actions = attr_strings(text, st, "actions");
        if actions.is_empty() && attr(st, "not_actions").is_some() {
            actions = vec!["* (not_actions)".into()];
        }
        let resources = attr_strings(text, st, "resources");
        let sid = attr_strings(text, st, "sid");
        let addr = match sid.first() {
            Some(sid) => format!("{address} ({sid})"),
            None => address.to_string(),
        };
        let at = match attr(st, "actions").or_else(|| attr(st, "not_actions")) {
            Some(a) => match &a.value {
                Expression::Array(items) => items
                    .iter()
                    .find(|i| matches!(i, Expression::String(s) if s.value().contains('*')))
                    .map_or_else(|| span_line(text, a.span()), |i| span_line(text, i.span())),
                v => span_line(text, v.span()),
            },
            None => span_line(text, st.span()),
        };
        let action_lines = match attr(st, "actions").map(|a| &a.value) {
            Some(Expression::Array(items)) if items.len() == actions.len() => items
                .iter()
                .map(|i| (span_line(text, i.span()), String::new()))
                .collect(),
            _ => Vec::new(),
        };
        tf.grants.push(Grant {
            resources,
            condition,
            action_lines,
            ..Grant::new(addr, at, GrantKind::Statement, actions)
        });
    }
}

/// `aws_iam_*_policy_attachment`: a managed policy (a grant) or the module's own policy (a
/// link) attached to roles, users or groups.
fn attachment(text: &str, b: &Block, rtype: &str, address: &str, tf: &mut Terraform) {
    // Who receives it: `role`/`user`/`group`, or the lists of `aws_iam_policy_attachment`.
    let mut holders: Vec<(String, bool)> = Vec::new();
    for k in ["role", "user", "group", "roles", "users", "groups"] {
        let people = !k.starts_with("role");
        if let Some(a) = attr(b, k) {
            match &a.value {
                Expression::Array(items) => {
                    holders.extend(items.iter().map(|x| (reference(source(text, x.span())), people)));
                }
                v => holders.push((reference(source(text, v.span())), people)),
            }
        }
    }
    if let Some(a) = attr(b, "policy_arn") {
        let src = source(text, a.value.span());
        if !src.contains(":aws:policy/") {
            for (h, people) in &holders {
                tf.links.push(Link {
                    from: reference(src),
                    to: h.clone(),
                    people: *people,
                });
            }
        }
    }
    let line = span_line(text, b.span());
    for arn in attr_strings(text, b, "policy_arn") {
        if arn.contains(":aws:policy/") || arn.starts_with("arn:aws:iam::aws:") {
            let policy = arn.rsplit('/').next().unwrap_or(&arn).to_string();
            let principals = match rtype {
                "aws_iam_user_policy_attachment" => vec!["iam user".to_string()],
                "aws_iam_group_policy_attachment" => vec!["iam group".to_string()],
                _ => Vec::new(),
            };
            tf.grants.push(Grant {
                principals,
                action_lines: vec![(attr_line(text, b, "policy_arn"), String::new())],
                holder: holders.first().map(|(h, _)| h.clone()),
                ..Grant::new(address, line, GrantKind::ManagedPolicy, vec![policy])
            });
        }
    }
}

/// GCP roles that let a member act as a service account (impersonate it, or federate
/// into it from Kubernetes or CI).
fn impersonation(role: &str) -> bool {
    matches!(
        role,
        "roles/iam.workloadIdentityUser"
            | "roles/iam.serviceAccountTokenCreator"
            | "roles/iam.serviceAccountUser"
            | "roles/iam.serviceAccountOpenIdTokenCreator"
    )
}

/// AWS IAM Identity Center (SSO): a permission set is assumed by people only, so its managed
/// policies and inline policy are grants to people, held by the permission set.
fn sso(text: &str, b: &Block, address: &str, tf: &mut Terraform) {
    let holder = attr(b, "permission_set_arn").map(|a| reference(source(text, a.value.span())));
    let people = vec!["sso permission set".to_string()];
    let first = tf.grants.len();
    if let Some(a) = attr(b, "inline_policy") {
        policy_attribute(text, a, address, holder.clone(), &mut tf.grants, &mut tf.links);
    }
    let at = attr_line(text, b, "managed_policy_arn");
    for arn in attr_strings(text, b, "managed_policy_arn") {
        let policy = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        tf.grants.push(Grant {
            holder: holder.clone(),
            action_lines: vec![(at, String::new())],
            ..Grant::new(
                address,
                span_line(text, b.span()),
                GrantKind::ManagedPolicy,
                vec![policy],
            )
        });
    }
    tf.grants[first..]
        .iter_mut()
        .for_each(|g| g.principals.clone_from(&people));
}

/// `aws_iam_role`: its trust policy (`assume_role_policy`), managed policies and inline
/// policies.
fn role(text: &str, b: &Block, address: &str, tf: &mut Terraform) {
    let line = span_line(text, b.span());
    if let Some(a) = attr(b, "assume_role_policy") {
        let src = source(text, a.value.span());
        if src.trim_start().starts_with("data.") {
            tf.links.push(Link {
                from: reference(src),
                to: address.to_string(),
                people: false,
            });
        } else {
            let lines: Vec<u32> = statement_lines(text, &a.value).into_iter().map(|l| l.0).collect();
            super::trusts_of(
                &to_json(text, &a.value),
                address,
                span_line(text, a.span()),
                &lines,
                &mut tf.trusts,
            );
        }
    }
    for p in attr_strings(text, b, "managed_policy_arns") {
        if !p.starts_with("arn:") {
            // A customer policy (`aws_iam_policy.ml.arn`) attached to this role.
            tf.links.push(Link {
                from: reference(&p),
                to: address.to_string(),
                people: false,
            });
            continue;
        }
        let policy = p.rsplit('/').next().unwrap_or(&p).to_string();
        tf.grants.push(Grant {
            holder: Some(address.to_string()),
            ..Grant::new(address, line, GrantKind::ManagedPolicy, vec![policy])
        });
    }
    // `inline_policy { policy = jsonencode(...) }` blocks.
    for s in b.body.iter() {
        let Structure::Block(ip) = s else { continue };
        if ip.ident.as_str() != "inline_policy" {
            continue;
        }
        if let Some(a) = attr(ip, "policy") {
            policy_attribute(
                text,
                a,
                address,
                Some(address.to_string()),
                &mut tf.grants,
                &mut tf.links,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TF: &str = r#"
resource "aws_iam_policy" "ml_training" {
  name = "ml-training"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sagemaker:*"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy" "logs" {
  role   = aws_iam_role.app.id
  policy = <<EOT
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "${aws_s3_bucket.datasets.arn}/*"}]}
EOT
}

data "aws_iam_policy_document" "serving" {
  statement {
    actions   = ["bedrock:InvokeModel"]
    resources = ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3"]
  }
  statement {
    sid       = "Everything"
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.deployer.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "google_project_iam_member" "ml" {
  project = var.project
  role    = "roles/aiplatform.admin"
  member  = "user:dev@example.com"
}
"#;

    #[test]
    fn policies_are_joined_to_the_identities_holding_them() {
        let tf = terraform(
            r#"
resource "aws_iam_policy" "release" {
  policy = data.aws_iam_policy_document.release.json
}
resource "aws_iam_role_policy_attachment" "release" {
  role       = aws_iam_role.ml["a"].name
  policy_arn = aws_iam_policy.release.arn
}
resource "aws_iam_policy_attachment" "many" {
  roles      = [aws_iam_role.a.name, "literal-role"]
  policy_arn = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
}
resource "aws_iam_role" "r" {
  managed_policy_arns = [aws_iam_policy.release.arn]
  inline_policy {
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
  }
}
"#,
        );
        let links: Vec<(&str, &str)> = tf
            .links
            .iter()
            .map(|l| (l.from.as_str(), l.to.as_str()))
            .collect();
        assert_eq!(
            links,
            vec![
                ("data.aws_iam_policy_document.release", "aws_iam_policy.release"),
                ("aws_iam_policy.release", "aws_iam_role.ml"),
                ("aws_iam_policy.release", "aws_iam_role.r"),
            ]
        );
        let holders: Vec<Option<&str>> = tf.grants.iter().map(|g| g.holder.as_deref()).collect();
        assert_eq!(holders, vec![Some("aws_iam_role.a"), Some("aws_iam_role.r")]);
        assert_eq!(tf.grants[1].line, 16);
    }

    #[test]
    fn trust_policies_are_read_not_granted() {
        let tf = terraform(
            r#"resource "aws_iam_role" "trainer" {
  name = "trainer"
  assume_role_policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = ["sagemaker.amazonaws.com"], AWS = "arn:aws:iam::123456789012:user/alice" }
    }]
  })
}
resource "aws_iam_role" "ci" {
  assume_role_policy = data.aws_iam_policy_document.github.json
}
data "aws_iam_policy_document" "github" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github.arn]
    }
  }
}
"#,
        );
        assert!(tf.grants.is_empty(), "{:?}", tf.grants);
        type Row<'a> = (&'a str, u32, Vec<(&'a str, &'a str)>);
        let got: Vec<Row> = tf
            .trusts
            .iter()
            .map(|t| {
                (
                    t.role.as_str(),
                    t.line,
                    t.principals
                        .iter()
                        .map(|p| (p.kind.as_str(), p.id.as_str()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "aws_iam_role.trainer",
                    6,
                    vec![
                        ("Service", "sagemaker.amazonaws.com"),
                        ("AWS", "arn:aws:iam::123456789012:user/alice")
                    ]
                ),
                (
                    "data.aws_iam_policy_document.github",
                    15,
                    vec![("Federated", "aws_iam_openid_connect_provider.github.arn")]
                ),
            ]
        );
        assert_eq!(tf.links[0].from, "data.aws_iam_policy_document.github");
        assert_eq!(tf.links[0].to, "aws_iam_role.ci");
    }

    #[test]
    fn terraform_grants_with_lines() {
        let g = terraform(TF).grants;
        let got: Vec<(String, u32, Vec<String>)> = g
            .iter()
            .map(|g| (g.address.clone(), g.line, g.actions.clone()))
            .collect();
        assert_eq!(
            got[0],
            ("aws_iam_policy.ml_training".into(), 8, vec!["sagemaker:*".into()]),
            "a jsonencode statement is reported at its Action line"
        );
        assert_eq!(got[1].0, "aws_iam_role_policy.logs");
        assert_eq!(
            g[1].holder.as_deref(),
            Some("aws_iam_role.app"),
            "heredoc policy's role"
        );
        assert_eq!(got[1].2, vec!["s3:*".to_string()]);
        assert_eq!(got[1].1, 17, "a heredoc statement, at its line in the body");
        assert_eq!(
            got[2],
            (
                "data.aws_iam_policy_document.serving".into(),
                23,
                vec!["bedrock:InvokeModel".into()]
            )
        );
        assert_eq!(
            got[3],
            (
                "data.aws_iam_policy_document.serving (Everything)".into(),
                28,
                vec!["*".into()]
            )
        );
        assert_eq!(
            got[4],
            (
                "aws_iam_role_policy_attachment.admin".into(),
                33,
                vec!["AdministratorAccess".into()]
            )
        );
        assert_eq!(
            got[5],
            (
                "google_project_iam_member.ml".into(),
                38,
                vec!["roles/aiplatform.admin".into()]
            )
        );
    }

    #[test]
    fn terraform_011_is_a_parse_error_not_a_panic() {
        let tf = terraform("resource \"aws_iam_policy\" \"y\" {\n  policy = \"${var.b*\"\n}\n");
        assert_eq!(
            tf.errors,
            vec!["HCL parse error in `resource \"aws_iam_policy\" \"y\"` at line 1".to_string()]
        );
    }
}

#[cfg(test)]
mod bucket_tests {
    #[test]
    fn buckets_and_lifecycle() {
        let tf = "resource \"aws_s3_bucket\" \"training_data\" {\n  bucket = \"acme-training-data\"\n}\n\nresource \"aws_s3_bucket\" \"www\" {\n  bucket = \"acme-www\"\n}\n\nresource \"aws_s3_bucket_lifecycle_configuration\" \"www\" {\n  bucket = aws_s3_bucket.www.id\n  rule {\n    status = \"Enabled\"\n    expiration { days = 30 }\n  }\n}\n";
        let b = super::terraform(tf).buckets;
        let got: Vec<(String, u32, bool)> = b
            .iter()
            .map(|b| (b.address.clone(), b.line, b.lifecycle))
            .collect();
        assert_eq!(
            got,
            vec![
                ("aws_s3_bucket.training_data".into(), 1, false),
                ("aws_s3_bucket.www".into(), 5, true)
            ]
        );
    }
}

#[cfg(test)]
mod module_tests {
    #[test]
    fn managed_policies_passed_to_modules() {
        let tf = "module \"emr\" {\n  source = \"x\"\n  iam_role_additional_policies = [\"arn:aws:iam::aws:policy/AmazonS3FullAccess\"]\n}\n";
        let g = super::terraform(tf).grants;
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].address.as_str(), g[0].line, g[0].actions[0].as_str()),
            (
                "module.emr (iam_role_additional_policies)",
                3,
                "AmazonS3FullAccess"
            )
        );
    }
}
