//! Declared infrastructure resources: Terraform `resource` blocks and CloudFormation/SAM
//! `Resources` entries, each with its type, address, line span, the literal names it
//! carries (`name = "churn-v3"`, `EndpointName: churn-v3`) and the other resources it
//! refers to (`aws_sagemaker_endpoint.churn.name`, `!Ref Endpoint`).
//!
//! Checks use this to tell *which* endpoint, model or bucket something is about: a
//! monitoring schedule covers the endpoint its job definition references; a SageMaker model
//! package group names a model version. Terraform is read block by block from its text
//! (blocks open at column 0 and close with a `}` alone at column 0, as `terraform fmt`
//! writes them): one linear pass, no HCL parse, so large infrastructure repositories stay
//! cheap. Nothing is evaluated: a name given by a variable is simply not a literal name.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::node::{Node, Value};

/// One declared resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `aws_sagemaker_endpoint`, `AWS::SageMaker::Endpoint`.
    pub rtype: String,
    /// The Terraform resource name or the CloudFormation logical id.
    pub name: String,
    /// How other resources refer to it: `aws_sagemaker_endpoint.churn`, or the logical id.
    pub address: String,
    /// First and last line of the declaration (1-based, inclusive).
    pub line: u32,
    pub end_line: u32,
    /// Literal values of naming attributes, in order: (`name`, `churn-v3`),
    /// (`endpoint_name`, `churn-v3`), (`ModelPackageGroupName`, `churn`).
    pub names: Vec<(String, String)>,
    /// Addresses of other resources this one refers to (deduplicated, in order).
    pub refs: Vec<String>,
    /// The text of the declaration's first line (capped), for evidence.
    pub text: String,
}

impl Resource {
    /// True when `line` lies within the declaration.
    pub fn contains(&self, line: u32) -> bool {
        (self.line..=self.end_line).contains(&line)
    }

    /// The literal value of the first naming attribute among `keys` (compared without case,
    /// `_` or `-`), in the order of `keys`.
    pub fn literal(&self, keys: &[&str]) -> Option<&str> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect::<String>()
        };
        keys.iter().find_map(|k| {
            let k = norm(k);
            self.names
                .iter()
                .find(|(attr, v)| norm(attr) == k && !v.is_empty())
                .map(|(_, v)| v.as_str())
        })
    }
}

static TF_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^resource[ \t]+"([A-Za-z0-9_-]+)"[ \t]+"([A-Za-z0-9_-]+)""#)
        .unwrap_or_else(|_| unreachable!())
});
/// Any top-level block: ends the previous one when its `}` was not at column 0.
static TF_TOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:resource|data|module|variable|output|locals|provider|terraform|moved|import|check)(?:[ \t]|\{|$)")
        .unwrap_or_else(|_| unreachable!())
});
/// `name = "x"`, `endpoint_name = "x"`, `bucket = "x"` (literal strings only).
static TF_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[ \t]*((?:[a-z_][a-z0-9_]*_)?name|bucket)[ \t]*=[ \t]*"([^"$\n]*)""#)
        .unwrap_or_else(|_| unreachable!())
});
/// `aws_sagemaker_endpoint.churn` in an expression or an interpolation.
static TF_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[^A-Za-z0-9_."/-])([a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)"#)
        .unwrap_or_else(|_| unreachable!())
});

/// The resources declared in a Terraform file.
pub fn terraform(text: &str) -> Vec<Resource> {
    let mut out = Vec::new();
    // (start offset, line, type, name, header text)
    let mut open: Option<(usize, u32, String, String, String)> = None;
    let mut offset = 0usize;
    let mut lineno = 0u32;
    let close = |open: &mut Option<(usize, u32, String, String, String)>,
                 end: usize,
                 end_line: u32,
                 out: &mut Vec<Resource>| {
        if let Some((start, line, rtype, name, header)) = open.take() {
            out.push(tf_resource(
                &text[start..end],
                rtype,
                name,
                line,
                end_line.max(line),
                header,
            ));
        }
    };
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        lineno += 1;
        let line = raw.trim_end_matches(['\n', '\r']);
        if TF_TOP.is_match(line) {
            close(&mut open, start, lineno - 1, &mut out);
            if let Some(c) = TF_HEADER.captures(line) {
                open = Some((
                    start,
                    lineno,
                    c[1].to_string(),
                    c[2].to_string(),
                    crate::text::truncate_chars(line, 400),
                ));
                if line.trim_end().ends_with('}') && line.contains('{') {
                    // A one-line block: `resource "x" "y" {}`.
                    close(&mut open, offset, lineno, &mut out);
                }
            }
            continue;
        }
        if open.is_some() && line.trim_end() == "}" {
            close(&mut open, offset, lineno, &mut out);
        }
    }
    close(&mut open, offset, lineno, &mut out);
    out
}

fn tf_resource(block: &str, rtype: String, name: String, line: u32, end_line: u32, text: String) -> Resource {
    let address = format!("{rtype}.{name}");
    let names = TF_NAME
        .captures_iter(block)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    let mut refs: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    // The header line itself names the resource, not a reference.
    let body = block.split_once('\n').map_or("", |(_, b)| b);
    for c in TF_REF.captures_iter(body) {
        let r = c.get(1).map_or("", |m| m.as_str());
        if r != address && seen.insert(r) {
            refs.push(r.to_string());
        }
    }
    Resource {
        rtype,
        name,
        address,
        line,
        end_line,
        names,
        refs,
        text,
    }
}

/// True when a YAML or JSON text may be a CloudFormation or SAM template.
pub fn may_be_cloudformation(text: &str) -> bool {
    text.contains("Resources") && text.contains("AWS::")
}

/// The resources of CloudFormation or SAM templates (each document's `Resources` map).
pub fn cloudformation(docs: &[Node], text: &str) -> Vec<Resource> {
    let starts = crate::text::line_starts(text);
    let mut out = Vec::new();
    for doc in docs {
        let Some(Node {
            value: Value::Map(entries),
            ..
        }) = doc.get("Resources")
        else {
            continue;
        };
        let ids: HashSet<&str> = entries.iter().map(|(k, _)| k.text.as_str()).collect();
        for (key, res) in entries {
            let Some(rtype) = res.get("Type").and_then(Node::as_str) else {
                continue;
            };
            if !rtype.contains("::") {
                continue;
            }
            let mut names = Vec::new();
            let mut scalars = Vec::new();
            if let Some(props) = res.get("Properties") {
                cfn_walk(props, None, &mut names, &mut scalars);
            }
            let mut refs: Vec<String> = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for s in &scalars {
                // `Id`, `Id.Attr` (GetAtt), and `${Id}` / `${Id.Attr}` inside `Fn::Sub`.
                let subs = s.split("${").skip(1).filter_map(|p| p.split(['}', '.']).next());
                for cand in std::iter::once(s.split('.').next().unwrap_or("")).chain(subs) {
                    if let Some(id) = ids.get(cand) {
                        if *id != key.text && seen.insert(id) {
                            refs.push((*id).to_string());
                        }
                    }
                }
            }
            out.push(Resource {
                rtype: rtype.to_string(),
                name: key.text.clone(),
                address: key.text.clone(),
                line: key.line,
                end_line: max_line(res).max(key.line),
                names,
                refs,
                text: crate::text::truncate_chars(crate::text::line_text(text, &starts, key.line), 400),
            });
        }
    }
    out
}

/// Collects `*Name` properties with literal values, and every scalar (for references).
fn cfn_walk(node: &Node, key: Option<&str>, names: &mut Vec<(String, String)>, scalars: &mut Vec<String>) {
    match &node.value {
        Value::Scalar(s) => {
            if let Some(k) = key {
                if k.ends_with("Name") && !s.contains("${") && !s.is_empty() {
                    names.push((k.to_string(), s.clone()));
                }
            }
            scalars.push(s.clone());
        }
        Value::Seq(items) => items.iter().for_each(|n| cfn_walk(n, None, names, scalars)),
        Value::Map(entries) => {
            for (k, v) in entries {
                // `Ref: X` and `Fn::GetAtt: X.Attr` carry the referenced id as their value.
                cfn_walk(v, Some(&k.text), names, scalars);
            }
        }
        Value::Null => {}
    }
}

fn max_line(node: &Node) -> u32 {
    match &node.value {
        Value::Seq(items) => items.iter().map(max_line).max().unwrap_or(node.line),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| max_line(v).max(k.line))
            .max()
            .unwrap_or(node.line),
        _ => node.line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TF: &str = r#"resource "aws_sagemaker_endpoint" "churn" {
  name                 = "churn-v3"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.churn.name
}

resource "aws_sagemaker_data_quality_job_definition" "churn" {
  name = "churn-dq"
  data_quality_job_input {
    endpoint_input {
      endpoint_name = aws_sagemaker_endpoint.churn.name
    }
  }
  role_arn = "${aws_iam_role.monitor.arn}"
}

variable "x" {
  default = "s3://bucket/model_data.tar.gz"
}
resource "aws_sagemaker_monitoring_schedule" "churn" {
  monitoring_schedule_config {
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.churn.name
  }
}
"#;

    #[test]
    fn terraform_blocks_names_and_references() {
        let r = terraform(TF);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].address, "aws_sagemaker_endpoint.churn");
        assert_eq!((r[0].line, r[0].end_line), (1, 4));
        assert_eq!(r[0].literal(&["name"]), Some("churn-v3"));
        assert_eq!(
            r[0].refs,
            vec!["aws_sagemaker_endpoint_configuration.churn".to_string()]
        );
        assert_eq!((r[1].line, r[1].end_line), (6, 14));
        assert_eq!(
            r[1].refs,
            vec![
                "aws_sagemaker_endpoint.churn".to_string(),
                "aws_iam_role.monitor".to_string()
            ]
        );
        assert_eq!(r[2].line, 19);
        assert_eq!(
            r[2].refs,
            vec!["aws_sagemaker_data_quality_job_definition.churn".to_string()]
        );
        assert!(r[1].contains(10) && !r[1].contains(15));
    }

    #[test]
    fn unterminated_block_ends_at_the_next_top_level_block() {
        let tf = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"x\"\n  }\nresource \"aws_s3_bucket\" \"b\" {}\n";
        let r = terraform(tf);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].line, r[0].end_line), (1, 3));
        assert_eq!((r[1].line, r[1].end_line), (4, 4));
        assert_eq!(r[0].literal(&["bucket"]), Some("x"));
    }

    #[test]
    fn cloudformation_resources_and_refs() {
        let yaml = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Endpoint:\n    Type: AWS::SageMaker::Endpoint\n    Properties:\n      EndpointName: churn-v3\n      EndpointConfigName: !GetAtt Config.EndpointConfigName\n  Config:\n    Type: AWS::SageMaker::EndpointConfig\n  Schedule:\n    Type: AWS::SageMaker::MonitoringSchedule\n    Properties:\n      EndpointName: !Ref Endpoint\n      MonitoringScheduleName: !Sub '${Endpoint}-monitor'\n";
        let docs = super::super::node::parse_yaml_stream(yaml).unwrap();
        let r = cloudformation(&docs, yaml);
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].address.as_str(), r[0].line, r[0].end_line),
            ("Endpoint", 3, 7)
        );
        assert_eq!(r[0].literal(&["EndpointName"]), Some("churn-v3"));
        assert_eq!(r[0].refs, vec!["Config".to_string()]);
        assert_eq!(r[2].refs, vec!["Endpoint".to_string()]);
        let json = r#"{"Resources": {"Group": {"Type": "AWS::SageMaker::ModelPackageGroup", "Properties": {"ModelPackageGroupName": "fraud"}}}}"#;
        let doc = Node::from_json(json).unwrap();
        let r = cloudformation(&[doc], json);
        assert_eq!(r[0].literal(&["ModelPackageGroupName"]), Some("fraud"));
    }
}
