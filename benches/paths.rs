//! Per-request cost of every translated path in the native core, each beside its floor measured
//! in the same run: `serde_json` parse + serialize of the same request and answer bytes. Also
//! the 1 KB → 8 MB scaling of a chat request and the peak bytes allocated per request (a
//! counting allocator). The same cases as `.wasm` in the dev host: `tests/devhost/benches/paths_wasm.rs`.
//!
//! Payloads come from `benches/make_payloads.py` (written to `target/bench-payloads/`; `make
//! bench` runs it first). Run: `make bench` or `cargo bench -p ai-proxy --bench paths`.
//! `BENCH_QUICK=1` runs each case a few times only (a smoke run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ai_proxy::config::Config;
use ai_proxy::exchange::{Exchange, RequestHead};

// ---- counting allocator: live bytes and their peak, reset per measured request ----------

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size() {
            let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        // SAFETY: as in `alloc`.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak bytes allocated above what was live when `f` started.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

// ---- cases --------------------------------------------------------------------------------

const BEDROCK_AUTH: &str = r#""auth":{"aws_access_key_id":"AKIDEXAMPLE","aws_secret_access_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}"#;

fn config(provider: &str) -> String {
    match provider {
        "anthropic" => r#"{"route_type":"llm/v1/chat","auth":{"header_name":"x-api-key","header_value":"k"},"model":{"provider":"anthropic","name":"claude-3-5-sonnet-20240620","options":{"anthropic_version":"2023-06-01","max_tokens":512}}}"#.into(),
        "gemini" => r#"{"route_type":"llm/v1/chat","auth":{"param_name":"key","param_value":"k","param_location":"query"},"model":{"provider":"gemini","name":"gemini-1.5-pro"}}"#.into(),
        "bedrock" => format!(
            r#"{{"route_type":"llm/v1/chat",{BEDROCK_AUTH},"model":{{"provider":"bedrock","name":"anthropic.claude-3-5-sonnet-20240620-v1:0","options":{{"bedrock":{{"aws_region":"us-east-1"}}}}}}}}"#
        ),
        "openai" => r#"{"route_type":"llm/v1/chat","auth":{"header_name":"Authorization","header_value":"Bearer k"},"model":{"provider":"openai","name":"gpt-4o"}}"#.into(),
        other => panic!("no bench config for {other}"),
    }
}

/// The model the config pins, written into the request (the client names the same model).
fn model_of(provider: &str) -> &'static str {
    match provider {
        "anthropic" => "claude-3-5-sonnet-20240620",
        "gemini" => "gemini-1.5-pro",
        "bedrock" => "anthropic.claude-3-5-sonnet-20240620-v1:0",
        _ => "gpt-4o",
    }
}

struct Case {
    name: String,
    provider: &'static str,
    request: Vec<u8>,
    /// The provider's answer (JSON).
    answer: Vec<u8>,
}

fn payload_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-payloads")
}

fn read(name: &str) -> Vec<u8> {
    let p = payload_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `python3 benches/make_payloads.py` or `make bench`)",
            p.display()
        )
    })
}

fn with_model(req: &[u8], model: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(req).unwrap();
    v["model"] = model.into();
    serde_json::to_vec(&v).unwrap()
}

fn answer_for(provider: &str, tool: bool) -> Vec<u8> {
    let kind = if tool { "tool_use" } else { "text" };
    let p = if provider == "openai" {
        "anthropic"
    } else {
        provider
    };
    read(&format!("resp_{p}_{kind}.json"))
}

fn case(name: &str, file: &str, provider: &'static str, tool: bool) -> Case {
    Case {
        name: name.into(),
        provider,
        request: with_model(&read(file), model_of(provider)),
        answer: answer_for(provider, tool),
    }
}

// ---- one request, three ways ---------------------------------------------------------------

/// The floor: parse and serialize the request and the answer with serde_json.
fn floor(c: &Case) -> usize {
    let a: serde_json::Value = serde_json::from_slice(&c.request).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&c.answer).unwrap();
    serde_json::to_vec(&a).unwrap().len() + serde_json::to_vec(&b).unwrap().len()
}

/// The native core: request head + body, then the answer's head + body.
fn native(cfg: &Rc<Config>, c: &Case) -> usize {
    let mut ex = Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("content-length".to_string(), c.request.len().to_string()),
    ];
    ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/chat/completions",
        headers: &headers,
    });
    let edits = ex.on_request_body(&c.request).unwrap();
    let n = edits.body.map(|b| b.len()).unwrap_or(0);
    ex.on_response_head(200, &[("content-type".into(), "application/json".into())]);
    let step = ex.on_response_body(&c.answer, true);
    n + step.replace.map(|r| r.len()).unwrap_or(0)
}

/// Median seconds per call: repeats `f` for at least `budget` seconds (and 3 times).
fn time(budget: f64, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed().as_secs_f64() < budget {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
        if samples.len() >= 100_000 {
            break;
        }
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn us(s: f64) -> String {
    if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} us", s * 1e6)
    }
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let budget = if quick { 0.05 } else { 1.0 };

    let cases = vec![
        case(
            "small chat -> anthropic",
            "req_small_chat.json",
            "anthropic",
            false,
        ),
        case(
            "tool chat -> bedrock (SigV4)",
            "req_tool_chat.json",
            "bedrock",
            true,
        ),
        case(
            "1 MB image -> gemini",
            "req_multimodal.json",
            "gemini",
            false,
        ),
        case(
            "large chat -> anthropic",
            "req_large_chat.json",
            "anthropic",
            false,
        ),
        case(
            "large chat -> gemini",
            "req_large_chat.json",
            "gemini",
            false,
        ),
        case(
            "large chat -> bedrock",
            "req_large_chat.json",
            "bedrock",
            false,
        ),
    ];

    println!("per request (request + answer), median; floor = serde_json parse+serialize of the same bytes");
    println!(
        "{:<30} {:>10} {:>10} {:>7} {:>9}",
        "case", "floor", "native", "x", "peak/body"
    );
    for c in &cases {
        let cfg_text = config(c.provider);
        let cfg = Rc::new(Config::parse(cfg_text.as_bytes()).unwrap());
        let t_floor = time(budget, || {
            black_box(floor(c));
        });
        let t_native = time(budget, || {
            black_box(native(&cfg, c));
        });
        let peak = peak_of(|| {
            black_box(native(&cfg, c));
        });
        println!(
            "{:<30} {:>10} {:>10} {:>6.2}x {:>8.1}x",
            c.name,
            us(t_floor),
            us(t_native),
            t_native / t_floor,
            peak as f64 / c.request.len() as f64
        );
        if c.name.starts_with("1 MB image") {
            println!(
                "{:<30} native {:.2} GB/s (request bytes / time)",
                "",
                c.request.len() as f64 / t_native / 1e9
            );
        }
    }

    println!();
    println!("responses -> OpenAI (answer only), median");
    println!(
        "{:<30} {:>10} {:>10} {:>7}",
        "answer", "floor", "native", "x"
    );
    for (provider, tool) in [
        ("anthropic", false),
        ("anthropic", true),
        ("gemini", false),
        ("gemini", true),
        ("bedrock", false),
        ("bedrock", true),
    ] {
        let c = case("", "req_small_chat.json", provider, tool);
        let cfg = Rc::new(Config::parse(config(provider).as_bytes()).unwrap());
        let headers = vec![("content-type".to_string(), "application/json".to_string())];
        let t_floor = time(budget, || {
            let v: serde_json::Value = serde_json::from_slice(&c.answer).unwrap();
            black_box(serde_json::to_vec(&v).unwrap());
        });
        // The answer's side alone: (request + answer) − request.
        let t_resp = time(budget, || {
            let mut e = Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
            e.on_request_head(RequestHead {
                method: "POST",
                path: "/v1/chat/completions",
                headers: &headers,
            });
            e.on_request_body(&c.request).unwrap();
            e.on_response_head(200, &[("content-type".into(), "application/json".into())]);
            black_box(e.on_response_body(&c.answer, true));
        }) - time(budget, || {
            let mut e = Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
            e.on_request_head(RequestHead {
                method: "POST",
                path: "/v1/chat/completions",
                headers: &headers,
            });
            black_box(e.on_request_body(&c.request).unwrap());
        });
        let kind = if tool { "tool_use" } else { "text" };
        println!(
            "{:<30} {:>10} {:>10} {:>6.2}x",
            format!("{provider} {kind}"),
            us(t_floor),
            us(t_resp.max(0.0)),
            t_resp.max(0.0) / t_floor
        );
    }

    println!();
    println!(
        "scaling: chat -> anthropic, request side, native (median); peak bytes allocated / body"
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>9}",
        "body", "floor", "native", "ns/byte", "peak/body"
    );
    let cfg = Rc::new(Config::parse(config("anthropic").as_bytes()).unwrap());
    for file in [
        "chat_1k.json",
        "chat_64k.json",
        "chat_1m.json",
        "chat_8m.json",
    ] {
        let request = with_model(&read(file), model_of("anthropic"));
        let c = Case {
            name: file.into(),
            provider: "anthropic",
            request,
            answer: answer_for("anthropic", false),
        };
        let b = if quick { 0.05 } else { 0.5 };
        let mut probe = Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
        probe.on_request_head(RequestHead {
            method: "POST",
            path: "/v1/chat/completions",
            headers: &[],
        });
        if let Err(r) = probe.on_request_body(&c.request) {
            println!(
                "{:<10} refused with {} (the default request size limit)",
                file, r.status
            );
            continue;
        }
        let t_floor = time(b, || {
            let v: serde_json::Value = serde_json::from_slice(&c.request).unwrap();
            black_box(serde_json::to_vec(&v).unwrap());
        });
        let t_native = time(b, || {
            black_box(native(&cfg, &c));
        });
        let peak = peak_of(|| {
            black_box(native(&cfg, &c));
        });
        println!(
            "{:<10} {:>10} {:>10} {:>10.2} {:>8.1}x",
            file.trim_end_matches(".json"),
            us(t_floor),
            us(t_native),
            t_native * 1e9 / c.request.len() as f64,
            peak as f64 / c.request.len() as f64
        );
    }
}
