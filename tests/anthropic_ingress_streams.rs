//! Every provider's stream through `llm_format: anthropic`: the upstream fixture fed whole, at
//! every split (every 7th offset for large files) and one byte at a time must give the same
//! client bytes, and those bytes must be the event sequence Anthropic's "Streaming Messages"
//! page describes: `message_start`, then per block `content_block_start` → deltas of the
//! block's kind → `content_block_stop` (indices from 0, one block open at a time), then
//! `message_delta` with `stop_reason` and usage and `message_stop` last — or an `error` event
//! last. The folded answer is compared with what the fixture says.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{json, Value};
use support::stream_driver;

fn config(provider: &str, model: &str, options: Value) -> Value {
    json!({"route_type": "llm/v1/chat", "llm_format": "anthropic",
           "model": {"provider": provider, "name": model, "options": options}})
}

fn run(cfg: &Value, content_type: &str, chunks: &[&[u8]]) -> Vec<u8> {
    let body = json!({"max_tokens": 256, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let out = stream_driver::drive(cfg, "/v1/messages", &body, content_type, chunks);
    assert!(out
        .set_headers
        .contains(&("content-type".into(), "text/event-stream".into())));
    out.body
}

/// What the `anthropic` SDK assembles from the events.
#[derive(Debug, Default, PartialEq)]
pub struct Folded {
    text: String,
    thinking: String,
    /// The `signature_delta` of each signed thinking block, in order.
    signatures: Vec<String>,
    /// The `data` of each `redacted_thinking` block, in order.
    redacted: Vec<String>,
    /// `(id, name, input JSON)`.
    tools: Vec<(String, String, Value)>,
    stop_reason: Option<String>,
    usage: Option<Value>,
    error: Option<String>,
}

/// Checks the event grammar and folds the answer.
fn fold(bytes: &[u8]) -> Folded {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut f = Folded::default();
    let mut events: Vec<(String, Value)> = Vec::new();
    for frame in text.split("\n\n").filter(|s| !s.is_empty()) {
        let (ev, data) = frame
            .strip_prefix("event: ")
            .and_then(|r| r.split_once("\ndata: "))
            .unwrap_or_else(|| panic!("frame {frame:?}"));
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], ev, "data.type names the event");
        events.push((ev.to_string(), v));
    }
    let (first, _) = events.first().expect("events");
    if first == "error" {
        f.error = Some(events[0].1["error"]["message"].as_str().unwrap().into());
        return f;
    }
    assert_eq!(first, "message_start");
    let start = &events[0].1["message"];
    assert_eq!(start["role"], "assistant");
    assert!(start["id"].as_str().unwrap().starts_with("msg_"));
    assert!(start["content"].as_array().unwrap().is_empty());
    let mut open: Option<(u64, String)> = None;
    let mut next = 0u64;
    let mut partial = String::new();
    let mut ended = false;
    let mut signed = false;
    for (ev, v) in &events[1..] {
        assert!(!ended, "nothing after message_stop");
        match ev.as_str() {
            "ping" => {}
            "content_block_start" => {
                assert!(open.is_none(), "one block open at a time");
                assert_eq!(v["index"], next, "indices from 0, in order");
                let b = &v["content_block"];
                let kind = b["type"].as_str().unwrap().to_string();
                if kind == "redacted_thinking" {
                    f.redacted.push(b["data"].as_str().unwrap().into());
                }
                if kind == "tool_use" {
                    f.tools.push((
                        b["id"].as_str().unwrap().into(),
                        b["name"].as_str().unwrap().into(),
                        Value::Null,
                    ));
                    partial.clear();
                }
                open = Some((next, kind));
            }
            "content_block_delta" => {
                let (i, kind) = open.as_ref().expect("delta inside a block");
                assert_eq!(&v["index"], i);
                let d = &v["delta"];
                assert!(!signed, "signature_delta is the block's last delta");
                match (kind.as_str(), d["type"].as_str().unwrap()) {
                    ("text", "text_delta") => f.text.push_str(d["text"].as_str().unwrap()),
                    ("thinking", "thinking_delta") => {
                        f.thinking.push_str(d["thinking"].as_str().unwrap())
                    }
                    ("thinking", "signature_delta") => {
                        let sig = d["signature"].as_str().unwrap();
                        assert!(!sig.is_empty(), "a signature_delta carries a signature");
                        f.signatures.push(sig.into());
                        signed = true;
                    }
                    ("tool_use", "input_json_delta") => {
                        partial.push_str(d["partial_json"].as_str().unwrap())
                    }
                    other => panic!("delta {other:?}"),
                }
            }
            "content_block_stop" => {
                let (i, kind) = open.take().expect("stop of an open block");
                signed = false;
                assert_eq!(v["index"], i);
                if kind == "tool_use" {
                    let input = if partial.is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&partial).unwrap()
                    };
                    f.tools.last_mut().unwrap().2 = input;
                }
                next += 1;
            }
            "message_delta" => {
                assert!(open.is_none(), "blocks closed before message_delta");
                f.stop_reason = v["delta"]["stop_reason"].as_str().map(str::to_string);
                f.usage = Some(v["usage"].clone());
            }
            "message_stop" => {
                assert!(f.stop_reason.is_some(), "message_delta before message_stop");
                ended = true;
            }
            "error" => {
                f.error = Some(v["error"]["message"].as_str().unwrap().into());
                ended = true;
            }
            other => panic!("unknown event {other}"),
        }
    }
    assert!(ended, "the stream ends with message_stop or error");
    f
}

fn all_chunkings(cfg: &Value, content_type: &str, bytes: &[u8]) -> Folded {
    fold(&stream_driver::every_split(bytes, |chunks| {
        run(cfg, content_type, chunks)
    }))
}

fn fixture(path: &str) -> Vec<u8> {
    stream_driver::stream_fixture(path)
}

#[test]
fn openai_family_streams() {
    for (provider, model) in [
        ("openai", "gpt-4.1"),
        ("azure", "gpt-4.1"),
        ("deepseek", "deepseek-chat"),
        ("mistral", "mistral-large"),
    ] {
        let mut options = json!({});
        if provider == "azure" {
            options = json!({"azure_instance": "i", "azure_deployment_id": "d"});
        }
        if provider == "mistral" {
            options = json!({"mistral_format": "openai"});
        }
        let cfg = config(provider, model, options);
        let f = all_chunkings(
            &cfg,
            "text/event-stream",
            &fixture("framing/openai_chat/input.sse"),
        );
        assert!(!f.text.is_empty(), "{provider}: {f:?}");
        assert_eq!(f.stop_reason.as_deref(), Some("end_turn"), "{provider}");
        assert!(f.usage.is_some());
    }
}

#[test]
fn gemini_streams() {
    let cfg = config("gemini", "gemini-2.5-flash", json!({}));
    let text = all_chunkings(&cfg, "text/event-stream", &fixture("gemini/text.sse"));
    assert!(!text.text.is_empty());
    assert_eq!(text.stop_reason.as_deref(), Some("end_turn"));
    let tools = all_chunkings(&cfg, "text/event-stream", &fixture("gemini/tools.sse"));
    assert!(
        tools.tools.iter().any(|t| t.1 == "get_weather"),
        "{tools:?}"
    );
    assert!(tools.tools.iter().all(|t| t.2.is_object()));
    assert_eq!(tools.stop_reason.as_deref(), Some("tool_use"));
    let array = all_chunkings(&cfg, "application/json", &fixture("gemini/array.json"));
    assert!(!array.text.is_empty());
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
    assert!(!text.text.is_empty());
    let err = all_chunkings(
        &cfg,
        "text/event-stream",
        &fixture("huggingface/tgi-error-string/upstream.sse"),
    );
    assert!(err.error.is_some(), "{err:?}");
}

/// Cohere and Ollama fixtures carry hand-written expected events: the Anthropic fold must
/// hold the same text, reasoning, tool calls, error and usage.
#[test]
fn cohere_and_ollama_streams_match_their_expected_events() {
    let mut ran = 0;
    for case in stream_driver::chat_stream_cases(&["cohere", "ollama"]) {
        let (dir, ct) = (&case.dir, case.content_type);
        let cfg = config(&case.provider, &case.model, case.options.clone());
        let got = all_chunkings(&cfg, ct, &case.bytes);
        let name = dir.display().to_string();
        let events = support::read_json(&dir.join("expected-events.json"));
        let (mut text, mut reasoning, mut tools, mut error, mut usage) =
            (String::new(), String::new(), Vec::new(), None, None);
        for e in events.as_array().unwrap() {
            let (k, v) = e.as_object().unwrap().iter().next().unwrap();
            match k.as_str() {
                "text" => text.push_str(v.as_str().unwrap()),
                "reasoning" => reasoning.push_str(v.as_str().unwrap()),
                "tool_call_start" => tools.push((
                    v["id"].as_str().unwrap().to_string(),
                    v["name"].as_str().unwrap().to_string(),
                    String::new(),
                )),
                "tool_call_args" => tools
                    .last_mut()
                    .unwrap()
                    .2
                    .push_str(v["fragment"].as_str().unwrap()),
                "error" => error = Some(v["message"].as_str().unwrap().to_string()),
                "usage" => usage = Some(v.clone()),
                _ => {}
            }
        }
        assert_eq!(got.error, error, "{name}: error");
        if error.is_some() {
            ran += 1;
            continue;
        }
        assert_eq!(got.text, text, "{name}: text");
        assert_eq!(got.thinking, reasoning, "{name}: thinking");
        let want_tools: Vec<(String, String, Value)> = tools
            .into_iter()
            .map(|(i, n, a)| (i, n, serde_json::from_str(&a).unwrap_or(json!({}))))
            .collect();
        assert_eq!(got.tools, want_tools, "{name}: tools");
        let want_stop = if want_tools.is_empty() {
            "end_turn"
        } else {
            "tool_use"
        };
        if !matches!(got.stop_reason.as_deref(), Some("max_tokens")) {
            assert_eq!(got.stop_reason.as_deref(), Some(want_stop), "{name}: stop");
        }
        if let Some(u) = usage {
            let got_u = got.usage.as_ref().unwrap();
            assert_eq!(
                got_u["output_tokens"], u["completion_tokens"],
                "{name}: usage"
            );
        }
        ran += 1;
    }
    assert!(ran >= 5, "ran {ran}");
}

fn bedrock_event(event: &str, payload: Value) -> Vec<u8> {
    let headers = [
        (":event-type", event),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ];
    let payload = payload.to_string();
    let mut h = Vec::new();
    for (k, v) in headers {
        h.push(k.len() as u8);
        h.extend_from_slice(k.as_bytes());
        h.push(7);
        h.extend_from_slice(&(v.len() as u16).to_be_bytes());
        h.extend_from_slice(v.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::new();
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload.as_bytes());
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

/// `events` framed as a ConverseStream answer of `model` (us-east-1), fed at every split.
fn bedrock_fold(model: &str, events: &[(&str, Value)]) -> Folded {
    let mut bytes = Vec::new();
    for (ev, p) in events {
        bytes.extend(bedrock_event(ev, p.clone()));
    }
    let mut cfg = config(
        "bedrock",
        model,
        json!({"bedrock": {"aws_region": "us-east-1"}}),
    );
    cfg["auth"] = json!({"aws_access_key_id": "AKID", "aws_secret_access_key": "secret"});
    all_chunkings(&cfg, "application/vnd.amazon.eventstream", &bytes)
}

/// A ConverseStream answer as the Bedrock API reference describes its events (messageStart,
/// contentBlockDelta with reasoningContent/text/toolUse, contentBlockStart for a tool,
/// contentBlockStop, messageStop, metadata with usage), AWS eventstream framed.
#[test]
fn bedrock_converse_stream() {
    let f = bedrock_fold(
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        &[
            ("messageStart", json!({"role": "assistant"})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Need the weather."}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 0})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"text": "Checking."}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 1})),
            (
                "contentBlockStart",
                json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": "{\"city\":"}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 2})),
            ("messageStop", json!({"stopReason": "tool_use"})),
            (
                "metadata",
                json!({"usage": {"inputTokens": 40, "outputTokens": 20, "totalTokens": 560, "cacheReadInputTokens": 500}, "metrics": {"latencyMs": 800}}),
            ),
        ],
    );
    assert_eq!(f.thinking, "Need the weather.");
    assert_eq!(f.signatures, ["sig"]);
    assert_eq!(f.text, "Checking.");
    assert_eq!(
        f.tools,
        vec![(
            "tooluse_1".into(),
            "get_weather".into(),
            json!({"city": "Paris"})
        )]
    );
    assert_eq!(f.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(
        f.usage.unwrap(),
        json!({"input_tokens": 40, "cache_creation_input_tokens": 0,
               "cache_read_input_tokens": 500, "output_tokens": 20})
    );
}

/// Reasoning with signatures and redacted reasoning in a ConverseStream answer (Bedrock API
/// reference `ReasoningContentBlockDelta`: `text`, `signature`, `redactedContent`; `TokenUsage`
/// with `cacheWriteInputTokens`): each signed block ends with its `signature_delta`, redacted
/// reasoning is a `redacted_thinking` block, the cache write is `cache_creation_input_tokens`.
#[test]
fn bedrock_stream_signatures_and_redacted_reasoning() {
    let f = bedrock_fold(
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        &[
            ("messageStart", json!({"role": "assistant"})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "First, list files."}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "EqQBCkYIBhgCIkA0"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 0})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": "RW5jcnlwdGVk"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 1})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"reasoningContent": {"text": "Then read one."}}}),
            ),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 2, "delta": {"reasoningContent": {"signature": "EqQBCkYIBhgCIkA1"}}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 2})),
            (
                "contentBlockDelta",
                json!({"contentBlockIndex": 3, "delta": {"text": "Done."}}),
            ),
            ("contentBlockStop", json!({"contentBlockIndex": 3})),
            ("messageStop", json!({"stopReason": "end_turn"})),
            (
                "metadata",
                json!({"usage": {"inputTokens": 12, "outputTokens": 30, "totalTokens": 2090, "cacheReadInputTokens": 0, "cacheWriteInputTokens": 2048}, "metrics": {"latencyMs": 700}}),
            ),
        ],
    );
    assert_eq!(f.thinking, "First, list files.Then read one.");
    assert_eq!(f.signatures, ["EqQBCkYIBhgCIkA0", "EqQBCkYIBhgCIkA1"]);
    assert_eq!(f.redacted, ["RW5jcnlwdGVk"]);
    assert_eq!(f.text, "Done.");
    assert_eq!(f.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        f.usage.unwrap(),
        json!({"input_tokens": 12, "cache_creation_input_tokens": 2048,
               "cache_read_input_tokens": 0, "output_tokens": 30})
    );
}

/// A Gemini stream whose thought is signed (Gemini API "Thought signatures": the signature
/// comes on a part; `usageMetadata.cachedContentTokenCount` counts cached input): the thinking
/// block ends with the signature, the cached count is `cache_read_input_tokens`.
#[test]
fn gemini_stream_thought_signature_and_cached_tokens() {
    let chunks = [
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Look at the imports.", "thought": true}]}, "index": 0}],
               "modelVersion": "gemini-2.5-pro", "responseId": "r1"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "It uses serde.", "thoughtSignature": "Q2lRQjRu"}]}, "index": 0}],
               "modelVersion": "gemini-2.5-pro", "responseId": "r1"}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": 1500, "candidatesTokenCount": 5, "totalTokenCount": 1540, "cachedContentTokenCount": 1024, "thoughtsTokenCount": 35},
               "modelVersion": "gemini-2.5-pro", "responseId": "r1"}),
    ];
    let mut bytes = Vec::new();
    for c in chunks {
        bytes.extend(format!("data: {c}\r\n\r\n").into_bytes());
    }
    let cfg = config("gemini", "gemini-2.5-pro", json!({}));
    let f = all_chunkings(&cfg, "text/event-stream", &bytes);
    assert_eq!(f.thinking, "Look at the imports.");
    assert_eq!(f.signatures, ["Q2lRQjRu"]);
    assert_eq!(f.text, "It uses serde.");
    assert_eq!(
        f.usage.unwrap(),
        json!({"input_tokens": 476, "cache_creation_input_tokens": 0,
               "cache_read_input_tokens": 1024, "output_tokens": 40})
    );
}
