//! JSON Schema → Gemini's `Schema` object (an OpenAPI 3.0 subset), used for function
//! `parameters` and for `responseSchema` (json_schema response format).
//!
//! Gemini rejects keys it does not know (`Unknown name "additionalProperties"` …), so the
//! conversion keeps only the keys of the Gemini API reference "Schema" object:
//! `type format title description nullable enum items properties required minItems maxItems
//! minProperties maxProperties minLength maxLength pattern minimum maximum anyOf
//! propertyOrdering default example`. Everything else is stripped: `additionalProperties`,
//! `$schema`, `$id`, `$defs`/`definitions` (after inlining), `strict`, `examples`, `allOf`,
//! `not`, `multipleOf`, `exclusiveMinimum`/`exclusiveMaximum`, `uniqueItems`,
//! `patternProperties`, `if`/`then`/`else`, and any unknown key.
//!
//! Rewrites instead of strips:
//! - `type: ["string", "null"]` → `type: "string", nullable: true`;
//! - `oneOf` → `anyOf`; a `{"type": "null"}` branch becomes `nullable: true`, and a single
//!   remaining branch is merged into its parent;
//! - `const: "x"` → `enum: ["x"]` (string constants only, Gemini enums are strings);
//! - local `$ref`s (`#/$defs/…`, `#/definitions/…`) are inlined, at most [`MAX_REF_DEPTH`]
//!   levels deep (a recursive schema is cut there to an empty schema);
//! - `format` is kept only for the values Gemini documents (`enum`, `date-time`, `float`,
//!   `double`, `int32`, `int64`);
//! - an empty `properties` map is dropped (Gemini refuses empty OBJECT properties).

use serde_json::{Map, Value};

/// How many `$ref` hops are inlined before a (recursive) schema is cut.
pub const MAX_REF_DEPTH: usize = 8;

/// Keys copied unchanged.
const KEPT: &[&str] = &[
    "title",
    "description",
    "nullable",
    "enum",
    "required",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "propertyOrdering",
    "default",
    "example",
];

/// `format` values Gemini accepts.
const FORMATS: &[&str] = &["enum", "date-time", "float", "double", "int32", "int64"];

/// Converts a JSON schema to Gemini's subset (see the module doc for what changes).
pub fn to_gemini(schema: &Value) -> Value {
    convert(schema, schema, 0)
}

/// Whether a converted schema is an object with no properties (Gemini wants such function
/// `parameters` left out).
pub fn is_empty_object(schema: &Value) -> bool {
    match schema {
        Value::Object(m) => {
            let is_object = m
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t.eq_ignore_ascii_case("object"));
            is_object && !m.contains_key("properties") && !m.contains_key("anyOf")
        }
        _ => true,
    }
}

fn convert(node: &Value, root: &Value, ref_depth: usize) -> Value {
    let Value::Object(map) = node else {
        // `true`/`false` schemas and anything odd: an empty schema.
        return Value::Object(Map::new());
    };
    if let Some(Value::String(reference)) = map.get("$ref") {
        if ref_depth >= MAX_REF_DEPTH {
            return Value::Object(Map::new());
        }
        let mut out = match resolve(root, reference) {
            Some(target) => convert(target, root, ref_depth.saturating_add(1)),
            None => Value::Object(Map::new()),
        };
        // A description next to the `$ref` describes this use; keep it.
        if let (Value::Object(o), Some(d)) = (&mut out, map.get("description")) {
            o.insert("description".into(), d.clone());
        }
        return out;
    }

    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "type" => convert_type(value, &mut out),
            // Other formats fall through to the catch-all and are dropped.
            "format" if value.as_str().is_some_and(|f| FORMATS.contains(&f)) => {
                out.insert(key.clone(), value.clone());
            }
            "properties" => {
                if let Value::Object(props) = value {
                    let converted: Map<String, Value> = props
                        .iter()
                        .map(|(name, s)| (name.clone(), convert(s, root, ref_depth)))
                        .collect();
                    if !converted.is_empty() {
                        out.insert(key.clone(), Value::Object(converted));
                    }
                }
            }
            "items" => {
                // A tuple (`items: [...]`) has no Gemini form: use its first schema.
                let item = match value {
                    Value::Array(list) => list.first(),
                    other => Some(other),
                };
                if let Some(item) = item {
                    out.insert(key.clone(), convert(item, root, ref_depth));
                }
            }
            "anyOf" | "oneOf" => {
                if let Value::Array(branches) = value {
                    convert_any_of(branches, root, ref_depth, &mut out);
                }
            }
            "const" => {
                if let Value::String(s) = value {
                    out.insert("enum".into(), Value::Array(vec![Value::String(s.clone())]));
                }
            }
            k if KEPT.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// `type`: a string is kept; a list keeps its first non-null entry and sets `nullable`.
fn convert_type(value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::String(t) if t == "null" => {
            out.insert("nullable".into(), Value::Bool(true));
        }
        Value::String(_) => {
            out.insert("type".into(), value.clone());
        }
        Value::Array(types) => {
            let mut first = None;
            for t in types.iter().filter_map(Value::as_str) {
                if t == "null" {
                    out.insert("nullable".into(), Value::Bool(true));
                } else if first.is_none() {
                    first = Some(t);
                }
            }
            if let Some(t) = first {
                out.insert("type".into(), Value::String(t.to_string()));
            }
        }
        _ => {}
    }
}

/// `anyOf`/`oneOf`: null branches become `nullable`; one remaining branch merges into the
/// parent; several stay as `anyOf`.
fn convert_any_of(branches: &[Value], root: &Value, depth: usize, out: &mut Map<String, Value>) {
    let mut kept = Vec::new();
    for branch in branches {
        let is_null = branch.get("type").and_then(Value::as_str) == Some("null");
        if is_null {
            out.insert("nullable".into(), Value::Bool(true));
        } else {
            kept.push(convert(branch, root, depth));
        }
    }
    if kept.len() == 1 {
        if let Some(Value::Object(only)) = kept.pop() {
            for (k, v) in only {
                out.entry(k).or_insert(v);
            }
        }
    } else if !kept.is_empty() {
        out.insert("anyOf".into(), Value::Array(kept));
    }
}

/// Resolves a local JSON pointer (`#/$defs/Name`, `#/definitions/Name`, any `#/a/b`).
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_unknown_keys_and_rewrites_nullable() {
        let s = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {"type": ["string", "null"], "format": "email"},
                "when": {"type": "string", "format": "date-time"},
                "kind": {"const": "a"},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
            },
            "required": ["name"]
        });
        assert_eq!(
            to_gemini(&s),
            json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "nullable": true},
                    "when": {"type": "string", "format": "date-time"},
                    "kind": {"enum": ["a"]},
                    "tags": {"type": "array", "items": {"type": "string"}}
                },
                "required": ["name"]
            })
        );
    }

    #[test]
    fn inlines_refs_and_cuts_recursion() {
        let s = json!({
            "type": "object",
            "properties": {"node": {"$ref": "#/$defs/Node", "description": "root"}},
            "$defs": {"Node": {"type": "object", "properties": {
                "next": {"$ref": "#/$defs/Node"},
                "v": {"type": "integer"}
            }}}
        });
        let out = to_gemini(&s);
        assert_eq!(
            out.pointer("/properties/node/description"),
            Some(&json!("root"))
        );
        assert_eq!(
            out.pointer("/properties/node/properties/v"),
            Some(&json!({"type": "integer"}))
        );
        assert!(out.get("$defs").is_none());
        // The recursion ends in an empty schema after MAX_REF_DEPTH hops.
        let mut p = String::from("/properties/node");
        for _ in 0..MAX_REF_DEPTH - 1 {
            p.push_str("/properties/next");
        }
        assert_eq!(
            out.pointer(&format!("{p}/properties/next")),
            Some(&json!({}))
        );
    }

    #[test]
    fn any_of_with_null_merges() {
        let s = json!({"anyOf": [{"type": "integer"}, {"type": "null"}]});
        assert_eq!(to_gemini(&s), json!({"type": "integer", "nullable": true}));
        let s = json!({"oneOf": [{"type": "integer"}, {"type": "string"}]});
        assert_eq!(
            to_gemini(&s),
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
        );
    }

    #[test]
    fn empty_object_detection() {
        assert!(is_empty_object(&to_gemini(
            &json!({"type": "object", "properties": {}})
        )));
        assert!(!is_empty_object(
            &json!({"type": "object", "properties": {"a": {}}})
        ));
        assert!(!is_empty_object(&json!({"type": "string"})));
    }
}
