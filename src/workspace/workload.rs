//! Kubernetes workloads, normalised: what each pod-bearing resource runs and as whom.
//!
//! A model server or a training job is recognised by what it runs — its image, the model
//! artifact or model URI its arguments and environment name, the accelerators it requests —
//! not by its kind alone, and a Deployment, a CronJob, a KServe InferenceService and a Ray
//! cluster put the same facts at different paths. So each parsed Kubernetes document is
//! read once, during the walk, into a [`Workload`]: kind, name, namespace, service account,
//! and per container the image, command-line words, literal environment values and
//! extended resources requested, each with its line. Checks then decide what a model
//! workload is from patterns in the control file; nothing here knows about models.
//!
//! Only literal values are kept: an `env` entry's `valueFrom`, a non-scalar image or
//! argument, or a templated value is simply not a value. Collections are capped so a
//! hostile manifest cannot make a workload large.

use std::collections::BTreeMap;

use super::node::{Node, Value};

/// At most this many containers per workload, words per container command line and
/// environment entries per container are kept.
const MAX_CONTAINERS: usize = 64;
const MAX_WORDS: usize = 256;
const MAX_ENV: usize = 256;
/// Longest value kept (a model URI is short; a script in `args` is cut).
const MAX_VALUE: usize = 512;
/// How deep `kind: List` documents nest.
const MAX_LIST_DEPTH: usize = 4;

/// A value as written, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    pub line: u32,
}

/// One environment variable with a literal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: Located,
}

/// One container (or a KServe model/runtime component) of a workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    pub image: Option<Located>,
    /// `command` then `args`, split into words (`sh -c "serve --model x"` gives `serve`,
    /// `--model`, `x` too).
    pub words: Vec<Located>,
    pub env: Vec<EnvVar>,
    /// Extended resources requested or limited (`nvidia.com/gpu`), with a non-zero count.
    pub resources: Vec<Located>,
    /// Model locations given as fields (KServe `storageUri`, Seldon `modelUri`).
    pub model_uris: Vec<Located>,
}

/// A pod-bearing resource: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
/// CronJob, Argo Rollout, KServe InferenceService, Ray Service/Cluster/Job, Seldon
/// Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The line of `kind:`.
    pub line: u32,
    /// `serviceAccountName` (or the older `serviceAccount`) of its pod templates: the first
    /// one set (a Ray head group before its workers).
    pub service_account: Option<Located>,
    pub containers: Vec<Container>,
    /// The text of every line above refers to (for evidence), filled by the walk.
    pub texts: BTreeMap<u32, String>,
}

impl Workload {
    /// Every line a value of this workload is on.
    pub fn lines(&self) -> Vec<u32> {
        let mut out = vec![self.line];
        out.extend(self.service_account.iter().map(|s| s.line));
        for c in &self.containers {
            out.extend(c.image.iter().map(|i| i.line));
            out.extend(c.words.iter().map(|w| w.line));
            out.extend(c.env.iter().map(|e| e.value.line));
            out.extend(c.resources.iter().map(|r| r.line));
            out.extend(c.model_uris.iter().map(|r| r.line));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The text of a line (empty when unknown).
    pub fn text(&self, line: u32) -> &str {
        self.texts.get(&line).map_or("", String::as_str)
    }
}

/// What makes a workload a model workload, as patterns the walk can test on a document's
/// text before parsing it (parsing every Deployment of a large monorepo costs more than the
/// rest of the scan). `values` are the control's image, artifact and accelerator patterns,
/// tested [`unanchored`] on the text: a value they match is text of the document, so a
/// document none matches holds no such value; `kinds` are model resource kinds; `settings`
/// are setting-name patterns, tested on the document's words normalised as the check
/// normalises names.
#[derive(Debug, Clone, Default)]
pub struct ModelHint {
    pub values: Vec<String>,
    pub kinds: Vec<String>,
    pub settings: Vec<String>,
}

/// The union of the selected controls' hints, compiled on first use (a scan without
/// Kubernetes manifests never pays for it).
#[derive(Debug, Default)]
pub struct Filter {
    hints: Vec<ModelHint>,
    compiled: std::sync::OnceLock<Compiled>,
    /// Parse every document that may hold a workload.
    everything: bool,
}

#[derive(Debug)]
struct Compiled {
    text: Option<regex::Regex>,
    settings: Option<regex::Regex>,
    hint: Option<regex::Regex>,
    /// A hint could not be made sound (a pattern the syntax parser refused).
    everything: bool,
}

impl Filter {
    /// Every document that may hold a workload is parsed.
    pub fn everything() -> Self {
        Self {
            everything: true,
            ..Self::default()
        }
    }

    pub fn new(hints: &[&ModelHint]) -> Self {
        Self {
            hints: hints.iter().map(|h| (*h).clone()).collect(),
            ..Self::default()
        }
    }

    fn compile(&self) -> Compiled {
        let unsound = Compiled {
            text: None,
            settings: None,
            hint: None,
            everything: true,
        };
        let values: Option<Vec<String>> = self
            .hints
            .iter()
            .flat_map(|h| &h.values)
            .map(|p| unanchored(p))
            .collect();
        let Some(mut text) = values else { return unsound };
        text.extend(self.hints.iter().flat_map(|h| &h.kinds).map(|k| regex::escape(k)));
        let settings: Vec<String> = self
            .hints
            .iter()
            .flat_map(|h| h.settings.iter().cloned())
            .collect();
        let Some(hint) = settings
            .iter()
            .map(|p| unanchored(p))
            .collect::<Option<Vec<String>>>()
        else {
            return unsound;
        };
        let build = |ps: &[String]| -> Result<Option<regex::Regex>, ()> {
            if ps.is_empty() {
                return Ok(None);
            }
            let joined = ps
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|");
            regex::RegexBuilder::new(&joined)
                .size_limit(64 << 20)
                .build()
                .map(Some)
                .map_err(|_| ())
        };
        match (build(&text), build(&settings), build(&hint)) {
            (Ok(text), Ok(settings), Ok(hint)) => Compiled {
                text,
                settings,
                hint,
                everything: false,
            },
            _ => unsound,
        }
    }

    /// False when no workload of `doc` can be a model workload.
    pub fn may_be_model(&self, doc: &str) -> bool {
        if self.everything {
            return true;
        }
        let c = self.compiled.get_or_init(|| self.compile());
        if c.everything || c.text.as_ref().is_some_and(|r| r.is_match(doc)) {
            return true;
        }
        let (Some(hint), Some(settings)) = (&c.hint, &c.settings) else {
            return false;
        };
        // Setting names as the check reads them: lower case, `-` as `_`, leading dashes
        // dropped (`--model-id`, `MODEL_ID` → `model_id`).
        let normal: String = doc
            .chars()
            .map(|c| if c == '-' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        if !hint.is_match(&normal) {
            return false;
        }
        normal
            .split(|c: char| c.is_whitespace() || "\"'=:,[]{}".contains(c))
            .any(|w| settings.is_match(w) || settings.is_match(w.trim_start_matches('_')))
    }
}

/// `pattern` made to match a value inside the document's text: an anchor at the start or
/// end of a value becomes "the text's edge or a character no YAML or JSON value runs into"
/// (a value is delimited by spaces, quotes, `=`, `:`, commas, brackets or a line end, never
/// by a word character, `.` or `-`). Word boundaries stay (a delimiter is not a word
/// character). The result matches the text wherever the original matches a value in it,
/// so it can reject a document whose values it cannot match. `None` when it does not parse.
pub fn unanchored(pattern: &str) -> Option<String> {
    use regex_syntax::hir::{Hir, HirKind, Look};
    fn strip(h: &Hir, start: &Hir, end: &Hir) -> Hir {
        match h.kind() {
            HirKind::Look(Look::Start | Look::StartLF | Look::StartCRLF) => start.clone(),
            HirKind::Look(Look::End | Look::EndLF | Look::EndCRLF) => end.clone(),
            HirKind::Repetition(r) => {
                let mut r = r.clone();
                r.sub = Box::new(strip(&r.sub, start, end));
                Hir::repetition(r)
            }
            HirKind::Capture(c) => {
                let mut c = c.clone();
                c.sub = Box::new(strip(&c.sub, start, end));
                Hir::capture(c)
            }
            HirKind::Concat(v) => Hir::concat(v.iter().map(|x| strip(x, start, end)).collect()),
            HirKind::Alternation(v) => Hir::alternation(v.iter().map(|x| strip(x, start, end)).collect()),
            _ => h.clone(),
        }
    }
    let parse = |p: &str| regex_syntax::Parser::new().parse(p).ok();
    let start = parse(r"(?:\A|[^\w.\-])")?;
    let end = parse(r"(?:\z|[^\w.\-])")?;
    Some(strip(&parse(pattern)?, &start, &end).to_string())
}

/// True when a document may hold a workload: cheap text test before parsing.
pub fn may_hold(doc: &str) -> bool {
    doc.contains("kind")
        && (doc.contains("containers")
            || [
                "InferenceService",
                "RayService",
                "RayCluster",
                "RayJob",
                "SeldonDeployment",
            ]
            .iter()
            .any(|k| doc.contains(k)))
}

/// The workloads in one parsed document (several for a `kind: List`).
pub fn workloads(doc: &Node) -> Vec<Workload> {
    let mut out = Vec::new();
    collect(doc, 0, &mut out);
    out
}

fn collect(doc: &Node, depth: usize, out: &mut Vec<Workload>) {
    let Some(kind) = doc.get("kind") else {
        return;
    };
    if kind.as_str().is_some_and(|k| k.ends_with("List")) {
        if depth < MAX_LIST_DEPTH {
            if let Some(Value::Seq(items)) = doc.get("items").map(|n| &n.value) {
                items.iter().for_each(|i| collect(i, depth + 1, out));
            }
        }
        return;
    }
    // A kustomize or Helm patch (`manager_image_patch.yaml`) is a fragment of a workload
    // declared elsewhere: it names the image to change, not the service account, so it is
    // no workload of its own. `apps/v1` workloads always declare their `spec.selector`.
    let fragment = kind
        .as_str()
        .is_some_and(|k| matches!(k, "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"))
        && at_path(doc, &["spec", "selector"]).is_none();
    if fragment {
        return;
    }
    if let Some(w) = workload(doc, kind) {
        out.push(w);
    }
}

/// The pod specs of a resource, by kind (`None`: not a pod-bearing kind).
fn pod_specs<'a>(kind: &str, doc: &'a Node) -> Option<Vec<&'a Node>> {
    let at = |path: &[&str]| -> Vec<&'a Node> { at_path(doc, path).into_iter().collect() };
    let template = &["spec", "template", "spec"][..];
    let ray = |cluster: &[&str]| -> Vec<&'a Node> {
        let mut v = Vec::new();
        let head: Vec<&str> = cluster
            .iter()
            .chain(&["headGroupSpec", "template", "spec"])
            .copied()
            .collect();
        v.extend(at_path(doc, &head));
        let workers: Vec<&str> = cluster.iter().chain(&["workerGroupSpecs"]).copied().collect();
        for g in seq(at_path(doc, &workers)) {
            v.extend(at_path(g, &["template", "spec"]));
        }
        v
    };
    Some(match kind {
        "Pod" => at(&["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "Rollout" => at(template),
        "CronJob" => at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        "InferenceService" => at(&["spec", "predictor"]),
        "RayService" => ray(&["spec", "rayClusterConfig"]),
        "RayCluster" => ray(&["spec"]),
        "RayJob" => ray(&["spec", "rayClusterSpec"]),
        "SeldonDeployment" => {
            let mut v = Vec::new();
            for p in seq(at_path(doc, &["spec", "predictors"])) {
                for c in seq(p.get("componentSpecs")) {
                    v.extend(c.get("spec"));
                }
            }
            v
        }
        _ => return None,
    })
}

fn workload(doc: &Node, kind: &Node) -> Option<Workload> {
    let kind_text = kind.as_str()?;
    let specs = pod_specs(kind_text, doc)?;
    let meta = |key: &str| {
        at_path(doc, &["metadata", key])
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let mut w = Workload {
        kind: kind_text.to_string(),
        name: meta("name").unwrap_or_default(),
        namespace: meta("namespace").filter(|n| !n.is_empty()),
        line: kind.line,
        service_account: None,
        containers: Vec::new(),
        texts: BTreeMap::new(),
    };
    for spec in specs {
        if w.service_account.is_none() {
            w.service_account = ["serviceAccountName", "serviceAccount"]
                .iter()
                .find_map(|k| located(spec.get(k)?));
        }
        for key in ["initContainers", "containers"] {
            for c in seq(spec.get(key)) {
                push_container(&mut w, container(c));
            }
        }
        if kind_text == "InferenceService" {
            // The predictor's model (`model:`) or framework (`sklearn:`, `pytorch:`…)
            // component is a container spec with a `storageUri`.
            if let Value::Map(entries) = &spec.value {
                for (k, v) in entries {
                    if k.text != "containers" && matches!(v.value, Value::Map(_)) {
                        let c = container(v);
                        if c != Container::default() {
                            push_container(
                                &mut w,
                                Container {
                                    name: k.text.clone(),
                                    ..c
                                },
                            );
                        }
                    }
                }
            }
        }
    }
    if kind_text == "SeldonDeployment" {
        // The inference graph names each model's location (`graph.modelUri`, nested
        // `children`).
        let mut uris = Vec::new();
        for p in seq(at_path(doc, &["spec", "predictors"])) {
            graph_uris(p.get("graph"), 0, &mut uris);
        }
        if !uris.is_empty() {
            push_container(
                &mut w,
                Container {
                    name: "graph".into(),
                    model_uris: uris,
                    ..Container::default()
                },
            );
        }
    }
    Some(w)
}

fn push_container(w: &mut Workload, c: Container) {
    if w.containers.len() < MAX_CONTAINERS {
        w.containers.push(c);
    }
}

fn graph_uris(node: Option<&Node>, depth: usize, out: &mut Vec<Located>) {
    let Some(node) = node.filter(|_| depth < 16 && out.len() < MAX_ENV) else {
        return;
    };
    out.extend(node.get("modelUri").and_then(located));
    for child in seq(node.get("children")) {
        graph_uris(Some(child), depth + 1, out);
    }
}

fn container(c: &Node) -> Container {
    let mut out = Container {
        name: c
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string(),
        image: c.get("image").and_then(located),
        ..Container::default()
    };
    for key in ["command", "args"] {
        for word in seq(c.get(key)) {
            let Some(text) = word.as_str() else { continue };
            for part in text.split_whitespace() {
                if out.words.len() >= MAX_WORDS {
                    break;
                }
                out.words.push(Located {
                    value: cap(part.trim_matches(['"', '\''])),
                    line: word.line,
                });
            }
        }
    }
    for e in seq(c.get("env")).take(MAX_ENV) {
        let (Some(name), Some(value)) = (
            e.get("name").and_then(Node::as_str),
            e.get("value").and_then(located),
        ) else {
            continue;
        };
        out.env.push(EnvVar {
            name: name.to_string(),
            value,
        });
    }
    for key in ["limits", "requests"] {
        if let Some(Value::Map(entries)) = at_path(c, &["resources", key]).map(|n| &n.value) {
            for (k, v) in entries.iter().take(MAX_ENV) {
                let zero = v.as_str().is_some_and(|s| s.trim().trim_matches('"') == "0");
                if k.text.contains('/') && !zero && !out.resources.iter().any(|r| r.value == k.text) {
                    out.resources.push(Located {
                        value: k.text.clone(),
                        line: k.line,
                    });
                }
            }
        }
    }
    for key in ["storageUri", "storageUris", "modelUri"] {
        out.model_uris.extend(c.get(key).and_then(located));
    }
    out
}

/// A non-empty scalar, with its line.
fn located(n: &Node) -> Option<Located> {
    let s = n.as_str()?.trim();
    (!s.is_empty()).then(|| Located {
        value: cap(s),
        line: n.line,
    })
}

fn cap(s: &str) -> String {
    crate::text::truncate_chars(s, MAX_VALUE)
}

fn at_path<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(node, |n, k| n.get(k))
}

fn seq(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    let items: &[Node] = match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    };
    items.iter()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unanchored_patterns_match_values_inside_text() {
        let re = |p: &str| regex::Regex::new(&super::unanchored(p).unwrap()).unwrap();
        let pt = re(r"(?i)\.(?:pt|mar)$");
        assert!(pt.is_match("args: [\"--weights\", \"/m/churn.pt\"]"));
        assert!(pt.is_match("value: /m/churn.PT\n"));
        assert!(!pt.is_match("host: market.example.internal"));
        let models = re("^models:/");
        assert!(models.is_match("value: models:/churn/Production"));
        assert!(!models.is_match("value: mymodels:/x"));
    }

    use super::*;
    use crate::workspace::node::parse_yaml_stream;

    fn parse(text: &str) -> Vec<Workload> {
        parse_yaml_stream(text)
            .unwrap()
            .iter()
            .flat_map(workloads)
            .collect()
    }

    #[test]
    fn a_cronjob_is_read_through_its_job_template() {
        let w = parse(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: retrain\n  namespace: ml\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          serviceAccountName: trainer\n          containers:\n            - name: t\n              image: ghcr.io/acme/train:1\n              args: [\"--model\", \"/models/churn.onnx\"]\n              env:\n                - {name: MODEL_URI, value: \"models:/churn/Production\"}\n                - name: TOKEN\n                  valueFrom: {secretKeyRef: {name: s, key: k}}\n              resources:\n                limits: {nvidia.com/gpu: 1, cpu: 2}\n",
        );
        assert_eq!(w.len(), 1);
        let w = &w[0];
        assert_eq!(
            (w.kind.as_str(), w.name.as_str(), w.namespace.as_deref()),
            ("CronJob", "retrain", Some("ml"))
        );
        assert_eq!(w.line, 2);
        assert_eq!(
            w.service_account.as_ref().map(|s| (s.value.as_str(), s.line)),
            Some(("trainer", 11))
        );
        let c = &w.containers[0];
        assert_eq!(
            c.words.iter().map(|x| x.value.as_str()).collect::<Vec<_>>(),
            ["--model", "/models/churn.onnx"]
        );
        assert_eq!(c.env.len(), 1, "valueFrom is not a literal value");
        assert_eq!(
            c.resources.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
            ["nvidia.com/gpu"]
        );
    }

    #[test]
    fn a_patch_without_a_selector_is_no_workload() {
        let patch = "kind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - image: vllm/vllm-openai\n";
        assert!(parse(patch).is_empty());
        let job = "kind: Job\nmetadata: {name: train}\nspec:\n  template:\n    spec:\n      containers:\n        - image: trainer\n";
        assert_eq!(parse(job).len(), 1, "Jobs need no selector");
    }

    #[test]
    fn odd_values_are_not_values() {
        let w = parse(
            "kind: Deployment\nmetadata: {name: [x]}\nspec:\n  selector: {}\n  template:\n    spec:\n      serviceAccountName: {a: b}\n      containers:\n        - image: [1, 2]\n          args: 7\n          env: [{name: A, value: {x: 1}}, 3]\n          resources: {limits: [1]}\n        - 5\n",
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].name.is_empty() && w[0].service_account.is_none());
        assert!(w[0]
            .containers
            .iter()
            .all(|c| c.image.is_none() && c.words.is_empty() && c.env.is_empty()));
        assert!(parse("kind: ConfigMap\ndata: {containers: x}\n").is_empty());
        assert!(parse("kind: [Deployment]\n").is_empty());
    }

    #[test]
    fn lists_ray_groups_seldon_graphs_and_kserve_components() {
        let w = parse(
            "kind: List\nitems:\n  - kind: RayCluster\n    metadata: {name: r}\n    spec:\n      headGroupSpec: {template: {spec: {containers: [{image: rayproject/ray-ml:2.9}]}}}\n      workerGroupSpecs:\n        - template: {spec: {serviceAccountName: w, containers: [{image: x, resources: {limits: {amd.com/gpu: \"0\"}}}]}}\n  - kind: SeldonDeployment\n    metadata: {name: s}\n    spec:\n      predictors:\n        - graph: {modelUri: \"gs://m/a\", children: [{modelUri: \"s3://m/b\"}]}\n  - kind: InferenceService\n    metadata: {name: i}\n    spec:\n      predictor:\n        sklearn: {storageUri: \"gs://b/churn\"}\n",
        );
        assert_eq!(
            w.iter().map(|w| w.kind.as_str()).collect::<Vec<_>>(),
            ["RayCluster", "SeldonDeployment", "InferenceService"]
        );
        assert_eq!(w[0].containers.len(), 2);
        assert_eq!(w[0].service_account.as_ref().map(|s| s.value.as_str()), Some("w"));
        assert!(
            w[0].containers[1].resources.is_empty(),
            "a zero count requests nothing"
        );
        assert_eq!(w[1].containers[0].model_uris.len(), 2);
        assert_eq!(w[2].containers[0].name, "sklearn");
        assert_eq!(w[2].containers[0].model_uris[0].value, "gs://b/churn");
    }
}
