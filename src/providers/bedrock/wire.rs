//! Amazon Bedrock Runtime wire types of Converse / ConverseStream (chat and completions). The
//! InvokeModel embeddings bodies live in `embeddings.rs`.
//!
//! References: Bedrock API Reference `API_runtime_Converse`, `API_runtime_ConverseStream`
//! (shapes `Message`, `ContentBlock`, `ToolConfiguration`, `InferenceConfiguration`,
//! `OutputConfig`, `TokenUsage`, `ConverseStreamOutput` and its events).
//!
//! Converse unions (`ContentBlock`, `ToolChoice`, …) are one-key JSON objects. Request-side
//! unions are externally tagged enums (serialise only); response-side unions are structs of
//! optional members, so a member we do not know is ignored instead of failing the answer.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------------------
// Converse request
// ---------------------------------------------------------------------------------------
//
// The request types borrow from the typed OpenAI request (`'a`): text, ids, names, images and
// tool schemas go out as the client sent them, without a copy. Only what the encoder computes
// is owned: tool inputs and JSON tool results parsed from their strings, a joined prompt, the
// default tool schema, a `top_k` added to the model fields, the serialised output schema.

/// `POST /model/{modelId}/converse` (and `/converse-stream`) body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest<'a> {
    /// The conversation (alternating user/assistant turns).
    pub messages: Vec<Message<'a>>,
    /// System prompts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemBlock<'a>>,
    /// Base inference parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_config: Option<InferenceConfig<'a>>,
    /// Tools and tool choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig<'a>>,
    /// Guardrail to apply (Kong's top-level `guardrailConfig`, passed as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardrail_config: Option<&'a Value>,
    /// Model-specific parameters (e.g. `top_k`): the client's object as sent, a copy only
    /// when a field is added to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<Cow<'a, Map<String, Value>>>,
    /// Latency-optimised inference: the client's object, or the configured latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance_config: Option<Cow<'a, Value>>,
    /// Structured output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_config: Option<OutputConfig<'a>>,
}

/// One turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message<'a> {
    /// `user` or `assistant`.
    pub role: ConversationRole,
    /// Content blocks.
    pub content: Vec<ContentBlock<'a>>,
}

/// `ConversationRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationRole {
    /// The user (also carries tool results).
    User,
    /// The model.
    Assistant,
    /// Anything else.
    #[serde(other)]
    Unknown,
}

/// A request content block (`ContentBlock` union).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ContentBlock<'a> {
    /// `{"text": …}` (owned only for a completions prompt joined from a list).
    Text(Cow<'a, str>),
    /// `{"image": {"format", "source": {"bytes"}}}`
    Image(ImageBlock<'a>),
    /// `{"toolUse": {"toolUseId", "name", "input"}}`
    ToolUse(ToolUseOut<'a>),
    /// `{"toolResult": {"toolUseId", "content", "status"?}}`
    ToolResult(ToolResultBlock<'a>),
    /// `{"reasoningContent": {"reasoningText": {"text", "signature"?}}}` or
    /// `{"reasoningContent": {"redactedContent": …}}`: earlier reasoning of an assistant turn.
    ReasoningContent(ReasoningContentBlock<'a>),
    /// `{"cachePoint": {"type": "default", "ttl"?}}`: a prompt-cache breakpoint.
    CachePoint(CachePointBlock),
}

/// `SystemContentBlock` (`text` and `cachePoint` members).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SystemBlock<'a> {
    /// System prompt text (non-empty).
    Text(&'a str),
    /// A prompt-cache breakpoint after the blocks before it.
    CachePoint(CachePointBlock),
}

/// `CachePointBlock`: `type` is always `default`; `ttl` `5m` or `1h`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachePointBlock {
    /// `default`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Cache lifetime, when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<&'static str>,
}

impl CachePointBlock {
    /// A breakpoint with the given lifetime (`5m`, `1h`; others are left to the default).
    pub fn new(ttl: Option<&str>) -> Self {
        CachePointBlock {
            kind: "default",
            ttl: match ttl {
                Some("5m") => Some("5m"),
                Some("1h") => Some("1h"),
                _ => None,
            },
        }
    }
}

/// `ReasoningContentBlock` union, request side.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasoningContentBlock<'a> {
    /// `{"text", "signature"?}`.
    ReasoningText(ReasoningTextOut<'a>),
    /// Encrypted reasoning (base64), as the model gave it.
    RedactedContent(&'a str),
}

/// `ReasoningTextBlock`, request side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasoningTextOut<'a> {
    /// Reasoning text.
    pub text: &'a str,
    /// The model's signature of the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<&'a str>,
}

/// `ImageBlock`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageBlock<'a> {
    /// `png`, `jpeg`, `gif` or `webp`.
    pub format: &'static str,
    /// Inline bytes.
    pub source: ImageSource<'a>,
}

/// `ImageSource` (`bytes` member: base64 in JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageSource<'a> {
    /// Base64 of the image bytes (the data URL's payload as sent).
    pub bytes: &'a str,
}

/// `ToolUseBlock`, request side (the answer side is [`ToolUseBlock`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseOut<'a> {
    /// Call id.
    pub tool_use_id: &'a str,
    /// Tool name.
    pub name: &'a str,
    /// Arguments (a JSON object, parsed from OpenAI's arguments string).
    pub input: Value,
}

/// `ToolResultBlock`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultBlock<'a> {
    /// The call answered.
    pub tool_use_id: &'a str,
    /// Result content.
    pub content: Vec<ToolResultContent<'a>>,
}

/// `ToolResultContentBlock` union.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolResultContent<'a> {
    /// `{"json": {…}}` (parsed from the tool message's string).
    Json(Value),
    /// `{"text": …}`
    Text(&'a str),
    /// `{"image": …}`
    Image(ImageBlock<'a>),
}

/// `InferenceConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig<'a> {
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<&'a [String]>,
}

impl InferenceConfig<'_> {
    /// Whether nothing is set (the field is then omitted).
    pub fn is_empty(&self) -> bool {
        self.max_tokens.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.stop_sequences.is_none()
    }
}

/// `ToolConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig<'a> {
    /// Tools.
    pub tools: Vec<Tool<'a>>,
    /// How the model picks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice<'a>>,
}

/// `Tool` union (`toolSpec` member; a `cachePoint` member is added by the Anthropic ingress).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool<'a> {
    /// The specification.
    pub tool_spec: ToolSpec<'a>,
}

/// `ToolSpecification`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpec<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// `{"json": <JSON schema>}`.
    pub input_schema: InputSchema<'a>,
}

/// `ToolInputSchema` union (`json` member).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSchema<'a> {
    /// The JSON schema (opaque): the client's, or an empty object schema when it sent none.
    pub json: Cow<'a, Value>,
}

/// `ToolChoice` union.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolChoice<'a> {
    /// `{"auto": {}}`
    Auto(Empty),
    /// `{"any": {}}`: some tool must be called.
    Any(Empty),
    /// `{"tool": {"name"}}`: this tool must be called.
    Tool(SpecificTool<'a>),
}

/// `{}`
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Empty {}

/// `SpecificToolChoice`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecificTool<'a> {
    /// Tool name.
    pub name: &'a str,
}

/// `OutputConfig` (structured output).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputConfig<'a> {
    /// `OutputFormat`.
    pub text_format: OutputFormat<'a>,
}

/// `OutputFormat`: `{"type": "json_schema", "structure": {"jsonSchema": …}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputFormat<'a> {
    /// Always `json_schema`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `OutputFormatStructure` union.
    pub structure: OutputStructure<'a>,
}

/// `OutputFormatStructure` union (`jsonSchema` member).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputStructure<'a> {
    /// `JsonSchemaDefinition`.
    pub json_schema: JsonSchemaDefinition<'a>,
}

/// `JsonSchemaDefinition`: the schema travels as a JSON *string*.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaDefinition<'a> {
    /// The schema, serialised.
    pub schema: String,
    /// Schema name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    /// Schema description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------
// Converse response
// ---------------------------------------------------------------------------------------

/// Converse answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseResponse {
    /// `{"message": …}`.
    #[serde(default)]
    pub output: Option<ConverseOutput>,
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<TokenUsage>,
}

/// `ConverseOutput` union.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConverseOutput {
    /// The generated message.
    #[serde(default)]
    pub message: Option<OutputMessage>,
}

/// The generated message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutputMessage {
    /// `assistant`.
    #[serde(default)]
    pub role: Option<ConversationRole>,
    /// Content blocks.
    #[serde(default)]
    pub content: Vec<OutputBlock>,
}

/// An answer content block (union as optional members; unknown members are ignored).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputBlock {
    /// Text.
    #[serde(default)]
    pub text: Option<String>,
    /// A tool call.
    #[serde(default)]
    pub tool_use: Option<ToolUseBlock>,
    /// Reasoning (extended thinking).
    #[serde(default)]
    pub reasoning_content: Option<ReasoningBlock>,
}

/// `ToolUseBlock`, answer side (the request side is [`ToolUseOut`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseBlock {
    /// Call id.
    pub tool_use_id: String,
    /// Tool name.
    pub name: String,
    /// Arguments (a JSON object).
    #[serde(default)]
    pub input: Value,
}

/// `ReasoningContentBlock` union.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningBlock {
    /// `{"text", "signature"?}`.
    #[serde(default)]
    pub reasoning_text: Option<ReasoningText>,
    /// Encrypted reasoning (base64).
    #[serde(default)]
    pub redacted_content: Option<String>,
}

/// `ReasoningTextBlock`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ReasoningText {
    /// Reasoning text.
    #[serde(default)]
    pub text: String,
    /// The model's signature of the text (to send back with it on the next turn).
    #[serde(default)]
    pub signature: Option<String>,
}

/// `StopReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Natural end.
    EndTurn,
    /// Tool call.
    ToolUse,
    /// Token limit.
    MaxTokens,
    /// Stop sequence.
    StopSequence,
    /// Guardrail blocked the content.
    GuardrailIntervened,
    /// Content filter.
    ContentFiltered,
    /// Anything newer.
    #[serde(other)]
    Unknown,
}

/// `TokenUsage`. `inputTokens` excludes cache reads and writes (Bedrock prompt caching:
/// total input = inputTokens + cacheReadInputTokens + cacheWriteInputTokens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    /// Non-cached input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Total tokens.
    #[serde(default)]
    pub total_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    /// Input tokens written to the prompt cache.
    #[serde(default)]
    pub cache_write_input_tokens: Option<u64>,
}

// ---------------------------------------------------------------------------------------
// ConverseStream events (payloads of `:event-type` messages)
// ---------------------------------------------------------------------------------------

/// `contentBlockStart`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStartEvent {
    /// Block index within the message.
    #[serde(default)]
    pub content_block_index: u32,
    /// What starts.
    #[serde(default)]
    pub start: Option<ContentBlockStart>,
}

/// `ContentBlockStart` union.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockStart {
    /// A tool call starts.
    #[serde(default)]
    pub tool_use: Option<ToolUseStart>,
}

/// `ToolUseBlockStart`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseStart {
    /// Call id.
    pub tool_use_id: String,
    /// Tool name.
    pub name: String,
}

/// `contentBlockDelta`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDeltaEvent {
    /// Block index within the message.
    #[serde(default)]
    pub content_block_index: u32,
    /// The delta.
    #[serde(default)]
    pub delta: Option<ContentBlockDelta>,
}

/// `ContentBlockDelta` union.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentBlockDelta {
    /// Text piece.
    #[serde(default)]
    pub text: Option<String>,
    /// Tool-call arguments piece.
    #[serde(default)]
    pub tool_use: Option<ToolUseDelta>,
    /// Reasoning piece.
    #[serde(default)]
    pub reasoning_content: Option<ReasoningDelta>,
}

/// `ToolUseBlockDelta`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolUseDelta {
    /// A fragment of the JSON arguments.
    #[serde(default)]
    pub input: String,
}

/// `ReasoningContentBlockDelta` union (`text`, `signature`, `redactedContent`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningDelta {
    /// Reasoning text piece.
    #[serde(default)]
    pub text: Option<String>,
    /// The signature of the block's reasoning text (sent once, after the text).
    #[serde(default)]
    pub signature: Option<String>,
    /// Encrypted reasoning (base64).
    #[serde(default)]
    pub redacted_content: Option<String>,
}

/// `messageStop`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageStopEvent {
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
}

/// `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MetadataEvent {
    /// Token counts.
    #[serde(default)]
    pub usage: Option<TokenUsage>,
}

/// An exception event payload (`throttlingException`, `modelStreamErrorException`, …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionEvent {
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// `modelStreamErrorException`: the model's own message.
    #[serde(default)]
    pub original_message: Option<String>,
}
