//! Shared helpers for the native integration tests: JSON comparison with a readable diff, and
//! the golden-fixture runner for providers (`tests/fixtures/providers/<provider>/<route>/<case>/`).
//!
//! A case folder holds, all written by hand from the provider's public API reference:
//! - `case.json`: `{"model": "...", "options": {model.options...}, "stream": false}`
//! - `request.json`: the OpenAI-format body the provider receives (model already resolved)
//! - `upstream-request.json` (optional): `{"method", "url", "headers": {subset}, "body"}` where
//!   `url` is `scheme://host[:port]/path[?query]` of the provider request
//! - `upstream-response.json` (optional): the provider's answer body
//! - `expected-response.json` (optional): the OpenAI answer the client must get
//! - `expected-error.json` (optional): `{"status": 400, "message": "..."}` when encoding must fail

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod edits;
pub mod golden;
pub mod stream_driver;
pub mod stream_events;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Root of the fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Reads a JSON file, panicking with the path on failure (tests only).
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares two JSON values; on mismatch, panics with both pretty-printed and the first
/// differing path.
pub fn assert_json_eq(actual: &Value, expected: &Value, what: &str) {
    if actual != expected {
        let path = first_diff(actual, expected, String::from("$"));
        panic!(
            "{what}: JSON differs at {path}\n--- actual\n{}\n--- expected\n{}",
            serde_json::to_string_pretty(actual).unwrap_or_default(),
            serde_json::to_string_pretty(expected).unwrap_or_default()
        );
    }
}

fn first_diff(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) if va == vb => {}
                    Some(vb) => return first_diff(va, vb, format!("{at}.{k}")),
                    None => return format!("{at}.{k} (only in actual)"),
                }
            }
            for k in y.keys() {
                if !x.contains_key(k) {
                    return format!("{at}.{k} (only in expected)");
                }
            }
            at
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if va != vb {
                    return first_diff(va, vb, format!("{at}[{i}]"));
                }
            }
            at
        }
        _ => at,
    }
}

/// All case folders under `providers/<provider>/` as (route, case name, path).
pub fn provider_cases(provider: &str) -> Vec<(String, String, PathBuf)> {
    let root = fixtures().join("providers").join(provider);
    let mut out = Vec::new();
    let Ok(routes) = std::fs::read_dir(&root) else {
        return out;
    };
    for route in routes.flatten() {
        let Ok(cases) = std::fs::read_dir(route.path()) else {
            continue;
        };
        for case in cases.flatten() {
            if case.path().join("case.json").exists() {
                out.push((
                    route.file_name().to_string_lossy().into_owned(),
                    case.file_name().to_string_lossy().into_owned(),
                    case.path(),
                ));
            }
        }
    }
    out.sort();
    out
}
