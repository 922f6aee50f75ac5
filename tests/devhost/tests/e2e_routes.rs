//! End-to-end: the real `ai_proxy.wasm` in `ai-gateway` (both profiles) in front of the mock
//! for the route groups beyond chat (docs/routes.md): REST sub-paths and methods, multipart
//! uploads forwarded byte for byte, binary answers untouched, Azure's URL layout, usage
//! analytics, and realtime upgrades (routed by the filter, refused by this HTTP-only host).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::client::Target;
use devhost::gateway::{self, GatewayConfig, RunningGateway};
use devhost::mock::{MockOptions, MockServer, FILE_CONTENT, SPEECH_BYTES, VIDEO_BYTES};
use devhost::testing::{self, http, HttpResponse};
use devhost::{HostOptions, Profile};
use serde_json::{json, Value};

fn openai(route: &str, model: Option<&str>) -> Value {
    let mut m = json!({"provider": "openai"});
    if let Some(n) = model {
        m["name"] = json!(n);
    }
    json!({"route_type": route, "auth": {"header_name": "Authorization", "header_value": "Bearer sk-conf"}, "model": m})
}

fn azure(route: &str) -> Value {
    json!({"route_type": route, "auth": {"header_name": "api-key", "header_value": "az-key"},
        "model": {"provider": "azure", "options": {"azure_instance": "inst", "azure_deployment_id": "dep",
            "azure_api_version": "2025-04-01-preview"}}})
}

fn start(profile: Profile, cfg: &Value, mock: &MockServer) -> RunningGateway {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let mut opts = HostOptions::with_config(profile, cfg.to_string());
    opts.client_body_buffer_size = 1 << 20;
    let gc = GatewayConfig {
        module,
        opts,
        upstream_override: Some(Target::from_url(&mock.url()).unwrap()),
        clusters: Vec::new(),
        log_json: false,
        quiet: true,
    };
    gateway::spawn(gc).unwrap_or_else(|e| panic!("{profile:?}: {e}"))
}

fn call(
    gw: &RunningGateway,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: &[u8],
) -> HttpResponse {
    let mut h = Vec::new();
    if let Some(ct) = ct {
        h.push(("content-type", ct));
    }
    http(gw.addr, method, path, &h, body).unwrap()
}

fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const BOUNDARY: &str = "e2eBoundary9x";

fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n", file.0).as_bytes(),
    );
    b.extend_from_slice(file.1);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

#[test]
fn rest_surfaces_map_methods_sub_paths_and_queries() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let files = start(p, &openai("llm/v1/files", None), &mock);
        let r = call(&files, "GET", "/v1/files/file-abc123/content", None, b"");
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(r.body, FILE_CONTENT, "{p:?}: file content untouched");
        assert_eq!(header(&r, "content-type"), Some("application/octet-stream"));
        let seen = mock.last().unwrap();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("GET", "/v1/files/file-abc123/content")
        );
        assert_eq!(seen.header("authorization"), Some("Bearer sk-conf"));
        let r = call(&files, "DELETE", "/v1/files/file-abc123", None, b"");
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap()["deleted"],
            json!(true)
        );

        let batches = start(p, &openai("llm/v1/batches", None), &mock);
        let body = json!({"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
        let r = call(
            &batches,
            "POST",
            "/batches",
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(mock.last().unwrap().path, "/v1/batches");
        assert_eq!(
            mock.last().unwrap().json(),
            body,
            "batch body forwarded unchanged"
        );
        let r = call(
            &batches,
            "POST",
            "/v1/batches/batch_abc123/cancel",
            None,
            b"",
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap()["status"],
            json!("cancelling")
        );

        let assistants = start(p, &openai("llm/v1/assistants", Some("gpt-4o")), &mock);
        let r = call(
            &assistants,
            "GET",
            "/v1/assistants?order=desc&limit=20",
            None,
            b"",
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let seen = mock.last().unwrap();
        assert_eq!(seen.query, "order=desc&limit=20");
        assert_eq!(seen.header("openai-beta"), Some("assistants=v2"));

        let video = start(
            p,
            &openai("video/v1/videos/generations", Some("sora-2")),
            &mock,
        );
        let r = call(&video, "GET", "/v1/videos/video_123/content", None, b"");
        assert_eq!(r.body, VIDEO_BYTES, "{p:?}: video bytes untouched");
        assert_eq!(header(&r, "content-type"), Some("video/mp4"));
    }
}

#[test]
fn multipart_uploads_go_through_byte_for_byte() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let upload = multipart(
            &[("purpose", "batch")],
            ("file", b"{\"custom_id\":\"r1\"}\n\xff"),
        );
        let files = start(p, &openai("llm/v1/files", None), &mock);
        let r = call(&files, "POST", "/v1/files", Some(&ct), &upload);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let seen = mock.last().unwrap();
        assert_eq!(seen.body, upload, "{p:?}: upload unchanged");
        assert_eq!(seen.header("content-type"), Some(ct.as_str()));

        let stt = start(
            p,
            &openai("audio/v1/audio/transcriptions", Some("whisper-1")),
            &mock,
        );
        let audio = multipart(
            &[("model", "whisper-1")],
            ("file", &[0xff, 0xfb, 0x00, 0x80]),
        );
        let r = call(&stt, "POST", "/v1/audio/transcriptions", Some(&ct), &audio);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(mock.last().unwrap().body, audio);
        assert_eq!(header(&r, "x-kong-llm-model"), Some("openai/whisper-1"));
        let other = multipart(&[("model", "gpt-4o-transcribe")], ("file", &[0xff]));
        let r = call(&stt, "POST", "/v1/audio/transcriptions", Some(&ct), &other);
        assert_eq!(r.status, 400);
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap(),
            json!({"error": {"message": "cannot use own model - must be: whisper-1"}})
        );
    }
}

#[test]
fn speech_and_images_on_openai_and_azure() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let speech =
            json!({"input": "The quick brown fox jumped over the lazy dog.", "voice": "alloy"});
        let gw = start(p, &openai("audio/v1/audio/speech", Some("tts-1")), &mock);
        let r = call(
            &gw,
            "POST",
            "/v1/audio/speech",
            Some("application/json"),
            speech.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(r.body, SPEECH_BYTES, "{p:?}: audio untouched");
        assert_eq!(header(&r, "content-type"), Some("audio/mpeg"));
        assert_eq!(
            mock.last().unwrap().json()["model"],
            json!("tts-1"),
            "configured model filled in"
        );

        let gw = start(p, &azure("image/v1/images/generations"), &mock);
        let img = json!({"prompt": "A cute baby sea otter", "n": 1, "size": "1024x1024"});
        let r = call(
            &gw,
            "POST",
            "/v1/images/generations",
            Some("application/json"),
            img.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let seen = mock.last().unwrap();
        assert_eq!(seen.path, "/openai/deployments/dep/images/generations");
        assert_eq!(seen.query, "api-version=2025-04-01-preview");
        assert_eq!(seen.header("api-key"), Some("az-key"));
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap()["data"][0]["b64_json"],
            json!("aGVsbG8=")
        );

        let gw = start(p, &azure("llm/v1/files"), &mock);
        let r = call(&gw, "GET", "/v1/files/file-1/content", None, b"");
        assert_eq!(r.body, FILE_CONTENT);
        assert_eq!(mock.last().unwrap().path, "/openai/files/file-1/content");
    }
}

#[test]
fn responses_pass_through_streamed_and_not() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, &openai("llm/v1/responses", Some("gpt-4.1")), &mock);
        let body = json!({"model": "gpt-4.1", "input": "Hi"});
        let r = call(
            &gw,
            "POST",
            "/v1/responses",
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            v["output"][0]["content"][0]["text"],
            json!("Hello! How can I help you today?")
        );
        let stream = json!({"model": "gpt-4.1", "input": "Hi", "stream": true});
        let r = call(
            &gw,
            "POST",
            "/v1/responses",
            Some("application/json"),
            stream.to_string().as_bytes(),
        );
        let text = r.text();
        assert!(text.contains("event: response.completed"), "{p:?}: {text}");
        assert!(
            !text.contains("[DONE]"),
            "no chat-completions framing added"
        );
        let r = call(&gw, "GET", "/v1/responses/resp_42", None, b"");
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap()["id"],
            json!("resp_42")
        );
        let r = call(
            &gw,
            "POST",
            "/v1/responses",
            Some("application/json"),
            br#"{"model":"o3","input":"x"}"#,
        );
        assert_eq!(r.status, 400);
    }
}

#[test]
fn realtime_upgrade_is_routed_then_refused_clearly_by_this_http_only_host() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(
            p,
            &openai("realtime/v1/realtime", Some("gpt-realtime")),
            &mock,
        );
        let h = [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        let r = http(gw.addr, "GET", "/v1/realtime", &h, b"").unwrap();
        assert_eq!(r.status, 400, "{p:?}: {}", r.text());
        let msg = serde_json::from_slice::<Value>(&r.body).unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(msg.contains("WebSocket upgrades are not proxied"), "{msg}");
        assert!(
            msg.ends_with("/v1/realtime?model=gpt-realtime); use Envoy for realtime"),
            "{msg}"
        );
        // The filter's own checks come first: a pinned model.
        let r = http(gw.addr, "GET", "/v1/realtime?model=other", &h, b"").unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap(),
            json!({"error": {"message": "cannot use own model - must be: gpt-realtime"}})
        );
        assert!(mock.requests().is_empty(), "nothing reached the upstream");
    }
}
