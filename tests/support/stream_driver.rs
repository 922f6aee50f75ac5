//! The every-split stream driver shared by the exchange stream tests (OpenAI clients and the
//! Anthropic ingress): one request through a whole `Exchange`, its streamed answer fed in the
//! given chunks; and the check that feeding the same bytes whole, cut at every offset (every
//! 7th for large files) and one byte at a time gives identical client bytes.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, RequestHead};
use serde_json::Value;

/// What one run gives the client.
pub struct Driven {
    /// Headers the filter sets on the response.
    pub set_headers: Vec<(String, String)>,
    /// The response body bytes.
    pub body: Vec<u8>,
}

/// One request (`body` to `path`) through an exchange for `cfg`, then a 200 streamed answer of
/// `content_type` fed in `chunks` (none: an empty last chunk).
pub fn drive(
    cfg: &Value,
    path: &str,
    body: &Value,
    content_type: &str,
    chunks: &[&[u8]],
) -> Driven {
    let cfg = Config::parse(cfg.to_string().as_bytes()).unwrap();
    let mut ex = Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()));
    let body = body.to_string();
    let headers = vec![("content-length".to_string(), body.len().to_string())];
    let step = ex.on_request_head(RequestHead {
        method: "POST",
        path,
        headers: &headers,
    });
    assert!(matches!(step, HeadStep::WaitBody { .. }), "{step:?}");
    ex.on_request_body(body.as_bytes())
        .unwrap_or_else(|r| panic!("{}", String::from_utf8_lossy(&r.body)));
    let head = ex.on_response_head(200, &[("content-type".into(), content_type.into())]);
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let step = ex.on_response_body(c, i + 1 == chunks.len());
        out.extend(step.replace.unwrap_or_else(|| c.to_vec()));
    }
    if chunks.is_empty() {
        out.extend(ex.on_response_body(b"", true).replace.unwrap_or_default());
    }
    Driven {
        set_headers: head.set_headers,
        body: out,
    }
}

/// Runs `run` with `bytes` whole, split at every offset (every 7th above 3,000 bytes) and one
/// byte at a time; asserts every run gives the same client bytes and returns them.
pub fn every_split(bytes: &[u8], run: impl Fn(&[&[u8]]) -> Vec<u8>) -> Vec<u8> {
    let whole = run(&[bytes]);
    let step = if bytes.len() > 3000 { 7 } else { 1 };
    for cut in (1..bytes.len()).step_by(step) {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(run(&[a, b]), whole, "split at {cut}");
    }
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(run(&bytewise), whole, "one byte at a time");
    whole
}

/// A stream fixture's bytes (`tests/fixtures/streams/<path>`).
pub fn stream_fixture(path: &str) -> Vec<u8> {
    std::fs::read(super::fixtures().join("streams").join(path)).unwrap()
}

/// One chat case of the stream fixtures (`tests/fixtures/streams/<provider>/<case>/`): the
/// upstream bytes and what a test needs to configure the route for them.
pub struct ChatStreamCase {
    pub dir: std::path::PathBuf,
    pub provider: String,
    pub model: String,
    pub options: Value,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The `route: chat` cases under the given provider folders (SSE or NDJSON upstreams; Mistral
/// cases get `mistral_format: ollama` unless they name one).
pub fn chat_stream_cases(provider_dirs: &[&str]) -> Vec<ChatStreamCase> {
    let root = super::fixtures().join("streams");
    let mut cases = Vec::new();
    for provider_dir in provider_dirs {
        for entry in std::fs::read_dir(root.join(provider_dir))
            .unwrap()
            .flatten()
        {
            let dir = entry.path();
            let meta = super::read_json(&dir.join("case.json"));
            if meta["route"] != "chat" {
                continue;
            }
            let (file, content_type) = if dir.join("upstream.sse").exists() {
                ("upstream.sse", "text/event-stream")
            } else {
                ("upstream.ndjson", "application/x-ndjson")
            };
            let provider = meta["provider"].as_str().unwrap().to_string();
            let model = meta["model"].as_str().unwrap_or("command-r").to_string();
            let mut options = meta
                .get("options")
                .cloned()
                .unwrap_or(serde_json::json!({}));
            if provider == "mistral" && options.get("mistral_format").is_none() {
                options["mistral_format"] = serde_json::json!("ollama");
            }
            let bytes = std::fs::read(dir.join(file)).unwrap();
            cases.push(ChatStreamCase {
                dir,
                provider,
                model,
                options,
                content_type,
                bytes,
            });
        }
    }
    cases
}
