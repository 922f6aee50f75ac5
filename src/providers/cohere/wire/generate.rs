//! Cohere's legacy Generate API (`POST /v1/generate`): request, answer and NDJSON stream lines.
//! Reference: `cohere-openapi.yaml` `/v1/generate`, `Generation`, `GenerateStreamedResponse`.

use serde::{Deserialize, Serialize};

use super::{FinishReason, Units};

/// `POST /v1/generate` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateRequest {
    /// Model name.
    pub model: String,
    /// The prompt.
    pub prompt: String,
    /// NDJSON stream or one JSON answer.
    pub stream: bool,
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Top-k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<u64>,
    /// Stop sequences (the output is cut at the end of the earliest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
}

/// `POST /v1/generate` answer (also `response` of the stream's `stream-end` event).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GenerateResponse {
    /// Answer id.
    #[serde(default)]
    pub id: Option<String>,
    /// The generations.
    #[serde(default)]
    pub generations: Option<Vec<Generation>>,
    /// Billing metadata.
    #[serde(default)]
    pub meta: Option<Meta>,
}

/// One generation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Generation {
    /// Generated text.
    #[serde(default)]
    pub text: Option<String>,
    /// Position (only with several generations).
    #[serde(default)]
    pub index: Option<u32>,
    /// Why it ended, when reported.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// v1 / embed `meta`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Meta {
    /// Billed token counts.
    #[serde(default)]
    pub billed_units: Option<Units>,
}

/// One Generate stream line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GenerateStreamEvent {
    /// Event type.
    pub event_type: GenerateEventType,
    /// `text-generation`: a piece of text.
    #[serde(default)]
    pub text: Option<String>,
    /// `stream-end` / `stream-error`: why generation ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// `stream-end`: the whole answer (id, generations, meta).
    #[serde(default)]
    pub response: Option<GenerateResponse>,
    /// `stream-error`: the error message.
    #[serde(default)]
    pub err: Option<String>,
}

/// Generate stream event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GenerateEventType {
    /// A piece of text.
    TextGeneration,
    /// The end, with the whole answer.
    StreamEnd,
    /// An error ends the stream.
    StreamError,
    /// An event type this filter does not know.
    #[serde(other)]
    Unknown,
}
