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
use devhost::testing::{
    chat_providers, http, openai_stream_text, ChatProvider, MOCK_CHAT_TEXT as TEXT,
};
use serde_json::{json, Value};

fn start(host: TestHost, cfg: &Value, mock: &MockServer) -> Gateway {
    host.gateway(&cfg.to_string(), &mock.url())
}

/// The providers of the shared table other than OpenAI (its own tests are in `e2e_openai`).
fn providers() -> Vec<ChatProvider> {
    chat_providers()
        .into_iter()
        .filter(|p| p.name != "openai")
        .collect()
}

#[test]
fn chat_translates_for_each_provider() {
    for ChatProvider {
        name,
        config: cfg,
        model,
        path,
        ..
    } in providers()
    {
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
    for ChatProvider {
        name,
        config: cfg,
        model,
        ..
    } in providers()
    {
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
fn streaming_case(name: &str) {
    let ChatProvider {
        config: cfg, model, ..
    } = providers().into_iter().find(|p| p.name == name).unwrap();
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
            let (text, finish) = openai_stream_text(&r.text());
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
