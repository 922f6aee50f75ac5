//! The OpenAI-compatible family (openai, azure, mistral/llama2 `openai` format, cerebras, xai,
//! deepseek, databricks, vllm, dashscope compatible mode): one implementation, one row per
//! provider in [`profiles`].
//!
//! Requests keep the client's JSON as sent — every field we do not model included — with only
//! Kong's edits (docs/kong-compatibility.md §13.1): `model` set to the resolved name, `stream` always
//! present, `top_k` removed where the upstream rejects it. Answers go back byte for byte
//! (`Decoded::Unchanged`) once checked to be the expected shape; streams pass through.

pub mod profiles;
pub mod stream;

use serde_json::Value;

use super::{
    json_body, Decoded, Encoded, Provider, Reads, RequestCtx, ResponseCtx, Scheme, StreamPlan,
    UpstreamTarget,
};
use crate::api::{LlmRequest, RouteType};
use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};
use profiles::{Base, Profile};

/// An OpenAI-compatible provider.
pub struct Compat {
    /// Its profile.
    pub profile: &'static Profile,
}

/// The implementation for a provider of the family.
pub fn for_name(name: ProviderName) -> &'static dyn Provider {
    profiles::compat(name)
}

impl Provider for Compat {
    fn name(&self) -> ProviderName {
        self.profile.name
    }

    fn supports(&self, route: RouteType) -> bool {
        route == RouteType::Preserve
            || self.profile.path(route).is_some()
            || crate::routes::served(self.profile.name, route)
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        (self.profile.streams && matches!(route, RouteType::Chat | RouteType::Completions))
            // Responses streams are passed through as the provider sends them.
            || (route == RouteType::Responses && crate::routes::served(self.profile.name, route))
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        let routed = !ctx.route.is_llm() && ctx.route != RouteType::Preserve;
        let op = if routed {
            crate::routes::compat_path(self.profile.name, ctx.route, ctx.client_path)
        } else {
            self.profile.path(ctx.route).unwrap_or("/").to_string()
        };
        let o = ctx.options;
        let fixed = |url: &str| {
            UpstreamTarget::from_url(url)
                .ok_or_else(|| ProxyError::Internal(format!("invalid upstream url {url}")))
        };
        let mut target = match self.profile.base {
            Base::Fixed(url) => fixed(url)?,
            Base::Azure => {
                let instance = o.azure_instance.as_deref().unwrap_or_default();
                let deployment = o.azure_deployment_id.as_deref().unwrap_or_default();
                let mut t = host(&format!("{instance}.openai.azure.com"));
                let version = o.azure_api_version.as_deref().unwrap_or("2023-05-15");
                t.query.push(("api-version".into(), version.into()));
                if routed {
                    t.path = crate::routes::azure_path(ctx.route, ctx.client_path, deployment);
                    t.query
                        .extend(crate::routes::azure_query(ctx.route, deployment));
                    return Ok(t);
                }
                t.path = format!("/openai/deployments/{deployment}");
                t
            }
            Base::Dashscope => {
                let intl = o
                    .dashscope
                    .as_ref()
                    .map(|d| d.international)
                    .unwrap_or(true);
                host(if intl {
                    "dashscope-intl.aliyuncs.com"
                } else {
                    "dashscope.aliyuncs.com"
                })
            }
            Base::Databricks => {
                let ws = o
                    .databricks
                    .as_ref()
                    .and_then(|d| d.workspace_instance_id.as_deref())
                    .unwrap_or_default();
                host(&format!("{ws}.cloud.databricks.com"))
            }
            // The exchange replaces this with `upstream_url` (required by config validation).
            Base::UpstreamUrl => host("localhost"),
        };
        if target.path == "/" {
            target.path.clear();
        }
        target.path.push_str(&op);
        if ctx.route == RouteType::Realtime
            && self.profile.name != ProviderName::Azure
            && !ctx.model.is_empty()
        {
            // OpenAI names the realtime model in the query (`/v1/realtime?model=…`).
            target.query.push(("model".into(), ctx.model.to_string()));
        }
        Ok(target)
    }

    fn encode(
        &self,
        _req: &LlmRequest,
        mut raw: Value,
        ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError> {
        self.encode_raw(&mut raw, ctx)
    }

    fn reads(&self) -> Reads {
        Reads::Raw
    }

    /// The client's body with the model, the stream flag and the profile's field drops.
    fn encode_raw(&self, raw: &mut Value, ctx: &RequestCtx<'_>) -> Result<Encoded, ProxyError> {
        if let Value::Object(map) = raw {
            map.insert("model".into(), Value::String(ctx.model.to_string()));
            if ctx.route != RouteType::Embeddings {
                map.insert("stream".into(), Value::Bool(ctx.stream));
            }
            if !self.profile.keeps_top_k {
                map.remove("top_k");
            }
        }
        let body = json_body(raw, ctx)?;
        Ok(Encoded {
            body,
            headers: Vec::new(),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        check_shape(body, ctx.route)?;
        Ok(Decoded::Unchanged)
    }

    fn stream(&self, _ctx: &ResponseCtx<'_>) -> StreamPlan {
        StreamPlan::Passthrough
    }
}

fn host(name: &str) -> UpstreamTarget {
    UpstreamTarget {
        scheme: Scheme::Https,
        host: name.to_string(),
        port: 443,
        path: String::new(),
        query: Vec::new(),
    }
}

/// Kong's check on OpenAI-format answers: chat and completions need `choices`, embeddings
/// `data` (docs/kong-compatibility.md §13.1; the texts are Kong's).
pub fn check_shape(body: &[u8], route: RouteType) -> Result<(), TranslateError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        TranslateError::new(format!("failed to decode {} response", route.as_str()))
    })?;
    let key = match route {
        RouteType::Chat | RouteType::Completions => "choices",
        RouteType::Embeddings => "data",
        _ => return Ok(()),
    };
    if v.get(key).is_none() {
        return Err(TranslateError::new(format!(
            "'{key}' not in {} response",
            route.as_str()
        )));
    }
    Ok(())
}
