//! Token usage, OpenAI's shape (`usage` in answers and in the final stream chunk).

use serde::{Deserialize, Serialize};

/// `usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens (including cached ones).
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Output tokens (including reasoning ones).
    #[serde(default)]
    pub completion_tokens: u64,
    /// prompt + completion.
    #[serde(default)]
    pub total_tokens: u64,
    /// Cached input tokens, where reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// Reasoning tokens, where reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTokensDetails {
    /// Tokens read from the provider's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Tokens written to the provider's prompt cache (Anthropic, Bedrock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionTokensDetails {
    /// Tokens spent on reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// Usage from prompt and completion counts; the total is their sum.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
            prompt_tokens_details: None,
            completion_tokens_details: None,
        }
    }

    /// Adds cached-token detail (omitted when `None`).
    pub fn with_cached(mut self, cached: Option<u64>) -> Self {
        if let Some(c) = cached {
            self.prompt_tokens_details
                .get_or_insert_with(Default::default)
                .cached_tokens = Some(c);
        }
        self
    }

    /// Adds reasoning-token detail (omitted when `None`).
    pub fn with_reasoning(mut self, reasoning: Option<u64>) -> Self {
        if let Some(r) = reasoning {
            self.completion_tokens_details = Some(CompletionTokensDetails {
                reasoning_tokens: Some(r),
            });
        }
        self
    }
}
