#!/usr/bin/env python3
"""Generate a deterministic synthetic monorepo for benchmarking redflag.

Standard library only. Same --seed and same sizes => byte-identical tree
(for a given CPython 3.x minor version; `random` is stable across them).

Full size (default):   ~100,000 files, ~1 GB apparent size, of which ~30%
                       is three binary "model weight" files.
Smoke:                 gen_monorepo.py /tmp/t --files 5000 --size-mb 50

Layout (under PATH):
  .git/                       minimal, so .gitignore rules apply (ignore crate / rg
                              only honour .gitignore inside a git repository)
  .gitignore                  node_modules/, dist/, __pycache__/, *.pyc, .venv/
  .github/ .env.example ...   dotfiles (hidden files are scanned)
  services/py-*/              Python services (requirements.txt, pyproject.toml)
  packages/web-*/             TS/JS packages (package.json, some package-lock.json)
  services/go-*/              Go services (go.mod)
  ml/*/                       ML projects (model.predict, joblib.load, notebooks)
  infra/terraform/*/          Terraform (.tf: IAM, S3, SageMaker, KMS, ...)
  deploy/k8s/*/               Kubernetes multi-document YAML
  docs/*/                     Markdown with non-ASCII text (accents, CJK, emoji)
  models/                     3 large binary weights (.safetensors/.pt/.onnx)
  **/node_modules/, dist/     gitignored content (must NOT be scanned)

--huge-model-gb G adds models/huge/llm-70b-instruct.safetensors, a sparse file of
G GiB (takes no disk). --only-huge adds just that file to an existing tree.
"""

import argparse
import json
import os
import random
import sys
import time

MiB = 1024 * 1024
HUGE_MODEL_REL = os.path.join("models", "huge", "llm-70b-instruct.safetensors")

# ----------------------------------------------------------------------------
# word lists
# ----------------------------------------------------------------------------
WORDS = (
    "account order invoice payment ledger user session token cache queue worker "
    "batch stream event metric report audit policy tenant region cluster node "
    "shard replica backup snapshot export ingest search index embed vector "
    "feature label dataset sample score rank filter router gateway proxy client "
    "server handler service adapter store repo model schema config loader parser "
    "builder factory manager registry monitor alert billing pricing catalog "
    "inventory shipment customer profile consent retention deletion encrypt "
    "decrypt rotate key secret vault signer verify checkout cart coupon review"
).split()
TEAMS = "atlas borealis cobalt delta ember falcon granite harbor iris juniper kestrel lumen meridian nova onyx pioneer quartz raven sierra tundra".split()
ENVS = ["dev", "staging", "prod", "sandbox", "dr"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]

NON_ASCII = [
    "Le café résumé: la coöpération naïve entre équipes est déjà validée.",
    "Über die Größe der Datenmenge: Prüfung läuft täglich um 03:00 Uhr.",
    "El niño pidió una señal de vida; la canción terminó en año nuevo.",
    "数据保留策略：用户数据在删除请求后三十天内清除。",
    "モデルの評価は毎週月曜日に実施され、結果はダッシュボードに表示されます。",
    "모델 배포 전에 보안 검토를 완료해야 합니다.",
    "Проверка доступа выполняется ежеквартально.",
    "Η πολιτική κρυπτογράφησης ισχύει για όλα τα δεδομένα.",
    "🚀 Deploys go out every Tuesday ✅ — rollbacks are one click 🔁.",
    "⚠️ Do not paste customer data into prompts 🙅‍♀️; use the redaction helper 🧹.",
    "Status: 🟢 healthy · 🟡 degraded · 🔴 down — see the runbook 📘.",
    "Naïve Bayes baseline → gradient boosting ≈ +3.2% AUC (±0.4%).",
    "Ünïcödé ßtrings ﬁle names ½ and ligatures ﬂow through the pipeline.",
    "Ответственный: Иван Петров; 担当者: 山田太郎; Owner: José Muñoz.",
]

# Lines that are what a scanner looks for. Inserted into a minority of files.
PY_SIGNALS = [
    "import openai\n",
    "from openai import OpenAI\n",
    "from anthropic import Anthropic\n",
    "import anthropic\n",
    "client = Anthropic(api_key=os.environ[\"ANTHROPIC_API_KEY\"])\n",
    "client = OpenAI(api_key=os.getenv(\"OPENAI_API_KEY\"))\n",
    "preds = model.predict(features)\n",
    "clf = joblib.load(\"artifacts/model.joblib\")\n",
    "weights = torch.load(path, map_location=\"cpu\")\n",
    "from scipy.stats import ks_2samp\n",
    "stat, p_value = ks_2samp(reference[col], current[col])\n",
    "from evidently.report import Report\n",
    "import mlflow\n",
    "from transformers import AutoModelForCausalLM\n",
    "model = AutoModelForCausalLM.from_pretrained(\"meta-llama/Llama-3-8B\")\n",
    "BASE_URL = \"https://api.openai.com/v1\"\n",
    "logging.info(\"prompt=%s\", prompt)\n",
    "resp = client.messages.create(model=\"claude-3-5-sonnet-20241022\", max_tokens=1024, messages=msgs)\n",
    "# TODO: guard against prompt injection in user-supplied context\n",
    "TEST_KEY = \"sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE0123456789\"\n",
    "data = pickle.load(open(p, \"rb\"))\n",
    "from langchain.chat_models import ChatOpenAI\n",
]
TS_SIGNALS = [
    'import OpenAI from "openai";\n',
    "import Anthropic from \"@anthropic-ai/sdk\";\n",
    "const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });\n",
    "const res = await fetch(\"https://api.anthropic.com/v1/messages\", opts);\n",
    "const openai = require(\"openai\");\n",
    "  model: \"gpt-4o\",\n  temperature: 0.2,\n",
    "// prompt-injection: strip system-prompt overrides from user input\n",
]
GO_SIGNALS = [
    "\tendpoint := \"https://api.openai.com/v1/chat/completions\"\n",
    "\tkey := os.Getenv(\"OPENAI_API_KEY\")\n",
    "\t// AKIAEXAMPLEEXAMPLE12 is a documentation key, not real\n",
]
MD_SIGNALS = [
    "We evaluate the model for prompt injection and jailbreaks before each release.\n",
    "See the model card in `docs/model-card.md` for intended use and limitations.\n",
    "Data drift is monitored with `evidently` and a two-sample KS test (`ks_2samp`).\n",
    "Set `OPENAI_API_KEY` in your shell before running the examples.\n",
    "Incident response for model failures follows the standard on-call runbook.\n",
    "Retention period for PII is 30 days after account deletion.\n",
]
YAML_SIGNALS = [
    "            - name: OPENAI_API_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: llm-keys\n                  key: openai\n",
    "            - name: ANTHROPIC_API_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: llm-keys\n                  key: anthropic\n",
]


def ident(rng):
    return rng.choice(WORDS) + "_" + rng.choice(WORDS)


def camel(rng):
    return rng.choice(WORDS).capitalize() + rng.choice(WORDS).capitalize()


# ----------------------------------------------------------------------------
# block generators: each returns one self-contained text block (str)
# Concatenations of blocks stay syntactically valid for the file type.
# ----------------------------------------------------------------------------
def py_block(rng):
    kind = rng.random()
    fn = ident(rng)
    a, b, c = ident(rng) + "_a", ident(rng) + "_b", ident(rng) + "_c"
    if kind < 0.45:
        lines = [f"def {fn}({a}, {b}=None, *, timeout: float = {rng.randint(1, 60)}.0):\n",
                 f'    """Compute the {rng.choice(WORDS)} {rng.choice(WORDS)} for a {rng.choice(WORDS)}.\n\n'
                 f"    Returns a dict keyed by {rng.choice(WORDS)} id.\n    \"\"\"\n",
                 f"    result = {{}}\n",
                 f"    for {c} in {a}:\n",
                 f"        if {c} is None or not getattr({c}, \"{rng.choice(WORDS)}\", True):\n",
                 f"            continue\n",
                 f"        key = ({c}.{rng.choice(WORDS)}_id, {c}.{rng.choice(WORDS)})\n",
                 f"        result[key] = result.get(key, 0) + {rng.randint(1, 9)}\n"]
        for _ in range(rng.randint(0, 8)):
            lines.append(f"    {ident(rng)} = {a}.{rng.choice(WORDS)}({b}, {rng.randint(0, 999)})  # {rng.choice(WORDS)}\n")
        lines.append(f"    logger.debug(\"{fn} processed %d items\", len(result))\n")
        lines.append("    return result\n\n\n")
        return "".join(lines)
    if kind < 0.8:
        cls = camel(rng)
        lines = [f"class {cls}({rng.choice(['object', 'BaseModel', 'Exception', 'Protocol'])}):\n",
                 f'    """{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} wrapper."""\n\n',
                 f"    {a}: str = \"{rng.choice(WORDS)}\"\n",
                 f"    {b}: int = {rng.randint(0, 10000)}\n\n"]
        for _ in range(rng.randint(1, 5)):
            m = ident(rng)
            lines.append(f"    def {m}(self, {c}):\n")
            lines.append(f"        if not {c}:\n            raise ValueError(\"empty {rng.choice(WORDS)}\")\n")
            lines.append(f"        return [x for x in {c} if x.{rng.choice(WORDS)} > {rng.randint(0, 50)}]\n\n")
        lines.append("\n")
        return "".join(lines)
    if kind < 0.9:
        return (f"# {rng.choice(NON_ASCII)}\n"
                f"{a.upper()} = {{\n" +
                "".join(f"    \"{rng.choice(WORDS)}\": {rng.randint(0, 99999)},\n" for _ in range(rng.randint(3, 20))) +
                "}\n\n\n")
    return (f"def test_{fn}():\n"
            f"    obj = {camel(rng)}()\n"
            f"    assert obj.{a}({rng.randint(0, 9)}) == {rng.randint(0, 9)}\n"
            f"    assert \"{rng.choice(WORDS)}\" in repr(obj)\n\n\n")


def ts_block(rng):
    kind = rng.random()
    name = camel(rng)
    if kind < 0.4:
        fields = "".join(f"  {rng.choice(WORDS)}{i}: {rng.choice(['string', 'number', 'boolean', 'Date', 'string[]'])};\n"
                         for i in range(rng.randint(2, 12)))
        return f"export interface {name} {{\n{fields}}}\n\n"
    if kind < 0.8:
        body = "".join(f"  const {rng.choice(WORDS)}{i} = await {rng.choice(WORDS)}Client.{rng.choice(WORDS)}({rng.randint(0, 99)});\n"
                       for i in range(rng.randint(1, 10)))
        return (f"export async function load{name}(id: string, opts: RequestInit = {{}}): Promise<{name} | null> {{\n"
                f"  if (!id) throw new Error(\"missing {rng.choice(WORDS)} id\");\n{body}"
                f"  return null;\n}}\n\n")
    if kind < 0.9:
        return (f"export const {name}View = ({{ {rng.choice(WORDS)} }}: Props) => {{\n"
                f"  const [state, setState] = useState<number>({rng.randint(0, 9)});\n"
                f"  return <div className=\"{rng.choice(WORDS)}-{rng.choice(WORDS)}\">{{state}}</div>;\n}};\n\n")
    return f"// {rng.choice(NON_ASCII)}\nexport const {name.upper()}_LABEL = \"{rng.choice(NON_ASCII)}\";\n\n"


def go_block(rng):
    name = camel(rng)
    body = "".join(f"\tif err := s.{rng.choice(WORDS)}.{camel(rng)}(ctx, {rng.randint(0, 99)}); err != nil {{\n"
                   f"\t\treturn nil, fmt.Errorf(\"{rng.choice(WORDS)}: %w\", err)\n\t}}\n"
                   for _ in range(rng.randint(1, 6)))
    return (f"// {name} handles the {rng.choice(WORDS)} {rng.choice(WORDS)} flow.\n"
            f"func (s *Server) {name}(ctx context.Context, req *{name}Request) (*{name}Response, error) {{\n"
            f"{body}\treturn &{name}Response{{}}, nil\n}}\n\n")


def md_block(rng):
    parts = [f"## {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)}\n\n"]
    for _ in range(rng.randint(1, 4)):
        sent = []
        for _ in range(rng.randint(3, 8)):
            if rng.random() < 0.25:
                sent.append(rng.choice(NON_ASCII))
            else:
                w = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
                sent.append(" ".join(w).capitalize() + ".")
        parts.append(" ".join(sent) + "\n\n")
    r = rng.random()
    if r < 0.2:
        parts.append("| " + " | ".join(rng.choice(WORDS) for _ in range(4)) + " |\n|---|---|---|---|\n")
        for _ in range(rng.randint(2, 8)):
            parts.append("| " + " | ".join(rng.choice(WORDS + ["✅", "❌", "⚠️", "—"]) for _ in range(4)) + " |\n")
        parts.append("\n")
    elif r < 0.35:
        parts.append(f"```bash\n{rng.choice(['make', 'just', 'npm run', 'poetry run'])} {rng.choice(WORDS)} --{rng.choice(WORDS)}\n```\n\n")
    return "".join(parts)


def json_value_block(rng, depth=0):
    """A JSON value (object) as str."""
    obj = {}
    for _ in range(rng.randint(2, 10)):
        k = rng.choice(WORDS) + ("_" + rng.choice(WORDS) if rng.random() < 0.5 else "")
        r = rng.random()
        if r < 0.3:
            obj[k] = rng.randint(0, 100000)
        elif r < 0.55:
            obj[k] = rng.choice(WORDS) + "-" + rng.choice(WORDS)
        elif r < 0.65:
            obj[k] = rng.random() < 0.5
        elif r < 0.72:
            obj[k] = rng.choice(NON_ASCII)
        elif r < 0.85 and depth < 2:
            obj[k] = json.loads(json_value_block(rng, depth + 1))
        else:
            obj[k] = [rng.choice(WORDS) for _ in range(rng.randint(1, 6))]
    return json.dumps(obj, indent=2, ensure_ascii=False)


def iam_policy_json(rng, star):
    stmt = [{"Sid": camel(rng), "Effect": "Allow",
             "Action": "*" if star else [f"s3:{rng.choice(['GetObject', 'PutObject', 'ListBucket'])}",
                                         f"kms:{rng.choice(['Decrypt', 'Encrypt', 'GenerateDataKey'])}"],
             "Resource": "*" if star or rng.random() < 0.3 else f"arn:aws:s3:::{rng.choice(TEAMS)}-{rng.choice(WORDS)}/*"}]
    return json.dumps({"Version": "2012-10-17", "Statement": stmt}, indent=2)


def tf_block(rng):
    r = rng.random()
    n = f"{rng.choice(WORDS)}_{rng.randint(0, 99999)}"
    team = rng.choice(TEAMS)
    if r < 0.25:
        return (f"resource \"aws_s3_bucket\" \"{n}\" {{\n  bucket = \"{team}-{n.replace('_', '-')}\"\n"
                + (f"  acl    = \"public-read\"\n" if rng.random() < 0.05 else "")
                + f"  tags = {{\n    Team        = \"{team}\"\n    Environment = \"{rng.choice(ENVS)}\"\n  }}\n}}\n\n"
                + (f"resource \"aws_s3_bucket_server_side_encryption_configuration\" \"{n}\" {{\n"
                   f"  bucket = aws_s3_bucket.{n}.id\n  rule {{\n    apply_server_side_encryption_by_default {{\n"
                   f"      sse_algorithm     = \"aws:kms\"\n      kms_master_key_id = aws_kms_key.{n}.arn\n    }}\n  }}\n}}\n\n"
                   if rng.random() < 0.6 else ""))
    if r < 0.45:
        star = rng.random() < 0.15
        pol = iam_policy_json(rng, star)
        return (f"resource \"aws_iam_role_policy\" \"{n}\" {{\n  name = \"{team}-{n}\"\n  role = aws_iam_role.{team}.id\n"
                f"  policy = <<EOF\n{pol}\nEOF\n}}\n\n")
    if r < 0.55:
        return (f"resource \"aws_sagemaker_endpoint_configuration\" \"{n}\" {{\n  name = \"{team}-{n}\"\n"
                f"  production_variants {{\n    variant_name           = \"primary\"\n    model_name             = aws_sagemaker_model.{n}.name\n"
                f"    initial_instance_count = {rng.randint(1, 4)}\n    instance_type          = \"ml.{rng.choice(['m5', 'c5', 'g5'])}.xlarge\"\n  }}\n}}\n\n"
                f"resource \"aws_sagemaker_endpoint\" \"{n}\" {{\n  name                 = \"{team}-{n}\"\n"
                f"  endpoint_config_name = aws_sagemaker_endpoint_configuration.{n}.name\n}}\n\n")
    if r < 0.65:
        return (f"resource \"aws_kms_key\" \"{n}\" {{\n  description             = \"{rng.choice(WORDS)} key\"\n"
                f"  deletion_window_in_days = {rng.choice([7, 14, 30])}\n  enable_key_rotation     = {rng.choice(['true', 'true', 'false'])}\n}}\n\n")
    if r < 0.8:
        return (f"variable \"{n}\" {{\n  type        = {rng.choice(['string', 'number', 'bool', 'list(string)'])}\n"
                f"  description = \"{rng.choice(WORDS)} {rng.choice(WORDS)}\"\n  default     = null\n}}\n\n")
    if r < 0.9:
        return (f"resource \"aws_security_group\" \"{n}\" {{\n  name   = \"{team}-{n}\"\n  vpc_id = var.vpc_id\n"
                f"  ingress {{\n    from_port   = {rng.choice([443, 80, 5432, 6379])}\n    to_port     = {rng.choice([443, 80, 5432, 6379])}\n"
                f"    protocol    = \"tcp\"\n    cidr_blocks = [\"{rng.choice(['10.0.0.0/8', '0.0.0.0/0', '172.16.0.0/12'])}\"]\n  }}\n}}\n\n")
    return f"output \"{n}\" {{\n  value = aws_{rng.choice(['s3_bucket', 'kms_key', 'iam_role'])}.{n}.arn\n}}\n\n"


def k8s_doc(rng):
    r = rng.random()
    app = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    ns = rng.choice(TEAMS)
    if r < 0.45:
        env = "".join(f"            - name: {rng.choice(WORDS).upper()}_{rng.choice(WORDS).upper()}\n              value: \"{rng.randint(0, 999)}\"\n"
                      for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.08:
            env += rng.choice(YAML_SIGNALS)
        priv = "          securityContext:\n            privileged: true\n" if rng.random() < 0.05 else \
            "          securityContext:\n            runAsNonRoot: true\n            readOnlyRootFilesystem: true\n"
        return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: {ns}\n  labels:\n    app: {app}\n"
                f"spec:\n  replicas: {rng.randint(1, 6)}\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n"
                f"    metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n        - name: {app}\n"
                f"          image: registry.example.internal/{ns}/{app}:{rng.randint(1, 400)}.{rng.randint(0, 20)}.0\n"
                f"          ports:\n            - containerPort: {rng.choice([8080, 8000, 3000, 9090])}\n"
                f"          resources:\n            limits:\n              cpu: \"{rng.choice(['250m', '500m', '1', '2'])}\"\n"
                f"              memory: {rng.choice(['256Mi', '512Mi', '1Gi', '4Gi'])}\n{priv}          env:\n{env}")
    if r < 0.6:
        role = "cluster-admin" if rng.random() < 0.1 else f"{app}-reader"
        kind = "ClusterRoleBinding" if role == "cluster-admin" else "RoleBinding"
        return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {app}-binding\n  namespace: {ns}\n"
                f"subjects:\n  - kind: ServiceAccount\n    name: {app}\n    namespace: {ns}\n"
                f"roleRef:\n  kind: {'ClusterRole' if kind == 'ClusterRoleBinding' else 'Role'}\n  name: {role}\n"
                f"  apiGroup: rbac.authorization.k8s.io\n")
    if r < 0.8:
        return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  selector:\n    app: {app}\n"
                f"  ports:\n    - port: 80\n      targetPort: {rng.choice([8080, 8000, 3000])}\n")
    data = "".join(f"  {rng.choice(WORDS)}_{i}: \"{rng.choice(WORDS)}\"\n" for i in range(rng.randint(2, 15)))
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: {ns}\n"
            f"  annotations:\n    description: \"{rng.choice(NON_ASCII)}\"\ndata:\n{data}")


def ipynb_cell(rng):
    if rng.random() < 0.3:
        return {"cell_type": "markdown", "metadata": {}, "source": [md_block(rng)]}
    src = py_block(rng)
    if rng.random() < 0.15:
        src = rng.choice(PY_SIGNALS) + src
    return {"cell_type": "code", "execution_count": rng.randint(1, 99), "metadata": {}, "outputs": [],
            "source": src.splitlines(True)}


def csv_rows(rng):
    return "".join(f"{rng.randint(1, 10**9)},{rng.choice(WORDS)},{rng.random():.6f},{rng.choice(['true', 'false'])},"
                   f"{rng.choice(REGIONS)}\n" for _ in range(rng.randint(20, 60)))


def css_block(rng):
    return (f".{rng.choice(WORDS)}-{rng.choice(WORDS)} {{\n  display: {rng.choice(['flex', 'grid', 'block'])};\n"
            f"  margin: {rng.randint(0, 32)}px;\n  color: #{rng.randint(0, 0xFFFFFF):06x};\n}}\n\n")


def sql_block(rng):
    t = rng.choice(WORDS) + "s"
    cols = ",\n".join(f"  {rng.choice(WORDS)}_{i} {rng.choice(['TEXT', 'BIGINT', 'TIMESTAMPTZ', 'BOOLEAN'])}" for i in range(rng.randint(2, 10)))
    return f"CREATE TABLE IF NOT EXISTS {t}_{rng.randint(0, 999)} (\n  id BIGSERIAL PRIMARY KEY,\n{cols}\n);\n\n"


def sh_block(rng):
    return (f"echo \"==> {rng.choice(WORDS)} {rng.choice(WORDS)}\"\n"
            f"{rng.choice(['make', 'docker build .', 'kubectl apply -f', 'terraform plan -out'])} {rng.choice(WORDS)}\n\n")


def minjs_block(rng):
    return "".join(f"var {rng.choice('abcdefghijklmn')}{i}=function(e,t){{return e.{rng.choice(WORDS)}(t)||{rng.randint(0, 999)}}};"
                   for i in range(rng.randint(20, 80)))


# ----------------------------------------------------------------------------
# file kinds: header(rng, name) -> str, pool of body blocks, joiner, footer
# ----------------------------------------------------------------------------
POOL = 600


def build_pools(rng):
    pools = {}

    def mk(key, fn, n=POOL):
        pools[key] = [fn(rng).encode("utf-8") for _ in range(n)]

    mk("py", py_block)
    mk("ts", ts_block)
    mk("go", go_block)
    mk("md", md_block)
    mk("json", json_value_block)
    mk("tf", tf_block)
    mk("yaml", k8s_doc)
    mk("ipynb", lambda r: json.dumps(ipynb_cell(r), indent=1, ensure_ascii=False), 300)
    mk("csv", csv_rows, 200)
    mk("css", css_block, 200)
    mk("sql", sql_block, 200)
    mk("sh", sh_block, 200)
    mk("minjs", minjs_block, 200)
    mk("txt", md_block, 200)
    return pools


def fill(rng, pool, target, sep=b""):
    """Pick blocks from pool until ~target bytes."""
    out, n = [], 0
    k = len(pool)
    while n < target:
        b = pool[int(rng.random() * k)]
        out.append(b)
        n += len(b) + len(sep)
    return sep.join(out), n


def insert_signals(rng, body_blocks_joined, signals, count):
    """Put `count` signal lines at line boundaries of body (bytes)."""
    if not count:
        return body_blocks_joined
    body = body_blocks_joined
    for _ in range(count):
        s = rng.choice(signals).encode("utf-8")
        if len(body) < 2:
            body = s + body
            continue
        pos = body.find(b"\n", int(rng.random() * len(body)))
        pos = len(body) if pos < 0 else pos + 1
        body = body[:pos] + s + body[pos:]
    return body


def render(rng, pools, ext, name, size, signal_p):
    """Return bytes for a file of kind ext with approx `size` bytes."""
    want_sig = rng.random() < signal_p
    if ext == "py":
        head = (f'"""{name}: {rng.choice(WORDS)} {rng.choice(WORDS)} module."""\n'
                "from __future__ import annotations\n\nimport logging\nimport os\n\n"
                "logger = logging.getLogger(__name__)\n\n\n").encode()
        sig = b"".join(rng.choice(PY_SIGNALS).encode() for _ in range(rng.randint(1, 3))) if want_sig else b""
        body, _ = fill(rng, pools["py"], size - len(head), sep=b"\x00")
        if want_sig and rng.random() < 0.4:
            # mid-file signal, only between top-level blocks so the module still parses
            blocks = body.split(b"\x00")
            blocks.insert(int(rng.random() * (len(blocks) + 1)), rng.choice(PY_SIGNALS).encode() + b"\n\n")
            body = b"\x00".join(blocks)
        return head + sig + b"\n" + body.replace(b"\x00", b"")
    if ext in ("ts", "tsx", "js"):
        head = (f"// {name}\nimport {{ useState }} from \"react\";\nimport {{ {rng.choice(WORDS)}Client }} from \"../lib/{rng.choice(WORDS)}\";\n\n").encode()
        sig = b"".join(rng.choice(TS_SIGNALS).encode() for _ in range(rng.randint(1, 2))) if want_sig else b""
        body, _ = fill(rng, pools["ts"], size - len(head))
        return head + sig + body
    if ext == "go":
        head = (f"package {rng.choice(WORDS)}\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"os\"\n)\n\nvar _ = os.Getenv\n\n").encode()
        body, _ = fill(rng, pools["go"], size - len(head))
        if want_sig:
            sig = rng.choice(GO_SIGNALS).encode()
            body = (b"func init() {\n" + sig + b"\t_ = 0\n}\n\n") + body
        return head + body
    if ext == "md":
        head = f"# {name}\n\n{rng.choice(NON_ASCII)}\n\n".encode()
        body, _ = fill(rng, pools["md"], size - len(head))
        if want_sig:
            body = insert_signals(rng, body, MD_SIGNALS, rng.randint(1, 2))
        return head + body
    if ext == "txt":
        body, _ = fill(rng, pools["txt"], size)
        return body
    if ext == "json":
        if want_sig and rng.random() < 0.5:
            return iam_policy_json(rng, rng.random() < 0.5).encode() + b"\n"
        parts, n, i = [], 2, 0
        pool = pools["json"]
        if want_sig:
            parts.append(b'  "llm": {"provider": "openai", "model": "gpt-4o", "temperature": 0.1}')
        while n < size or not parts:
            b = pool[int(rng.random() * len(pool))]
            parts.append(b'  "%s_%d": ' % (rng.choice(WORDS).encode(), i) + b.replace(b"\n", b"\n  "))
            n += len(b) + 16
            i += 1
        return b"{\n" + b",\n".join(parts) + b"\n}\n"
    if ext == "ipynb":
        pool = pools["ipynb"]
        parts, n = [], 0
        while n < size or not parts:
            b = pool[int(rng.random() * len(pool))]
            parts.append(b)
            n += len(b) + 2
        return (b'{\n "cells": [\n' + b",\n".join(parts) +
                b'\n ],\n "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},\n'
                b' "nbformat": 4,\n "nbformat_minor": 5\n}\n')
    if ext == "tf":
        head = f"# {name} — managed by team {rng.choice(TEAMS)}\n\n".encode()
        body, _ = fill(rng, pools["tf"], size - len(head))
        return head + body
    if ext == "yaml":
        body, _ = fill(rng, pools["yaml"], size, sep=b"---\n")
        return b"# generated by kustomize\n---\n" + body
    if ext == "csv":
        body, _ = fill(rng, pools["csv"], size)
        return b"id,name,score,active,region\n" + body
    if ext == "css":
        return fill(rng, pools["css"], size)[0]
    if ext == "sql":
        return fill(rng, pools["sql"], size)[0]
    if ext == "sh":
        return b"#!/usr/bin/env bash\nset -euo pipefail\n\n" + fill(rng, pools["sh"], size)[0]
    if ext == "minjs":
        return b"/*! bundle v3.2.1 | MIT */" + fill(rng, pools["minjs"], size)[0] + b"\n"
    raise ValueError(ext)


# ----------------------------------------------------------------------------
# project layout
# ----------------------------------------------------------------------------
# kind -> (weight, [(ext, weight)], base path)
PROJECT_KINDS = {
    "py": (30, [("py", 82), ("md", 4), ("json", 4), ("yaml", 3), ("txt", 2), ("sql", 3), ("sh", 2)], "services", "py"),
    "node": (25, [("ts", 45), ("tsx", 20), ("js", 15), ("json", 8), ("md", 5), ("css", 7)], "packages", "web"),
    "go": (10, [("go", 85), ("md", 5), ("yaml", 5), ("sql", 5)], "services", "go"),
    "ml": (12, [("py", 65), ("ipynb", 8), ("yaml", 10), ("json", 8), ("md", 5), ("csv", 4)], "ml", "ml"),
    "tf": (8, [("tf", 85), ("md", 5), ("json", 10)], "infra/terraform", "tf"),
    "k8s": (8, [("yaml", 92), ("md", 4), ("json", 4)], "deploy/k8s", "k8s"),
    "docs": (7, [("md", 92), ("json", 8)], "docs", "docs"),
}
EXT_SIZE_MULT = {"py": 1.0, "ts": 0.9, "tsx": 0.8, "js": 0.9, "go": 1.2, "md": 0.8, "txt": 0.5, "json": 0.7,
                 "ipynb": 3.0, "tf": 0.7, "yaml": 0.5, "csv": 3.0, "css": 0.4, "sql": 0.5, "sh": 0.3, "minjs": 25.0}
SIGNAL_P = {"py": 0.10, "ts": 0.06, "tsx": 0.03, "js": 0.06, "go": 0.05, "md": 0.08, "json": 0.06, "ipynb": 0.3}
SUBDIRS = {"py": ["src/{p}", "src/{p}/api", "src/{p}/core", "src/{p}/db", "src/{p}/jobs", "tests", "tests/unit", "scripts", "docs", "config"],
           "node": ["src", "src/components", "src/hooks", "src/lib", "src/pages", "src/api", "test", "public", "docs"],
           "go": ["cmd/{p}", "internal/{p}", "internal/store", "internal/http", "pkg/{p}", "migrations", "docs", "deploy"],
           "ml": ["src/{p}", "src/{p}/features", "src/{p}/training", "src/{p}/serving", "src/{p}/monitoring", "notebooks", "configs", "data/samples", "docs"],
           "tf": ["modules/{p}", "modules/iam", "modules/storage", "modules/ml", "envs/dev", "envs/prod", "policies"],
           "k8s": ["base", "overlays/dev", "overlays/staging", "overlays/prod", "rbac", "charts/{p}/templates"],
           "docs": ["", "guides", "runbooks", "adr", "policies", "i18n/ja", "i18n/fr", "i18n/zh"]}
FILE_EXT = {"minjs": "min.js", "yaml": "yaml"}


def weighted(rng, items):
    tot = sum(w for _, w in items)
    x = rng.random() * tot
    for v, w in items:
        x -= w
        if x < 0:
            return v
    return items[-1][0]


class Writer:
    def __init__(self, root):
        self.root = root
        self.dirs = set()
        self.files = 0
        self.bytes = 0

    def write(self, rel, data):
        path = os.path.join(self.root, rel)
        d = os.path.dirname(path)
        if d not in self.dirs:
            os.makedirs(d, exist_ok=True)
            self.dirs.add(d)
        with open(path, "wb", buffering=0) as f:
            f.write(data)
        self.files += 1
        self.bytes += len(data)


def manifests(rng, kind, proj, uses_ai):
    """Return list of (relpath, bytes) manifest files for a subproject."""
    out = []
    if kind in ("py", "ml"):
        deps = ["fastapi==0.111.0", "pydantic>=2.6", "sqlalchemy~=2.0", "requests>=2.31", "boto3==1.34.90", "structlog"]
        if kind == "ml":
            deps += ["scikit-learn==1.4.2", "joblib>=1.3", "numpy<2", "pandas==2.2.2", "scipy", "torch==2.3.0"]
            if rng.random() < 0.5:
                deps += ["evidently==0.4.25", "mlflow>=2.12"]
        if uses_ai:
            deps += rng.sample(["openai>=1.30", "anthropic==0.28.0", "langchain>=0.2", "tiktoken", "transformers==4.41.0"], 2)
        out.append(("requirements.txt", ("\n".join(sorted(deps)) + "\n").encode()))
        toml = (f"[project]\nname = \"{proj}\"\nversion = \"0.{rng.randint(1, 40)}.0\"\n"
                f"description = \"{rng.choice(NON_ASCII)}\"\nrequires-python = \">=3.10\"\ndependencies = [\n" +
                "".join(f"  \"{d}\",\n" for d in sorted(deps)) +
                "]\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n"
                "[tool.ruff]\nline-length = 100\n")
        out.append(("pyproject.toml", toml.encode()))
        out.append(("Dockerfile", (f"FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                                   f"RUN pip install -r requirements.txt\nCOPY . .\nUSER 1000\nCMD [\"python\", \"-m\", \"{proj.replace('-', '_')}\"]\n").encode()))
    elif kind == "node":
        deps = {"react": "^18.3.1", "zod": "^3.23.8", "axios": "^1.7.2", "date-fns": "^3.6.0"}
        if uses_ai:
            deps["openai"] = "^4.47.1"
            if rng.random() < 0.5:
                deps["@anthropic-ai/sdk"] = "^0.22.0"
        pkg = {"name": f"@acme/{proj}", "version": f"1.{rng.randint(0, 30)}.0", "private": True,
               "scripts": {"build": "tsc -p .", "test": "vitest run", "lint": "eslint ."},
               "dependencies": deps, "devDependencies": {"typescript": "^5.4.5", "vitest": "^1.6.0"}}
        out.append(("package.json", (json.dumps(pkg, indent=2) + "\n").encode()))
        out.append(("tsconfig.json", b'{\n  "compilerOptions": {"strict": true, "target": "ES2022", "jsx": "react-jsx"}\n}\n'))
    elif kind == "go":
        mod = (f"module github.com/acme/{proj}\n\ngo 1.22\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.0.12\n"
               f"\tgithub.com/jackc/pgx/v5 v5.6.0\n" + ("\tgithub.com/sashabaranov/go-openai v1.24.1\n" if uses_ai else "") +
               "\tgo.uber.org/zap v1.27.0\n)\n")
        out.append(("go.mod", mod.encode()))
    elif kind == "tf":
        out.append(("versions.tf", b'terraform {\n  required_version = ">= 1.6"\n  required_providers {\n'
                    b'    aws = {\n      source  = "hashicorp/aws"\n      version = "~> 5.50"\n    }\n  }\n}\n'))
    out.append(("README.md", (f"# {proj}\n\n{rng.choice(NON_ASCII)}\n\nOwned by team {rng.choice(TEAMS)}.\n").encode()))
    return out


def write_models(w, rng, model_bytes):
    """Three binary weight files: safetensors (sparse zeros after a real header),
    .pt (zip magic + repeated pseudo-random block), .onnx (pseudo-random)."""
    if model_bytes <= 0:
        return
    sizes = [model_bytes * 1 // 6, model_bytes * 2 // 6, model_bytes * 3 // 6]
    block = rng.randbytes(MiB)
    # 1. safetensors: 8-byte LE header length + JSON header + tensor data (sparse zeros)
    p = os.path.join(w.root, "models", "ranker-v3", "model.safetensors")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    write_safetensors(p, sizes[0])
    w.files += 1
    w.bytes += sizes[0]
    # 2. PyTorch checkpoint (.pt is a zip archive)
    for rel, sz, magic in ((os.path.join("ml", "checkpoints", "fraud-detector", "epoch_42.pt"), sizes[1], b"PK\x03\x04"),
                           (os.path.join("models", "onnx", "embedder.onnx"), sizes[2], b"\x08\x07\x12\x07pytorch")):
        p = os.path.join(w.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb", buffering=0) as f:
            f.write(magic)
            left = sz - len(magic)
            while left > 0:
                chunk = block if left >= len(block) else block[:left]
                f.write(chunk)
                left -= len(chunk)
        w.files += 1
        w.bytes += sz


def write_safetensors(path, total_size):
    n_elems = max(0, (total_size - 4096) // 2)
    header = {"__metadata__": {"format": "pt"},
              "model.embed_tokens.weight": {"dtype": "F16", "shape": [n_elems], "data_offsets": [0, n_elems * 2]}}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        f.truncate(8 + len(h) + n_elems * 2)  # sparse: no data blocks allocated


def add_huge(root, gb):
    p = os.path.join(root, HUGE_MODEL_REL)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    write_safetensors(p, int(gb * 1024 ** 3))
    return p


def root_files(w, rng):
    w.write(".gitignore", b"# dependencies\nnode_modules/\n.venv/\n__pycache__/\n*.pyc\n\n# build output\ndist/\nbuild/\n.terraform/\n\n# local\n.env\n*.log\n")
    # minimal .git so that .gitignore applies (what `git init` leaves, minus hooks)
    w.write(".git/HEAD", b"ref: refs/heads/main\n")
    w.write(".git/config", b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n")
    w.write(".git/description", b"Unnamed repository; edit this file 'description' to name the repository.\n")
    w.write(".git/info/exclude", b"# git ls-files --others --exclude-from=.git/info/exclude\n")
    for d in ("objects/info", "objects/pack", "refs/heads", "refs/tags"):
        os.makedirs(os.path.join(w.root, ".git", d), exist_ok=True)
    w.write(".env.example", b"OPENAI_API_KEY=\nANTHROPIC_API_KEY=\nDATABASE_URL=postgres://localhost/app\n")
    w.write(".github/workflows/ci.yml", b"name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            b"    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n        env:\n"
            b"          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n")
    w.write(".github/CODEOWNERS", ("".join(f"/services/py-{i:04d}/ @acme/{rng.choice(TEAMS)}\n" for i in range(40))).encode())
    w.write(".github/dependabot.yml", b"version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule:\n      interval: weekly\n")
    w.write(".pre-commit-config.yaml", b"repos:\n  - repo: https://github.com/gitleaks/gitleaks\n    rev: v8.18.2\n    hooks:\n      - id: gitleaks\n")
    w.write("README.md", ("# acme monorepo\n\n" + "\n\n".join(NON_ASCII) + "\n").encode())
    w.write("SECURITY.md", b"# Security\n\nReport vulnerabilities to security@example.com. Incident response SLA: 24h.\n")
    w.write("Makefile", b"test:\n\t./scripts/test-all.sh\n")


def ignored_files(w, rng, pools, nfiles):
    """Content under gitignored paths; a scanner that respects .gitignore must skip it."""
    per = max(1, nfiles // 3)
    for i in range(per):
        w.write(f"node_modules/openai/src/resources/chat_{i}.js",
                b'import OpenAI from "openai";\nconst k = process.env.OPENAI_API_KEY;\n' + fill(rng, pools["ts"], 4000)[0])
        w.write(f"packages/web-0000/node_modules/@anthropic-ai/sdk/lib/part_{i}.js",
                b'const BASE = "https://api.anthropic.com";\n' + fill(rng, pools["ts"], 4000)[0])
        w.write(f"services/py-0000/dist/bundle_{i}.py", b"import openai\n" + fill(rng, pools["py"], 4000)[0])


def generate(root, nfiles, size_mb, seed, model_mb):
    rng = random.Random(seed)
    t0 = time.time()
    if os.path.exists(root) and os.listdir(root):
        sys.exit(f"error: {root} exists and is not empty; remove it first")
    os.makedirs(root, exist_ok=True)
    w = Writer(root)
    pools = build_pools(rng)

    total = size_mb * MiB
    if model_mb is None:
        model_mb = int(size_mb * 0.3)
    model_bytes = min(model_mb * MiB, total // 2)
    n_ignored = max(3, min(30, nfiles // 1000))

    root_files(w, rng)
    ignored_files(w, rng, pools, n_ignored)
    write_models(w, rng, model_bytes)
    reserved = w.files
    text_bytes = total - w.bytes

    # subprojects
    n_proj = max(7, nfiles // 250)
    kinds = list(PROJECT_KINDS)
    projects = []
    for i, k in enumerate(kinds):  # at least one of each
        projects.append(k)
    while len(projects) < n_proj:
        projects.append(weighted(rng, [(k, PROJECT_KINDS[k][0]) for k in kinds]))
    counters = {k: 0 for k in kinds}
    proj_info = []
    for k in projects:
        _, _, base, prefix = PROJECT_KINDS[k]
        idx = counters[k]
        counters[k] += 1
        name = f"{prefix}-{idx:04d}"
        pyname = f"{rng.choice(WORDS)}_{idx}"
        uses_ai = rng.random() < 0.35
        proj_info.append((k, f"{base}/{name}", name, pyname, uses_ai))

    # plan all manifests
    plan_fixed = []
    for k, path, name, pyname, uses_ai in proj_info:
        for rel, data in manifests(rng, k, name, uses_ai):
            plan_fixed.append((f"{path}/{rel}", data))
    fixed_bytes = sum(len(d) for _, d in plan_fixed)

    # plan regular files
    n_regular = max(0, nfiles - reserved - len(plan_fixed))
    n_minjs = max(1, nfiles // 2500)
    plan = []  # (relpath, ext, weight)
    node_projects = [p for p in proj_info if p[0] == "node"] or proj_info
    for i in range(n_minjs):
        p = node_projects[int(rng.random() * len(node_projects))]
        plan.append((f"{p[1]}/vendor/chunk-{i:04d}.min.js", "minjs", EXT_SIZE_MULT["minjs"] * rng.lognormvariate(0, 0.5)))
    per_dir = {}
    for i in range(n_regular - n_minjs):
        k, path, name, pyname, uses_ai = proj_info[int(rng.random() * len(proj_info))]
        ext = weighted(rng, PROJECT_KINDS[k][1])
        sub = rng.choice(SUBDIRS[k]).format(p=pyname)
        d = f"{path}/{sub}".rstrip("/")
        # keep directories <= ~40 entries: spill into numbered subfolders
        c = per_dir.get(d, 0)
        per_dir[d] = c + 1
        if c >= 40:
            d = f"{d}/part{c // 40:03d}"
        fname = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}.{FILE_EXT.get(ext, ext)}"
        plan.append((f"{d}/{fname}", ext, EXT_SIZE_MULT[ext] * rng.lognormvariate(0, 1.0)))

    budget = max(0, text_bytes - fixed_bytes)
    wsum = sum(p[2] for p in plan) or 1.0
    scale = budget / wsum
    for rel, data in plan_fixed:
        w.write(rel, data)
    for rel, ext, wt in plan:
        size = max(60, min(int(wt * scale), 8 * MiB))
        name = os.path.basename(rel)
        w.write(rel, render(rng, pools, ext, name, size, SIGNAL_P.get(ext, 0.02)))
    return w, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--files", type=int, default=100_000, help="approx number of files (default 100000)")
    ap.add_argument("--size-mb", type=int, default=1024, help="approx total apparent size in MiB (default 1024)")
    ap.add_argument("--model-mb", type=int, default=None,
                    help="bytes in the 3 model-weight files, MiB (default 30%% of --size-mb)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--huge-model-gb", type=float, default=0,
                    help=f"also create sparse {HUGE_MODEL_REL} of this many GiB")
    ap.add_argument("--only-huge", action="store_true",
                    help="only (re)create the sparse huge model file in an existing tree")
    a = ap.parse_args()

    if a.only_huge:
        if not a.huge_model_gb:
            sys.exit("error: --only-huge needs --huge-model-gb")
        print(add_huge(a.path, a.huge_model_gb))
        return
    w, dt = generate(a.path, a.files, a.size_mb, a.seed, a.model_mb)
    if a.huge_model_gb:
        add_huge(a.path, a.huge_model_gb)
    print(f"generated {w.files} files, {w.bytes / MiB:.1f} MiB (apparent) in {dt:.1f}s at {a.path}", file=sys.stderr)


if __name__ == "__main__":
    main()
