//! Hugging Face (`huggingface`): chat (streamed too) and embeddings, per Kong's capability
//! matrix (docs/kong-compatibility.md §1: chat(S) 3.9, embeddings 3.11; no completions).
//!
//! Where requests go (docs/kong-compatibility.md §8 gives Kong's "new serverless API" paths on
//! `https://api-inference.huggingface.co`): we keep Kong's paths but use the host Hugging Face
//! documents today, `https://router.huggingface.co` (hub-docs `inference-providers/index.md`:
//! `https://router.huggingface.co/v1/chat/completions`; the feature-extraction pipeline is
//! served under `/hf-inference/models/{model}/pipeline/feature-extraction` on that host only).
//! `api-inference.huggingface.co` is the retired serverless API; `upstream_url` still points the
//! filter anywhere (a TGI or TEI server, an Inference Endpoint).
//!
//! - chat: `POST /v1/chat/completions`, model in the body (the router accepts
//!   `org/model:provider` to pin a provider);
//! - embeddings: `POST /hf-inference/models/{model}/pipeline/feature-extraction`;
//! - preserve: the client's path on the router host.
//!
//! Auth is the configured header (`Authorization: Bearer hf_…`), applied by the exchange.
//! Kong's OSS driver (docs/kong-compatibility.md §13.7) rewrote the body into `parameters`/`options`,
//! answered `finish_reason: "complete"` and never ended streams with `[DONE]`; none of that is
//! kept (docs/kong-compatibility.md §10, §11).

pub mod decode;
pub mod encode;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, RequestCtx, ResponseCtx, StreamPlan, UpstreamTarget,
};
use crate::api::{LlmRequest, LlmResponse, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};
use crate::stream::Framing;

/// Default host (HF Inference Providers router).
pub const BASE_URL: &str = "https://router.huggingface.co";

/// Chat path (OpenAI-compatible).
pub const CHAT_PATH: &str = "/v1/chat/completions";

/// The provider.
pub struct Huggingface;

impl Huggingface {
    fn base() -> Result<UpstreamTarget, ProxyError> {
        UpstreamTarget::from_url(BASE_URL)
            .ok_or_else(|| ProxyError::Internal(format!("invalid upstream url {BASE_URL}")))
    }
}

impl Provider for Huggingface {
    fn name(&self) -> ProviderName {
        ProviderName::Huggingface
    }

    fn supports(&self, route: RouteType) -> bool {
        matches!(
            route,
            RouteType::Chat | RouteType::Embeddings | RouteType::Preserve
        )
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        route == RouteType::Chat
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        let mut target = Self::base()?;
        target.path = match ctx.route {
            RouteType::Chat => CHAT_PATH.to_string(),
            RouteType::Embeddings => format!(
                "/hf-inference/models/{}/pipeline/feature-extraction",
                encode::model_path(ctx.model).ok_or_else(|| ProxyError::bad_request(
                    crate::error::text::MODEL_NOT_IN_PATH
                ))?
            ),
            RouteType::Completions => {
                return Err(ProxyError::bad_request(
                    "huggingface does not support llm/v1/completions",
                ))
            }
            _ => ctx.client_path.to_string(),
        };
        Ok(target)
    }

    fn encode(
        &self,
        req: &LlmRequest,
        raw: Value,
        ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError> {
        let body = match req {
            LlmRequest::Chat(chat) => {
                let body = encode::encode_chat(&raw, chat, ctx.model, ctx.stream)?;
                json_body(&body, ctx)
            }
            LlmRequest::Embeddings(emb) => {
                let body = encode::encode_embeddings(emb)?;
                json_body(&body, ctx)
            }
            LlmRequest::Completions(_) => {
                return Err(ProxyError::bad_request(
                    "huggingface does not support llm/v1/completions",
                ))
            }
        }?;
        Ok(Encoded {
            body,
            headers: encode::option_headers(ctx.options),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        let response = match ctx.route {
            RouteType::Chat => LlmResponse::Chat(decode::decode_chat(body, ctx)?),
            RouteType::Embeddings => LlmResponse::Embeddings(decode::decode_embeddings(body, ctx)?),
            RouteType::Completions => {
                return Err(TranslateError::new("no transformer for llm/v1/completions"))
            }
            _ => return Ok(Decoded::Unchanged),
        };
        Ok(Decoded::Translated(response))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        StreamPlan::Translate {
            framing: Framing::Sse,
            translator: Box::new(stream::HfStream::new(ctx.env.new_id("call_"))),
        }
    }
}
