//! Anthropic's wire format: the Messages API (`POST /v1/messages`, request, answer and SSE
//! stream events) and the legacy Text Completions API (`POST /v1/complete`).
//!
//! References (Anthropic API docs): "Messages" (create a message), "Streaming Messages",
//! "Tool use", "Vision" (image sources `base64` and `url`), "Prompt caching" (usage fields),
//! "Structured outputs" (`output_config.format`), "Errors", and "Create a Text Completion
//! (legacy)". Only the fields this filter writes or reads are modelled; unknown fields in
//! answers are ignored and unknown enum values land in `Unknown`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Messages API: request
// ---------------------------------------------------------------------------------------------

/// `POST /v1/messages` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagesRequest<'a> {
    /// Model id.
    pub model: &'a str,
    /// Output token limit (required by Anthropic).
    pub max_tokens: u64,
    /// Alternating user/assistant turns.
    pub messages: Vec<MessageParam<'a>>,
    /// System prompt: one string, or several text blocks kept apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<System<'a>>,
    /// Custom stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<&'a [String]>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Server-sent events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Tool definitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<ToolParam<'a>>>,
    /// How the model may use tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoiceParam<'a>>,
    /// Request metadata (end-user id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata<'a>>,
    /// Structured output (JSON schema of the answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig<'a>>,
}

/// `system`: a string or a list of text blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum System<'a> {
    /// One system prompt.
    Text(Cow<'a, str>),
    /// Several system prompts, in order.
    Blocks(Vec<TextBlockParam<'a>>),
}

/// `{"type":"text","text":…}` where only text is allowed (system prompts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextBlockParam<'a> {
    /// Always `text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The text.
    pub text: Cow<'a, str>,
}

impl<'a> TextBlockParam<'a> {
    /// A text block.
    pub fn new(text: Cow<'a, str>) -> Self {
        TextBlockParam { kind: "text", text }
    }
}

/// Who wrote a turn: Anthropic has only these two roles inside `messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user (also carries tool results).
    User,
    /// The model.
    Assistant,
}

/// One turn of `messages`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageParam<'a> {
    /// Author.
    pub role: Role,
    /// Content: a string (one text block) or blocks.
    pub content: MessageContent<'a>,
}

/// A turn's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MessageContent<'a> {
    /// Shorthand for one text block.
    Text(Cow<'a, str>),
    /// Content blocks.
    Blocks(Vec<BlockParam<'a>>),
}

/// A content block of a request turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockParam<'a> {
    /// Text.
    Text {
        /// The text.
        text: Cow<'a, str>,
    },
    /// An image.
    Image {
        /// Where the image comes from.
        source: ImageSource<'a>,
    },
    /// A tool call made by an earlier assistant turn.
    ToolUse {
        /// Call id.
        id: Cow<'a, str>,
        /// Tool name.
        name: Cow<'a, str>,
        /// Arguments (a JSON object).
        input: Cow<'a, Value>,
    },
    /// The result of a tool call, in a user turn.
    ToolResult {
        /// The call it answers.
        tool_use_id: Cow<'a, str>,
        /// Result content (string or text/image blocks).
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<ToolResultContent<'a>>,
    },
}

/// `tool_result.content`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolResultContent<'a> {
    /// Plain text.
    Text(Cow<'a, str>),
    /// Text and image blocks.
    Blocks(Vec<BlockParam<'a>>),
}

/// `image.source`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImageSource<'a> {
    /// Inline base64 data.
    Base64 {
        /// e.g. `image/png`.
        media_type: Cow<'a, str>,
        /// Base64 payload.
        data: Cow<'a, str>,
    },
    /// An http(s) URL Anthropic fetches itself.
    Url {
        /// The URL.
        url: Cow<'a, str>,
    },
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolParam<'a> {
    /// Tool name.
    pub name: Cow<'a, str>,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    /// JSON schema of the input object (opaque).
    pub input_schema: Cow<'a, Value>,
    /// Strict schema adherence ("Strict tool use").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `tool_choice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoiceParam<'a> {
    /// The model decides.
    Auto {
        /// At most one tool call.
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// Must call some tool.
    Any {
        /// Exactly one tool call.
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// Must call this tool.
    Tool {
        /// The tool.
        name: Cow<'a, str>,
        /// Exactly one tool call.
        #[serde(skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    /// No tool calls.
    None,
}

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata<'a> {
    /// Opaque end-user id.
    pub user_id: Cow<'a, str>,
}

/// `output_config`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputConfig<'a> {
    /// The answer's format.
    pub format: OutputFormat<'a>,
}

/// `output_config.format`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputFormat<'a> {
    /// The answer text is JSON matching this schema.
    JsonSchema {
        /// The schema (opaque).
        schema: Cow<'a, Value>,
    },
}

// ---------------------------------------------------------------------------------------------
// Messages API: answer
// ---------------------------------------------------------------------------------------------

/// A `message` answer (non-streamed), and the skeleton carried by `message_start`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MessagesResponse {
    /// `msg_…`.
    #[serde(default)]
    pub id: Option<String>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// Content blocks; required in a non-streamed answer.
    #[serde(default)]
    pub content: Option<Vec<ContentBlock>>,
    /// Why generation ended.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// A content block of an answer (also `content_block_start.content_block`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text (empty at `content_block_start`).
        #[serde(default)]
        text: String,
    },
    /// Extended-thinking text.
    Thinking {
        /// The reasoning text.
        #[serde(default)]
        thinking: String,
    },
    /// A client tool call.
    ToolUse {
        /// Call id (`toolu_…`).
        #[serde(default)]
        id: String,
        /// Tool name.
        #[serde(default)]
        name: String,
        /// Arguments (`{}` at `content_block_start`).
        #[serde(default)]
        input: Value,
    },
    /// Anything else (redacted thinking, server tools, their results, …): ignored.
    #[serde(other)]
    Unknown,
}

/// `stop_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Natural end.
    EndTurn,
    /// `max_tokens` reached.
    MaxTokens,
    /// A custom stop sequence matched.
    StopSequence,
    /// The model called tools.
    ToolUse,
    /// A long server-tool turn was paused.
    PauseTurn,
    /// Declined for safety reasons.
    Refusal,
    /// The context window filled up.
    ModelContextWindowExceeded,
    /// A value this filter does not know.
    #[serde(other)]
    Unknown,
}

/// `usage` (answer, `message_start`, and cumulative in `message_delta`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Uncached input tokens.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// Output tokens (cumulative in streams).
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// Input tokens written to the prompt cache.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Messages API: stream events
// ---------------------------------------------------------------------------------------------

/// The `data:` of one SSE event, flat: every event type's fields are optional, so one pass
/// of serde reads any event without buffering it first (an internally tagged enum would).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamEventData {
    /// Event type.
    #[serde(rename = "type")]
    pub kind: StreamEventType,
    /// Block index (`content_block_*`).
    #[serde(default)]
    pub index: Option<u64>,
    /// The answer skeleton (`message_start`).
    #[serde(default)]
    pub message: Option<MessagesResponse>,
    /// The block that starts (`content_block_start`).
    #[serde(default)]
    pub content_block: Option<ContentBlock>,
    /// `content_block_delta` or `message_delta` payload.
    #[serde(default)]
    pub delta: Option<Delta>,
    /// Cumulative usage (`message_delta`).
    #[serde(default)]
    pub usage: Option<Usage>,
    /// The error (`error`).
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

/// SSE event types of the Messages stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamEventType {
    /// First event: id, model, input usage.
    MessageStart,
    /// A content block begins.
    ContentBlockStart,
    /// A piece of a content block.
    ContentBlockDelta,
    /// A content block ends.
    ContentBlockStop,
    /// Stop reason and cumulative usage.
    MessageDelta,
    /// Last event.
    MessageStop,
    /// Keep-alive.
    Ping,
    /// An error inside a 200 stream.
    Error,
    /// A type added after this filter was written: ignored, as the docs ask.
    #[serde(other)]
    Unknown,
}

/// `delta` of `content_block_delta` (typed by `type`) or of `message_delta` (stop reason).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Delta {
    /// Delta type (`content_block_delta` only).
    #[serde(rename = "type", default)]
    pub kind: Option<DeltaType>,
    /// `text_delta`.
    #[serde(default)]
    pub text: Option<String>,
    /// `input_json_delta`.
    #[serde(default)]
    pub partial_json: Option<String>,
    /// `thinking_delta`.
    #[serde(default)]
    pub thinking: Option<String>,
    /// `message_delta`.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
}

/// `content_block_delta.delta.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaType {
    /// Text.
    TextDelta,
    /// A fragment of a tool call's JSON input.
    InputJsonDelta,
    /// Reasoning text.
    ThinkingDelta,
    /// Thinking signature (opaque, not forwarded).
    SignatureDelta,
    /// Citations (not forwarded).
    CitationsDelta,
    /// Anything else.
    #[serde(other)]
    Unknown,
}

/// `error` of an `error` event (and of error answers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorBody {
    /// e.g. `overloaded_error`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Human-readable text.
    #[serde(default)]
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Text Completions API (legacy)
// ---------------------------------------------------------------------------------------------

/// `POST /v1/complete` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompleteRequest<'a> {
    /// Model id.
    pub model: &'a str,
    /// `\n\nHuman: …\n\nAssistant:` framed prompt.
    pub prompt: String,
    /// Output token limit (required).
    pub max_tokens_to_sample: u64,
    /// Stop sequences (beyond the built-in `\n\nHuman:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<&'a [String]>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// End-user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata<'a>>,
}

/// A `completion` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CompleteResponse {
    /// `compl_…`.
    #[serde(default)]
    pub id: Option<String>,
    /// The generated text; required.
    #[serde(default)]
    pub completion: Option<String>,
    /// `stop_sequence` or `max_tokens`.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
}
