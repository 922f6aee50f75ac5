//! The bench cases, shared by the native bench (`benches/paths.rs`) and the `.wasm` bench in the
//! dev host (`tests/devhost/benches/paths_wasm.rs`): configs, payloads, the floor and the timer.
//! Both include this file with `#[path]`, so the two always measure the same requests; the
//! memory tests (`tests/peak_memory.rs`, `tests/devhost/tests/in_flight_memory.rs`) take their
//! large chat from here too.
//!
//! Payloads come from `benches/make_payloads.py` (written to `target/bench-payloads/`).

use std::path::{Path, PathBuf};
use std::time::Instant;

const BEDROCK_AUTH: &str = r#""auth":{"aws_access_key_id":"AKIDEXAMPLE","aws_secret_access_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}"#;

/// A ~200 KB chat built in memory, as a client writes it: 300 turns of ~600 characters (for the
/// tests that need one without the payload files).
pub fn large_chat(model: &str) -> Vec<u8> {
    let text = "The quick brown fox jumps over the lazy dog near the riverbank. ".repeat(9);
    let messages: Vec<_> = (0..300)
        .map(|i| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            serde_json::json!({"role": role, "content": format!("{i}: {text}")})
        })
        .collect();
    let chat = serde_json::json!({"model": model, "messages": messages, "max_tokens": 256});
    serde_json::to_vec(&chat).unwrap_or_default()
}

/// The filter config for a bench provider (chat route, the model pinned).
pub fn config(provider: &str) -> String {
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
pub fn model_of(provider: &str) -> &'static str {
    match provider {
        "anthropic" => "claude-3-5-sonnet-20240620",
        "gemini" => "gemini-1.5-pro",
        "bedrock" => "anthropic.claude-3-5-sonnet-20240620-v1:0",
        _ => "gpt-4o",
    }
}

/// One request and the provider's answer to it.
pub struct Case {
    pub name: String,
    pub provider: &'static str,
    pub request: Vec<u8>,
    /// The provider's answer (JSON).
    pub answer: Vec<u8>,
}

/// `target/bench-payloads/` of the workspace (found from either crate's manifest directory).
pub fn payload_dir() -> PathBuf {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("benches/make_payloads.py").exists() {
        dir = dir
            .parent()
            .expect("the workspace root above CARGO_MANIFEST_DIR");
    }
    dir.join("target/bench-payloads")
}

pub fn read(name: &str) -> Vec<u8> {
    let p = payload_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `python3 benches/make_payloads.py` or `make bench`)",
            p.display()
        )
    })
}

pub fn with_model(req: &[u8], model: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(req).unwrap();
    v["model"] = model.into();
    serde_json::to_vec(&v).unwrap()
}

pub fn answer_for(provider: &str, tool: bool) -> Vec<u8> {
    let kind = if tool { "tool_use" } else { "text" };
    read(&format!("resp_{provider}_{kind}.json"))
}

pub fn case(name: &str, file: &str, provider: &'static str, tool: bool) -> Case {
    Case {
        name: name.into(),
        provider,
        request: with_model(&read(file), model_of(provider)),
        answer: answer_for(provider, tool),
    }
}

/// The per-request cases, in the order both benches print them.
pub fn requests() -> Vec<Case> {
    vec![
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
        // OpenAI-compatible providers forward the client's parsed body (edited) rather than
        // encoding the typed request: the other memory shape.
        case(
            "large chat -> openai",
            "req_large_chat.json",
            "openai",
            false,
        ),
    ]
}

/// The answers translated to OpenAI (provider, tool use?), measured on their own.
pub const ANSWERS: [(&str, bool); 6] = [
    ("anthropic", false),
    ("anthropic", true),
    ("gemini", false),
    ("gemini", true),
    ("bedrock", false),
    ("bedrock", true),
];

/// The scaling payloads (chat → Anthropic).
pub const SCALING: [&str; 4] = [
    "chat_1k.json",
    "chat_64k.json",
    "chat_1m.json",
    "chat_8m.json",
];

/// The floor: parse and serialize the request and the answer with serde_json.
pub fn floor(c: &Case) -> usize {
    let a: serde_json::Value = serde_json::from_slice(&c.request).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&c.answer).unwrap();
    serde_json::to_vec(&a).unwrap().len() + serde_json::to_vec(&b).unwrap().len()
}

/// Median seconds per call: repeats `f` for at least `budget` seconds (and 3 times).
pub fn time(budget: f64, mut f: impl FnMut()) -> f64 {
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

/// Median time of `f` on a fresh value from `setup`, made (and dropped) outside the timed
/// window: the answer side of an exchange, timed without the request side that precedes it.
pub fn time_with<T>(budget: f64, mut setup: impl FnMut() -> T, mut f: impl FnMut(&mut T)) -> f64 {
    f(&mut setup());
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 3 || start.elapsed().as_secs_f64() < budget {
        let mut x = setup();
        let t = Instant::now();
        f(&mut x);
        samples.push(t.elapsed().as_secs_f64());
        drop(x);
        if samples.len() >= 100_000 {
            break;
        }
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

pub fn us(s: f64) -> String {
    if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} us", s * 1e6)
    }
}
