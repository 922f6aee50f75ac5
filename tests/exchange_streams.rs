//! Every provider's stream fixture through the whole exchange (framing → provider translator →
//! shared emitter), fed whole, split at every offset (or every 7th for large files) and one byte
//! at a time: the client bytes must be identical for every chunking, well-formed OpenAI SSE,
//! `[DONE]` exactly once and last, and — where the fixture has hand-written expected events —
//! fold to the same message those events describe.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::stream_driver;

fn config(provider: &str, model: &str, options: Value) -> Value {
    json!({"route_type": "llm/v1/chat", "model": {"provider": provider, "name": model, "options": options}})
}

/// Runs one request + streamed answer with the answer cut into `chunks`.
fn run(cfg: &Value, content_type: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "stream": true,
                      "stream_options": {"include_usage": true}});
    stream_driver::drive(cfg, "/v1/chat/completions", &body, content_type, chunks).body
}

/// What a client assembles from the stream (what the OpenAI SDK folds).
#[derive(Debug, Default, PartialEq)]
struct Folded {
    content: String,
    reasoning: String,
    tools: Vec<(String, String, String)>,
    finish: Option<String>,
    usage: Option<Value>,
    error: Option<String>,
}

fn fold_sse(bytes: &[u8]) -> Folded {
    let text = std::str::from_utf8(bytes).expect("utf-8 output");
    assert!(text.ends_with("data: [DONE]\n\n"), "[DONE] last:\n{text}");
    assert_eq!(text.matches("data: [DONE]").count(), 1, "[DONE] once");
    let mut f = Folded::default();
    let mut roles = 0;
    for frame in text.split("\n\n").filter(|s| !s.is_empty()) {
        let data = frame
            .strip_prefix("data: ")
            .unwrap_or_else(|| panic!("frame {frame:?}"));
        if data == "[DONE]" {
            continue;
        }
        let v: Value = serde_json::from_str(data).unwrap_or_else(|e| panic!("{e}: {data}"));
        if let Some(e) = v.get("error") {
            f.error = Some(e["message"].as_str().unwrap_or_default().to_string());
            continue;
        }
        assert_eq!(v["object"], "chat.completion.chunk");
        if !v["usage"].is_null() {
            f.usage = Some(v["usage"].clone());
        }
        for c in v["choices"].as_array().unwrap() {
            let d = &c["delta"];
            if d.get("role").is_some() {
                roles += 1;
            }
            f.content.push_str(d["content"].as_str().unwrap_or(""));
            f.reasoning
                .push_str(d["reasoning_content"].as_str().unwrap_or(""));
            for tc in d["tool_calls"].as_array().into_iter().flatten() {
                let i = tc["index"].as_u64().unwrap() as usize;
                if f.tools.len() <= i {
                    f.tools.resize(i + 1, Default::default());
                }
                if let Some(id) = tc["id"].as_str() {
                    f.tools[i].0 = id.to_string();
                    f.tools[i].1 = tc["function"]["name"].as_str().unwrap().to_string();
                }
                f.tools[i]
                    .2
                    .push_str(tc["function"]["arguments"].as_str().unwrap_or(""));
            }
            if let Some(r) = c["finish_reason"].as_str() {
                assert!(f.finish.is_none(), "finish_reason twice");
                f.finish = Some(r.to_string());
            }
        }
    }
    assert!(roles <= 1, "role on the first delta only");
    f
}

/// The message hand-written expected events describe (cohere/ollama fixtures).
fn fold_events(events: &Value) -> Folded {
    let mut f = Folded::default();
    for e in events.as_array().unwrap() {
        let (k, v) = e.as_object().unwrap().iter().next().unwrap();
        match k.as_str() {
            "text" => f.content.push_str(v.as_str().unwrap()),
            "reasoning" => f.reasoning.push_str(v.as_str().unwrap()),
            "tool_call_start" => {
                let i = v["index"].as_u64().unwrap() as usize;
                if f.tools.len() <= i {
                    f.tools.resize(i + 1, Default::default());
                }
                f.tools[i].0 = v["id"].as_str().unwrap().to_string();
                f.tools[i].1 = v["name"].as_str().unwrap().to_string();
            }
            "tool_call_args" => {
                let i = v["index"].as_u64().unwrap() as usize;
                f.tools[i].2.push_str(v["fragment"].as_str().unwrap());
            }
            "finish" if f.finish.is_none() => f.finish = Some(v.as_str().unwrap().to_string()),
            "usage" => f.usage = Some(v.clone()),
            "error" => f.error = Some(v["message"].as_str().unwrap().to_string()),
            _ => {}
        }
    }
    f
}

/// Feeds `bytes` in every chunking; asserts identical output; returns the fold.
fn all_chunkings(cfg: &Value, content_type: &str, bytes: &[u8]) -> Folded {
    fold_sse(&stream_driver::every_split(bytes, |chunks| {
        run(cfg, content_type, chunks)
    }))
}

fn fixture(path: &str) -> Vec<u8> {
    stream_driver::stream_fixture(path)
}

#[test]
fn cohere_and_ollama_streams_match_their_expected_events() {
    let mut ran = 0;
    for case in stream_driver::chat_stream_cases(&["cohere", "ollama"]) {
        let (dir, ct) = (&case.dir, case.content_type);
        let cfg = config(&case.provider, &case.model, case.options.clone());
        let got = all_chunkings(&cfg, ct, &case.bytes);
        let want = fold_events(&support::read_json(&dir.join("expected-events.json")));
        let name = dir.display().to_string();
        assert_eq!(got.content, want.content, "{name}: content");
        assert_eq!(got.reasoning, want.reasoning, "{name}: reasoning");
        assert_eq!(got.tools, want.tools, "{name}: tool calls");
        assert_eq!(got.error, want.error, "{name}: error");
        if want.error.is_none() {
            let finish = want.finish.clone().or(Some(
                if want.tools.is_empty() {
                    "stop"
                } else {
                    "tool_calls"
                }
                .into(),
            ));
            assert_eq!(got.finish, finish, "{name}: finish");
            if let Some(u) = &want.usage {
                assert_eq!(
                    got.usage.as_ref().unwrap()["prompt_tokens"],
                    u["prompt_tokens"],
                    "{name}: usage"
                );
                assert_eq!(
                    got.usage.as_ref().unwrap()["completion_tokens"],
                    u["completion_tokens"],
                    "{name}: usage"
                );
            }
        }
        ran += 1;
    }
    assert!(ran >= 6, "ran {ran}");
}

#[test]
fn anthropic_streams() {
    let cfg = config(
        "anthropic",
        "claude-sonnet-4-5",
        json!({"anthropic_version": "2023-06-01"}),
    );
    let text = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("anthropic/text/upstream.sse"),
    );
    assert!(!text.content.is_empty());
    assert_eq!(text.finish.as_deref(), Some("stop"));
    assert!(
        text.usage.is_some(),
        "usage from message_start/message_delta"
    );
    let tools = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("anthropic/tool-use/upstream.sse"),
    );
    assert!(!tools.tools.is_empty());
    assert_eq!(tools.finish.as_deref(), Some("tool_calls"));
    for (id, name, args) in &tools.tools {
        assert!(!id.is_empty() && !name.is_empty(), "{id} {name}");
        serde_json::from_str::<Value>(args).unwrap_or_else(|e| panic!("{name} args {args:?}: {e}"));
    }
    let err = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("anthropic/error/upstream.sse"),
    );
    assert!(err.error.is_some(), "{err:?}");
    // The 200-event perf stream: joined text as the helper's translator test found it.
    let big = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/streams/framing/anthropic_200/input.sse"),
    )
    .unwrap();
    let f = all_chunkings(&cfg, "text/event-stream", &big);
    assert_eq!(f.finish.as_deref(), Some("stop"));
    assert_eq!(f.usage.as_ref().unwrap()["completion_tokens"], 412);
}

#[test]
fn gemini_streams_sse_and_json_array() {
    let cfg = config("gemini", "gemini-2.5-flash", json!({}));
    let text = all_chunkings(&cfg, "text/event-stream", &fixture("gemini/text.sse"));
    assert!(!text.content.is_empty());
    assert_eq!(text.finish.as_deref(), Some("stop"));
    let tools = all_chunkings(&cfg, "text/event-stream", &fixture("gemini/tools.sse"));
    let names: Vec<&str> = tools.tools.iter().map(|t| t.1.as_str()).collect();
    assert!(names.contains(&"get_weather"), "{names:?}");
    assert_eq!(tools.finish.as_deref(), Some("tool_calls"));
    let array = all_chunkings(&cfg, "application/json", &fixture("gemini/array.json"));
    assert!(!array.content.is_empty());
    let err = all_chunkings(&cfg, "text/event-stream", &fixture("gemini/error.sse"));
    assert!(err.error.is_some(), "{err:?}");
}

#[test]
fn huggingface_streams() {
    let cfg = config(
        "huggingface",
        "meta-llama/Llama-3.3-70B-Instruct",
        json!({}),
    );
    let text = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("huggingface/tgi-text/upstream.sse"),
    );
    assert!(!text.content.is_empty());
    assert!(text.finish.is_some());
    let err = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("huggingface/tgi-error-string/upstream.sse"),
    );
    assert!(err.error.is_some(), "{err:?}");
}
