//! Per-request cost of every translated path in the native core, each beside its floor measured
//! in the same run: `serde_json` parse + serialize of the same request and answer bytes. Also
//! the 1 KB → 8 MB scaling of a chat request and the peak bytes allocated per request (a
//! counting allocator). The same cases as `.wasm` in the dev host: `tests/devhost/benches/paths_wasm.rs`.
//!
//! Payloads come from `benches/make_payloads.py` (written to `target/bench-payloads/`; `make
//! bench` runs it first). Run: `make bench` or `cargo bench -p ai-proxy --bench paths`.
//! `BENCH_QUICK=1` runs each case a few times only (a smoke run).
//!
//! Built for `wasm32-wasip1` the same binary measures the core's own code in wasm, floor and
//! all, without a host around it (`python3 benches/wasm_core.py`, which runs it in wasmtime);
//! its figures are then labelled `wasm`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::rc::Rc;

use ai_proxy::config::Config;

/// Where the figures come from: this binary natively, or built for wasm32 and run in wasmtime.
const WHERE: &str = if cfg!(target_arch = "wasm32") {
    "wasm"
} else {
    "native"
};
use ai_proxy::exchange::{Exchange, RequestHead};

// ---- counting allocator: live bytes and their peak, reset per measured request ----------

#[path = "common/counting.rs"]
#[allow(dead_code)] // `live` is for tests/peak_memory.rs
mod counting;
use counting::{peak_of, Counting};

#[global_allocator]
static ALLOC: Counting = Counting;

// ---- cases (shared with tests/devhost/benches/paths_wasm.rs) ---------------------------------

#[path = "common/cases.rs"]
#[allow(dead_code)]
mod cases;
use cases::{
    answer_for, case, config, floor, model_of, read, time, time_with, us, with_model, Case,
};

// ---- one request, three ways ---------------------------------------------------------------

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

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let budget = if quick { 0.05 } else { 1.0 };

    let cases = cases::requests();
    // `BENCH_PROFILE=<case name prefix>`: only run that case's request + answer for 5 s, for
    // `perf record` (docs/performance.md, "Reproduce").
    if let Some(only) = std::env::var_os("BENCH_PROFILE") {
        let only = only.to_string_lossy();
        for c in cases.iter().filter(|c| c.name.starts_with(only.as_ref())) {
            let cfg = Rc::new(Config::parse(config(c.provider).as_bytes()).unwrap());
            let start = std::time::Instant::now();
            let mut n = 0u64;
            while start.elapsed().as_secs() < 5 {
                black_box(native(&cfg, c));
                n += 1;
            }
            println!("{}: {n} requests in 5 s", c.name);
        }
        return;
    }
    // Medians per case for benches/litellm/bench.py, which prints LiteLLM's time beside them.
    let mut medians = serde_json::Map::new();

    println!("per request (request + answer), median; floor = serde_json parse+serialize of the same bytes");
    println!(
        "{:<30} {:>10} {:>10} {:>7} {:>9}",
        "case", "floor", WHERE, "x", "peak/body"
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
        medians.insert(c.name.clone(), serde_json::json!(t_native * 1e6));
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
                "{:<30} {WHERE} {:.2} GB/s (request bytes / time)",
                "",
                c.request.len() as f64 / t_native / 1e9
            );
        }
    }

    let out = cases::payload_dir().with_file_name(format!("bench-{WHERE}.json"));
    if let Err(e) = std::fs::write(&out, serde_json::Value::Object(medians).to_string()) {
        eprintln!("{}: {e}", out.display());
    }

    println!();
    println!("responses -> OpenAI (answer only), median");
    println!("{:<30} {:>10} {:>10} {:>7}", "answer", "floor", WHERE, "x");
    for (provider, tool) in cases::ANSWERS {
        let c = case("", "req_small_chat.json", provider, tool);
        let cfg = Rc::new(Config::parse(config(provider).as_bytes()).unwrap());
        let headers = vec![("content-type".to_string(), "application/json".to_string())];
        let t_floor = time(budget, || {
            let v: serde_json::Value = serde_json::from_slice(&c.answer).unwrap();
            black_box(serde_json::to_vec(&v).unwrap());
        });
        // The answer's side alone: each sample gets an exchange whose request is done.
        let t_resp = time_with(
            budget,
            || {
                let mut e = Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
                e.on_request_head(RequestHead {
                    method: "POST",
                    path: "/v1/chat/completions",
                    headers: &headers,
                });
                e.on_request_body(&c.request).unwrap();
                e
            },
            |e| {
                e.on_response_head(200, &[("content-type".into(), "application/json".into())]);
                black_box(e.on_response_body(&c.answer, true));
            },
        );
        let kind = if tool { "tool_use" } else { "text" };
        println!(
            "{:<30} {:>10} {:>10} {:>6.2}x",
            format!("{provider} {kind}"),
            us(t_floor),
            us(t_resp),
            t_resp / t_floor
        );
    }

    println!();
    println!(
        "scaling: chat -> anthropic, request side, {WHERE} (median); peak bytes allocated / body"
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>9}",
        "body", "floor", WHERE, "ns/byte", "peak/body"
    );
    // No request size limit here (`max_request_body_size: 0`), so the 8 MB chat is measured
    // too: the default 1 MiB limit would refuse it with 413.
    let unlimited = config("anthropic").replacen('{', r#"{"max_request_body_size":0,"#, 1);
    let cfg = Rc::new(Config::parse(unlimited.as_bytes()).unwrap());
    for file in cases::SCALING {
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
            println!("{:<10} refused with {}", file, r.status);
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
