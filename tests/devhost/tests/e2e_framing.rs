//! End-to-end: the same chat and streaming-chat request framed five ways (HTTP/1.1 with
//! Content-Length, chunked, `Expect: 100-continue`; h2c with and without content-length) must
//! get the same answer, for OpenAI, Anthropic, Gemini and Bedrock, under every host.
//!
//! Host-specific: h2c runs on real Envoy only — the emulator's `ai-gateway` serves HTTP/1.1.
//! The emulated Kong profile decides "a body follows" from the headers (Kong's headers step
//! always says `end_of_stream = false`), as real Kong does; chunked bodies carry
//! `transfer-encoding` there, so they work.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::{scenario_on, TestHost};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{send, Framing};
use serde_json::{json, Value};

const TEXT: &str = "Hello! How can I help you today?";

/// (provider, config, model, upstream path prefix)
fn providers() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    vec![
        (
            "openai",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test-key"},
            "model": {"provider": "openai", "name": "gpt-4o-mini"}}),
            "gpt-4o-mini",
            "/v1/chat/completions",
        ),
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
            "/v1beta/models/gemini-2.0-flash:",
        ),
        (
            "bedrock",
            json!({"route_type": "llm/v1/chat", "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            "model": {"provider": "bedrock", "name": "anthropic.claude-3-haiku-20240307-v1:0", "options": {"bedrock": {"aws_region": "us-east-1"}}}}),
            "anthropic.claude-3-haiku-20240307-v1:0",
            "/model/anthropic.claude-3-haiku-20240307-v1",
        ),
    ]
}

/// Hosts a framing runs on (h2c: real Envoy only, see the module docs; real nginx when built).
fn hosts(f: Framing) -> Vec<TestHost> {
    match f {
        Framing::H2cLength | Framing::H2cNoLength => vec![TestHost::RealEnvoy],
        _ => TestHost::all(),
    }
}

/// The text deltas of an OpenAI SSE body joined, and the finish reason.
fn stream_text(body: &str) -> (String, Option<String>) {
    let mut text = String::new();
    let mut finish = None;
    for data in body
        .split("\n\n")
        .filter_map(|ev| ev.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|d| *d != "[DONE]")
    {
        let v: Value =
            serde_json::from_str(data).unwrap_or_else(|e| panic!("bad chunk {data}: {e}"));
        text.push_str(v["choices"][0]["delta"]["content"].as_str().unwrap_or(""));
        if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_string());
        }
    }
    (text, finish)
}

fn case(stream: bool) {
    for (name, cfg, model, path) in providers() {
        for f in Framing::ALL {
            let label = format!(
                "{name} {} {}",
                if stream { "streaming chat" } else { "chat" },
                f.name()
            );
            scenario_on(&hosts(f), &label, |h| {
                let mock = MockServer::start(MockOptions::default()).unwrap();
                let gw = h.gateway(&cfg.to_string(), &mock.url());
                let body = json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "Hi"}]});
                let r = send(
                    gw.addr,
                    f,
                    "POST",
                    "/v1/chat/completions",
                    &[("content-type", "application/json")],
                    body.to_string().as_bytes(),
                )
                .unwrap_or_else(|e| panic!("{label} on {}: {e}", h.name()));
                let at = format!("{label} on {}", h.name());
                assert_eq!(r.status, 200, "{at}: {}", r.text());
                if stream {
                    assert!(
                        r.text().trim_end().ends_with("data: [DONE]"),
                        "{at}: {}",
                        r.text()
                    );
                    let (text, finish) = stream_text(&r.text());
                    assert_eq!(text, TEXT, "{at}: {}", r.text());
                    assert_eq!(finish.as_deref(), Some("stop"), "{at}");
                } else {
                    let v = r.json();
                    assert_eq!(v["choices"][0]["message"]["content"], TEXT, "{at}: {v}");
                    assert_eq!(v["choices"][0]["finish_reason"], "stop", "{at}");
                }
                let seen = mock.last().unwrap();
                assert!(
                    seen.path.starts_with(path),
                    "{at}: upstream path {}",
                    seen.path
                );
                assert_ne!(
                    seen.header("host"),
                    Some(gw.addr.to_string().as_str()),
                    "{at}: the upstream must see the provider's host"
                );
            });
        }
    }
}

#[test]
fn chat_any_framing() {
    case(false);
}

#[test]
fn streaming_chat_any_framing() {
    case(true);
}
