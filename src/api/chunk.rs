//! OpenAI streaming chunks: `chat.completion.chunk` and streamed `text_completion` objects,
//! the usage chunk and the in-stream error frame (OpenAI API reference, "The chat completion
//! chunk object" and "Completions: stream"; docs/kong-compatibility.md §10).
//!
//! The [`crate::stream::emitter::ChunkEmitter`] writes these shapes directly as bytes (the hot
//! path); the serde types here describe the same JSON for readers: OpenAI-format upstream
//! streams parsed for analytics, and tests that fold a stream back into a message.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::chat::Role;
use super::{FinishReason, Usage};

/// `object` of a chat chunk.
pub const CHAT_CHUNK_OBJECT: &str = "chat.completion.chunk";
/// `object` of a completions chunk.
pub const TEXT_COMPLETION_OBJECT: &str = "text_completion";
/// The frame that ends every OpenAI stream, with its blank line (Kong before 3.10.0.3 omitted
/// the `\n\n`: docs/kong-compatibility.md §10).
pub const DONE_FRAME: &[u8] = b"data: [DONE]\n\n";

/// A `chat.completion.chunk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    /// Answer id, the same in every chunk of a stream.
    pub id: String,
    /// `chat.completion.chunk`.
    pub object: String,
    /// Unix seconds, the same in every chunk.
    pub created: u64,
    /// Model that answers.
    #[serde(default)]
    pub model: Option<String>,
    /// Provider fingerprint, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// One choice per chunk; empty in the final usage chunk.
    pub choices: Vec<ChatChunkChoice>,
    /// `null` in every chunk but the last when `stream_options.include_usage` is set; the
    /// counts in the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// `choices[]` of a chat chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunkChoice {
    /// Choice position (always 0 here: one choice per answer).
    pub index: u32,
    /// What this chunk adds.
    pub delta: ChunkDelta,
    /// Token log probabilities (opaque; `null` when not requested).
    #[serde(default)]
    pub logprobs: Option<Value>,
    /// Set once, on the chunk that ends the answer.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// `delta` of a chat chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkDelta {
    /// `assistant`, on the first delta only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A piece of answer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A piece of reasoning text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool-call pieces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// A piece of refusal text (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// `delta.tool_calls[]`: the first piece of a call carries `id`, `type` and the name; later
/// pieces only `index` and an arguments fragment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Position among the answer's tool calls.
    pub index: u32,
    /// Call id (first piece).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function` (first piece).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name and/or arguments fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDelta>,
}

/// `delta.tool_calls[].function`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    /// Function name (first piece).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A fragment of the JSON arguments string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

/// A streamed `text_completion` chunk (legacy completions route).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionChunk {
    /// Answer id.
    pub id: String,
    /// `text_completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// Model that answers.
    #[serde(default)]
    pub model: Option<String>,
    /// One choice per chunk; empty in the final usage chunk.
    pub choices: Vec<CompletionChunkChoice>,
    /// As in [`ChatChunk::usage`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// `choices[]` of a completions chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletionChunkChoice {
    /// Choice position.
    pub index: u32,
    /// A piece of text.
    pub text: String,
    /// Token log probabilities (opaque).
    #[serde(default)]
    pub logprobs: Option<Value>,
    /// Set once, on the chunk that ends the answer.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// The frame that reports an error inside a stream: `{"error":{"message","type"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamErrorFrame {
    /// The error.
    pub error: StreamError,
}

/// `error` of a [`StreamErrorFrame`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamError {
    /// Human-readable message.
    pub message: String,
    /// Error type (the provider's, when it gives one).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}
