//! The built-in control pack, embedded in the binary so nothing is needed at run time.
//! A test (`tests/controls.rs`) keeps this table and the `controls/` directory in step.

/// `(path relative to controls/, contents)`, sorted by path.
#[rustfmt::skip]
pub const BUILTIN: &[(&str, &str)] = &[
    ("RF1-ACCESS-REVIEW.yaml", include_str!("../../controls/RF1-ACCESS-REVIEW.yaml")),
    ("RF1-CI-STATIC-KEYS.yaml", include_str!("../../controls/RF1-CI-STATIC-KEYS.yaml")),
    ("RF1-CODEOWNERS.yaml", include_str!("../../controls/RF1-CODEOWNERS.yaml")),
    ("RF1-IAM-WILDCARD-AI.yaml", include_str!("../../controls/RF1-IAM-WILDCARD-AI.yaml")),
    ("RF1-JIT-ACCESS.yaml", include_str!("../../controls/RF1-JIT-ACCESS.yaml")),
    ("RF1-K8S-CLUSTER-ADMIN.yaml", include_str!("../../controls/RF1-K8S-CLUSTER-ADMIN.yaml")),
    ("RF1-SERVING-SERVICE-ACCOUNT.yaml", include_str!("../../controls/RF1-SERVING-SERVICE-ACCOUNT.yaml")),
    ("RF2-DRIFT-BASELINE.yaml", include_str!("../../controls/RF2-DRIFT-BASELINE.yaml")),
    ("RF2-DRIFT-MONITORING.yaml", include_str!("../../controls/RF2-DRIFT-MONITORING.yaml")),
    ("RF2-DRIFT-OPERATIONAL.yaml", include_str!("../../controls/RF2-DRIFT-OPERATIONAL.yaml")),
    ("RF2-DRIFT-RESPONSE.yaml", include_str!("../../controls/RF2-DRIFT-RESPONSE.yaml")),
    ("RF3-AI-INVENTORY.yaml", include_str!("../../controls/RF3-AI-INVENTORY.yaml")),
    ("RF3-HARDCODED-AI-KEY.yaml", include_str!("../../controls/RF3-HARDCODED-AI-KEY.yaml")),
    ("RF3-VENDOR-DUE-DILIGENCE.yaml", include_str!("../../controls/RF3-VENDOR-DUE-DILIGENCE.yaml")),
    ("RF3-VENDOR-REGISTERED.yaml", include_str!("../../controls/RF3-VENDOR-REGISTERED.yaml")),
    ("RF4-IR-AI-SCENARIOS.yaml", include_str!("../../controls/RF4-IR-AI-SCENARIOS.yaml")),
    ("RF4-IR-PLAN.yaml", include_str!("../../controls/RF4-IR-PLAN.yaml")),
    ("RF4-IR-SCENARIO-DETAIL.yaml", include_str!("../../controls/RF4-IR-SCENARIO-DETAIL.yaml")),
    ("RF4-TABLETOP-CADENCE.yaml", include_str!("../../controls/RF4-TABLETOP-CADENCE.yaml")),
    ("RF5-DATASET-DELETION.yaml", include_str!("../../controls/RF5-DATASET-DELETION.yaml")),
    ("RF5-LINEAGE-COMPLETE.yaml", include_str!("../../controls/RF5-LINEAGE-COMPLETE.yaml")),
    ("RF5-MODEL-LINEAGE-MAP.yaml", include_str!("../../controls/RF5-MODEL-LINEAGE-MAP.yaml")),
    ("RF5-SHADOW-INFERENCE.yaml", include_str!("../../controls/RF5-SHADOW-INFERENCE.yaml")),
    ("catalog/ai-vendors.yaml", include_str!("../../controls/catalog/ai-vendors.yaml")),
    ("documents.yaml", include_str!("../../controls/documents.yaml")),
    ("signals.yaml", include_str!("../../controls/signals.yaml")),
];
