//! The OpenAI-compatible family: one implementation, one profile per provider.

pub mod profiles;

use serde_json::Value;

use super::{Decoded, Encoded, Provider, RequestCtx, ResponseCtx, StreamPlan, UpstreamTarget};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};

/// An OpenAI-compatible provider.
pub struct Compat {
    /// Its profile.
    pub profile: &'static profiles::Profile,
}

/// The implementation for a provider of the family.
pub fn for_name(name: ProviderName) -> &'static dyn Provider {
    profiles::compat(name)
}

impl Provider for Compat {
    fn name(&self) -> ProviderName {
        self.profile.name
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
        Ok(Decoded::Unchanged)
    }
    fn stream(&self, _ctx: &ResponseCtx<'_>) -> StreamPlan {
        StreamPlan::Passthrough
    }
}
