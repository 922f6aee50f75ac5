//! The core/shell rule, checked: only `src/filter/` names `proxy_wasm`, and the core takes
//! time from `Env`, never from the std clock (style.md §3.5 conventions 1 and 11).

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

fn core_files() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter(|p| !p.starts_with(src.join("filter")))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
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
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        if p.ends_with("filter/raw.rs") {
            continue;
        }
        assert!(!text.contains("unsafe "), "unsafe code in {}", p.display());
    }
}
