//! Per-request cost of the real `ai_proxy.wasm` in the dev host (wasmtime, Envoy profile) on
//! the cases of `benches/paths.rs`, each beside its floor measured in the same run
//! (`serde_json` parse + serialize of the same request and answer bytes), and the host calls
//! the filter makes per request (each one crosses the Wasm boundary on a real host).
//!
//! Payloads come from `benches/make_payloads.py` (`target/bench-payloads/`). Run: `make bench`
//! (or `cargo bench -p devhost --bench paths_wasm`).
//! `BENCH_QUICK=1` runs each case a few times only (a smoke run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use devhost::harness::{self, Request, UpstreamReply};
use devhost::{testing, CallResponse, HostOptions, HttpCall, Profile, UpstreamRequest, Vm};

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
    testing::workspace_root().join("target/bench-payloads")
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

/// The real `.wasm` in the dev host (Envoy profile): the whole request.
fn wasm(vm: &mut Vm, c: &Case) -> usize {
    let req = Request::new(
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        &c.request,
    );
    let answer = c.answer.clone();
    let mut upstream = |_: &UpstreamRequest| UpstreamReply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        chunks: vec![answer.clone()],
    };
    let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
    let o = harness::run(vm, &req, &mut upstream, &mut calls);
    assert_eq!(o.status, 200, "{}: {}", c.name, o.logs);
    o.body.len()
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
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");

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

    println!("ai_proxy.wasm in the dev host (Envoy profile), per request (request + answer), median; floor = serde_json parse+serialize of the same bytes");
    println!(
        "{:<30} {:>10} {:>10} {:>7} {:>6}",
        "case", "floor", "wasm", "x", "calls"
    );
    for c in &cases {
        let cfg_text = config(c.provider);
        let t_floor = time(budget, || {
            black_box(floor(c));
        });
        let mut vm = Vm::start(
            &module,
            HostOptions::with_config(Profile::Envoy, cfg_text.clone()),
        )
        .unwrap();
        let before = vm.host_calls();
        wasm(&mut vm, c);
        let calls = vm.host_calls() - before;
        let t_wasm = time(budget, || {
            black_box(wasm(&mut vm, c));
        });
        println!(
            "{:<30} {:>10} {:>10} {:>6.2}x {:>6}",
            c.name,
            us(t_floor),
            us(t_wasm),
            t_wasm / t_floor,
            calls
        );
        if c.name.starts_with("1 MB image") {
            println!(
                "{:<30} wasm {:.2} GB/s (request bytes / time)",
                "",
                c.request.len() as f64 / t_wasm / 1e9
            );
        }
    }
}
