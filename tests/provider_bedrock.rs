//! Amazon Bedrock: golden fixtures (Converse for chat/completions, InvokeModel for embeddings),
//! the ConverseStream translator fed hand-built eventstream messages shaped like the
//! ConverseStream API reference's events, and the SigV4 hook's structure (the algorithm itself
//! is checked against AWS's published vectors in `tests/sigv4.rs`).

// Test helpers (and the shared `support` module) unwrap freely: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use ai_proxy::api::chat::{ChatRequest, ImageUrl};
use ai_proxy::api::{FinishReason, RouteType, Usage};
use ai_proxy::auth::sigv4::{self, SignableRequest};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::error::ProxyError;
use ai_proxy::providers::bedrock::{embeddings, encode, stream::ConverseStream, Bedrock};
use ai_proxy::providers::{Credentials, Outgoing, Provider, RequestCtx, UpstreamTarget};
use ai_proxy::stream::{AwsEvent, Frame, ProviderStream, StreamEvent};
use serde_json::json;

#[test]
fn golden() {
    assert!(support::golden::run_provider("bedrock", ProviderName::Bedrock) >= 25);
}

// ------------------------------------------------------------------ capability answers

#[test]
fn capabilities() {
    let p = Bedrock;
    assert!(p.supports(RouteType::Chat));
    assert!(p.supports(RouteType::Completions));
    assert!(p.supports(RouteType::Embeddings));
    assert!(p.supports_stream(RouteType::Chat));
    assert!(p.supports_stream(RouteType::Completions));
    assert!(!p.supports_stream(RouteType::Embeddings));
}

// ------------------------------------------------------------------ encode details

#[test]
fn image_formats_and_refusals() {
    let img = |url: &str| ImageUrl {
        url: url.to_string(),
        detail: None,
    };
    for (mime, fmt) in [
        ("image/png", "png"),
        ("image/jpeg", "jpeg"),
        ("image/jpg", "jpeg"),
        ("image/gif", "gif"),
        ("image/webp", "webp"),
    ] {
        let url = img(&format!("data:{mime};base64,AAAA"));
        let b = encode::image_block(&url).unwrap();
        assert_eq!(b.format, fmt);
        assert_eq!(b.source.bytes, "AAAA");
    }
    let e = encode::image_block(&img("data:image/bmp;base64,AAAA")).unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.message().contains("image/bmp"));
    let e = encode::image_block(&img("HTTP://example.com/a.png")).unwrap_err();
    assert_eq!(e, ProxyError::bad_request(encode::HTTP_IMAGE));
    let e = encode::image_block(&img("ftp://x/y.png")).unwrap_err();
    assert_eq!(e.status(), 400);
}

#[test]
fn unsupported_content_part_is_a_400() {
    let req: ChatRequest = serde_json::from_value(json!({
        "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}]}]
    }))
    .unwrap();
    let e = encode::encode_chat(&req, &ModelOptions::default()).unwrap_err();
    assert_eq!(e.status(), 400);
}

#[test]
fn tool_message_needs_an_id() {
    let req: ChatRequest = serde_json::from_value(json!({
        "messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]
    }))
    .unwrap();
    let e = encode::encode_chat(&req, &ModelOptions::default()).unwrap_err();
    assert_eq!(
        e,
        ProxyError::bad_request("tool message without tool_call_id")
    );
}

/// The Converse body borrows what the client sent (text, image data, tool schemas, model
/// fields) instead of copying it: a 1 MB image is not held twice while the body is written.
#[test]
fn encoder_borrows_the_client_request() {
    use ai_proxy::providers::bedrock::wire::{ContentBlock, ToolResultContent};
    use std::borrow::Cow;
    let req: ChatRequest = serde_json::from_value(json!({
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "hello"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
            ]},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "done"}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "bedrock": {"additionalModelRequestFields": {"k": 1}}
    }))
    .unwrap();
    let body = encode::encode_chat(&req, &ModelOptions::default()).unwrap();
    let user = &body.messages[0].content;
    assert!(matches!(
        &user[0],
        ContentBlock::Text(Cow::Borrowed("hello"))
    ));
    let (ContentBlock::Image(img), Some(ai_proxy::api::chat::Content::Parts(parts))) =
        (&user[1], &req.messages[0].content)
    else {
        panic!("{user:?}")
    };
    let ai_proxy::api::chat::ContentPart::ImageUrl { image_url } = &parts[1] else {
        panic!("{parts:?}")
    };
    // The base64 bytes point into the client's data URL.
    assert_eq!(img.source.bytes, "AAAA");
    assert!(image_url
        .url
        .as_bytes()
        .as_ptr_range()
        .contains(&img.source.bytes.as_ptr()));
    let ContentBlock::ToolResult(result) = &body.messages[2].content[0] else {
        panic!("{:?}", body.messages[2])
    };
    assert!(matches!(
        result.content[..],
        [ToolResultContent::Text("done")]
    ));
    let tools = &body.tool_config.as_ref().unwrap().tools;
    assert!(matches!(
        tools[0].tool_spec.input_schema.json,
        Cow::Borrowed(_)
    ));
    assert!(matches!(
        body.additional_model_request_fields,
        Some(Cow::Borrowed(_))
    ));
}

#[test]
fn client_additional_fields_merge_with_top_k() {
    let req: ChatRequest = serde_json::from_value(json!({
        "messages": [{"role": "user", "content": "x"}],
        "top_k": 5,
        "bedrock": {"additionalModelRequestFields": {"top_k": 9, "reasoning_config": {"type": "enabled"}}},
        "performanceConfig": {"latency": "standard"}
    }))
    .unwrap();
    let body =
        serde_json::to_value(encode::encode_chat(&req, &ModelOptions::default()).unwrap()).unwrap();
    assert_eq!(
        body["additionalModelRequestFields"],
        json!({"top_k": 9, "reasoning_config": {"type": "enabled"}})
    );
    assert_eq!(body["performanceConfig"], json!({"latency": "standard"}));
}

#[test]
fn embed_families() {
    use embeddings::{embed_family, EmbedFamily};
    assert_eq!(
        embed_family("amazon.titan-embed-text-v1"),
        Some(EmbedFamily::TitanV1)
    );
    assert_eq!(
        embed_family("amazon.titan-embed-text-v2:0"),
        Some(EmbedFamily::TitanV2)
    );
    assert_eq!(
        embed_family("amazon.titan-embed-image-v1"),
        Some(EmbedFamily::TitanMultimodal)
    );
    assert_eq!(
        embed_family("cohere.embed-multilingual-v3"),
        Some(EmbedFamily::Cohere { v4: false })
    );
    assert_eq!(
        embed_family("eu.cohere.embed-v4:0"),
        Some(EmbedFamily::Cohere { v4: true })
    );
    assert_eq!(embed_family("anthropic.claude-v2"), None);
}

#[test]
fn unknown_embeddings_model_is_a_400() {
    let req = serde_json::from_value(json!({"input": "x"})).unwrap();
    let e = embeddings::encode_embeddings(
        &req,
        "amazon.nova-2-multimodal-embeddings-v1:0",
        &ModelOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.message().contains("unsupported model"));
}

// ------------------------------------------------------------------ stream translation

fn ev(event_type: &str, payload: serde_json::Value) -> Frame {
    Frame::Event(AwsEvent {
        event_type: Some(event_type.to_string()),
        message_type: Some("event".to_string()),
        content_type: Some("application/json".to_string()),
        payload: serde_json::to_vec(&payload).unwrap(),
    })
}

fn exception(kind: &str, payload: serde_json::Value) -> Frame {
    Frame::Event(AwsEvent {
        event_type: Some(kind.to_string()),
        message_type: Some("exception".to_string()),
        content_type: Some("application/json".to_string()),
        payload: serde_json::to_vec(&payload).unwrap(),
    })
}

fn run(frames: Vec<Frame>) -> Vec<StreamEvent> {
    let mut t = ConverseStream::new();
    let mut out = Vec::new();
    for f in frames {
        t.on_frame(f, &mut out).unwrap();
    }
    t.on_end(&mut out);
    out
}

#[test]
fn stream_text() {
    let events = run(vec![
        ev("messageStart", json!({"role": "assistant", "p": "abcd"})),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "ab"}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": " world"}}),
        ),
        ev("contentBlockStop", json!({"contentBlockIndex": 0})),
        ev("messageStop", json!({"stopReason": "end_turn"})),
        ev(
            "metadata",
            json!({"usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}, "metrics": {"latencyMs": 321}}),
        ),
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::Text("Hello".into()),
            StreamEvent::Text(" world".into()),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage::new(10, 5)),
        ]
    );
}

#[test]
fn stream_two_tool_calls_after_text() {
    let events = run(vec![
        ev("messageStart", json!({"role": "assistant"})),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Checking."}}),
        ),
        ev("contentBlockStop", json!({"contentBlockIndex": 0})),
        ev(
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_a", "name": "get_weather"}}}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\":"}}}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
        ),
        ev("contentBlockStop", json!({"contentBlockIndex": 1})),
        ev(
            "contentBlockStart",
            json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_b", "name": "get_time"}}}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": "{\"tz\":\"UTC\"}"}}}),
        ),
        ev("contentBlockStop", json!({"contentBlockIndex": 2})),
        ev("messageStop", json!({"stopReason": "tool_use"})),
        ev(
            "metadata",
            json!({"usage": {"inputTokens": 100, "outputTokens": 40, "totalTokens": 140}, "metrics": {"latencyMs": 1}}),
        ),
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::Text("Checking.".into()),
            StreamEvent::ToolCallStart {
                index: 0,
                id: "tooluse_a".into(),
                name: "get_weather".into()
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: "{\"city\":".into()
            },
            StreamEvent::ToolCallArgs {
                index: 0,
                fragment: "\"Paris\"}".into()
            },
            StreamEvent::ToolCallStart {
                index: 1,
                id: "tooluse_b".into(),
                name: "get_time".into()
            },
            StreamEvent::ToolCallArgs {
                index: 1,
                fragment: "{\"tz\":\"UTC\"}".into()
            },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage::new(100, 40)),
        ]
    );
}

#[test]
fn stream_reasoning_and_cache_usage() {
    let events = run(vec![
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me think"}}}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig"}}}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"text": "4"}}),
        ),
        ev("messageStop", json!({"stopReason": "max_tokens"})),
        ev(
            "metadata",
            json!({"usage": {"inputTokens": 2, "outputTokens": 3, "totalTokens": 15, "cacheReadInputTokens": 10}}),
        ),
    ]);
    let usage = Usage::new(12, 3).with_cached(Some(10));
    let usage = Usage {
        total_tokens: 15,
        ..usage
    };
    assert_eq!(
        events,
        vec![
            StreamEvent::Reasoning("Let me think".into()),
            StreamEvent::ReasoningSignature("sig".into()),
            StreamEvent::Text("4".into()),
            StreamEvent::Finish(FinishReason::Length),
            StreamEvent::Usage(usage),
        ]
    );
}

#[test]
fn stream_exception_ends_translation() {
    let events = run(vec![
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
        ),
        exception(
            "throttlingException",
            json!({"message": "Too many requests, please wait before trying again."}),
        ),
        ev(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "lo"}}),
        ),
    ]);
    assert_eq!(
        events,
        vec![
            StreamEvent::Text("Hel".into()),
            StreamEvent::Error {
                message: "Too many requests, please wait before trying again.".into(),
                kind: Some("throttlingException".into()),
            },
        ]
    );
}

#[test]
fn stream_model_error_uses_original_message_when_needed() {
    let events = run(vec![exception(
        "modelStreamErrorException",
        json!({"originalMessage": "model crashed", "originalStatusCode": 500}),
    )]);
    assert_eq!(
        events,
        vec![StreamEvent::Error {
            message: "model crashed".into(),
            kind: Some("modelStreamErrorException".into()),
        }]
    );
}

#[test]
fn stream_malformed_frames_are_errors_not_panics() {
    let mut t = ConverseStream::new();
    let mut out = Vec::new();
    let bad = Frame::Event(AwsEvent {
        event_type: Some("contentBlockDelta".into()),
        message_type: Some("event".into()),
        content_type: None,
        payload: b"{not json".to_vec(),
    });
    assert!(t.on_frame(bad, &mut out).is_err());
    // A tool delta for a block that never started.
    let orphan = ev(
        "contentBlockDelta",
        json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{}"}}}),
    );
    assert!(t.on_frame(orphan, &mut out).is_err());
    assert!(t
        .on_frame(
            Frame::Sse {
                event: None,
                data: "x".into()
            },
            &mut out
        )
        .is_err());
    // Unknown event types are ignored.
    t.on_frame(ev("somethingNew", json!({})), &mut out).unwrap();
    assert!(out.is_empty());
}

// ------------------------------------------------------------------ SigV4 hook

fn options(region: Option<&str>) -> ModelOptions {
    match region {
        Some(r) => serde_json::from_value(json!({"bedrock": {"aws_region": r}})).unwrap(),
        None => ModelOptions::default(),
    }
}

fn sign_with(
    opts: &ModelOptions,
    creds: &Credentials<'_>,
) -> Result<Vec<(String, String)>, ProxyError> {
    let env = FixedEnv::default();
    let ctx = RequestCtx {
        route: RouteType::Chat,
        model: "anthropic.claude-3-sonnet-20240229-v1:0",
        options: opts,
        stream: false,
        client_path: "/",
        env: &env,
        body_len: 0,
    };
    let target = UpstreamTarget {
        scheme: ai_proxy::providers::Scheme::Https,
        host: "bedrock-runtime.us-west-2.amazonaws.com".into(),
        port: 443,
        path: "/model/anthropic.claude-3-sonnet-20240229-v1%3A0/converse".into(),
        query: Vec::new(),
    };
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let out = Outgoing {
        method: "POST",
        target: &target,
        headers: &headers,
        body: br#"{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
    };
    Bedrock.sign(&out, creds, &ctx)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn sign_adds_a_well_formed_sigv4_authorization() {
    let creds = Credentials {
        aws_access_key_id: Some("AKIDEXAMPLE"),
        aws_secret_access_key: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        aws_session_token: None,
    };
    let h = sign_with(&options(Some("us-west-2")), &creds).unwrap();
    // FixedEnv: 1_700_000_000 = 2023-11-14T22:13:20Z.
    assert_eq!(header(&h, "X-Amz-Date"), Some("20231114T221320Z"));
    assert_eq!(header(&h, "X-Amz-Security-Token"), None);
    let auth = header(&h, "Authorization").unwrap();
    let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-west-2/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
    assert!(auth.starts_with(prefix), "{auth}");
    let sig = &auth[prefix.len()..];
    assert_eq!(sig.len(), 64);
    assert!(sig
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    for (_, v) in &h {
        assert!(!v.contains("wJalrXUtnFEMI"), "secret leaked into a header");
    }
}

#[test]
fn sign_with_session_token_signs_it() {
    let creds = Credentials {
        aws_access_key_id: Some("AKIDEXAMPLE"),
        aws_secret_access_key: Some("secret"),
        aws_session_token: Some("session-token"),
    };
    let h = sign_with(&options(Some("eu-central-1")), &creds).unwrap();
    assert_eq!(header(&h, "X-Amz-Security-Token"), Some("session-token"));
    let auth = header(&h, "Authorization").unwrap();
    assert!(auth.contains("/eu-central-1/bedrock/aws4_request, "));
    assert!(auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="));
}

#[test]
fn sign_without_keys_or_region_fails_before_proxying() {
    let failed = ProxyError::Internal("LLM request failed before proxying".into());
    let no_secret = Credentials {
        aws_access_key_id: Some("AKIDEXAMPLE"),
        aws_secret_access_key: Some(""),
        aws_session_token: None,
    };
    assert_eq!(
        sign_with(&options(Some("us-east-1")), &no_secret),
        Err(failed.clone())
    );
    let creds = Credentials {
        aws_access_key_id: Some("AKIDEXAMPLE"),
        aws_secret_access_key: Some("secret"),
        aws_session_token: None,
    };
    assert_eq!(sign_with(&options(None), &creds), Err(failed.clone()));
    assert_eq!(
        sign_with(&options(Some("us-east-1/evil")), &creds),
        Err(failed)
    );
}

/// The escaped model id (`%3A` on the wire) is encoded once more in the canonical URI, as SigV4
/// requires for every service but S3.
#[test]
fn bedrock_canonical_uri_double_encodes_the_model_id() {
    let headers = vec![(
        "Host".to_string(),
        "bedrock-runtime.us-east-1.amazonaws.com".to_string(),
    )];
    let creq = sigv4::canonical_request(&SignableRequest {
        method: "POST",
        path: "/model/anthropic.claude-3-sonnet-20240229-v1%3A0/converse",
        query: &[],
        headers: &headers,
        body: b"",
    });
    assert!(creq
        .text
        .starts_with("POST\n/model/anthropic.claude-3-sonnet-20240229-v1%253A0/converse\n\n"));
}

// ------------------------------------------------------------------ routing and decode errors

#[test]
fn preserve_keeps_the_client_path_on_the_bedrock_host() {
    let env = FixedEnv::default();
    let opts = options(Some("ap-northeast-1"));
    let ctx = RequestCtx {
        route: RouteType::Preserve,
        model: "",
        options: &opts,
        stream: false,
        client_path: "/model/cohere.rerank-v3-5%3A0/invoke",
        env: &env,
        body_len: 0,
    };
    let t = Bedrock.upstream(&ctx).unwrap();
    assert_eq!(t.host, "bedrock-runtime.ap-northeast-1.amazonaws.com");
    assert_eq!(t.port, 443);
    assert_eq!(t.path, "/model/cohere.rerank-v3-5%3A0/invoke");
}

#[test]
fn untranslatable_embeddings_answer_is_a_translate_error() {
    use ai_proxy::providers::ResponseCtx;
    let env = FixedEnv::default();
    let opts = ModelOptions::default();
    let ctx = ResponseCtx {
        route: RouteType::Embeddings,
        model: "amazon.titan-embed-text-v2:0",
        options: &opts,
        stream: false,
        env: &env,
    };
    assert!(Bedrock.decode(br#"{"message":"odd"}"#, &ctx).is_err());
    assert!(Bedrock.decode(b"not json", &ctx).is_err());
}

#[test]
fn stream_exception_recognised_by_name() {
    let events = run(vec![Frame::Event(AwsEvent {
        event_type: Some("validationException".into()),
        message_type: None,
        content_type: None,
        payload: br#"{"message":"The model returned the following errors: bad input"}"#.to_vec(),
    })]);
    assert_eq!(
        events,
        vec![StreamEvent::Error {
            message: "The model returned the following errors: bad input".into(),
            kind: Some("validationException".into()),
        }]
    );
}
