//! IAM policy exports and CloudFormation/SAM templates (YAML or JSON): `Statement` lists,
//! `ManagedPolicyArns`, and which roles a template's policies are attached to.

use serde_json::Value as Json;

use super::{statements_of, Grant, GrantKind, JitBlock, Link, Trust};
use crate::workspace::node::{Node, Value};

/// Grants in a JSON or YAML document: IAM policy exports (`Statement` at the top) and
/// CloudFormation/SAM templates (`AWS::IAM::*` resources, managed policy ARNs).
pub fn structured(doc: &Node, file: &str) -> Vec<Grant> {
    let mut out = Vec::new();
    collect(doc, "", &mut out, 0);
    for g in &mut out {
        g.holder = Some(if let Some(rest) = g.address.strip_prefix("Resources.") {
            // CloudFormation: a grant under `Resources.<Name>` is held by that resource (a
            // role, or a policy that `structured_links` joins to its roles).
            rest.split(['.', ' ']).next().unwrap_or(rest).to_string()
        } else if let Some((path, _)) = g.address.split_once(" (") {
            // A policy inside a larger export (`Policies[3].PolicyVersionList[0].Document`).
            path.to_string()
        } else {
            // A policy export: the file is one policy, whoever it is attached to.
            file.to_string()
        });
    }
    // CloudFormation users, groups and SSO permission sets are people.
    if let Some(Node {
        value: Value::Map(resources),
        ..
    }) = doc.get("Resources")
    {
        for g in &mut out {
            let ty = resources
                .iter()
                .find(|(k, _)| Some(k.text.as_str()) == g.holder.as_deref())
                .and_then(|(_, r)| r.get("Type").and_then(Node::as_str));
            let who = match ty {
                Some("AWS::IAM::User") => "iam user",
                Some("AWS::IAM::Group") => "iam group",
                Some("AWS::SSO::PermissionSet") => "sso permission set",
                _ => continue,
            };
            g.principals = vec![who.to_string()];
        }
    }
    out
}

/// CloudFormation `AWS::IAM::Policy`/`ManagedPolicy` resources and the roles, users and
/// groups they name (`Roles: [!Ref Trainer]`), and roles' `ManagedPolicyArns` that
/// reference a policy of the template.
pub fn structured_links(doc: &Node) -> Vec<Link> {
    let mut out = Vec::new();
    let Some(Node {
        value: Value::Map(resources),
        ..
    }) = doc.get("Resources")
    else {
        return out;
    };
    // `!Ref X` is read as the scalar `X`; the JSON form is `{"Ref": "X"}`.
    let name_of = |n: &Node| {
        n.as_str()
            .map(str::to_string)
            .or_else(|| n.get("Ref").and_then(Node::as_str).map(str::to_string))
    };
    for (k, r) in resources {
        let props = r.get("Properties");
        for key in ["Roles", "Users", "Groups"] {
            if let Some(Node {
                value: Value::Seq(items),
                ..
            }) = props.and_then(|p| p.get(key))
            {
                for item in items.iter().filter_map(name_of) {
                    out.push(Link {
                        from: k.text.clone(),
                        to: item,
                        people: key != "Roles",
                    });
                }
            }
        }
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = props.and_then(|p| p.get("ManagedPolicyArns"))
        {
            for item in items.iter().filter_map(name_of) {
                if !item.starts_with("arn:") {
                    out.push(Link {
                        from: item,
                        to: k.text.clone(),
                        people: false,
                    });
                }
            }
        }
    }
    out
}

/// Trust policies in a JSON or YAML document: CloudFormation roles'
/// `AssumeRolePolicyDocument`, exported roles (`aws iam get-role`, the `RoleDetailList` of
/// `get-account-authorization-details`), and a file that is itself a trust policy (named
/// `file`).
pub fn structured_trusts(doc: &Node, file: &str) -> Vec<Trust> {
    let mut out = Vec::new();
    trusts_in(doc, "", &mut out, 0);
    if out.is_empty() && doc.get("Statement").is_some() {
        trust_doc(doc, file, &mut out);
    }
    out
}

fn trusts_in(n: &Node, path: &str, out: &mut Vec<Trust>, depth: usize) {
    if depth > 12 {
        return;
    }
    match &n.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                trusts_in(item, &format!("{path}[{i}]"), out, depth + 1);
            }
        }
        Value::Map(entries) => {
            if let Some(d) = n.get("AssumeRolePolicyDocument") {
                // The role: CloudFormation's logical id, else the exported role's name.
                let role = path
                    .strip_prefix("Resources.")
                    .and_then(|r| r.strip_suffix(".Properties"))
                    .map(str::to_string)
                    .or_else(|| n.get("RoleName").and_then(Node::as_str).map(str::to_string))
                    .unwrap_or_else(|| path.to_string());
                trust_doc(d, &role, out);
            }
            for (k, v) in entries {
                let p = if path.is_empty() {
                    k.text.clone()
                } else {
                    format!("{path}.{}", k.text)
                };
                trusts_in(v, &p, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The trust statements of one policy document node, each at its principal's line.
fn trust_doc(d: &Node, role: &str, out: &mut Vec<Trust>) {
    let items: Vec<&Node> = match d.get("Statement").map(|s| &s.value) {
        Some(Value::Seq(items)) => items.iter().collect(),
        Some(Value::Map(_)) => d.get("Statement").into_iter().collect(),
        _ => return,
    };
    let lines: Vec<u32> = items
        .iter()
        .map(|s| s.get("Principal").map_or(s.line, |p| p.line))
        .collect();
    let json = serde_json::json!({ "Statement": items.iter().map(|s| node_json(s)).collect::<Vec<_>>() });
    super::trusts_of(&json, role, d.line, &lines, out);
}

/// Text that may hold a Teleport role making access requestable (`kind: role` with a
/// `request` or a session TTL): a cheap test before parsing.
pub fn may_be_teleport_role(text: &str) -> bool {
    // Teleport writes `kind: role` in lower case (Kubernetes' is `Role`).
    let role = text.contains("kind: role")
        || text.contains("\"kind\": \"role\"")
        || text.contains("\"kind\":\"role\"");
    role && (text.contains("request") || text.contains("max_session_ttl"))
}

/// A Teleport role (`kind: role`, `spec.allow.request` or `spec.options.max_session_ttl`):
/// a just-in-time mechanism when it lets people request roles (bounded by the request's
/// `max_duration` or the role's `max_session_ttl`) or caps the sessions of a role people
/// reach only through requests. It mentions the roles it makes requestable.
pub fn teleport_role(doc: &Node) -> Option<JitBlock> {
    let kind = doc.get("kind")?;
    if kind.as_str() != Some("role") {
        return None;
    }
    let spec = doc.get("spec")?;
    let request = spec.get("allow").and_then(|a| a.get("request"));
    let ttl = spec.get("options").and_then(|o| o.get("max_session_ttl"));
    if request.is_none() && ttl.is_none() {
        return None;
    }
    let name = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("(unnamed)");
    let mut mentions: Vec<String> = Vec::new();
    for key in ["roles", "search_as_roles"] {
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = request.and_then(|r| r.get(key))
        {
            mentions.extend(items.iter().filter_map(Node::as_str).map(str::to_string));
        }
    }
    let bounded = ttl.is_some() || request.and_then(|r| r.get("max_duration")).is_some();
    Some(JitBlock {
        address: format!("Teleport role {name}"),
        line: kind.line,
        mentions,
        bounded,
        text: String::new(),
    })
}

fn node_json(n: &Node) -> Json {
    match &n.value {
        Value::Null => Json::Null,
        Value::Scalar(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(node_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.text.clone(), node_json(v)))
                .collect(),
        ),
    }
}

fn collect(n: &Node, path: &str, out: &mut Vec<Grant>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Value::Map(entries) = &n.value else {
        if let Value::Seq(items) = &n.value {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{path}[{i}]"), out, depth + 1);
            }
        }
        return;
    };
    if let Some(stmts) = n.get("Statement") {
        let items: Vec<&Node> = match &stmts.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![stmts],
            _ => Vec::new(),
        };
        for (i, s) in items.into_iter().enumerate() {
            let mut tmp = Vec::new();
            let doc = serde_json::json!({ "Statement": [node_json(s)] });
            let sid = s
                .get("Sid")
                .and_then(Node::as_str)
                .map_or_else(|| format!("Statement[{i}]"), |x| format!("Sid {x}"));
            let address = if path.is_empty() {
                sid
            } else {
                format!("{path} ({sid})")
            };
            statements_of(
                &doc,
                &address,
                action_line(s),
                &[(action_line(s), action_lines(s))],
                &mut tmp,
            );
            out.extend(tmp);
        }
    }
    // `ManagedPolicies`: an SSO permission set's.
    for key in ["ManagedPolicyArns", "ManagedPolicies"] {
        if let Some(Node {
            value: Value::Seq(items),
            ..
        }) = n.get(key)
        {
            for item in items {
                if let Some(arn) = item.as_str() {
                    let policy = arn.rsplit('/').next().unwrap_or(arn).to_string();
                    out.push(Grant::new(
                        path.to_string(),
                        item.line,
                        GrantKind::ManagedPolicy,
                        vec![policy],
                    ));
                }
            }
        }
    }
    for (k, v) in entries {
        if k.text == "Statement" {
            continue;
        }
        let p = if path.is_empty() {
            k.text.clone()
        } else {
            format!("{path}.{}", k.text)
        };
        collect(v, &p, out, depth + 1);
    }
}

/// The line a statement is reported at: its first action holding a wildcard (the line an
/// auditor or a code-scanning annotation needs), else its `Action` (or `NotAction`) line,
/// else the statement's first line.
/// The line of each action of a statement, in the order `strings` lists them.
pub(super) fn action_lines(statement: &Node) -> Vec<u32> {
    match statement.get("Action").or_else(|| statement.get("NotAction")) {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items.iter().map(|i| i.line).collect(),
        Some(a) => vec![a.line],
        None => Vec::new(),
    }
}

pub(super) fn action_line(statement: &Node) -> u32 {
    let Some(action) = statement.get("Action").or_else(|| statement.get("NotAction")) else {
        return statement.line;
    };
    if let Value::Seq(items) = &action.value {
        if let Some(w) = items.iter().find(|i| i.as_str().is_some_and(|a| a.contains('*'))) {
            return w.line;
        }
    }
    action.line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_exports_and_cloudformation() {
        let j = Node::from_json("{\"Version\":\"2012-10-17\",\n\"Statement\":[\n{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}").unwrap();
        let g = structured(&j, "p.json");
        assert_eq!((g[0].line, g[0].actions.clone()), (3, vec!["*".to_string()]));
        let y = crate::workspace::node::parse_yaml("Resources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: bedrock:*\n            Resource: '*'\n").unwrap();
        let g = structured(&y, "t.yaml");
        assert_eq!(
            g[0].address,
            "Resources.P.Properties.PolicyDocument (Statement[0])"
        );
        // Reported at the action's line (8), not the statement's first line (7).
        assert_eq!(g[0].line, 8);
        let y = crate::workspace::node::parse_yaml("Statement:\n  - Effect: Allow\n    Action:\n      - s3:GetObject\n      - s3:*\n    Resource: '*'\n").unwrap();
        assert_eq!(
            structured(&y, "t.yaml")[0].line,
            5,
            "the wildcard item of an action list"
        );
    }
}
