//! Amazon Bedrock (`bedrock`): chat and completions through the Converse API
//! (`POST /model/{modelId}/converse`, `/converse-stream` when streaming), embeddings through
//! InvokeModel (`POST /model/{modelId}/invoke`) with the body of the model's family (images
//! too, bodies in `crate::routes::images`), every
//! request signed with AWS SigV4 (service `bedrock`).
//!
//! Spec: docs/kong-compatibility.md §13.6 (what Kong does; its quirks are not copied),
//! docs/kong-compatibility.md §1 (capabilities), §8 (paths), §7 (credentials).
//! Host: `bedrock-runtime.{options.bedrock.aws_region}.amazonaws.com`, https 443.
//!
//! Credentials come from `auth.aws_access_key_id` / `auth.aws_secret_access_key` (+ optional
//! `auth.aws_session_token`). Kong's fallbacks (environment variables, profiles, instance and
//! container roles, assume-role) need I/O a filter does not have: without static keys or
//! without a region the request fails with 500 `LLM request failed before proxying`, the
//! reason going to the log only.

pub mod decode;
pub mod embeddings;
pub mod encode;
pub mod stream;
pub mod wire;

use serde_json::Value;

use super::{
    json_body, Credentials, Decoded, Encoded, Outgoing, Provider, Reads, RequestCtx, ResponseCtx,
    Scheme, StreamPlan, UpstreamTarget,
};
use crate::api::{LlmRequest, LlmResponse, RouteType};
use crate::auth::sigv4::{self, AwsCredentials, SignableRequest, SigningParams};
use crate::config::{ModelOptions, ProviderName};
use crate::error::{text, ProxyError, TranslateError};
use crate::stream::Framing;

/// SigV4 signing name of Bedrock Runtime.
pub const SIGNING_SERVICE: &str = "bedrock";

/// The provider.
pub struct Bedrock;

fn failed_before_proxying() -> ProxyError {
    ProxyError::Internal(text::FAILED_BEFORE_PROXYING.to_string())
}

/// `options.bedrock.aws_region`, checked to be a plain region name (it becomes part of the
/// host name and of the credential scope).
pub fn region(options: &ModelOptions) -> Result<&str, ProxyError> {
    let region = options
        .bedrock
        .as_ref()
        .and_then(|b| b.aws_region.as_deref())
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match region {
        None => {
            log::error!(
                "bedrock: AWS region not specified anywhere (model.options.bedrock.aws_region)"
            );
            Err(failed_before_proxying())
        }
        Some(r) if !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
            log::error!("bedrock: model.options.bedrock.aws_region is not a valid AWS region name");
            Err(failed_before_proxying())
        }
        Some(r) => Ok(r),
    }
}

/// The model id as one path segment: percent-escapes are undone first (an id configured
/// already escaped is not escaped twice), then every byte outside `A-Za-z0-9-._~` is escaped,
/// so `anthropic.claude-v2:1` → `anthropic.claude-v2%3A1` and an ARN's `/` → `%2F`.
/// `None` for an id that is empty, `.` or `..` once decoded: a dot segment would be removed by
/// path normalisation (SigV4's canonical URI too) and climb out of `/model/`.
pub fn model_segment(model: &str) -> Option<String> {
    let decoded = sigv4::percent_decode(model);
    if decoded.is_empty() || decoded == b"." || decoded == b".." {
        return None;
    }
    Some(sigv4::uri_encode(&decoded))
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|v| !v.is_empty())
}

fn operation_path(
    route: RouteType,
    model: &str,
    stream: bool,
    client_path: &str,
) -> Result<String, ProxyError> {
    let model = || {
        model_segment(model)
            .ok_or_else(|| ProxyError::bad_request(crate::error::text::MODEL_NOT_IN_PATH))
    };
    Ok(match route {
        RouteType::Chat | RouteType::Completions if stream => {
            format!("/model/{}/converse-stream", model()?)
        }
        RouteType::Chat | RouteType::Completions => format!("/model/{}/converse", model()?),
        RouteType::Embeddings | RouteType::ImageGenerations | RouteType::ImageEdits => {
            format!("/model/{}/invoke", model()?)
        }
        // Native Bedrock bodies go to the path the client used; only host and auth change.
        _ => client_path.to_string(),
    })
}

impl Provider for Bedrock {
    fn name(&self) -> ProviderName {
        ProviderName::Bedrock
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
        )
    }

    fn supports_stream(&self, route: RouteType) -> bool {
        matches!(
            route,
            RouteType::Chat | RouteType::Completions | RouteType::Preserve
        )
    }

    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError> {
        let region = region(ctx.options)?;
        Ok(UpstreamTarget {
            scheme: Scheme::Https,
            host: format!("bedrock-runtime.{region}.amazonaws.com"),
            port: Scheme::Https.default_port(),
            path: operation_path(ctx.route, ctx.model, ctx.stream, ctx.client_path)?,
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
            LlmRequest::Chat(r) => json_body(&encode::encode_chat(r, ctx.options)?, ctx),
            LlmRequest::Completions(r) => {
                json_body(&encode::encode_completions(r, ctx.options)?, ctx)
            }
            LlmRequest::Embeddings(r) => json_body(
                &embeddings::encode_embeddings(r, ctx.model, ctx.options)?,
                ctx,
            ),
        }?;
        Ok(Encoded {
            body,
            headers: Vec::new(),
        })
    }

    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError> {
        let resp = match ctx.route {
            RouteType::Chat => LlmResponse::Chat(decode::decode_chat(body, ctx)?),
            RouteType::Completions => {
                LlmResponse::Completions(decode::decode_completions(body, ctx)?)
            }
            RouteType::Embeddings => {
                LlmResponse::Embeddings(embeddings::decode_embeddings(body, ctx)?)
            }
            _ => return Ok(Decoded::Unchanged),
        };
        Ok(Decoded::Translated(resp))
    }

    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan {
        match ctx.route {
            RouteType::Chat | RouteType::Completions => StreamPlan::Translate {
                framing: Framing::EventStream,
                translator: Box::new(stream::ConverseStream::new()),
            },
            _ => StreamPlan::Passthrough,
        }
    }

    /// SigV4 over the final request: signed headers `host`, `x-amz-date` and, with a session
    /// token, `x-amz-security-token` (as Kong signs); the method, path and query are the ones
    /// actually sent (Kong always signs `POST` and no query).
    fn sign(
        &self,
        out: &Outgoing<'_>,
        creds: &Credentials<'_>,
        ctx: &RequestCtx<'_>,
    ) -> Result<Vec<(String, String)>, ProxyError> {
        let region = region(ctx.options)?;
        let (Some(access_key_id), Some(secret_access_key)) = (
            non_empty(creds.aws_access_key_id),
            non_empty(creds.aws_secret_access_key),
        ) else {
            log::error!(
                "bedrock: auth.aws_access_key_id and auth.aws_secret_access_key are required to sign requests"
            );
            return Err(failed_before_proxying());
        };
        let headers = vec![("Host".to_string(), out.target.authority())];
        sigv4::sign(
            &SignableRequest {
                method: out.method,
                path: &out.target.path,
                query: &out.target.query,
                headers: &headers,
                body: out.body,
            },
            &AwsCredentials {
                access_key_id,
                secret_access_key,
                session_token: non_empty(creds.aws_session_token),
            },
            &SigningParams {
                region,
                service: SIGNING_SERVICE,
                unix_time: ctx.env.now_unix(),
                content_sha256_header: false,
            },
        )
        .map_err(|e| {
            // SigV4Error texts name what is missing, never a value.
            log::error!("bedrock: SigV4 signing failed: {e}");
            failed_before_proxying()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_are_one_escaped_segment() {
        assert_eq!(
            model_segment("anthropic.claude-3-sonnet-20240229-v1:0").as_deref(),
            Some("anthropic.claude-3-sonnet-20240229-v1%3A0")
        );
        assert_eq!(
            model_segment("anthropic.claude-3-sonnet-20240229-v1%3A0").as_deref(),
            Some("anthropic.claude-3-sonnet-20240229-v1%3A0")
        );
        assert_eq!(
            model_segment("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0").as_deref(),
            Some("arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0")
        );
        for bad in ["..", "%2E%2E", ".", "%2e", ""] {
            assert_eq!(model_segment(bad), None, "{bad}");
        }
        assert_eq!(model_segment("a/../b").as_deref(), Some("a%2F..%2Fb"));
    }
}
