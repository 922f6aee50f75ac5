//! Native formats (`llm_format` ≠ `openai`, docs/kong-compatibility.md §14): the client speaks its
//! provider's own API and the request is passed through. What the path tells us: the model
//! and whether the answer streams (Gemini, Bedrock), and where the provider's API path starts.

use crate::config::LlmFormat;
use crate::upstream::percent_decode;

/// Where each native API's paths begin (`/gemini/v1beta/models/…` → `/v1beta/models/…`).
fn markers(format: LlmFormat) -> &'static [&'static str] {
    match format {
        LlmFormat::Anthropic => &["/v1/messages", "/v1/complete"],
        LlmFormat::Gemini => &["/v1beta/", "/v1/projects/", "/v1/models/", "/upload/"],
        LlmFormat::Bedrock => &["/model/", "/model-invocations", "/async-invoke"],
        LlmFormat::Cohere => &["/v1/", "/v2/"],
        LlmFormat::Huggingface => &["/generate", "/models/", "/v1/"],
        LlmFormat::Openai => &[],
    }
}

/// The upstream path for a native request: the client path from the first API marker on.
pub fn upstream_path(format: LlmFormat, client_path: &str) -> String {
    let start = markers(format)
        .iter()
        .filter_map(|m| client_path.find(m))
        .min()
        .unwrap_or(0);
    let p = client_path.get(start..).unwrap_or(client_path);
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// Model and stream flag from a Gemini (`…/models/{model}:{operation}`) or Bedrock
/// (`…/model/{model}/{operation}`) path; `None` for formats that carry them in the body.
pub fn model_and_stream(format: LlmFormat, client_path: &str) -> Option<(String, bool)> {
    match format {
        LlmFormat::Gemini => {
            let (_, rest) = client_path.rsplit_once("/models/")?;
            let (model, op) = rest.split_once(':')?;
            let op = op.split('/').next().unwrap_or(op);
            Some((percent_decode(model), op == "streamGenerateContent"))
        }
        LlmFormat::Bedrock => {
            let (_, rest) = client_path.rsplit_once("/model/")?;
            let (model, op) = rest.split_once('/')?;
            Some((
                percent_decode(model),
                op == "converse-stream" || op == "invoke-with-response-stream",
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_paths() {
        assert_eq!(
            upstream_path(
                LlmFormat::Gemini,
                "/gemini/v1beta/models/gemini-2.0-flash:generateContent"
            ),
            "/v1beta/models/gemini-2.0-flash:generateContent"
        );
        assert_eq!(
            upstream_path(LlmFormat::Anthropic, "/v1/messages"),
            "/v1/messages"
        );
        assert_eq!(
            upstream_path(LlmFormat::Anthropic, "/claude/v1/messages"),
            "/v1/messages"
        );
        assert_eq!(upstream_path(LlmFormat::Cohere, "/rerank"), "/rerank");
        assert_eq!(
            model_and_stream(
                LlmFormat::Gemini,
                "/g/v1beta/models/gemini-2.0-flash:streamGenerateContent"
            ),
            Some(("gemini-2.0-flash".into(), true))
        );
        assert_eq!(
            model_and_stream(
                LlmFormat::Bedrock,
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
            ),
            Some(("anthropic.claude-3-haiku-20240307-v1:0".into(), false))
        );
        assert_eq!(model_and_stream(LlmFormat::Anthropic, "/v1/messages"), None);
    }
}
