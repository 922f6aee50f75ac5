//! Hugging Face: golden fixtures (`tests/fixtures/providers/huggingface/`), the stream
//! translator on hand-written captures (`tests/fixtures/streams/huggingface/`), and focused
//! checks of routing, capabilities and refusals.

// Helpers outside `#[test]` functions are test code too (clippy.toml's in-tests allowances
// only cover `#[test]` bodies).
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use ai_proxy::api::{FinishReason, LlmRequest, RouteType, Usage};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::huggingface::stream::HfStream;
use ai_proxy::providers::{self, RequestCtx, ResponseCtx, StreamPlan};
use ai_proxy::stream::{Frame, Framing, ProviderStream, StreamEvent};
use serde_json::json;

#[test]
fn golden() {
    assert!(support::golden::run_provider("huggingface", ProviderName::Huggingface) >= 33);
}

// ---------------------------------------------------------------- streams

/// Splits an SSE capture into frames (test helper: the real decoder lives in `stream::sse`).
fn sse_frames(text: &str) -> Vec<Frame> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim().to_string());
                }
            }
            (!data.is_empty()).then(|| Frame::Sse {
                event,
                data: data.join("\n"),
            })
        })
        .collect()
}

fn run_frames(frames: Vec<Frame>) -> Vec<StreamEvent> {
    let mut t = HfStream::new("call_s".into());
    let mut out = Vec::new();
    for f in frames {
        t.on_frame(f, &mut out).unwrap();
    }
    t.on_end(&mut out);
    out
}

fn run_capture(case: &str) -> Vec<StreamEvent> {
    let path = support::fixtures()
        .join("streams/huggingface")
        .join(case)
        .join("upstream.sse");
    let text = std::fs::read_to_string(&path).unwrap();
    run_frames(sse_frames(&text))
}

fn meta(id: Option<&str>, model: &str) -> StreamEvent {
    StreamEvent::Meta {
        id: id.map(str::to_string),
        model: Some(model.to_string()),
    }
}

fn text(s: &str) -> StreamEvent {
    StreamEvent::Text(s.to_string())
}

fn start(index: u32, id: &str, name: &str) -> StreamEvent {
    StreamEvent::ToolCallStart {
        index,
        id: id.into(),
        name: name.into(),
    }
}

fn args(index: u32, fragment: &str) -> StreamEvent {
    StreamEvent::ToolCallArgs {
        index,
        fragment: fragment.into(),
    }
}

const LLAMA: &str = "meta-llama/Llama-3.3-70B-Instruct";

#[test]
fn stream_tgi_text() {
    assert_eq!(
        run_capture("tgi-text"),
        vec![
            meta(None, LLAMA),
            text("Hello"),
            text("!"),
            text(" How can I help?"),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage::new(11, 8)),
        ]
    );
}

#[test]
fn stream_two_tool_calls() {
    assert_eq!(
        run_capture("two-tool-calls"),
        vec![
            meta(Some("chatcmpl-7f3a"), "Qwen/Qwen2.5-72B-Instruct"),
            start(0, "call_a", "get_current_weather"),
            args(0, "{\"location\": "),
            args(0, "\"Paris, France\"}"),
            start(1, "call_b", "get_n_day_weather_forecast"),
            args(1, "{\"location\": \"Paris, France\", \"num_days\": 3}"),
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage::new(230, 61)),
        ]
    );
}

#[test]
fn stream_tgi_tool_call_finish_is_tool_calls() {
    assert_eq!(
        run_capture("tgi-tool-call"),
        vec![
            meta(None, LLAMA),
            start(0, "0", "get_current_weather"),
            args(0, "{"),
            args(0, " \"location\": \"Paris, France\","),
            args(0, " \"format\": \"celsius\""),
            args(0, "}"),
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage::new(120, 25)),
        ]
    );
}

#[test]
fn stream_tgi_error_object_ends_translation() {
    assert_eq!(
        run_capture("tgi-error-object"),
        vec![
            meta(None, LLAMA),
            text("Once"),
            text(" upon"),
            StreamEvent::Error {
                message: "Request failed during generation: Server error: CUDA out of memory"
                    .into(),
                kind: None,
            },
        ]
    );
}

#[test]
fn stream_tgi_error_string_keeps_error_type() {
    assert_eq!(
        run_capture("tgi-error-string"),
        vec![
            meta(None, LLAMA),
            text("Once"),
            StreamEvent::Error {
                message: "Request failed during generation".into(),
                kind: Some("generation".into()),
            },
        ]
    );
}

#[test]
fn stream_reasoning_and_frames_after_done() {
    assert_eq!(
        run_capture("reasoning"),
        vec![
            meta(Some("0217438-r1s"), "deepseek-ai/DeepSeek-R1-0528"),
            StreamEvent::Reasoning("221 = 13 x 17".into()),
            StreamEvent::Reasoning(", so not prime.".into()),
            text("No."),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(Usage::new(12, 40).with_reasoning(Some(30))),
        ]
    );
}

fn sse(data: &str) -> Frame {
    Frame::Sse {
        event: None,
        data: data.into(),
    }
}

#[test]
fn stream_malformed_chunk_is_an_error_not_a_panic() {
    let mut t = HfStream::new("call_s".into());
    let mut out = Vec::new();
    assert!(t.on_frame(sse("{\"choices\": [}"), &mut out).is_err());
    assert!(t.on_frame(sse("[1,2]"), &mut out).is_err());
    assert!(t
        .on_frame(
            Frame::Event(ai_proxy::stream::AwsEvent {
                event_type: None,
                message_type: None,
                content_type: None,
                payload: Vec::new(),
            }),
            &mut out
        )
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn stream_tool_piece_without_index_or_name() {
    // No index, no id: continues the latest call; before any call it is an error.
    let mut t = HfStream::new("call_s".into());
    let mut out = Vec::new();
    let orphan = r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]}"#;
    assert!(t.on_frame(sse(orphan), &mut out).is_err());

    let events = run_frames(vec![
        sse(
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{\"a\""}}]}}]}"#,
        ),
        sse(r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]}"#),
        sse(
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"x2","function":{"name":"g","arguments":""}}]}}]}"#,
        ),
        sse(
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"x2","function":{"arguments":"{}"}}]}}]}"#,
        ),
        sse(r#"{"choices":[{"delta":{},"finish_reason":"eos_token"}]}"#),
    ]);
    assert_eq!(
        events,
        vec![
            start(0, "call_s_0", "f"),
            args(0, "{\"a\""),
            args(0, ":1}"),
            start(1, "x2", "g"),
            args(1, "{}"),
            StreamEvent::Finish(FinishReason::ToolCalls),
        ]
    );
}

#[test]
fn stream_only_first_choice_and_one_finish() {
    let events = run_frames(vec![
        sse(
            r#"{"id":"a","model":"m","choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}"#,
        ),
        sse(
            r#"{"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop_sequence"}]}"#,
        ),
        sse(
            r#"{"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        ),
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::Meta {
                id: Some("a".into()),
                model: Some("m".into())
            },
            text("mine"),
            StreamEvent::Finish(FinishReason::Stop),
        ]
    );
}

#[test]
fn stream_named_error_events() {
    let named = |data: &str| Frame::Sse {
        event: Some("error".into()),
        data: data.into(),
    };
    assert_eq!(
        run_frames(vec![named("upstream went away"), sse(r#"{"choices":[]}"#)]),
        vec![StreamEvent::Error {
            message: "upstream went away".into(),
            kind: None
        }]
    );
    assert_eq!(
        run_frames(vec![named(
            r#"{"error":{"message":"rate limited","type":"rate_limit_error"}}"#
        )]),
        vec![StreamEvent::Error {
            message: "rate limited".into(),
            kind: Some("rate_limit_error".into())
        }]
    );
    // JSON without an `error` key: the raw payload is the message.
    assert_eq!(
        run_frames(vec![named(r#"{"detail":"boom"}"#)]),
        vec![StreamEvent::Error {
            message: r#"{"detail":"boom"}"#.into(),
            kind: None
        }]
    );
}

#[test]
fn stream_null_choices_and_usage_chunk() {
    assert_eq!(
        run_frames(vec![sse(
            r#"{"id":"","model":"m","choices":null,"usage":{"prompt_tokens":3,"completion_tokens":2}}"#
        )]),
        vec![
            StreamEvent::Meta {
                id: None,
                model: Some("m".into())
            },
            StreamEvent::Usage(Usage::new(3, 2)),
        ]
    );
}

// ---------------------------------------------------------------- provider surface

fn provider() -> &'static dyn providers::Provider {
    providers::for_name(ProviderName::Huggingface, &ModelOptions::default())
}

#[test]
fn capabilities_follow_kong_matrix() {
    let p = provider();
    assert!(p.supports(RouteType::Chat));
    assert!(p.supports(RouteType::Embeddings));
    assert!(p.supports(RouteType::Preserve));
    assert!(!p.supports(RouteType::Completions));
    assert!(p.supports_stream(RouteType::Chat));
    assert!(!p.supports_stream(RouteType::Embeddings));
}

fn req_ctx<'a>(
    route: RouteType,
    model: &'a str,
    options: &'a ModelOptions,
    env: &'a FixedEnv,
    client_path: &'a str,
) -> RequestCtx<'a> {
    RequestCtx {
        route,
        model,
        options,
        stream: false,
        client_path,
        env,
        body_len: 0,
    }
}

#[test]
fn upstream_paths() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    let p = provider();
    let chat = p
        .upstream(&req_ctx(
            RouteType::Chat,
            "org/m:fireworks-ai",
            &o,
            &env,
            "/x",
        ))
        .unwrap();
    assert_eq!(
        (chat.host.as_str(), chat.port, chat.path.as_str()),
        ("router.huggingface.co", 443, "/v1/chat/completions")
    );
    let emb = p
        .upstream(&req_ctx(
            RouteType::Embeddings,
            "org/my model",
            &o,
            &env,
            "/x",
        ))
        .unwrap();
    assert_eq!(
        emb.path,
        "/hf-inference/models/org/my%20model/pipeline/feature-extraction"
    );
    let pre = p
        .upstream(&req_ctx(
            RouteType::Preserve,
            "m",
            &o,
            &env,
            "/hf-inference/models/m/pipeline/sentence-similarity",
        ))
        .unwrap();
    assert_eq!(
        pre.path,
        "/hf-inference/models/m/pipeline/sentence-similarity"
    );
    let err = p
        .upstream(&req_ctx(RouteType::Completions, "m", &o, &env, "/x"))
        .unwrap_err();
    assert_eq!(err.status(), 400);
}

#[test]
fn completions_request_is_refused() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    let raw = json!({"prompt": "hi"});
    let req = LlmRequest::Completions(serde_json::from_value(raw.clone()).unwrap());
    let err = provider()
        .encode(
            &req,
            raw.clone(),
            &req_ctx(RouteType::Completions, "m", &o, &env, "/"),
        )
        .unwrap_err();
    assert_eq!(err.status(), 400);
}

#[test]
fn embeddings_without_input_is_refused() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    let raw = json!({"model": "m"});
    let req = LlmRequest::Embeddings(serde_json::from_value(raw.clone()).unwrap());
    let err = provider()
        .encode(
            &req,
            raw.clone(),
            &req_ctx(RouteType::Embeddings, "m", &o, &env, "/"),
        )
        .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (400, "embeddings request has no input".to_string())
    );
}

#[test]
fn chat_body_must_be_an_object() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    let req = LlmRequest::Chat(Default::default());
    let err = provider()
        .encode(
            &req,
            json!([1]),
            &req_ctx(RouteType::Chat, "m", &o, &env, "/"),
        )
        .unwrap_err();
    assert_eq!(err.status(), 400);
}

#[test]
fn stream_plan_is_sse_translation() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    let ctx = ResponseCtx {
        route: RouteType::Chat,
        model: "m",
        options: &o,
        stream: true,
        env: &env,
    };
    match provider().stream(&ctx) {
        StreamPlan::Translate { framing, .. } => assert_eq!(framing, Framing::Sse),
        StreamPlan::Passthrough => panic!("huggingface streams are translated"),
    }
}

#[test]
fn decode_does_not_panic_on_garbage() {
    let (o, env) = (ModelOptions::default(), FixedEnv::default());
    for route in [RouteType::Chat, RouteType::Embeddings] {
        let ctx = ResponseCtx {
            route,
            model: "m",
            options: &o,
            stream: false,
            env: &env,
        };
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"\"x\"",
            b"[[[[1]]]]",
            b"{\"choices\": 3}",
            b"{\"error\": 5}",
            b"\xff\xfe",
        ] {
            let _ = provider().decode(body, &ctx);
        }
    }
}
