//! Storage buckets and the lifecycle rules that delete what they hold.
//!
//! "Deletable on request" and "retained only as long as the policy says" are shown by a
//! rule that *expires* objects and is *enabled*: a rule that only moves objects to a colder
//! storage class deletes nothing, and a rule with `Status: Disabled` (or `enabled = false`)
//! is not a deletion mechanism however it is written. Buckets come from Terraform (read in
//! `iam::terraform`, whose block text is judged here), CloudFormation templates
//! (`AWS::S3::Bucket` with `LifecycleConfiguration`) and exported lifecycle configurations
//! (`aws s3api get-bucket-lifecycle-configuration` output: `{"Rules": [...]}`), which are
//! joined to declared buckets by the bucket name in the export's path.

use std::sync::LazyLock;

use regex::Regex;

use super::iam::Bucket;
use super::node::{Node, Value};

/// An expiry action: AWS `expiration`/`noncurrent_version_expiration`, GCS
/// `action { type = "Delete" }`, Azure `delete_after_days_since_…`.
static TF_EXPIRES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)expiration|type[ \t]*=[ \t]*"delete"|delete_after_days"#)
        .unwrap_or_else(|_| unreachable!())
});
static TF_DISABLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)status[ \t]*=[ \t]*"disabled"|enabled[ \t]*=[ \t]*false"#)
        .unwrap_or_else(|_| unreachable!())
});
static TF_ENABLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)status[ \t]*=[ \t]*"enabled"|enabled[ \t]*=[ \t]*true"#)
        .unwrap_or_else(|_| unreachable!())
});

/// True when a Terraform block's text (a bucket with inline `lifecycle_rule`s, a lifecycle
/// configuration, a management policy) expires objects with a rule that is not disabled.
pub fn terraform_deletes(block: &str) -> bool {
    TF_EXPIRES.is_match(block) && (!TF_DISABLED.is_match(block) || TF_ENABLED.is_match(block))
}

/// Keys of a lifecycle rule (CloudFormation or an S3 export) that expire objects.
const EXPIRY_KEYS: &[&str] = &[
    "ExpirationInDays",
    "ExpirationDate",
    "Expiration",
    "NoncurrentVersionExpiration",
    "NoncurrentVersionExpirationInDays",
];

/// True when a `Rules` list has an enabled rule that expires objects.
fn rules_delete(rules: &Node) -> bool {
    let Value::Seq(items) = &rules.value else {
        return false;
    };
    items.iter().any(|rule| {
        let enabled = rule
            .get("Status")
            .and_then(Node::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("enabled"));
        enabled && EXPIRY_KEYS.iter().any(|k| rule.get(k).is_some())
    })
}

/// Buckets a CloudFormation template declares, with whether an enabled rule expires their
/// objects. `line_text` gives a line's text for evidence.
pub fn cloudformation(docs: &[Node]) -> Vec<Bucket> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(Value::Map(resources)) = doc.get("Resources").map(|r| &r.value) else {
            continue;
        };
        for (id, res) in resources {
            if res.get("Type").and_then(Node::as_str) != Some("AWS::S3::Bucket") {
                continue;
            }
            let props = res.get("Properties");
            let name = props
                .and_then(|p| p.get("BucketName"))
                .and_then(Node::as_str)
                .filter(|n| !n.contains(['$', '{']))
                .unwrap_or_default();
            let lifecycle = props
                .and_then(|p| p.get("LifecycleConfiguration"))
                .and_then(|l| l.get("Rules"))
                .is_some_and(rules_delete);
            out.push(Bucket {
                address: format!("AWS::S3::Bucket.{}", id.text),
                name: name.to_string(),
                line: id.line,
                lifecycle,
            });
        }
    }
    out
}

/// An exported lifecycle configuration (`{"Rules": [...]}` at the top): whether an enabled
/// rule expires objects. `None` when the document is not one.
pub fn exported_rules(doc: &Node) -> Option<bool> {
    let rules = doc.get("Rules")?;
    let Value::Seq(items) = &rules.value else {
        return None;
    };
    let shaped = items.iter().any(|r| r.get("Status").is_some());
    shaped.then(|| rules_delete(rules))
}

/// Cheap test before parsing: the text may be an exported lifecycle configuration.
pub fn may_be_lifecycle_export(text: &str) -> bool {
    text.contains("Rules") && text.contains("Status")
}

/// Marks the buckets an exported configuration that deletes covers: the export's path
/// names the bucket (`exports/acme-training-data.lifecycle.json`).
pub fn join(buckets: &mut [(super::FileId, Bucket, String)], exports: &[String]) {
    for (_, b, _) in buckets
        .iter_mut()
        .filter(|(_, b, _)| !b.lifecycle && b.name.len() >= 3)
    {
        let name = b.name.to_ascii_lowercase();
        if exports.iter().any(|p| p.to_ascii_lowercase().contains(&name)) {
            b.lifecycle = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_rules_must_expire_and_be_enabled() {
        let expire = "resource \"aws_s3_bucket_lifecycle_configuration\" \"t\" {\n  rule {\n    status = \"Enabled\"\n    expiration { days = 90 }\n  }\n}";
        assert!(terraform_deletes(expire));
        assert!(!terraform_deletes(&expire.replace("Enabled", "Disabled")));
        let transition = "rule {\n status = \"Enabled\"\n transition { storage_class = \"GLACIER\" }\n}";
        assert!(!terraform_deletes(transition));
        let gcs = "lifecycle_rule {\n  action { type = \"Delete\" }\n  condition { age = 30 }\n}";
        assert!(terraform_deletes(gcs));
        assert!(!terraform_deletes(
            "lifecycle_rule {\n enabled = false\n expiration { days = 1 }\n}"
        ));
    }

    #[test]
    fn exported_and_cloudformation_rules() {
        let export =
            Node::from_json(r#"{"Rules":[{"ID":"x","Status":"Disabled","Expiration":{"Days":30}}]}"#)
                .unwrap();
        assert_eq!(exported_rules(&export), Some(false));
        let export =
            Node::from_json(r#"{"Rules":[{"ID":"x","Status":"Enabled","Expiration":{"Days":30}}]}"#).unwrap();
        assert_eq!(exported_rules(&export), Some(true));
        assert_eq!(
            exported_rules(&Node::from_json(r#"{"Rules":["a"]}"#).unwrap()),
            None
        );
        let cfn = super::super::node::parse_yaml(
            "Resources:\n  TrainingData:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: acme-training-data\n      LifecycleConfiguration:\n        Rules:\n          - Status: Enabled\n            ExpirationInDays: 365\n",
        )
        .unwrap();
        let b = cloudformation(&[cfn]);
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].name.as_str(), b[0].line, b[0].lifecycle),
            ("acme-training-data", 2, true)
        );
    }
}
