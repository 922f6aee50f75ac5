//! Canned answers for the route groups beyond chat (OpenAI API reference shapes: Responses,
//! Files, Batch, Assistants, Audio, Images, Videos), on OpenAI's paths (`/v1/…`) and Azure's
//! (`/openai/deployments/{d}/…`, `/openai/files…`, `/openai/v1/responses…`,
//! `/openai/v1/video/generations/jobs…`). Binary answers (speech, file and video content) are
//! fixed bytes that are not valid UTF-8, so a filter that touched them would be seen.
//!
//! The image APIs the filter translates OpenAI images to are answered here too (Gemini
//! `generateContent` with image output, Imagen `:predict`, Bedrock `InvokeModel` for Nova
//! Canvas/Titan and Stability, DashScope multimodal generation), with their references' shapes,
//! and so is the Gemini API's Veo flow the filter maps OpenAI's video jobs onto
//! (`:predictLongRunning`, the operation, the file download), and Vertex AI's
//! (`:predictLongRunning`, `:fetchPredictOperation`).

use serde_json::{json, Value};

use super::{Answer, Recorded};

/// Speech audio: an MP3 frame header and bytes that are not UTF-8.
pub const SPEECH_BYTES: &[u8] = &[0xff, 0xfb, 0x90, 0x64, 0x00, 0x0f, 0xf0, 0x80, 0xfe, 0x01];
/// File content (`GET /v1/files/{id}/content`): a batch output line.
pub const FILE_CONTENT: &[u8] =
    b"{\"id\":\"batch_req_1\",\"custom_id\":\"request-1\",\"response\":{\"status_code\":200}}\n";
/// Video content: an MP4 `ftyp` box start and non-UTF-8 bytes.
pub const VIDEO_BYTES: &[u8] = &[
    0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'm', b'p', b'4', b'2', 0xff, 0xfe,
];
const CREATED: i64 = 1_741_476_542;
/// The image every mocked image API returns (base64 of a PNG signature).
pub const IMAGE_B64: &str = "iVBORw0KGgo=";
/// The URL DashScope's mock answers with.
pub const DASHSCOPE_IMAGE_URL: &str = "https://dashscope-result.example/mock.png";
const TEXT: &str = "Hello! How can I help you today?";

fn json_answer(status: u16, v: Value) -> Answer {
    bytes_answer(status, "application/json", v.to_string().into_bytes())
}

fn bytes_answer(status: u16, ct: &str, b: Vec<u8>) -> Answer {
    Answer {
        status,
        content_type: ct.into(),
        pieces: vec![b],
        stream: false,
    }
}

/// The operation after the API prefix (`/v1/`, `/openai/`, `/openai/v1/`,
/// `/openai/deployments/{d}/`), or `None` when the path is not one of these APIs.
fn operation(path: &str) -> Option<&str> {
    let rest = if let Some(r) = path.strip_prefix("/openai/deployments/") {
        r.split_once('/')?.1
    } else if let Some(r) = path.strip_prefix("/openai/v1/") {
        r
    } else if let Some(r) = path.strip_prefix("/openai/") {
        r
    } else {
        path.strip_prefix("/v1/")?
    };
    const OPS: &[&str] = &[
        "responses",
        "files",
        "batches",
        "assistants",
        "threads",
        "audio/",
        "images/",
        "videos",
        "video/generations/jobs",
    ];
    OPS.iter().any(|op| rest.starts_with(op)).then_some(rest)
}

/// A provider's own image API (what the filter translates OpenAI images to), or `None`.
fn image_api(r: &Recorded) -> Option<Answer> {
    let b = r.json();
    let p = r.path.as_str();
    let wants_image = b
        .pointer("/generationConfig/responseModalities")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|x| x == "IMAGE"));
    let n = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(1) as usize;
    if p.ends_with(":generateContent") && wants_image {
        // Gemini API "Image generation": a text part and an inlineData part per candidate.
        let count = n(b.pointer("/generationConfig/candidateCount"));
        let candidates: Vec<Value> = (0..count)
            .map(|i| {
                json!({"index": i, "finishReason": "STOP", "content": {"role": "model", "parts": [
                {"text": "Here is the image."},
                {"inlineData": {"mimeType": "image/png", "data": IMAGE_B64}}]}})
            })
            .collect();
        return Some(json_answer(
            200,
            json!({"candidates": candidates, "usageMetadata": {"promptTokenCount": 7,
                "candidatesTokenCount": 1290, "totalTokenCount": 1297,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 7}]}}),
        ));
    }
    if p.ends_with(":predict") && b.pointer("/instances/0/prompt").is_some() {
        // Imagen: predictions[].bytesBase64Encoded.
        let count = n(b.pointer("/parameters/sampleCount"));
        let preds: Vec<Value> = (0..count)
            .map(|_| json!({"mimeType": "image/png", "bytesBase64Encoded": IMAGE_B64}))
            .collect();
        return Some(json_answer(200, json!({ "predictions": preds })));
    }
    if p.starts_with("/model/") && p.ends_with("/invoke") {
        if b.get("taskType").is_some() {
            // Nova Canvas / Titan Image: {"images": [...], "error": null}.
            let count = n(b.pointer("/imageGenerationConfig/numberOfImages"));
            return Some(json_answer(
                200,
                json!({"images": vec![IMAGE_B64; count], "error": null}),
            ));
        }
        if p.contains("stability.") {
            return Some(json_answer(
                200,
                json!({"seeds": [42], "finish_reasons": [null], "images": [IMAGE_B64]}),
            ));
        }
    }
    if p == "/api/v1/services/aigc/multimodal-generation/generation" {
        // DashScope Qwen-Image: image URLs in output.choices[].message.content[].
        return Some(json_answer(
            200,
            json!({"output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant",
                "content": [{"image": DASHSCOPE_IMAGE_URL}]}}]},
                "usage": {"width": 1328, "height": 1328, "image_count": 1}, "request_id": "mock-1"}),
        ));
    }
    None
}

/// The prompt of a Veo `:predictLongRunning` body (`instances[0].prompt`).
fn veo_prompt(r: &Recorded) -> String {
    r.json()
        .pointer("/instances/0/prompt")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The file id of the video every mocked Veo operation makes.
pub const VEO_FILE: &str = "mockvid1";
/// The file a prompt containing "redirect" makes: its download answers 302 to
/// [`VEO_REDIRECT`], as Google's answers with a redirect to its storage host.
pub const VEO_REDIRECT_FILE: &str = "mockvid2";
/// Where that redirect points.
pub const VEO_REDIRECT: &str = "https://video-storage.example/mockvid2.mp4?sig=abc";

/// The Gemini API's Veo flow ("Generate videos with Veo", REST): `:predictLongRunning` answers
/// an operation name; the operation (`GET /v1beta/{name}`) is done, with the video's file URI
/// on the Gemini API host; the file download (`?alt=media`) answers the video bytes. A prompt
/// containing "blocked" ends in a responsible-AI filter answer instead, one containing "slow"
/// never finishes, one containing "redirect" makes a file whose download is a redirect to
/// another host.
fn veo_api(r: &Recorded) -> Option<Answer> {
    let p = r.path.as_str();
    let rest = p.strip_prefix("/v1beta/")?;
    if r.method == "POST" {
        let model = rest
            .strip_prefix("models/")?
            .strip_suffix(":predictLongRunning")?;
        let prompt = veo_prompt(r);
        let op = if prompt.contains("blocked") {
            "blockedop"
        } else if prompt.contains("redirect") {
            "redirop"
        } else if prompt.contains("slow") {
            "slowop"
        } else {
            "mockop1"
        };
        return Some(json_answer(
            200,
            json!({"name": format!("models/{model}/operations/{op}")}),
        ));
    }
    if let Some(file) = rest
        .strip_prefix("files/")
        .and_then(|f| f.strip_suffix(":download"))
    {
        let media = r.query.split('&').any(|kv| kv == "alt=media");
        if media && file == VEO_FILE {
            return Some(bytes_answer(200, "video/mp4", VIDEO_BYTES.to_vec()));
        }
        if media && file == VEO_REDIRECT_FILE {
            return Some(bytes_answer(
                302,
                "text/html",
                VEO_REDIRECT.as_bytes().to_vec(),
            ));
        }
        return Some(json_answer(
            404,
            json!({"error": {"code": 404, "message": "File not found.", "status": "NOT_FOUND"}}),
        ));
    }
    let (_, op) = rest.strip_prefix("models/")?.split_once("/operations/")?;
    Some(json_answer(
        200,
        if op == "slowop" {
            json!({"name": rest, "metadata": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata"}})
        } else if op == "blockedop" {
            json!({"name": rest, "done": true, "response": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {"raiMediaFilteredCount": 1,
                    "raiMediaFilteredReasons": ["The video could not be generated: it may violate our policies."]}}})
        } else {
            let file = if op == "redirop" {
                VEO_REDIRECT_FILE
            } else {
                VEO_FILE
            };
            json!({"name": rest, "done": true, "response": {"@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": {"generatedSamples": [{"video": {"uri": format!(
                    "https://generativelanguage.googleapis.com/v1beta/files/{file}:download?alt=media")}}]}}})
        },
    ))
}

/// Vertex AI's Veo flow ("Veo on Vertex AI API"): `POST …/publishers/google/models/{m}:predictLongRunning`
/// answers an operation name under the same project and location; `POST
/// …/models/{m}:fetchPredictOperation` with `{"operationName": …}` answers it done with the
/// video inline (`bytesBase64Encoded` of [`VIDEO_BYTES`]). A prompt containing "blocked" ends
/// in a responsible-AI filter answer, "slow" never finishes, "storage" leaves the video in
/// Cloud Storage ([`VERTEX_GCS_URI`]), "large" makes a video of [`VERTEX_LARGE_VIDEO`] bytes
/// (a few seconds of real Veo output); an unknown operation is a 404.
fn vertex_veo_api(r: &Recorded) -> Option<Answer> {
    use base64::Engine;
    if r.method != "POST" {
        return None;
    }
    let rest = r.path.strip_prefix("/v1/projects/")?;
    let (base, model_op) = rest.split_once("/publishers/google/models/")?;
    if let Some(model) = model_op.strip_suffix(":predictLongRunning") {
        let prompt = veo_prompt(r);
        let op = ["blocked", "slow", "storage", "large"]
            .into_iter()
            .find(|w| prompt.contains(w))
            .map_or("mockop1".to_string(), |w| format!("{w}op"));
        return Some(json_answer(
            200,
            json!({"name": format!("projects/{base}/publishers/google/models/{model}/operations/{op}")}),
        ));
    }
    model_op.strip_suffix(":fetchPredictOperation")?;
    let name = r
        .json()
        .get("operationName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let op = name.rsplit_once("/operations/").map_or("", |(_, op)| op);
    let kind = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse";
    let done = |response: Value| json!({"name": name, "done": true, "response": response});
    Some(match op {
        "mockop1" => json_answer(
            200,
            done(
                json!({"@type": kind, "raiMediaFilteredCount": 0, "videos": [{
                "bytesBase64Encoded": base64::engine::general_purpose::STANDARD.encode(VIDEO_BYTES),
                "mimeType": "video/mp4"}]}),
            ),
        ),
        "largeop" => json_answer(
            200,
            done(
                json!({"@type": kind, "raiMediaFilteredCount": 0, "videos": [{
                "bytesBase64Encoded": base64::engine::general_purpose::STANDARD.encode(large_video()),
                "mimeType": "video/mp4"}]}),
            ),
        ),
        "storageop" => json_answer(
            200,
            done(
                json!({"@type": kind, "raiMediaFilteredCount": 0, "videos": [{
                "gcsUri": VERTEX_GCS_URI, "mimeType": "video/mp4"}]}),
            ),
        ),
        "blockedop" => json_answer(
            200,
            done(json!({"@type": kind, "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["Unable to generate videos: this prompt may violate our policies."]})),
        ),
        "slowop" => json_answer(200, json!({"name": name})),
        _ => json_answer(
            404,
            json!({"error": {"code": 404, "message": "Operation not found.", "status": "NOT_FOUND"}}),
        ),
    })
}

/// The length of the Vertex mock's "large" video.
pub const VERTEX_LARGE_VIDEO: usize = 6 << 20;

/// The Vertex mock's "large" video: every byte value in turn.
pub fn large_video() -> Vec<u8> {
    (0..VERTEX_LARGE_VIDEO).map(|i| (i % 251) as u8).collect()
}

/// Where the Vertex mock's "storage" job leaves its video.
pub const VERTEX_GCS_URI: &str = "gs://mock-bucket/veo/sample_0.mp4";

/// The answer for a route-group request, or `None` when the path is not one.
pub fn answer(r: &Recorded) -> Option<Answer> {
    if let Some(a) = image_api(r) {
        return Some(a);
    }
    if let Some(a) = vertex_veo_api(r) {
        return Some(a);
    }
    if let Some(a) = veo_api(r) {
        return Some(a);
    }
    let op = operation(&r.path)?;
    let b = r.json();
    let model = b.get("model").and_then(Value::as_str).unwrap_or("gpt-4.1");
    let segs: Vec<&str> = op.split('/').collect();
    let m = r.method.as_str();
    Some(match (m, segs.as_slice()) {
        ("POST", ["responses"]) if b.get("stream") == Some(&json!(true)) => responses_stream(model),
        ("POST", ["responses"]) => json_answer(200, response_object("resp_mock1", model)),
        ("GET", ["responses", id]) => json_answer(200, response_object(id, model)),
        ("DELETE", ["responses", id]) => json_answer(
            200,
            json!({"id": id, "object": "response", "deleted": true}),
        ),
        ("POST", ["audio", "speech"]) => bytes_answer(200, "audio/mpeg", SPEECH_BYTES.to_vec()),
        ("POST", ["audio", "transcriptions"]) => json_answer(
            200,
            json!({"text": "Imagine the wildest idea that you've ever had.",
                "usage": {"type": "tokens", "input_tokens": 14, "input_token_details": {"text_tokens": 0, "audio_tokens": 14},
                    "output_tokens": 45, "total_tokens": 59}}),
        ),
        ("POST", ["audio", "translations"]) => json_answer(
            200,
            json!({"text": "Hello, my name is Wolfgang and I come from Germany."}),
        ),
        ("POST", ["images", _]) => json_answer(
            200,
            json!({"created": 1713833628, "data": [{"b64_json": "aGVsbG8="}],
                "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
                    "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}}),
        ),
        ("POST", ["files"]) => json_answer(200, file_object("file-abc123", r.body.len())),
        ("GET", ["files"]) => json_answer(
            200,
            json!({"object": "list", "data": [file_object("file-abc123", 175)], "has_more": false}),
        ),
        ("GET", ["files", id]) => json_answer(200, file_object(id, 175)),
        ("DELETE", ["files", id]) => {
            json_answer(200, json!({"id": id, "object": "file", "deleted": true}))
        }
        ("GET", ["files", _, "content"]) => {
            bytes_answer(200, "application/octet-stream", FILE_CONTENT.to_vec())
        }
        ("POST", ["batches"]) => json_answer(200, batch_object("batch_abc123", &b, "validating")),
        ("GET", ["batches", id]) => json_answer(200, batch_object(id, &b, "completed")),
        ("POST", ["batches", id, "cancel"]) => json_answer(200, batch_object(id, &b, "cancelling")),
        ("GET", ["batches"]) => json_answer(
            200,
            json!({"object": "list", "data": [batch_object("batch_abc123", &b, "completed")], "has_more": false}),
        ),
        ("POST", ["assistants"]) => json_answer(200, assistant_object("asst_abc123", &b)),
        ("GET", ["assistants"]) => json_answer(
            200,
            json!({"object": "list", "data": [assistant_object("asst_abc123", &b)], "first_id": "asst_abc123",
                "last_id": "asst_abc123", "has_more": false}),
        ),
        ("GET", ["assistants", id]) => json_answer(200, assistant_object(id, &b)),
        ("DELETE", ["assistants", id]) => json_answer(
            200,
            json!({"id": id, "object": "assistant.deleted", "deleted": true}),
        ),
        ("POST", ["videos"]) | ("POST", ["video", "generations", "jobs"]) => json_answer(
            200,
            json!({"id": "video_123", "object": "video", "model": "sora-2", "status": "queued",
                "progress": 0, "created_at": CREATED, "size": "1024x1792", "seconds": "8"}),
        ),
        ("GET", ["videos", id]) | ("GET", ["video", "generations", "jobs", id]) => json_answer(
            200,
            json!({"id": id, "object": "video", "model": "sora-2", "status": "completed",
                "progress": 100, "created_at": CREATED}),
        ),
        ("GET", ["videos", _, "content"]) => bytes_answer(200, "video/mp4", VIDEO_BYTES.to_vec()),
        _ => json_answer(
            404,
            json!({"error": {"message": format!("mock: no route for {} {}", r.method, r.path), "type": "invalid_request_error"}}),
        ),
    })
}

fn usage() -> Value {
    json!({"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123})
}

fn response_object(id: &str, model: &str) -> Value {
    json!({"id": id, "object": "response", "created_at": CREATED, "status": "completed",
        "error": null, "incomplete_details": null, "instructions": null, "max_output_tokens": null,
        "model": model, "output": [{"type": "message", "id": "msg_mock1", "status": "completed",
            "role": "assistant", "content": [{"type": "output_text", "text": TEXT, "annotations": []}]}],
        "parallel_tool_calls": true, "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null}, "store": true, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "usage": usage(), "user": null, "metadata": {}})
}

fn responses_stream(model: &str) -> Answer {
    let mut started = response_object("resp_mock1", model);
    if let Some(o) = started.as_object_mut() {
        o.insert("status".into(), json!("in_progress"));
        o.insert("output".into(), json!([]));
        o.insert("usage".into(), Value::Null);
    }
    let item = json!({"type": "message", "id": "msg_mock1", "status": "in_progress", "role": "assistant", "content": []});
    let part = json!({"type": "output_text", "text": "", "annotations": []});
    let mut events = vec![
        json!({"type": "response.created", "response": started}),
        json!({"type": "response.in_progress", "response": started}),
        json!({"type": "response.output_item.added", "output_index": 0, "item": item}),
        json!({"type": "response.content_part.added", "item_id": "msg_mock1", "output_index": 0, "content_index": 0, "part": part}),
    ];
    for piece in [
        "Hello", "!", " How", " can", " I", " help", " you", " today", "?",
    ] {
        events.push(json!({"type": "response.output_text.delta", "item_id": "msg_mock1", "output_index": 0, "content_index": 0, "delta": piece}));
    }
    let done = response_object("resp_mock1", model);
    events.extend([
        json!({"type": "response.output_text.done", "item_id": "msg_mock1", "output_index": 0, "content_index": 0, "text": TEXT}),
        json!({"type": "response.content_part.done", "item_id": "msg_mock1", "output_index": 0, "content_index": 0,
            "part": {"type": "output_text", "text": TEXT, "annotations": []}}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": done.pointer("/output/0").cloned().unwrap_or(Value::Null)}),
        json!({"type": "response.completed", "response": done}),
    ]);
    let pieces = events
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            if let Some(o) = e.as_object_mut() {
                o.insert("sequence_number".into(), json!(i));
            }
            let kind = e
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            format!("event: {kind}\ndata: {e}\n\n").into_bytes()
        })
        .collect();
    Answer {
        status: 200,
        content_type: "text/event-stream".into(),
        pieces,
        stream: true,
    }
}

fn file_object(id: &str, bytes: usize) -> Value {
    json!({"id": id, "object": "file", "bytes": bytes, "created_at": CREATED,
        "filename": "batch.jsonl", "purpose": "batch", "status": "processed", "expires_at": null,
        "status_details": null})
}

fn batch_object(id: &str, b: &Value, status: &str) -> Value {
    json!({"id": id, "object": "batch", "endpoint": b.get("endpoint").cloned().unwrap_or(json!("/v1/chat/completions")),
        "errors": null, "input_file_id": b.get("input_file_id").cloned().unwrap_or(json!("file-abc123")),
        "completion_window": "24h", "status": status, "output_file_id": "file-cvaTdG",
        "error_file_id": null, "created_at": CREATED, "in_progress_at": null, "expires_at": CREATED + 86400,
        "finalizing_at": null, "completed_at": null, "failed_at": null, "expired_at": null,
        "cancelling_at": null, "cancelled_at": null,
        "request_counts": {"total": 1, "completed": 1, "failed": 0}, "metadata": null})
}

fn assistant_object(id: &str, b: &Value) -> Value {
    json!({"id": id, "object": "assistant", "created_at": CREATED,
        "name": b.get("name").cloned().unwrap_or(json!("Math Tutor")), "description": null,
        "model": b.get("model").cloned().unwrap_or(json!("gpt-4o")),
        "instructions": b.get("instructions").cloned().unwrap_or(Value::Null),
        "tools": b.get("tools").cloned().unwrap_or(json!([])), "metadata": {}, "top_p": 1.0,
        "temperature": 1.0, "response_format": "auto"})
}
