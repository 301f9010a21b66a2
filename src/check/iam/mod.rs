//! `iam`: access grants in infrastructure code (Terraform, IAM policy exports,
//! CloudFormation), read during the walk (see `workspace::iam`). Two questions:
//!
//! - `find: wildcard` — grants of everything on AI assets: `*` actions, `service:*` on an AI
//!   service (SageMaker, Bedrock, Vertex AI, the buckets holding datasets and models…),
//!   `Resource: "*"` with write actions on those services, broad managed policies and
//!   owner/editor/admin roles. Wildcards on unrelated services (logs, CloudWatch…) are not
//!   an AI red flag and are not reported here: reporting them would bury the ones that are.
//! - `find: standing` — privileged grants to people (IAM users and groups, `user:`/`group:`
//!   members) with no time bound (`aws:CurrentTime`/`DateLessThan`, GCP `request.time`):
//!   standing access where just-in-time access with expiry is expected.
//! - `find: combined` — one identity (role, user, group, service account) holding every
//!   listed capability, e.g. reading training data, writing model artifacts and invoking
//!   endpoints: the "same access group" auditors flag, since one compromised or careless
//!   identity can then poison data, replace a model and serve it. Grants are joined to their
//!   identity through attachments (`aws_iam_role_policy_attachment`, `managed_policy_arns`,
//!   `policy = data.aws_iam_policy_document.x.json`, CloudFormation `Roles:`) within one
//!   directory (a Terraform module); a policy attached to nothing counts as its own holder.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::iam::{Grant, GrantKind};

mod escalation;
mod people;
mod trust;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub find: Find,
    /// Action prefixes of AI-asset services (`sagemaker`, `bedrock`, `s3`, `aiplatform`).
    #[serde(default)]
    pub services: Vec<String>,
    /// Managed policies that grant too much (`AdministratorAccess`, `AmazonS3FullAccess`).
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Cloud roles that grant too much (`roles/owner`, `roles/aiplatform.admin`, `Owner`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// For `find: combined`: what one identity must not hold all of.
    #[serde(default)]
    pub capabilities: Vec<CapabilitySpec>,
    /// For `find: shared`: role names that mark a role as part of the AI system (a role
    /// trusted by an AI `services` principal, or holding a grant on one, is too).
    pub names: Option<String>,
    /// For `find: standing`/`people`: a regex naming just-in-time access brokers (Teleport,
    /// Opal…). A role whose trust names only principals it matches is assumed through the
    /// broker, on request: people's access through it is not standing.
    pub brokers: Option<String>,
    /// For `find: shared`: service principals that are CI/CD pipelines, not workloads
    /// (`codebuild`, `codepipeline`).
    #[serde(default)]
    pub ci_services: Vec<String>,
    /// For `find: escalation`: IAM actions that rewrite an identity's permissions
    /// (`iam:PutRolePolicy`, `iam:AttachRolePolicy`, `iam:CreatePolicyVersion`).
    #[serde(default)]
    pub policy_writes: Vec<String>,
    /// For `find: escalation`: actions that run code as a role passed to them
    /// (`sagemaker:CreateTrainingJob`, `lambda:CreateFunction`).
    #[serde(default)]
    pub launches: Vec<String>,
}

/// One capability of `find: combined`: the actions (IAM wildcards in grants are expanded
/// against them), the resources they must touch, and the managed policies and cloud roles
/// that include it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitySpec {
    pub name: String,
    #[serde(default)]
    pub actions: Vec<String>,
    /// Regex a resource must match (`*` always does); none: any resource.
    pub resources: Option<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Find {
    Wildcard,
    Standing,
    Combined,
    /// Roles assumable by unrelated kinds of principal (CI, a managed service, cluster
    /// workloads, people), or by any workflow or workload of a federated provider.
    Shared,
    /// Identities that can raise their own privileges (rewrite policies, pass or assume
    /// any role).
    Escalation,
    /// Every grant: what an access check examined (`examines:`).
    Any,
    /// Every trust-policy statement (`examines:` of `find: shared`).
    Trust,
    /// Every grant to people (IAM users and groups, `user:`/`group:` members): what a
    /// standing-access check examined.
    People,
    /// Every just-in-time access mechanism (JIT tools' Terraform resources, GCP PAM,
    /// Azure PIM, Teleport roles): what a standing-access check examined too.
    Mechanisms,
}

#[derive(Debug)]
struct Capability {
    name: String,
    actions: Vec<String>,
    resources: Option<crate::workspace::matcher::LazyRegex>,
    managed: Vec<String>,
    roles: Vec<String>,
}

#[derive(Debug)]
pub struct Iam {
    find: Find,
    services: Vec<String>,
    managed: Vec<String>,
    roles: Vec<String>,
    capabilities: Vec<Capability>,
    names: Option<crate::workspace::matcher::LazyRegex>,
    brokers: Option<crate::workspace::matcher::LazyRegex>,
    ci_services: Vec<String>,
    policy_writes: Vec<String>,
    launches: Vec<String>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Iam> {
        let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
        if self.find == Find::Combined {
            if self.capabilities.len() < 2 {
                cx.error(
                    None,
                    "`iam` with `find: combined` needs at least two `capabilities`",
                );
                return None;
            }
        } else if self.find == Find::Escalation {
            if self.policy_writes.is_empty() {
                cx.error(None, "`iam` with `find: escalation` needs `policy_writes`");
                return None;
            }
        } else if !matches!(
            self.find,
            Find::Any | Find::Trust | Find::Shared | Find::People | Find::Mechanisms
        ) && self.services.is_empty()
            && self.managed_policies.is_empty()
            && self.roles.is_empty()
        {
            cx.error(None, "`iam` needs `services`, `managed_policies` or `roles`");
            return None;
        }
        let mut capabilities = Vec::new();
        for c in &self.capabilities {
            let resources = match &c.resources {
                Some(re) => match crate::workspace::matcher::LazyRegex::new(re, cx.eager) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        cx.error(None, format!("capability `{}`: {e}", c.name));
                        return None;
                    }
                },
                None => None,
            };
            capabilities.push(Capability {
                name: c.name.clone(),
                actions: lower(&c.actions),
                resources,
                managed: lower(&c.managed_policies),
                roles: lower(&c.roles),
            });
        }
        let mut regex =
            |key: &str, re: &Option<String>| -> Result<Option<crate::workspace::matcher::LazyRegex>, ()> {
                match re {
                    Some(re) => crate::workspace::matcher::LazyRegex::new(re, cx.eager)
                        .map(Some)
                        .map_err(|e| cx.error(None, format!("`{key}`: {e}"))),
                    None => Ok(None),
                }
            };
        let names = regex("names", &self.names).ok()?;
        let brokers = regex("brokers", &self.brokers).ok()?;
        Some(Iam {
            find: self.find,
            services: lower(&self.services),
            managed: lower(&self.managed_policies),
            roles: lower(&self.roles),
            capabilities,
            names,
            brokers,
            ci_services: lower(&self.ci_services),
            policy_writes: lower(&self.policy_writes),
            launches: lower(&self.launches),
        })
    }
}

/// IAM wildcard matching (`*`, `?`), ASCII case-insensitive. Linear in practice; at worst
/// `pattern × text`, and capability actions are short.
fn iam_glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl Capability {
    /// The action of a statement that gives this capability (for its line).
    fn action_in<'g>(&self, g: &'g Grant) -> Option<&'g str> {
        if g.kind != GrantKind::Statement {
            return None;
        }
        g.actions.iter().map(String::as_str).find(|a| {
            let a = a.trim();
            let a = if a.starts_with("* (") { "*" } else { a };
            self.actions.iter().any(|want| iam_glob(a, want))
        })
    }

    fn held_by(&self, g: &Grant) -> bool {
        match g.kind {
            GrantKind::ManagedPolicy => g
                .actions
                .first()
                .is_some_and(|p| self.managed.contains(&p.to_ascii_lowercase())),
            GrantKind::Role => g
                .actions
                .first()
                .is_some_and(|r| self.roles.contains(&r.to_ascii_lowercase())),
            GrantKind::Statement => {
                let action = g.actions.iter().any(|a| {
                    let a = a.trim();
                    let a = if a.starts_with("* (") { "*" } else { a };
                    self.actions.iter().any(|want| iam_glob(a, want))
                });
                // A wildcard resource narrowed by a tag or prefix condition reaches only
                // what the condition names, not the datasets or models of this capability.
                let scoped = g.condition.as_deref().is_some_and(scoping_condition);
                let resource = match &self.resources {
                    None => true,
                    Some(re) => {
                        (g.resources.is_empty() && !scoped)
                            || g.resources.iter().any(|r| {
                                let r = r.trim();
                                re.is_match(r) || (!scoped && (every_resource(r) || r.ends_with(":*")))
                            })
                    }
                };
                action && resource
            }
        }
    }
}

/// Verbs that change things (a read-only wildcard is less alarming).
const WRITE_VERBS: &[&str] = &[
    "put", "create", "delete", "update", "invoke", "start", "stop", "attach", "pass", "modify", "add",
    "remove", "tag", "deploy", "*",
];

/// A resource pattern that names every resource of a service: `*`, every other resource
/// (`NotResource`), every bucket (`arn:aws:s3:::*`, `arn:aws:s3:::*/*`), an ARN whose
/// resource part is all wildcards whatever its region and account
/// (`arn:aws:sagemaker:*:${AWS::AccountId}:*`, `arn:aws:iam::123456789012:*`), every GCP
/// project (`projects/*`).
fn every_resource(r: &str) -> bool {
    let r = r.trim();
    if r == "*" || r.starts_with("* (") || r.starts_with("projects/*") {
        return true;
    }
    let Some(rest) = r.strip_prefix("arn:") else {
        return false;
    };
    // Template references hold colons of their own (`${AWS::AccountId}`).
    let rest = without_references(rest);
    // partition:service:region:account:resource
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    parts.len() == 5 && parts[4].split(['/', ':']).all(|p| p == "*")
}

/// `text` with each `${...}` reference replaced by `x`.
fn without_references(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("${") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => {
                out.push('x');
                rest = &rest[i + j + 1..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// Condition keys that narrow a grant to some resources: their tags, an object key
/// prefix, the account that owns them.
fn scoping_condition(condition: &str) -> bool {
    let c = condition.to_ascii_lowercase();
    ["resourcetag", "existingobjecttag", "s3:prefix", "resourceaccount"]
        .iter()
        .any(|k| c.contains(k))
}

/// `" (condition: …)"` for a conditioned statement, so a reader sees what limits it.
fn condition_note(g: &Grant) -> String {
    g.condition.as_deref().map_or_else(String::new, |c| {
        let flat: String = c.split_whitespace().collect::<Vec<_>>().join(" ");
        format!(" (condition: {})", crate::text::truncate_chars(&flat, 120))
    })
}

fn time_bound(g: &Grant) -> bool {
    g.condition.as_deref().is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("currenttime")
            || c.contains("datelessthan")
            || c.contains("request.time")
            || c.contains("expir")
    })
}

impl Iam {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        match self.find {
            Find::Wildcard => format!(
                "IAM grants with wildcard privileges on AI services ({})",
                self.services.join(", ")
            ),
            Find::Standing => "privileged grants to people without a time bound".to_string(),
            Find::Any => "any IAM grant".to_string(),
            Find::Trust => "any trust-policy statement".to_string(),
            Find::People => "any grant to people".to_string(),
            Find::Mechanisms => "any just-in-time access mechanism".to_string(),
            Find::Shared => {
                "roles assumable by unrelated kinds of principal, or by any workflow of a federated provider"
                    .to_string()
            }
            Find::Escalation => {
                "identities that can rewrite IAM policies or pass or assume any role".to_string()
            }
            Find::Combined => format!(
                "one identity that can {}",
                self.capabilities
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn ai_service(&self, action: &str) -> Option<String> {
        let svc = action.split(':').next()?.to_ascii_lowercase();
        self.services.contains(&svc).then_some(svc)
    }

    /// Why a grant is a wildcard on AI assets, if it is.
    fn wildcard(&self, g: &Grant) -> Option<String> {
        self.wildcard_at(g).map(|(why, _)| why)
    }

    /// [`Self::wildcard`], with the action that makes it one (for its line).
    fn wildcard_at(&self, g: &Grant) -> Option<(String, Option<String>)> {
        match g.kind {
            GrantKind::ManagedPolicy => {
                let p = g.actions.first()?;
                self.managed
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(p))
                    .then(|| (format!("attaches the managed policy {p}"), None))
            }
            GrantKind::Role => {
                let r = g.actions.first()?;
                self.roles
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(r))
                    .then(|| (format!("grants the role {r}"), None))
            }
            GrantKind::Statement => {
                let all_resources = g.resources.is_empty() || g.resources.iter().any(|r| every_resource(r));
                // A condition on the resource's tags or key prefix scopes a service
                // wildcard to the resources it names; `*` stays every action.
                let scoped = g.condition.as_deref().is_some_and(scoping_condition);
                let shown = condition_note(g);
                for a in &g.actions {
                    let a = a.trim();
                    if a == "*" || a.starts_with("* (") {
                        return Some((format!("allows every action (`{a}`){shown}"), Some(a.to_string())));
                    }
                    if scoped {
                        continue;
                    }
                    if let Some(svc) = self.ai_service(a) {
                        let verb = a.split(':').nth(1).unwrap_or("").to_ascii_lowercase();
                        if verb == "*" {
                            return Some((
                                format!("allows every {svc} action (`{a}`){shown}"),
                                Some(a.to_string()),
                            ));
                        }
                        if all_resources
                            && verb.contains('*')
                            && WRITE_VERBS.iter().any(|w| verb.starts_with(w))
                        {
                            let on = g
                                .resources
                                .iter()
                                .find(|r| every_resource(r) && r.trim() != "*")
                                .map_or_else(
                                    || "every resource".to_string(),
                                    |r| format!("every resource (`{}`)", r.trim()),
                                );
                            return Some((format!("allows `{a}` on {on}{shown}"), Some(a.to_string())));
                        }
                    }
                }
                None
            }
        }
    }

    fn privileged(&self, g: &Grant) -> bool {
        self.wildcard(g).is_some()
            || g.actions.iter().any(|a| {
                let l = a.to_ascii_lowercase();
                l.contains("admin") || l.contains("owner") || l.contains("editor") || l.contains("fullaccess")
            })
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        match self.find {
            Find::Combined => return self.combined(cx),
            Find::Shared | Find::Trust => return trust::evaluate(self, cx),
            Find::Escalation => return escalation::evaluate(self, cx),
            Find::People | Find::Standing => return people::evaluate(self, cx),
            Find::Mechanisms => return people::mechanisms(cx),
            Find::Wildcard | Find::Any => {}
        }
        let mut items = Vec::new();
        for (file, g, line) in &cx.ws.grants {
            // The action a wildcard finding is about: its line is the evidence.
            let mut cite: Option<String> = None;
            let f = cx.ws.file(*file);
            if excluded(cx, f) {
                continue;
            }
            let why = match self.find {
                Find::Any => Some("grants access".to_string()),
                Find::Wildcard => self.wildcard_at(g).map(|(why, action)| {
                    cite = action;
                    why
                }),
                _ => None,
            };
            if let Some(why) = why {
                let key = format!("{}|{}|{}", f.path, g.address, g.actions.join(","));
                let (at, text) = match &cite {
                    Some(a) => g.line_of(a, line),
                    None => (g.line, line.as_str()),
                };
                let pointer = cx.ws.pointer(*file, at, text).labelled(g.address.clone());
                items.push(Item::new(format!("{} {why}", g.address), key, vec![pointer]));
            }
        }
        Outcome::found(items, || Item::absent("No matching grant", "iam", Vec::new()))
    }
}

/// A file whose grants are not the company's own: a test, an example, or a target given
/// as evidence only.
fn excluded(cx: &Context<'_>, f: &crate::workspace::FileEntry) -> bool {
    f.flags.test || f.flags.example || cx.ws.targets[f.target as usize].evidence_only
}

/// The directory of a file: the scope in which Terraform and CloudFormation names resolve.
fn scope(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

impl Iam {
    /// `find: combined`: the identities holding every capability.
    fn combined(&self, cx: &Context<'_>) -> Outcome {
        let links = links_by_scope(cx);
        // holder (scope, name) → per capability, the first grant giving it.
        let mut held: BTreeMap<(String, String), Vec<Option<usize>>> = BTreeMap::new();
        for (i, (file, g, _)) in cx.ws.grants.iter().enumerate() {
            let f = cx.ws.file(*file);
            if excluded(cx, f) {
                continue;
            }
            let caps: Vec<usize> = (0..self.capabilities.len())
                .filter(|&c| self.capabilities[c].held_by(g))
                .collect();
            if caps.is_empty() {
                continue;
            }
            let dir = scope(&f.path);
            let own = g
                .holder
                .clone()
                .unwrap_or_else(|| g.address.split(" (").next().unwrap_or(&g.address).to_string());
            let mut holders = Vec::new();
            if g.kind == GrantKind::Role && !g.principals.is_empty() {
                holders.extend(g.principals.iter().cloned());
            } else {
                resolve(&links, dir, &own, 0, &mut holders);
            }
            holders.sort();
            holders.dedup();
            for h in holders {
                let slots = held
                    .entry((dir.to_string(), h))
                    .or_insert_with(|| vec![None; self.capabilities.len()]);
                for &c in &caps {
                    slots[c].get_or_insert(i);
                }
            }
        }
        let mut items = Vec::new();
        for ((dir, holder), slots) in held {
            if slots.iter().any(Option::is_none) {
                continue;
            }
            let names: Vec<String> = self.capabilities.iter().map(|c| c.name.clone()).collect();
            let list = and_list(&names);
            let pointers = slots
                .iter()
                .zip(&self.capabilities)
                .filter_map(|(slot, cap)| {
                    let (file, g, line) = &cx.ws.grants[(*slot)?];
                    let (at, text) = match cap.action_in(g) {
                        Some(a) => g.line_of(a, line),
                        None => (g.line, line.as_str()),
                    };
                    Some(
                        cx.ws
                            .pointer(*file, at, text)
                            .labelled(format!("{}: {}", cap.name, g.address)),
                    )
                })
                .collect();
            items.push(Item::new(
                format!("{holder} can {list}: one identity spans data, model and endpoint"),
                format!("combined|{dir}|{holder}"),
                pointers,
            ));
        }
        Outcome::found(items, || {
            Item::absent("No identity holds every capability", "iam", Vec::new())
        })
    }
}

/// Attachment links by (directory, from): names resolve within a Terraform module or a
/// template's directory.
fn links_by_scope<'a>(cx: &'a Context<'_>) -> HashMap<(&'a str, &'a str), Vec<&'a str>> {
    let mut links: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for (file, l) in &cx.ws.iam_links {
        let dir = scope(&cx.ws.file(*file).path);
        links
            .entry((dir, l.from.as_str()))
            .or_default()
            .push(l.to.as_str());
    }
    links
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

/// Follows attachment links from a policy to the identities holding it (a few hops:
/// document → policy → role). A name with no link holds its own grants.
fn resolve(
    links: &HashMap<(&str, &str), Vec<&str>>,
    dir: &str,
    name: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    match links.get(&(dir, name)) {
        Some(targets) if depth < 4 => {
            for t in targets {
                resolve(links, dir, t, depth + 1, out);
            }
        }
        _ => out.push(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::iam_glob;

    #[test]
    fn every_resource_reads_arns_with_references() {
        use super::every_resource;
        assert!(every_resource("arn:aws:sagemaker:*:${AWS::AccountId}:*"));
        assert!(every_resource("arn:aws:iam::${AWS::AccountId}:*"));
        assert!(every_resource("arn:aws:s3:::*/*"));
        assert!(every_resource("* (NotResource arn:aws:s3:::logs/*)"));
        assert!(!every_resource("arn:aws:s3:::acme-*"));
        assert!(!every_resource(
            "arn:aws:sagemaker:*:${AWS::AccountId}:endpoint/*"
        ));
    }

    #[test]
    fn iam_wildcards_match_like_aws() {
        assert!(iam_glob("s3:Get*", "s3:getobject"));
        assert!(iam_glob("*", "sagemaker:invokeendpoint"));
        assert!(iam_glob(
            "sagemaker:*Endpoint*",
            "sagemaker:updateendpointweightsandcapacities"
        ));
        assert!(iam_glob("s3:?etObject", "s3:getobject"));
        assert!(!iam_glob("s3:Put*", "s3:getobject"));
        assert!(!iam_glob("s3:GetObject", "s3:getobjectacl"));
    }
}
