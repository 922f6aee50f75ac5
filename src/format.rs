//! `llm_format`: which API the client speaks. A bottom-layer type (see `docs/design.md` §2):
//! the config parses it, `error` shapes client-visible errors by it, and the exchange routes
//! native formats with it; none of those may sit below the others, so it lives here alone.

use serde::{Deserialize, Serialize};

/// `llm_format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LlmFormat {
    /// OpenAI-style (translated).
    #[default]
    Openai,
    /// Bedrock native.
    Bedrock,
    /// Gemini native.
    Gemini,
    /// Cohere native.
    Cohere,
    /// Hugging Face native.
    Huggingface,
    /// Anthropic Messages.
    Anthropic,
}

impl LlmFormat {
    /// Kong's string for the format.
    pub fn as_str(self) -> &'static str {
        match self {
            LlmFormat::Openai => "openai",
            LlmFormat::Bedrock => "bedrock",
            LlmFormat::Gemini => "gemini",
            LlmFormat::Cohere => "cohere",
            LlmFormat::Huggingface => "huggingface",
            LlmFormat::Anthropic => "anthropic",
        }
    }
}
