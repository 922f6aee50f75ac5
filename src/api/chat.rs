//! Chat completions (`llm/v1/chat`): request, messages, content parts, tools, and the answer.
//! Reference: OpenAI "Create chat completion" API; docs/kong-compatibility.md §3.6.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FinishReason, Stop, Usage};

/// `POST /v1/chat/completions` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Model name; may be absent when the config pins one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The conversation, in order.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// `true` asks for server-sent events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// `{"include_usage": true}` asks for a final usage chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Output token limit (legacy name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Output token limit (current name; wins over `max_tokens` when both are set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling mass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k (not OpenAI's, but Kong accepts it and forwards it to providers that have it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    /// Number of choices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// Presence penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Sampling seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How the model picks tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether several tool calls may come in one turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// JSON mode / structured output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    /// End-user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Everything else the client sent (passed through to OpenAI-format upstreams).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChatRequest {
    /// The effective output token limit (`max_completion_tokens` wins).
    pub fn max_output_tokens(&self) -> Option<u64> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Whether the client asked for a usage chunk at the end of a stream.
    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }
}

/// `stream_options`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Ask for a final usage chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// System prompt.
    System,
    /// System prompt (newer name).
    Developer,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool result.
    Tool,
    /// Legacy function result.
    Function,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Text or parts; absent on assistant turns that only call tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Optional author name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tool calls made by an assistant turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// The call a `tool` message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// All text of the message, parts joined with no separator; images are skipped.
    pub fn text(&self) -> String {
        self.content.as_ref().map(Content::text).unwrap_or_default()
    }

    /// [`Message::text`], borrowed when it can be.
    pub fn text_ref(&self) -> Cow<'_, str> {
        self.content
            .as_ref()
            .map(Content::text_ref)
            .unwrap_or_default()
    }
}

/// Message content: a string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Multimodal parts.
    Parts(Vec<ContentPart>),
}

impl Content {
    /// The text pieces in order (the parts of [`Content::text`] before they are joined).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (one, parts) = match self {
            Content::Text(s) => (Some(s.as_str()), &[][..]),
            Content::Parts(parts) => (None, parts.as_slice()),
        };
        one.into_iter().chain(parts.iter().filter_map(|p| match p {
            ContentPart::Text { text } => Some(text.as_str()),
            _ => None,
        }))
    }

    /// All text parts joined (no separator); images are skipped.
    pub fn text(&self) -> String {
        self.text_ref().into_owned()
    }

    /// [`Content::text`], borrowed when the content is one string or one text part (encoders
    /// send it without copying).
    pub fn text_ref(&self) -> Cow<'_, str> {
        match self {
            Content::Text(s) => Cow::Borrowed(s),
            Content::Parts(parts) => match parts.as_slice() {
                [ContentPart::Text { text }] => Cow::Borrowed(text),
                _ => Cow::Owned(self.texts().collect()),
            },
        }
    }
}

/// One content part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// `{"type":"text","text":…}`
    Text {
        /// The text.
        text: String,
    },
    /// `{"type":"image_url","image_url":{"url":…}}`: a data URL or an http(s) URL.
    ImageUrl {
        /// The image reference.
        image_url: ImageUrl,
    },
    /// `{"type":"cache_point","ttl"?}`: a prompt-cache breakpoint after the parts before it
    /// (Bedrock `cachePoint`; the Anthropic ingress writes it for `cache_control`). Providers
    /// without block-level caching drop it.
    CachePoint {
        /// `5m` or `1h`; the provider's default when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl: Option<String>,
    },
    /// `{"type":"thinking","thinking","signature"?}`: earlier reasoning of an assistant turn
    /// with the provider's signature, sent back to the provider that gave it (Bedrock
    /// `reasoningContent`, Gemini `thoughtSignature`); dropped elsewhere.
    Thinking {
        /// The reasoning text.
        #[serde(default)]
        thinking: String,
        /// The provider's signature of that text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// `{"type":"redacted_thinking","data"}`: encrypted reasoning of an assistant turn (Bedrock
    /// `reasoningContent.redactedContent`), sent back as it came; dropped elsewhere.
    RedactedThinking {
        /// The opaque data.
        data: String,
    },
    /// Any other part type (audio, file, …): kept for OpenAI-format upstreams, refused or
    /// dropped by providers that cannot take it.
    #[serde(other)]
    Unsupported,
}

/// `image_url` of an image part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// `data:<mime>;base64,<data>` or `http(s)://…`.
    pub url: String,
    /// `low`, `high` or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A data URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUrl<'a> {
    /// Media type, e.g. `image/png`.
    pub media_type: &'a str,
    /// The base64 payload (not decoded).
    pub data: &'a str,
}

impl ImageUrl {
    /// Parses `data:<mime>;base64,<data>`; `None` for anything else (e.g. an http URL).
    pub fn as_data_url(&self) -> Option<DataUrl<'_>> {
        let rest = self.url.strip_prefix("data:")?;
        let (meta, data) = rest.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        Some(DataUrl { media_type, data })
    }
}

/// A tool definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `function` today.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function.
    pub function: FunctionDef,
}

fn function_type() -> String {
    "function".to_string()
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    /// Name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments (opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Strict schema adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `tool_choice`: a mode string or a named function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    /// `none`, `auto` or `required`.
    Mode(ToolChoiceMode),
    /// `{"type":"function","function":{"name":…}}`
    Named(NamedToolChoice),
}

/// The string forms of `tool_choice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    /// Never call a tool.
    None,
    /// The model decides.
    Auto,
    /// Must call some tool.
    Required,
}

/// A forced function call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    /// `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function to call.
    pub function: FunctionName,
}

/// `{"name": …}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionName {
    /// Function name.
    pub name: String,
}

/// A tool call, in a request's assistant turn or in an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Call id, echoed by the `tool` message that answers it.
    pub id: String,
    /// `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// Name and arguments.
    pub function: FunctionCall,
}

impl ToolCall {
    /// The arguments as the JSON object providers with typed tool input need (an empty string
    /// counts as `{}`); a 400 naming the call when they are anything else.
    pub fn arguments_object(&self) -> Result<Value, crate::error::ProxyError> {
        let args = self.function.arguments.trim();
        if args.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        match serde_json::from_slice::<Value>(args.as_bytes()) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(crate::error::ProxyError::bad_request(format!(
                "tool call '{}' ({}): function.arguments must be a JSON object",
                self.id, self.function.name
            ))),
        }
    }
}

impl FunctionCall {
    /// Arguments a provider answered as JSON (a string is taken as is, an object is
    /// serialised, absent or `null` is `{}`) as OpenAI's JSON string.
    pub fn arguments_from_json(args: Option<&Value>) -> String {
        match args {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => "{}".to_string(),
            Some(other) => other.to_string(),
        }
    }
}

/// Name and JSON-encoded arguments of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Function name.
    pub name: String,
    /// Arguments as a JSON string (OpenAI's convention).
    #[serde(default)]
    pub arguments: String,
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFormat {
    /// `text`, `json_object` or `json_schema`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The schema for `json_schema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<JsonSchemaFormat>,
}

/// `response_format.json_schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// Schema name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON schema (opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    /// Strict adherence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `chat.completion` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Answer id (`chatcmpl-…` when the provider gives none).
    pub id: String,
    /// `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The choices.
    pub choices: Vec<ChatChoice>,
    /// Token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Provider fingerprint, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
}

/// One choice of a chat answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// Position.
    pub index: u32,
    /// The assistant message.
    pub message: AssistantMessage,
    /// Why generation ended; `null` when unknown.
    pub finish_reason: Option<FinishReason>,
}

/// The assistant message of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: Role,
    /// Text; `null` when the turn only calls tools.
    pub content: Option<String>,
    /// Reasoning text, where the provider returns it separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Refusal text (OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// The reasoning as the provider's blocks with their signatures, where it gives them
    /// (Bedrock `reasoningContent`, Gemini `thoughtSignature`): kept for the Anthropic
    /// ingress's thinking blocks, never part of an OpenAI answer.
    #[serde(skip)]
    pub reasoning_blocks: Vec<ReasoningBlock>,
}

/// One reasoning block of an answer as the provider gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasoningBlock {
    /// Reasoning text (empty for redacted reasoning or a bare signature).
    pub text: String,
    /// The provider's signature of the text.
    pub signature: Option<String>,
    /// Encrypted reasoning (Bedrock `redactedContent`), instead of text.
    pub redacted: Option<String>,
}

impl AssistantMessage {
    /// An assistant message with text only.
    pub fn text(content: impl Into<String>) -> Self {
        AssistantMessage {
            role: Role::Assistant,
            content: Some(content.into()),
            reasoning_content: None,
            tool_calls: None,
            refusal: None,
            reasoning_blocks: Vec::new(),
        }
    }
}
