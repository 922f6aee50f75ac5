//! Legacy completions (`llm/v1/completions`). Reference: OpenAI "Create completion".

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FinishReason, Stop, Usage};

/// `POST /v1/completions` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionsRequest {
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The prompt: a string or a list of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
    /// Server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// `{"include_usage": true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<super::chat::StreamOptions>,
    /// Output token limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k (Kong extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Everything else, passed through to OpenAI-format upstreams.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CompletionsRequest {
    /// The prompt as one string (a list is joined with newlines).
    pub fn prompt_text(&self) -> String {
        match &self.prompt {
            Some(Prompt::One(s)) => s.clone(),
            Some(Prompt::Many(v)) => v.join("\n"),
            None => String::new(),
        }
    }

    /// Whether the client asked for a usage chunk at the end of a stream.
    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }
}

/// `prompt`: a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    /// One prompt.
    One(String),
    /// Several prompts.
    Many(Vec<String>),
}

/// `text_completion` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionsResponse {
    /// Answer id (`cmpl-…`).
    pub id: String,
    /// `text_completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The choices.
    pub choices: Vec<CompletionChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One completion choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionChoice {
    /// Position.
    pub index: u32,
    /// Generated text.
    pub text: String,
    /// Always `null` here.
    #[serde(default)]
    pub logprobs: Option<Value>,
    /// Why generation ended.
    pub finish_reason: Option<FinishReason>,
}
