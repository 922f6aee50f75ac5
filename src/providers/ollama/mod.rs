//! Placeholder until the provider lands: refuses every route.

use serde_json::Value;

use super::{Decoded, Encoded, Provider, RequestCtx, ResponseCtx, StreamPlan, UpstreamTarget};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};

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

impl Provider for Ollama {
    fn name(&self) -> ProviderName {
        self.provider
    }
    fn supports(&self, _route: RouteType) -> bool {
        false
    }
    fn supports_stream(&self, _route: RouteType) -> bool {
        false
    }
    fn upstream(&self, _ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        Err(ProxyError::Internal("provider not built yet".into()))
    }
    fn encode(
        &self,
        _req: &LlmRequest,
        _raw: &Value,
        _ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError> {
        Err(ProxyError::Internal("provider not built yet".into()))
    }
    fn decode(&self, _body: &[u8], _ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        Err(TranslateError::new("provider not built yet"))
    }
    fn stream(&self, _ctx: &ResponseCtx<'_>) -> StreamPlan {
        StreamPlan::Passthrough
    }
}
