//! Cohere's wire format, as far as this filter writes or reads it: the v2 Chat API
//! (`POST /v2/chat`, request, answer and SSE stream events), the legacy Generate API
//! (`POST /v1/generate`, answer and NDJSON stream events) and the v2 Embed API
//! (`POST /v2/embed`). Reference: Cohere's OpenAPI description (`cohere-openapi.yaml` in
//! cohere-ai/cohere-developer-experience) and docs.cohere.com/reference/{chat,generate,embed}.
//!
//! Request types only serialise; answer types only deserialise and tolerate missing fields
//! (a missing field becomes a translation error in `decode.rs`, never a panic). Numbers that
//! Cohere documents as `number` are read as `f64`.
//!
//! This file holds the v2 chat request and answer and the types they share with the other
//! APIs; `events.rs` the v2 stream events, `generate.rs` the Generate API, `embed.rs` Embed.

mod embed;
mod events;
mod generate;

pub use embed::*;
pub use events::*;
pub use generate::*;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Chat v2: request
// ---------------------------------------------------------------------------------------------

/// `POST /v2/chat` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRequest {
    /// Model name (required by v2).
    pub model: String,
    /// The conversation, in order.
    pub messages: Vec<ChatMessage>,
    /// SSE stream or one JSON answer.
    pub stream: bool,
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass (OpenAI `top_p`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Top-k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<u64>,
    /// Stop sequences.
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
    /// Tools the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// `REQUIRED` or `NONE`; absent means the model decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Tool calls follow the tool schemas strictly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict_tools: Option<bool>,
    /// JSON mode / JSON schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
}

/// One v2 message, tagged by `role`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    /// A system prompt.
    System {
        /// The text.
        content: String,
    },
    /// A user turn: text or text and image parts.
    User {
        /// The content.
        content: UserContent,
    },
    /// An assistant turn: text, or a tool plan and tool calls.
    Assistant {
        /// Text of a turn without tool calls.
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// Text that accompanies tool calls (Cohere's "tool plan").
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_plan: Option<String>,
        /// Tool calls.
        #[serde(skip_serializing_if = "Option::is_none")]
        tool_calls: Option<Vec<ToolCall>>,
    },
    /// A tool result.
    Tool {
        /// The call it answers.
        tool_call_id: String,
        /// The result, as text blocks.
        content: Vec<ToolContent>,
    },
}

/// User content: a string or parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum UserContent {
    /// Plain text.
    Text(String),
    /// Text and image parts.
    Parts(Vec<ContentPart>),
}

/// A user content part.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// `{"type":"text","text":…}`
    Text {
        /// The text.
        text: String,
    },
    /// `{"type":"image_url","image_url":{"url":…}}`: a data URI or a web URL.
    ImageUrl {
        /// The image.
        image_url: ImageUrl,
    },
}

/// `image_url` of an image part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    /// Data URI or http(s) URL.
    pub url: String,
    /// `auto`, `low` or `high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A tool-result content block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolContent {
    /// `{"type":"text","text":…}`
    Text {
        /// The text.
        text: String,
    },
}

/// A tool definition.
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
    /// JSON schema of the arguments (required by Cohere).
    pub parameters: Value,
}

/// A tool call in an assistant turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    /// Call id.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Name and arguments.
    pub function: ToolCallFunction,
}

/// Name and JSON-string arguments of a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallFunction {
    /// Function name.
    pub name: String,
    /// Arguments, a JSON string.
    pub arguments: String,
}

/// `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ToolChoice {
    /// Must call at least one tool.
    Required,
    /// Must not call tools.
    None,
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseFormat {
    /// Always `json_object` here (text is the default and is not sent).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Optional JSON schema the object must follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// Chat v2: answer
// ---------------------------------------------------------------------------------------------

/// `POST /v2/chat` answer (non-streamed).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ChatResponse {
    /// Answer id.
    #[serde(default)]
    pub id: Option<String>,
    /// Why generation ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// The assistant message.
    #[serde(default)]
    pub message: Option<AssistantMessage>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// The assistant message of an answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AssistantMessage {
    /// Text and thinking blocks.
    #[serde(default)]
    pub content: Option<Vec<ResponseContent>>,
    /// Text written before tool calls.
    #[serde(default)]
    pub tool_plan: Option<String>,
    /// Tool calls.
    #[serde(default)]
    pub tool_calls: Option<Vec<ResponseToolCall>>,
}

/// A content block of an answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseContent {
    /// Answer text.
    Text {
        /// The text.
        #[serde(default)]
        text: String,
    },
    /// Reasoning text.
    Thinking {
        /// The reasoning.
        #[serde(default)]
        thinking: String,
    },
    /// A block type this filter does not know.
    #[serde(other)]
    Unknown,
}

/// A tool call of an answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseToolCall {
    /// Call id.
    #[serde(default)]
    pub id: Option<String>,
    /// Name and arguments.
    #[serde(default)]
    pub function: Option<ResponseFunction>,
}

/// Name and arguments of a called function (the arguments are documented as a JSON string;
/// an object is tolerated and re-serialised).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseFunction {
    /// Function name.
    #[serde(default)]
    pub name: Option<String>,
    /// Arguments.
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// Cohere's finish reasons (v2 `ChatFinishReason` and v1 `FinishReason` together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FinishReason {
    /// The model finished its message.
    Complete,
    /// A stop sequence was generated.
    StopSequence,
    /// The token limit was reached.
    MaxTokens,
    /// The model called tools.
    ToolCall,
    /// Internal error during generation.
    Error,
    /// v1: the output was withheld as toxic.
    ErrorToxic,
    /// v1: the context limit was reached.
    ErrorLimit,
    /// v1: the user cancelled.
    UserCancel,
    /// The time limit was reached.
    Timeout,
    /// A value this filter does not know.
    #[serde(other)]
    Unknown,
}

/// v2 `usage`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Usage {
    /// What Cohere bills.
    #[serde(default)]
    pub billed_units: Option<Units>,
    /// What the model processed.
    #[serde(default)]
    pub tokens: Option<Units>,
    /// Prompt tokens served from the cache.
    #[serde(default)]
    pub cached_tokens: Option<f64>,
}

/// Input and output token counts (`billed_units`, `tokens`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Units {
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: Option<f64>,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: Option<f64>,
}
