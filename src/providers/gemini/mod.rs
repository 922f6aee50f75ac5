//! Gemini: Google AI Studio (Gemini API, `generativelanguage.googleapis.com/v1beta`) and
//! Vertex AI (`{api_endpoint}/v1/projects/…/publishers/google/models/…`), one provider
//! (docs/kong-compatibility.md §13.5).
//!
//! Vertex mode applies iff `options.gemini` has `api_endpoint`, `project_id` and `location_id`
//! (config validation ensures all three or none); otherwise AI Studio. Routes: chat (streamed),
//! completions (streamed too, same translator) and embeddings, in both modes; `preserve` gets the
//! provider host with the client's path (Kong's preserve rule, docs/kong-compatibility.md §8).
//!
//! Upstream operations:
//! - chat/completions: `:generateContent`, or `:streamGenerateContent?alt=sse` when streaming
//!   (SSE is what Google's SDKs use; the translator also takes the JSON-array form);
//! - embeddings: AI Studio `:batchEmbedContents`; Vertex `:predict` (the Vertex "Text
//!   embeddings API", which serves `gemini-embedding-001`, `text-embedding-005` and
//!   `text-multilingual-embedding-002`; Kong's docs say "generateContent", which does not embed);
//! - images: `:generateContent` with image output, `:predict` for Imagen models (bodies in
//!   `crate::routes::images`);
//! - video: `:predictLongRunning`, then (AI Studio) the operation and its file, or (Vertex)
//!   `:fetchPredictOperation` (paths and bodies in `crate::routes::videos`).
//!
//! Auth is not applied here: the exchange injects `config.auth` (AI Studio key as query `key`
//! or header `x-goog-api-key`; a configured `Authorization: Bearer …` for Vertex).

pub mod decode;
pub mod encode;
pub mod schema;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, Reads, RequestCtx, ResponseCtx, Scheme, StreamPlan,
    UpstreamTarget,
};
use crate::api::{LlmRequest, LlmResponse, RouteType};
use crate::config::{ModelOptions, ProviderName};
use crate::error::{ProxyError, TranslateError};
use crate::stream::Framing;

/// AI Studio host.
pub const AI_STUDIO_HOST: &str = "generativelanguage.googleapis.com";

/// The provider.
pub struct Gemini;

/// Vertex coordinates from `options.gemini`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vertex<'a> {
    /// Regional host, e.g. `us-central1-aiplatform.googleapis.com`.
    pub api_endpoint: &'a str,
    /// GCP project.
    pub project_id: &'a str,
    /// Region, e.g. `us-central1`.
    pub location_id: &'a str,
    /// A deployed endpoint (tuned model) instead of a publisher model.
    pub endpoint_id: Option<&'a str>,
}

/// The Vertex coordinates, when the options select Vertex mode.
pub fn vertex(options: &ModelOptions) -> Option<Vertex<'_>> {
    let g = options.gemini.as_ref()?;
    fn set(v: &Option<String>) -> Option<&str> {
        v.as_deref().filter(|s| !s.trim().is_empty())
    }
    Some(Vertex {
        api_endpoint: set(&g.api_endpoint)?,
        project_id: set(&g.project_id)?,
        location_id: set(&g.location_id)?,
        endpoint_id: set(&g.endpoint_id),
    })
}

/// A model name as a path segment: a leading `models/` is dropped and every byte outside
/// `A-Z a-z 0-9 - . _ ~ @` is percent-encoded, so a client-chosen model can never change the
/// path or the `:operation` suffix.
pub fn path_segment(name: &str) -> String {
    let name = name.strip_prefix("models/").unwrap_or(name);
    crate::escape::component_keeping(name, b"@")
}

/// A Vertex project or location as a whole path segment: [`path_segment`], with `.` and `..`
/// refused (they would be removed by path normalisation and climb out of their place).
fn whole_segment(value: &str) -> Result<String, ProxyError> {
    if crate::escape::is_dot_segment(value) {
        return Err(ProxyError::bad_request(
            crate::error::text::VALUE_NOT_IN_PATH,
        ));
    }
    Ok(path_segment(value))
}

/// The model name without a `models/` prefix.
fn bare_model(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// The operation for a route (images: `crate::routes::images`).
fn operation(route: RouteType, stream: bool, vertex: bool, model: &str) -> &'static str {
    let image = matches!(route, RouteType::ImageGenerations | RouteType::ImageEdits);
    match route {
        RouteType::Embeddings if vertex => "predict",
        RouteType::Embeddings => "batchEmbedContents",
        RouteType::VideoGenerations => "predictLongRunning",
        _ if image && crate::routes::images::is_imagen(model) => "predict",
        _ if image => "generateContent",
        _ if stream => "streamGenerateContent",
        _ => "generateContent",
    }
}

/// Where a request goes (before the exchange applies `upstream_url`).
pub fn target(ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
    let vx = vertex(ctx.options);
    let mut target = match vx {
        Some(v) => {
            let url = if v.api_endpoint.contains("://") {
                v.api_endpoint.to_string()
            } else {
                format!("https://{}", v.api_endpoint)
            };
            UpstreamTarget::from_url(&url).ok_or_else(|| {
                ProxyError::Internal("invalid model.options.gemini.api_endpoint".into())
            })?
        }
        None => UpstreamTarget {
            scheme: Scheme::Https,
            host: AI_STUDIO_HOST.into(),
            port: 443,
            path: "/".into(),
            query: Vec::new(),
        },
    };
    target.query.clear();
    if ctx.route == RouteType::Preserve {
        target.path = ctx.client_path.to_string();
        return Ok(target);
    }
    let stream = ctx.stream && ctx.route != RouteType::Embeddings;
    let polls = ctx.route == RouteType::VideoGenerations
        && vx.is_some()
        && crate::routes::videos::names_job(ctx.client_path);
    let op = if polls {
        // A Vertex retrieve or download polls the job (the model is the job's).
        crate::routes::videos::VERTEX_POLL
    } else {
        operation(ctx.route, stream, vx.is_some(), ctx.model)
    };
    let model = path_segment(ctx.model);
    target.path = match vx {
        Some(v) => {
            let base = format!(
                "/v1/projects/{}/locations/{}",
                whole_segment(v.project_id)?,
                whole_segment(v.location_id)?
            );
            match v.endpoint_id {
                Some(e) => format!("{base}/endpoints/{}:{op}", path_segment(e)),
                None => format!("{base}/publishers/google/models/{model}:{op}"),
            }
        }
        None => format!("/v1beta/models/{model}:{op}"),
    };
    if stream {
        target.query.push(("alt".into(), "sse".into()));
    }
    if ctx.route == RouteType::VideoGenerations && vx.is_none() {
        // A retrieve or download goes to the operation or file the job id names.
        if let Some((path, query)) = crate::routes::videos::upstream_of_path(ctx.client_path)? {
            target.path = path;
            target.query = query;
        }
    }
    Ok(target)
}

/// The body with no extra headers.
fn to_body<T: serde::Serialize>(value: &T, ctx: &RequestCtx<'_>) -> Result<Encoded, ProxyError> {
    Ok(Encoded {
        body: json_body(value, ctx)?,
        headers: Vec::new(),
    })
}

impl Provider for Gemini {
    fn name(&self) -> ProviderName {
        ProviderName::Gemini
    }

    fn supports(&self, route: RouteType) -> bool {
        matches!(
            route,
            RouteType::Chat
                | RouteType::Completions
                | RouteType::Embeddings
                | RouteType::Preserve
                | RouteType::ImageGenerations
                | RouteType::ImageEdits
                | RouteType::VideoGenerations
        )
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        matches!(route, RouteType::Chat | RouteType::Completions)
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        target(ctx)
    }

    fn reads(&self) -> Reads {
        Reads::Typed
    }

    fn encode(
        &self,
        req: &LlmRequest,
        _raw: Value,
        ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError> {
        match req {
            LlmRequest::Chat(r) => to_body(&encode::encode_chat(r)?, ctx),
            LlmRequest::Completions(r) => to_body(&encode::encode_completions(r), ctx),
            LlmRequest::Embeddings(r) => {
                let dims = r.dimensions.or(ctx.options.embeddings_dimensions);
                if vertex(ctx.options).is_some() {
                    to_body(&encode::encode_embeddings_vertex(r, dims)?, ctx)
                } else {
                    let model = bare_model(ctx.model);
                    to_body(&encode::encode_embeddings_ai_studio(r, model, dims)?, ctx)
                }
            }
        }
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        let model = bare_model(ctx.model);
        let response = match ctx.route {
            RouteType::Chat => LlmResponse::Chat(decode::decode_chat(body, model, ctx.env)?),
            RouteType::Completions => {
                LlmResponse::Completions(decode::decode_completions(body, model, ctx.env)?)
            }
            RouteType::Embeddings => {
                // The client's `encoding_format` is not in the response context; floats are
                // what Gemini returns and what every OpenAI client accepts.
                let e = if vertex(ctx.options).is_some() {
                    decode::decode_embeddings_vertex(body, model, false)?
                } else {
                    decode::decode_embeddings_ai_studio(body, model, false)?
                };
                LlmResponse::Embeddings(e)
            }
            _ => return Ok(Decoded::Unchanged),
        };
        Ok(Decoded::Translated(response))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        StreamPlan::Translate {
            framing: Framing::Sse,
            translator: Box::new(stream::GeminiStream::new(
                bare_model(ctx.model),
                ctx.env.new_id("call_"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_segment_is_escaped() {
        assert_eq!(path_segment("models/gemini-2.0-flash"), "gemini-2.0-flash");
        assert_eq!(
            path_segment("textembedding-gecko@003"),
            "textembedding-gecko@003"
        );
        assert_eq!(path_segment("a/../b:x?y"), "a%2F..%2Fb%3Ax%3Fy");
    }
}
