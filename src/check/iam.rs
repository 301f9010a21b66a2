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

use serde::Deserialize;

use super::{CompileCx, Context, Outcome};
use crate::evidence::Item;
use crate::workspace::iam::{Grant, GrantKind};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Find {
    Wildcard,
    Standing,
}

#[derive(Debug)]
pub struct Iam {
    find: Find,
    services: Vec<String>,
    managed: Vec<String>,
    roles: Vec<String>,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<Iam> {
        if self.services.is_empty() && self.managed_policies.is_empty() && self.roles.is_empty() {
            cx.error(None, "`iam` needs `services`, `managed_policies` or `roles`");
            return None;
        }
        let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect();
        Some(Iam {
            find: self.find,
            services: lower(&self.services),
            managed: lower(&self.managed_policies),
            roles: lower(&self.roles),
        })
    }
}

/// Verbs that change things (a read-only wildcard is less alarming).
const WRITE_VERBS: &[&str] = &[
    "put", "create", "delete", "update", "invoke", "start", "stop", "attach", "pass", "modify", "add",
    "remove", "tag", "deploy", "*",
];

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
        }
    }

    fn ai_service(&self, action: &str) -> Option<String> {
        let svc = action.split(':').next()?.to_ascii_lowercase();
        self.services.contains(&svc).then_some(svc)
    }

    /// Why a grant is a wildcard on AI assets, if it is.
    fn wildcard(&self, g: &Grant) -> Option<String> {
        match g.kind {
            GrantKind::ManagedPolicy => {
                let p = g.actions.first()?;
                self.managed
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(p))
                    .then(|| format!("attaches the managed policy {p}"))
            }
            GrantKind::Role => {
                let r = g.actions.first()?;
                self.roles
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(r))
                    .then(|| format!("grants the role {r}"))
            }
            GrantKind::Statement => {
                let all_resources = g.resources.is_empty() || g.resources.iter().any(|r| r.trim() == "*");
                for a in &g.actions {
                    let a = a.trim();
                    if a == "*" || a.starts_with("* (") {
                        return Some(format!("allows every action (`{a}`)"));
                    }
                    if let Some(svc) = self.ai_service(a) {
                        let verb = a.split(':').nth(1).unwrap_or("").to_ascii_lowercase();
                        if verb == "*" {
                            return Some(format!("allows every {svc} action (`{a}`)"));
                        }
                        if all_resources
                            && verb.contains('*')
                            && WRITE_VERBS.iter().any(|w| verb.starts_with(w))
                        {
                            return Some(format!("allows `{a}` on every resource"));
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
        let mut items = Vec::new();
        for (file, g, line) in &cx.ws.grants {
            let f = cx.ws.file(*file);
            if f.flags.test || f.flags.example || cx.ws.targets[f.target as usize].evidence_only {
                continue;
            }
            let why = match self.find {
                Find::Wildcard => self.wildcard(g),
                Find::Standing => {
                    let human = g.principals.iter().any(|p| {
                        let p = p.to_ascii_lowercase();
                        p.starts_with("user:")
                            || p.starts_with("group:")
                            || p == "iam user"
                            || p == "iam group"
                    });
                    (human && self.privileged(g) && !time_bound(g)).then(|| {
                        format!(
                            "gives {} standing privileged access with no expiry",
                            g.principals.join(", ")
                        )
                    })
                }
            };
            if let Some(why) = why {
                let key = format!("{}|{}|{}", f.path, g.address, g.actions.join(","));
                let pointer = cx.ws.pointer(*file, g.line, line).labelled(g.address.clone());
                items.push(Item::new(format!("{} {why}", g.address), key, vec![pointer]));
            }
        }
        Outcome::found(items, || Item::new("No matching grant", "absent:iam", Vec::new()))
    }
}
