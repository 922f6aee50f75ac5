//! The route types beyond chat, completions and embeddings (docs/routes.md): files, batches,
//! assistants, responses, audio, images, video and realtime. For OpenAI-shaped upstreams
//! (openai, azure, xai) they are forwarded, not translated: this module maps the client's
//! path onto the provider's, reads the `model` of a JSON or multipart body for pinning and
//! analytics, and reads the usage these APIs report. Images on Gemini, Bedrock and DashScope
//! are translated ([`images`]), and so is video on Gemini ([`videos`]); the combinations Kong
//! lists that a filter cannot serve are refused per request with the reason ([`refusal`]).
//!
//! Host-free, like the rest of the core: the exchange calls it, the shell never does.

pub mod images;
pub mod multipart;
pub mod usage;
pub mod videos;

use crate::api::RouteType;
use crate::config::ProviderName;

/// The resources a REST route type serves. The first one is where a create goes when the
/// client path names none of them.
pub fn resources(route: RouteType) -> &'static [&'static str] {
    match route {
        RouteType::Files => &["files", "uploads"],
        RouteType::Batches => &["batches"],
        RouteType::Assistants => &["assistants", "threads", "vector_stores"],
        RouteType::Responses => &["responses"],
        RouteType::VideoGenerations => &["videos"],
        _ => &[],
    }
}

/// The fixed OpenAI operation of a non-REST route type (after `/v1/`).
fn fixed_operation(route: RouteType) -> Option<&'static str> {
    Some(match route {
        RouteType::AudioSpeech => "audio/speech",
        RouteType::AudioTranscriptions => "audio/transcriptions",
        RouteType::AudioTranslations => "audio/translations",
        RouteType::ImageGenerations => "images/generations",
        RouteType::ImageEdits => "images/edits",
        RouteType::Realtime => "realtime",
        _ => return None,
    })
}

/// The client's path from the first segment naming one of the route's resources on
/// (`/gw/v1/files/file-1/content` → `files/file-1/content`); the route's main resource when
/// the path names none (a gateway route such as `/upload` posting a new file).
pub fn resource_tail(route: RouteType, client_path: &str) -> String {
    let names = resources(route);
    let mut offset = 0;
    for seg in client_path.split('/') {
        if names.contains(&seg) {
            let rest = client_path.get(offset..).unwrap_or(seg);
            return rest.trim_end_matches('/').to_string();
        }
        offset += seg.len() + 1;
    }
    names.first().copied().unwrap_or("").to_string()
}

/// The operation path after the API version prefix: `audio/speech` for fixed routes, the
/// client's resource tail for REST routes.
pub fn operation(route: RouteType, client_path: &str) -> String {
    match fixed_operation(route) {
        Some(op) => op.to_string(),
        None => resource_tail(route, client_path),
    }
}

/// The path of an OpenAI-compatible provider other than Azure: OpenAI's (also xAI's)
/// `/v1/{operation}`, or DashScope's own image path.
pub fn compat_path(provider: ProviderName, route: RouteType, client_path: &str) -> String {
    if images::translated(provider, route) {
        return images::DASHSCOPE_PATH.to_string();
    }
    format!("/v1/{}", operation(route, client_path))
}

/// Azure OpenAI's path. Audio and images are per deployment
/// (`/openai/deployments/{d}/audio/speech`); files, batches and assistants are per resource
/// (`/openai/files/…`); responses and video use the v1 surface (`/openai/v1/responses/…`,
/// `/openai/v1/video/generations/jobs`); realtime is `/openai/realtime` (the deployment goes in
/// the query, see [`azure_query`]). `api-version` is added by the caller for every one.
pub fn azure_path(route: RouteType, client_path: &str, deployment: &str) -> String {
    match route {
        RouteType::AudioSpeech
        | RouteType::AudioTranscriptions
        | RouteType::AudioTranslations
        | RouteType::ImageGenerations
        | RouteType::ImageEdits => {
            format!(
                "/openai/deployments/{deployment}/{}",
                operation(route, client_path)
            )
        }
        RouteType::Realtime => "/openai/realtime".to_string(),
        RouteType::Responses => format!("/openai/v1/{}", operation(route, client_path)),
        RouteType::VideoGenerations => {
            // Azure names the resource `video/generations/jobs`; the id and `content` follow.
            let tail = operation(route, client_path);
            let rest = tail.strip_prefix("videos").unwrap_or(&tail);
            format!("/openai/v1/video/generations/jobs{rest}")
        }
        _ => format!("/openai/{}", operation(route, client_path)),
    }
}

/// Query arguments Azure needs beyond `api-version`: the deployment of a realtime session.
pub fn azure_query(route: RouteType, deployment: &str) -> Vec<(String, String)> {
    if route == RouteType::Realtime {
        vec![("deployment".into(), deployment.to_string())]
    } else {
        Vec::new()
    }
}

/// Whether an OpenAI-compatible provider serves a non-LLM route type (docs/kong-compatibility.md §16):
/// openai and azure serve all of them, xAI responses and image generations, DashScope images
/// (translated, [`images`]).
pub fn served(provider: ProviderName, route: RouteType) -> bool {
    match provider {
        ProviderName::Openai | ProviderName::Azure => true,
        ProviderName::Xai => matches!(route, RouteType::Responses | RouteType::ImageGenerations),
        _ => images::translated(provider, route),
    }
}

/// Whether the filter translates `route` to the provider's own API (both ways): images on
/// Gemini, Bedrock and DashScope ([`images`]), video on Gemini ([`videos`], AI Studio and
/// Vertex AI).
pub fn translated(provider: ProviderName, route: RouteType) -> bool {
    images::translated(provider, route)
        || (provider == ProviderName::Gemini && route == RouteType::VideoGenerations)
}

/// Why a combination Kong's capability matrix lists cannot be served by a proxy-wasm filter
/// (docs/routes.md "Refused per request"): such a config loads, and each request gets 400
/// with this text. `vertex` is Gemini's Vertex mode.
pub fn refusal(provider: ProviderName, route: RouteType, vertex: bool) -> Option<&'static str> {
    use ProviderName::*;
    use RouteType::*;
    Some(match (provider, route) {
        (Gemini, Files) if vertex => {
            "llm/v1/files is not available on gemini (Vertex AI): Vertex has no Files API, its inputs live in Cloud Storage, which a proxy-wasm filter cannot write"
        }
        (Gemini, Files) => {
            "llm/v1/files in OpenAI format is not available on gemini: Gemini's Files API takes resumable upload sessions that a proxy-wasm filter cannot drive; Kong serves it in native format only (llm_format: gemini)"
        }
        (Gemini, Batches) => {
            "llm/v1/batches in OpenAI format is not available on gemini: a Gemini batch reads Gemini requests from a Gemini file or Cloud Storage, and an OpenAI batch names an OpenAI file of OpenAI requests that a proxy-wasm filter can neither read nor rewrite; use llm_format: gemini (native)"
        }
        (Bedrock, Files) => {
            "llm/v1/files is not available on bedrock: Bedrock has no Files API, batch inputs are S3 objects, which a proxy-wasm filter cannot write"
        }
        (Bedrock, Batches) => {
            "llm/v1/batches is not available on bedrock: CreateModelInvocationJob reads its input from S3 (bedrock.batch_bucket_prefix), and a proxy-wasm filter cannot put the OpenAI batch file there"
        }
        (Anthropic, Batches) => {
            "llm/v1/batches in OpenAI format is not available on anthropic: Message Batches take their requests inline, and an OpenAI batch only names an OpenAI file that a proxy-wasm filter cannot read; use llm_format: anthropic (native)"
        }
        (Bedrock, VideoGenerations) => {
            "video/v1/videos/generations is not available on bedrock: StartAsyncInvoke writes the video to S3 (bedrock.video_output_s3_uri), and a proxy-wasm filter cannot serve it back from there"
        }
        (Huggingface, VideoGenerations) => {
            "video/v1/videos/generations is not available on huggingface: its text-to-video task answers the video bytes at once, with no OpenAI video job to create, poll and download"
        }
        (Gemini, Realtime) => {
            "realtime/v1/realtime is not available on gemini: Gemini Live frames are not OpenAI Realtime frames, and a proxy-wasm HTTP filter never sees WebSocket frames to translate them"
        }
        _ => return None,
    })
}

/// Whether requests of this route type carry a `model` (in their JSON or form body) worth
/// reading for pinning and analytics. Files and batches never do; their bodies are not held.
pub fn body_has_model(route: RouteType) -> bool {
    !matches!(
        route,
        RouteType::Files | RouteType::Batches | RouteType::Realtime
    )
}

/// Whether a JSON create request of this route type needs a `model` that the filter fills in
/// from the config when the client leaves it out (the provider refuses it without one).
pub fn create_needs_model(route: RouteType, method: &str, client_path: &str) -> bool {
    if !method.eq_ignore_ascii_case("POST") {
        return false;
    }
    match route {
        RouteType::AudioSpeech | RouteType::ImageGenerations => true,
        RouteType::Responses | RouteType::VideoGenerations => {
            !resource_tail(route, client_path).contains('/')
        }
        _ => false,
    }
}

/// Kong's `genai_category` for a route type (docs/kong-compatibility.md §16), for the analytics record.
pub fn genai_category(route: RouteType) -> Option<&'static str> {
    Some(match route {
        RouteType::Chat | RouteType::Completions | RouteType::Assistants | RouteType::Responses => {
            "text/generation"
        }
        RouteType::Embeddings => "text/embeddings",
        RouteType::AudioSpeech => "audio/speech",
        RouteType::AudioTranscriptions | RouteType::AudioTranslations => "audio/transcription",
        RouteType::ImageGenerations | RouteType::ImageEdits => "image/generation",
        RouteType::VideoGenerations => "video/generation",
        RouteType::Realtime => "realtime/generation",
        RouteType::Files | RouteType::Batches | RouteType::Preserve => return None,
    })
}

/// Whether the request is a WebSocket upgrade (`Upgrade: websocket`, any case).
pub fn is_websocket_upgrade(upgrade: Option<&str>) -> bool {
    upgrade.is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_tails() {
        for (route, path, tail) in [
            (RouteType::Files, "/v1/files", "files"),
            (
                RouteType::Files,
                "/gw/files/file-1/content",
                "files/file-1/content",
            ),
            (RouteType::Files, "/upload", "files"),
            (
                RouteType::Batches,
                "/v1/batches/b1/cancel/",
                "batches/b1/cancel",
            ),
            (
                RouteType::Assistants,
                "/x/v1/threads/t1/runs",
                "threads/t1/runs",
            ),
            // `files` inside an id later in the path is not a resource segment.
            (
                RouteType::Responses,
                "/responses/resp_files",
                "responses/resp_files",
            ),
        ] {
            assert_eq!(resource_tail(route, path), tail, "{path}");
        }
    }

    #[test]
    fn azure_layout() {
        for (route, path, want) in [
            (
                RouteType::AudioSpeech,
                "/v1/audio/speech",
                "/openai/deployments/dep/audio/speech",
            ),
            (
                RouteType::Files,
                "/v1/files/f/content",
                "/openai/files/f/content",
            ),
            (
                RouteType::Responses,
                "/v1/responses/r1",
                "/openai/v1/responses/r1",
            ),
            (
                RouteType::VideoGenerations,
                "/v1/videos",
                "/openai/v1/video/generations/jobs",
            ),
            (
                RouteType::VideoGenerations,
                "/v1/videos/v1",
                "/openai/v1/video/generations/jobs/v1",
            ),
            (RouteType::Realtime, "/v1/realtime", "/openai/realtime"),
        ] {
            assert_eq!(azure_path(route, path, "dep"), want, "{path}");
        }
    }

    #[test]
    fn dashscope_images_use_its_own_path() {
        assert_eq!(
            compat_path(
                ProviderName::Dashscope,
                RouteType::ImageGenerations,
                "/v1/images/generations"
            ),
            images::DASHSCOPE_PATH
        );
        assert_eq!(
            compat_path(
                ProviderName::Xai,
                RouteType::ImageGenerations,
                "/v1/images/generations"
            ),
            "/v1/images/generations"
        );
    }
}
