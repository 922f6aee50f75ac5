//! Image routes on providers whose image API is not OpenAI's (docs/routes.md "Images on other
//! providers"), and the route types Kong lists that the filter refuses per request, through
//! the host-free exchange. Every request starts from OpenAI's "Create image" / "Create image
//! edit" shape; the provider bodies and answers are the examples of each provider's public
//! reference, named in each case. Compared as JSON values.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, LocalReply, RequestEdits, RequestHead};
use base64::Engine;
use serde_json::{json, Value};

mod support;
use support::edits::{body as body_json, header, url};

/// `FixedEnv`'s clock: the `created` of every translated answer.
const NOW: u64 = 1_700_000_000;

fn config(route: &str, provider: &str, model: &str) -> Value {
    let (auth, options) = match provider {
        "gemini" => (
            json!({"header_name": "x-goog-api-key", "header_value": "g-key"}),
            json!({}),
        ),
        "vertex" => (
            json!({"header_name": "Authorization", "header_value": "Bearer ya29.token"}),
            json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                "project_id": "my-project", "location_id": "us-central1"}}),
        ),
        "bedrock" => (
            json!({"aws_access_key_id": "AKIDEXAMPLE",
                "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
            json!({"bedrock": {"aws_region": "us-east-1"}}),
        ),
        _ => (
            json!({"header_name": "Authorization", "header_value": "Bearer sk-conf"}),
            json!({}),
        ),
    };
    let provider = if provider == "vertex" {
        "gemini"
    } else {
        provider
    };
    json!({"route_type": route, "auth": auth, "logging": {"log_statistics": true},
        "model": {"provider": provider, "name": model, "options": options}})
}

fn exchange(cfg: &Value) -> Exchange {
    let cfg = Config::parse(cfg.to_string().as_bytes()).expect("config");
    ai_proxy::exchange::check_config(&cfg).expect("check_config");
    Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()))
}

fn send(ex: &mut Exchange, ct: &str, body: &[u8]) -> Result<RequestEdits, LocalReply> {
    let h = vec![
        ("content-length".to_string(), body.len().to_string()),
        ("content-type".to_string(), ct.to_string()),
    ];
    let path = "/v1/images/generations";
    match ex.on_request_head(RequestHead {
        method: "POST",
        path,
        headers: &h,
    }) {
        HeadStep::Reply(r) => Err(r),
        HeadStep::Forward(e) => panic!("forwarded at the head: {e:?}"),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => ex.on_request_body(body),
    }
}

fn reply(r: &LocalReply) -> (u16, String) {
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    (
        r.status,
        v["error"]["message"].as_str().unwrap().to_string(),
    )
}

/// The provider's 2xx answer through the exchange: (status, body as JSON).
fn answer(ex: &mut Exchange, upstream: &Value) -> (u16, Value) {
    let _ = ex.on_response_head(200, &[("content-type".into(), "application/json".into())]);
    let step = ex.on_response_body(upstream.to_string().as_bytes(), true);
    let out = step.replace.expect("a translated answer");
    (
        step.status.unwrap_or(200),
        serde_json::from_slice(&out).unwrap(),
    )
}

fn generate(provider: &str, model: &str, request: Value) -> (Exchange, RequestEdits) {
    let mut ex = exchange(&config("image/v1/images/generations", provider, model));
    let e = send(&mut ex, "application/json", request.to_string().as_bytes())
        .unwrap_or_else(|r| panic!("{}: {:?}", provider, reply(&r)));
    (ex, e)
}

// ---------- Gemini (AI Studio and Vertex) ----------

#[test]
fn gemini_image_model_generate_content() {
    // OpenAI API reference, "Create image": prompt, n, size.
    let (mut ex, e) = generate(
        "gemini",
        "gemini-2.5-flash-image",
        json!({"model": "gemini-2.5-flash-image", "prompt": "A cute baby sea otter", "n": 1, "size": "1536x1024"}),
    );
    assert_eq!(
        url(&e),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
    );
    assert_eq!(header(&e, "x-goog-api-key"), Some("g-key"));
    assert_eq!(header(&e, "content-type"), Some("application/json"));
    // Gemini API "Image generation" (REST): text part, image output, imageConfig.aspectRatio.
    assert_eq!(
        body_json(&e),
        json!({"contents": [{"role": "user", "parts": [{"text": "A cute baby sea otter"}]}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": "3:2"}}})
    );
    // Gemini API "Image generation" response: a text part and an inlineData PNG; usage from
    // usageMetadata (1290 output tokens per image, as Google documents).
    let upstream = json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "Here is your otter."},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]},
            "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 1290, "totalTokenCount": 1296,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 6}],
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]},
        "modelVersion": "gemini-2.5-flash-image"});
    let (status, out) = answer(&mut ex, &upstream);
    assert_eq!(status, 200);
    // OpenAI API reference, "The image generation response".
    assert_eq!(
        out,
        json!({"created": NOW, "data": [{"b64_json": "iVBORw0KGgo="}], "output_format": "png",
            "usage": {"input_tokens": 6, "input_tokens_details": {"text_tokens": 6, "image_tokens": 0},
                "output_tokens": 1290, "total_tokens": 1296}})
    );
    let a = ex.analytics_json().unwrap();
    assert_eq!(a["ai"]["proxy"]["usage"]["prompt_tokens"], json!(6));
    assert_eq!(a["ai"]["proxy"]["usage"]["completion_tokens"], json!(1290));
    assert_eq!(
        a["ai"]["proxy"]["meta"]["request_model"],
        json!("gemini-2.5-flash-image")
    );
}

#[test]
fn gemini_generation_config_passes_through_as_kong_documents() {
    // Kong's how-to "Use Gemini's imageConfig with AI Proxy": generationConfig.imageConfig
    // in an images/generations body reaches Gemini.
    let (_, e) = generate(
        "gemini",
        "gemini-3-pro-image-preview",
        json!({"prompt": "Generate a simple red circle on white background", "n": 1,
            "generationConfig": {"imageConfig": {"aspectRatio": "4:3", "imageSize": "1k"}}}),
    );
    assert_eq!(
        body_json(&e)["generationConfig"],
        json!({"responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "4:3", "imageSize": "1k"}})
    );
}

#[test]
fn gemini_blocked_prompt_is_a_transformation_error() {
    let (mut ex, _) = generate(
        "gemini",
        "gemini-2.5-flash-image",
        json!({"prompt": "something"}),
    );
    // Gemini API reference, GenerateContentResponse.promptFeedback.blockReason.
    let (status, out) = answer(
        &mut ex,
        &json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 3}}),
    );
    assert_eq!(status, 500);
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("no image in the answer (blockReason: SAFETY)"),
        "{msg}"
    );
}

#[test]
fn imagen_predict_on_ai_studio_and_vertex() {
    // Gemini API "Imagen" (REST): instances[].prompt, parameters.sampleCount.
    let (mut ex, e) = generate(
        "gemini",
        "imagen-4.0-generate-001",
        json!({"prompt": "Robot holding a red skateboard", "n": 4, "response_format": "url"}),
    );
    assert_eq!(
        url(&e),
        "https://generativelanguage.googleapis.com/v1beta/models/imagen-4.0-generate-001:predict"
    );
    assert_eq!(
        body_json(&e),
        json!({"instances": [{"prompt": "Robot holding a red skateboard"}], "parameters": {"sampleCount": 4}})
    );
    // Imagen response: predictions[].bytesBase64Encoded with mimeType. `response_format: url`
    // is answered with data: URLs (the bytes have no URL of their own).
    let (_, out) = answer(
        &mut ex,
        &json!({"predictions": [{"mimeType": "image/png", "bytesBase64Encoded": "aGVsbG8="},
            {"mimeType": "image/png", "bytesBase64Encoded": "d29ybGQ="}]}),
    );
    assert_eq!(
        out,
        json!({"created": NOW, "output_format": "png", "data": [
            {"url": "data:image/png;base64,aGVsbG8="}, {"url": "data:image/png;base64,d29ybGQ="}]})
    );

    // Vertex AI "Imagen API" reference: the same body on the publisher model's :predict.
    let (_, e) = generate(
        "vertex",
        "imagen-3.0-generate-002",
        json!({"prompt": "A lighthouse", "size": "1792x1024", "output_format": "jpeg"}),
    );
    assert_eq!(
        url(&e),
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/us-central1/publishers/google/models/imagen-3.0-generate-002:predict"
    );
    assert_eq!(header(&e, "authorization"), Some("Bearer ya29.token"));
    assert_eq!(
        body_json(&e),
        json!({"instances": [{"prompt": "A lighthouse"}], "parameters": {"sampleCount": 1,
            "aspectRatio": "16:9", "outputOptions": {"mimeType": "image/jpeg"}}})
    );
}

#[test]
fn vertex_gemini_image_model() {
    let (_, e) = generate(
        "vertex",
        "gemini-2.5-flash-image",
        json!({"prompt": "A lighthouse"}),
    );
    assert_eq!(
        url(&e),
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash-image:generateContent"
    );
    assert_eq!(
        body_json(&e),
        json!({"contents": [{"role": "user", "parts": [{"text": "A lighthouse"}]}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}})
    );
}

// ---------- Bedrock ----------

#[test]
fn bedrock_nova_canvas_text_image() {
    let (mut ex, e) = generate(
        "bedrock",
        "amazon.nova-canvas-v1:0",
        json!({"prompt": "A stylized picture of a cute old steampunk robot.", "n": 2,
            "size": "1024x1024", "quality": "hd", "seed": 12}),
    );
    assert_eq!(
        url(&e),
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-canvas-v1%3A0/invoke"
    );
    assert!(header(&e, "authorization")
        .unwrap()
        .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    // Amazon Nova user guide, "Image generation request and response structure" (TEXT_IMAGE).
    assert_eq!(
        body_json(&e),
        json!({"taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "A stylized picture of a cute old steampunk robot."},
            "imageGenerationConfig": {"numberOfImages": 2, "width": 1024, "height": 1024,
                "quality": "premium", "seed": 12}})
    );
    // Response: {"images": [base64…], "error": …}.
    let (status, out) = answer(
        &mut ex,
        &json!({"images": ["aGVsbG8=", "d29ybGQ="], "error": null}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        out,
        json!({"created": NOW, "output_format": "png",
            "data": [{"b64_json": "aGVsbG8="}, {"b64_json": "d29ybGQ="}]})
    );
}

#[test]
fn bedrock_stability_text_to_image_and_filtered_answer() {
    let (mut ex, e) = generate(
        "bedrock",
        "stability.stable-image-ultra-v1:1",
        json!({"prompt": "A car made out of vegetables.", "size": "1792x1024", "output_format": "png"}),
    );
    assert_eq!(
        url(&e),
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/stability.stable-image-ultra-v1%3A1/invoke"
    );
    // Bedrock user guide, "Stability AI Stable Image Ultra" request: prompt, aspect_ratio,
    // output_format.
    assert_eq!(
        body_json(&e),
        json!({"prompt": "A car made out of vegetables.", "aspect_ratio": "16:9", "output_format": "png"})
    );
    // Response: seeds, finish_reasons (null when the image is fine), images.
    let (_, out) = answer(
        &mut ex,
        &json!({"seeds": [2130420379], "finish_reasons": [null], "images": ["aGVsbG8="]}),
    );
    assert_eq!(out["data"], json!([{"b64_json": "aGVsbG8="}]));

    let (mut ex, _) = generate(
        "bedrock",
        "stability.sd3-5-large-v1:0",
        json!({"prompt": "x"}),
    );
    let (status, out) = answer(
        &mut ex,
        &json!({"seeds": [1], "finish_reasons": ["Filter reason: prompt"], "images": []}),
    );
    assert_eq!(status, 500);
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no image in the answer (finish_reasons: Filter reason: prompt)"));

    // One image per Stability request.
    let mut ex = exchange(&config(
        "image/v1/images/generations",
        "bedrock",
        "stability.sd3-5-large-v1:0",
    ));
    let r = send(&mut ex, "application/json", br#"{"prompt":"x","n":2}"#).unwrap_err();
    assert_eq!(
        reply(&r),
        (
            400,
            "Stability models on bedrock make one image per request: 'n' must be 1".into()
        )
    );
}

#[test]
fn bedrock_model_without_an_image_body_is_400() {
    let mut ex = exchange(&config(
        "image/v1/images/generations",
        "bedrock",
        "anthropic.claude-3-haiku-20240307-v1:0",
    ));
    let r = send(&mut ex, "application/json", br#"{"prompt":"x"}"#).unwrap_err();
    assert_eq!(r.status, 400);
}

// ---------- DashScope ----------

#[test]
fn dashscope_qwen_image() {
    let (mut ex, e) = generate(
        "dashscope",
        "qwen-image",
        json!({"prompt": "A coffee shop entrance with a chalkboard sign", "size": "1328x1328"}),
    );
    assert_eq!(
        url(&e),
        "https://dashscope-intl.aliyuncs.com/api/v1/services/aigc/multimodal-generation/generation"
    );
    assert_eq!(header(&e, "authorization"), Some("Bearer sk-conf"));
    // Alibaba Cloud Model Studio, "Qwen-Image API reference" (synchronous call).
    assert_eq!(
        body_json(&e),
        json!({"model": "qwen-image", "input": {"messages": [{"role": "user",
            "content": [{"text": "A coffee shop entrance with a chalkboard sign"}]}]},
            "parameters": {"size": "1328*1328"}})
    );
    let upstream = json!({"output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant",
            "content": [{"image": "https://dashscope-result-wlcb.oss-cn-wulanchabu.aliyuncs.com/xxx.png?Expires=xxx"}]}}],
            "task_metric": {"TOTAL": 1, "FAILED": 0, "SUCCEEDED": 1}},
        "usage": {"width": 1328, "image_count": 1, "height": 1328},
        "request_id": "d0250a3d-b07f-49e1-bdc8-6793f4929xxx"});
    let (_, out) = answer(&mut ex, &upstream);
    assert_eq!(
        out,
        json!({"created": NOW, "data": [{"url": "https://dashscope-result-wlcb.oss-cn-wulanchabu.aliyuncs.com/xxx.png?Expires=xxx"}]})
    );
}

// ---------- edits (multipart) ----------

const BOUNDARY: &str = "----imgEditBoundary";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00];

fn form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, bytes) in files {
        b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{k}.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn edit(provider: &str, model: &str, body: &[u8]) -> Result<RequestEdits, LocalReply> {
    let mut ex = exchange(&config("image/v1/images/edits", provider, model));
    send(
        &mut ex,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
    )
}

#[test]
fn edits_on_gemini_and_bedrock() {
    let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
    // OpenAI API reference, "Create image edit": image file(s), prompt (model in the form).
    let body = form(
        &[
            ("model", "gemini-2.5-flash-image"),
            ("prompt", "Add a party hat"),
        ],
        &[("image[]", PNG)],
    );
    let e = edit("gemini", "gemini-2.5-flash-image", &body).unwrap();
    // Gemini API "Image editing (text-and-image-to-image)": text and inlineData parts.
    assert_eq!(
        body_json(&e),
        json!({"contents": [{"role": "user", "parts": [{"text": "Add a party hat"},
            {"inlineData": {"mimeType": "image/png", "data": b64}}]}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}})
    );
    assert_eq!(header(&e, "content-type"), Some("application/json"));

    let body = form(&[("prompt", "Make it blue")], &[("image", PNG)]);
    let e = edit("bedrock", "amazon.nova-canvas-v1:0", &body).unwrap();
    // Amazon Nova user guide, IMAGE_VARIATION request.
    assert_eq!(
        body_json(&e),
        json!({"taskType": "IMAGE_VARIATION",
            "imageVariationParams": {"text": "Make it blue", "images": [b64]},
            "imageGenerationConfig": {"numberOfImages": 1}})
    );

    // A mask follows OpenAI's convention (transparent = edit), which these APIs do not share.
    let body = form(&[("prompt", "x")], &[("image", PNG), ("mask", PNG)]);
    let r = edit("gemini", "gemini-2.5-flash-image", &body).unwrap_err();
    assert_eq!(r.status, 400);
    assert!(reply(&r).1.contains("'mask' is not supported"));
    // Pinning reads the form's model.
    let body = form(&[("model", "other"), ("prompt", "x")], &[("image", PNG)]);
    let r = edit("gemini", "gemini-2.5-flash-image", &body).unwrap_err();
    assert_eq!(
        reply(&r),
        (
            400,
            "cannot use own model - must be: gemini-2.5-flash-image".into()
        )
    );
    // No image file.
    let body = form(&[("prompt", "x")], &[]);
    let r = edit("gemini", "gemini-2.5-flash-image", &body).unwrap_err();
    assert_eq!(
        reply(&r),
        (400, "an image edit needs at least one 'image' file".into())
    );
}

#[test]
fn translated_requests_are_held_whole_and_never_streamed() {
    let mut cfg = config("image/v1/images/edits", "gemini", "gemini-2.5-flash-image");
    cfg["max_request_body_size"] = json!(64);
    let mut ex = exchange(&cfg);
    let body = form(&[("prompt", "x")], &[("image", &[0u8; 100])]);
    let r = send(
        &mut ex,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &body,
    )
    .unwrap_err();
    assert_eq!(r.status, 413, "an upload to translate must fit the limit");

    let mut ex = exchange(&config(
        "image/v1/images/generations",
        "gemini",
        "gemini-2.5-flash-image",
    ));
    let r = send(
        &mut ex,
        "application/json",
        br#"{"prompt":"x","stream":true}"#,
    )
    .unwrap_err();
    assert_eq!(
        reply(&r),
        (
            400,
            "streaming is not supported by gemini for image/v1/images/generations".into()
        )
    );
    let mut ex = exchange(&config(
        "image/v1/images/generations",
        "gemini",
        "gemini-2.5-flash-image",
    ));
    let r = send(&mut ex, "application/json", br#"{"n":1}"#).unwrap_err();
    assert_eq!(reply(&r), (400, "'prompt' is required".into()));
}

#[test]
fn upstream_errors_pass_through() {
    let (mut ex, _) = generate("gemini", "gemini-2.5-flash-image", json!({"prompt": "x"}));
    // Gemini API error shape.
    let err = json!({"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}});
    let _ = ex.on_response_head(400, &[("content-type".into(), "application/json".into())]);
    let step = ex.on_response_body(err.to_string().as_bytes(), true);
    assert_eq!(step.replace, None, "error bytes untouched");
}

// ---------- refused per request ----------

#[test]
fn kong_combinations_a_filter_cannot_serve_load_and_answer_400_with_the_reason() {
    for (route, provider, model, path, why) in [
        ("llm/v1/batches", "bedrock", "m", "/v1/batches", "S3"),
        ("llm/v1/files", "bedrock", "m", "/v1/files", "no Files API"),
        (
            "llm/v1/batches",
            "gemini",
            "m",
            "/v1/batches",
            "llm_format: gemini",
        ),
        ("llm/v1/files", "gemini", "m", "/v1/files", "resumable"),
        ("llm/v1/files", "vertex", "m", "/v1/files", "Cloud Storage"),
        (
            "llm/v1/batches",
            "anthropic",
            "claude-sonnet-4-20250514",
            "/v1/batches",
            "inline",
        ),
        (
            "video/v1/videos/generations",
            "bedrock",
            "amazon.nova-reel-v1:0",
            "/v1/videos",
            "S3",
        ),
        (
            "realtime/v1/realtime",
            "gemini",
            "gemini-live-2.5-flash",
            "/v1/realtime",
            "WebSocket frames",
        ),
    ] {
        let mut cfg = config(route, provider, model);
        if provider == "anthropic" {
            cfg["model"]["options"] = json!({"anthropic_version": "2023-06-01"});
        }
        let mut ex = exchange(&cfg);
        let h = vec![
            ("content-length".to_string(), "2".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ];
        let step = ex.on_request_head(RequestHead {
            method: "POST",
            path,
            headers: &h,
        });
        // Refused at the head, answered once the client's body is read (and dropped).
        assert!(
            matches!(step, HeadStep::WaitBody { early: None }),
            "{route} on {provider}: {step:?}"
        );
        let Err(r) = ex.on_request_body(b"{}") else {
            panic!("{route} on {provider}: not refused");
        };
        let (status, msg) = reply(&r);
        assert_eq!(status, 400, "{route} on {provider}");
        assert!(
            msg.starts_with(route) && msg.contains(why),
            "{route} on {provider}: {msg}"
        );
    }
}

/// A refusal decided at the head waits for the body only when one follows; a body declared
/// over `max_request_body_size` is refused at once (reading it is what the limit avoids).
#[test]
fn head_refusals_wait_for_a_body_only_when_one_follows() {
    use ai_proxy::exchange::BodySignal;
    let mut cfg = config(
        "video/v1/videos/generations",
        "bedrock",
        "amazon.nova-reel-v1:0",
    );
    cfg["max_request_body_size"] = json!(1024);
    let head = |h: &[(String, String)], signal| {
        let mut ex = exchange(&cfg);
        let step = ex.on_request_head_signalled(
            RequestHead {
                method: "POST",
                path: "/v1/videos",
                headers: h,
            },
            signal,
        );
        (ex, step)
    };
    let h = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];

    // No body: Kong reads it from the headers, Envoy from end_of_stream.
    for (headers, signal) in [
        (h("content-length", "0"), BodySignal::FromHeaders),
        (vec![], BodySignal::FromHeaders),
        (h("content-length", "2"), BodySignal::Follows(false)),
    ] {
        let (_, step) = head(&headers, signal);
        let HeadStep::Reply(r) = step else {
            panic!("{headers:?} {signal:?}: {step:?}");
        };
        assert_eq!(reply(&r).0, 400);
    }
    // A body follows: chunked on Kong, or Envoy's word.
    for (headers, signal) in [
        (h("Transfer-Encoding", "chunked"), BodySignal::FromHeaders),
        (vec![], BodySignal::Follows(true)),
    ] {
        let (mut ex, step) = head(&headers, signal);
        assert!(
            matches!(step, HeadStep::WaitBody { early: None }),
            "{step:?}"
        );
        assert!(
            ex.deferred_reply_now(1024).is_none(),
            "within the limit: keep reading"
        );
        let r = ex
            .deferred_reply_now(1025)
            .expect("past the limit: answer now");
        assert_eq!(reply(&r).0, 400);
    }
    // Declared over the limit: 413 at once.
    let mut chat = config("llm/v1/chat", "openai", "gpt-4o");
    chat["max_request_body_size"] = json!(1024);
    let mut ex = exchange(&chat);
    let step = ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/chat/completions",
        headers: &h("content-length", "4096"),
    });
    let HeadStep::Reply(r) = step else {
        panic!("{step:?}");
    };
    assert_eq!(reply(&r).0, 413);
}
