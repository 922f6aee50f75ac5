//! End-to-end: the real `ai_proxy.wasm` under real Envoy and both emulator profiles
//! (`devhost::envoy::scenario`) in front of the mock for the route groups beyond chat
//! (docs/routes.md): REST sub-paths and methods, multipart uploads forwarded byte for byte,
//! binary answers untouched, Azure's URL layout, usage analytics, images translated for
//! Gemini, Bedrock and DashScope, OpenAI's video jobs on Gemini's Veo (AI Studio, and Vertex AI
//! where the filter polls the job with a call of its own), refusals, and realtime
//! upgrades (routed by the filter; proxied by real Envoy, refused by the HTTP-only dev
//! gateway).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::{scenario, scenario_on, Gateway, GatewaySpec, TestHost};
use devhost::mock::{
    vertex_large_video, MockOptions, MockServer, DASHSCOPE_IMAGE_URL, FILE_CONTENT, IMAGE_B64,
    SPEECH_BYTES, VEO_FILE, VEO_REDIRECT, VEO_REDIRECT_FILE, VERTEX_GCS_URI, VIDEO_BYTES,
};
use devhost::testing::{http, HttpResponse};
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

/// A gateway on `host` running `cfg` in front of `mock` (Kong's body buffer at 1 MiB).
fn start(host: TestHost, cfg: &Value, mock: &MockServer) -> Gateway {
    host.gateway(&cfg.to_string(), &mock.url())
}

fn call(gw: &Gateway, method: &str, path: &str, ct: Option<&str>, body: &[u8]) -> HttpResponse {
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
    scenario("rest surfaces map methods sub paths and queries", |p| {
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
    });
}

#[test]
fn multipart_uploads_go_through_byte_for_byte() {
    scenario("multipart uploads go through byte for byte", |p| {
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
    });
}

#[test]
fn speech_and_images_on_openai_and_azure() {
    scenario("speech and images on openai and azure", |p| {
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
    });
}

#[test]
fn responses_pass_through_streamed_and_not() {
    scenario("responses pass through streamed and not", |p| {
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
    });
}

#[test]
fn realtime_upgrade_is_routed_then_proxied_or_refused_clearly() {
    scenario("realtime upgrade routed", |p| {
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
        // The filter's own checks come first: a pinned model.
        let r = http(gw.addr, "GET", "/v1/realtime?model=other", &h, b"").unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&r.body).unwrap(),
            json!({"error": {"message": "cannot use own model - must be: gpt-realtime"}}),
            "{p:?}"
        );
        assert!(mock.requests().is_empty(), "nothing reached the upstream");
        let r = http(gw.addr, "GET", "/v1/realtime", &h, b"").unwrap();
        if matches!(p, TestHost::RealEnvoy | TestHost::RealNginx) {
            // Real hosts proxy the upgrade (Envoy's listener has `upgrade_configs: websocket`)
            // to where the filter routed it, with its auth; the mock speaks no WebSocket and
            // answers 404, which the host passes back.
            let seen = mock.last().expect("the upgrade reached the upstream");
            assert_eq!(
                (
                    seen.method.as_str(),
                    seen.path.as_str(),
                    seen.query.as_str()
                ),
                ("GET", "/v1/realtime", "model=gpt-realtime")
            );
            assert_eq!(seen.header("authorization"), Some("Bearer sk-conf"));
            if p == TestHost::RealEnvoy {
                assert_eq!(seen.header("upgrade"), Some("websocket"));
            }
            // nginx drops hop-by-hop `Upgrade` unless its location sets it again
            // (`proxy_set_header Upgrade $http_upgrade`, see tests/devhost/README.md): the
            // routing is the filter's and the same; the upgrade itself is the host's setup.
            assert_eq!(r.status, 404, "{}", r.text());
            return;
        }
        // The dev gateway proxies HTTP only: a clear 400 that says where the filter routed it.
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
        assert!(mock.requests().is_empty(), "nothing reached the upstream");
    });
}

fn gemini(route: &str, model: &str) -> Value {
    json!({"route_type": route, "auth": {"header_name": "x-goog-api-key", "header_value": "g-key"},
        "logging": {"log_statistics": true},
        "model": {"provider": "gemini", "name": model}})
}

fn json_of(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.text()))
}

#[test]
fn images_translated_for_gemini_bedrock_and_dashscope() {
    scenario("images translated", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let req = json!({"prompt": "A cute baby sea otter", "n": 1, "size": "1024x1024"});
        let post = |gw: &Gateway| {
            call(
                gw,
                "POST",
                "/v1/images/generations",
                Some("application/json"),
                req.to_string().as_bytes(),
            )
        };

        let gw = start(
            p,
            &gemini("image/v1/images/generations", "gemini-2.5-flash-image"),
            &mock,
        );
        let r = post(&gw);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let v = json_of(&r);
        assert_eq!(v["data"], json!([{"b64_json": IMAGE_B64}]), "{p:?}: {v}");
        assert_eq!(v["usage"]["output_tokens"], json!(1290));
        let seen = mock.last().unwrap();
        assert_eq!(
            seen.path,
            "/v1beta/models/gemini-2.5-flash-image:generateContent"
        );
        assert_eq!(seen.header("x-goog-api-key"), Some("g-key"));
        assert_eq!(
            seen.json()["generationConfig"]["imageConfig"],
            json!({"aspectRatio": "1:1"})
        );

        let gw = start(
            p,
            &gemini("image/v1/images/generations", "imagen-4.0-generate-001"),
            &mock,
        );
        let r = post(&gw);
        assert_eq!(
            json_of(&r)["data"],
            json!([{"b64_json": IMAGE_B64}]),
            "{p:?}"
        );
        assert_eq!(
            mock.last().unwrap().path,
            "/v1beta/models/imagen-4.0-generate-001:predict"
        );

        let bedrock = json!({"route_type": "image/v1/images/generations",
            "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            "model": {"provider": "bedrock", "name": "amazon.nova-canvas-v1:0", "options": {"bedrock": {"aws_region": "us-east-1"}}}});
        let gw = start(p, &bedrock, &mock);
        let r = post(&gw);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(json_of(&r)["data"], json!([{"b64_json": IMAGE_B64}]));
        let seen = mock.last().unwrap();
        assert_eq!(seen.path, "/model/amazon.nova-canvas-v1%3A0/invoke");
        assert!(seen
            .header("authorization")
            .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 ")));
        assert_eq!(seen.json()["taskType"], json!("TEXT_IMAGE"));

        let dashscope = json!({"route_type": "image/v1/images/generations",
            "auth": {"header_name": "Authorization", "header_value": "Bearer sk-ds"},
            "model": {"provider": "dashscope", "name": "qwen-image"}});
        let gw = start(p, &dashscope, &mock);
        let r = post(&gw);
        assert_eq!(
            json_of(&r)["data"],
            json!([{"url": DASHSCOPE_IMAGE_URL}]),
            "{p:?}"
        );
        assert_eq!(
            mock.last().unwrap().path,
            "/api/v1/services/aigc/multimodal-generation/generation"
        );
    });
}

#[test]
fn image_edit_upload_is_translated_for_gemini() {
    scenario("image edit translated", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(
            p,
            &gemini("image/v1/images/edits", "gemini-2.5-flash-image"),
            &mock,
        );
        let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00];
        let form = multipart(&[("prompt", "Add a party hat")], ("image", &png));
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let r = call(&gw, "POST", "/v1/images/edits", Some(&ct), &form);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(json_of(&r)["data"], json!([{"b64_json": IMAGE_B64}]));
        let seen = mock.last().unwrap();
        assert_eq!(seen.header("content-type"), Some("application/json"));
        assert_eq!(
            seen.json()["contents"][0]["parts"][1],
            json!({"inlineData": {"mimeType": "application/octet-stream", "data": "iVBORw0KGgr/AA=="}})
        );
    });
}

#[test]
fn kong_listed_combinations_the_filter_cannot_serve_get_400() {
    let cfg = json!({"route_type": "llm/v1/batches",
        "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
        "model": {"provider": "bedrock", "options": {"bedrock": {"aws_region": "us-east-1"}}}});
    let refused = |r: &HttpResponse, p: TestHost| {
        assert_eq!(r.status, 400, "{p:?}: {}", r.text());
        let msg = json_of(r)["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains("S3"), "{msg}");
    };
    scenario("refused route types", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, &cfg, &mock);
        let r = call(&gw, "GET", "/v1/batches/batch_abc123", None, b"");
        refused(&r, p);
        assert!(mock.requests().is_empty());
    });
    // A create with a body, refused at its head: the 400 waits for the body (a reply before it
    // can reset the connection under the unread body, docs/hosts.md §10).
    scenario_on(&TestHost::ALL, "refused batch create", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(p, &cfg, &mock);
        let body = json!({"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
        let r = call(
            &gw,
            "POST",
            "/v1/batches",
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        refused(&r, p);
        assert!(mock.requests().is_empty());
    });
}

/// OpenAI's video job API on Gemini AI Studio (docs/routes.md "Video on Gemini"): create →
/// retrieve → download against the mock's Veo flow, the job id carrying the operation and
/// then the file.
#[test]
fn video_job_on_gemini_runs_on_veo_operations() {
    scenario("video on gemini", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let gw = start(
            p,
            &gemini("video/v1/videos/generations", "veo-3.0-generate-001"),
            &mock,
        );
        // Create (OpenAI "Create video", JSON).
        let r = call(
            &gw,
            "POST",
            "/v1/videos",
            Some("application/json"),
            br#"{"model": "veo-3.0-generate-001", "prompt": "A calico cat playing a piano", "seconds": "8", "size": "1280x720"}"#,
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let job = json_of(&r);
        assert_eq!(job["object"], "video", "{p:?}: {job}");
        assert_eq!(job["status"], "in_progress");
        assert_eq!(job["seconds"], "8");
        assert_eq!(job["size"], "1280x720");
        let seen = mock.last().unwrap();
        assert_eq!(
            seen.path,
            "/v1beta/models/veo-3.0-generate-001:predictLongRunning"
        );
        assert_eq!(seen.header("x-goog-api-key"), Some("g-key"));
        assert_eq!(
            seen.json(),
            json!({"instances": [{"prompt": "A calico cat playing a piano"}],
                "parameters": {"aspectRatio": "16:9", "durationSeconds": 8}})
        );

        // Retrieve: the operation, done, with the file in the new id.
        let id = job["id"].as_str().unwrap();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let done = json_of(&r);
        assert_eq!(done["status"], "completed", "{p:?}: {done}");
        assert_eq!(done["progress"], 100);
        assert_eq!(done["model"], "veo-3.0-generate-001");
        let seen = mock.last().unwrap();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            (
                "GET",
                "/v1beta/models/veo-3.0-generate-001/operations/mockop1"
            )
        );
        assert_eq!(seen.header("x-goog-api-key"), Some("g-key"));

        // The create answer's id names the job only; the completed one names the video.
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 400, "{p:?}: {}", r.text());
        let done_id = done["id"].as_str().unwrap();
        let r = call(
            &gw,
            "GET",
            &format!("/v1/videos/{done_id}/content?variant=video"),
            None,
            b"",
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(r.body, VIDEO_BYTES, "{p:?}: the bytes untouched");
        assert_eq!(header(&r, "content-type"), Some("video/mp4"));
        let seen = mock.last().unwrap();
        assert_eq!(seen.path, format!("/v1beta/files/{VEO_FILE}:download"));
        assert_eq!(seen.query, "alt=media");
        assert_eq!(seen.header("x-goog-api-key"), Some("g-key"));

        // A job still running: in progress, its id unchanged.
        let r = call(
            &gw,
            "POST",
            "/v1/videos",
            Some("application/json"),
            br#"{"prompt": "a slow one"}"#,
        );
        let id = json_of(&r)["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        let running = json_of(&r);
        assert_eq!(running["status"], "in_progress", "{p:?}: {running}");
        assert_eq!(running["id"], json!(id));

        // A filtered video: failed, with Veo's reason.
        let r = call(
            &gw,
            "POST",
            "/v1/videos",
            Some("application/json"),
            br#"{"prompt": "something blocked"}"#,
        );
        let id = json_of(&r)["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        let failed = json_of(&r);
        assert_eq!(failed["status"], "failed", "{p:?}: {failed}");
        assert_eq!(failed["error"]["code"], "moderation_blocked");

        // Google's download redirects to its storage host: the filter cannot follow it, the
        // 302 and its Location reach the client untouched (the client follows).
        let r = call(
            &gw,
            "POST",
            "/v1/videos",
            Some("application/json"),
            br#"{"prompt": "a redirect please"}"#,
        );
        let id = json_of(&r)["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        let id = json_of(&r)["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 302, "{p:?}: {}", r.text());
        assert_eq!(header(&r, "location"), Some(VEO_REDIRECT), "{p:?}");
        assert_eq!(
            mock.last().unwrap().path,
            format!("/v1beta/files/{VEO_REDIRECT_FILE}:download")
        );
    });
}

/// A Vertex AI video config whose own calls (the poll) go to `cluster`.
fn vertex_video(cluster: &str) -> Value {
    json!({"route_type": "video/v1/videos/generations",
        "auth": {"header_name": "Authorization", "header_value": "Bearer ya29.static"},
        "logging": {"log_statistics": true},
        "model": {"provider": "gemini", "name": "veo-3.0-generate-001",
            "options": {"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                "project_id": "test-project", "location_id": "us-central1",
                "vertex_cluster": cluster}}}})
}

/// A gateway on `host` running `cfg`, with the cluster `cluster` leading to `mock` too.
fn start_with_cluster(host: TestHost, cfg: &Value, mock: &MockServer, cluster: &str) -> Gateway {
    let spec =
        GatewaySpec::new(&cfg.to_string(), &mock.url()).with_clusters(&[(cluster, &mock.url())]);
    host.try_gateway(&spec)
        .unwrap_or_else(|e| panic!("{}: {e}", host.name()))
}

const VERTEX_MODEL: &str =
    "/v1/projects/test-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001";

/// OpenAI's video job API on Vertex AI (docs/routes.md "Video on Vertex AI"): the create is
/// forwarded to `:predictLongRunning`; a retrieve or download is a bodiless GET that the
/// filter answers from a `:fetchPredictOperation` POST it dispatches itself (an Envoy cluster,
/// a Kong `host:port`), here to the same mock.
#[test]
fn video_job_on_vertex_polls_with_a_call_of_the_filters_own() {
    scenario("video on vertex", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        // Real Envoy's cluster names are global to the test binary: one per mock.
        let cluster = format!("vertex-{}", mock.addr.port());
        let gw = start_with_cluster(p, &vertex_video(&cluster), &mock, &cluster);
        let create = |prompt: &str| {
            let r = call(
                &gw,
                "POST",
                "/v1/videos",
                Some("application/json"),
                json!({"prompt": prompt, "seconds": "8", "size": "1280x720"})
                    .to_string()
                    .as_bytes(),
            );
            assert_eq!(r.status, 200, "{p:?}: {}", r.text());
            json_of(&r)
        };
        let job = create("A calico cat playing a piano");
        assert_eq!(job["status"], "in_progress", "{p:?}: {job}");
        let seen = mock.last().unwrap();
        assert_eq!(seen.path, format!("{VERTEX_MODEL}:predictLongRunning"));
        assert_eq!(seen.header("authorization"), Some("Bearer ya29.static"));
        assert_eq!(
            seen.json(),
            json!({"instances": [{"prompt": "A calico cat playing a piano"}],
                "parameters": {"aspectRatio": "16:9", "durationSeconds": 8}})
        );

        // Retrieve: the filter's own POST, answered as the video object.
        let id = job["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(
            header(&r, "content-type"),
            Some("application/json"),
            "{p:?}"
        );
        let done = json_of(&r);
        assert_eq!(done["status"], "completed", "{p:?}: {done}");
        assert_eq!(
            done["id"],
            json!(id),
            "{p:?}: a Vertex id names the job only"
        );
        assert_eq!(done["model"], "veo-3.0-generate-001");
        let seen = mock.last().unwrap();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            (
                "POST",
                format!("{VERTEX_MODEL}:fetchPredictOperation").as_str()
            ),
            "{p:?}"
        );
        assert_eq!(
            seen.json(),
            json!({"operationName": format!("projects/test-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/mockop1")})
        );
        assert_eq!(
            seen.header("authorization"),
            Some("Bearer ya29.static"),
            "{p:?}"
        );
        assert_eq!(
            seen.header("host"),
            Some("us-central1-aiplatform.googleapis.com"),
            "{p:?}"
        );
        assert_eq!(
            seen.header("content-type"),
            Some("application/json"),
            "{p:?}"
        );

        // Download: the same poll, the inline video decoded.
        let before = mock.requests().len();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        // ngx_wasm_module ends every local reply's body with a line feed (docs/hosts.md §10).
        let body = match p {
            TestHost::RealNginx | TestHost::EmuKong => r.body.strip_suffix(b"\n").unwrap_or(&[]),
            _ => &r.body[..],
        };
        assert_eq!(body, VIDEO_BYTES, "{p:?}");
        assert_eq!(header(&r, "content-type"), Some("video/mp4"), "{p:?}");
        assert_eq!(
            mock.requests().len(),
            before + 1,
            "{p:?}: one poll, nothing forwarded"
        );

        // Still running; filtered; left in Cloud Storage.
        let id = create("a slow one")["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        assert_eq!(json_of(&r)["status"], "in_progress", "{p:?}");
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 409, "{p:?}: {}", r.text());
        let id = create("something blocked")["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        let failed = json_of(&r);
        assert_eq!(failed["status"], "failed", "{p:?}: {failed}");
        assert_eq!(failed["error"]["code"], "moderation_blocked");
        let id = create("to storage")["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 409, "{p:?}: {}", r.text());
        assert!(r.text().contains(VERTEX_GCS_URI), "{p:?}: {}", r.text());

        // A video of real size (6 MiB, 8 MiB of base64 in the poll answer).
        let id = create("a large one")["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}/content"), None, b"");
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let body = match p {
            TestHost::RealNginx | TestHost::EmuKong => r.body.strip_suffix(b"\n").unwrap_or(&[]),
            _ => &r.body[..],
        };
        assert!(
            body == vertex_large_video(),
            "{p:?}: {} bytes",
            r.body.len()
        );

        // A retrieve that carries a body (no client's business, but HTTP allows it): the
        // reply made from the poll waits until that body is read (docs/hosts.md §10).
        let r = call(
            &gw,
            "GET",
            &format!("/v1/videos/{id}"),
            Some("text/plain"),
            b"ignored",
        );
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(json_of(&r)["status"], "completed", "{p:?}");

        // The provider's error answer: its status and body.
        let forged = {
            use base64::Engine;
            let op = "projects/test-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/nosuchop";
            format!(
                "video_{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(format!("{op}\n1700000000\n4\n720x1280\n"))
            )
        };
        let r = call(&gw, "GET", &format!("/v1/videos/{forged}"), None, b"");
        assert_eq!(r.status, 404, "{p:?}: {}", r.text());
        assert_eq!(json_of(&r)["error"]["status"], "NOT_FOUND", "{p:?}");
    });
}

/// The poll's target does not exist: 503 naming it and the field. Real Envoy refuses an
/// unknown cluster at once; real nginx fails when the name does not resolve (the test config's
/// resolver answers nothing). The emulator sends calls to unknown targets to its upstream, so
/// it is not run here.
#[test]
fn video_poll_to_a_missing_vertex_cluster_is_503_naming_it() {
    let hosts: Vec<TestHost> = TestHost::all()
        .into_iter()
        .filter(|h| matches!(h, TestHost::RealEnvoy | TestHost::RealNginx))
        .collect();
    scenario_on(&hosts, "video on vertex, no cluster", |p| {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let cluster = format!("vertex-{}", mock.addr.port());
        let missing = match p {
            TestHost::RealNginx => "no-such-host.invalid:8080",
            _ => "no-such-cluster",
        };
        let gw = start_with_cluster(p, &vertex_video(missing), &mock, &cluster);
        let r = call(
            &gw,
            "POST",
            "/v1/videos",
            Some("application/json"),
            br#"{"prompt": "waves"}"#,
        );
        let id = json_of(&r)["id"].as_str().unwrap().to_string();
        let r = call(&gw, "GET", &format!("/v1/videos/{id}"), None, b"");
        assert_eq!(r.status, 503, "{p:?}: {}", r.text());
        let msg = json_of(&r)["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            msg.contains(&format!("'{missing}'"))
                && msg.contains("model.options.gemini.vertex_cluster"),
            "{p:?}: {msg}"
        );
        assert!(!msg.contains("ya29"), "{msg}");
    });
}
