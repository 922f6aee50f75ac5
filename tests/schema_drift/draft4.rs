//! A small draft-4 subset validator for the config's JSON Schema, written here independently
//! of the filter's own walker (`src/config/shape.rs`), so the two can check each other.

// Test helpers: a panic is how they report a failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Value};

use super::schema;

pub(crate) const KEYWORDS: &[&str] = &[
    "$schema",
    "title",
    "description",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "items",
    "default",
];

/// Every violation of `schema` by `value`, as `path: what`.
pub(crate) fn violations(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    let ty = schema["type"].as_str().unwrap_or("");
    let type_ok = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        out.push(format!("{path}: not of type {ty}"));
        return;
    }
    if let Some(e) = schema.get("enum") {
        if !e.as_array().unwrap().contains(value) {
            out.push(format!("{path}: not in enum"));
        }
    }
    if let (Some(min), Some(v)) = (schema.get("minimum"), value.as_f64()) {
        if v < min.as_f64().unwrap() {
            out.push(format!("{path}: below minimum"));
        }
    }
    if let (Some(max), Some(v)) = (schema.get("maximum"), value.as_f64()) {
        if v > max.as_f64().unwrap() {
            out.push(format!("{path}: above maximum"));
        }
    }
    if let (Some(min), Some(s)) = (schema.get("minLength"), value.as_str()) {
        if (s.chars().count() as u64) < min.as_u64().unwrap() {
            out.push(format!("{path}: too short"));
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema["properties"].as_object().unwrap();
        for r in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap()) {
                out.push(format!("{path}.{}: required", r.as_str().unwrap()));
            }
        }
        for (k, v) in obj {
            match props.get(k) {
                Some(s) => violations(v, s, &format!("{path}.{k}"), out),
                None if schema["additionalProperties"] == json!(false) => {
                    out.push(format!("{path}.{k}: additional property"))
                }
                None => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (i, item) in items.iter().enumerate() {
            violations(item, &schema["items"], &format!("{path}[{i}]"), out);
        }
    }
}

pub(crate) fn schema_errors(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    violations(value, &schema(), "config", &mut out);
    out
}
