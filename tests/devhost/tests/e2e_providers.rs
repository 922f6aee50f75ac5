//! End-to-end: the real `ai_proxy.wasm` under every host (real Envoy 1.40, the emulator's Envoy
//! and Kong profiles) translating an OpenAI chat request for each provider the mock speaks, and
//! the provider's answer back.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::{scenario, Gateway, TestHost};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::http;
use serde_json::{json, Value};

const TEXT: &str = "Hello! How can I help you today?";

fn start(host: TestHost, cfg: &Value, mock: &MockServer) -> Gateway {
    host.gateway(&cfg.to_string(), &mock.url())
}

/// (name, config, model, expected upstream path prefix)
fn providers() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    vec![
        (
            "anthropic",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "x-api-key", "header_value": "k"},
            "model": {"provider": "anthropic", "name": "claude-sonnet-4-20250514", "options": {"anthropic_version": "2023-06-01", "max_tokens": 256}}}),
            "claude-sonnet-4-20250514",
            "/v1/messages",
        ),
        (
            "gemini",
            json!({"route_type": "llm/v1/chat", "auth": {"param_name": "key", "param_value": "k", "param_location": "query"},
            "model": {"provider": "gemini", "name": "gemini-2.0-flash"}}),
            "gemini-2.0-flash",
            "/v1beta/models/gemini-2.0-flash:generateContent",
        ),
        (
            "bedrock",
            json!({"route_type": "llm/v1/chat", "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            "model": {"provider": "bedrock", "name": "anthropic.claude-3-haiku-20240307-v1:0", "options": {"bedrock": {"aws_region": "us-east-1"}}}}),
            "anthropic.claude-3-haiku-20240307-v1:0",
            "/model/anthropic.claude-3-haiku-20240307-v1",
        ),
        (
            "cohere",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
            "model": {"provider": "cohere", "name": "command-r"}}),
            "command-r",
            "/v",
        ),
        (
            "ollama",
            json!({"route_type": "llm/v1/chat", "model": {"provider": "ollama", "name": "llama3.2"}}),
            "llama3.2",
            "/api/chat",
        ),
        (
            "azure",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "api-key", "header_value": "k"},
            "model": {"provider": "azure", "name": "gpt-4o", "options": {"azure_instance": "inst", "azure_deployment_id": "dep"}}}),
            "gpt-4o",
            "/openai/deployments/dep/chat/completions",
        ),
        (
            "huggingface",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer hf_k"},
            "model": {"provider": "huggingface", "name": "meta-llama/Llama-3.3-70B-Instruct"}}),
            "meta-llama/Llama-3.3-70B-Instruct",
            "/v1/chat/completions",
        ),
    ]
}

#[test]
fn chat_translates_for_each_provider() {
    for (name, cfg, model, path) in providers() {
        scenario(&format!("{name} chat"), |p| {
            let mock = MockServer::start(MockOptions::default()).unwrap();
            let gw = start(p, &cfg, &mock);
            let body = json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]});
            let r = http(
                gw.addr,
                "POST",
                "/v1/chat/completions",
                &[("content-type", "application/json")],
                body.to_string().as_bytes(),
            )
            .unwrap();
            assert_eq!(r.status, 200, "{name}/{p:?}: {}", r.text());
            let v = r.json();
            assert_eq!(v["object"], "chat.completion", "{name}/{p:?}: {v}");
            assert_eq!(
                v["choices"][0]["message"]["content"], TEXT,
                "{name}/{p:?}: {v}"
            );
            assert_eq!(v["choices"][0]["finish_reason"], "stop", "{name}/{p:?}");
            let seen = mock.last().unwrap();
            assert!(
                seen.path.starts_with(path),
                "{name}/{p:?}: upstream path {}",
                seen.path
            );
        });
    }
}

#[test]
fn tool_calls_translate_for_each_provider() {
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]);
    for (name, cfg, model, _) in providers() {
        scenario(&format!("{name} tool calls"), |p| {
            let mock = MockServer::start(MockOptions::default()).unwrap();
            let gw = start(p, &cfg, &mock);
            let body = json!({"model": model, "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools});
            let r = http(
                gw.addr,
                "POST",
                "/v1/chat/completions",
                &[("content-type", "application/json")],
                body.to_string().as_bytes(),
            )
            .unwrap();
            assert_eq!(r.status, 200, "{name}/{p:?}: {}", r.text());
            let v = r.json();
            let call = &v["choices"][0]["message"]["tool_calls"][0];
            assert_eq!(call["function"]["name"], "get_weather", "{name}/{p:?}: {v}");
            let args: Value =
                serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or("null"))
                    .unwrap_or(Value::Null);
            assert_eq!(args, json!({"location": "Paris"}), "{name}/{p:?}: {v}");
            assert_eq!(
                v["choices"][0]["finish_reason"], "tool_calls",
                "{name}/{p:?}"
            );
        });
    }
}

/// Parses an OpenAI SSE body: the text deltas joined, and whether a finish reason came.
fn stream_text(body: &str) -> (String, Option<String>) {
    let mut text = String::new();
    let mut finish = None;
    for data in body
        .split("\n\n")
        .filter_map(|ev| ev.lines().find_map(|l| l.strip_prefix("data: ")))
    {
        if data == "[DONE]" {
            continue;
        }
        let v: Value =
            serde_json::from_str(data).unwrap_or_else(|e| panic!("bad chunk {data}: {e}"));
        text.push_str(v["choices"][0]["delta"]["content"].as_str().unwrap_or(""));
        if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_string());
        }
    }
    (text, finish)
}

fn streaming_case(name: &str) {
    let (_, cfg, model, _) = providers().into_iter().find(|p| p.0 == name).unwrap();
    scenario(&format!("{name} streaming chat"), |p| {
        for cut in ["3", "1000"] {
            let mock = MockServer::start(MockOptions::default()).unwrap();
            let gw = start(p, &cfg, &mock);
            let body = json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
            let r = http(
                gw.addr,
                "POST",
                "/v1/chat/completions",
                &[
                    ("content-type", "application/json"),
                    ("x-mock-chunk-size", cut),
                ],
                body.to_string().as_bytes(),
            )
            .unwrap();
            assert_eq!(r.status, 200, "{name}/{p:?}/{cut}: {}", r.text());
            assert!(
                r.text().trim_end().ends_with("data: [DONE]"),
                "{name}/{p:?}/{cut}: {}",
                r.text()
            );
            let (text, finish) = stream_text(&r.text());
            assert_eq!(text, TEXT, "{name}/{p:?}/{cut}: {}", r.text());
            assert_eq!(finish.as_deref(), Some("stop"), "{name}/{p:?}/{cut}");
        }
    });
}

#[test]
fn streaming_anthropic() {
    streaming_case("anthropic");
}

#[test]
fn streaming_gemini() {
    streaming_case("gemini");
}

#[test]
fn streaming_bedrock_eventstream() {
    streaming_case("bedrock");
}

#[test]
fn streaming_cohere() {
    streaming_case("cohere");
}

#[test]
fn streaming_ollama_ndjson() {
    streaming_case("ollama");
}
