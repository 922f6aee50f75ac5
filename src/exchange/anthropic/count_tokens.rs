//! `POST /v1/messages/count_tokens` through the provider's own token-counting API:
//!
//! - Bedrock `CountTokens` (Bedrock API Reference `API_runtime_CountTokens`):
//!   `POST /model/{modelId}/count-tokens` with `{"input": {"converse": {messages, system,
//!   toolConfig, additionalModelRequestFields}}}` (`ConverseTokensRequest`), answered
//!   `{"inputTokens": N}`;
//! - Gemini `models.countTokens` (Gemini API reference "Counting tokens"):
//!   `POST …/models/{model}:countTokens` with `{"generateContentRequest": {model, contents,
//!   systemInstruction, tools}}`; on Vertex AI (`publishers/google/models/{model}:countTokens`)
//!   the fields sit at the top (`contents`, `systemInstruction`, `tools`); both answer
//!   `{"totalTokens": N, …}`.
//!
//! The request body is the one the message would have sent (same translation), re-wrapped;
//! the answer becomes Anthropic's `{"input_tokens": N}`. Other providers have no such API: the
//! filter answers 404 itself ([`super::count_tokens_reply`]).

use serde_json::{json, Map, Value};

use crate::config::ProviderName;
use crate::error::{ProxyError, TranslateError};

/// Whether the provider has a token-counting API the ingress speaks.
pub fn supported(provider: ProviderName) -> bool {
    matches!(provider, ProviderName::Bedrock | ProviderName::Gemini)
}

/// The counting operation's path for the message operation's: Bedrock `…/converse` →
/// `…/count-tokens`, Gemini `…:generateContent` → `…:countTokens`; another path (a custom
/// `upstream_url` path) is kept.
pub fn upstream_path(path: &str) -> String {
    if let Some(base) = path.strip_suffix("/converse") {
        return format!("{base}/count-tokens");
    }
    if let Some(base) = path.strip_suffix(":generateContent") {
        return format!("{base}:countTokens");
    }
    path.to_string()
}

/// The counting request for an encoded message request (a Converse or `generateContent` body).
pub fn request_body(
    provider: ProviderName,
    vertex: bool,
    model: &str,
    encoded: &[u8],
) -> Result<Vec<u8>, ProxyError> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(encoded) else {
        return Err(ProxyError::Internal(
            "count_tokens: encoded body is not an object".into(),
        ));
    };
    let keep = |keys: &[&str]| -> Map<String, Value> {
        keys.iter()
            .filter_map(|k| map.get(*k).map(|v| ((*k).to_string(), v.clone())))
            .collect()
    };
    let body = match provider {
        ProviderName::Bedrock => {
            let converse = keep(&[
                "messages",
                "system",
                "toolConfig",
                "additionalModelRequestFields",
            ]);
            json!({"input": {"converse": converse}})
        }
        _ if vertex => Value::Object(keep(&["contents", "systemInstruction", "tools"])),
        _ => {
            let mut inner = keep(&["contents", "systemInstruction", "tools"]);
            let name = model.strip_prefix("models/").unwrap_or(model);
            inner.insert("model".into(), Value::String(format!("models/{name}")));
            json!({ "generateContentRequest": inner })
        }
    };
    serde_json::to_vec(&body).map_err(|e| ProxyError::Internal(e.to_string()))
}

/// The provider's count as Anthropic's answer, `{"input_tokens": N}`.
pub fn answer(provider: ProviderName, body: &[u8]) -> Result<Vec<u8>, TranslateError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| TranslateError::new(format!("invalid token count answer: {e}")))?;
    let field = match provider {
        ProviderName::Bedrock => "inputTokens",
        _ => "totalTokens",
    };
    // Gemini leaves out a zero count (proto3 JSON).
    let n = match v.get(field) {
        Some(n) => n.as_u64(),
        None if provider == ProviderName::Gemini && v.is_object() => Some(0),
        None => None,
    }
    .ok_or_else(|| TranslateError::new(format!("token count answer without {field}")))?;
    serde_json::to_vec(&json!({ "input_tokens": n }))
        .map_err(|e| TranslateError::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            upstream_path("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"),
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens"
        );
        assert_eq!(
            upstream_path("/v1beta/models/gemini-2.5-pro:generateContent"),
            "/v1beta/models/gemini-2.5-pro:countTokens"
        );
        assert_eq!(upstream_path("/custom"), "/custom");
    }
}
