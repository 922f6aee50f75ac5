//! Gemini (AI Studio and Vertex): golden request/response cases, the stream translator on the
//! documented stream shapes (`tests/fixtures/streams/gemini/`), finish-reason and usage maps.
// Test helpers outside `#[test]` fns may unwrap and panic (clippy's in-test allowances do not
// reach them).
#![allow(clippy::unwrap_used, clippy::panic)]
mod support;

use ai_proxy::api::{FinishReason, RouteType, Usage};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::gemini::decode::{map_finish, usage};
use ai_proxy::providers::gemini::stream::GeminiStream;
use ai_proxy::providers::gemini::wire::{FinishReason as G, UsageMetadata};
use ai_proxy::providers::{self, ResponseCtx, StreamPlan};
use ai_proxy::stream::{Frame, Framing, ProviderStream, StreamEvent};
use serde_json::Value;

#[test]
fn golden() {
    assert_eq!(
        support::golden::run_provider("gemini", ProviderName::Gemini),
        25
    );
}

// --- stream helpers --------------------------------------------------------------------------

/// Splits an SSE fixture into `Frame::Sse` frames (blank-line separated `data:` events).
fn sse_frames(name: &str) -> Vec<Frame> {
    let path = support::fixtures().join("streams/gemini").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| Frame::Sse {
            event: None,
            data: e
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect()
}

/// Splits a JSON-array fixture into `Frame::Json` elements.
fn json_frames(name: &str) -> Vec<Frame> {
    let path = support::fixtures().join("streams/gemini").join(name);
    let all: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    all.iter()
        .map(|v| Frame::Json(serde_json::to_vec(v).unwrap()))
        .collect()
}

fn translator(model: &str) -> Box<dyn ProviderStream> {
    let options = ModelOptions::default();
    let env = FixedEnv::default();
    let ctx = ResponseCtx {
        route: RouteType::Chat,
        model,
        options: &options,
        stream: true,
        env: &env,
    };
    let imp = providers::for_name(ProviderName::Gemini, &options);
    match imp.stream(&ctx) {
        StreamPlan::Translate {
            framing,
            translator,
        } => {
            assert_eq!(framing, Framing::Sse);
            translator
        }
        StreamPlan::Passthrough => panic!("gemini streams are translated"),
    }
}

fn run(frames: Vec<Frame>, model: &str) -> Vec<StreamEvent> {
    let mut t = translator(model);
    let mut out = Vec::new();
    for f in frames {
        t.on_frame(f, &mut out).unwrap();
    }
    t.on_end(&mut out);
    out
}

fn meta(id: &str, model: &str) -> StreamEvent {
    StreamEvent::Meta {
        id: Some(id.into()),
        model: Some(model.into()),
    }
}

fn text(s: &str) -> StreamEvent {
    StreamEvent::Text(s.into())
}

fn usage_of(p: u64, c: u64, t: u64) -> Usage {
    let mut u = Usage::new(p, c);
    u.total_tokens = t;
    u
}

// --- streams ---------------------------------------------------------------------------------

#[test]
fn stream_text() {
    let events = run(sse_frames("text.sse"), "gemini-2.0-flash");
    assert_eq!(
        events,
        vec![
            meta("Xh0yaO3xBtPjz7IP3q6IuQk", "gemini-2.0-flash"),
            text("The"),
            text(" backpack hummed"),
            text(" softly."),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage_of(9, 5, 14)),
        ]
    );
}

#[test]
fn stream_two_tool_calls_with_reasoning_and_signature() {
    let events = run(sse_frames("tools.sse"), "gemini-2.5-flash");
    assert_eq!(
        events,
        vec![
            meta("tools-stream-1", "gemini-2.5-flash"),
            StreamEvent::Reasoning(
                "**Checking two tools**\n\nI need the weather and the time.".into()
            ),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_test_0__thought__CiQB0e2Kb5sig".into(),
                name: "get_weather".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: r#"{"city":"Paris","unit":"celsius"}"#.into(),
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "call_test_1".into(),
                name: "get_time".into(),
            },
            StreamEvent::ToolCallArgs {
                index: 1,
                fragment: r#"{"timezone":"Europe/Paris"}"#.into(),
            },
            StreamEvent::Finish(FinishReason::ToolCalls),
            // completion = candidates 30 + thoughts 40; reasoning detail 40.
            StreamEvent::Usage(usage_of(60, 70, 130).with_reasoning(Some(40))),
        ]
    );
}

#[test]
fn stream_error_event_ends_the_stream() {
    let events = run(sse_frames("error.sse"), "gemini-2.0-flash");
    assert_eq!(
        events,
        vec![
            meta("err-stream-1", "gemini-2.0-flash"),
            text("Once upon"),
            StreamEvent::Error {
                message: "The model is overloaded. Please try again later.".into(),
                kind: Some("UNAVAILABLE".into()),
            },
        ]
    );
}

#[test]
fn stream_blocked_prompt_is_content_filter() {
    let events = run(sse_frames("blocked.sse"), "gemini-2.0-flash");
    assert_eq!(
        events,
        vec![
            meta("blocked-1", "gemini-2.0-flash"),
            StreamEvent::Finish(FinishReason::ContentFilter),
            StreamEvent::Usage(usage_of(12, 0, 12)),
        ]
    );
}

#[test]
fn stream_json_array_elements() {
    let events = run(json_frames("array.json"), "gemini-2.0-flash-001");
    assert_eq!(
        events,
        vec![
            meta("array-1", "gemini-2.0-flash-001"),
            text("Hello"),
            text(" there, how"),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(usage_of(3, 4, 7)),
        ]
    );
}

#[test]
fn stream_usage_replaces_never_adds() {
    // Three cumulative usage reports: only the last one counts (Kong's bug not copied, docs/kong-compatibility.md §13.5).
    let frames = ["{\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}",
        "{\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":2,\"totalTokenCount\":7}}",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":3,\"totalTokenCount\":8}}"]
    .iter()
    .map(|d| Frame::Sse {
        event: None,
        data: (*d).into(),
    })
    .collect();
    let events = run(frames, "m");
    assert_eq!(
        events,
        vec![
            StreamEvent::Meta {
                id: None,
                model: Some("m".into())
            },
            text("ok"),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(usage_of(5, 3, 8)),
        ]
    );
}

#[test]
fn stream_ignores_done_and_empty_and_refuses_garbage() {
    let mut t = translator("m");
    let mut out = Vec::new();
    for data in ["[DONE]", "", "  "] {
        t.on_frame(
            Frame::Sse {
                event: None,
                data: data.into(),
            },
            &mut out,
        )
        .unwrap();
    }
    assert!(out.is_empty());
    let err = t
        .on_frame(
            Frame::Sse {
                event: None,
                data: "{\"candidates\": [".into(),
            },
            &mut out,
        )
        .unwrap_err();
    assert!(err.0.starts_with("invalid Gemini stream chunk"), "{err}");
    assert!(t
        .on_frame(Frame::Json(b"[1,2]".to_vec()), &mut out)
        .is_err());
    assert!(t
        .on_frame(
            Frame::Event(ai_proxy::stream::AwsEvent {
                event_type: None,
                message_type: None,
                content_type: None,
                payload: Vec::new(),
            }),
            &mut out,
        )
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn stream_translator_direct_construction() {
    let mut t = GeminiStream::new("gemini-x", "call_base".into());
    let mut out = Vec::new();
    t.on_frame(
        Frame::Json(
            br#"{"candidates":[{"content":{"parts":[{"functionCall":{"id":"fc-7","name":"f"}}]}}]}"#
                .to_vec(),
        ),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            StreamEvent::Meta {
                id: None,
                model: Some("gemini-x".into())
            },
            StreamEvent::ToolCallStart {
                index: 0,
                id: "fc-7".into(),
                name: "f".into()
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: "{}".into()
            },
        ]
    );
}

// --- maps ------------------------------------------------------------------------------------

#[test]
fn finish_reason_map() {
    use FinishReason as F;
    let cases = [
        (Some(G::Stop), false, Some(F::Stop)),
        (Some(G::Stop), true, Some(F::ToolCalls)),
        (Some(G::MaxTokens), false, Some(F::Length)),
        (Some(G::MaxTokens), true, Some(F::Length)),
        (Some(G::Safety), false, Some(F::ContentFilter)),
        (Some(G::Recitation), false, Some(F::ContentFilter)),
        (Some(G::Blocklist), false, Some(F::ContentFilter)),
        (Some(G::ProhibitedContent), false, Some(F::ContentFilter)),
        (Some(G::Spii), false, Some(F::ContentFilter)),
        (Some(G::ImageSafety), false, Some(F::ContentFilter)),
        (Some(G::Other), false, Some(F::Stop)),
        (Some(G::Language), false, Some(F::Stop)),
        (Some(G::MalformedFunctionCall), false, Some(F::Stop)),
        (Some(G::Unknown), false, Some(F::Stop)),
        (None, false, None),
        (None, true, Some(F::ToolCalls)),
    ];
    for (g, calls, want) in cases {
        assert_eq!(map_finish(g, calls), want, "{g:?} calls={calls}");
    }
    // Unknown strings land in Unknown, not in an error.
    let g: G = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
    assert_eq!(g, G::Unknown);
}

#[test]
fn usage_map() {
    let m = UsageMetadata {
        prompt_token_count: Some(100),
        candidates_token_count: Some(20),
        total_token_count: Some(165),
        cached_content_token_count: Some(64),
        thoughts_token_count: Some(30),
        tool_use_prompt_token_count: Some(15),
    };
    let u = usage(&m);
    assert_eq!(u.prompt_tokens, 115);
    assert_eq!(u.completion_tokens, 50);
    assert_eq!(u.total_tokens, 165);
    assert_eq!(
        u.prompt_tokens_details.and_then(|d| d.cached_tokens),
        Some(64)
    );
    assert_eq!(
        u.completion_tokens_details.and_then(|d| d.reasoning_tokens),
        Some(30)
    );
    // No total reported: the sum.
    let u = usage(&UsageMetadata {
        prompt_token_count: Some(3),
        candidates_token_count: Some(4),
        ..UsageMetadata::default()
    });
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (3, 4, 7)
    );
    assert!(u.prompt_tokens_details.is_none() && u.completion_tokens_details.is_none());
}

// --- capability answers and decode errors ----------------------------------------------------

#[test]
fn capabilities() {
    let imp = providers::for_name(ProviderName::Gemini, &ModelOptions::default());
    assert!(imp.supports(RouteType::Chat));
    assert!(imp.supports(RouteType::Completions));
    assert!(imp.supports(RouteType::Embeddings));
    assert!(imp.supports_stream(RouteType::Chat));
    assert!(!imp.supports_stream(RouteType::Embeddings));
}

#[test]
fn decode_rejects_non_json_and_error_bodies() {
    let options = ModelOptions::default();
    let env = FixedEnv::default();
    let ctx = ResponseCtx {
        route: RouteType::Chat,
        model: "gemini-2.0-flash",
        options: &options,
        stream: false,
        env: &env,
    };
    let imp = providers::for_name(ProviderName::Gemini, &options);
    assert!(imp.decode(b"<html>oops</html>", &ctx).is_err());
    assert!(imp.decode(b"[]", &ctx).is_err());
    let err = imp
        .decode(
            br#"{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}"#,
            &ctx,
        )
        .unwrap_err();
    assert_eq!(err.0, "Internal error encountered.");
}
