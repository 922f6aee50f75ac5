//! End-to-end: Claude-Code-shaped Anthropic Messages requests (`llm_format: anthropic`) through
//! the real `ai_proxy.wasm` under every host (real Envoy, the emulator's Envoy and Kong
//! profiles: `devhost::envoy::scenario`), to each provider the mock speaks.
//!
//! The corpus follows what Claude Code documents and sends: a system prompt in blocks with
//! `cache_control`, 16 tools with large `input_schema`s, multi-turn tool loops (`tool_use` →
//! `tool_result`), extended thinking, images (in a user turn and in a tool result), the
//! `anthropic-beta` / `anthropic-version` / `x-api-key` headers, streaming — and one ~200 KB
//! conversation. Each answer must be a well-formed Anthropic message or event stream with usage;
//! `count_tokens` is answered from the provider's counting API (Gemini, Vertex, Bedrock) or with
//! the documented 404 (the others).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::scenario;
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::http;
use serde_json::{json, Value};

const TEXT: &str = "Hello! How can I help you today?";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn cfg(provider: &str, model: &str, auth: Value, options: Value) -> Value {
    let mut c = json!({"route_type": "llm/v1/chat", "llm_format": "anthropic",
        "max_request_body_size": 0,
        "model": {"provider": provider, "name": model, "options": options}});
    if !auth.is_null() {
        c["auth"] = auth;
    }
    c
}

/// (name, config, model, upstream path prefix)
fn providers() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let bearer = json!({"header_name": "Authorization", "header_value": "Bearer k", "allow_override": false});
    vec![
        (
            "openai",
            cfg("openai", "gpt-4.1", bearer.clone(), json!({})),
            "gpt-4.1",
            "/v1/chat/completions",
        ),
        (
            "azure",
            cfg(
                "azure",
                "gpt-4.1",
                json!({"header_name": "api-key", "header_value": "k"}),
                json!({"azure_instance": "inst", "azure_deployment_id": "gpt-4.1"}),
            ),
            "gpt-4.1",
            "/openai/deployments/gpt-4.1/chat/completions",
        ),
        (
            "gemini",
            cfg(
                "gemini",
                "gemini-2.5-flash",
                json!({"param_name": "key", "param_value": "k", "param_location": "query"}),
                json!({}),
            ),
            "gemini-2.5-flash",
            "/v1beta/models/gemini-2.5-flash:",
        ),
        (
            "vertex",
            cfg(
                "gemini",
                "gemini-2.5-pro",
                bearer.clone(),
                json!({"gemini": {"api_endpoint": "us-east5-aiplatform.googleapis.com", "project_id": "p", "location_id": "us-east5"}}),
            ),
            "gemini-2.5-pro",
            "/v1/projects/p/locations/us-east5/publishers/google/models/gemini-2.5-pro:",
        ),
        (
            "bedrock",
            cfg(
                "bedrock",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                json!({"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
                json!({"bedrock": {"aws_region": "us-east-1"}}),
            ),
            "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "/model/us.anthropic.claude-haiku-4-5-20251001-v1",
        ),
        (
            "ollama",
            cfg("ollama", "qwen3-coder:30b", Value::Null, json!({})),
            "qwen3-coder:30b",
            "/api/chat",
        ),
        (
            "cohere",
            cfg("cohere", "command-a-03-2025", bearer.clone(), json!({})),
            "command-a-03-2025",
            "/v2/chat",
        ),
        (
            "deepseek",
            cfg("deepseek", "deepseek-chat", bearer.clone(), json!({})),
            "deepseek-chat",
            "/v1/chat/completions",
        ),
        (
            "huggingface",
            cfg(
                "huggingface",
                "meta-llama/Llama-3.3-70B-Instruct",
                bearer,
                json!({}),
            ),
            "meta-llama/Llama-3.3-70B-Instruct",
            "/",
        ),
    ]
}

/// Claude Code's tool set: 16 tools, each with a large schema.
fn tools() -> Vec<Value> {
    (0..16)
        .map(|i| {
            let mut props = serde_json::Map::new();
            for k in 0..12 {
                props.insert(format!("param_{k}"), json!({"type": "string",
                    "description": format!("Parameter {k} of tool {i}: {}", "detailed guidance ".repeat(8))}));
            }
            let name = if i == 0 { "get_weather".to_string() } else { format!("Tool{i}") };
            json!({"name": name, "description": format!("Tool {i}. {}", "Usage notes. ".repeat(20)),
                   "input_schema": {"type": "object", "properties": props, "required": ["param_0"],
                                    "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}})
        })
        .collect()
}

fn system() -> Value {
    json!([
        {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
        {"type": "text", "text": "Follow the repository's conventions.", "cache_control": {"type": "ephemeral"}}
    ])
}

/// Turns of `n` tool loops, ending with a tool result (the mock then answers text).
fn tool_loops(n: usize, filler: usize) -> Vec<Value> {
    let mut m = vec![
        json!({"role": "user", "content": [{"type": "text", "text": "Fix the failing test.", "cache_control": {"type": "ephemeral"}}]}),
    ];
    for i in 0..n {
        m.push(json!({"role": "assistant", "content": [
            {"type": "text", "text": format!("Step {i}.")},
            {"type": "tool_use", "id": format!("toolu_{i:02}"), "name": "Tool1", "input": {"param_0": format!("arg {i}")}}
        ]}));
        m.push(json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": format!("toolu_{i:02}"), "content": "x".repeat(filler)}
        ]}));
    }
    m
}

/// The corpus: (name, request body without model/stream).
fn corpus() -> Vec<(&'static str, Value)> {
    vec![
        (
            "first-turn-tools",
            json!({"max_tokens": 32000, "system": system(), "tools": tools(),
            "metadata": {"user_id": "user_abc_account__session_123"},
            "messages": [{"role": "user", "content": "Weather in Paris?"}]}),
        ),
        (
            "tool-loops-thinking",
            json!({"max_tokens": 32000, "system": system(), "tools": tools(),
            "thinking": {"type": "enabled", "budget_tokens": 8000}, "temperature": 1,
            "messages": tool_loops(4, 200)}),
        ),
        (
            "images",
            json!({"max_tokens": 1024, "system": system(), "tools": tools(), "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                                             {"type": "text", "text": "What is this?"}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_img", "name": "Tool2", "input": {"param_0": "shot"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_img", "content": [
                    {"type": "text", "text": "screenshot"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]}
            ]}),
        ),
        (
            "200kb-conversation",
            json!({"max_tokens": 8192, "system": system(), "tools": tools(),
            "stop_sequences": ["</stop>"], "top_k": 40, "messages": tool_loops(40, 4800)}),
        ),
    ]
}

const HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("anthropic-version", "2023-06-01"),
    ("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"),
    ("x-api-key", "sk-ant-client"),
    ("authorization", "Bearer client-token"),
];

/// Folds an Anthropic event stream, checking its order; returns (text, tool names, stop, usage).
fn fold_stream(body: &str) -> (String, Vec<String>, String, Value) {
    let mut text = String::new();
    let mut tools = Vec::new();
    let (mut stop, mut usage) = (String::new(), Value::Null);
    let mut names = Vec::new();
    for frame in body.split("\n\n").filter(|f| !f.trim().is_empty()) {
        let (ev, data) = frame
            .strip_prefix("event: ")
            .and_then(|r| r.split_once("\ndata: "))
            .unwrap_or_else(|| panic!("frame {frame:?}"));
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], ev);
        names.push(ev.to_string());
        match ev {
            "content_block_start" if v["content_block"]["type"] == "tool_use" => {
                tools.push(v["content_block"]["name"].as_str().unwrap().to_string())
            }
            "content_block_delta" => text.push_str(v["delta"]["text"].as_str().unwrap_or("")),
            "message_delta" => {
                stop = v["delta"]["stop_reason"].as_str().unwrap().to_string();
                usage = v["usage"].clone();
            }
            "error" => panic!("error event: {data}"),
            _ => {}
        }
    }
    assert_eq!(
        names.first().map(String::as_str),
        Some("message_start"),
        "{body}"
    );
    assert_eq!(
        names.last().map(String::as_str),
        Some("message_stop"),
        "{body}"
    );
    (text, tools, stop, usage)
}

fn run_provider(name: &str) {
    let (_, config, model, path) = providers().into_iter().find(|p| p.0 == name).unwrap();
    // Claude Code's requests are large: the gateways run with the shipped buffer limits, Kong's
    // `nginx_http_client_body_buffer_size` raised to 1 MiB (docs/claude-code.md).
    scenario(&format!("claude code corpus, {name}"), |host| {
        let profile = host.name();
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = host.gateway(&config.to_string(), &mock.url());
        for (case, body) in corpus() {
            for stream in [false, true] {
                let mut body = body.clone();
                body["model"] = json!(model);
                body["stream"] = json!(stream);
                let bytes = body.to_string();
                if case == "200kb-conversation" {
                    assert!(bytes.len() > 200_000, "{}", bytes.len());
                }
                let what = format!("{name}/{profile}/{case}/stream={stream}");
                let r = http(
                    gw.addr,
                    "POST",
                    "/claude/v1/messages",
                    HEADERS,
                    bytes.as_bytes(),
                )
                .unwrap();
                assert_eq!(r.status, 200, "{what}: {}", r.text());
                let seen = mock.last().unwrap();
                assert!(
                    seen.path.starts_with(path),
                    "{what}: upstream path {}",
                    seen.path
                );
                for h in ["anthropic-beta", "anthropic-version", "x-api-key"] {
                    assert!(
                        host.dropped(seen.header(h)),
                        "{what}: {h} reached the provider"
                    );
                }
                let calls_tool = case == "first-turn-tools";
                let (text, tools, stop, usage) = if stream {
                    assert!(
                        r.header("content-type")
                            .unwrap()
                            .starts_with("text/event-stream"),
                        "{what}"
                    );
                    fold_stream(&r.text())
                } else {
                    let v = r.json();
                    assert_eq!(v["type"], "message", "{what}: {v}");
                    let blocks = v["content"].as_array().unwrap();
                    let text = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
                    let tools = blocks
                        .iter()
                        .filter(|b| b["type"] == "tool_use")
                        .map(|b| b["name"].as_str().unwrap().to_string())
                        .collect();
                    (
                        text,
                        tools,
                        v["stop_reason"].as_str().unwrap().to_string(),
                        v["usage"].clone(),
                    )
                };
                if calls_tool {
                    assert_eq!(tools, vec!["get_weather".to_string()], "{what}");
                    assert_eq!(stop, "tool_use", "{what}");
                } else if case == "images" && !tools.is_empty() {
                    // The tool result's image follows it as user content: the mock, seeing a
                    // user turn last, calls a tool again.
                    assert_eq!(stop, "tool_use", "{what}");
                } else {
                    assert_eq!(text, TEXT, "{what}");
                    assert_eq!(stop, "end_turn", "{what}");
                }
                assert!(
                    usage["output_tokens"].as_u64().unwrap() > 0,
                    "{what}: {usage}"
                );
                assert!(usage["input_tokens"].as_u64().is_some(), "{what}: {usage}");
            }
        }
        let r = http(
            gw.addr,
            "POST",
            "/claude/v1/messages/count_tokens",
            HEADERS,
            json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        let what = format!("{name}/{profile}: count_tokens");
        if matches!(name, "gemini" | "vertex" | "bedrock") {
            assert_eq!(r.status, 200, "{what}: {}", r.text());
            assert!(r.json()["input_tokens"].as_u64().unwrap() > 0, "{what}");
            let seen = mock.last().unwrap();
            assert!(
                seen.path.ends_with(":countTokens") || seen.path.ends_with("/count-tokens"),
                "{what}: upstream path {}",
                seen.path
            );
        } else {
            assert_eq!(r.status, 404, "{what}: {}", r.text());
            assert_eq!(r.json()["error"]["type"], "not_found_error", "{what}");
        }
    });
}

#[test]
fn claude_code_corpus_openai() {
    run_provider("openai");
}

#[test]
fn claude_code_corpus_azure() {
    run_provider("azure");
}

#[test]
fn claude_code_corpus_gemini() {
    run_provider("gemini");
}

#[test]
fn claude_code_corpus_vertex() {
    run_provider("vertex");
}

#[test]
fn claude_code_corpus_bedrock() {
    run_provider("bedrock");
}

#[test]
fn claude_code_corpus_ollama() {
    run_provider("ollama");
}

#[test]
fn claude_code_corpus_cohere() {
    run_provider("cohere");
}

#[test]
fn claude_code_corpus_deepseek() {
    run_provider("deepseek");
}

#[test]
fn claude_code_corpus_huggingface() {
    run_provider("huggingface");
}
