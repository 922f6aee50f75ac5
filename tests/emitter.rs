//! The chunk emitter: every chunk kind compared (as JSON values) with OpenAI's documented
//! shapes, written by hand from the API reference ("The chat completion chunk object",
//! "stream_options.include_usage", the streamed tool-call example, and streamed completions).

// Test and bench code: a panic is a failed check, so the workspace's no-panic lints do not apply.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use ai_proxy::api::chat::{AssistantMessage, FunctionCall, Role, ToolCall};
use ai_proxy::api::chunk::{ChatChunk, CompletionChunk, StreamErrorFrame};
use ai_proxy::api::{FinishReason, RouteType, Usage};
use ai_proxy::stream::emitter::ChunkEmitter;
use ai_proxy::stream::StreamEvent;
use serde_json::{json, Value};
use support::assert_json_eq;

const CREATED: u64 = 1_700_000_000;

fn chat(include_usage: bool) -> ChunkEmitter {
    ChunkEmitter::new(
        RouteType::Chat,
        "chatcmpl-test",
        "claude-sonnet-4-5",
        CREATED,
        include_usage,
    )
    .accumulate()
}

fn run(em: &mut ChunkEmitter, events: &[StreamEvent]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        em.emit(e, &mut out);
    }
    em.finish(&mut out);
    out
}

/// Splits SSE output into its `data:` payloads, checking the framing: every frame is
/// `data: <payload>\n\n`, `[DONE]` comes exactly once and last.
fn payloads(out: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(out).unwrap();
    assert!(
        text.ends_with("data: [DONE]\n\n"),
        "must end with [DONE]: {text}"
    );
    let frames: Vec<&str> = text.strip_suffix("\n\n").unwrap().split("\n\n").collect();
    let done = frames.iter().filter(|f| **f == "data: [DONE]").count();
    assert_eq!(done, 1, "[DONE] exactly once: {text}");
    frames
        .iter()
        .map(|f| {
            assert!(!f.contains('\n'), "one line per frame: {f}");
            f.strip_prefix("data: ").unwrap().to_string()
        })
        .collect()
}

/// The JSON chunks (everything but the final `[DONE]`).
fn chunks(out: &[u8]) -> Vec<Value> {
    let p = payloads(out);
    let (last, rest) = p.split_last().unwrap();
    assert_eq!(last, "[DONE]");
    rest.iter()
        .map(|s| serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}")))
        .collect()
}

fn chunk(delta: Value, finish: Value) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "claude-sonnet-4-5",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
    })
}

fn with_null_usage(mut v: Value) -> Value {
    v["usage"] = Value::Null;
    v
}

fn assert_chunks(out: &[u8], expected: Vec<Value>) {
    assert_json_eq(
        &Value::Array(chunks(out)),
        &Value::Array(expected),
        "chunks",
    );
}

#[test]
fn text_stream_role_once_then_finish() {
    let mut em = chat(false);
    let out = run(
        &mut em,
        &[
            StreamEvent::Text("Hello".into()),
            StreamEvent::Text(String::new()),
            StreamEvent::Text(" world".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage::new(12, 3)),
        ],
    );
    assert_chunks(
        &out,
        vec![
            chunk(
                json!({"role": "assistant", "content": "Hello"}),
                Value::Null,
            ),
            chunk(json!({"content": " world"}), Value::Null),
            chunk(json!({}), json!("stop")),
        ],
    );
    // Usage not asked for: no usage chunk, but it is remembered for analytics.
    assert_eq!(em.usage(), Some(&Usage::new(12, 3)));
    assert_eq!(em.finish_reason(), Some(FinishReason::Stop));
    assert!(em.is_closed());
}

#[test]
fn meta_sets_id_and_model_until_the_first_chunk() {
    let mut em = ChunkEmitter::new(
        RouteType::Chat,
        "chatcmpl-local",
        "m-config",
        CREATED,
        false,
    );
    let out = run(
        &mut em,
        &[
            StreamEvent::Meta {
                id: Some("msg_01abc".into()),
                model: Some("claude-sonnet-4-5-20250929".into()),
            },
            StreamEvent::Meta {
                id: None,
                model: Some(String::new()),
            },
            StreamEvent::Text("Hi".into()),
            StreamEvent::Meta {
                id: Some("too-late".into()),
                model: Some("too-late".into()),
            },
        ],
    );
    for c in chunks(&out) {
        assert_eq!(c["id"], "msg_01abc");
        assert_eq!(c["model"], "claude-sonnet-4-5-20250929");
        assert_eq!(c["created"], CREATED);
    }
    assert_eq!(em.id(), "msg_01abc");
}

#[test]
fn include_usage_null_on_every_chunk_then_usage_chunk() {
    let mut em = chat(true);
    let usage = Usage::new(25, 15).with_cached(Some(5));
    let out = run(
        &mut em,
        &[
            StreamEvent::Usage(Usage::new(25, 1)),
            StreamEvent::Text("Hi".into()),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(usage),
        ],
    );
    assert_chunks(
        &out,
        vec![
            with_null_usage(chunk(
                json!({"role": "assistant", "content": "Hi"}),
                Value::Null,
            )),
            with_null_usage(chunk(json!({}), json!("length"))),
            json!({
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": "claude-sonnet-4-5",
                "choices": [],
                "usage": {
                    "prompt_tokens": 25,
                    "completion_tokens": 15,
                    "total_tokens": 40,
                    "prompt_tokens_details": {"cached_tokens": 5}
                }
            }),
        ],
    );
}

#[test]
fn usage_chunk_falls_back_to_estimate_or_is_omitted() {
    let mut em = chat(true);
    em.set_estimated_usage(Usage::new(7, 2));
    let out = run(&mut em, &[StreamEvent::Text("ok".into())]);
    let c = chunks(&out);
    assert_json_eq(
        c.last().unwrap(),
        &json!({
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": "claude-sonnet-4-5",
            "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
        }),
        "estimated usage chunk",
    );
    // Reported usage wins over the estimate.
    let mut em = chat(true);
    em.set_estimated_usage(Usage::new(7, 2));
    let out = run(
        &mut em,
        &[
            StreamEvent::Text("ok".into()),
            StreamEvent::Usage(Usage::new(30, 4)),
        ],
    );
    assert_eq!(chunks(&out).last().unwrap()["usage"]["total_tokens"], 34);
    // Neither: no usage chunk at all.
    let mut em = chat(true);
    let out = run(&mut em, &[StreamEvent::Text("ok".into())]);
    let c = chunks(&out);
    assert_eq!(c.len(), 2);
    assert!(c
        .iter()
        .all(|c| c["choices"].as_array().unwrap().len() == 1));
}

#[test]
fn several_tool_calls() {
    let mut em = chat(false);
    let out = run(
        &mut em,
        &[
            StreamEvent::Text("Let me check.".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_abc".into(),
                name: "get_weather".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: String::new(),
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: "{\"location\":".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: " \"Paris\"}".into(),
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "call_def".into(),
                name: "get_time".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 1,
                fragment: "{\"tz\":\"CET\"}".into(),
            },
            StreamEvent::Finish(FinishReason::ToolCalls),
        ],
    );
    assert_chunks(
        &out,
        vec![
            chunk(
                json!({"role": "assistant", "content": "Let me check."}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_abc", "type": "function",
                    "function": {"name": "get_weather", "arguments": ""}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"location\":"}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": " \"Paris\"}"}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 1, "id": "call_def", "type": "function",
                    "function": {"name": "get_time", "arguments": ""}}]}),
                Value::Null,
            ),
            chunk(
                json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"tz\":\"CET\"}"}}]}),
                Value::Null,
            ),
            chunk(json!({}), json!("tool_calls")),
        ],
    );
    assert_eq!(
        em.message(),
        Some(AssistantMessage {
            role: Role::Assistant,
            content: Some("Let me check.".into()),
            reasoning_content: None,
            tool_calls: Some(vec![
                ToolCall {
                    id: "call_abc".into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "get_weather".into(),
                        arguments: "{\"location\": \"Paris\"}".into()
                    }
                },
                ToolCall {
                    id: "call_def".into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "get_time".into(),
                        arguments: "{\"tz\":\"CET\"}".into()
                    }
                }
            ]),
            refusal: None,
            reasoning_blocks: Vec::new(),
        })
    );
}

#[test]
fn first_delta_is_a_tool_call_and_finish_defaults_to_tool_calls() {
    let mut em = chat(false);
    let out = run(
        &mut em,
        &[StreamEvent::ToolCallStart {
            index: 0,
            id: "call_1".into(),
            name: "f".into(),
        }],
    );
    assert_chunks(
        &out,
        vec![
            chunk(
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1",
                    "type": "function", "function": {"name": "f", "arguments": ""}}]}),
                Value::Null,
            ),
            chunk(json!({}), json!("tool_calls")),
        ],
    );
    // Folded: no text, so `content` is null as in a non-streamed tool-call answer.
    assert_eq!(em.message().unwrap().content, None);
}

#[test]
fn finish_only_once() {
    let mut em = chat(false);
    let out = run(
        &mut em,
        &[
            StreamEvent::Text("a".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Finish(FinishReason::Stop),
        ],
    );
    let c = chunks(&out);
    let finishes: Vec<&Value> = c
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finishes, vec![&json!("stop")]);
}

#[test]
fn stream_without_finish_gets_stop() {
    let mut em = chat(false);
    let out = run(&mut em, &[StreamEvent::Text("a".into())]);
    assert_eq!(
        chunks(&out).last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[test]
fn empty_stream_still_has_role_finish_and_done() {
    let mut em = chat(false);
    let out = run(&mut em, &[]);
    assert_chunks(
        &out,
        vec![
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({}), json!("stop")),
        ],
    );
    // The same when only the finish reason arrives.
    let mut em = chat(false);
    let out = run(&mut em, &[StreamEvent::Finish(FinishReason::ContentFilter)]);
    assert_chunks(
        &out,
        vec![
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({}), json!("content_filter")),
        ],
    );
}

#[test]
fn reasoning_goes_to_reasoning_content() {
    let mut em = chat(false);
    let out = run(
        &mut em,
        &[
            StreamEvent::Reasoning("Thinking about it.".into()),
            StreamEvent::Text("42".into()),
        ],
    );
    assert_chunks(
        &out,
        vec![
            chunk(
                json!({"role": "assistant", "reasoning_content": "Thinking about it."}),
                Value::Null,
            ),
            chunk(json!({"content": "42"}), Value::Null),
            chunk(json!({}), json!("stop")),
        ],
    );
    let m = em.message().unwrap();
    assert_eq!(m.reasoning_content.as_deref(), Some("Thinking about it."));
    assert_eq!(m.content.as_deref(), Some("42"));
}

#[test]
fn error_frame_then_done_and_closed() {
    let mut em = chat(true);
    em.set_estimated_usage(Usage::new(1, 1));
    let mut out = Vec::new();
    em.emit(&StreamEvent::Text("partial".into()), &mut out);
    em.emit(
        &StreamEvent::Error {
            message: "Overloaded".into(),
            kind: Some("overloaded_error".into()),
        },
        &mut out,
    );
    em.emit(&StreamEvent::Text("ignored".into()), &mut out);
    em.emit(
        &StreamEvent::Error {
            message: "second".into(),
            kind: None,
        },
        &mut out,
    );
    em.finish(&mut out);
    em.finish(&mut out);
    let p = payloads(&out);
    assert_eq!(p.len(), 3);
    let err: Value = serde_json::from_str(&p[1]).unwrap();
    assert_json_eq(
        &err,
        &json!({"error": {"message": "Overloaded", "type": "overloaded_error"}}),
        "error frame",
    );
    let typed: StreamErrorFrame = serde_json::from_str(&p[1]).unwrap();
    assert_eq!(typed.error.message, "Overloaded");
    assert_eq!(p[2], "[DONE]");
    assert!(em.is_closed());
}

#[test]
fn error_without_type_is_null() {
    let mut em = chat(false);
    let mut out = Vec::new();
    em.emit(
        &StreamEvent::Error {
            message: "stream event larger than 10 bytes".into(),
            kind: None,
        },
        &mut out,
    );
    let p = payloads(&out);
    let err: Value = serde_json::from_str(&p[0]).unwrap();
    assert_json_eq(
        &err,
        &json!({"error": {"message": "stream event larger than 10 bytes", "type": null}}),
        "error frame",
    );
}

#[test]
fn completions_route_text_completion_chunks() {
    let mut em = ChunkEmitter::new(
        RouteType::Completions,
        "cmpl-test",
        "gpt-3.5-turbo-instruct",
        CREATED,
        true,
    );
    let out = run(
        &mut em,
        &[
            StreamEvent::Text("This is".into()),
            StreamEvent::Reasoning("dropped: completions have no reasoning".into()),
            StreamEvent::Text(" a test.".into()),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(Usage::new(5, 7)),
        ],
    );
    let c = |text: &str, finish: Value| {
        json!({
            "id": "cmpl-test",
            "object": "text_completion",
            "created": CREATED,
            "model": "gpt-3.5-turbo-instruct",
            "choices": [{"index": 0, "text": text, "logprobs": null, "finish_reason": finish}],
            "usage": null
        })
    };
    assert_chunks(
        &out,
        vec![
            c("This is", Value::Null),
            c(" a test.", Value::Null),
            c("", json!("length")),
            json!({
                "id": "cmpl-test",
                "object": "text_completion",
                "created": CREATED,
                "model": "gpt-3.5-turbo-instruct",
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
            }),
        ],
    );
    for p in payloads(&out).iter().filter(|p| *p != "[DONE]") {
        let _: CompletionChunk = serde_json::from_str(p).unwrap();
    }
}

#[test]
fn strings_are_escaped() {
    let nasty = "quote \" backslash \\ slash / newline \n cr \r tab \t nul \u{0} bell \u{7} \
                 esc \u{1b} unit-sep \u{1f} del \u{7f} é 漢字 🙂 \u{2028}";
    let mut em = ChunkEmitter::new(RouteType::Chat, "id\"1", "model\\x", CREATED, false);
    let out = run(
        &mut em,
        &[
            StreamEvent::Text(nasty.into()),
            StreamEvent::ToolCallStart {
                index: 3,
                id: "c\n1".into(),
                name: "n\"m".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 3,
                fragment: "{\"a\":\"\\u0041\"}".into(),
            },
        ],
    );
    let c = chunks(&out);
    assert_eq!(c[0]["id"], "id\"1");
    assert_eq!(c[0]["model"], "model\\x");
    assert_eq!(c[0]["choices"][0]["delta"]["content"], nasty);
    assert_eq!(c[1]["choices"][0]["delta"]["tool_calls"][0]["id"], "c\n1");
    assert_eq!(c[1]["choices"][0]["delta"]["tool_calls"][0]["index"], 3);
    assert_eq!(
        c[2]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"],
        "{\"a\":\"\\u0041\"}"
    );
    // Every control character round-trips.
    let all: String = (0u8..0x20).map(char::from).collect();
    let mut em = chat(false);
    let out = run(&mut em, &[StreamEvent::Text(all.clone())]);
    assert_eq!(
        chunks(&out)[0]["choices"][0]["delta"]["content"],
        all.as_str()
    );
}

#[test]
fn large_created_and_index_numbers() {
    let mut em = ChunkEmitter::new(RouteType::Chat, "x", "m", u64::MAX, false);
    let out = run(
        &mut em,
        &[StreamEvent::ToolCallStart {
            index: u32::MAX,
            id: "c".into(),
            name: "f".into(),
        }],
    );
    let c = chunks(&out);
    assert_eq!(c[0]["created"], u64::MAX);
    assert_eq!(
        c[0]["choices"][0]["delta"]["tool_calls"][0]["index"],
        u32::MAX
    );
    let mut em = ChunkEmitter::new(RouteType::Chat, "x", "m", 0, false);
    let out = run(&mut em, &[]);
    assert_eq!(chunks(&out)[0]["created"], 0);
}

/// Folds chunks the way OpenAI's SDKs do (content concatenated, tool calls merged by index)
/// using the typed chunk model, and checks it against the emitter's own fold.
#[test]
fn chunks_parse_as_typed_chunks_and_fold_into_the_message() {
    let mut em = chat(true);
    let events = [
        StreamEvent::Meta {
            id: Some("msg_1".into()),
            model: None,
        },
        StreamEvent::Reasoning("hmm".into()),
        StreamEvent::Text("Sure: ".into()),
        StreamEvent::ToolCallStart {
            index: 0,
            id: "call_1".into(),
            name: "lookup".into(),
        },
        StreamEvent::ToolCallArgs {
            index: 0,
            fragment: "{\"q\":".into(),
        },
        StreamEvent::ToolCallArgs {
            index: 0,
            fragment: "\"x\"}".into(),
        },
        StreamEvent::Usage(Usage::new(3, 4)),
        StreamEvent::Finish(FinishReason::ToolCalls),
    ];
    let out = run(&mut em, &events);
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut role = None;
    let mut finish = None;
    let mut usage = None;
    for p in payloads(&out).iter().filter(|p| *p != "[DONE]") {
        let c: ChatChunk = serde_json::from_str(p).unwrap();
        assert_eq!(c.id, "msg_1");
        assert_eq!(c.object, "chat.completion.chunk");
        if c.usage.is_some() {
            usage = c.usage;
        }
        for choice in c.choices {
            if let Some(r) = choice.delta.role {
                assert!(role.is_none(), "role twice");
                role = Some(r);
            }
            content.push_str(choice.delta.content.as_deref().unwrap_or(""));
            reasoning.push_str(choice.delta.reasoning_content.as_deref().unwrap_or(""));
            for tc in choice.delta.tool_calls.unwrap_or_default() {
                let i = tc.index as usize;
                if calls.len() <= i {
                    calls.resize(i + 1, Default::default());
                }
                let f = tc.function.unwrap_or_default();
                if let Some(id) = tc.id {
                    calls[i].0 = id;
                }
                if let Some(n) = f.name {
                    calls[i].1 = n;
                }
                calls[i].2.push_str(f.arguments.as_deref().unwrap_or(""));
            }
            if choice.finish_reason.is_some() {
                assert!(finish.is_none(), "finish twice");
                finish = choice.finish_reason;
            }
        }
    }
    assert_eq!(role, Some(Role::Assistant));
    assert_eq!(finish, Some(FinishReason::ToolCalls));
    assert_eq!(usage, Some(Usage::new(3, 4)));
    let m = em.message().unwrap();
    assert_eq!(m.content.as_deref(), Some(content.as_str()));
    assert_eq!(m.reasoning_content.as_deref(), Some(reasoning.as_str()));
    let folded: Vec<(String, String, String)> = m
        .tool_calls
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.function.name, t.function.arguments))
        .collect();
    assert_eq!(folded, calls);
    assert_eq!(em.output_bytes(), (3 + 6 + 5 + 4) as u64);
}

#[test]
fn accumulation_is_off_by_default() {
    let mut em = ChunkEmitter::new(RouteType::Chat, "x", "m", CREATED, false);
    let _ = run(&mut em, &[StreamEvent::Text("abc".into())]);
    assert!(em.fold().is_none());
    assert!(em.message().is_none());
    assert_eq!(em.output_bytes(), 3);
}
