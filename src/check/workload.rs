//! `workload`: Kubernetes workloads that serve or train a model, and the service accounts
//! they run as. The workloads are normalised during the walk (see `workspace::workload`);
//! this decides which of them run a model, from patterns in the control file, and finds:
//!
//! - `find: model` — every model workload (what a service-account check examined);
//! - `find: default_account` — model workloads on the namespace's `default` service
//!   account (no `serviceAccountName`, or `default`);
//! - `find: shared_account` — one service account of a namespace used by several model
//!   workloads: a grant one model needs is then held by all of them.
//!
//! A workload runs a model when its kind is a model server's (`kinds`), a container image
//! is a model server's (`images`), a command-line word or environment value is a model
//! artifact or model URI (`artifacts`), a model setting (`--model`, `MODEL_ID`) names a
//! model (`settings`, `setting_values`), a model component gives its location
//! (`storageUri`), or it requests accelerators (`accelerators`). Containers on a client
//! image (`client_images`: an SDK or benchmark image calls a model, it does not run one)
//! count for nothing. Every finding says why the workload counts.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::compile::OneOrMany;
use super::{CompileCx, Context, Outcome};
use crate::evidence::{Item, Pointer};
use crate::workspace::matcher::LazyRegex;
use crate::workspace::workload::{Container, Workload};
use crate::workspace::FileId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// What to find (one or several).
    pub find: OneOrMany<Find>,
    /// What makes a workload a model workload.
    pub model: ModelSpec,
    /// For `find: shared_account`: report an account shared by at least this many
    /// workloads (default 2).
    pub shared: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Kinds that run a model whatever their containers (`InferenceService`).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Images of model servers and training frameworks.
    pub images: Option<Spanned<OneOrMany<String>>>,
    /// Images that call a model and do not run one (SDK, benchmark clients).
    pub client_images: Option<Spanned<OneOrMany<String>>>,
    /// A command-line word, environment value or model field that is a model artifact or
    /// model URI by itself (`*.onnx`, `models:/…`, `hf.co/…`).
    pub artifacts: Option<Spanned<OneOrMany<String>>>,
    /// Names of settings whose value names a model: environment variables and
    /// command-line flags, compared lowercased with `-` as `_` and leading dashes removed
    /// (`MODEL_ID`, `--model-id` → `model_id`).
    pub settings: Option<Spanned<OneOrMany<String>>>,
    /// What a setting's value must look like to name a model (`org/name`, a path, a URI);
    /// without it, any literal value.
    pub setting_values: Option<Spanned<OneOrMany<String>>>,
    /// Extended resources that are accelerators (`nvidia.com/gpu`).
    pub accelerators: Option<Spanned<OneOrMany<String>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Find {
    Model,
    DefaultAccount,
    SharedAccount,
}

type Regexes = Vec<(String, LazyRegex)>;

#[derive(Debug)]
pub struct WorkloadCheck {
    find: Vec<Find>,
    kinds: Vec<String>,
    images: Regexes,
    client_images: Regexes,
    artifacts: Regexes,
    settings: Regexes,
    setting_values: Regexes,
    accelerators: Regexes,
    shared: usize,
}

impl Spec {
    pub fn compile(&self, cx: &mut CompileCx<'_>) -> Option<WorkloadCheck> {
        let m = &self.model;
        let mut bad = false;
        let mut list = |cx: &mut CompileCx<'_>, v: &Option<Spanned<OneOrMany<String>>>| -> Regexes {
            match v {
                Some(v) => cx.regexes(v).unwrap_or_else(|| {
                    bad = true;
                    Vec::new()
                }),
                None => Vec::new(),
            }
        };
        let check = WorkloadCheck {
            find: self.find.clone().into_vec(),
            kinds: m.kinds.clone(),
            images: list(cx, &m.images),
            client_images: list(cx, &m.client_images),
            artifacts: list(cx, &m.artifacts),
            settings: list(cx, &m.settings),
            setting_values: list(cx, &m.setting_values),
            accelerators: list(cx, &m.accelerators),
            shared: self.shared.unwrap_or(2),
        };
        if bad {
            return None;
        }
        if check.find.is_empty() {
            cx.error(None, "`workload` needs at least one `find`");
            return None;
        }
        if check.kinds.is_empty()
            && check.images.is_empty()
            && check.artifacts.is_empty()
            && check.settings.is_empty()
            && check.accelerators.is_empty()
        {
            cx.error(
                None,
                "`workload` `model` needs at least one of `kinds`, `images`, `artifacts`, `settings`, `accelerators`",
            );
            return None;
        }
        if check.settings.is_empty() && !check.setting_values.is_empty() {
            cx.error(
                None,
                "`setting_values` needs `settings` (the names whose values they are)",
            );
            return None;
        }
        if check.shared < 2 {
            cx.error(
                None,
                "`shared` counts workloads sharing an account: use 2 or more",
            );
            return None;
        }
        let hint = check.hint();
        cx.workload_readers.push((cx.matchers.owner, hint));
        Some(check)
    }
}

impl WorkloadCheck {
    /// What the walk may test before parsing a document (see `workload::ModelHint`).
    fn hint(&self) -> crate::workspace::workload::ModelHint {
        let patterns = |r: &Regexes| r.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        let mut values = patterns(&self.images);
        values.extend(patterns(&self.artifacts));
        values.extend(patterns(&self.accelerators));
        crate::workspace::workload::ModelHint {
            values,
            kinds: self.kinds.clone(),
            settings: patterns(&self.settings),
        }
    }
}

/// Why a workload runs a model: the words of a finding and the line they come from.
#[derive(Debug, Clone)]
struct Why {
    text: String,
    line: u32,
}

/// A model workload of the scanned targets and why it is one.
struct Model<'a> {
    file: FileId,
    w: &'a Workload,
    why: Why,
}

impl<'a> Model<'a> {
    /// `Deployment churn-api`.
    fn title(&self) -> String {
        if self.w.name.is_empty() {
            self.w.kind.clone()
        } else {
            format!("{} {}", self.w.kind, self.w.name)
        }
    }

    /// ` (image vllm/vllm-openai)`: why, unless its kind says it (`RayService x`).
    fn because(&self) -> String {
        if self.why.line == self.w.line && self.why.text == format!("kind {}", self.w.kind) {
            String::new()
        } else {
            format!(" ({})", self.why.text)
        }
    }

    fn pointer(&self, cx: &Context<'_>, line: u32) -> Pointer {
        cx.ws.pointer(self.file, line, self.w.text(line))
    }

    /// A pointer to the line that makes it a model workload, labelled with the reason.
    fn why_pointer(&self, cx: &Context<'_>) -> Pointer {
        self.pointer(cx, self.why.line)
            .labelled(format!("{}: {}", self.title(), self.why.text))
    }
}

fn any(list: &Regexes, s: &str) -> bool {
    list.iter().any(|(_, re)| re.is_match(s))
}

/// Templated text (`{{ .Values.model }}`, `${MODEL}`) names nothing yet.
fn templated(s: &str) -> bool {
    s.contains("{{") || s.contains("${")
}

/// `--model-id`, `MODEL_ID` → `model_id`.
fn setting_name(s: &str) -> String {
    s.trim_start_matches('-').to_ascii_lowercase().replace('-', "_")
}

impl WorkloadCheck {
    /// What this check evaluates, in words (for `explain`).
    pub fn describe(&self) -> String {
        let finds: Vec<&str> = self
            .find
            .iter()
            .map(|f| match f {
                Find::Model => "every model-serving or training workload",
                Find::DefaultAccount => "model workloads on the default service account",
                Find::SharedAccount => "service accounts shared by model workloads",
            })
            .collect();
        format!(
            "Kubernetes workloads: {} (a model workload: by kind, image, model artifact or URI in its arguments or environment, or accelerator request)",
            finds.join("; ")
        )
    }

    /// The first reason a workload runs a model, if it does.
    fn why(&self, w: &Workload) -> Option<Why> {
        if self.kinds.contains(&w.kind) {
            return Some(Why {
                text: format!("kind {}", w.kind),
                line: w.line,
            });
        }
        w.containers
            .iter()
            .filter(|c| {
                !c.image
                    .as_ref()
                    .is_some_and(|i| any(&self.client_images, &i.value))
            })
            .find_map(|c| self.why_container(c))
    }

    fn why_container(&self, c: &Container) -> Option<Why> {
        let why = |text: String, line: u32| Some(Why { text, line });
        if let Some(i) = c.image.as_ref().filter(|i| any(&self.images, &i.value)) {
            return why(format!("image {}", i.value), i.line);
        }
        if let Some(r) = c.resources.iter().find(|r| any(&self.accelerators, &r.value)) {
            return why(format!("requests {}", r.value), r.line);
        }
        if let Some(u) = c.model_uris.iter().find(|u| !templated(&u.value)) {
            return why(format!("model at {}", u.value), u.line);
        }
        for e in &c.env {
            let v = &e.value.value;
            if templated(v) {
                continue;
            }
            if any(&self.artifacts, v) {
                return why(format!("env {} points at {v}", e.name), e.value.line);
            }
            if self.names_model(&e.name, v) {
                return why(format!("env {} names model {v}", e.name), e.value.line);
            }
        }
        self.why_words(c)
    }

    /// A setting naming a model: its name is a model setting's and its value looks like a
    /// model reference.
    fn names_model(&self, name: &str, value: &str) -> bool {
        any(&self.settings, &setting_name(name))
            && (self.setting_values.is_empty() || any(&self.setting_values, value))
    }

    /// `--model /models/churn.onnx`, `--model=meta-llama/Llama-3-8B`, `/models/x.onnx`.
    fn why_words(&self, c: &Container) -> Option<Why> {
        let words = &c.words;
        for (i, w) in words.iter().enumerate() {
            let v = &w.value;
            if templated(v) {
                continue;
            }
            if v.starts_with('-') {
                let (flag, value) = match v.split_once('=') {
                    Some((f, val)) => (f, Some((val, w.line))),
                    None => (
                        v.as_str(),
                        words
                            .get(i + 1)
                            .filter(|n| !n.value.starts_with('-'))
                            .map(|n| (n.value.as_str(), n.line)),
                    ),
                };
                if let Some((value, line)) = value.filter(|(val, _)| !val.is_empty() && !templated(val)) {
                    if any(&self.artifacts, value) {
                        return Some(Why {
                            text: format!("arg {flag} points at {value}"),
                            line,
                        });
                    }
                    if self.names_model(flag, value) {
                        return Some(Why {
                            text: format!("arg {flag} names model {value}"),
                            line,
                        });
                    }
                }
            } else if any(&self.artifacts, v) {
                return Some(Why {
                    text: format!("runs with model {v}"),
                    line: w.line,
                });
            }
        }
        None
    }

    /// The model workloads of the scanned targets (not tests, examples or evidence), in
    /// path order.
    fn models<'a>(&self, cx: &Context<'a>) -> Vec<Model<'a>> {
        cx.ws
            .workloads
            .iter()
            .filter(|(file, _)| {
                let f = cx.ws.file(*file);
                !f.flags.test && !f.flags.example && !cx.ws.targets[f.target as usize].evidence_only
            })
            .filter_map(|(file, w)| self.why(w).map(|why| Model { file: *file, w, why }))
            .collect()
    }

    pub fn evaluate(&self, cx: &Context<'_>) -> Outcome {
        let models = self.models(cx);
        let mut items = Vec::new();
        for find in &self.find {
            match find {
                Find::Model => items.extend(models.iter().map(|m| {
                    let f = cx.ws.file(m.file);
                    Item::new(
                        format!("{} runs a model{}", m.title(), m.because()),
                        format!("workload|{}|{}", f.path, m.title()),
                        vec![m.why_pointer(cx)],
                    )
                })),
                Find::DefaultAccount => items.extend(models.iter().filter_map(|m| default_account(cx, m))),
                Find::SharedAccount => items.extend(self.shared_accounts(cx, &models)),
            }
        }
        Outcome::found(items, || {
            let what = if self.find == [Find::Model] {
                "No model-serving or training workload found"
            } else {
                "No model workload on a default or shared service account"
            };
            Item::absent(what, "workload", Vec::new())
        })
    }

    /// Service accounts (per target and namespace) of `shared` or more model workloads
    /// (by name: a base and its overlay are one workload), each reported with a pointer
    /// to every sharer's `serviceAccountName`.
    fn shared_accounts(&self, cx: &Context<'_>, models: &[Model<'_>]) -> Vec<Item> {
        type Key<'k> = (crate::evidence::TargetId, &'k str, &'k str);
        let mut groups: BTreeMap<Key<'_>, Vec<&Model<'_>>> = BTreeMap::new();
        for m in models {
            let Some(sa) = &m.w.service_account else { continue };
            if sa.value == "default" || templated(&sa.value) {
                continue;
            }
            let ns = m.w.namespace.as_deref().unwrap_or("");
            groups
                .entry((cx.ws.file(m.file).target, ns, sa.value.as_str()))
                .or_default()
                .push(m);
        }
        let mut items = Vec::new();
        for ((_, ns, sa), ms) in groups {
            let mut seen: Vec<&str> = Vec::new();
            let mut named: BTreeMap<&str, String> = BTreeMap::new();
            for m in &ms {
                if !seen.contains(&m.w.name.as_str()) {
                    seen.push(&m.w.name);
                    named.insert(&m.w.name, format!("{}{}", m.title(), m.because()));
                }
            }
            if seen.len() < self.shared {
                continue;
            }
            let shown = if ns.is_empty() {
                sa.to_string()
            } else {
                format!("{ns}/{sa}")
            };
            let pointers = ms
                .iter()
                .filter_map(|m| {
                    let line = m.w.service_account.as_ref()?.line;
                    Some(
                        m.pointer(cx, line)
                            .labelled(format!("{}: {}", m.title(), m.why.text)),
                    )
                })
                .collect();
            items.push(Item::new(
                format!(
                    "Service account {shown} is shared by {} model workloads: {}",
                    seen.len(),
                    named.into_values().collect::<Vec<_>>().join(", ")
                ),
                format!("shared|{ns}|{sa}"),
                pointers,
            ));
        }
        items
    }
}

/// A model workload on the namespace's default service account: reported at its
/// `serviceAccountName: default`, or at its kind when it names none.
fn default_account(cx: &Context<'_>, m: &Model<'_>) -> Option<Item> {
    let (line, how) = match &m.w.service_account {
        None => (m.w.line, " (it sets no serviceAccountName)"),
        Some(sa) if sa.value == "default" => (sa.line, ""),
        Some(_) => return None,
    };
    let f = cx.ws.file(m.file);
    let mut pointers = vec![m.pointer(cx, line).labelled(m.title())];
    if m.why.line != line {
        pointers.push(m.why_pointer(cx));
    }
    Some(Item::new(
        format!(
            "{} runs a model{} on the namespace's default service account{how}",
            m.title(),
            m.because()
        ),
        format!("default|{}|{}", f.path, m.title()),
        pointers,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::node::parse_yaml_stream;
    use crate::workspace::workload::workloads;

    fn check() -> WorkloadCheck {
        let re = |s: &str| vec![(s.to_string(), LazyRegex::new(s, true).unwrap())];
        WorkloadCheck {
            find: vec![Find::Model],
            kinds: vec!["InferenceService".into()],
            images: re("(?i)vllm"),
            client_images: re("-sdk$"),
            artifacts: re(r"\.onnx$|^models:/"),
            settings: re("^model(?:_id)?$"),
            setting_values: re(r"^[\w.-]+/[\w.-]+$"),
            accelerators: re(r"^nvidia\.com/gpu$"),
            shared: 2,
        }
    }

    fn why(container: &str) -> Option<String> {
        let doc = format!("kind: Pod\nspec:\n  containers:\n    - {container}\n");
        let w = workloads(&parse_yaml_stream(&doc).unwrap()[0]);
        check().why(&w[0]).map(|w| w.text)
    }

    #[test]
    fn a_model_workload_is_known_by_what_it_runs() {
        assert_eq!(
            why("{image: vllm/vllm-openai:v1}").as_deref(),
            Some("image vllm/vllm-openai:v1")
        );
        assert_eq!(
            why("{image: vllm-sdk, args: [a]}"),
            None,
            "a client image counts for nothing"
        );
        assert_eq!(
            why("{image: x, resources: {limits: {nvidia.com/gpu: 1}}}").as_deref(),
            Some("requests nvidia.com/gpu")
        );
        assert_eq!(
            why("{image: x, env: [{name: MODEL_URI, value: 'models:/churn/Production'}]}").as_deref(),
            Some("env MODEL_URI points at models:/churn/Production")
        );
        assert_eq!(
            why("{image: x, env: [{name: MODEL_ID, value: meta-llama/Llama-3-8B}]}").as_deref(),
            Some("env MODEL_ID names model meta-llama/Llama-3-8B")
        );
        assert_eq!(
            why("{image: x, env: [{name: MODEL, value: gpt-4o}]}"),
            None,
            "a hosted model's name"
        );
        assert_eq!(
            why("{image: x, args: ['--model', '/m/churn.onnx']}").as_deref(),
            Some("arg --model points at /m/churn.onnx")
        );
        assert_eq!(
            why("{image: x, command: [sh, -c, 'serve --model-id=org/m']}").as_deref(),
            Some("arg --model-id names model org/m")
        );
        assert_eq!(why("{image: x, args: ['--model', '{{ .Values.model }}']}"), None);
        assert_eq!(why("{image: x, args: [--model, --verbose]}"), None);
    }
}
