//! Structural check of a config against the shipped JSON Schema
//! (`filter-config/ai_proxy.schema.json`, the draft-4 schema Kong's `ai_proxy.meta.json` carries):
//! types, enums, ranges, required fields and unknown fields, each refusal naming the field path
//! with Kong's schema texts (`kong/db/schema/init.lua` `validation_errors`).
//!
//! The schema is the one source of the structural rules, so what Kong validates before the
//! filter runs and what the filter accepts on Envoy cannot differ. Only the draft-4 keywords the
//! schema uses are understood (`tests/schema_drift.rs` refuses any other).
//! JSON `null` counts as "not set" (Kong's `ngx.null`): null members are dropped here, so the
//! serde defaults apply.

use serde_json::{Map, Value};

use super::ConfigError;

/// The schema text, compiled into the filter.
pub const SCHEMA_JSON: &str = include_str!("../../filter-config/ai_proxy.schema.json");

/// Kong's texts (`validation_errors`), plus three for limits Kong words differently.
mod text {
    pub const RECORD: &str = "expected a record";
    pub const ARRAY: &str = "expected an array";
    pub const STRING: &str = "expected a string";
    pub const NUMBER: &str = "expected a number";
    pub const INTEGER: &str = "expected an integer";
    pub const BOOLEAN: &str = "expected a boolean";
    pub const UNKNOWN: &str = "unknown field";
    pub const REQUIRED: &str = "required field missing";
}

/// Checks `config` against the schema and returns it with `null` members removed; every
/// problem is reported (the first carries the others in `also`).
pub fn check(config: &Value) -> Result<Value, ConfigError> {
    let schema: Value = serde_json::from_slice(SCHEMA_JSON.as_bytes()).map_err(|e| {
        ConfigError::new("", format!("the filter's config schema is unreadable: {e}"))
    })?;
    let mut problems = Vec::new();
    let out = walk(config, &schema, "", &mut problems);
    match ConfigError::all(problems) {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn err(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(path, message)
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The value with `null` members removed; each problem found is pushed to `out` (the value
/// returned for a refused node is `null`).
fn walk(value: &Value, schema: &Value, path: &str, out: &mut Vec<ConfigError>) -> Value {
    match walk_one(value, schema, path, out) {
        Ok(v) => v,
        Err(e) => {
            out.push(e);
            Value::Null
        }
    }
}

fn walk_one(
    value: &Value,
    schema: &Value,
    path: &str,
    problems: &mut Vec<ConfigError>,
) -> Result<Value, ConfigError> {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => walk_object(value, schema, path, problems),
        Some("array") => {
            let Value::Array(items) = value else {
                return Err(err(path, text::ARRAY));
            };
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(walk(item, item_schema, &format!("{path}[{i}]"), problems));
            }
            Ok(Value::Array(out))
        }
        Some("string") => {
            let Some(s) = value.as_str() else {
                return Err(err(path, text::STRING));
            };
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
                if (s.chars().count() as u64) < min {
                    return Err(err(path, format!("length must be at least {min}")));
                }
            }
            check_enum(value, schema, path)?;
            Ok(value.clone())
        }
        Some("integer") => {
            if !(value.is_i64() || value.is_u64()) {
                return Err(err(path, text::INTEGER));
            }
            check_range(value, schema, path)?;
            Ok(value.clone())
        }
        Some("number") => {
            if !value.is_number() {
                return Err(err(path, text::NUMBER));
            }
            check_range(value, schema, path)?;
            Ok(value.clone())
        }
        Some("boolean") => {
            if !value.is_boolean() {
                return Err(err(path, text::BOOLEAN));
            }
            Ok(value.clone())
        }
        // A schema node without a type (never in ours: the drift test checks it) accepts any value.
        _ => Ok(value.clone()),
    }
}

fn walk_object(
    value: &Value,
    schema: &Value,
    path: &str,
    problems: &mut Vec<ConfigError>,
) -> Result<Value, ConfigError> {
    let Value::Object(members) = value else {
        return Err(err(path, text::RECORD));
    };
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    let mut out = Map::new();
    for (name, member) in members {
        if member.is_null() {
            continue;
        }
        match properties.get(name) {
            Some(sub) => {
                let v = walk(member, sub, &child(path, name), problems);
                if !v.is_null() {
                    out.insert(name.clone(), v);
                }
            }
            None if closed => problems.push(err(&child(path, name), text::UNKNOWN)),
            None => {
                out.insert(name.clone(), member.clone());
            }
        }
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            // A member refused above is reported once, not also as missing.
            let present = members.get(name).is_some_and(|m| !m.is_null());
            if !present {
                problems.push(err(&child(path, name), text::REQUIRED));
            }
        }
    }
    Ok(Value::Object(out))
}

/// `one_of` → `expected one of: a, b, c` (Kong's text, values in the schema's order).
fn check_enum(value: &Value, schema: &Value, path: &str) -> Result<(), ConfigError> {
    let Some(allowed) = schema.get("enum").and_then(Value::as_array) else {
        return Ok(());
    };
    if allowed.contains(value) {
        return Ok(());
    }
    let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
    Err(err(path, format!("expected one of: {}", list.join(", "))))
}

/// Inclusive `minimum`/`maximum`: Kong's `between` text when both are set.
fn check_range(value: &Value, schema: &Value, path: &str) -> Result<(), ConfigError> {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    let Some(v) = value.as_f64() else {
        return Ok(());
    };
    let below = min.is_some_and(|m| v < m);
    let above = max.is_some_and(|m| v > m);
    if !(below || above) {
        return Ok(());
    }
    let message = match (min, max) {
        (Some(lo), Some(hi)) => {
            format!("value should be between {} and {}", num(lo), num(hi))
        }
        (Some(lo), None) => format!("value must be at least {}", num(lo)),
        (None, Some(hi)) => format!("value must be at most {}", num(hi)),
        (None, None) => return Ok(()),
    };
    Err(err(path, message))
}

/// A limit as written in the schema: `5`, not `5.0`.
fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
