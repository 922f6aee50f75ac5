//! The repository stands alone (docs/design.md §10): no file refers to a path or document
//! outside it, every `docs/<name>.md §N` citation names a section that exists, and every test
//! `docs/hosts.md` gives as evidence exists.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Directories that are build output or local tooling, not the repository's content.
/// `make bench` installs its tools in .venv-bench and .venv-bench-litellm (git-ignored, like .venv).
const SKIP_DIRS: &[&str] = &[
    "target",
    ".git",
    ".venv",
    ".venv-bench",
    ".venv-bench-litellm",
    "__pycache__",
    "node_modules",
];

/// Every text file of the repository (binary files and build output skipped).
fn text_files() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if SKIP_DIRS.contains(&name.as_str()) {
                // `.git` is a file in a git worktree.
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root(), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let text = String::from_utf8(bytes).ok()?;
            Some((p, text))
        })
        .collect()
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap().display().to_string()
}

/// Strings that only make sense outside this repository: the shared workspace it was built
/// in, and the design and research notes that lived there (their content is now in docs/).
const OUTSIDE: &[&str] = &[
    "../shared",
    "shared/spec",
    "shared/perf",
    "/work/",
    "kong-translation.md",
    "kong-ai-proxy.md",
    "DESIGN.md",
    "style.md",
    "peers.md",
    "spec/hosts.md",
];

/// Known exceptions, each with the work that removes it (none today: keep it that way).
const KNOWN_EXCEPTIONS: &[&str] = &[];

#[test]
fn no_file_refers_outside_the_repository() {
    let this = rel(Path::new(file!())
        .canonicalize()
        .as_deref()
        .unwrap_or(Path::new(file!())));
    let mut offenders = Vec::new();
    let files = text_files();
    assert!(files.len() > 100, "files found: {}", files.len());
    for (path, text) in &files {
        let name = rel(path);
        if name == this || name.ends_with("tests/repository.rs") {
            continue;
        }
        if KNOWN_EXCEPTIONS.contains(&name.as_str()) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            for needle in OUTSIDE {
                if line.contains(needle) {
                    offenders.push(format!("{name}:{}: {needle}", n + 1));
                }
            }
            // A bare `hosts.md §N` meant the outside notes; the repository's is docs/hosts.md.
            if let Some(i) = line.find("hosts.md §") {
                if !line[..i].ends_with("docs/") {
                    offenders.push(format!("{name}:{}: bare hosts.md", n + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "references to things outside the repository (put the knowledge in docs/ and cite it): {offenders:#?}"
    );
}

/// The section numbers a doc defines: `## 3. Title` gives "3", `### 13.2 Title` gives "13.2".
fn sections(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .filter_map(|l| {
            let rest = l.trim_start_matches('#').trim_start();
            let num: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let num = num.trim_end_matches('.').to_string();
            (!num.is_empty()).then_some(num)
        })
        .collect()
}

/// Every `docs/<name>.md §A, §B–§C …` in `text`: (doc name, section) pairs.
fn citations(text: &str) -> Vec<(String, String)> {
    let re =
        regex_lite::Regex::new(r"docs/([a-z-]+)\.md((?:[ ,–-]*(?:and )?§\d+(?:\.\d+)*)+)").unwrap();
    let sec = regex_lite::Regex::new(r"§(\d+(?:\.\d+)*)").unwrap();
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        for s in sec.captures_iter(&c[2]) {
            out.push((c[1].to_string(), s[1].to_string()));
        }
    }
    out
}

#[test]
fn cited_doc_sections_exist() {
    let docs = root().join("docs");
    let mut missing = Vec::new();
    let mut seen = 0;
    for (path, text) in text_files() {
        for (doc, section) in citations(&text) {
            seen += 1;
            let file = docs.join(format!("{doc}.md"));
            let Ok(body) = std::fs::read_to_string(&file) else {
                missing.push(format!("{}: docs/{doc}.md does not exist", rel(&path)));
                continue;
            };
            if !sections(&body).contains(&section) {
                missing.push(format!("{}: docs/{doc}.md has no §{section}", rel(&path)));
            }
        }
    }
    assert!(seen > 100, "citations found: {seen}");
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The tests `docs/hosts.md` names as evidence ("emulator test `x`", "tests `a`, `b`") exist.
#[test]
fn tests_named_as_host_evidence_exist() {
    let doc = std::fs::read_to_string(root().join("docs/hosts.md")).unwrap();
    let name = regex_lite::Regex::new(r"`([a-z][a-z0-9_]+)`").unwrap();
    let mut named = BTreeSet::new();
    for part in doc.split("test").skip(1) {
        // The names follow "test"/"tests" up to the end of the clause.
        let clause = part
            .split(['.', ';'])
            .next()
            .unwrap_or_default()
            .split(" (")
            .next()
            .unwrap_or_default();
        let clause = clause.strip_prefix('s').unwrap_or(clause);
        if !clause.starts_with(char::is_whitespace) {
            continue;
        }
        for c in name.captures_iter(clause) {
            if c[1].contains('_') {
                named.insert(c[1].to_string());
            }
        }
    }
    assert!(named.len() > 30, "test names found: {named:?}");
    let sources: Vec<String> = text_files()
        .into_iter()
        .filter(|(p, _)| rel(p).starts_with("tests/") && p.extension().is_some_and(|e| e == "rs"))
        .map(|(_, t)| t)
        .collect();
    let missing: Vec<_> = named
        .iter()
        .filter(|n| {
            let def = format!("fn {n}(");
            !sources.iter().any(|t| t.contains(&def))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "tests named in docs/hosts.md that do not exist: {missing:?}"
    );
}

/// The checkers themselves.
#[test]
fn the_checkers_see_what_they_look_for() {
    assert_eq!(
        citations("see docs/hosts.md §2, §5 and docs/kong-compatibility.md §13.2; §9"),
        [
            ("hosts".to_string(), "2".to_string()),
            ("hosts".to_string(), "5".to_string()),
            ("kong-compatibility".to_string(), "13.2".to_string()),
        ]
    );
    let s = sections("# T\n## 1. A\n### 1.2 B\n## Notes\n## 15. C\n");
    assert_eq!(s.into_iter().collect::<Vec<_>>(), ["1", "1.2", "15"]);
}
