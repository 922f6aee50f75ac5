//! Hugging Face wire types: the answers of the router's OpenAI-compatible chat completion
//! (`/v1/chat/completions`, hub-docs `inference-providers/tasks/chat-completion.md`, as served
//! by TGI `router/src/lib.rs`) and the feature-extraction pipeline
//! (`inference-providers/tasks/feature-extraction.md`).
//!
//! The chat request is OpenAI's own body (see `encode.rs`), so only answers and stream chunks
//! are typed here. Every field is optional because providers behind the router differ: TGI sends
//! an empty `id`, `finish_reason` values such as `stop_sequence`, and tool-call `arguments` as a
//! JSON object instead of a string in older versions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A non-streamed chat answer (`chat.completion`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatCompletion {
    /// Answer id; TGI sends `""`.
    #[serde(default)]
    pub id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// Server fingerprint (TGI: `<version>-<docker label>`).
    #[serde(default)]
    pub system_fingerprint: Option<String>,
    /// The choices; absent means the body is not a chat answer.
    #[serde(default)]
    pub choices: Option<Vec<Choice>>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<WireUsage>,
    /// An error reported with a 2xx status (TGI `ErrorResponse`, OpenAI-style error object).
    #[serde(default)]
    pub error: Option<ErrorField>,
}

/// One choice of a chat answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Choice {
    /// Position; TGI always sends 0.
    #[serde(default)]
    pub index: Option<u32>,
    /// The assistant message.
    #[serde(default)]
    pub message: Option<ChatMessage>,
    /// Why generation ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// The assistant message of an answer (TGI `OutputMessage`: text or tool calls).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatMessage {
    /// Text.
    #[serde(default)]
    pub content: Option<String>,
    /// Reasoning text (DeepSeek-R1-style providers behind the router).
    #[serde(default, alias = "reasoning")]
    pub reasoning_content: Option<String>,
    /// Tool calls.
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// A tool call of an answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ToolCall {
    /// Call id (TGI: `"0"`).
    #[serde(default)]
    pub id: Option<String>,
    /// Name and arguments.
    #[serde(default)]
    pub function: Option<FunctionCall>,
}

/// A called function.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments: a JSON string (OpenAI, current TGI) or a JSON value (older TGI).
    #[serde(default)]
    pub arguments: Option<Arguments>,
}

/// Tool-call arguments as sent by the provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Arguments {
    /// Already a JSON string.
    Text(String),
    /// A JSON value (opaque by nature).
    Json(Value),
}

/// `finish_reason` values seen behind the router: OpenAI's set plus TGI's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// OpenAI `stop`; TGI's end-of-sequence when formatted for OpenAI.
    Stop,
    /// TGI end-of-sequence token (raw name).
    EosToken,
    /// TGI stop sequence matched.
    StopSequence,
    /// Token limit.
    Length,
    /// Tool calls.
    ToolCalls,
    /// Legacy function call.
    FunctionCall,
    /// Content filter.
    ContentFilter,
    /// Anything else.
    #[serde(other)]
    Unknown,
}

/// `usage` (OpenAI shape, details where the serving provider reports them).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireUsage {
    /// Input tokens.
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    /// Sum.
    #[serde(default)]
    pub total_tokens: Option<u64>,
    /// Cached input tokens.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptDetails>,
    /// Reasoning tokens.
    #[serde(default)]
    pub completion_tokens_details: Option<CompletionDetails>,
}

/// `usage.prompt_tokens_details`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PromptDetails {
    /// Tokens read from a prompt cache.
    #[serde(default)]
    pub cached_tokens: Option<u64>,
}

/// `usage.completion_tokens_details`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompletionDetails {
    /// Tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
}

/// `error`: a string (TGI `{"error": "...", "error_type": "..."}`, HF Inference API) or an
/// object (TGI chat streams `{"error": {"message", "http_status_code"}}`, OpenAI-style providers).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ErrorField {
    /// Plain message.
    Text(String),
    /// Structured error.
    Object(ErrorObject),
}

/// A structured error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorObject {
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// OpenAI-style type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One SSE `data:` payload of a chat stream (`chat.completion.chunk`), or an error event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatChunk {
    /// Answer id; TGI sends `""`.
    #[serde(default)]
    pub id: Option<String>,
    /// The model.
    #[serde(default)]
    pub model: Option<String>,
    /// Deltas (empty in TGI's usage chunk; `null` from some providers).
    #[serde(default)]
    pub choices: Option<Vec<ChunkChoice>>,
    /// Usage (TGI: only in the last chunk, with `stream_options.include_usage`).
    #[serde(default)]
    pub usage: Option<WireUsage>,
    /// An in-stream error.
    #[serde(default)]
    pub error: Option<ErrorField>,
    /// TGI's error kind next to a string `error` (`generation`, `validation`, …).
    #[serde(default)]
    pub error_type: Option<String>,
}

/// One choice of a chunk.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChunkChoice {
    /// Choice position.
    #[serde(default)]
    pub index: Option<u32>,
    /// What is new.
    #[serde(default)]
    pub delta: Option<Delta>,
    /// Set on the last content chunk.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// A chunk's delta.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Delta {
    /// Text piece.
    #[serde(default)]
    pub content: Option<String>,
    /// Reasoning piece.
    #[serde(default, alias = "reasoning")]
    pub reasoning_content: Option<String>,
    /// Tool-call pieces.
    #[serde(default)]
    pub tool_calls: Option<Vec<DeltaToolCall>>,
}

/// A tool-call piece. TGI repeats `index` 0 and the `id` on every piece and sends the `name`
/// only on the first; OpenAI-style providers send `id` and `name` once per call.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeltaToolCall {
    /// Position of the call in the answer.
    #[serde(default)]
    pub index: Option<u32>,
    /// Call id.
    #[serde(default)]
    pub id: Option<String>,
    /// Name and argument fragment.
    #[serde(default)]
    pub function: Option<DeltaFunction>,
}

/// The function part of a tool-call piece.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeltaFunction {
    /// Name (first piece only).
    #[serde(default)]
    pub name: Option<String>,
    /// Argument fragment.
    #[serde(default)]
    pub arguments: Option<String>,
}

/// `POST /hf-inference/models/{model}/pipeline/feature-extraction` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureExtractionRequest {
    /// The texts (always a list, so the answer is always a list of vectors).
    pub inputs: Vec<String>,
    /// Normalise the vectors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// Name of a sentence-transformers prompt to prepend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_name: Option<String>,
    /// Truncate inputs longer than the model's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncate: Option<bool>,
    /// `Left` or `Right` (passed as the client wrote it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation_direction: Option<String>,
}

/// A feature-extraction answer. Sentence-embedding models answer one pooled vector per input;
/// plain transformer models answer one vector per *token* per input.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureExtractionOutput {
    /// One vector per input (pooled): what OpenAI's embeddings are.
    Vectors(Vec<Vec<f64>>),
    /// A single vector (a string `inputs` on some servers).
    Single(Vec<f64>),
    /// One vector per token per input (not pooled).
    Tokens(Vec<Vec<Vec<f64>>>),
}

impl FeatureExtractionOutput {
    /// Parses the answer, trying the expected shape first so the common case is parsed once
    /// (an untagged enum would buffer the whole array before choosing).
    pub fn parse(body: &[u8]) -> Option<FeatureExtractionOutput> {
        if let Ok(v) = serde_json::from_slice(body) {
            return Some(FeatureExtractionOutput::Vectors(v));
        }
        if let Ok(v) = serde_json::from_slice(body) {
            return Some(FeatureExtractionOutput::Single(v));
        }
        serde_json::from_slice(body)
            .ok()
            .map(FeatureExtractionOutput::Tokens)
    }
}

/// An error body (`{"error": "..."}` or `{"error": {...}}`) found where an answer was expected.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorField,
}

impl ErrorField {
    /// The message text, whatever the shape.
    pub fn message(&self) -> String {
        match self {
            ErrorField::Text(s) => s.clone(),
            ErrorField::Object(o) => o
                .message
                .clone()
                .unwrap_or_else(|| "unknown error".to_string()),
        }
    }

    /// The error kind, when the object form carries one.
    pub fn kind(&self) -> Option<String> {
        match self {
            ErrorField::Text(_) => None,
            ErrorField::Object(o) => o.kind.clone(),
        }
    }
}
