//! `iam` with `find: escalation`: identities that can raise their own privileges, and so
//! reach every ML role however narrowly those are scoped.
//!
//! Three paths, read from the statements an identity holds (joined through attachments
//! as for `find: combined`): rewriting IAM policies on any role or user (`policy_writes`,
//! `iam:*`); passing any role to code it launches (`iam:PassRole` on every role with a
//! `launches` action such as `sagemaker:CreateTrainingJob` — the job then runs as the
//! passed role); assuming any role (`sts:AssumeRole` on `*`). A statement allowing every
//! action (`*`) is RF1's wildcard finding, not repeated here: one root cause, one finding.

use std::collections::BTreeMap;

use super::{every_resource, excluded, iam_glob, resolve, scope, Iam};
use crate::check::{Context, Outcome};
use crate::evidence::Item;
use crate::workspace::iam::{Grant, GrantKind};

/// A resource naming every role, user or policy (`arn:aws:iam::123:role/*`) or everything.
fn broad(g: &Grant) -> Option<String> {
    if g.resources.is_empty() {
        return Some("*".into());
    }
    g.resources
        .iter()
        .map(|r| r.trim())
        .find(|r| {
            every_resource(r)
                || [":role/*", ":user/*", ":policy/*", ":group/*"]
                    .iter()
                    .any(|s| r.ends_with(s))
        })
        .map(str::to_string)
}

/// What one statement contributes to an escalation path.
#[derive(Default)]
struct Paths {
    reasons: Vec<String>,
    /// The actions behind `reasons`, `pass` and `launch`, for their lines.
    actions: Vec<String>,
    pass: Option<String>,
    launch: Option<String>,
}

fn paths(iam: &Iam, g: &Grant) -> Paths {
    let mut p = Paths::default();
    if g.kind != GrantKind::Statement {
        return p;
    }
    let res = broad(g);
    for a in &g.actions {
        let a = a.trim();
        if a == "*" || a.starts_with("* (") {
            continue;
        }
        let l = a.to_ascii_lowercase();
        if let Some(r) = &res {
            if l == "iam:*" {
                p.reasons.push(format!("holds every IAM action (`{a}` on `{r}`)"));
            } else if iam.policy_writes.iter().any(|w| iam_glob(&l, w)) {
                p.reasons
                    .push(format!("can rewrite IAM permissions (`{a}` on `{r}`)"));
            } else if iam_glob(&l, "sts:assumerole") && every_resource(r) {
                p.reasons.push(format!("can assume any role (`{a}` on `{r}`)"));
            }
            if iam_glob(&l, "iam:passrole") {
                p.pass.get_or_insert_with(|| format!("`{a}` on `{r}`"));
            }
        }
        if iam.launches.iter().any(|w| iam_glob(&l, w)) {
            p.launch.get_or_insert_with(|| format!("`{a}`"));
        }
    }
    p
}

pub(super) fn evaluate(iam: &Iam, cx: &Context<'_>) -> Outcome {
    let links = super::links_by_scope(cx);
    // (scope, holder) → (reasons, pass, launch, cited grants).
    type Acc = (Vec<String>, Option<String>, Option<String>, Vec<usize>);
    let mut held: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for (i, (file, g, _)) in cx.ws.grants.iter().enumerate() {
        let f = cx.ws.file(*file);
        if excluded(cx, f) {
            continue;
        }
        let p = paths(iam, g);
        if p.reasons.is_empty() && p.pass.is_none() && p.launch.is_none() {
            continue;
        }
        let dir = scope(&f.path);
        let own = g
            .holder
            .clone()
            .unwrap_or_else(|| g.address.split(" (").next().unwrap_or(&g.address).to_string());
        let mut holders = Vec::new();
        resolve(&links, dir, &own, 0, &mut holders);
        holders.sort();
        holders.dedup();
        for h in holders {
            let acc = held.entry((dir.to_string(), h)).or_default();
            acc.0.extend(p.reasons.iter().cloned());
            if acc.1.is_none() && p.pass.is_some() {
                acc.1.clone_from(&p.pass);
                acc.3.push(i);
            }
            if acc.2.is_none() && p.launch.is_some() {
                acc.2.clone_from(&p.launch);
                acc.3.push(i);
            }
            if !p.reasons.is_empty() {
                acc.3.push(i);
            }
        }
    }
    let mut items = Vec::new();
    for ((dir, holder), (mut reasons, pass, launch, mut cited)) in held {
        if let (Some(pass), Some(launch)) = (&pass, &launch) {
            reasons.push(format!(
                "can pass any role to code it launches ({pass} with {launch})"
            ));
        } else {
            // Only the grants behind a reported path are cited.
            cited.retain(|&i| !paths(iam, &cx.ws.grants[i].1).reasons.is_empty());
        }
        if reasons.is_empty() {
            continue;
        }
        reasons.dedup();
        cited.sort_unstable();
        cited.dedup();
        let pointers = cited
            .iter()
            .map(|&i| {
                let (file, g, line) = &cx.ws.grants[i];
                let (at, text) = paths(iam, g)
                    .actions
                    .first()
                    .map_or((g.line, line.as_str()), |a| g.line_of(a, line));
                cx.ws.pointer(*file, at, text).labelled(g.address.clone())
            })
            .collect();
        items.push(Item::new(
            format!(
                "{holder} {}: a path to every role, ML roles included",
                reasons.join("; ")
            ),
            format!("escalation|{dir}|{holder}"),
            pointers,
        ));
    }
    Outcome::found(items, || {
        Item::absent("No identity can raise its own privileges", "iam", Vec::new())
    })
}
