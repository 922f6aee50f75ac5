//! `video/v1/videos/generations` on Gemini, AI Studio and Vertex AI (docs/routes.md "Video on
//! Gemini"): OpenAI's video job API (create, retrieve, download) over Veo's long-running
//! operations, through the host-free exchange. Client requests follow OpenAI's API reference
//! ("Videos": create, retrieve, retrieve content); AI Studio's upstream bodies and answers
//! follow the Gemini API's "Generate videos with Veo" page (REST tab) and its long-running
//! operation reference; Vertex AI's follow Google Cloud's "Veo on Vertex AI API" reference
//! (`:predictLongRunning`, `:fetchPredictOperation` and its answer). Compared as JSON values.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{
    CallAnswer, Exchange, HeadStep, HostCall, LocalReply, RequestEdits, RequestHead,
};
use ai_proxy::routes::videos::VideoId;
use serde_json::{json, Value};

mod support;
use support::edits::{body as body_json, header, url};

/// `FixedEnv`'s clock: the `created_at` of a new job.
const NOW: u64 = 1_700_000_000;

/// The operation name of the Gemini API page's example answer shape.
const OP: &str = "models/veo-3.0-generate-001/operations/2b1vx0yks1nw";

fn config(model: &str, vertex: bool) -> Value {
    let options = if vertex {
        json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
            "project_id": "my-project", "location_id": "us-central1"}})
    } else {
        json!({})
    };
    // Vertex AI takes an OAuth token (`Authorization: Bearer`), AI Studio an API key.
    let auth = if vertex {
        json!({"header_name": "Authorization", "header_value": "Bearer ya29.vx-token"})
    } else {
        json!({"header_name": "x-goog-api-key", "header_value": "g-key"})
    };
    json!({"route_type": "video/v1/videos/generations",
        "auth": auth,
        "logging": {"log_statistics": true},
        "model": {"provider": "gemini", "name": model, "options": options}})
}

fn exchange(cfg: &Value) -> Exchange {
    let cfg = Config::parse(cfg.to_string().as_bytes()).expect("config");
    ai_proxy::exchange::check_config(&cfg).expect("check_config");
    Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()))
}

fn message(r: &LocalReply) -> (u16, String) {
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    (
        r.status,
        v["error"]["message"].as_str().unwrap().to_string(),
    )
}

/// A create: the upstream request, or the local reply.
fn create(ex: &mut Exchange, ct: &str, body: &[u8]) -> Result<RequestEdits, LocalReply> {
    let h = vec![
        ("content-length".to_string(), body.len().to_string()),
        ("content-type".to_string(), ct.to_string()),
    ];
    match ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/videos",
        headers: &h,
    }) {
        HeadStep::Reply(r) => Err(r),
        HeadStep::Forward(e) => panic!("forwarded at the head: {e:?}"),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => ex.on_request_body(body),
    }
}

/// A bodiless GET: forwarded at the head, or refused (after the head or the empty body).
fn get(ex: &mut Exchange, path: &str) -> Result<RequestEdits, LocalReply> {
    match ex.on_request_head(RequestHead {
        method: "GET",
        path,
        headers: &[],
    }) {
        HeadStep::Forward(e) => Ok(e),
        HeadStep::Reply(r) => Err(r),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => ex.on_request_body(b"").map(|e| panic!("{e:?}")),
    }
}

/// A bodiless GET on Vertex AI: the poll the filter makes itself, or the local reply.
fn poll(ex: &mut Exchange, path: &str) -> Result<HostCall, LocalReply> {
    match ex.on_request_head(RequestHead {
        method: "GET",
        path,
        headers: &[],
    }) {
        HeadStep::Call(c) => Ok(c),
        HeadStep::Reply(r) => Err(r),
        step => panic!("{path}: {step:?}"),
    }
}

/// The answer to the filter's poll, with a JSON body, as the reply to the client.
fn polled(ex: &mut Exchange, status: u16, body: &Value) -> LocalReply {
    ex.on_call_answer(&CallAnswer {
        status: Some(status),
        failure: None,
        target: "us-central1-aiplatform.googleapis.com".into(),
        headers: vec![(
            "content-type".into(),
            "application/json; charset=UTF-8".into(),
        )],
        body: body.to_string().into_bytes(),
    })
}

fn json_reply(r: &LocalReply) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("not JSON: {r:?}"))
}

/// The provider's 2xx answer through the exchange.
fn answer(ex: &mut Exchange, upstream: &Value) -> Value {
    let _ = ex.on_response_head(200, &[("content-type".into(), "application/json".into())]);
    let step = ex.on_response_body(upstream.to_string().as_bytes(), true);
    assert_eq!(step.status, None, "{step:?}");
    serde_json::from_slice(&step.replace.expect("a translated answer")).unwrap()
}

fn job_id(file: Option<&str>) -> VideoId {
    VideoId {
        operation: OP.into(),
        created_at: NOW,
        seconds: "8".into(),
        size: "1280x720".into(),
        file: file.map(str::to_string),
    }
}

/// The OpenAI video object the gateway answers (OpenAI reference, "The video object").
fn video(id: &VideoId, status: &str, progress: u8, error: Value) -> Value {
    json!({"id": id.encode(), "object": "video", "model": "veo-3.0-generate-001",
        "status": status, "progress": progress, "created_at": NOW, "completed_at": null,
        "expires_at": null, "seconds": id.seconds, "size": id.size,
        "remixed_from_video_id": null, "error": error})
}

#[test]
fn create_json_becomes_predict_long_running() {
    // (Vertex mode, upstream URL, auth header, operation the answer names, the job's id).
    // AI Studio: the Gemini API's "Generate videos with Veo", REST; Vertex AI: "Veo on Vertex
    // AI API", HTTP request (POST …/publishers/google/models/MODEL_ID:predictLongRunning).
    let modes = [
        (
            false,
            "https://generativelanguage.googleapis.com/v1beta/models/veo-3.0-generate-001:predictLongRunning".to_string(),
            ("x-goog-api-key", "g-key"),
            OP,
            job_id(None),
        ),
        (
            true,
            format!("{VX_BASE}:predictLongRunning"),
            ("authorization", "Bearer ya29.vx-token"),
            VX_OP,
            vx_id(),
        ),
    ];
    for (vertex, want_url, (auth, key), op, id) in modes {
        let mut ex = exchange(&config("veo-3.0-generate-001", vertex));
        // OpenAI "Create video": model, prompt, seconds (a string), size.
        let e = create(
            &mut ex,
            "application/json",
            json!({"model": "veo-3.0-generate-001", "prompt": "A calico cat playing a piano on stage",
                "seconds": "8", "size": "1280x720", "negative_prompt": "cartoon, low quality"})
            .to_string()
            .as_bytes(),
        )
        .unwrap_or_else(|r| panic!("{:?}", message(&r)));
        assert_eq!(url(&e), want_url);
        assert_eq!(header(&e, auth), Some(key));
        assert_eq!(header(&e, "content-type"), Some("application/json"));
        // Both references: instances[].prompt and parameters aspectRatio / negativePrompt
        // (+ durationSeconds from the parameter tables).
        assert_eq!(
            body_json(&e),
            json!({"instances": [{"prompt": "A calico cat playing a piano on stage"}],
                "parameters": {"aspectRatio": "16:9", "durationSeconds": 8,
                    "negativePrompt": "cartoon, low quality"}})
        );
        // The references' answer: the operation's name.
        let out = answer(&mut ex, &json!({"name": op}));
        assert_eq!(out, video(&id, "in_progress", 0, Value::Null));
        let summary = ex.analytics_json().unwrap();
        assert_eq!(
            summary["ai"]["proxy"]["meta"]["request_model"],
            "veo-3.0-generate-001"
        );
    }
    // An operation name of the other mode is not an answer of this one.
    for (vertex, op) in [(true, OP), (false, VX_OP)] {
        let mut ex = exchange(&config("veo-3.0-generate-001", vertex));
        create(&mut ex, "application/json", br#"{"prompt": "waves"}"#).unwrap();
        let _ = ex.on_response_head(200, &[("content-type".into(), "application/json".into())]);
        let step = ex.on_response_body(json!({"name": op}).to_string().as_bytes(), true);
        assert_eq!(step.status, Some(500), "{step:?}");
    }
}

#[test]
fn create_defaults_are_openais_and_1080p_sizes_ask_for_1080p() {
    // OpenAI's defaults: 4 seconds, 720x1280 (portrait).
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let e = create(&mut ex, "application/json", br#"{"prompt": "waves"}"#).unwrap();
    assert_eq!(
        body_json(&e),
        json!({"instances": [{"prompt": "waves"}],
            "parameters": {"aspectRatio": "9:16", "durationSeconds": 4}})
    );
    let out = answer(&mut ex, &json!({"name": OP}));
    assert_eq!(out["seconds"], "4");
    assert_eq!(out["size"], "720x1280");

    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let e = create(
        &mut ex,
        "application/json",
        br#"{"prompt": "waves", "size": "1920x1080", "seconds": 6}"#,
    )
    .unwrap();
    assert_eq!(
        body_json(&e)["parameters"],
        json!({"aspectRatio": "16:9", "durationSeconds": 6, "resolution": "1080p"})
    );
}

#[test]
fn create_form_with_input_reference() {
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    // OpenAI "Create video" as multipart/form-data with an `input_reference` image.
    let ct = "multipart/form-data; boundary=XyZ";
    let mut body = Vec::new();
    for (name, value) in [
        ("model", "veo-3.0-generate-001"),
        ("prompt", "She turns around and smiles"),
        ("seconds", "8"),
        ("size", "720x1280"),
    ] {
        body.extend_from_slice(
            format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"input_reference\"; filename=\"first.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0\r\n--XyZ--\r\n");
    let e = create(&mut ex, ct, &body).unwrap_or_else(|r| panic!("{:?}", message(&r)));
    assert_eq!(header(&e, "content-type"), Some("application/json"));
    // Gemini API "Generate videos with Veo", image-to-video: the first frame as
    // `image.bytesBase64Encoded` with its `mimeType`.
    assert_eq!(
        body_json(&e),
        json!({"instances": [{"prompt": "She turns around and smiles",
                "image": {"bytesBase64Encoded": "/9j/4A==", "mimeType": "image/jpeg"}}],
            "parameters": {"aspectRatio": "9:16", "durationSeconds": 8}})
    );
}

#[test]
fn a_form_input_reference_by_url_is_refused() {
    // The SDK's `input_reference={"image_url": …}` in a form: `input_reference[image_url]`.
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let body = b"--B\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"input_reference[image_url]\"\r\n\r\nhttps://x/y.png\r\n--B--\r\n";
    let r = create(&mut ex, "multipart/form-data; boundary=B", body).expect_err("refused");
    let (status, msg) = message(&r);
    assert_eq!(status, 400);
    assert!(msg.contains("'input_reference' file"), "{msg}");
}

#[test]
fn create_refusals() {
    for (body, why) in [
        (
            json!({"model": "veo-3.0-generate-001"}),
            "'prompt' is required",
        ),
        (json!({"prompt": "x", "size": "1024x1024"}), "16:9 or 9:16"),
        (json!({"prompt": "x", "size": "big"}), "WIDTHxHEIGHT"),
        // The size is echoed in the job id, whose fields are lines: no stray whitespace.
        (json!({"prompt": "x", "size": "1280x720\n"}), "WIDTHxHEIGHT"),
        (json!({"prompt": "x", "seconds": "ten"}), "'seconds'"),
        (
            json!({"prompt": "x", "input_reference": {"image_url": "https://x/y.png"}}),
            "multipart/form-data",
        ),
        (
            json!({"model": "sora-2", "prompt": "x"}),
            "cannot use own model",
        ),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", false));
        let r =
            create(&mut ex, "application/json", body.to_string().as_bytes()).expect_err("refused");
        let (status, msg) = message(&r);
        assert_eq!(status, 400, "{body}");
        assert!(msg.contains(why), "{body}: {msg}");
    }
}

#[test]
fn ids_round_trip_in_one_path_segment() {
    for id in [job_id(None), job_id(Some("3pm09hwr8rtt"))] {
        let text = id.encode();
        assert!(text.starts_with("video_"), "{text}");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{text}"
        );
        assert_eq!(VideoId::decode(&text).unwrap(), id);
    }
    // Not ours, or naming something other than a Veo operation and a file.
    let forged = |raw: &str| {
        use base64::Engine;
        format!(
            "video_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        )
    };
    for bad in [
        "video_123".to_string(),
        "vid".to_string(),
        forged("files/x\n1\n8\n1280x720\n"),
        forged("models/m/operations/o\n1\n8\n1280x720\n../../x"),
        forged("models/m/operations/o?alt=media\n1\n8\n1280x720\n"),
        forged("models/m/operations/o\nnow\n8\n1280x720\n"),
    ] {
        assert!(VideoId::decode(&bad).is_err(), "{bad}");
    }
}

#[test]
fn retrieve_goes_to_the_operation() {
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let id = job_id(None);
    let e = get(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
    // Gemini API long-running operations: GET /v1beta/{name} with the key.
    assert_eq!(
        url(&e),
        format!("https://generativelanguage.googleapis.com/v1beta/{OP}")
    );
    assert_eq!(header(&e, "x-goog-api-key"), Some("g-key"));
    assert_eq!(e.body, None);
    // Still running: `done` absent.
    let out = answer(&mut ex, &json!({"name": OP}));
    assert_eq!(out, video(&id, "in_progress", 0, Value::Null));
}

#[test]
fn retrieve_completed_carries_the_file_in_its_id() {
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let id = job_id(None);
    get(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
    // Gemini API "Generate videos with Veo": the finished operation's
    // response.generateVideoResponse.generatedSamples[0].video.uri.
    let out = answer(
        &mut ex,
        &json!({"name": OP, "done": true, "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
            "generateVideoResponse": {"generatedSamples": [{"video": {
                "uri": "https://generativelanguage.googleapis.com/v1beta/files/3pm09hwr8rtt:download?alt=media"}}]}}}),
    );
    let done = job_id(Some("3pm09hwr8rtt"));
    assert_eq!(out, video(&done, "completed", 100, Value::Null));

    // A video URI elsewhere: completed, but the id names the job only.
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    get(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
    let out = answer(
        &mut ex,
        &json!({"name": OP, "done": true, "response": {"generateVideoResponse": {
            "generatedSamples": [{"video": {"uri": "https://elsewhere.example/v.mp4"}}]}}}),
    );
    assert_eq!(out, video(&id, "completed", 100, Value::Null));
}

#[test]
fn retrieve_failed_and_filtered() {
    let id = job_id(None);
    for (upstream, code, msg) in [
        // google.rpc.Status in `error` (long-running operation reference).
        (
            json!({"name": OP, "done": true, "error": {"code": 3, "message": "The prompt could not be submitted."}}),
            "invalid_argument",
            "The prompt could not be submitted.",
        ),
        // Responsible AI filtering: no sample, the reasons given.
        (
            json!({"name": OP, "done": true, "response": {"generateVideoResponse": {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["The video could not be generated: it may violate our policies."]}}}),
            "moderation_blocked",
            "The video could not be generated: it may violate our policies.",
        ),
        (
            json!({"name": OP, "done": true, "response": {"generateVideoResponse": {"raiMediaFilteredCount": 1}}}),
            "moderation_blocked",
            "Veo held the video back (responsible AI filter)",
        ),
        (
            json!({"name": OP, "done": true, "response": {}}),
            "video_generation_failed",
            "Veo finished without a video",
        ),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", false));
        get(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
        let out = answer(&mut ex, &upstream);
        assert_eq!(
            out,
            video(&id, "failed", 100, json!({"code": code, "message": msg})),
            "{upstream}"
        );
    }
}

#[test]
fn content_goes_to_the_file_and_passes_its_answer_through() {
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let id = job_id(Some("3pm09hwr8rtt")).encode();
    // OpenAI "Retrieve video content" (`variant=video` is the default).
    let e = get(&mut ex, &format!("/v1/videos/{id}/content?variant=video")).unwrap();
    // Gemini API "Generate videos with Veo": the file's download URI, with the key.
    assert_eq!(
        url(&e),
        "https://generativelanguage.googleapis.com/v1beta/files/3pm09hwr8rtt:download?alt=media"
    );
    assert_eq!(header(&e, "x-goog-api-key"), Some("g-key"));
    // A redirect to the storage host is the client's to follow: passed through untouched.
    let _ = ex.on_response_head(
        302,
        &[("location".into(), "https://storage.example/v".into())],
    );
    let step = ex.on_response_body(b"", true);
    assert_eq!(step.replace, None);
    assert_eq!(step.status, None);
    // So are the bytes.
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    get(&mut ex, &format!("/v1/videos/{id}/content")).unwrap();
    let _ = ex.on_response_head(200, &[("content-type".into(), "video/mp4".into())]);
    assert_eq!(
        ex.on_response_body(b"\0\0\0\x18ftypmp42", true).replace,
        None
    );
}

#[test]
fn what_veo_cannot_serve_is_refused_with_the_reason() {
    let job = job_id(None).encode();
    let done = job_id(Some("f1")).encode();
    for (method, path, why) in [
        (
            "GET",
            format!("/v1/videos/{job}/content"),
            "until it is completed",
        ),
        (
            "GET",
            format!("/v1/videos/{done}/content?variant=thumbnail"),
            "no thumbnail",
        ),
        ("GET", "/v1/videos".to_string(), "listing videos"),
        ("DELETE", format!("/v1/videos/{job}"), "deleting a video"),
        ("POST", format!("/v1/videos/{job}/remix"), "remixing"),
        ("GET", "/v1/videos/video_123".to_string(), "not a video id"),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", false));
        let step = ex.on_request_head(RequestHead {
            method,
            path: &path,
            headers: &[],
        });
        let r = match step {
            HeadStep::Reply(r) => r,
            HeadStep::WaitBody { .. } => ex.on_request_body(b"").expect_err("refused"),
            HeadStep::Forward(e) => panic!("{method} {path}: forwarded {e:?}"),
            HeadStep::Call(c) => panic!("{method} {path}: a call {c:?}"),
        };
        let (status, msg) = message(&r);
        assert_eq!(status, 400, "{method} {path}");
        assert!(msg.contains(why), "{method} {path}: {msg}");
    }
}

#[test]
fn a_pinned_model_holds_for_retrieve_too() {
    let mut ex = exchange(&config("veo-3.1-generate-preview", false));
    let r = get(&mut ex, &format!("/v1/videos/{}", job_id(None).encode())).expect_err("refused");
    assert_eq!(
        message(&r),
        (
            400,
            "cannot use own model - must be: veo-3.1-generate-preview".to_string()
        )
    );
}

/// A Vertex AI operation name, shaped as "Veo on Vertex AI API" shows it
/// (`projects/PROJECT_ID/locations/LOCATION/publishers/google/models/MODEL_ID/operations/OPERATION_ID`).
const VX_OP: &str = "projects/my-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/a1b2c3d4-5678-90ab-cdef-1234567890ab";

/// The base of every Vertex AI URL of the test config.
const VX_BASE: &str = "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001";

/// The `@type` of a Veo answer on Vertex AI (the reference's sample answer).
const VX_TYPE: &str = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse";

fn vx_id() -> VideoId {
    VideoId {
        operation: VX_OP.into(),
        ..job_id(None)
    }
}

#[test]
fn vertex_create_form_sends_the_first_frame_inline() {
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    let body = b"--B\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nShe smiles\r\n--B\r\nContent-Disposition: form-data; name=\"input_reference\"; filename=\"f.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--B--\r\n";
    let e = create(&mut ex, "multipart/form-data; boundary=B", body).unwrap();
    // "Veo on Vertex AI API": instances[].image {bytesBase64Encoded, mimeType}.
    assert_eq!(
        body_json(&e),
        json!({"instances": [{"prompt": "She smiles",
                "image": {"bytesBase64Encoded": "iVBORw==", "mimeType": "image/png"}}],
            "parameters": {"aspectRatio": "9:16", "durationSeconds": 4}})
    );
}

#[test]
fn vertex_retrieve_is_a_fetch_predict_operation_call() {
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    let c = poll(&mut ex, &format!("/v1/videos/{}", vx_id().encode())).unwrap();
    // "Veo on Vertex AI API", poll: POST …/models/MODEL_ID:fetchPredictOperation with
    // {"operationName": …}, the same token.
    assert_eq!(c.method, "POST");
    assert_eq!(url(&c.edits), format!("{VX_BASE}:fetchPredictOperation"));
    assert_eq!(body_json(&c.edits), json!({"operationName": VX_OP}));
    // Where it goes by default: the Vertex host (Envoy cluster name, Kong host:port).
    assert_eq!(c.cluster, "us-central1-aiplatform.googleapis.com");
    assert_eq!(c.upstream, "us-central1-aiplatform.googleapis.com:443");
    let h = c.dispatch_headers(&c.edits);
    let find = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(find(":method"), Some("POST"));
    assert_eq!(
        find(":path"),
        Some("/v1/projects/my-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001:fetchPredictOperation")
    );
    assert_eq!(
        find(":authority"),
        Some("us-central1-aiplatform.googleapis.com")
    );
    assert_eq!(find(":scheme"), Some("https"));
    assert_eq!(find("authorization"), Some("Bearer ya29.vx-token"));
    assert_eq!(find("content-type"), Some("application/json"));
    assert_eq!(find("accept-encoding"), Some("identity"));
    assert_eq!(find("host"), None, ":authority names the host");
    // The secret stays out of what a log would print.
    assert!(!format!("{c:?}").contains("ya29"), "{c:?}");
}

#[test]
fn vertex_cluster_says_where_the_poll_goes() {
    let mut cfg = config("veo-3.0-generate-001", true);
    cfg["model"]["options"]["gemini"]["vertex_cluster"] = json!("vertex_ai");
    let mut ex = exchange(&cfg);
    let c = poll(&mut ex, &format!("/v1/videos/{}", vx_id().encode())).unwrap();
    assert_eq!(
        (c.cluster.as_str(), c.upstream.as_str()),
        ("vertex_ai", "vertex_ai")
    );
    assert_eq!(c.field, "model.options.gemini.vertex_cluster");
}

#[test]
fn vertex_poll_answers_become_video_objects() {
    let id = vx_id();
    let done = |response: Value| json!({"name": VX_OP, "done": true, "response": response});
    for (upstream, want) in [
        // Not done yet.
        (
            json!({"name": VX_OP}),
            video(&id, "in_progress", 0, Value::Null),
        ),
        // The reference's answer: videos[] in Cloud Storage …
        (
            done(json!({"@type": VX_TYPE, "raiMediaFilteredCount": 0,
                "videos": [{"gcsUri": "gs://my-bucket/123/sample_0.mp4", "mimeType": "video/mp4"}]})),
            video(&id, "completed", 100, Value::Null),
        ),
        // … or inline, without a storageUri.
        (
            done(json!({"@type": VX_TYPE, "raiMediaFilteredCount": 0,
                "videos": [{"bytesBase64Encoded": "AAAAGGZ0eXBtcDQy", "mimeType": "video/mp4"}]})),
            video(&id, "completed", 100, Value::Null),
        ),
        // A google.rpc.Status.
        (
            json!({"name": VX_OP, "done": true, "error": {"code": 3, "message": "Unsupported output video duration 3 seconds"}}),
            video(
                &id,
                "failed",
                100,
                json!({"code": "invalid_argument", "message": "Unsupported output video duration 3 seconds"}),
            ),
        ),
        // Held back by the responsible AI filter.
        (
            done(json!({"@type": VX_TYPE, "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["Unable to generate videos: this prompt may violate our policies."]})),
            video(
                &id,
                "failed",
                100,
                json!({"code": "moderation_blocked", "message": "Unable to generate videos: this prompt may violate our policies."}),
            ),
        ),
        (
            done(json!({"@type": VX_TYPE, "raiMediaFilteredCount": 1})),
            video(
                &id,
                "failed",
                100,
                json!({"code": "moderation_blocked", "message": "Veo held the video back (responsible AI filter)"}),
            ),
        ),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", true));
        poll(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
        let r = polled(&mut ex, 200, &upstream);
        assert_eq!(r.status, 200, "{upstream}");
        assert_eq!(json_reply(&r), want, "{upstream}");
        // Kong's model header (`model_name_header`, on by default), as on a forwarded answer.
        assert_eq!(
            r.headers,
            vec![
                (
                    "x-kong-llm-model".to_string(),
                    "gemini/veo-3.0-generate-001".to_string()
                ),
                ("content-type".to_string(), "application/json".to_string())
            ]
        );
    }
    let mut cfg = config("veo-3.0-generate-001", true);
    cfg["model_name_header"] = json!(false);
    let mut ex = exchange(&cfg);
    poll(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
    let r = polled(&mut ex, 200, &json!({"name": VX_OP}));
    assert_eq!(
        r.headers,
        vec![("content-type".to_string(), "application/json".to_string())]
    );
    // The record names the provider, the route and the model, as for AI Studio's retrieve.
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    poll(&mut ex, &format!("/v1/videos/{}", id.encode())).unwrap();
    polled(&mut ex, 200, &json!({"name": VX_OP}));
    let a = ex.analytics_json().unwrap();
    assert_eq!(a["ai"]["proxy"]["meta"]["provider_name"], "gemini");
    assert_eq!(
        a["ai"]["proxy"]["meta"]["request_model"],
        "veo-3.0-generate-001"
    );
    assert_eq!(
        a["ai"]["proxy"]["meta"]["response_model"],
        "veo-3.0-generate-001"
    );
}

#[test]
fn vertex_poll_errors() {
    let id = vx_id().encode();
    // The provider's error: its status and body, as for every forwarded request.
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    poll(&mut ex, &format!("/v1/videos/{id}")).unwrap();
    let google =
        json!({"error": {"code": 404, "message": "Operation not found.", "status": "NOT_FOUND"}});
    let r = polled(&mut ex, 404, &google);
    assert_eq!((r.status, json_reply(&r)), (404, google));
    assert_eq!(
        r.headers,
        vec![(
            "content-type".to_string(),
            "application/json; charset=UTF-8".to_string()
        )]
    );
    // An answer that is not an operation: 502, for a retrieve and for a download.
    for (body, path) in [
        (&b"<html>oops</html>"[..], format!("/v1/videos/{id}")),
        (b"[1,2]", format!("/v1/videos/{id}")),
        (b"", format!("/v1/videos/{id}/content")),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", true));
        poll(&mut ex, &path).unwrap();
        let r = ex.on_call_answer(&CallAnswer {
            status: Some(200),
            body: body.to_vec(),
            target: "c".into(),
            ..Default::default()
        });
        let (status, msg) = message(&r);
        assert_eq!(status, 502, "{msg}");
        assert!(
            msg.starts_with("the Vertex AI poll answer cannot be read"),
            "{msg}"
        );
    }
    // No answer: 503 naming where the call went and the field that says so.
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    let c = poll(&mut ex, &format!("/v1/videos/{id}")).unwrap();
    let r = ex.on_call_answer(&c.refused("vertex_ai", "BadArgument"));
    let (status, msg) = message(&r);
    assert_eq!(status, 503);
    assert!(
        msg.contains("'vertex_ai'") && msg.contains("model.options.gemini.vertex_cluster"),
        "{msg}"
    );
    assert!(!msg.contains("ya29"), "{msg}");
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    poll(&mut ex, &format!("/v1/videos/{id}")).unwrap();
    let r = ex.on_call_answer(&CallAnswer {
        status: None,
        failure: Some("broken connection".into()),
        target: "10.0.0.9:443".into(),
        ..Default::default()
    });
    let (status, msg) = message(&r);
    assert_eq!(status, 503);
    assert!(
        msg.contains("broken connection; sent to '10.0.0.9:443'"),
        "{msg}"
    );
}

#[test]
fn vertex_content_answers_the_inline_video() {
    let id = vx_id().encode();
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    // OpenAI "Retrieve video content": the same poll; any id of the job serves.
    let c = poll(&mut ex, &format!("/v1/videos/{id}/content?variant=video")).unwrap();
    assert_eq!(url(&c.edits), format!("{VX_BASE}:fetchPredictOperation"));
    assert_eq!(body_json(&c.edits), json!({"operationName": VX_OP}));
    let r = polled(
        &mut ex,
        200,
        &json!({"name": VX_OP, "done": true, "response": {"@type": VX_TYPE, "raiMediaFilteredCount": 0,
            "videos": [{"bytesBase64Encoded": "AAAAGGZ0eXBtcDQy", "mimeType": "video/mp4"}]}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"\0\0\0\x18ftypmp42");
    assert_eq!(
        r.headers,
        vec![
            (
                "x-kong-llm-model".to_string(),
                "gemini/veo-3.0-generate-001".to_string()
            ),
            ("content-type".to_string(), "video/mp4".to_string())
        ]
    );
    let a = ex.analytics_json().unwrap();
    assert_eq!(
        a["ai"]["proxy"]["meta"]["response_model"],
        "veo-3.0-generate-001"
    );

    for (upstream, status, why) in [
        // In Cloud Storage: the gateway cannot read it, the message names it.
        (
            json!({"name": VX_OP, "done": true, "response": {"@type": VX_TYPE,
                "videos": [{"gcsUri": "gs://my-bucket/123/sample_0.mp4", "mimeType": "video/mp4"}]}}),
            409,
            "gs://my-bucket/123/sample_0.mp4",
        ),
        (json!({"name": VX_OP}), 409, "in progress"),
        (
            json!({"name": VX_OP, "done": true, "error": {"code": 3, "message": "bad prompt"}}),
            409,
            "failed (invalid_argument): bad prompt",
        ),
        (
            json!({"name": VX_OP, "done": true, "response": {"videos": [{"bytesBase64Encoded": "%%%", "mimeType": "video/mp4"}]}}),
            502,
            "not valid base64",
        ),
        (
            json!({"name": VX_OP, "done": true, "response": {"videos": [{"mimeType": "video/mp4"}]}}),
            502,
            "names no video",
        ),
    ] {
        let mut ex = exchange(&config("veo-3.0-generate-001", true));
        poll(&mut ex, &format!("/v1/videos/{id}/content")).unwrap();
        let r = polled(&mut ex, 200, &upstream);
        let (got, msg) = message(&r);
        assert_eq!(got, status, "{upstream}: {msg}");
        assert!(msg.contains(why), "{upstream}: {msg}");
    }
}

#[test]
fn vertex_ids_are_checked_strictly() {
    use base64::Engine;
    let id = vx_id();
    assert_eq!(VideoId::decode(&id.encode()).unwrap(), id);
    assert!(id.is_vertex());
    assert_eq!(id.model(), "veo-3.0-generate-001");
    let forged = |op: &str| {
        format!(
            "video_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("{op}\n1\n8\n1280x720\n"))
        )
    };
    for bad in [
        "projects/p/locations/l/publishers/google/models/m/operations/a/b",
        "projects/../locations/l/publishers/google/models/m/operations/o",
        "projects/p/locations/l/publishers/other/models/m/operations/o",
        "projects/p/locations/l/publishers/google/models/m:fetchPredictOperation/operations/o",
        "projects/p/locations/l/publishers/google/models/m/operations/o?x=1",
        "projects/p/locations/l/models/m/operations/o",
        "projects//locations/l/publishers/google/models/m/operations/o",
    ] {
        assert!(VideoId::decode(&forged(bad)).is_err(), "{bad}");
    }
    // An id of the other mode is not one of this gateway's.
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    let r = poll(&mut ex, &format!("/v1/videos/{}", job_id(None).encode())).expect_err("refused");
    assert_eq!(message(&r).0, 400);
    let mut ex = exchange(&config("veo-3.0-generate-001", false));
    let r = get(&mut ex, &format!("/v1/videos/{}", id.encode())).expect_err("refused");
    let (status, msg) = message(&r);
    assert_eq!(status, 400);
    assert!(msg.contains("not a video id"), "{msg}");
    // A pinned model holds for the poll too.
    let mut ex = exchange(&config("veo-3.1-generate-preview", true));
    let r = poll(&mut ex, &format!("/v1/videos/{}/content", id.encode())).expect_err("refused");
    assert_eq!(
        message(&r),
        (
            400,
            "cannot use own model - must be: veo-3.1-generate-preview".to_string()
        )
    );
    // What Veo cannot serve is refused on Vertex as on AI Studio.
    let mut ex = exchange(&config("veo-3.0-generate-001", true));
    let r = poll(&mut ex, "/v1/videos").expect_err("refused");
    assert!(message(&r).1.contains("listing videos"));
}

#[test]
fn vertex_poll_with_a_cloud_identity_waits_for_its_token() {
    use ai_proxy::auth::identity::Credential;
    let mut cfg = config("veo-3.0-generate-001", true);
    cfg["auth"] = json!({"gcp_use_service_account": true});
    let mut ex = exchange(&cfg);
    ex.require_identity();
    // No token yet: the call is built without it, and the work left is kept.
    let c = poll(&mut ex, &format!("/v1/videos/{}", vx_id().encode())).unwrap();
    assert_eq!(header(&c.edits, "authorization"), None);
    let job = ex.take_pending(&c.edits).expect("the token is pending");
    let token = Credential::Bearer {
        token: "ya29.fetched".into(),
        expires_at: 1_900_000_000,
    };
    let edits = job.finish(&token, 1_800_000_000).unwrap();
    let h = c.dispatch_headers(&edits);
    assert!(
        h.contains(&("authorization".into(), "Bearer ya29.fetched".into())),
        "{:?}",
        h.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    assert_eq!(body_json(&edits), json!({"operationName": VX_OP}));
    // With the token cached, the call carries it at once.
    let mut ex = exchange(&cfg);
    ex.require_identity();
    ex.set_identity(token);
    let c = poll(&mut ex, &format!("/v1/videos/{}", vx_id().encode())).unwrap();
    assert_eq!(
        header(&c.edits, "authorization"),
        Some("Bearer ya29.fetched")
    );
    assert!(ex.take_pending(&c.edits).is_none());
}
