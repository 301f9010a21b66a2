//! `iam` with `find: shared`: roles that several unrelated callers can assume.
//!
//! A role's trust policy says who may become it. When the same role is assumed by a CI
//! pipeline (through OIDC), a managed ML service, a cluster's workloads and people, its
//! grants are shared by all of them: a compromised workflow holds whatever the training
//! jobs hold, and the audit trail cannot say which caller acted. That is the "shared
//! identity" auditors flag under CC6.1/CC6.3. A web-identity trust with no `sub` condition
//! is worse: any GitHub Actions workflow (of any repository) or any service account of the
//! cluster can assume the role.
//!
//! Principals are classified by kind, not by name lists: `Service` principals are one
//! caller kind (AWS services), `Federated` ones are read from their provider and
//! condition text (a GitHub/GitLab/Terraform Cloud OIDC provider is CI, an EKS OIDC
//! provider is cluster workloads, SAML is people), `AWS` ARNs are people (`user/`),
//! another role, or a whole account.

use std::collections::{BTreeMap, BTreeSet};

use super::{excluded, resolve, scope, Iam};
use crate::check::{Context, Outcome};
use crate::evidence::Item;
use crate::workspace::iam::{Principal, Trust};

/// Who a principal is, as an auditor would group callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Service,
    Ci,
    Workloads,
    People,
    Account,
    Anyone,
    Other,
}

/// A classified principal: its caller kind, a readable name, and whether it is a web
/// identity whose subject the trust must pin (`:sub`).
struct Party {
    caller: Caller,
    name: String,
    needs_subject: bool,
}

fn classify(iam: &Iam, p: &Principal, condition: &str) -> Party {
    let id = p.id.trim();
    let lower = id.to_ascii_lowercase();
    let party = |caller, name: String, needs_subject| Party {
        caller,
        name,
        needs_subject,
    };
    if id == "*" || p.kind == "*" {
        return party(Caller::Anyone, "any AWS principal".into(), false);
    }
    match p.kind.to_ascii_lowercase().as_str() {
        "service" if lower.starts_with("pods.eks.") => {
            party(Caller::Workloads, "EKS Pod Identity workloads".into(), false)
        }
        "gcp" => gcp_member(id),
        "service" => {
            let svc = lower.split('.').next().unwrap_or("");
            if iam.ci_services.iter().any(|c| c == svc) {
                party(Caller::Ci, format!("the {id} pipeline service"), false)
            } else {
                party(Caller::Service, format!("the {id} service"), false)
            }
        }
        "federated" => {
            // References (`aws_iam_openid_connect_provider.github.arn`) name the provider;
            // the condition names the issuer (`token.actions.githubusercontent.com:sub`).
            let text = format!("{lower} {}", condition.to_ascii_lowercase());
            let ci = [
                ("token.actions.githubusercontent", "GitHub Actions"),
                ("github", "GitHub Actions"),
                ("gitlab", "GitLab CI"),
                ("app.terraform.io", "Terraform Cloud"),
                ("circleci", "CircleCI"),
                ("bitbucket", "Bitbucket Pipelines"),
                ("buildkite", "Buildkite"),
            ];
            if let Some((_, name)) = ci.iter().find(|(k, _)| text.contains(k)) {
                return party(Caller::Ci, format!("{name} (OIDC)"), true);
            }
            if ["oidc.eks", "eks", "oidc_provider", "cluster"]
                .iter()
                .any(|k| lower.contains(k))
            {
                return party(
                    Caller::Workloads,
                    "the cluster's service accounts (OIDC)".into(),
                    true,
                );
            }
            if lower.contains("saml") {
                return party(Caller::People, "SAML single sign-on users".into(), false);
            }
            if lower.contains("cognito") || lower.contains("accounts.google.com") {
                return party(Caller::People, format!("web identities of {id}"), false);
            }
            party(Caller::Other, format!("federated identities of {id}"), false)
        }
        _ => {
            if let Some(user) = lower.split(":user/").nth(1) {
                let user = &id[id.len() - user.len()..];
                return party(Caller::People, format!("IAM user {user}"), false);
            }
            if let Some(role) = lower.split(":role/").nth(1) {
                let role = &id[id.len() - role.len()..];
                return party(Caller::Other, format!("role {role}"), false);
            }
            // An account id, its root, or a template parameter naming one
            // (`!Ref AdministratorAccountId`).
            if lower.ends_with(":root")
                || (lower.len() == 12 && lower.bytes().all(|b| b.is_ascii_digit()))
                || (!lower.contains(':') && lower.contains("account"))
            {
                return party(Caller::Account, format!("every principal of account {id}"), false);
            }
            party(Caller::Other, id.to_string(), false)
        }
    }
}

/// A GCP member allowed to act as a service account: Kubernetes service accounts through
/// GKE Workload Identity (`PROJECT.svc.id.goog[ns/ksa]`), CI through workload identity
/// federation (`principalSet://…/workloadIdentityPools/github/…`; the whole pool, `/*`, is
/// any identity of the provider), people, or another service account.
fn gcp_member(id: &str) -> Party {
    let lower = id.to_ascii_lowercase();
    let party = |caller, name: String, needs_subject| Party {
        caller,
        name,
        needs_subject,
    };
    if lower == "allusers" || lower == "allauthenticatedusers" {
        return party(Caller::Anyone, id.to_string(), false);
    }
    if lower.contains(".svc.id.goog[") {
        let ksa = id.split_once('[').map_or(id, |(_, k)| k.trim_end_matches(']'));
        return party(
            Caller::Workloads,
            format!("Kubernetes service account {ksa} (Workload Identity)"),
            false,
        );
    }
    if lower.starts_with("principalset://") || lower.starts_with("principal://") {
        let ci = [
            ("github", "GitHub Actions"),
            ("gitlab", "GitLab CI"),
            ("circleci", "CircleCI"),
            ("bitbucket", "Bitbucket Pipelines"),
            ("terraform", "Terraform Cloud"),
            ("buildkite", "Buildkite"),
        ];
        let name = ci
            .iter()
            .find(|(k, _)| lower.contains(k))
            .map_or("workload identity federation", |(_, n)| *n);
        // The whole pool (`…/*`) is every identity its providers admit.
        let open = lower.starts_with("principalset://") && lower.ends_with("/*");
        return party(Caller::Ci, format!("{name} (workload identity federation)"), open);
    }
    if lower.starts_with("user:") || lower.starts_with("group:") || lower.starts_with("domain:") {
        return party(Caller::People, id.to_string(), false);
    }
    party(Caller::Other, id.to_string(), false)
}

/// The subject-scoping condition a web identity needs (`…:sub`).
fn pins_subject(condition: Option<&str>) -> bool {
    condition.is_some_and(|c| c.to_ascii_lowercase().contains(":sub"))
}

pub(super) fn evaluate(iam: &Iam, cx: &Context<'_>) -> Outcome {
    let links = super::links_by_scope(cx);
    let in_scope = |file: crate::workspace::FileId| {
        let f = cx.ws.file(file);
        !excluded(cx, f)
    };
    if iam.find == super::Find::Trust {
        let items = cx
            .ws
            .trusts
            .iter()
            .filter(|(file, _, _)| in_scope(*file))
            .map(|(file, t, line)| {
                Item::new(
                    format!("{} trusts {} principal(s)", t.role, t.principals.len()),
                    format!("trust|{}|{}|{}", cx.ws.file(*file).path, t.role, t.line),
                    vec![cx.ws.pointer(*file, t.line, line)],
                )
            })
            .collect();
        return Outcome::found(items, || Item::absent("No trust policy", "trust", Vec::new()));
    }
    // (scope, role) → the trust statements naming it.
    let mut roles: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (file, t, _)) in cx.ws.trusts.iter().enumerate() {
        if !in_scope(*file) {
            continue;
        }
        let dir = scope(&cx.ws.file(*file).path);
        let mut names = Vec::new();
        resolve(&links, dir, &t.role, 0, &mut names);
        names.sort();
        names.dedup();
        for n in names {
            roles.entry((dir.to_string(), n)).or_default().push(i);
        }
    }
    let ai_roles = roles_with_ai_grants(iam, cx, &links);
    let mut items = Vec::new();
    for ((dir, role), trusts) in roles {
        if let Some(item) = judge(iam, cx, &dir, &role, &trusts, &ai_roles) {
            items.push(item);
        }
    }
    Outcome::found(items, || {
        Item::absent("No role is assumed by unrelated callers", "trust", Vec::new())
    })
}

/// One role's verdict: unscoped web identities, and unrelated caller kinds on an AI role.
fn judge(
    iam: &Iam,
    cx: &Context<'_>,
    dir: &str,
    role: &str,
    trusts: &[usize],
    ai_roles: &BTreeSet<(String, String)>,
) -> Option<Item> {
    let mut ai = ai_roles.contains(&(dir.to_string(), role.to_string()))
        || iam
            .names
            .as_ref()
            .is_some_and(|re| re.is_match(role.rsplit(['.', '/']).next().unwrap_or(role)));
    let mut reasons = Vec::new();
    let mut callers: BTreeMap<Caller, Vec<String>> = BTreeMap::new();
    // The statements that open the role to any workflow or workload.
    let mut open_at = Vec::new();
    for &i in trusts {
        let t: &Trust = &cx.ws.trusts[i].1;
        for p in &t.principals {
            let party = classify(iam, p, t.condition.as_deref().unwrap_or(""));
            if party.caller == Caller::Service {
                let svc = p.id.split('.').next().unwrap_or("").to_ascii_lowercase();
                ai |= iam.services.contains(&svc);
            }
            let open = (party.needs_subject && !pins_subject(t.condition.as_deref()))
                || (party.caller == Caller::Anyone && t.condition.is_none());
            if open {
                let who = match party.caller {
                    Caller::Ci => format!(
                        "any {} workflow",
                        party
                            .name
                            .trim_end_matches(" (OIDC)")
                            .trim_end_matches(" (workload identity federation)")
                    ),
                    Caller::Workloads => "any service account of the cluster".to_string(),
                    _ => "any AWS principal".to_string(),
                };
                let why = if party.caller == Caller::Anyone {
                    "its trust policy allows `*` with no condition"
                } else if p.kind == "gcp" {
                    "its workload identity binding names the whole pool (`/*`)"
                } else {
                    "its web-identity trust has no `sub` condition"
                };
                reasons.push(format!("can be assumed by {who}: {why}"));
                open_at.push(i);
            }
            let names = callers.entry(party.caller).or_default();
            if !names.contains(&party.name) {
                names.push(party.name);
            }
        }
    }
    let kinds = callers.keys().filter(|c| **c != Caller::Other).count();
    let shared = kinds >= 2 && ai;
    if shared {
        let all: Vec<String> = callers.values().flatten().cloned().collect();
        reasons.push(format!(
            "is assumed by unrelated callers ({}): one identity for all of them",
            super::and_list(&all)
        ));
    }
    if reasons.is_empty() {
        return None;
    }
    reasons.dedup();
    let cited = trusts
        .iter()
        .filter(|i| shared || open_at.contains(i))
        .map(|&i| {
            let (file, t, line) = &cx.ws.trusts[i];
            cx.ws
                .pointer(*file, t.line, line)
                .labelled(format!("trust policy of {role}"))
        })
        .collect();
    Some(Item::new(
        format!("{role} {}", reasons.join("; it ")),
        format!("shared-trust|{dir}|{role}"),
        cited,
    ))
}

/// Roles (by scope and name) holding a grant on an AI service, through attachments.
fn roles_with_ai_grants(
    iam: &Iam,
    cx: &Context<'_>,
    links: &std::collections::HashMap<(&str, &str), Vec<&str>>,
) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (file, g, _) in &cx.ws.grants {
        let ai = match g.kind {
            crate::workspace::iam::GrantKind::Statement => {
                g.actions.iter().any(|a| iam.ai_service(a).is_some())
            }
            _ => g.actions.first().is_some_and(|p| {
                iam.managed.contains(&p.to_ascii_lowercase()) || iam.roles.contains(&p.to_ascii_lowercase())
            }),
        };
        if !ai {
            continue;
        }
        let dir = scope(&cx.ws.file(*file).path);
        let own = g
            .holder
            .clone()
            .unwrap_or_else(|| g.address.split(" (").next().unwrap_or(&g.address).to_string());
        let mut holders = Vec::new();
        resolve(links, dir, &own, 0, &mut holders);
        // A GCP role granted to a service account the module declares
        // (`serviceAccount:${google_service_account.trainer.email}`).
        holders.extend(g.principals.iter().filter_map(|p| gcp_account_ref(p)));
        out.extend(holders.into_iter().map(|h| (dir.to_string(), h)));
    }
    out
}

/// Roles (by scope and name) that people assume (SAML single sign-on users, IAM users,
/// web identities of a user pool), with who assumes them: their grants are grants to people.
pub(super) fn people_roles(
    iam: &Iam,
    cx: &Context<'_>,
    links: &std::collections::HashMap<(&str, &str), Vec<&str>>,
) -> BTreeMap<(String, String), String> {
    let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
    for (file, t, _) in &cx.ws.trusts {
        let f = cx.ws.file(*file);
        if excluded(cx, f) {
            continue;
        }
        let who: Vec<String> = t
            .principals
            .iter()
            .map(|p| classify(iam, p, t.condition.as_deref().unwrap_or("")))
            .filter(|p| p.caller == Caller::People)
            .map(|p| p.name)
            .collect();
        if who.is_empty() {
            continue;
        }
        let dir = scope(&f.path);
        let mut names = Vec::new();
        resolve(links, dir, &t.role, 0, &mut names);
        for n in names {
            let entry = out.entry((dir.to_string(), n)).or_default();
            for w in &who {
                if !entry.contains(w.as_str()) {
                    if !entry.is_empty() {
                        entry.push_str(", ");
                    }
                    entry.push_str(w);
                }
            }
        }
    }
    out
}

/// `google_service_account.trainer` from a member naming it
/// (`serviceAccount:${google_service_account.trainer.email}`).
fn gcp_account_ref(member: &str) -> Option<String> {
    let rest = member.split("google_service_account.").nth(1)?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then(|| format!("google_service_account.{name}"))
}
