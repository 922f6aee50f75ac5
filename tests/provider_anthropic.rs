//! Anthropic: golden fixtures (`tests/fixtures/providers/anthropic/`), focused unit tests of
//! the request and answer mappings, and the stream translator fed with the documented stream
//! examples (`tests/fixtures/streams/anthropic/`) and the 200-event perf payload.

// Test helpers outside `#[test]` functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use ai_proxy::api::chat::ChatRequest;
use ai_proxy::api::usage::PromptTokensDetails;
use ai_proxy::api::{FinishReason, LlmRequest, LlmResponse, RouteType, Usage};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::anthropic::decode::{decode_chat, finish_reason};
use ai_proxy::providers::anthropic::encode::encode_chat;
use ai_proxy::providers::anthropic::stream::MessagesStream;
use ai_proxy::providers::anthropic::wire::StopReason;
use ai_proxy::providers::{self, Decoded, RequestCtx, ResponseCtx, StreamPlan};
use ai_proxy::stream::{Frame, Framing, ProviderStream, StreamEvent};
use serde_json::{json, Value};

#[test]
fn golden() {
    assert_eq!(
        support::golden::run_provider("anthropic", ProviderName::Anthropic),
        16
    );
}

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

fn options() -> ModelOptions {
    serde_json::from_value(json!({"anthropic_version": "2023-06-01"})).unwrap()
}

fn chat(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

/// Encodes a chat body and returns the upstream JSON.
fn encode(v: Value) -> Value {
    let chat = chat(v);
    let req = encode_chat(&chat, "claude-sonnet-4-5", &options(), false).unwrap();
    serde_json::to_value(req).unwrap()
}

/// The 400 message of a chat body that must be refused.
fn refused(v: Value) -> String {
    let err = encode_chat(&chat(v), "claude-sonnet-4-5", &options(), false).unwrap_err();
    assert_eq!(err.status(), 400);
    err.message()
}

fn request_ctx<'a>(
    route: RouteType,
    options: &'a ModelOptions,
    env: &'a FixedEnv,
    client_path: &'a str,
) -> RequestCtx<'a> {
    RequestCtx {
        route,
        model: "claude-sonnet-4-5",
        options,
        stream: false,
        client_path,
        env,
        body_len: 0,
    }
}

/// Test-only SSE splitter (LF files, one `data:` line per event in these fixtures; the real
/// incremental decoder is `stream::sse`).
fn sse_frames(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim_start().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            (event.is_some() || !data.is_empty()).then(|| Frame::Sse {
                event,
                data: data.join("\n"),
            })
        })
        .collect()
}

fn translate(frames: Vec<Frame>) -> Vec<StreamEvent> {
    let mut t = MessagesStream::new();
    let mut out = Vec::new();
    for f in frames {
        t.on_frame(f, &mut out).unwrap();
    }
    t.on_end(&mut out);
    out
}

fn fixture_stream(case: &str) -> Vec<StreamEvent> {
    let path = support::fixtures()
        .join("streams/anthropic")
        .join(case)
        .join("upstream.sse");
    translate(sse_frames(&std::fs::read_to_string(path).unwrap()))
}

fn data(json: Value) -> Frame {
    Frame::Sse {
        event: json["type"].as_str().map(str::to_string),
        data: json.to_string(),
    }
}

fn text(s: &str) -> StreamEvent {
    StreamEvent::Text(s.to_string())
}

fn args(index: u32, s: &str) -> StreamEvent {
    StreamEvent::ToolCallArgs {
        index,
        fragment: s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// request mapping
// ---------------------------------------------------------------------------------------------

#[test]
fn tool_choice_modes() {
    let tools =
        json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    let cases = [
        (json!("auto"), json!({"type": "auto"})),
        (json!("required"), json!({"type": "any"})),
        (json!("none"), json!({"type": "none"})),
        (
            json!({"type": "function", "function": {"name": "f"}}),
            json!({"type": "tool", "name": "f"}),
        ),
    ];
    for (choice, want) in cases {
        let body = encode(
            json!({"messages": [{"role": "user", "content": "hi"}], "tools": tools, "tool_choice": choice}),
        );
        assert_eq!(body["tool_choice"], want, "{choice}");
    }
}

#[test]
fn parallel_tool_calls_false_disables_parallel_use() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    let base = |extra: Value| {
        let mut v =
            json!({"messages": [{"role": "user", "content": "hi"}], "parallel_tool_calls": false});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        encode(v)
    };
    assert_eq!(
        base(json!({"tools": tools, "tool_choice": "required"}))["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    // No choice given: auto, with the flag.
    assert_eq!(
        base(json!({"tools": tools}))["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
    // `none` has no such field.
    assert_eq!(
        base(json!({"tools": tools, "tool_choice": "none"}))["tool_choice"],
        json!({"type": "none"})
    );
    // No tools: nothing to constrain.
    assert!(base(json!({})).get("tool_choice").is_none());
    // A tool without parameters gets the empty object schema.
    assert_eq!(
        base(json!({"tools": tools}))["tools"][0]["input_schema"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn consecutive_turns_merge_and_tool_results_come_first() {
    let body = encode(json!({"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "user", "content": [{"type": "text", "text": "second"}]},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}]},
        {"role": "tool", "tool_call_id": "t1", "content": [{"type": "text", "text": "42"}]},
        {"role": "user", "content": "thanks"}
    ]}));
    assert_eq!(body["system"], json!("Be brief."));
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "42"}]},
                {"type": "text", "text": "thanks"}]}
        ])
    );
}

#[test]
fn refusals_are_400_with_a_clear_message() {
    assert!(
        refused(json!({"messages": [{"role": "tool", "content": "x"}]})).contains("tool_call_id")
    );
    assert!(
        refused(json!({"messages": [{"role": "user", "content": "x"}], "n": 2})).contains("'n'")
    );
    assert!(
        refused(json!({"messages": [{"role": "function", "name": "f", "content": "x"}]}))
            .contains("'tool' messages")
    );
    assert!(refused(json!({"messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]}))
    .contains("text and image_url"));
    assert!(refused(json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png,notbase64"}}]}]}))
    .contains("base64 data URL"));
    // Arguments that are valid JSON but not an object.
    assert!(
        refused(json!({"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]}))
        .contains("'c'")
    );
}

#[test]
fn response_format_json_object_and_text_are_dropped() {
    for rf in [json!({"type": "json_object"}), json!({"type": "text"})] {
        let body =
            encode(json!({"messages": [{"role": "user", "content": "x"}], "response_format": rf}));
        assert!(body.get("output_config").is_none());
    }
}

#[test]
fn version_header_and_routes() {
    let env = FixedEnv::default();
    let opts = options();
    let p = providers::for_name(ProviderName::Anthropic, &opts);
    assert!(p.supports(RouteType::Chat) && p.supports(RouteType::Completions));
    assert!(p.supports(RouteType::Preserve) && !p.supports(RouteType::Embeddings));
    assert!(p.supports_stream(RouteType::Chat) && !p.supports_stream(RouteType::Completions));

    let req = LlmRequest::Chat(chat(
        json!({"messages": [{"role": "user", "content": "x"}]}),
    ));
    let enc = p
        .encode(
            &req,
            Value::Null,
            &request_ctx(RouteType::Chat, &opts, &env, "/"),
        )
        .unwrap();
    assert_eq!(
        enc.headers,
        vec![("anthropic-version".to_string(), "2023-06-01".to_string())]
    );

    // Config validation requires the option; without it no header is invented.
    let bare = ModelOptions::default();
    let enc = p
        .encode(
            &req,
            Value::Null,
            &request_ctx(RouteType::Chat, &bare, &env, "/"),
        )
        .unwrap();
    assert!(enc.headers.is_empty());

    let path = |route, opts: &ModelOptions, client| {
        p.upstream(&request_ctx(route, opts, &env, client))
            .unwrap()
            .path
    };
    assert_eq!(path(RouteType::Chat, &opts, "/x"), "/v1/messages");
    assert_eq!(path(RouteType::Completions, &opts, "/x"), "/v1/complete");
    assert_eq!(
        path(RouteType::Preserve, &opts, "/v1/messages/batches"),
        "/v1/messages/batches"
    );
    let custom: ModelOptions = serde_json::from_value(
        json!({"anthropic_version": "2023-06-01", "upstream_path": "/proxy/v1/messages"}),
    )
    .unwrap();
    assert_eq!(path(RouteType::Chat, &custom, "/x"), "/proxy/v1/messages");
    let target = p
        .upstream(&request_ctx(RouteType::Chat, &opts, &env, "/"))
        .unwrap();
    assert_eq!(
        (target.host.as_str(), target.port),
        ("api.anthropic.com", 443)
    );
}

// ---------------------------------------------------------------------------------------------
// answer mapping
// ---------------------------------------------------------------------------------------------

#[test]
fn finish_reason_map() {
    let cases = [
        (StopReason::EndTurn, FinishReason::Stop),
        (StopReason::StopSequence, FinishReason::Stop),
        (StopReason::PauseTurn, FinishReason::Stop),
        (StopReason::MaxTokens, FinishReason::Length),
        (StopReason::ModelContextWindowExceeded, FinishReason::Length),
        (StopReason::ToolUse, FinishReason::ToolCalls),
        (StopReason::Refusal, FinishReason::ContentFilter),
        (StopReason::Unknown, FinishReason::Stop),
    ];
    for (from, to) in cases {
        assert_eq!(finish_reason(from), to, "{from:?}");
    }
    let unknown: StopReason = serde_json::from_value(json!("something_new")).unwrap();
    assert_eq!(unknown, StopReason::Unknown);
}

#[test]
fn decode_edge_cases() {
    let env = FixedEnv::default();
    // Refusal, no usage, empty content, unknown block types ignored, no id/model.
    let body = json!({"type": "message", "content": [
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"},
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}}
    ], "stop_reason": "refusal"});
    let r = decode_chat(body.to_string().as_bytes(), "claude-x", &env).unwrap();
    assert_eq!(r.id, "chatcmpl-test");
    assert_eq!(r.model.as_deref(), Some("claude-x"));
    assert_eq!(r.created, 1_700_000_000);
    assert_eq!(r.usage, None);
    let c = &r.choices[0];
    assert_eq!(c.finish_reason, Some(FinishReason::ContentFilter));
    assert_eq!(c.message.content.as_deref(), Some(""));
    assert!(c.message.tool_calls.is_none() && c.message.reasoning_content.is_none());

    // Several text blocks (citations split them) are concatenated as they are.
    let body = json!({"content": [{"type": "text", "text": "The grass is "},
        {"type": "text", "text": "green", "citations": [{"type": "char_location", "cited_text": "g"}]},
        {"type": "text", "text": "."}], "stop_reason": "end_turn"});
    let r = decode_chat(body.to_string().as_bytes(), "m", &env).unwrap();
    assert_eq!(
        r.choices[0].message.content.as_deref(),
        Some("The grass is green.")
    );

    assert!(decode_chat(b"not json", "m", &env).is_err());
    assert!(decode_chat(b"{\"content\": 3}", "m", &env).is_err());
}

#[test]
fn decode_dispatches_by_route() {
    let env = FixedEnv::default();
    let opts = options();
    let p = providers::for_name(ProviderName::Anthropic, &opts);
    let ctx = |route| ResponseCtx {
        route,
        model: "m",
        options: &opts,
        stream: false,
        env: &env,
    };
    let chat = br#"{"content":[{"type":"text","text":"hi"}]}"#;
    assert!(matches!(
        p.decode(chat, &ctx(RouteType::Chat)),
        Ok(Decoded::Translated(LlmResponse::Chat(_)))
    ));
    assert!(matches!(
        p.decode(chat, &ctx(RouteType::Preserve)),
        Ok(Decoded::Unchanged)
    ));
    match p.stream(&ctx(RouteType::Chat)) {
        StreamPlan::Translate { framing, .. } => assert_eq!(framing, Framing::Sse),
        StreamPlan::Passthrough => panic!("chat streams are translated"),
    }
}

// ---------------------------------------------------------------------------------------------
// streams
// ---------------------------------------------------------------------------------------------

fn meta(id: &str) -> StreamEvent {
    StreamEvent::Meta {
        id: Some(id.to_string()),
        model: Some("claude-opus-4-6".to_string()),
    }
}

#[test]
fn stream_text() {
    assert_eq!(
        fixture_stream("text"),
        vec![
            meta("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"),
            text("Hello"),
            text("!"),
            StreamEvent::Finish(FinishReason::Stop),
            // Output tokens are cumulative: 15, not 1 + 15.
            StreamEvent::Usage(Usage::new(25, 15)),
        ]
    );
}

#[test]
fn stream_two_tool_calls() {
    assert_eq!(
        fixture_stream("tool-use"),
        vec![
            meta("msg_014p7gG3wDgGV9EUtLvnow3U"),
            text("Okay"),
            text(", let's check the weather and time for San Francisco, CA:"),
            // Block index 1 is tool call 0.
            StreamEvent::ToolCallStart {
                index: 0,
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                name: "get_weather".into()
            },
            args(0, "{\"location\":"),
            args(0, " \"San"),
            args(0, " Francisc"),
            args(0, "o,"),
            args(0, " CA\""),
            args(0, ", "),
            args(0, "\"unit\": \"fah"),
            args(0, "renheit\"}"),
            StreamEvent::ToolCallStart {
                index: 1,
                id: "toolu_01Nx9KqP3sLmT4vWcYzR8bE2".into(),
                name: "get_time".into()
            },
            args(1, "{\"timezone\": \"America/"),
            args(1, "Los_Angeles\"}"),
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage::new(472, 89)),
        ]
    );
}

#[test]
fn stream_thinking() {
    assert_eq!(
        fixture_stream("thinking"),
        vec![
            meta("msg_01CEhzB6fNsX8Uhz7R4G2Xek"),
            StreamEvent::Reasoning(
                "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"
                    .into()
            ),
            StreamEvent::Reasoning("\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21".into()),
            text("The greatest common divisor of 1071 and 462 is **21**."),
            // The docs' example reports no usage: none is invented.
            StreamEvent::Finish(FinishReason::Stop),
        ]
    );
}

#[test]
fn stream_error_event_ends_the_stream() {
    let mut frames = sse_frames(
        &std::fs::read_to_string(support::fixtures().join("streams/anthropic/error/upstream.sse"))
            .unwrap(),
    );
    // Anything after the error is ignored, so the error stays last.
    frames.push(data(json!({"type": "content_block_delta", "index": 0,
        "delta": {"type": "text_delta", "text": " a time"}})));
    assert_eq!(
        translate(frames),
        vec![
            StreamEvent::Meta {
                id: Some("msg_01Overload5Xk2b7Qe9RzLm3".into()),
                model: Some("claude-opus-4-6".into())
            },
            text("Once upon"),
            StreamEvent::Error {
                message: "Overloaded".into(),
                kind: Some("overloaded_error".into())
            },
        ]
    );
}

#[test]
fn stream_usage_with_cache_and_cumulative_input() {
    let events = translate(vec![
        data(
            json!({"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "content": [],
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
        ),
        data(
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        data(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
        ),
        data(json!({"type": "content_block_stop", "index": 0})),
        // Newer API versions repeat cumulative input counts here; they replace, as output does.
        data(
            json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": null},
            "usage": {"input_tokens": 12, "cache_read_input_tokens": 1000, "output_tokens": 7}}),
        ),
        data(json!({"type": "message_stop"})),
    ]);
    let mut want = Usage::new(1012, 7);
    want.prompt_tokens_details = Some(PromptTokensDetails {
        cached_tokens: Some(1000),
        cache_creation_tokens: Some(0),
    });
    assert_eq!(
        events,
        vec![
            StreamEvent::Meta {
                id: Some("msg_1".into()),
                model: Some("claude-x".into())
            },
            text("ok"),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(want),
        ]
    );
}

#[test]
fn stream_robustness() {
    // A truncated stream still reports the known (input) usage at the end.
    assert_eq!(
        translate(vec![data(
            json!({"type": "message_start", "message": {"id": "m", "model": "c",
            "usage": {"input_tokens": 9, "output_tokens": 1}}})
        )]),
        vec![
            StreamEvent::Meta {
                id: Some("m".into()),
                model: Some("c".into())
            },
            StreamEvent::Usage(Usage::new(9, 1)),
        ]
    );
    // Unknown events, unknown deltas, deltas of unknown blocks, empty data and JSON frames.
    let events = translate(vec![
        Frame::Sse {
            event: Some("ping".into()),
            data: String::new(),
        },
        data(json!({"type": "some_future_event", "x": 1})),
        data(json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}})),
        data(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"q\""}}),
        ),
        data(
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": {}}}),
        ),
        Frame::Json(
            br#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"x"}}"#
                .to_vec(),
        ),
    ]);
    assert_eq!(events, vec![text("x")]);

    // Malformed frames are errors, never panics.
    let mut t = MessagesStream::new();
    let mut out = Vec::new();
    assert!(t
        .on_frame(
            Frame::Sse {
                event: None,
                data: "{\"type\": \"content_block_delta\", ".into()
            },
            &mut out
        )
        .is_err());
    assert!(t
        .on_frame(Frame::Json(b"[1,2]".to_vec()), &mut out)
        .is_err());
    assert!(out.is_empty());
}

#[test]
fn stream_perf_payload() {
    // The benchmarks' 200-event stream, kept with the framing fixtures.
    let raw = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/streams/framing/anthropic_200/input.sse"),
    )
    .unwrap();
    let frames = sse_frames(&raw);
    assert_eq!(frames.len(), 200);
    // The expected text, read independently of the translator.
    let want_text: String = frames
        .iter()
        .filter_map(|f| match f {
            Frame::Sse { data, .. } => serde_json::from_str::<Value>(data).ok(),
            _ => None,
        })
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_string))
        .collect();
    let events = translate(frames);
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 195);
    assert_eq!(texts.concat(), want_text);
    assert!(want_text.starts_with("ut nulla adipiscing laborum cillum"));
    assert_eq!(events.len(), 1 + 195 + 2);
    assert!(
        matches!(events.first(), Some(StreamEvent::Meta { id: Some(id), .. }) if id == "msg_01StreamX7yZ8aB9cD0eF1gH")
    );
    let mut want_usage = Usage::new(231, 412);
    want_usage.prompt_tokens_details = Some(PromptTokensDetails {
        cached_tokens: Some(0),
        cache_creation_tokens: Some(0),
    });
    assert_eq!(
        &events[events.len() - 2..],
        &[
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(want_usage)
        ]
    );
}

/// The Messages body points into the client's request instead of copying it: message text,
/// image data and tool schemas (docs/performance.md, "Peak allocation per request").
#[test]
fn encoder_borrows_the_client_request() {
    use ai_proxy::api::chat::{Content, ContentPart};
    use ai_proxy::providers::anthropic::wire::{BlockParam, ImageSource, MessageContent};
    use std::borrow::Cow;

    let req = chat(json!({
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
            ]},
            {"role": "assistant", "content": "a square"}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    }));
    let body = encode_chat(&req, "claude-sonnet-4-5", &options(), false).unwrap();

    assert!(matches!(
        body.system,
        Some(ai_proxy::providers::anthropic::wire::System::Text(
            Cow::Borrowed("be brief")
        ))
    ));
    let MessageContent::Blocks(blocks) = &body.messages[0].content else {
        panic!("{:?}", body.messages[0])
    };
    assert!(matches!(
        &blocks[0],
        BlockParam::Text {
            text: Cow::Borrowed("what is this?")
        }
    ));
    let (
        BlockParam::Image {
            source: ImageSource::Base64 { data, .. },
        },
        Some(Content::Parts(parts)),
    ) = (&blocks[1], &req.messages[1].content)
    else {
        panic!("{blocks:?}")
    };
    let ContentPart::ImageUrl { image_url } = &parts[1] else {
        panic!("{parts:?}")
    };
    assert_eq!(data, "AAAA");
    assert!(matches!(data, Cow::Borrowed(_)));
    assert!(image_url
        .url
        .as_bytes()
        .as_ptr_range()
        .contains(&data.as_ptr()));
    assert!(matches!(
        &body.messages[1].content,
        MessageContent::Text(Cow::Borrowed("a square"))
    ));
    let tools = body.tools.as_ref().unwrap();
    assert!(matches!(tools[0].input_schema, Cow::Borrowed(_)));
}
