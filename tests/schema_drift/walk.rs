//! Walking the config's JSON Schema: every node with its path, sample values of the right and
//! of the wrong type for a node, and building a config that holds one value at a path.

// Test helpers: a panic is how they report a failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Map, Value};

use super::schema;

/// A path in the config: property names, `None` for "the item of an array".
pub(crate) type Segs = Vec<Option<String>>;

pub(crate) fn dotted(segs: &Segs) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Some(name) if s.is_empty() => s.push_str(name),
            Some(name) => {
                s.push('.');
                s.push_str(name);
            }
            None => s.push_str("[0]"),
        }
    }
    s
}

pub(crate) fn pointer(segs: &Segs) -> String {
    segs.iter()
        .map(|s| format!("/{}", s.as_deref().unwrap_or("0")))
        .collect()
}

/// Every node of the schema with its path (records and leaves).
pub(crate) fn nodes(node: &Value, at: Segs, out: &mut Vec<(Segs, Value)>) {
    out.push((at.clone(), node.clone()));
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let mut next = at.clone();
            next.push(Some(name.clone()));
            nodes(sub, next, out);
        }
    }
    if let Some(items) = node.get("items") {
        let mut next = at;
        next.push(None);
        nodes(items, next, out);
    }
}

pub(crate) fn all_nodes() -> Vec<(Segs, Value)> {
    let mut out = Vec::new();
    nodes(&schema(), Vec::new(), &mut out);
    out
}

pub(crate) fn is_record(node: &Value) -> bool {
    node["type"] == "object"
}

/// A valid value for a node: records get their required properties only.
pub(crate) fn sample(node: &Value, name: Option<&str>) -> Value {
    if let Some(e) = node.get("enum") {
        return e[0].clone();
    }
    match node["type"].as_str().unwrap() {
        "object" => {
            let mut m = Map::new();
            for r in node["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                m.insert(r.into(), sample(&node["properties"][r], Some(r)));
            }
            Value::Object(m)
        }
        "array" => json!([]),
        "string" if name == Some("upstream_url") => json!("http://upstream.test/v1"),
        "string" => json!("x"),
        "integer" | "number" => node.get("minimum").cloned().unwrap_or(json!(1)),
        "boolean" => json!(true),
        t => panic!("type {t}"),
    }
}

/// The smallest config that puts `leaf` at `segs`.
pub(crate) fn build(node: &Value, segs: &[Option<String>], leaf: &Value) -> Value {
    let Some((first, rest)) = segs.split_first() else {
        return leaf.clone();
    };
    match first {
        Some(name) => {
            let mut v = sample(node, None);
            let child = build(&node["properties"][name], rest, leaf);
            v.as_object_mut().unwrap().insert(name.clone(), child);
            v
        }
        None => json!([build(&node["items"], rest, leaf)]),
    }
}

/// Good values for a leaf: every enum value, or both ends of a range, or a plain sample.
pub(crate) fn good_values(node: &Value, name: &str) -> Vec<Value> {
    if let Some(e) = node.get("enum") {
        return e.as_array().unwrap().clone();
    }
    let mut v = vec![sample(node, Some(name))];
    if let Some(max) = node.get("maximum") {
        v.push(max.clone());
    }
    if node["type"] == "number" {
        v.push(json!(
            node.get("minimum").and_then(Value::as_f64).unwrap_or(0.0) + 0.25
        ));
    }
    if node["type"] == "boolean" {
        v.push(json!(false));
    }
    v
}

/// Values the schema refuses, each with the text the Rust parser must give.
pub(crate) fn bad_values(node: &Value) -> Vec<(Value, &'static str)> {
    let mut v = Vec::new();
    match node["type"].as_str().unwrap() {
        "string" => v.push((json!(5), "expected a string")),
        "integer" => {
            v.push((json!(1.5), "expected an integer"));
            v.push((json!("1"), "expected an integer"));
        }
        "number" => v.push((json!("1"), "expected a number")),
        "boolean" => v.push((json!("true"), "expected a boolean")),
        "object" => v.push((json!([]), "expected a record")),
        "array" => v.push((json!({}), "expected an array")),
        _ => {}
    }
    if node.get("enum").is_some() {
        v.push((json!("zz-not-a-value"), "expected one of: "));
    }
    let int = node["type"] == "integer";
    let num = |x: f64| if int { json!(x as i64) } else { json!(x) };
    if let Some(min) = node.get("minimum").and_then(Value::as_f64) {
        v.push((num(min - 1.0), "value "));
        if !int {
            v.push((num(min - 0.25), "value "));
        }
    }
    if let Some(max) = node.get("maximum").and_then(Value::as_f64) {
        v.push((num(max + 1.0), "value "));
    }
    v
}

pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
