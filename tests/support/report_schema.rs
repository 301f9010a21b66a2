//! Every JSON report a test produces is checked against `docs/report.schema.json`, the
//! contract's JSON Schema — strictly: a field the schema does not name fails the test, so
//! a field added to the report is added to the schema and the contract too.

#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::Value;

pub const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");

/// The published schema (accepts fields it does not name, as the contract allows).
pub fn schema() -> Value {
    let text = std::fs::read_to_string(SCHEMA_PATH).expect("docs/report.schema.json");
    serde_json::from_str(&text).expect("the report schema is JSON")
}

/// The schema with `additionalProperties: false` on every object that names its
/// properties: what the tests hold redflag's own reports to.
pub fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in map.values_mut() {
                strict(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let mut s = schema();
        strict(&mut s);
        jsonschema::validator_for(&s).expect("the report schema compiles")
    })
}

/// Panics with every schema error when `report` does not follow the schema.
pub fn assert_valid(report: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the JSON report does not follow docs/report.schema.json:\n{}",
        errors.join("\n")
    );
}

/// [`assert_valid`] for a value that is a JSON report (has `schema_version`); SARIF and
/// other JSON pass through.
pub fn check_if_report(v: &Value) {
    if v.get("schema_version").is_some() && v.get("gate").is_some() {
        assert_valid(v);
    }
}
