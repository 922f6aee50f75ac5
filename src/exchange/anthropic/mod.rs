//! The Anthropic Messages ingress (`llm_format: anthropic` in front of any provider but
//! Anthropic itself, which gets the request as it is): the client — Claude Code, the
//! `anthropic` SDKs — speaks `POST /v1/messages`; the request goes to the provider through the
//! canonical OpenAI chat model and its encoder, and the answer, stream and errors come back as
//! Anthropic writes them. The rules are listed in docs/claude-code.md.
//!
//! The exchange calls in at four points: the request body ([`request::to_openai`]), the encoded
//! provider body ([`request::apply_hints`]), the answer ([`response::to_anthropic`],
//! [`response::error_body`]) and the stream ([`stream::MessagesEmitter`]).

pub mod count_tokens;
pub mod request;
pub mod response;
pub mod stream;

use crate::api::RouteType;
use crate::config::{Config, LlmFormat, ProviderName};

use super::effects::LocalReply;

/// Whether a config puts the ingress in front of its provider.
pub fn applies(cfg: &Config) -> bool {
    cfg.raw.llm_format == LlmFormat::Anthropic
        && cfg.provider() != ProviderName::Anthropic
        && cfg.raw.route_type == RouteType::Chat
}

/// Client headers that belong to Anthropic's API and never go to another provider
/// (`x-api-key` is the client's Anthropic key; the provider's auth comes from the config).
pub const CLIENT_ONLY_HEADERS: &[&str] = &[
    "anthropic-beta",
    "anthropic-version",
    "anthropic-dangerous-direct-browser-access",
    "x-api-key",
];

/// `POST …/v1/messages/count_tokens`.
pub fn is_count_tokens(path: &str) -> bool {
    path.trim_end_matches('/')
        .ends_with("/messages/count_tokens")
}

/// The answer to `count_tokens` for a provider without a token-counting API the ingress
/// speaks: 404 `not_found_error` (Claude Code then falls back to its own estimate).
pub fn count_tokens_reply(provider: ProviderName) -> LocalReply {
    let body = serde_json::json!({
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": format!(
                "count_tokens is not available for provider '{}' through llm_format anthropic",
                provider.as_str()
            ),
        },
    });
    LocalReply {
        status: 404,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}
