//! Access grants read from infrastructure code, with the line of each statement.
//!
//! Terraform is parsed as HCL (hcl-edit, which keeps byte spans): IAM policies written as
//! `jsonencode({...})`, heredoc or string JSON in `aws_iam_policy`, `aws_iam_role_policy`,
//! `aws_iam_user_policy`, `aws_iam_group_policy` and `aws_iam_role` trust policies; the
//! `statement` blocks of `data "aws_iam_policy_document"`; attachments of AWS managed
//! policies; Google `google_*_iam_member`/`_binding` roles; Azure `azurerm_role_assignment`
//! roles. Standalone IAM policy JSON exports and CloudFormation/SAM templates (YAML or
//! JSON) are read from their `Statement` lists. Nothing is evaluated: variables and
//! references stay as their source text, as in any static scanner.

use serde_json::Value as Json;

mod exports;
mod structured;
mod terraform;

pub use exports::{exported, join, Attachment};
pub use structured::{may_be_teleport_role, structured, structured_links, structured_trusts, teleport_role};
pub use terraform::{reference, terraform};

/// One grant: who gets what on which resources.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// `aws_iam_policy.ml_training`, `Resources.TrainerPolicy`, or the file's statement index.
    pub address: String,
    pub line: u32,
    pub kind: GrantKind,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Conditions present (time bounds such as `aws:CurrentTime` or `request.time`).
    pub condition: Option<String>,
    /// Who receives it when the code says (`user:dev@example.com`, `iam user`, `iam group`).
    pub principals: Vec<String>,
    /// The line of each of `actions` and its text (the text is set by the walk), when
    /// known: a finding about one action cites that action's line.
    pub action_lines: Vec<(u32, String)>,
    /// The identity holding it when the code names one: the role, user or group a policy
    /// is written on (`aws_iam_role.trainer`, CloudFormation `TrainerRole`). Policies
    /// attached elsewhere are joined through [`Link`]s.
    pub holder: Option<String>,
}

/// "`from` is granted to `to`": a policy attached to a role (`aws_iam_role_policy_attachment`,
/// `managed_policy_arns`, CloudFormation `Roles:`) or a policy document used by a policy.
/// Addresses are normalised references (`aws_iam_policy.ml`, `data.aws_iam_policy_document.x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// `to` is people: an IAM user or group (Terraform `user`/`group` attachments,
    /// CloudFormation `Users`/`Groups`, exported users and groups).
    pub people: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// An Allow statement of a policy document.
    Statement,
    /// An AWS managed policy attached (`actions` holds its name).
    ManagedPolicy,
    /// A cloud role bound to a principal (`actions` holds the role).
    Role,
}

impl Grant {
    /// A grant with no resources, condition, principals or holder (set those that apply).
    fn new(address: impl Into<String>, line: u32, kind: GrantKind, actions: Vec<String>) -> Self {
        Self {
            address: address.into(),
            line,
            kind,
            actions,
            resources: Vec::new(),
            condition: None,
            principals: Vec::new(),
            holder: None,
            action_lines: Vec::new(),
        }
    }

    /// The line and text citing `action` (one of `actions`), else the grant's own.
    pub fn line_of<'a>(&'a self, action: &str, text: &'a str) -> (u32, &'a str) {
        self.actions
            .iter()
            .position(|a| a == action)
            .and_then(|i| self.action_lines.get(i))
            .filter(|(l, _)| *l > 0)
            .map_or((self.line, text), |(l, t)| (*l, t.as_str()))
    }
}

fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().flat_map(|x| strings(Some(x))).collect(),
        Some(other @ Json::Object(_)) => vec![other.to_string()],
        _ => Vec::new(),
    }
}

fn get<'a>(m: &'a serde_json::Map<String, Json>, keys: &[&str]) -> Option<&'a Json> {
    keys.iter().find_map(|k| {
        m.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    })
}

/// Allow statements of a policy document (JSON value), each reported at its own line when
/// `lines` gives one per statement (a `jsonencode` policy), else at `line`.
fn statements_of(doc: &Json, address: &str, line: u32, lines: &[(u32, Vec<u32>)], out: &mut Vec<Grant>) {
    let Some(obj) = doc.as_object() else { return };
    let stmts = match get(obj, &["Statement"]) {
        Some(Json::Array(a)) => a.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => return,
    };
    for (i, s) in stmts.into_iter().enumerate() {
        let (line, action_lines) = lines.get(i).map_or((line, &[][..]), |(l, a)| (*l, a.as_slice()));
        let Some(m) = s.as_object() else { continue };
        let effect = get(m, &["Effect"]).and_then(Json::as_str).unwrap_or("Allow");
        // A statement naming its `Principal` belongs to a resource policy (a bucket, VPC
        // endpoint or key policy, a role's trust policy): it grants no identity anything
        // by itself, and trust statements are read by [`trusts_of`].
        if !effect.eq_ignore_ascii_case("allow") || get(m, &["Principal", "NotPrincipal"]).is_some() {
            continue;
        }
        let mut actions = strings(get(m, &["Action"]));
        if actions.is_empty() {
            if let Some(na) = get(m, &["NotAction"]) {
                // NotAction with Allow grants everything else: treat as a wildcard.
                actions = vec![format!("* (NotAction {})", strings(Some(na)).join(","))];
            }
        }
        let mut resources = strings(get(m, &["Resource"]));
        if resources.is_empty() {
            if let Some(nr) = get(m, &["NotResource"]) {
                // NotResource with Allow grants every other resource.
                resources = vec![format!("* (NotResource {})", strings(Some(nr)).join(","))];
            }
        }
        let condition = get(m, &["Condition"]).map(Json::to_string);
        let action_lines = if action_lines.len() == actions.len() {
            action_lines.iter().map(|&l| (l, String::new())).collect()
        } else {
            Vec::new()
        };
        out.push(Grant {
            resources,
            condition,
            action_lines,
            ..Grant::new(address.to_string(), line, GrantKind::Statement, actions)
        });
    }
}

/// One statement of a role's trust policy: who may assume `role`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trust {
    /// The role (`aws_iam_role.trainer`, CloudFormation `TrainerRole`, an exported role's
    /// name), or the policy document a role's `assume_role_policy` names (joined by a
    /// [`Link`]).
    pub role: String,
    pub line: u32,
    pub principals: Vec<Principal>,
    /// The statement's conditions as written (a web identity's `:sub` scope).
    pub condition: Option<String>,
}

/// A trusted principal: `kind` is `Service`, `Federated`, `AWS` or `*`; `id` as written
/// (`sagemaker.amazonaws.com`, `aws_iam_openid_connect_provider.github.arn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: String,
    pub id: String,
}

/// The Allow statements of a trust policy document (JSON) for `role`, each at its line in
/// `lines` (else `line`).
fn trusts_of(doc: &Json, role: &str, line: u32, lines: &[u32], out: &mut Vec<Trust>) {
    let Some(obj) = doc.as_object() else { return };
    let stmts = match get(obj, &["Statement"]) {
        Some(Json::Array(a)) => a.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => return,
    };
    for (i, s) in stmts.into_iter().enumerate() {
        let Some(m) = s.as_object() else { continue };
        let effect = get(m, &["Effect"]).and_then(Json::as_str).unwrap_or("Allow");
        let Some(p) = get(m, &["Principal"]) else { continue };
        let assume = strings(get(m, &["Action"]))
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("sts:assumerole"));
        if !effect.eq_ignore_ascii_case("allow") || !assume {
            continue;
        }
        let principals = match p {
            Json::Object(kinds) => kinds
                .iter()
                .flat_map(|(kind, ids)| {
                    strings(Some(ids)).into_iter().map(move |id| Principal {
                        kind: kind.clone(),
                        id,
                    })
                })
                .collect(),
            other => strings(Some(other))
                .into_iter()
                .map(|id| Principal {
                    kind: if id == "*" { "*".into() } else { "AWS".into() },
                    id,
                })
                .collect(),
        };
        out.push(Trust {
            role: role.to_string(),
            line: lines.get(i).copied().unwrap_or(line),
            principals,
            condition: get(m, &["Condition"]).map(Json::to_string),
        });
    }
}

/// A storage bucket declared in Terraform, and whether a lifecycle (expiry/deletion) rule
/// covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub address: String,
    /// The bucket's own name when written literally (`bucket = "acme-training-data"`).
    pub name: String,
    pub line: u32,
    pub lifecycle: bool,
}

/// What a Terraform file holds that the checks read.
#[derive(Debug, Default)]
pub struct Terraform {
    pub grants: Vec<Grant>,
    pub links: Vec<Link>,
    pub trusts: Vec<Trust>,
    pub jit: Vec<JitBlock>,
    pub buckets: Vec<Bucket>,
    /// Blocks that did not parse (Terraform 0.11 syntax, broken templates): for the notes.
    pub errors: Vec<String>,
}

/// A resource of a just-in-time access tool's Terraform provider (Opal, Sym, ConductorOne,
/// Indent, Teleport): what it makes requestable, and whether it bounds the duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitBlock {
    pub address: String,
    pub line: u32,
    /// Identities it references (`aws_iam_group.ml_admins`) and string literals it holds
    /// (`"ml-admins"`), to match against the holders of standing grants.
    pub mentions: Vec<String>,
    /// It sets a maximum duration, TTL or expiry.
    pub bounded: bool,
    /// The text of its first line (set by the walk, which has the file).
    pub text: String,
}
