//! The core/shell rule, checked: only `src/filter/` names `proxy_wasm`, and the core takes
//! time from `Env`, never from the std clock (docs/design.md §1).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every file under `src/`, with its text.
fn src_files() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The files outside the shell (`src/filter/`).
fn core_files() -> Vec<(PathBuf, String)> {
    let filter = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/filter");
    src_files()
        .into_iter()
        .filter(|(p, _)| !p.starts_with(&filter))
        .collect()
}

#[test]
fn only_the_shell_names_proxy_wasm() {
    let files = core_files();
    assert!(files.len() > 20, "core files found: {}", files.len());
    let offenders: Vec<_> = files
        .iter()
        .filter(|(_, t)| t.contains("proxy_wasm::") || t.contains("use proxy_wasm"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "proxy_wasm outside src/filter/: {offenders:?}"
    );
}

#[test]
fn core_uses_env_not_the_std_clock() {
    let offenders: Vec<_> = core_files()
        .iter()
        .filter(|(_, t)| t.contains("SystemTime::now") || t.contains("Instant::now"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "std clock in the core: {offenders:?}");
}

#[test]
fn unsafe_code_only_in_the_raw_host_calls() {
    for (p, text) in src_files() {
        if p.ends_with("filter/raw.rs") {
            continue;
        }
        assert!(!text.contains("unsafe "), "unsafe code in {}", p.display());
    }
}

/// JSON text is parsed with `serde_json::from_slice` only. Every typed `Deserialize` is compiled
/// once per deserializer it is used with; `from_str` (a second reader) duplicated the answer and
/// stream types and cost the module 125 KB (docs/performance.md, "`.wasm` size").
#[test]
fn one_json_reader_in_the_module() {
    let mut offenders = Vec::new();
    for (p, text) in src_files() {
        // Unit tests at the end of a file may use any reader.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code = strip_comments(code);
        if code.contains("serde_json::from_str") || code.contains("serde_json::from_reader") {
            offenders.push(p.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "parse JSON text with serde_json::from_slice(s.as_bytes()): {offenders:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Layers: the import graph of `src/`, computed from `crate::…` and `super::…` paths.
// ---------------------------------------------------------------------------------------------

/// The crate's top-level modules, bottom layer first (docs/design.md §2, `src/lib.rs`). A module
/// may import from its own layer or any layer below; never from a layer above. Every top-level
/// module must appear here, so a new one forces a decision about where it sits.
const LAYERS: &[&[&str]] = &[
    &["env", "error", "escape", "format", "upstream"],
    &["api"],
    &["config", "stream"],
    &["auth", "analytics", "ingress", "routes"],
    &["providers"],
    &["exchange"],
    &["filter"],
];

/// Source with `//` comments removed (doc links such as [`crate::x`] are not imports).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads one path after `crate::`/`super::`, expanding `{…}` groups: `a::{b, c::d}` gives
/// `[a, b]` and `[a, c, d]`. Returns the paths and how many bytes were read.
fn read_paths(s: &[u8], prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let mut i = 0;
    let mut path = prefix;
    loop {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < s.len() && s[i] == b'{' {
            i += 1;
            let mut out = Vec::new();
            loop {
                while i < s.len() && (s[i].is_ascii_whitespace() || s[i] == b',') {
                    i += 1;
                }
                if i >= s.len() || s[i] == b'}' {
                    return (out, i + 1);
                }
                let (inner, used) = read_paths(&s[i..], path.clone());
                out.extend(inner);
                i += used.max(1);
            }
        }
        let start = i;
        while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
            i += 1;
        }
        if start == i {
            return (vec![path], i);
        }
        let ident = String::from_utf8_lossy(&s[start..i]).into_owned();
        if ident != "self" {
            path.push(ident);
        }
        if s[i..].starts_with(b"::") {
            i += 2;
        } else {
            return (vec![path], i);
        }
    }
}

/// The module path of a file: `src/a/b.rs` → `[a, b]`, `src/a/mod.rs` → `[a]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// For each line, the inline modules (`mod tests {`) it sits in, read from rustfmt's
/// indentation: a `mod x {` line opens one, the `}` at the same indentation closes it.
fn inline_modules(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed == "}" && stack.last().is_some_and(|(i, _)| *i == indent) {
            stack.pop();
        }
        out.push((offset, stack.iter().map(|(_, n)| n.clone()).collect()));
        let decl = trimmed.strip_prefix("pub ").unwrap_or(trimmed);
        if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(" {")) {
            stack.push((indent, name.to_string()));
        }
        offset += line.len();
    }
    out
}

/// Every module path a file refers to, absolute from the crate root.
fn imports_of(src: &Path, file: &Path, text: &str) -> Vec<Vec<String>> {
    let text = strip_comments(text);
    let bytes = text.as_bytes();
    let here = module_of(src, file);
    let lines = inline_modules(&text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &bytes[i..];
        if boundary && rest.starts_with(b"crate::") {
            let (paths, used) = read_paths(&rest[7..], Vec::new());
            out.extend(paths);
            i += 7 + used;
        } else if boundary && rest.starts_with(b"super::") {
            let mut base = here.clone();
            let line = lines.partition_point(|(start, _)| *start <= i);
            if let Some((_, inline)) = lines.get(line.wrapping_sub(1)) {
                base.extend(inline.iter().cloned());
            }
            let mut j = 0;
            while rest[j..].starts_with(b"super::") {
                base.pop();
                j += 7;
            }
            let (paths, used) = read_paths(&rest[j..], base);
            out.extend(paths);
            i += j + used;
        } else {
            i += 1;
        }
    }
    out
}

/// The file a module path lands in: the longest prefix that names a file under `src/`.
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|n| {
        let rel: PathBuf = path[..n].iter().collect();
        [
            src.join(&rel).with_extension("rs"),
            src.join(&rel).join("mod.rs"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    })
}

/// Edges between top-level modules: (from, to, file that imports).
fn module_edges() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges = Vec::new();
    for file in files {
        let here = module_of(&src, &file);
        let Some(from) = here.first().cloned() else {
            continue; // lib.rs
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for path in imports_of(&src, &file, &text) {
            if let Some(to) = path.first() {
                if *to != from {
                    edges.push((from.clone(), to.clone(), file.display().to_string()));
                }
            }
        }
    }
    edges.sort();
    edges.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    edges
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// A cycle in a directed graph, if any (depth-first search with colours).
fn find_cycle<'a>(nodes: &[&'a str], edges: &[(&'a str, &'a str)]) -> Option<Vec<&'a str>> {
    fn visit<'a>(
        n: &'a str,
        edges: &[(&'a str, &'a str)],
        state: &mut std::collections::HashMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let at = stack.iter().position(|m| *m == n).unwrap();
                let mut cycle = stack[at..].to_vec();
                cycle.push(n);
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(n, 1);
        stack.push(n);
        for (_, to) in edges.iter().filter(|(f, _)| *f == n) {
            if let Some(c) = visit(to, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    let mut state = std::collections::HashMap::new();
    nodes
        .iter()
        .find_map(|n| visit(n, edges, &mut state, &mut Vec::new()))
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .chain(lib.lines().filter_map(|l| l.trim().strip_prefix("mod ")))
        .map(|m| m.trim_end_matches(';').trim())
        .collect();
    assert!(modules.len() >= 10, "modules in lib.rs: {modules:?}");
    let missing: Vec<_> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        missing.is_empty(),
        "modules without a layer: {missing:?}; add them to LAYERS in tests/architecture.rs \
         and to the table in docs/design.md §2"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let edges = module_edges();
    assert!(edges.len() > 15, "too few imports found: {edges:?}");
    let upward: Vec<_> = edges
        .iter()
        .filter(|(from, to, _)| match (layer_of(from), layer_of(to)) {
            (Some(f), Some(t)) => t > f,
            _ => true,
        })
        .map(|(from, to, file)| format!("{from} -> {to} (in {file})"))
        .collect();
    assert!(
        upward.is_empty(),
        "imports that point up a layer (or name an undeclared module): {upward:#?}"
    );
}

#[test]
fn no_cycle_between_top_level_modules() {
    let edges = module_edges();
    let pairs: Vec<(&str, &str)> = edges
        .iter()
        .map(|(f, t, _)| (f.as_str(), t.as_str()))
        .collect();
    let nodes: Vec<&str> = LAYERS.iter().flat_map(|l| l.iter().copied()).collect();
    assert_eq!(find_cycle(&nodes, &pairs), None, "edges: {edges:#?}");
}

/// Sibling files (same folder, `mod.rs` aside) never import each other in a circle: a helper
/// both need moves down instead (e.g. `exchange/native.rs` and `exchange/request.rs` share
/// percent-decoding through `upstream`).
#[test]
fn no_cycle_between_sibling_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for path in imports_of(&src, file, &text) {
            let Some(to) = file_of(&src, &path) else {
                continue;
            };
            let siblings = to.parent() == file.parent()
                && !to.ends_with("mod.rs")
                && !file.ends_with("mod.rs")
                && to != *file;
            if siblings {
                edges.push((file.display().to_string(), to.display().to_string()));
            }
        }
    }
    edges.sort();
    edges.dedup();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let nodes: Vec<&str> = names.iter().map(String::as_str).collect();
    let pairs: Vec<(&str, &str)> = edges
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    assert_eq!(find_cycle(&nodes, &pairs), None);
}

/// The checker itself: an upward import and a cycle are seen.
#[test]
fn the_layer_checker_sees_imports() {
    let src = Path::new("/x/src");
    let found = imports_of(
        src,
        &src.join("error.rs"),
        "use crate::config::{schema::LlmFormat, Config};\n// use crate::providers::X;\nfn f() { crate::api::g(); super::exchange::h(); }\nmod tests {\n    use super::super::stream::X;\n}\n",
    );
    let firsts: Vec<&str> = found.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(firsts, ["config", "config", "api", "exchange", "stream"]);
    assert_eq!(found[0], ["config", "schema", "LlmFormat"]);
    assert!(layer_of("config") > layer_of("error"));
    let cycle = find_cycle(&["a", "b", "c"], &[("a", "b"), ("b", "c"), ("c", "a")]);
    assert_eq!(cycle, Some(vec!["a", "b", "c", "a"]));
    assert_eq!(find_cycle(&["a", "b"], &[("a", "b")]), None);
}
