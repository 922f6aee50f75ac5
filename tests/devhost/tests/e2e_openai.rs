//! End-to-end: the real `ai_proxy.wasm` under every host (real Envoy 1.40, the emulator's Envoy
//! and Kong profiles) in front of the mock OpenAI upstream: chat, streaming chat (cut at odd
//! byte boundaries), tool calls, embeddings.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::{scenario, Gateway, TestHost};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{http, HttpResponse};
use serde_json::{json, Value};

fn config(route_type: &str, model: &str) -> Value {
    json!({
        "route_type": route_type,
        "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test-key"},
        "model": {"provider": "openai", "name": model}
    })
}

/// Gateway with the real filter on `host` (a missing filter or Envoy fails the test).
fn start(host: TestHost, cfg: Value, mock: &MockServer) -> Gateway {
    host.gateway(&cfg.to_string(), &mock.url())
}

fn post(gw: &Gateway, path: &str, body: &Value, extra: &[(&str, &str)]) -> HttpResponse {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend_from_slice(extra);
    http(gw.addr, "POST", path, &headers, body.to_string().as_bytes()).unwrap()
}

/// Parses an OpenAI SSE body into its JSON chunks; asserts it ends with `data: [DONE]`.
fn sse_chunks(body: &str) -> Vec<Value> {
    assert!(
        body.trim_end().ends_with("data: [DONE]"),
        "stream does not end with [DONE]:\n{body}"
    );
    body.split("\n\n")
        .filter_map(|ev| ev.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("bad chunk {d}: {e}")))
        .collect()
}

#[test]
fn openai_chat() {
    scenario("openai chat", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, config("llm/v1/chat", "gpt-4o-mini"), &mock);
        let r = post(
            &gw,
            "/v1/chat/completions",
            &json!({"messages": [{"role": "user", "content": "Hi"}]}),
            &[],
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let v = r.json();
        assert_eq!(
            v["choices"][0]["message"]["content"], "Hello! How can I help you today?",
            "{p:?}"
        );
        assert_eq!(v["usage"]["total_tokens"], 21);
        let seen = mock.last().unwrap();
        assert_eq!(seen.path, "/v1/chat/completions", "{p:?}");
        assert_eq!(seen.header("host"), Some("api.openai.com"), "{p:?}");
        assert_eq!(
            seen.header("authorization"),
            Some("Bearer sk-test-key"),
            "{p:?}"
        );
        assert_eq!(seen.json()["model"], "gpt-4o-mini", "{p:?}");
    });
}

#[test]
fn openai_streaming_chat_cut_at_odd_boundaries() {
    scenario("openai streaming chat cut at odd boundaries", |p| {
        for cut in ["1", "5", "64"] {
            let mock = MockServer::start(MockOptions::default()).unwrap();
            let gw = start(p, config("llm/v1/chat", "gpt-4o-mini"), &mock);
            let body = json!({"stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "Hi"}]});
            let r = post(
                &gw,
                "/v1/chat/completions",
                &body,
                &[("x-mock-chunk-size", cut)],
            );
            assert_eq!(r.status, 200, "{p:?}/{cut}: {}", r.text());
            let chunks = sse_chunks(&r.text());
            let text: String = chunks
                .iter()
                .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
                .collect();
            assert_eq!(text, "Hello! How can I help you today?", "{p:?}/{cut}");
            assert!(
                chunks
                    .iter()
                    .any(|c| c["choices"][0]["finish_reason"] == "stop"),
                "{p:?}/{cut}"
            );
            assert!(
                chunks.iter().any(|c| c["usage"]["total_tokens"] == 21),
                "{p:?}/{cut}: no usage chunk"
            );
        }
    });
}

#[test]
fn openai_tool_call() {
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]);
    scenario("openai tool call", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, config("llm/v1/chat", "gpt-4o-mini"), &mock);
        let r = post(
            &gw,
            "/v1/chat/completions",
            &json!({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools}),
            &[],
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let v = r.json();
        assert_eq!(v["choices"][0]["finish_reason"], "tool_calls", "{p:?}");
        assert_eq!(
            v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            "get_weather"
        );
        assert_eq!(
            mock.last().unwrap().json()["tools"],
            tools,
            "{p:?}: tools must reach OpenAI unchanged"
        );
    });
}

#[test]
fn openai_embeddings() {
    scenario("openai embeddings", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(
            p,
            config("llm/v1/embeddings", "text-embedding-3-small"),
            &mock,
        );
        let r = post(&gw, "/v1/embeddings", &json!({"input": ["a", "b"]}), &[]);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let v = r.json();
        assert_eq!(v["data"].as_array().map(Vec::len), Some(2), "{p:?}");
        assert_eq!(mock.last().unwrap().path, "/v1/embeddings", "{p:?}");
    });
}

/// The client's own keys in other providers' auth headers never reach the provider, on every
/// host: removed (Envoy), or written empty where the host cannot remove a request header
/// (Kong's engine, docs/hosts.md §17). The configured key is the only credential upstream.
#[test]
fn client_keys_in_foreign_auth_headers_do_not_reach_the_provider() {
    scenario("client keys do not pass", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, config("llm/v1/chat", "gpt-4o-mini"), &mock);
        let r = post(
            &gw,
            "/v1/chat/completions",
            &json!({"messages": [{"role": "user", "content": "Hi"}]}),
            &[
                ("x-api-key", "client-secret-1"),
                ("api-key", "client-secret-2"),
                ("X-Goog-Api-Key", "client-secret-3"),
                ("authorization", "Bearer client-secret-4"),
            ],
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let seen = mock.last().unwrap();
        for (k, v) in &seen.headers {
            assert!(
                !v.contains("client-secret"),
                "{p:?}: {k}: {v} reached the provider"
            );
        }
        for h in ["x-api-key", "api-key", "x-goog-api-key"] {
            assert!(
                p.dropped(seen.header(h)),
                "{p:?}: {h}: {:?}",
                seen.header(h)
            );
        }
        let auth: Vec<&String> = seen
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(auth, ["Bearer sk-test-key"], "{p:?}");
    });
}
