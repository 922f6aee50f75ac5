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
use devhost::testing::{
    chat_providers_named, openai_stream_text, send, Framing, MOCK_CHAT_TEXT as TEXT,
};
use serde_json::json;

/// Hosts a framing runs on (h2c: real Envoy only, see the module docs; real nginx when built).
fn hosts(f: Framing) -> Vec<TestHost> {
    match f {
        Framing::H2cLength | Framing::H2cNoLength => vec![TestHost::RealEnvoy],
        _ => TestHost::all(),
    }
}

fn case(stream: bool) {
    for p in chat_providers_named(&["openai", "anthropic", "gemini", "bedrock"]) {
        let (name, cfg, model) = (p.name, &p.config, p.model);
        let path = if stream { p.stream_path } else { p.path };
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
                    let (text, finish) = openai_stream_text(&r.text());
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
