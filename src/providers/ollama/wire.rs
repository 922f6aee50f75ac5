//! Wire formats of the Ollama family: Ollama's native API (`/api/chat`, `/api/generate`,
//! `/api/embed`; reference: ollama/ollama `docs/api.md` and `api/types.go`) and the raw
//! Llama-2 prompt format Kong's `llama2_format: raw` sends (a Hugging Face
//! text-generation-inference `{"inputs", "parameters"}` body; reference: TGI's generate API).
//!
//! Request types only serialise; answer types only deserialise, every field optional, so a
//! missing field is a translation error in `decode.rs`, never a panic.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::Usage;

// ---------------------------------------------------------------------------------------------
// Ollama requests
// ---------------------------------------------------------------------------------------------

/// `POST /api/chat` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// Model name.
    pub model: String,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Ollama streams unless told otherwise: always sent.
    pub stream: bool,
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `"json"` or a JSON schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    /// Sampling options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Options>,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: &'static str,
    /// Text (Ollama content is a string).
    pub content: String,
    /// Base64 images (no data-URL prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    /// Tool calls of an assistant turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Name of the tool a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    /// Id of the call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// A tool call in an assistant turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// Call id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name and arguments.
    pub function: ToolCallFunction,
}

/// Name and arguments (a JSON object, not a string) of a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallFunction {
    /// Function name.
    pub name: String,
    /// Arguments object.
    pub arguments: Value,
}

/// A tool definition (the same shape as OpenAI's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function.
    pub function: ToolFunction,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolFunction {
    /// Name.
    pub name: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// `options` (Modelfile parameters).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Options {
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<u64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
}

impl Options {
    /// `None` when no option is set (the field is then left out).
    pub fn non_empty(self) -> Option<Options> {
        (self != Options::default()).then_some(self)
    }
}

/// `POST /api/generate` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerateRequest {
    /// Model name.
    pub model: String,
    /// The prompt.
    pub prompt: String,
    /// Text after the completion (fill-in-the-middle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Always sent.
    pub stream: bool,
    /// Sampling options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Options>,
}

/// `POST /api/embed` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedRequest {
    /// Model name.
    pub model: String,
    /// One text or several.
    pub input: EmbedInput,
    /// Output dimensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
}

/// `input` of an embed request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EmbedInput {
    /// One text.
    One(String),
    /// Several texts.
    Many(Vec<String>),
}

// ---------------------------------------------------------------------------------------------
// Ollama answers (also the NDJSON stream lines)
// ---------------------------------------------------------------------------------------------

/// A `/api/chat` or `/api/generate` answer, or one line of their stream.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Response {
    /// Model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// RFC 3339 timestamp.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Chat: the message (or its fragment).
    #[serde(default)]
    pub message: Option<ResponseMessage>,
    /// Generate: the text (or its fragment).
    #[serde(default)]
    pub response: Option<String>,
    /// Generate: reasoning text.
    #[serde(default)]
    pub thinking: Option<String>,
    /// Whether this is the last object.
    #[serde(default)]
    pub done: Option<bool>,
    /// Why generation ended.
    #[serde(default)]
    pub done_reason: Option<DoneReason>,
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// Output tokens.
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// An error (in a stream, or an odd 200).
    #[serde(default)]
    pub error: Option<String>,
}

/// `message` of a chat answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseMessage {
    /// Text.
    #[serde(default)]
    pub content: Option<String>,
    /// Reasoning text (thinking models).
    #[serde(default)]
    pub thinking: Option<String>,
    /// Tool calls.
    #[serde(default)]
    pub tool_calls: Option<Vec<ResponseToolCall>>,
}

/// A tool call of an answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseToolCall {
    /// Call id (recent Ollama versions).
    #[serde(default)]
    pub id: Option<String>,
    /// Name and arguments.
    #[serde(default)]
    pub function: Option<ResponseFunction>,
}

/// Name and arguments (an object) of a called function.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseFunction {
    /// Function name.
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments object.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// `done_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DoneReason {
    /// Natural end or stop sequence.
    Stop,
    /// `num_predict` reached.
    Length,
    /// A model load request finished.
    Load,
    /// A model unload request finished.
    Unload,
    /// A value this filter does not know.
    #[serde(other)]
    Unknown,
}

/// `/api/embed` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmbedResponse {
    /// Model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// One vector per input.
    #[serde(default)]
    pub embeddings: Option<Vec<Vec<f64>>>,
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// An error.
    #[serde(default)]
    pub error: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Llama-2 raw (text-generation-inference style)
// ---------------------------------------------------------------------------------------------

/// Raw request: a prompt string with Llama-2 chat tags and generation parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawRequest {
    /// The tagged prompt.
    pub inputs: String,
    /// Generation parameters.
    pub parameters: RawParameters,
    /// TGI's switch for an SSE answer (Kong only sends `parameters.stream`).
    pub stream: bool,
}

/// `parameters` of a raw request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawParameters {
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<u64>,
    /// Nucleus mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Stream flag, where Kong puts it.
    pub stream: bool,
}

/// A raw answer: `{"data": [{"generated_text": …}]}` (the shape Kong's llama2 driver reads),
/// `[{"generated_text": …}]` or `{"generated_text": …}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RawResponse {
    /// Kong's shape: the generations under `data` (tried first: `One` would accept any object).
    Data {
        /// The generations; the first is used.
        data: Vec<RawGeneration>,
    },
    /// A list (TGI's `/` route, the HF inference API).
    Many(Vec<RawGeneration>),
    /// One object (TGI's `/generate`).
    One(RawGeneration),
}

/// One raw generation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawGeneration {
    /// Generated text (may repeat the prompt).
    #[serde(default)]
    pub generated_text: Option<String>,
    /// Finish reason and token count, when the server adds them.
    #[serde(default)]
    pub details: Option<RawDetails>,
    /// An OpenAI-shaped usage, copied when present (as Kong does).
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// `details` of a raw generation or of the last stream event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawDetails {
    /// Why generation ended.
    #[serde(default)]
    pub finish_reason: Option<RawFinishReason>,
    /// Output tokens.
    #[serde(default)]
    pub generated_tokens: Option<u64>,
}

/// TGI finish reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawFinishReason {
    /// `max_new_tokens` reached.
    Length,
    /// End-of-sequence token.
    EosToken,
    /// A stop sequence.
    StopSequence,
    /// A value this filter does not know.
    #[serde(other)]
    Unknown,
}

/// One raw SSE stream event (TGI `generate_stream`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawStreamEvent {
    /// The new token.
    #[serde(default)]
    pub token: Option<RawToken>,
    /// Last event: finish reason and token count.
    #[serde(default)]
    pub details: Option<RawDetails>,
    /// An error ends the stream.
    #[serde(default)]
    pub error: Option<String>,
    /// The error's type.
    #[serde(default)]
    pub error_type: Option<String>,
}

/// A streamed token.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawToken {
    /// Token text.
    #[serde(default)]
    pub text: Option<String>,
    /// Special tokens (e.g. `</s>`) are not answer text.
    #[serde(default)]
    pub special: Option<bool>,
}
