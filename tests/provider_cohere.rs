//! Cohere: golden fixtures (`tests/fixtures/providers/cohere/`), stream translation fixtures
//! (`tests/fixtures/streams/cohere/`), and focused checks of the finish-reason map, routes and
//! malformed stream input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod support;

use ai_proxy::api::{FinishReason, RouteType};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::cohere::{decode::map_finish, wire};
use ai_proxy::providers::{self, RequestCtx, ResponseCtx, StreamPlan};
use ai_proxy::stream::{Frame, StreamEvent};
use serde_json::json;

#[test]
fn golden() {
    assert_eq!(
        support::golden::run_provider("cohere", ProviderName::Cohere),
        19
    );
}

#[test]
fn stream_fixtures() {
    assert_eq!(support::stream_events::run_stream_cases("cohere"), 5);
}

#[test]
fn finish_reasons_map_to_openai_set() {
    use wire::FinishReason as F;
    let cases = [
        (F::Complete, FinishReason::Stop),
        (F::StopSequence, FinishReason::Stop),
        (F::MaxTokens, FinishReason::Length),
        (F::ToolCall, FinishReason::ToolCalls),
        (F::Error, FinishReason::Stop),
        (F::ErrorToxic, FinishReason::ContentFilter),
        (F::ErrorLimit, FinishReason::Length),
        (F::UserCancel, FinishReason::Stop),
        (F::Timeout, FinishReason::Stop),
        (F::Unknown, FinishReason::Stop),
    ];
    for (cohere, openai) in cases {
        assert_eq!(map_finish(cohere), openai, "{cohere:?}");
    }
    // An unknown string decodes to `Unknown` instead of failing the answer.
    let f: wire::FinishReason = serde_json::from_value(json!("SOMETHING_NEW")).unwrap();
    assert_eq!(f, F::Unknown);
}

fn request_ctx<'a>(
    route: RouteType,
    options: &'a ModelOptions,
    env: &'a FixedEnv,
) -> RequestCtx<'a> {
    RequestCtx {
        route,
        model: "command-a-03-2025",
        options,
        stream: false,
        client_path: "/llm/v1/anything",
        env,
        body_len: 0,
    }
}

#[test]
fn capabilities_follow_the_matrix() {
    let p = providers::for_name(ProviderName::Cohere, &ModelOptions::default());
    for route in [
        RouteType::Chat,
        RouteType::Completions,
        RouteType::Embeddings,
    ] {
        assert!(p.supports(route), "{route:?}");
    }
    assert!(p.supports_stream(RouteType::Chat));
    assert!(p.supports_stream(RouteType::Completions));
    assert!(!p.supports_stream(RouteType::Embeddings));
}

#[test]
fn upstream_path_override_and_preserve() {
    let env = FixedEnv::default();
    let p = providers::for_name(ProviderName::Cohere, &ModelOptions::default());
    let options = ModelOptions {
        upstream_path: Some("//v2/chat-custom".into()),
        ..ModelOptions::default()
    };
    let t = p
        .upstream(&request_ctx(RouteType::Chat, &options, &env))
        .unwrap();
    assert_eq!(
        (t.host.as_str(), t.port, t.path.as_str()),
        ("api.cohere.com", 443, "/v2/chat-custom")
    );
    let plain = ModelOptions::default();
    let t = p
        .upstream(&request_ctx(RouteType::Preserve, &plain, &env))
        .unwrap();
    assert_eq!(t.path, "/llm/v1/anything");
}

#[test]
fn tool_choice_none_is_sent_as_none() {
    let req = serde_json::from_value(json!({
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": "none"
    }))
    .unwrap();
    let body = ai_proxy::providers::cohere::encode::encode_chat(&req, "m", false).unwrap();
    let v = serde_json::to_value(&body).unwrap();
    assert_eq!(v["tool_choice"], json!("NONE"));
    assert_eq!(v["tools"][0]["function"]["name"], json!("f"));
}

fn chat_stream() -> Box<dyn ai_proxy::stream::ProviderStream> {
    let env = FixedEnv::default();
    let options = ModelOptions::default();
    let ctx = ResponseCtx {
        route: RouteType::Chat,
        model: "m",
        options: &options,
        stream: true,
        env: &env,
    };
    match providers::for_name(ProviderName::Cohere, &options).stream(&ctx) {
        StreamPlan::Translate { translator, .. } => translator,
        StreamPlan::Passthrough => panic!("cohere chat streams are translated"),
    }
}

#[test]
fn malformed_stream_event_is_an_error_not_a_panic() {
    let mut t = chat_stream();
    let mut out = Vec::new();
    for data in ["{not json", "[1,2]", "{\"type\": 5}", "{}"] {
        let frame = Frame::Sse {
            event: None,
            data: data.to_string(),
        };
        assert!(t.on_frame(frame, &mut out).is_err(), "{data}");
    }
    assert!(out.is_empty());
}

#[test]
fn tool_call_without_id_gets_a_generated_one() {
    let mut t = chat_stream();
    let mut out = Vec::new();
    let frame = Frame::Sse {
        event: Some("tool-call-start".into()),
        data: json!({"type": "tool-call-start", "index": 3,
            "delta": {"message": {"tool_calls": {"type": "function",
                "function": {"name": "f", "arguments": "{}"}}}}})
        .to_string(),
    };
    t.on_frame(frame, &mut out).unwrap();
    assert_eq!(
        out,
        vec![
            StreamEvent::ToolCallStart {
                index: 0,
                id: "call_test_0".into(),
                name: "f".into()
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: "{}".into()
            }
        ]
    );
}

#[test]
fn top_p_is_clamped_into_cohere_range() {
    for (top_p, p) in [(1.0, 0.99), (0.0, 0.01), (0.5, 0.5)] {
        let req = serde_json::from_value(json!({
            "messages": [{"role": "user", "content": "hi"}],
            "top_p": top_p
        }))
        .unwrap();
        let body = ai_proxy::providers::cohere::encode::encode_chat(&req, "m", false).unwrap();
        assert_eq!(serde_json::to_value(&body).unwrap()["p"], json!(p));
    }
}
