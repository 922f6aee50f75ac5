//! The route types forwarded to OpenAI-shaped APIs (docs/routes.md) through the host-free
//! exchange: client method + path + body → upstream URL, auth and body, per route type and
//! provider. Request shapes are the examples of OpenAI's API reference (Files, Batch,
//! Assistants, Responses, Audio, Images, Videos, Realtime) and Azure OpenAI's REST reference
//! (deployment URLs with `api-version`, `/openai/files`, `/openai/v1/responses`).

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
use serde_json::{json, Value};

fn config(route: &str, provider: &str, name: Option<&str>) -> Value {
    let mut model = json!({"provider": provider});
    if let Some(n) = name {
        model["name"] = json!(n);
    }
    let auth = match provider {
        "azure" => json!({"header_name": "api-key", "header_value": "az-key"}),
        _ => json!({"header_name": "Authorization", "header_value": "Bearer sk-conf"}),
    };
    if provider == "azure" {
        model["options"] = json!({"azure_instance": "inst", "azure_deployment_id": "dep",
            "azure_api_version": "2025-04-01-preview"});
    }
    json!({"route_type": route, "auth": auth, "model": model, "logging": {"log_statistics": true}})
}

fn exchange(config: &Value) -> Exchange {
    let cfg = Config::parse(config.to_string().as_bytes()).expect("config");
    ai_proxy::exchange::check_config(&cfg).expect("check_config");
    Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()))
}

/// What happened to one request: forwarded at the head (body streamed, never held), after
/// the body, or answered locally.
#[derive(Debug)]
enum Sent {
    AtHead(RequestEdits),
    AfterBody(RequestEdits),
    Reply(LocalReply),
}

impl Sent {
    fn edits(&self) -> &RequestEdits {
        match self {
            Sent::AtHead(e) | Sent::AfterBody(e) => e,
            Sent::Reply(r) => panic!(
                "local reply {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
        }
    }
    fn url(&self) -> String {
        let e = self.edits();
        format!(
            "{}://{}{}",
            e.target.scheme.as_str(),
            e.target.authority(),
            e.path_and_query()
        )
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.edits()
            .set_headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn reply(&self) -> (u16, Value) {
        match self {
            Sent::Reply(r) => (r.status, serde_json::from_slice(&r.body).unwrap()),
            other => panic!("forwarded: {other:?}"),
        }
    }
}

fn send_raw(ex: &mut Exchange, method: &str, path: &str, ct: Option<&str>, body: &[u8]) -> Sent {
    let mut h = vec![("content-length".to_string(), body.len().to_string())];
    if let Some(ct) = ct {
        h.push(("content-type".into(), ct.into()));
    }
    if path.contains("realtime") {
        h.push(("upgrade".into(), "websocket".into()));
        h.push(("connection".into(), "Upgrade".into()));
    }
    match ex.on_request_head(RequestHead {
        method,
        path,
        headers: &h,
    }) {
        HeadStep::Reply(r) => Sent::Reply(r),
        HeadStep::Forward(e) => Sent::AtHead(e),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => match ex.on_request_body(body) {
            Ok(e) => Sent::AfterBody(e),
            Err(r) => Sent::Reply(r),
        },
    }
}

fn send(cfg: &Value, method: &str, path: &str, body: Option<Value>) -> Sent {
    let mut ex = exchange(cfg);
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let ct = (!bytes.is_empty()).then_some("application/json");
    send_raw(&mut ex, method, path, ct, &bytes)
}

const BOUNDARY: &str = "----sdkboundary7MA4YWxk";

fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0, file.1
        )
        .as_bytes(),
    );
    b.extend_from_slice(file.2);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn form_ct() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

// ---------- REST surfaces: sub-paths, methods, query strings ----------

#[test]
fn openai_rest_sub_paths_keep_method_path_and_query() {
    for (route, method, path, want) in [
        (
            "llm/v1/files",
            "GET",
            "/v1/files/file-abc123/content",
            "/v1/files/file-abc123/content",
        ),
        (
            "llm/v1/files",
            "GET",
            "/v1/files?purpose=batch&limit=2",
            "/v1/files?purpose=batch&limit=2",
        ),
        (
            "llm/v1/files",
            "DELETE",
            "/v1/files/file-abc123",
            "/v1/files/file-abc123",
        ),
        (
            "llm/v1/batches",
            "POST",
            "/v1/batches/batch_abc123/cancel",
            "/v1/batches/batch_abc123/cancel",
        ),
        (
            "llm/v1/batches",
            "GET",
            "/batches/batch_abc123",
            "/v1/batches/batch_abc123",
        ),
        (
            "llm/v1/assistants",
            "GET",
            "/v1/assistants?order=desc&limit=20",
            "/v1/assistants?order=desc&limit=20",
        ),
        (
            "llm/v1/assistants",
            "DELETE",
            "/v1/assistants/asst_abc123",
            "/v1/assistants/asst_abc123",
        ),
        (
            "llm/v1/assistants",
            "GET",
            "/v1/threads/thread_abc/runs",
            "/v1/threads/thread_abc/runs",
        ),
        (
            "llm/v1/responses",
            "GET",
            "/v1/responses/resp_123/input_items",
            "/v1/responses/resp_123/input_items",
        ),
        (
            "llm/v1/responses",
            "DELETE",
            "/gw/responses/resp_123",
            "/v1/responses/resp_123",
        ),
        (
            "video/v1/videos/generations",
            "GET",
            "/v1/videos/video_123/content",
            "/v1/videos/video_123/content",
        ),
    ] {
        let s = send(&config(route, "openai", None), method, path, None);
        assert!(
            matches!(s, Sent::AtHead(_)),
            "{route} {method} {path}: {s:?}"
        );
        assert_eq!(
            s.url(),
            format!("https://api.openai.com{want}"),
            "{route} {method} {path}"
        );
        assert_eq!(s.header("authorization"), Some("Bearer sk-conf"));
        assert_eq!(s.edits().body, None);
    }
}

#[test]
fn assistants_get_the_beta_header_unless_the_client_sent_one() {
    let s = send(
        &config("llm/v1/assistants", "openai", None),
        "GET",
        "/v1/assistants",
        None,
    );
    assert_eq!(s.header("openai-beta"), Some("assistants=v2"));
    let s = send(
        &config("llm/v1/files", "openai", None),
        "GET",
        "/v1/files",
        None,
    );
    assert_eq!(s.header("openai-beta"), None);
}

#[test]
fn batches_create_is_streamed_through_without_being_held() {
    // OpenAI API reference, "Create batch".
    let body = json!({"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let s = send(
        &config("llm/v1/batches", "openai", None),
        "POST",
        "/v1/batches",
        Some(body),
    );
    assert!(matches!(s, Sent::AtHead(_)));
    assert_eq!(s.url(), "https://api.openai.com/v1/batches");
}

#[test]
fn file_upload_is_forwarded_at_the_head_unchanged() {
    // OpenAI API reference, "Upload file": purpose + file.
    let mut ex = exchange(&config("llm/v1/files", "openai", None));
    let body = multipart(
        &[("purpose", "batch")],
        ("file", "batch.jsonl", b"{\"custom_id\":\"r1\"}\n"),
    );
    let s = send_raw(&mut ex, "POST", "/v1/files", Some(&form_ct()), &body);
    assert!(matches!(s, Sent::AtHead(_)));
    assert_eq!(s.url(), "https://api.openai.com/v1/files");
    assert_eq!(s.edits().body, None);
    assert_eq!(
        s.header("content-type"),
        None,
        "the multipart boundary is kept"
    );
}

// ---------- JSON bodies with a model: pinning, filling, limits ----------

#[test]
fn responses_create_pins_the_model() {
    // OpenAI API reference, "Create a model response".
    let body = json!({"model": "gpt-4.1", "input": "Tell me a three sentence bedtime story about a unicorn."});
    let cfg = config("llm/v1/responses", "openai", Some("gpt-4.1"));
    let s = send(&cfg, "POST", "/v1/responses", Some(body.clone()));
    assert!(matches!(s, Sent::AfterBody(_)));
    assert_eq!(s.url(), "https://api.openai.com/v1/responses");
    assert_eq!(s.edits().body, None, "a body with its model goes unchanged");
    let mut other = body;
    other["model"] = json!("o3");
    let (status, err) = send(&cfg, "POST", "/v1/responses", Some(other)).reply();
    assert_eq!(status, 400);
    assert_eq!(
        err,
        json!({"error": {"message": "cannot use own model - must be: gpt-4.1"}})
    );
}

#[test]
fn a_create_without_model_gets_the_configured_one() {
    // OpenAI API reference, "Create image" and "Create speech".
    for (route, path, body) in [
        (
            "image/v1/images/generations",
            "/v1/images/generations",
            json!({"prompt": "A cute baby sea otter", "n": 1, "size": "1024x1024"}),
        ),
        (
            "audio/v1/audio/speech",
            "/v1/audio/speech",
            json!({"input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"}),
        ),
    ] {
        let s = send(
            &config(route, "openai", Some("m-conf")),
            "POST",
            path,
            Some(body.clone()),
        );
        let sent: Value = serde_json::from_slice(s.edits().body.as_ref().unwrap()).unwrap();
        let mut want = body;
        want["model"] = json!("m-conf");
        assert_eq!(sent, want, "{route}");
        assert_eq!(s.url(), format!("https://api.openai.com{path}"));
    }
}

#[test]
fn json_errors_and_limits() {
    let cfg = config("image/v1/images/generations", "openai", None);
    let mut ex = exchange(&cfg);
    let s = send_raw(
        &mut ex,
        "POST",
        "/v1/images/generations",
        Some("application/json"),
        b"{nope",
    );
    assert_eq!(s.reply().0, 400);
    let mut small = cfg.clone();
    small["max_request_body_size"] = json!(16);
    let s = send(
        &small,
        "POST",
        "/v1/images/generations",
        Some(json!({"prompt": "a long prompt here"})),
    );
    assert_eq!(s.reply().0, 413);
    let mut deny = config("llm/v1/responses", "openai", None);
    deny["response_streaming"] = json!("deny");
    let s = send(
        &deny,
        "POST",
        "/v1/responses",
        Some(json!({"model": "m", "input": "x", "stream": true})),
    );
    assert_eq!(
        s.reply(),
        (
            400,
            json!({"error": {"message": "response streaming is not enabled for this LLM"}})
        )
    );
}

// ---------- multipart: model read from the form, bytes unchanged ----------

#[test]
fn multipart_model_is_pinned_and_the_body_is_not_rewritten() {
    // OpenAI API reference, "Create transcription": file + model.
    let cfg = config(
        "audio/v1/audio/transcriptions",
        "openai",
        Some("gpt-4o-transcribe"),
    );
    let audio = b"ID3\x03\x00\x00\x00\x00\x00\x21\xff\xfb\x90\x64";
    let good = multipart(
        &[("model", "gpt-4o-transcribe")],
        ("file", "audio.mp3", audio),
    );
    let mut ex = exchange(&cfg);
    let s = send_raw(
        &mut ex,
        "POST",
        "/v1/audio/transcriptions",
        Some(&form_ct()),
        &good,
    );
    assert!(matches!(s, Sent::AfterBody(_)));
    assert_eq!(s.edits().body, None);
    assert_eq!(s.url(), "https://api.openai.com/v1/audio/transcriptions");
    let bad = multipart(&[("model", "whisper-1")], ("file", "audio.mp3", audio));
    let mut ex = exchange(&cfg);
    let s = send_raw(
        &mut ex,
        "POST",
        "/v1/audio/transcriptions",
        Some(&form_ct()),
        &bad,
    );
    assert_eq!(
        s.reply(),
        (
            400,
            json!({"error": {"message": "cannot use own model - must be: gpt-4o-transcribe"}})
        )
    );
}

#[test]
fn multipart_over_the_limit_is_forwarded_unread() {
    let mut cfg = config("image/v1/images/edits", "openai", Some("gpt-image-1"));
    cfg["max_request_body_size"] = json!(64);
    let body = multipart(
        &[("model", "dall-e-2"), ("prompt", "add a hat")],
        ("image", "a.png", &[0x89; 200]),
    );
    let mut ex = exchange(&cfg);
    let s = send_raw(&mut ex, "POST", "/v1/images/edits", Some(&form_ct()), &body);
    assert!(
        matches!(s, Sent::AtHead(_)),
        "never held beyond max_request_body_size"
    );
    assert_eq!(s.url(), "https://api.openai.com/v1/images/edits");
}

// ---------- Azure layout ----------

#[test]
fn azure_paths_per_route_group() {
    let v = "api-version=2025-04-01-preview";
    for (route, method, path, want) in [
        (
            "audio/v1/audio/speech",
            "POST",
            "/v1/audio/speech",
            format!("/openai/deployments/dep/audio/speech?{v}"),
        ),
        (
            "audio/v1/audio/transcriptions",
            "POST",
            "/v1/audio/transcriptions",
            format!("/openai/deployments/dep/audio/transcriptions?{v}"),
        ),
        (
            "audio/v1/audio/translations",
            "POST",
            "/v1/audio/translations",
            format!("/openai/deployments/dep/audio/translations?{v}"),
        ),
        (
            "image/v1/images/generations",
            "POST",
            "/v1/images/generations",
            format!("/openai/deployments/dep/images/generations?{v}"),
        ),
        (
            "image/v1/images/edits",
            "POST",
            "/v1/images/edits",
            format!("/openai/deployments/dep/images/edits?{v}"),
        ),
        (
            "llm/v1/files",
            "GET",
            "/v1/files/file-1/content",
            format!("/openai/files/file-1/content?{v}"),
        ),
        (
            "llm/v1/batches",
            "POST",
            "/v1/batches/b1/cancel",
            format!("/openai/batches/b1/cancel?{v}"),
        ),
        (
            "llm/v1/assistants",
            "GET",
            "/v1/assistants?limit=5",
            format!("/openai/assistants?limit=5&{v}"),
        ),
        (
            "llm/v1/responses",
            "GET",
            "/v1/responses/resp_1",
            format!("/openai/v1/responses/resp_1?{v}"),
        ),
        (
            "video/v1/videos/generations",
            "GET",
            "/v1/videos/task_1",
            format!("/openai/v1/video/generations/jobs/task_1?{v}"),
        ),
    ] {
        let s = send(&config(route, "azure", None), method, path, None);
        assert_eq!(
            s.url(),
            format!("https://inst.openai.azure.com{want}"),
            "{route}"
        );
        assert_eq!(s.header("api-key"), Some("az-key"));
    }
    // The client's api-version wins (Kong).
    let s = send(
        &config("llm/v1/files", "azure", None),
        "GET",
        "/v1/files?api-version=2024-10-21",
        None,
    );
    assert_eq!(
        s.url(),
        "https://inst.openai.azure.com/openai/files?api-version=2024-10-21"
    );
}

// ---------- realtime ----------

#[test]
fn realtime_upgrade_is_routed_and_authenticated() {
    let s = send(
        &config("realtime/v1/realtime", "openai", Some("gpt-realtime")),
        "GET",
        "/v1/realtime",
        None,
    );
    assert!(matches!(s, Sent::AtHead(_)));
    assert_eq!(
        s.url(),
        "https://api.openai.com/v1/realtime?model=gpt-realtime"
    );
    assert_eq!(s.header("authorization"), Some("Bearer sk-conf"));
    let s = send(
        &config("realtime/v1/realtime", "openai", None),
        "GET",
        "/v1/realtime?model=gpt-4o-realtime-preview",
        None,
    );
    assert_eq!(
        s.url(),
        "https://api.openai.com/v1/realtime?model=gpt-4o-realtime-preview"
    );
    let s = send(
        &config("realtime/v1/realtime", "openai", Some("gpt-realtime")),
        "GET",
        "/v1/realtime?model=other",
        None,
    );
    assert_eq!(s.reply().0, 400);
    let s = send(
        &config("realtime/v1/realtime", "azure", None),
        "GET",
        "/openai/realtime",
        None,
    );
    assert_eq!(
        s.url(),
        "https://inst.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep"
    );
    // Without the upgrade: a clear 400.
    let mut ex = exchange(&config("realtime/v1/realtime", "openai", None));
    let h = vec![("content-length".to_string(), "0".to_string())];
    match ex.on_request_head(RequestHead {
        method: "GET",
        path: "/v1/rt",
        headers: &h,
    }) {
        HeadStep::Reply(r) => {
            assert_eq!(r.status, 400);
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(
                v,
                json!({"error": {"message": "realtime/v1/realtime expects a WebSocket upgrade request (Upgrade: websocket)"}})
            );
        }
        other => panic!("{other:?}"),
    }
}

// ---------- providers ----------

#[test]
fn xai_serves_responses_and_image_generations() {
    let s = send(
        &config("llm/v1/responses", "xai", Some("grok-4")),
        "POST",
        "/v1/responses",
        Some(json!({"input": "hi"})),
    );
    assert_eq!(s.url(), "https://api.x.ai/v1/responses");
    let s = send(
        &config("image/v1/images/generations", "xai", Some("grok-2-image")),
        "POST",
        "/v1/images/generations",
        Some(json!({"prompt": "cat"})),
    );
    assert_eq!(s.url(), "https://api.x.ai/v1/images/generations");
}

#[test]
fn providers_without_the_route_are_refused_at_configure_time() {
    for (route, provider) in [
        ("audio/v1/audio/speech", "anthropic"),
        ("llm/v1/files", "xai"),
        ("image/v1/images/edits", "xai"),
        ("llm/v1/batches", "cohere"),
    ] {
        let mut c = config(route, provider, Some("m"));
        c["model"]["options"] = json!({"anthropic_version": "2023-06-01"});
        let cfg = Config::parse(c.to_string().as_bytes()).expect("parses");
        assert_eq!(
            ai_proxy::exchange::check_config(&cfg).unwrap_err(),
            format!("route_type '{route}' is not supported by provider '{provider}'")
        );
    }
}

// ---------- answers: binary pass-through, usage in Kong's fields ----------

fn answer(ex: &mut Exchange, ct: &str, body: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let edits = ex.on_response_head(200, &[("content-type".into(), ct.into())]);
    let step = ex.on_response_body(body, true);
    (
        edits.set_headers,
        step.replace.unwrap_or_else(|| body.to_vec()),
    )
}

#[test]
fn speech_audio_passes_through_untouched() {
    let cfg = config("audio/v1/audio/speech", "openai", Some("tts-1"));
    let mut ex = exchange(&cfg);
    let _ = send_raw(
        &mut ex,
        "POST",
        "/v1/audio/speech",
        Some("application/json"),
        br#"{"input":"hi","voice":"alloy"}"#,
    );
    let mp3 = [0xff_u8, 0xfb, 0x90, 0x64, 0x00, 0x0f, 0xf0];
    let (set, out) = answer(&mut ex, "audio/mpeg", &mp3);
    assert_eq!(out, mp3);
    assert!(
        !set.iter().any(|(k, _)| k == "content-type"),
        "content type kept: {set:?}"
    );
    let a = ex.analytics_json().unwrap();
    assert_eq!(a["ai"]["proxy"]["meta"]["request_model"], json!("tts-1"));
}

#[test]
fn responses_and_images_usage_in_kongs_fields() {
    // OpenAI API reference: the response object's usage, and "Create image" (gpt-image-1) usage.
    let cases = [
        (
            "llm/v1/responses",
            "/v1/responses",
            json!({"id": "resp_1", "object": "response", "model": "gpt-4.1-2025-04-14", "status": "completed",
                "output": [], "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}}),
            (36, 87),
        ),
        (
            "image/v1/images/generations",
            "/v1/images/generations",
            json!({"created": 1713833628, "data": [{"b64_json": "aGk="}],
                "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}}),
            (50, 50),
        ),
    ];
    for (route, path, upstream, (p, c)) in cases {
        let mut ex = exchange(&config(route, "openai", Some("m")));
        let _ = send_raw(
            &mut ex,
            "POST",
            path,
            Some("application/json"),
            br#"{"model":"m","prompt":"x","input":"x"}"#,
        );
        let bytes = upstream.to_string().into_bytes();
        let (_, out) = answer(&mut ex, "application/json", &bytes);
        assert_eq!(out, bytes, "{route}: answer unchanged");
        let a = ex.analytics_json().unwrap();
        let u = &a["ai"]["proxy"]["usage"];
        assert_eq!(
            (u["prompt_tokens"].as_u64(), u["completion_tokens"].as_u64()),
            (Some(p), Some(c)),
            "{route}"
        );
        assert_eq!(u["input_tokens"], upstream["usage"]["input_tokens"]);
        assert_eq!(
            u["input_tokens_details"],
            upstream["usage"]["input_tokens_details"]
        );
    }
}

#[test]
fn streamed_responses_usage_comes_from_response_completed() {
    let mut ex = exchange(&config("llm/v1/responses", "openai", Some("gpt-4.1")));
    let _ = send_raw(
        &mut ex,
        "POST",
        "/v1/responses",
        Some("application/json"),
        br#"{"input":"x","stream":true}"#,
    );
    // OpenAI API reference, streaming events: response.created … response.completed.
    let sse = concat!(
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n",
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi\"}\n\n",
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4.1-2025-04-14\",\"status\":\"completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1,\"total_tokens\":6}}}\n\n",
    );
    let _ = ex.on_response_head(200, &[("content-type".into(), "text/event-stream".into())]);
    for b in sse.as_bytes().chunks(7) {
        let step = ex.on_response_body(b, false);
        assert_eq!(step.replace, None, "stream bytes pass through");
    }
    let _ = ex.on_response_body(b"", true);
    let a = ex.analytics_json().unwrap();
    assert_eq!(a["ai"]["proxy"]["usage"]["prompt_tokens"], json!(5));
    assert_eq!(a["ai"]["proxy"]["usage"]["completion_tokens"], json!(1));
    assert_eq!(a["ai"]["proxy"]["meta"]["request_mode"], json!("stream"));
}
