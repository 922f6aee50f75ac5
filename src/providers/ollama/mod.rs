//! The Ollama family: one implementation serving four configs (docs/kong-compatibility.md
//! §13.4):
//! - [`OLLAMA`] (`provider: ollama`), [`MISTRAL`] (`mistral_format: ollama`) and [`LLAMA2`]
//!   (`llama2_format: ollama`) speak Ollama's native API: `/api/chat`, `/api/generate`,
//!   `/api/embed`, NDJSON streams;
//! - [`LLAMA2_RAW`] (`llama2_format: raw`) sends one Llama-2 chat prompt (`llama2_raw`).
//!
//! Routes: chat (streamed), completions (streamed) and embeddings for every Ollama-format
//! config (the matrix lists completions for llama2 only; `/api/generate` serves it for all at no
//! cost); raw has chat and completions, no embeddings (docs/kong-compatibility.md §1).
//!
//! Upstream: llama2 requires `upstream_url` (config validation; used verbatim, `upstream_path`
//! ignored as in Kong). Ollama and Mistral default to `http://localhost:11434` plus the route's
//! path, `upstream_path` replacing the path; `upstream_url`, when set, replaces the target (the
//! exchange applies it). `preserve` uses the client's path.
//!
//! Kong refuses a chat body carrying both `prompt` and `messages` for these formats with a plain
//! `{"message": …}` body; here it is the same text in the filter's standard error shape (400).

pub mod decode;
pub mod encode;
pub mod llama2_raw;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, RequestCtx, ResponseCtx, Scheme, StreamPlan,
    UpstreamTarget,
};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};
use crate::stream::Framing;

/// Kong's text for a body with both `prompt` and `messages` (docs/kong-compatibility.md §3.2).
pub const PROMPT_AND_MESSAGES: &str =
    "cannot run raw 'prompt' and chat history 'messages' requests at the same time - refer to schema";

/// Where a local Ollama listens.
pub const DEFAULT_HOST: &str = "localhost";
/// Ollama's default port.
pub const DEFAULT_PORT: u16 = 11434;

/// Ollama's API, also used by `llama2`/`mistral` with the `ollama` format, and llama2 `raw`.
pub struct Ollama {
    /// Which config provider this serves.
    pub provider: ProviderName,
    /// `llama2_format: raw`.
    pub raw: bool,
}

/// `provider: ollama`.
pub static OLLAMA: Ollama = Ollama {
    provider: ProviderName::Ollama,
    raw: false,
};
/// `provider: mistral`, `mistral_format: ollama`.
pub static MISTRAL: Ollama = Ollama {
    provider: ProviderName::Mistral,
    raw: false,
};
/// `provider: llama2`, `llama2_format: ollama`.
pub static LLAMA2: Ollama = Ollama {
    provider: ProviderName::Llama2,
    raw: false,
};
/// `provider: llama2`, `llama2_format: raw`.
pub static LLAMA2_RAW: Ollama = Ollama {
    provider: ProviderName::Llama2,
    raw: true,
};

impl Ollama {
    fn route_path(route: RouteType, client_path: &str) -> &str {
        match route {
            RouteType::Chat => "/api/chat",
            RouteType::Completions => "/api/generate",
            RouteType::Embeddings => "/api/embed",
            _ => client_path,
        }
    }
}

impl Provider for Ollama {
    fn name(&self) -> ProviderName {
        self.provider
    }

    fn supports(&self, route: RouteType) -> bool {
        match route {
            RouteType::Chat | RouteType::Completions | RouteType::Preserve => true,
            RouteType::Embeddings => !self.raw,
            _ => false,
        }
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        matches!(route, RouteType::Chat | RouteType::Completions)
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        if self.provider == ProviderName::Llama2 {
            let url = ctx.options.upstream_url.as_deref().ok_or_else(|| {
                ProxyError::Internal("upstream_url is required for llama2".to_string())
            })?;
            let mut target = UpstreamTarget::from_url(url).ok_or_else(|| {
                ProxyError::Internal("upstream_url is not a valid URL".to_string())
            })?;
            if ctx.route == RouteType::Preserve {
                target.path = ctx.client_path.to_string();
            }
            return Ok(target);
        }
        let path = ctx
            .options
            .upstream_path
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| Self::route_path(ctx.route, ctx.client_path));
        Ok(UpstreamTarget {
            scheme: Scheme::Http,
            host: DEFAULT_HOST.to_string(),
            port: DEFAULT_PORT,
            path: format!("/{}", path.trim_start_matches('/')),
            query: Vec::new(),
        })
    }

    fn encode(
        &self,
        req: &LlmRequest,
        raw: Value,
        ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError> {
        if raw.get("prompt").is_some() && raw.get("messages").is_some() {
            return Err(ProxyError::bad_request(PROMPT_AND_MESSAGES));
        }
        let body = match (req, self.raw) {
            (LlmRequest::Chat(r), true) => json_body(&llama2_raw::encode_chat(r, ctx.stream), ctx),
            (LlmRequest::Completions(r), true) => {
                json_body(&llama2_raw::encode_completions(r, ctx.stream), ctx)
            }
            (LlmRequest::Embeddings(_), true) => Err(ProxyError::bad_request(
                "no transformer for llama2://llm/v1/embeddings",
            )),
            (LlmRequest::Chat(r), false) => {
                json_body(&encode::encode_chat(r, ctx.model, ctx.stream)?, ctx)
            }
            (LlmRequest::Completions(r), false) => {
                json_body(&encode::encode_completions(r, ctx.model, ctx.stream), ctx)
            }
            (LlmRequest::Embeddings(r), false) => {
                json_body(&encode::encode_embeddings(r, ctx.model, ctx.options)?, ctx)
            }
        }?;
        Ok(Encoded {
            body,
            headers: Vec::new(),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        if ctx.route == RouteType::Preserve {
            return Ok(Decoded::Unchanged);
        }
        let resp = if self.raw {
            llama2_raw::decode(body, ctx)?
        } else {
            match ctx.route {
                RouteType::Completions => decode::decode_completions(body, ctx)?,
                RouteType::Embeddings => decode::decode_embeddings(body, ctx)?,
                _ => decode::decode_chat(body, ctx)?,
            }
        };
        Ok(Decoded::Translated(resp))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        match ctx.route {
            RouteType::Chat | RouteType::Completions if self.raw => StreamPlan::Translate {
                framing: Framing::Sse,
                translator: Box::new(llama2_raw::RawStream::new()),
            },
            RouteType::Chat | RouteType::Completions => StreamPlan::Translate {
                framing: Framing::Ndjson,
                translator: Box::new(stream::OllamaStream::new(ctx.env.new_id("call_"))),
            },
            _ => StreamPlan::Passthrough,
        }
    }
}
