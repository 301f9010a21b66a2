//! Exported IAM identities: which user, group or role holds which policy.
//!
//! Companies hand auditors (and keep in their compliance repositories) the output of
//! `aws iam get-account-authorization-details`, or one file per identity and per policy
//! (`iam/groups/ml-engineers.json`, `iam/policies/ml-data-access.json`). A policy file on its
//! own says what is granted but not to whom; the identity files say who holds which policy,
//! by name. This module reads both halves from each file, and [`join`] connects them across
//! folders after the walk, so a finding names the group or role that holds a policy rather
//! than the policy file.
//!
//! Shapes read: any map with `UserName`, `GroupName` or `RoleName` (the detail lists of the
//! authorization export, `get-user`/`get-group`/`get-role` output, hand-written inventories)
//! with `AttachedManagedPolicies`/`AttachedPolicies` and inline `*PolicyList` entries; a
//! top-level `AttachedPolicies` list (`list-attached-group-policies` output), whose identity
//! is named by the file; policies named by `PolicyName` next to their document, and a policy
//! file named by its file name.

use super::{Grant, GrantKind, Link};
use crate::workspace::node::{Node, Value};

/// A policy attached by name to an exported identity, to be joined with the policy's
/// document wherever it is ([`join`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The identity as findings name it: `IAM group ml-engineers`, or a role's name (as
    /// its trust policy names it).
    pub identity: String,
    pub people: bool,
    /// The policy's name (`ml-data-access`, the last segment of its ARN).
    pub policy: String,
}

/// What one exported file says about identities.
#[derive(Debug, Default)]
pub struct Exported {
    /// `(policy name, holder)`: the holder string the file's grants carry.
    pub names: Vec<(String, String)>,
    pub attachments: Vec<Attachment>,
    /// Inline policies of an identity in the same file.
    pub links: Vec<Link>,
    /// AWS managed policies attached to an identity.
    pub grants: Vec<Grant>,
}

/// Identities, their attachments and the policy names in one parsed export.
pub fn exported(doc: &Node, file: &str) -> Exported {
    let mut out = Exported::default();
    if doc.get("Statement").is_some() || doc.get("PolicyVersion").is_some() {
        // A policy export: the file is one policy, named by its file name.
        out.names.push((stem(file).to_string(), file.to_string()));
    }
    if doc.get("UserName").is_none() && doc.get("GroupName").is_none() && doc.get("RoleName").is_none() {
        // `list-attached-group-policies` output: the file names the identity.
        if let Some(list) = doc
            .get("AttachedPolicies")
            .or_else(|| doc.get("AttachedManagedPolicies"))
        {
            let lower = file.to_ascii_lowercase();
            let kind = ["group", "user", "role"].into_iter().find(|k| lower.contains(k));
            if let Some(kind) = kind {
                attached(list, &label(kind, stem(file)), kind != "role", &mut out);
            }
        }
    }
    walk(doc, "", &mut out, 0);
    out
}

/// The file name without its folders and extension.
fn stem(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.split_once('.').map_or(name, |(s, _)| s)
}

/// How findings name an identity: people by kind and name, a role by its name alone (as
/// trust policies and CloudFormation name it, so the two join).
fn label(kind: &str, name: &str) -> String {
    match kind {
        "user" => format!("IAM user {name}"),
        "group" => format!("IAM group {name}"),
        _ => name.to_string(),
    }
}

fn walk(n: &Node, path: &str, out: &mut Exported, depth: usize) {
    if depth > 12 {
        return;
    }
    let entries = match &n.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), out, depth + 1);
            }
            return;
        }
        Value::Map(entries) => entries,
        _ => return,
    };
    let child = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    if let Some(name) = n.get("PolicyName").and_then(Node::as_str) {
        if n.get("PolicyDocument").is_some() {
            out.names.push((name.to_string(), child("PolicyDocument")));
        }
        if let Some(Node {
            value: Value::Seq(versions),
            ..
        }) = n.get("PolicyVersionList")
        {
            for (j, _) in versions.iter().enumerate() {
                out.names.push((
                    name.to_string(),
                    child(&format!("PolicyVersionList[{j}].Document")),
                ));
            }
        }
    }
    let identity = [("UserName", "user"), ("GroupName", "group"), ("RoleName", "role")]
        .into_iter()
        .find_map(|(k, kind)| n.get(k).and_then(Node::as_str).map(|name| (kind, name)));
    if let Some((kind, name)) = identity {
        let who = label(kind, name);
        let people = kind != "role";
        for key in ["AttachedManagedPolicies", "AttachedPolicies"] {
            if let Some(list) = n.get(key) {
                attached(list, &who, people, out);
            }
        }
        for key in ["UserPolicyList", "GroupPolicyList", "RolePolicyList"] {
            let Some(Node {
                value: Value::Seq(items),
                ..
            }) = n.get(key)
            else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                if item.get("PolicyDocument").is_some() {
                    out.links.push(Link {
                        from: child(&format!("{key}[{i}].PolicyDocument")),
                        to: who.clone(),
                        people,
                    });
                }
            }
        }
    }
    for (k, v) in entries {
        walk(v, &child(&k.text), out, depth + 1);
    }
}

/// An `AttachedPolicies` list (`[{PolicyName, PolicyArn}]`, or ARNs): AWS managed policies
/// are grants of the identity; the company's own are attachments to join.
fn attached(list: &Node, who: &str, people: bool, out: &mut Exported) {
    let Value::Seq(items) = &list.value else { return };
    for item in items {
        let arn = item
            .get("PolicyArn")
            .and_then(Node::as_str)
            .or_else(|| item.as_str())
            .unwrap_or("");
        let name = item
            .get("PolicyName")
            .and_then(Node::as_str)
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        if name.is_empty() {
            continue;
        }
        if arn.starts_with("arn:aws:iam::aws:policy/") {
            let principals = if people {
                vec![if who.starts_with("IAM user") {
                    "iam user"
                } else {
                    "iam group"
                }
                .to_string()]
            } else {
                Vec::new()
            };
            out.grants.push(Grant {
                principals,
                holder: Some(who.to_string()),
                ..Grant::new(who, item.line, GrantKind::ManagedPolicy, vec![name.to_string()])
            });
        } else {
            out.attachments.push(Attachment {
                identity: who.to_string(),
                people,
                policy: name.to_string(),
            });
        }
    }
}

/// Joins identities' attachments with the policies named so, anywhere in the same target:
/// `(file of the policy, link from the policy's holder to the identity)`. `names` and
/// `attachments` are per file (`usize` is the file), in walk order, so the result is too.
pub fn join(
    names: &[(usize, u16, String, String)],
    attachments: &[(usize, u16, Attachment)],
) -> Vec<(usize, Link)> {
    let mut by_name: std::collections::HashMap<(u16, String), Vec<usize>> = std::collections::HashMap::new();
    for (i, (_, target, name, _)) in names.iter().enumerate() {
        by_name
            .entry((*target, name.to_ascii_lowercase()))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (_, target, a) in attachments {
        let key = (*target, a.policy.to_ascii_lowercase());
        for &i in by_name.get(&key).into_iter().flatten() {
            let (file, _, _, holder) = &names[i];
            out.push((
                *file,
                Link {
                    from: holder.clone(),
                    to: a.identity.clone(),
                    people: a.people,
                },
            ));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1.from, &a.1.to).cmp(&(b.0, &b.1.from, &b.1.to)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::node::Node;

    #[test]
    fn authorization_details_name_holders_and_policies() {
        let doc = Node::from_json(
            r#"{"GroupDetailList": [{"GroupName": "ml-engineers",
                 "AttachedManagedPolicies": [
                   {"PolicyName": "ml-data-access", "PolicyArn": "arn:aws:iam::123456789012:policy/ml-data-access"},
                   {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}],
                 "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Statement": []}}]}],
               "Policies": [{"PolicyName": "ml-data-access", "PolicyVersionList": [{"Document": {"Statement": []}}]}]}"#,
        )
        .unwrap();
        let e = exported(&doc, "iam/auth.json");
        assert_eq!(
            e.attachments,
            vec![Attachment {
                identity: "IAM group ml-engineers".into(),
                people: true,
                policy: "ml-data-access".into()
            }]
        );
        assert_eq!(e.grants.len(), 1);
        assert_eq!(e.grants[0].principals, vec!["iam group".to_string()]);
        assert_eq!(
            e.links[0].from,
            "GroupDetailList[0].GroupPolicyList[0].PolicyDocument"
        );
        assert!(e.names.contains(&(
            "ml-data-access".into(),
            "Policies[0].PolicyVersionList[0].Document".into()
        )));
    }

    #[test]
    fn a_policy_file_joins_the_group_file_that_attaches_it() {
        let policy = Node::from_json(r#"{"Version": "2012-10-17", "Statement": []}"#).unwrap();
        let group = Node::from_json(
            r#"{"AttachedPolicies": [{"PolicyName": "ml-data-access", "PolicyArn": "arn:aws:iam::1:policy/ml-data-access"}]}"#,
        )
        .unwrap();
        let p = exported(&policy, "exports/policies/ml-data-access.json");
        let g = exported(&group, "exports/groups/ml-engineers.json");
        let names: Vec<_> = p.names.into_iter().map(|(n, h)| (0, 0, n, h)).collect();
        let atts: Vec<_> = g.attachments.into_iter().map(|a| (1, 0, a)).collect();
        let links = join(&names, &atts);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].1.from, "exports/policies/ml-data-access.json");
        assert_eq!(links[0].1.to, "IAM group ml-engineers");
        assert!(links[0].1.people);
    }
}
