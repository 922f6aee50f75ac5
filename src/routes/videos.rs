//! `video/v1/videos/generations` on Gemini: OpenAI's video job API (create, retrieve,
//! download) over Veo's long-running operations, on AI Studio and on Vertex AI
//! (docs/routes.md "Video on Gemini").
//!
//! | client (OpenAI) | AI Studio (Gemini API) | Vertex AI |
//! |---|---|---|
//! | `POST /v1/videos` (JSON or form) | `POST /v1beta/models/{model}:predictLongRunning` | `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:predictLongRunning` |
//! | `GET /v1/videos/{id}` | `GET /v1beta/{operation name}` | `POST …/models/{model}:fetchPredictOperation`, made by the filter itself |
//! | `GET /v1/videos/{id}/content` | `GET /v1beta/files/{file}:download?alt=media` | the same poll; the inline video answered |
//!
//! The gateway keeps no state, so the job id carries what later calls need: the operation
//! name, the job's creation time, length and size, and, once a retrieve has seen an AI Studio
//! job completed, the video's file. It is [`VideoId`] in URL-safe base64 (one path segment).
//! An AI Studio download therefore takes the id of a completed retrieve answer (what OpenAI's
//! SDKs pass after polling); the id of the create answer names the job only. A Vertex download
//! polls the operation again, whose answer carries the video, so any id of the job serves.
//!
//! Vertex polls with a `POST` and a JSON body, which a filter cannot give the client's bodiless
//! `GET`: the exchange asks the shell to make that call itself
//! ([`HostCall`](crate::exchange::HostCall)) and answers from its answer.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::images::Inline;
use super::{multipart, resource_tail};
use crate::api::RouteType;
use crate::error::{ProxyError, TranslateError};

/// What the client's request asks of the job API.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `POST /v1/videos`: start a job.
    Create,
    /// `GET /v1/videos/{id}`: the job's state.
    Retrieve(VideoId),
    /// `GET /v1/videos/{id}/content`: the video.
    Content(VideoId),
}

fn bad(msg: impl Into<String>) -> ProxyError {
    ProxyError::bad_request(msg)
}

/// The call a method and client path make; 400 with the reason for the job API's operations
/// Veo has no counterpart of (list, delete, remix) and for a malformed id or the id of the
/// other mode (`vertex`: Gemini's Vertex AI mode).
pub fn call(
    method: &str,
    client_path: &str,
    query: &str,
    vertex: bool,
) -> Result<Call, ProxyError> {
    let call = call_of(method, client_path, query)?;
    if let Call::Retrieve(id) | Call::Content(id) = &call {
        if id.is_vertex() != vertex {
            return Err(not_ours());
        }
    }
    Ok(call)
}

fn call_of(method: &str, client_path: &str, query: &str) -> Result<Call, ProxyError> {
    let tail = resource_tail(RouteType::VideoGenerations, client_path);
    let segs: Vec<&str> = tail.split('/').collect();
    let get = method.eq_ignore_ascii_case("GET");
    let post = method.eq_ignore_ascii_case("POST");
    match (segs.as_slice(), get, post) {
        ([_], _, true) => Ok(Call::Create),
        ([_], true, _) => Err(bad(
            "listing videos is not available on gemini: the Gemini API lists no video operations, and the gateway keeps none",
        )),
        ([_, id], true, _) => Ok(Call::Retrieve(VideoId::decode(id)?)),
        ([_, _], _, _) if method.eq_ignore_ascii_case("DELETE") => Err(bad(
            "deleting a video is not available on gemini: a Veo operation and its file expire on their own (after two days) and cannot be deleted through the job API",
        )),
        ([_, id, "content"], true, _) => {
            if let Some(v) = crate::upstream::parse_query(query)
                .into_iter()
                .find(|(k, _)| k == "variant")
                .map(|(_, v)| v)
                .filter(|v| v != "video")
            {
                return Err(bad(format!(
                    "variant '{v}' is not available on gemini: Veo makes the video only, no thumbnail or spritesheet"
                )));
            }
            Ok(Call::Content(VideoId::decode(id)?))
        }
        ([_, _, "remix"], _, _) => Err(bad(
            "remixing a video is not available on gemini: Veo extends a video it made but does not remix one from a new prompt",
        )),
        _ => Err(bad(format!(
            "{method} {client_path} is not a video job operation the gateway maps onto Veo (create, retrieve, content)"
        ))),
    }
}

/// A job id: everything later calls need, since the gateway keeps no state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoId {
    /// The operation name (`models/veo-…/operations/…`).
    pub operation: String,
    /// When the job was created (gateway clock, Unix seconds).
    pub created_at: u64,
    /// The length asked for (OpenAI's `seconds`).
    pub seconds: String,
    /// The size asked for (OpenAI's `size`).
    pub size: String,
    /// The video's file (`abc` of `files/abc`), once the job is completed.
    pub file: Option<String>,
}

const ID_PREFIX: &str = "video_";

/// A name segment the Gemini API uses (model, operation and file ids): letters, digits,
/// `-`, `.`, `_`, not a dot segment. Anything else could steer the upstream path.
fn plain_segment(s: &str) -> bool {
    !s.is_empty()
        && !crate::escape::is_dot_segment(s)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// The model of an operation name, when it has one of Veo's shapes: AI Studio's
/// `models/{model}/operations/{id}`, or Vertex AI's
/// `projects/{project}/locations/{location}/publishers/google/models/{model}/operations/{id}`
/// (every name a [`plain_segment`]).
fn operation_model(name: &str) -> Option<&str> {
    if vertex_name(name) {
        let segs: Vec<&str> = name.split('/').skip(1).collect();
        return match segs.as_slice() {
            [p, "locations", l, "publishers", "google", "models", m, "operations", op]
                if [p, l, m, op].iter().all(|s| plain_segment(s)) =>
            {
                Some(*m)
            }
            _ => None,
        };
    }
    let rest = name.strip_prefix("models/")?;
    let (model, op) = rest.split_once("/operations/")?;
    (plain_segment(model) && plain_segment(op)).then_some(model)
}

/// Whether an operation name is a Vertex AI one (`projects/…`; AI Studio's are `models/…`).
fn vertex_name(name: &str) -> bool {
    name.starts_with("projects/")
}

fn not_ours() -> ProxyError {
    bad("this is not a video id of this gateway: ids come from its create and retrieve answers")
}

impl VideoId {
    /// The id as it appears in a path segment.
    pub fn encode(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.operation,
            self.created_at,
            self.seconds,
            self.size,
            self.file.as_deref().unwrap_or("")
        );
        format!("{ID_PREFIX}{}", URL_SAFE_NO_PAD.encode(text))
    }

    /// An id from a path segment; 400 when it is not one this gateway made.
    pub fn decode(id: &str) -> Result<VideoId, ProxyError> {
        VideoId::parse(id).ok_or_else(not_ours)
    }

    fn parse(id: &str) -> Option<VideoId> {
        let raw = id.strip_prefix(ID_PREFIX)?;
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.as_bytes()).ok()?).ok()?;
        let fields: Vec<&str> = text.split('\n').collect();
        let [op, created, seconds, size, file] = fields.as_slice() else {
            return None;
        };
        operation_model(op)?;
        if !(file.is_empty() || plain_segment(file)) {
            return None;
        }
        Some(VideoId {
            operation: op.to_string(),
            created_at: created.parse().ok()?,
            seconds: seconds.to_string(),
            size: size.to_string(),
            file: (!file.is_empty()).then(|| file.to_string()),
        })
    }

    /// The model named in the operation.
    pub fn model(&self) -> &str {
        operation_model(&self.operation).unwrap_or("")
    }

    /// Whether the operation is a Vertex AI one (`projects/…`).
    pub fn is_vertex(&self) -> bool {
        vertex_name(&self.operation)
    }
}

/// Whether the client path names a job (retrieve or download) rather than creating one.
pub fn names_job(client_path: &str) -> bool {
    resource_tail(RouteType::VideoGenerations, client_path).contains('/')
}

/// The Vertex AI operation that polls a job.
pub const VERTEX_POLL: &str = "fetchPredictOperation";

/// The `:fetchPredictOperation` body that polls job `id` (Vertex AI "Veo on Vertex AI API").
pub fn poll_body(id: &VideoId) -> Vec<u8> {
    serde_json::json!({"operationName": id.operation})
        .to_string()
        .into_bytes()
}

/// An upstream path (after the host) and its query arguments.
pub type PathQuery = (String, Vec<(String, String)>);

/// The upstream path (after the host) and query of a retrieve or download; `None` for a
/// create (the provider's `:predictLongRunning` path). 400 for a download of a job id.
pub fn upstream(call: &Call) -> Result<Option<PathQuery>, ProxyError> {
    Ok(match call {
        Call::Create => None,
        Call::Retrieve(id) => Some((format!("/v1beta/{}", id.operation), Vec::new())),
        Call::Content(id) => {
            let file = id.file.as_deref().ok_or_else(|| {
                bad("this id names the video job, not its video: retrieve the job (GET /v1/videos/{id}) until it is completed and download with the id that answer carries")
            })?;
            Some((
                format!("/v1beta/files/{file}:download"),
                vec![("alt".into(), "media".into())],
            ))
        }
    })
}

/// [`upstream`] from the client path alone (the provider's view: the exchange has checked the
/// method with [`call`] already): one segment creates, `{id}` retrieves, `{id}/content`
/// downloads.
pub fn upstream_of_path(client_path: &str) -> Result<Option<PathQuery>, ProxyError> {
    let method = if names_job(client_path) {
        "GET"
    } else {
        "POST"
    };
    upstream(&call(method, client_path, "", false)?)
}

/// What an OpenAI create request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoRequest {
    /// `prompt` (required).
    pub prompt: String,
    /// `seconds` (OpenAI's default: 4).
    pub seconds: Option<u64>,
    /// `size` (`WIDTHxHEIGHT`; OpenAI's default: `720x1280`).
    pub size: Option<String>,
    /// Not OpenAI's: `negative_prompt`.
    pub negative_prompt: Option<String>,
    /// `input_reference`: the first frame.
    pub image: Option<Inline>,
}

const DEFAULT_SECONDS: u64 = 4;
const DEFAULT_SIZE: &str = "720x1280";

/// An `input_reference` given by URL or file id: Veo takes the image's bytes, which the
/// gateway would have to fetch.
const IMAGE_AS_FILE: &str = "an 'input_reference' by image_url or file_id is not available on gemini: send the image as an 'input_reference' file of a multipart/form-data create";

fn seconds_of(text: &str) -> Result<u64, ProxyError> {
    text.trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| bad("'seconds' must be a positive whole number of seconds"))
}

impl VideoRequest {
    /// A JSON create body.
    pub fn from_json(v: &Value) -> Result<VideoRequest, ProxyError> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let seconds = match v.get("seconds") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(seconds_of(s)?),
            Some(n) => Some(seconds_of(&n.to_string())?),
        };
        if v.get("input_reference").is_some_and(|r| !r.is_null()) {
            return Err(bad(IMAGE_AS_FILE));
        }
        VideoRequest {
            prompt: text("prompt").unwrap_or_default(),
            seconds,
            size: text("size"),
            negative_prompt: text("negative_prompt"),
            image: None,
        }
        .checked()
    }

    /// A `multipart/form-data` create body (`input_reference` as a file part).
    pub fn from_form(content_type: &str, body: &[u8]) -> Result<VideoRequest, ProxyError> {
        let mut req = VideoRequest::default();
        for p in multipart::parts(content_type, body) {
            // `input_reference[image_url]` (the SDKs' object form), or a plain text field.
            let text_field = p.filename.is_none() && p.content_type.is_none();
            if p.name.starts_with("input_reference[") || (p.name == "input_reference" && text_field)
            {
                return Err(bad(IMAGE_AS_FILE));
            }
            if p.name == "input_reference" {
                req.image = Some(Inline {
                    mime: p.content_type.unwrap_or("image/png").to_string(),
                    b64: STANDARD.encode(p.value),
                });
                continue;
            }
            let Ok(value) = std::str::from_utf8(p.value) else {
                continue;
            };
            match p.name {
                "prompt" => req.prompt = value.to_string(),
                "seconds" => req.seconds = Some(seconds_of(value)?),
                "size" => req.size = Some(value.trim().to_string()),
                "negative_prompt" => req.negative_prompt = Some(value.to_string()),
                _ => {}
            }
        }
        req.checked()
    }

    fn checked(self) -> Result<VideoRequest, ProxyError> {
        if self.prompt.trim().is_empty() {
            return Err(bad("'prompt' is required"));
        }
        self.shape()?;
        Ok(self)
    }

    /// The seconds the job is made with (the client's or OpenAI's default).
    pub fn seconds(&self) -> u64 {
        self.seconds.unwrap_or(DEFAULT_SECONDS)
    }

    /// The size the job is made with (the client's or OpenAI's default).
    pub fn size(&self) -> &str {
        self.size.as_deref().unwrap_or(DEFAULT_SIZE)
    }

    /// Veo's aspect ratio and, for a size whose short side is 1080 or more, its resolution.
    fn shape(&self) -> Result<(&'static str, Option<&'static str>), ProxyError> {
        let size = self.size();
        let invalid = || {
            bad(format!(
                "size '{size}' is not available on gemini: Veo makes 16:9 or 9:16 videos, so the size must be WIDTHxHEIGHT with one side longer (e.g. 1280x720, 720x1280, 1920x1080)"
            ))
        };
        let (w, h) = size.split_once('x').ok_or_else(invalid)?;
        let (w, h): (u64, u64) = (
            w.parse().map_err(|_| invalid())?,
            h.parse().map_err(|_| invalid())?,
        );
        let aspect = match w.cmp(&h) {
            std::cmp::Ordering::Greater => "16:9",
            std::cmp::Ordering::Less => "9:16",
            std::cmp::Ordering::Equal => return Err(invalid()),
        };
        Ok((aspect, (w.min(h) >= 1080).then_some("1080p")))
    }
}

/// The `:predictLongRunning` body ("Generate videos with Veo", REST).
#[derive(Debug, Serialize)]
struct PredictBody<'a> {
    instances: [Instance<'a>; 1],
    parameters: Parameters<'a>,
}

#[derive(Debug, Serialize)]
struct Instance<'a> {
    prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<ImageBytes<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageBytes<'a> {
    bytes_base64_encoded: &'a str,
    mime_type: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Parameters<'a> {
    aspect_ratio: &'static str,
    duration_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    negative_prompt: Option<&'a str>,
}

/// The `:predictLongRunning` body of a create, JSON-encoded.
pub fn encode(req: &VideoRequest) -> Result<Vec<u8>, ProxyError> {
    let (aspect_ratio, resolution) = req.shape()?;
    let body = PredictBody {
        instances: [Instance {
            prompt: &req.prompt,
            image: req.image.as_ref().map(|i| ImageBytes {
                bytes_base64_encoded: &i.b64,
                mime_type: &i.mime,
            }),
        }],
        parameters: Parameters {
            aspect_ratio,
            duration_seconds: req.seconds(),
            resolution,
            negative_prompt: req.negative_prompt.as_deref(),
        },
    };
    serde_json::to_vec(&body).map_err(|e| ProxyError::Internal(e.to_string()))
}

/// OpenAI's video object ("The video object" of its API reference).
#[derive(Debug, Serialize)]
struct VideoObject<'a> {
    id: String,
    object: &'static str,
    model: &'a str,
    status: &'static str,
    progress: u8,
    created_at: u64,
    completed_at: Option<u64>,
    expires_at: Option<u64>,
    seconds: &'a str,
    size: &'a str,
    remixed_from_video_id: Option<&'a str>,
    error: Option<VideoError>,
}

/// Its `error`, for a failed job.
#[derive(Debug, Serialize)]
struct VideoError {
    code: &'static str,
    message: String,
}

/// The job as an OpenAI video object, JSON-encoded.
fn video_object(id: &VideoId, status: &'static str, error: Option<VideoError>) -> Vec<u8> {
    let progress = if status == "in_progress" { 0 } else { 100 };
    let object = VideoObject {
        id: id.encode(),
        object: "video",
        model: id.model(),
        status,
        progress,
        created_at: id.created_at,
        completed_at: None,
        expires_at: None,
        seconds: &id.seconds,
        size: &id.size,
        remixed_from_video_id: None,
        error,
    };
    serde_json::to_vec(&object).unwrap_or_default()
}

fn parse(body: &[u8]) -> Result<Value, TranslateError> {
    serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| TranslateError::new("the Veo answer is not a JSON object"))
}

/// The `:predictLongRunning` answer (an operation) as the new job (OpenAI's video object,
/// JSON-encoded). `vertex`: the job runs on Vertex AI, whose operation names say so.
pub fn decode_created(
    body: &[u8],
    req: &VideoRequest,
    created_at: u64,
    vertex: bool,
) -> Result<Vec<u8>, TranslateError> {
    let v = parse(body)?;
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| operation_model(n).is_some() && vertex_name(n) == vertex)
        .ok_or_else(|| TranslateError::new("the Veo answer names no operation"))?;
    let id = VideoId {
        operation: name.to_string(),
        created_at,
        seconds: req.seconds().to_string(),
        size: req.size().to_string(),
        file: None,
    };
    // A create answer may already be done (an error found at once).
    Ok(decode_state(&v, id))
}

/// An operation answer (AI Studio's `GET` of the operation, Vertex AI's
/// `:fetchPredictOperation`) as the job's state (OpenAI's video object, JSON-encoded).
/// `files_host` is the host whose `/v1beta/files/{file}:download` URIs the gateway can serve
/// (AI Studio; a Vertex answer names no such file).
pub fn decode_operation(
    body: &[u8],
    id: &VideoId,
    files_host: &str,
) -> Result<Vec<u8>, TranslateError> {
    let v = parse(body)?;
    let mut id = id.clone();
    if v.get("done").and_then(Value::as_bool) == Some(true) {
        if let Some(file) = video_file(&v, files_host) {
            id.file = Some(file);
        }
    }
    Ok(decode_state(&v, id))
}

/// The file of the first generated video, when its URI is a download of `files_host`.
fn video_file(v: &Value, files_host: &str) -> Option<String> {
    let uri = v
        .pointer("/response/generateVideoResponse/generatedSamples/0/video/uri")?
        .as_str()?;
    let rest = uri
        .strip_prefix("https://")?
        .strip_prefix(files_host)?
        .strip_prefix("/v1beta/files/")?;
    let file = rest.split(['?', '#']).next()?.strip_suffix(":download")?;
    plain_segment(file).then(|| file.to_string())
}

/// Where an operation's answer keeps its videos and filter counts: AI Studio's
/// `response.generateVideoResponse.generatedSamples`, Vertex AI's `response.videos`.
fn answer_of(v: &Value, vertex: bool) -> (Option<&Value>, &'static str) {
    if vertex {
        (v.get("response"), "videos")
    } else {
        (
            v.pointer("/response/generateVideoResponse"),
            "generatedSamples",
        )
    }
}

/// A job's state as an operation answer tells it.
enum JobState<'a> {
    /// Not done.
    Running,
    /// Done, with its first video (AI Studio: a sample with `video.uri`; Vertex AI: `gcsUri`
    /// or `bytesBase64Encoded` with `mimeType`).
    Completed(&'a Value),
    /// Done without a video: OpenAI's error code and message.
    Failed(&'static str, String),
}

fn job_state(v: &Value, vertex: bool) -> JobState<'_> {
    if v.get("done").and_then(Value::as_bool) != Some(true) {
        return JobState::Running;
    }
    if let Some(e) = v.get("error") {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("the video generation failed")
            .to_string();
        let code = e
            .get("code")
            .and_then(Value::as_i64)
            .map_or("video_generation_failed", rpc_code_name);
        return JobState::Failed(code, message);
    }
    let (answer, samples) = answer_of(v, vertex);
    if let Some(first) = answer
        .and_then(|a| a.get(samples))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return JobState::Completed(first);
    }
    let reasons: Vec<&str> = answer
        .and_then(|a| a.get("raiMediaFilteredReasons"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let filtered = answer
        .and_then(|a| a.get("raiMediaFilteredCount"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if !reasons.is_empty() {
        JobState::Failed("moderation_blocked", reasons.join("; "))
    } else if filtered > 0 {
        JobState::Failed(
            "moderation_blocked",
            "Veo held the video back (responsible AI filter)".into(),
        )
    } else {
        JobState::Failed(
            "video_generation_failed",
            "Veo finished without a video".into(),
        )
    }
}

fn decode_state(v: &Value, id: VideoId) -> Vec<u8> {
    match job_state(v, id.is_vertex()) {
        JobState::Running => video_object(&id, "in_progress", None),
        JobState::Completed(_) => video_object(&id, "completed", None),
        JobState::Failed(code, message) => {
            video_object(&id, "failed", Some(VideoError { code, message }))
        }
    }
}

/// A video the gateway answers itself: its content type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoBytes {
    /// `mimeType` of the answer (`video/mp4` when it names none).
    pub mime: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

fn status(status: u16, message: impl Into<String>) -> ProxyError {
    ProxyError::Gateway {
        status,
        message: message.into(),
    }
}

/// A Vertex AI `:fetchPredictOperation` answer (2xx) as the video of a download: the decoded
/// `bytesBase64Encoded` of the first video. 409 when the job is not completed or its video is
/// in Cloud Storage (`gcsUri`, named in the message: the gateway cannot read it), 502 when the
/// answer is not an operation.
pub fn vertex_content(body: &[u8]) -> Result<VideoBytes, ProxyError> {
    let v = parse(body).map_err(|e| {
        status(
            502,
            format!("the Vertex AI poll answer cannot be read: {e}"),
        )
    })?;
    let video = match job_state(&v, true) {
        JobState::Running => {
            return Err(status(
                409,
                "the video is not ready: the job is in progress; retrieve it (GET /v1/videos/{id}) until it is completed",
            ))
        }
        JobState::Failed(code, message) => {
            return Err(status(
                409,
                format!("the video job failed ({code}): {message}"),
            ))
        }
        JobState::Completed(video) => video,
    };
    let mime = video
        .get("mimeType")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("video/mp4")
        .to_string();
    if let Some(b64) = video.get("bytesBase64Encoded").and_then(Value::as_str) {
        let bytes = STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| status(502, "the Vertex AI video is not valid base64"))?;
        return Ok(VideoBytes { mime, bytes });
    }
    match video.get("gcsUri").and_then(Value::as_str) {
        Some(uri) => Err(status(
            409,
            format!("the video is in Cloud Storage at {uri}, which the gateway cannot download: read it from there (the job was made with a storageUri)"),
        )),
        None => Err(status(502, "the Vertex AI answer names no video")),
    }
}

/// The lowercase name of a `google.rpc.Code` (what OpenAI-style error codes look like).
fn rpc_code_name(code: i64) -> &'static str {
    match code {
        1 => "cancelled",
        3 => "invalid_argument",
        4 => "deadline_exceeded",
        5 => "not_found",
        7 => "permission_denied",
        8 => "resource_exhausted",
        9 => "failed_precondition",
        13 => "internal",
        14 => "unavailable",
        _ => "video_generation_failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names() {
        assert_eq!(
            operation_model("models/veo-3.0-generate-001/operations/abc"),
            Some("veo-3.0-generate-001")
        );
        assert_eq!(
            operation_model(
                "projects/p-1/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/9f1c-2a"
            ),
            Some("veo-3.0-generate-001")
        );
        for bad in [
            "projects/p/locations/l/publishers/google/models/m/operations/..",
            "projects/p/locations/l/publishers/google/models/m/operations",
            "projects/p/locations/l/publishers/google/models/m/operations/o/x",
            "operations/abc",
            "models/../operations/x",
            "models/m/operations/a/b",
            "models/m/operations/a?x",
        ] {
            assert_eq!(operation_model(bad), None, "{bad}");
        }
    }
}
