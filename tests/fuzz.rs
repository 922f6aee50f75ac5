//! The stable fuzz driver (docs/hostile-input.md "Fuzzing"): the targets of `fuzz/targets.rs`
//! (config parsing, templating, every provider's request encoder, response decoder and stream
//! translator) under a coverage-free mutational loop over seed corpora: the repository's
//! fixtures plus `fuzz/corpus/<target>/`. It needs no nightly toolchain; cargo-fuzz runs the same
//! targets with coverage guidance when nightly and `cargo-fuzz` are there (`fuzz/run.sh`).
//!
//! - `fuzz_smoke` (in `make test`): every seed of every target, plus a few hundred mutations each.
//! - `fuzz_export_seeds` (ignored): the seeds of every target to `fuzz/target/seeds/`, for
//!   `fuzz/run.sh` (libFuzzer).
//! - `fuzz_for_a_while` (ignored; `make fuzz FUZZ_SECONDS=…`): `FUZZ_SECONDS` per target
//!   (default 10), `FUZZ_TARGETS` a comma-separated filter by substring, `FUZZ_SEED` the PRNG
//!   seed. Prints executions per target; a finding is saved under `fuzz/findings/` and fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

include!("../fuzz/targets.rs");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The fixture family a provider config's answers come from.
fn family(provider: &str) -> &str {
    match provider.split('_').next().unwrap_or(provider) {
        "gemini" => "gemini",
        "llama2" => "llama2",
        "mistral" => "mistral",
        p => p,
    }
}

/// The content-type byte `fuzz_response` reads, for a stream fixture file.
fn stream_prefix(path: &Path) -> u8 {
    match path.extension().and_then(|e| e.to_str()) {
        Some("sse") => 0x00,
        Some("ndjson") => 0x10,
        Some("json") => 0x08,
        _ => 0x18,
    }
}

const OPENAI_ANSWER: &[u8] = br#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
const OPENAI_STREAM: &[u8] = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";

/// Seeds: fixtures for the target's kind and family, then `fuzz/corpus/<target>/`.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let fx = root().join("tests/fixtures");
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut files = Vec::new();
    match target.split_once('/') {
        None if target == "config" => {
            files_under(&fx.join("config"), &mut files);
            for f in &files {
                let bytes = std::fs::read(f).unwrap();
                if f.to_string_lossy().contains("/invalid/") {
                    if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                        out.push(v["config"].to_string().into_bytes());
                    }
                } else {
                    out.push(bytes);
                }
            }
        }
        None => {
            for t in [
                "$(headers.x)",
                "/v1/$(uri_captures.a)/$(query_params.b)?x=$(headers.y)\n../a?b#c",
                "$(headers.x-y_z).internal:80/x\nevil.com/@",
                "$(bad)$(a.b.c)$(\n\r\n",
            ] {
                out.push(t.as_bytes().to_vec());
            }
        }
        Some(("request", _)) => {
            files_under(&fx.join("providers"), &mut files);
            for f in files.iter().filter(|f| f.ends_with("request.json")) {
                out.push(std::fs::read(f).unwrap());
            }
        }
        Some((kind, provider)) => {
            let stream = kind == "stream";
            if stream {
                files_under(&fx.join("streams").join(family(provider)), &mut files);
                for f in files
                    .iter()
                    .filter(|f| f.file_name().unwrap() != "README.md")
                {
                    let mut v = vec![stream_prefix(f), 0x40];
                    v.extend(std::fs::read(f).unwrap());
                    out.push(v);
                }
                let mut v = vec![0x00, 0x20];
                v.extend_from_slice(OPENAI_STREAM);
                out.push(v);
            } else {
                files_under(&fx.join("providers").join(family(provider)), &mut files);
                for f in files
                    .iter()
                    .filter(|f| f.ends_with("upstream-response.json"))
                {
                    let mut v = vec![0x08, 0xff];
                    v.extend(std::fs::read(f).unwrap());
                    out.push(v);
                }
                let mut v = vec![0x08, 0xff];
                v.extend_from_slice(OPENAI_ANSWER);
                out.push(v);
            }
        }
    }
    let mut corpus = Vec::new();
    files_under(
        &root().join("fuzz/corpus").join(target.replace('/', "_")),
        &mut corpus,
    );
    corpus.sort();
    for f in corpus {
        out.push(std::fs::read(f).unwrap());
    }
    if out.is_empty() {
        out.push(b"{}".to_vec());
    }
    out
}

/// xorshift64*.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens the formats are made of, inserted whole.
const DICT: &[&[u8]] = &[
    b"\"messages\"",
    b"\"content\"",
    b"\"role\"",
    b"\"tool_calls\"",
    b"\"tools\"",
    b"\"stream\"",
    b"\"model\"",
    b"\"type\"",
    b"\"text\"",
    b"\"delta\"",
    b"\"candidates\"",
    b"\"parts\"",
    b"\"usage\"",
    b"\"input\"",
    b"\"prompt\"",
    b"\"function\"",
    b"\"arguments\"",
    b"\"data\"",
    b"\"generated_text\"",
    b"\"done\":true",
    b"\"error\"",
    b"\"index\":",
    b"null",
    b"true",
    b"false",
    b"1e999",
    b"-1",
    b"18446744073709551616",
    b"\"\\ud800\"",
    b"\"\\u0000\"",
    b"{}",
    b"[]",
    b"[[[[[[[[",
    b"]]]]",
    b"\n\n",
    b"\r\n\r\n",
    b"data: ",
    b"event: ",
    b"data: [DONE]",
    b"\xff\xfe",
    b"\xc3",
    b"$(headers.",
    b"$(query_params.",
    b"$(uri_captures.",
    b")",
    b"/../",
    b"%2F",
    b"?",
    b"#",
    b"@",
    b"\r\n",
    b"\"\"",
    b"{\"type\":\"",
    b"content_block_delta",
    b"message_stop",
    b"contentBlockDelta",
    b":event-type",
    b"\x00\x00\x00",
];

fn mutate(rng: &mut Rng, input: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = b"\x00\xff\"{}[],:\\\n0a"[rng.below(13)];
            }
            2 => {
                let i = rng.below(len + 1);
                let t = DICT[rng.below(DICT.len())];
                v.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                v.drain(a..b);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let piece = v[a..b].to_vec();
                let i = rng.below(len + 1);
                v.splice(i..i, piece);
            }
            5 => {
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(256)).min(other.len());
                    let i = rng.below(len + 1);
                    v.splice(i..i, other[a..b].iter().copied());
                }
            }
            6 => v.truncate(rng.below(len + 1)),
            7 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, bytes);
            }
            _ if len > 1 => {
                // Chunking/status byte of the response targets.
                v[rng.below(2)] = rng.next() as u8;
            }
            _ => {}
        }
    }
    v.truncate(1 << 16);
    v
}

struct Finding {
    target: String,
    input: Vec<u8>,
    message: String,
}

fn run_one(target: &str, input: &[u8]) -> Result<(), String> {
    std::panic::catch_unwind(|| run_target(target, input)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Fuzzes one target until `budget` is spent or `max_execs` reached; returns executions.
fn fuzz(
    target: &str,
    budget: Duration,
    max_execs: u64,
    seed: u64,
    found: &mut Vec<Finding>,
) -> u64 {
    let pool = seeds(target);
    let mut rng = Rng(seed ^ 0x9E37_79B9_7F4A_7C15 ^ target.len() as u64);
    let start = Instant::now();
    let mut n = 0u64;
    for s in &pool {
        n += 1;
        if let Err(m) = run_one(target, s) {
            found.push(Finding {
                target: target.into(),
                input: s.clone(),
                message: m,
            });
            return n;
        }
    }
    while n < max_execs && (!n.is_multiple_of(256) || start.elapsed() < budget) {
        let base = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, base, &pool);
        n += 1;
        if let Err(m) = run_one(target, &input) {
            found.push(Finding {
                target: target.into(),
                input,
                message: m,
            });
            return n;
        }
    }
    n
}

fn report(found: Vec<Finding>) {
    if found.is_empty() {
        return;
    }
    let dir = root().join("fuzz/findings");
    let _ = std::fs::create_dir_all(&dir);
    let mut msg = String::new();
    for (i, f) in found.iter().enumerate() {
        let path = dir.join(format!("{}-{i}", f.target.replace('/', "_")));
        let _ = std::fs::write(&path, &f.input);
        msg.push_str(&format!(
            "{}: {} (input saved to {})\n",
            f.target,
            f.message,
            path.display()
        ));
    }
    panic!("fuzz findings:\n{msg}");
}

fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Every seed of every target, plus a few hundred mutations each (part of `make test`).
#[test]
fn fuzz_smoke() {
    quiet_panics();
    let mut found = Vec::new();
    for t in target_names() {
        fuzz(&t, Duration::from_secs(3600), 300, 1, &mut found);
    }
    let _ = std::panic::take_hook();
    report(found);
}

/// `make fuzz FUZZ_SECONDS=…`: every target for `FUZZ_SECONDS` each.
#[test]
#[ignore]
fn fuzz_for_a_while() {
    let secs: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let filter = std::env::var("FUZZ_TARGETS").unwrap_or_default();
    let wanted: Vec<&str> = filter.split(',').filter(|s| !s.is_empty()).collect();
    quiet_panics();
    let mut found = Vec::new();
    let mut total = 0u64;
    let mut lines = Vec::new();
    for t in target_names() {
        if !wanted.is_empty() && !wanted.iter().any(|w| t.contains(w)) {
            continue;
        }
        let start = Instant::now();
        let n = fuzz(&t, Duration::from_secs(secs), u64::MAX, seed, &mut found);
        total += n;
        let line = format!(
            "{t:<32} {n:>12} execs {:>8.1} s {:>10.0}/s",
            start.elapsed().as_secs_f64(),
            n as f64 / start.elapsed().as_secs_f64().max(1e-9)
        );
        eprintln!("{line}");
        lines.push(line);
    }
    let _ = std::panic::take_hook();
    eprintln!("total {total} executions");
    report(found);
}

/// Writes every target's seeds (fixtures and corpus) to `fuzz/target/seeds/<target>/`, where
/// `fuzz/run.sh` gives them to libFuzzer as a read-only seed corpus.
#[test]
#[ignore]
fn fuzz_export_seeds() {
    for t in target_names() {
        let dir = root().join("fuzz/target/seeds").join(t.replace('/', "_"));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, s) in seeds(&t).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:04}")), s).unwrap();
        }
    }
}
