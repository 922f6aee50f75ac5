//! Placeholder until the provider lands: refuses every route.

use serde_json::Value;

use super::{Decoded, Encoded, Provider, RequestCtx, ResponseCtx, StreamPlan, UpstreamTarget};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};

/// The provider.
pub struct Cohere;

impl Provider for Cohere {
    fn name(&self) -> ProviderName {
        ProviderName::Cohere
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
