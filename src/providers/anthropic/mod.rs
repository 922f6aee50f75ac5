//! Anthropic (docs/kong-compatibility.md §13.2): chat over the Messages API
//! (`/v1/messages`, streamed or not), completions over the legacy Text Completions API
//! (`/v1/complete`, not streamed: Kong's Anthropic streams chat only), `preserve` to the
//! client's path. No embeddings.
//!
//! The `anthropic-version` header comes from `options.anthropic_version` (config validation
//! requires it for this provider; if it is somehow absent the header is not invented, and
//! Anthropic's own 400 names it). The API key header (`x-api-key`) is applied by the exchange
//! from `config.auth`.

pub mod decode;
pub mod encode;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, Reads, RequestCtx, ResponseCtx, StreamPlan,
    UpstreamTarget,
};
use crate::api::{LlmRequest, LlmResponse, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};
use crate::stream::Framing;

/// Default base (docs/kong-compatibility.md §8).
pub const BASE_URL: &str = "https://api.anthropic.com:443";
/// Chat path.
pub const CHAT_PATH: &str = "/v1/messages";
/// Legacy completions path.
pub const COMPLETIONS_PATH: &str = "/v1/complete";

/// The provider.
pub struct Anthropic;

impl Anthropic {
    fn version_header(ctx: &RequestCtx<'_>) -> Vec<(String, String)> {
        ctx.options
            .anthropic_version
            .as_ref()
            .map(|v| vec![("anthropic-version".to_string(), v.clone())])
            .unwrap_or_default()
    }
}

impl Provider for Anthropic {
    fn name(&self) -> ProviderName {
        ProviderName::Anthropic
    }

    fn supports(&self, route: RouteType) -> bool {
        matches!(
            route,
            RouteType::Chat | RouteType::Completions | RouteType::Preserve
        )
    }

    fn fixed_headers(&self, ctx: &RequestCtx<'_>) -> Vec<(String, String)> {
        Self::version_header(ctx)
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        matches!(route, RouteType::Chat | RouteType::Preserve)
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        let mut target = UpstreamTarget::from_url(BASE_URL)
            .ok_or_else(|| ProxyError::Internal("bad anthropic base URL".into()))?;
        // docs/kong-compatibility.md §8: `upstream_path` replaces the operation path outright for
        // anthropic; `preserve` goes to the client's own path.
        target.path = match (&ctx.options.upstream_path, ctx.route) {
            (Some(p), _) if !p.is_empty() => p.clone(),
            (_, RouteType::Chat) => CHAT_PATH.to_string(),
            (_, RouteType::Completions) => COMPLETIONS_PATH.to_string(),
            (_, RouteType::Embeddings) => {
                return Err(ProxyError::bad_request(
                    "no transformer for anthropic://llm/v1/embeddings",
                ))
            }
            (_, _) => ctx.client_path.to_string(),
        };
        Ok(target)
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
        let model = if ctx.model.is_empty() {
            req.model().unwrap_or_default()
        } else {
            ctx.model
        };
        let body = match req {
            LlmRequest::Chat(chat) => json_body(
                &encode::encode_chat(chat, model, ctx.options, ctx.stream)?,
                ctx,
            )?,
            LlmRequest::Completions(c) => {
                json_body(&encode::encode_completions(c, model, ctx.options), ctx)?
            }
            LlmRequest::Embeddings(_) => {
                return Err(ProxyError::bad_request(
                    "no transformer for anthropic://llm/v1/embeddings",
                ))
            }
        };
        Ok(Encoded {
            body,
            headers: Self::version_header(ctx),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        let resp = match ctx.route {
            RouteType::Chat => LlmResponse::Chat(decode::decode_chat(body, ctx.model, ctx.env)?),
            RouteType::Completions => {
                LlmResponse::Completions(decode::decode_completions(body, ctx.model, ctx.env)?)
            }
            RouteType::Embeddings => {
                return Err(TranslateError::new(
                    "no transformer for anthropic://llm/v1/embeddings",
                ))
            }
            _ => return Ok(Decoded::Unchanged),
        };
        Ok(Decoded::Translated(resp))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        match ctx.route {
            RouteType::Chat => StreamPlan::Translate {
                framing: Framing::Sse,
                translator: Box::new(stream::MessagesStream::new()),
            },
            _ => StreamPlan::Passthrough,
        }
    }
}
