//! `iam` with `find: standing` and `find: people`: the access people hold, and whether it
//! is standing or just in time.
//!
//! People reach privileges in more ways than a `user:` member: through IAM groups and users
//! that a policy is attached to (in Terraform, CloudFormation or an exported group's
//! `AttachedPolicies`, in another folder), through AWS SSO permission sets, Azure role
//! assignments to users and groups, and through roles that SAML single sign-on users or IAM
//! users assume. All of these are grants to people. One that is privileged (a wildcard, an
//! admin or full-access policy or role) and has no time bound is standing privilege, unless
//! a just-in-time tool makes its holder requestable for a bounded time.
//!
//! The verdict cites what it found either way: each standing grant at its line, saying
//! whether any JIT mechanism exists in scope; and when there is none, the JIT mechanisms
//! that bound people's access (for an auditor, the configuration to sample).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{excluded, links_by_scope, resolve, scope, time_bound, Find, Iam};
use crate::check::{Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::workspace::iam::{Grant, JitBlock};
use crate::workspace::FileId;

/// Who the people behind grants are: link targets that are users or groups, and roles
/// assumed by people (with who assumes them).
struct People<'a> {
    links: HashMap<(&'a str, &'a str), Vec<&'a str>>,
    targets: BTreeSet<(&'a str, &'a str)>,
    roles: BTreeMap<(String, String), String>,
    /// Roles assumed only through a JIT broker, with the broker.
    brokered: BTreeMap<(String, String), String>,
}

/// Someone a grant reaches, and whether they reach it only through a JIT broker.
struct Holder {
    name: String,
    brokered: bool,
}

impl<'a> People<'a> {
    fn new(iam: &Iam, cx: &'a Context<'_>) -> Self {
        let links = links_by_scope(cx);
        let targets = cx
            .ws
            .iam_links
            .iter()
            .filter(|(_, l)| l.people)
            .map(|(f, l)| (scope(&cx.ws.file(*f).path), l.to.as_str()))
            .collect();
        let roles = super::trust::people_roles(iam, cx, &links);
        let brokered = brokered_roles(iam, cx, &links);
        Self {
            links,
            targets,
            roles,
            brokered,
        }
    }

    /// The people a grant reaches, as findings name them; empty when it reaches none.
    fn of(&self, dir: &str, g: &Grant) -> Vec<Holder> {
        if human(g) {
            // A bare kind (`iam user`) is named by the identity that holds the grant.
            return g
                .principals
                .iter()
                .map(|p| match (&g.holder, human_kind(p)) {
                    (Some(h), true) => h.clone(),
                    _ => p.clone(),
                })
                .map(|name| Holder {
                    name,
                    brokered: false,
                })
                .collect();
        }
        let own = g
            .holder
            .clone()
            .unwrap_or_else(|| g.address.split(" (").next().unwrap_or(&g.address).to_string());
        let mut holders = Vec::new();
        resolve(&self.links, dir, &own, 0, &mut holders);
        holders.sort();
        holders.dedup();
        holders
            .into_iter()
            .filter_map(|h| {
                if self.targets.contains(&(dir, h.as_str()))
                    || h.starts_with("aws_iam_user.")
                    || h.starts_with("aws_iam_group.")
                    || h.starts_with("aws_ssoadmin_permission_set.")
                {
                    Some(Holder {
                        name: h,
                        brokered: false,
                    })
                } else if let Some(broker) = self.brokered.get(&(dir.to_string(), h.clone())) {
                    Some(Holder {
                        name: format!("role {h} (assumed only through {broker})"),
                        brokered: true,
                    })
                } else {
                    self.roles.get(&(dir.to_string(), h.clone())).map(|who| Holder {
                        name: format!("role {h} (assumed by {who})"),
                        brokered: false,
                    })
                }
            })
            .collect()
    }
}

/// A grant to people by its principals: IAM users or groups, `user:`/`group:` members,
/// SSO permission sets, Azure role assignments to users or groups.
fn human(g: &Grant) -> bool {
    g.principals.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        p.starts_with("user:")
            || p.starts_with("group:")
            || matches!(
                p.as_str(),
                "iam user" | "iam group" | "sso permission set" | "azure user" | "azure group"
            )
    })
}

pub(super) fn evaluate(iam: &Iam, cx: &Context<'_>) -> Outcome {
    let people = People::new(iam, cx);
    let in_scope = |file: FileId| {
        let f = cx.ws.file(file);
        !excluded(cx, f)
    };
    // JIT mechanisms in scope: the tools' resources, which the verdict cites either way.
    let mechanisms: Vec<&(FileId, JitBlock)> = cx.ws.jit.iter().filter(|(f, _)| in_scope(*f)).collect();
    let mut items = Vec::new();
    let mut bounded: Vec<Pointer> = Vec::new();
    // Standing grants no JIT tool covers: `(who, what, pointer)`.
    let mut standing: Vec<(String, String, Pointer)> = Vec::new();
    for (file, g, line) in &cx.ws.grants {
        if !in_scope(*file) {
            continue;
        }
        let dir = scope(&cx.ws.file(*file).path);
        let holders = people.of(dir, g);
        if holders.is_empty() {
            continue;
        }
        let names: Vec<String> = holders.iter().map(|h| h.name.clone()).collect();
        let who = super::and_list(&names);
        let pointer = |at: u32, text: &str| cx.ws.pointer(*file, at, text).labelled(g.address.clone());
        if iam.find == Find::People {
            items.push(Item::new(
                format!("{} grants access to {who}", g.address),
                format!("{}|{}|{}", cx.ws.file(*file).path, g.address, g.actions.join(",")),
                vec![pointer(g.line, line)],
            ));
            continue;
        }
        if !iam.privileged(g) || time_bound(g) {
            continue;
        }
        if holders.iter().all(|h| h.brokered) {
            // Requested through a JIT broker: the role is the mechanism's evidence.
            bounded.push(
                cx.ws
                    .pointer(*file, g.line, line)
                    .labelled(format!("{} is held by {who}", g.address)),
            );
            continue;
        }
        // The action, policy or role that makes it privileged is the line to cite.
        let what = iam
            .wildcard_at(g)
            .and_then(|(_, a)| a)
            .or_else(|| g.actions.first().cloned())
            .unwrap_or_default();
        let (at, text) = g.line_of(&what, line);
        let (why, mut pointers) = match jit_for(cx, *file, g) {
            // Membership is granted on request, for a bounded time.
            Some((at, j)) if j.bounded => {
                bounded.push(cx.ws.pointer(at, j.line, &j.text).labelled(format!(
                    "{} makes {} requestable for a bounded time",
                    j.address, g.address
                )));
                continue;
            }
            Some((at, j)) => (
                format!(
                    "is requested through {} (line {}), which sets no maximum duration",
                    j.address, j.line
                ),
                vec![cx
                    .ws
                    .pointer(at, j.line, &j.text)
                    .labelled(format!("{}: no maximum duration", j.address))],
            ),
            None => {
                standing.push((who, what, pointer(at, text)));
                continue;
            }
        };
        pointers.push(pointer(at, text));
        items.push(Item::new(
            format!("{} {why}", g.address),
            format!("{}|{}|{}", cx.ws.file(*file).path, g.address, g.actions.join(",")),
            pointers,
        ));
    }
    if !standing.is_empty() {
        items.extend(standing_items(&standing, &mechanisms));
    }
    if !items.is_empty() {
        return Outcome::complete(items, Vec::new());
    }
    // Nothing standing: say what bounds people's access (under `not:`, these are the
    // pass's evidence).
    let mut evidence: Vec<Item> = bounded
        .into_iter()
        .map(|p| {
            let what = p.label.clone().unwrap_or_default();
            Item::new(what.clone(), format!("jit|{what}"), vec![p])
        })
        .collect();
    if evidence.is_empty() {
        evidence.extend(mechanisms.iter().map(|(f, j)| {
            let bound = if j.bounded {
                "with a maximum duration"
            } else {
                "with no maximum duration"
            };
            Item::new(
                format!("Just-in-time access through {} ({bound})", j.address),
                format!("jit|{}|{}", cx.ws.file(*f).path, j.address),
                vec![cx.ws.pointer(*f, j.line, &j.text).labelled(j.address.clone())],
            )
        }));
    }
    if evidence.is_empty() {
        evidence.push(Item::absent("No matching grant", "iam", Vec::new()));
    }
    Outcome {
        holds: false,
        passed: Vec::new(),
        failed: evidence,
    }
}

/// Every JIT mechanism in scope (`find: mechanisms`).
pub(super) fn mechanisms(cx: &Context<'_>) -> Outcome {
    let items = cx
        .ws
        .jit
        .iter()
        .filter(|(f, _)| !excluded(cx, cx.ws.file(*f)))
        .map(|(f, j)| {
            Item::new(
                format!("Just-in-time access through {}", j.address),
                format!("jit|{}|{}", cx.ws.file(*f).path, j.address),
                vec![cx.ws.pointer(*f, j.line, &j.text).labelled(j.address.clone())],
            )
        })
        .collect();
    Outcome::found(items, || {
        Item::absent("No just-in-time access mechanism", "jit", Vec::new())
    })
}

/// Standing grants outside any JIT tool. With no JIT mechanism in scope, that absence is the
/// one root cause: one finding naming every holder, citing each grant. With a tool in scope,
/// each grant it does not cover is its own finding.
fn standing_items(standing: &[(String, String, Pointer)], mechanisms: &[&(FileId, JitBlock)]) -> Vec<Item> {
    if let Some((_, tool)) = mechanisms.first() {
        return standing
            .iter()
            .map(|(who, what, p)| {
                let address = p.label.clone().unwrap_or_default();
                Item::new(
                    format!(
                        "{address} gives {who} standing privileged access ({what}) with no expiry, outside the just-in-time tool in scope ({})",
                        tool.address
                    ),
                    format!("standing|{}|{}|{address}", p.path, p.line.unwrap_or(0)),
                    vec![p.clone()],
                )
            })
            .collect();
    }
    let mut holders: Vec<String> = Vec::new();
    for (who, what, _) in standing {
        let h = format!("{who} holds {what}");
        if !holders.contains(&h) {
            holders.push(h);
        }
    }
    vec![Item::new(
        format!(
            "People hold standing privileged access with no expiry, and no just-in-time access mechanism is in scope: {}",
            holders.join("; ")
        ),
        "standing|no-jit",
        standing.iter().map(|(_, _, p)| p.clone()).collect(),
    )]
}

/// The JIT tool resource (in the grant's module) that makes the grant's holder requestable:
/// it references the holder's address, or names it literally. A tool splits its config
/// over resources (Sym: a target, and a flow whose request fields set the duration), so the
/// match counts as bounded when any resource of the same provider in the module is.
fn jit_for(cx: &Context<'_>, file: FileId, g: &Grant) -> Option<(FileId, JitBlock)> {
    let dir = scope(&cx.ws.file(file).path);
    let names: Vec<&str> = g
        .holder
        .iter()
        .map(String::as_str)
        .chain(
            g.principals
                .iter()
                .flat_map(|p| [p.as_str(), p.split_once(':').map_or(p.as_str(), |(_, v)| v)]),
        )
        .filter(|n| !n.is_empty() && !human_kind(n))
        .collect();
    let here: Vec<&(FileId, JitBlock)> = cx
        .ws
        .jit
        .iter()
        .filter(|(f, _)| scope(&cx.ws.file(*f).path) == dir)
        .collect();
    let (at, found) = here
        .iter()
        .find(|(_, j)| names.iter().any(|n| j.mentions.iter().any(|m| m == n)))?;
    let provider = found.address.split('_').next().unwrap_or("");
    let mut j = found.clone();
    j.bounded |= here
        .iter()
        .any(|(_, o)| o.bounded && o.address.split('_').next() == Some(provider));
    Some((*at, j))
}

/// A principal kind with no name (`iam user`), which names nothing to match.
fn human_kind(p: &str) -> bool {
    matches!(
        p,
        "iam user" | "iam group" | "sso permission set" | "azure user" | "azure group"
    )
}

/// Roles whose every trusted principal is a JIT broker (`brokers`): people reach them only
/// by a request through the broker.
fn brokered_roles(
    iam: &Iam,
    cx: &Context<'_>,
    links: &HashMap<(&str, &str), Vec<&str>>,
) -> BTreeMap<(String, String), String> {
    let Some(brokers) = &iam.brokers else {
        return BTreeMap::new();
    };
    // (scope, role) → the broker named, or None once a principal is no broker.
    let mut seen: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    for (file, t, _) in &cx.ws.trusts {
        let f = cx.ws.file(*file);
        if excluded(cx, f) {
            continue;
        }
        let dir = scope(&f.path);
        let mut names = Vec::new();
        resolve(links, dir, &t.role, 0, &mut names);
        let broker = t
            .principals
            .iter()
            .map(|p| {
                brokers
                    .is_match(&p.id)
                    .then(|| p.id.rsplit(['/', ':']).next().unwrap_or(&p.id).to_string())
            })
            .collect::<Option<Vec<String>>>()
            .and_then(|b| b.into_iter().next());
        for n in names {
            let entry = seen.entry((dir.to_string(), n)).or_insert_with(|| broker.clone());
            if broker.is_none() {
                *entry = None;
            }
        }
    }
    seen.into_iter().filter_map(|(k, b)| b.map(|b| (k, b))).collect()
}
