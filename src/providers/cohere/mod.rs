//! Cohere (`provider: cohere`): chat, completions and embeddings, streamed chat and
//! completions (docs/kong-compatibility.md §1, §8).
//!
//! **Chat targets Cohere's v2 Chat API (`POST /v2/chat`), not Kong's v1 (`/v1/chat`).** Kong's
//! driver (docs/kong-compatibility.md §13.3) flattens the conversation into v1's `message` +
//! `chat_history`, maps `system` and `tool` turns to `USER`, forwards OpenAI's own body when
//! tools are present and always answers `finish_reason: stop`. v2 takes OpenAI-like messages
//! (system, user with text and image parts, assistant with tool calls, tool results),
//! function tools with JSON-schema parameters, `tool_choice`, `response_format` with a schema,
//! and answers with typed finish reasons, tool calls and usage; its stream has tool-call events.
//! The translation is therefore lossless where v1's is not. Completions keep Kong's path,
//! `POST /v1/generate` (legacy at Cohere: see the helper's report), and embeddings
//! `POST /v2/embed`.
//!
//! Upstream: `https://api.cohere.com` plus the route's path; `upstream_path` replaces the path
//! (docs/kong-compatibility.md §8); `preserve` uses the client's path. Auth is the operator's
//! `Authorization: Bearer …` header, applied by the exchange.

pub mod decode;
pub mod encode;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, Reads, RequestCtx, ResponseCtx, Scheme, StreamPlan,
    UpstreamTarget,
};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};
use crate::stream::Framing;

/// Cohere's API host.
pub const HOST: &str = "api.cohere.com";
/// Chat path (v2).
pub const CHAT_PATH: &str = "/v2/chat";
/// Completions path (legacy Generate).
pub const COMPLETIONS_PATH: &str = "/v1/generate";
/// Embeddings path (v2).
pub const EMBEDDINGS_PATH: &str = "/v2/embed";

/// The provider.
pub struct Cohere;

impl Provider for Cohere {
    fn name(&self) -> ProviderName {
        ProviderName::Cohere
    }

    fn supports(&self, route: RouteType) -> bool {
        matches!(
            route,
            RouteType::Chat | RouteType::Completions | RouteType::Embeddings | RouteType::Preserve
        )
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        matches!(route, RouteType::Chat | RouteType::Completions)
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        let route_path = match ctx.route {
            RouteType::Chat => CHAT_PATH,
            RouteType::Completions => COMPLETIONS_PATH,
            RouteType::Embeddings => EMBEDDINGS_PATH,
            _ => ctx.client_path,
        };
        let path = ctx
            .options
            .upstream_path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or(route_path);
        Ok(UpstreamTarget {
            scheme: Scheme::Https,
            host: HOST.to_string(),
            port: Scheme::Https.default_port(),
            path: normalise_path(path),
            query: Vec::new(),
        })
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
        let body = match req {
            LlmRequest::Chat(r) => json_body(&encode::encode_chat(r, ctx.model, ctx.stream)?, ctx),
            LlmRequest::Completions(r) => {
                json_body(&encode::encode_completions(r, ctx.model, ctx.stream), ctx)
            }
            LlmRequest::Embeddings(r) => {
                json_body(&encode::encode_embeddings(r, ctx.model, ctx.options)?, ctx)
            }
        }?;
        Ok(Encoded {
            body,
            headers: Vec::new(),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        let resp = match ctx.route {
            RouteType::Chat => decode::decode_chat(body, ctx)?,
            RouteType::Completions => decode::decode_completions(body, ctx)?,
            RouteType::Embeddings => decode::decode_embeddings(body, ctx)?,
            _ => return Ok(Decoded::Unchanged),
        };
        Ok(Decoded::Translated(resp))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        match ctx.route {
            RouteType::Chat => StreamPlan::Translate {
                framing: Framing::Sse,
                translator: Box::new(stream::ChatStream::new(ctx.env.new_id("call_"))),
            },
            RouteType::Completions => StreamPlan::Translate {
                framing: Framing::Ndjson,
                translator: Box::new(stream::GenerateStream::new()),
            },
            _ => StreamPlan::Passthrough,
        }
    }
}

/// Leading slashes collapse to one; an empty path is `/` (docs/kong-compatibility.md §8).
fn normalise_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
}
