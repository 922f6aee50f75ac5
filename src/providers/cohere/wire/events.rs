//! Cohere v2 chat stream events (SSE; the `data` JSON carries a `type` discriminator).
//! Reference: `cohere-openapi.yaml` `StreamedChatResponseV2` and its event schemas.

use serde::Deserialize;

use super::{FinishReason, Usage};

/// One v2 stream event (the `data:` JSON).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamEvent {
    /// Event type.
    #[serde(rename = "type")]
    pub kind: StreamEventType,
    /// Content block or tool call position (Cohere's own count).
    #[serde(default)]
    pub index: Option<u32>,
    /// Answer id (`message-start`, `message-end`).
    #[serde(default)]
    pub id: Option<String>,
    /// The payload.
    #[serde(default)]
    pub delta: Option<StreamDelta>,
}

/// v2 stream event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamEventType {
    /// The answer starts.
    MessageStart,
    /// A content block starts.
    ContentStart,
    /// Text or thinking.
    ContentDelta,
    /// A content block ends.
    ContentEnd,
    /// Tool plan text.
    ToolPlanDelta,
    /// A tool call starts (id, name).
    ToolCallStart,
    /// Tool call argument fragment.
    ToolCallDelta,
    /// A tool call ends.
    ToolCallEnd,
    /// A citation starts.
    CitationStart,
    /// A citation ends.
    CitationEnd,
    /// The answer ends (finish reason, usage, error).
    MessageEnd,
    /// Debug payload.
    Debug,
    /// An event type this filter does not know.
    #[serde(other)]
    Unknown,
}

/// `delta` of a stream event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct StreamDelta {
    /// Message fragment.
    #[serde(default)]
    pub message: Option<DeltaMessage>,
    /// `message-end`: why generation ended.
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// `message-end`: token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// `message-end`: an error during generation.
    #[serde(default)]
    pub error: Option<String>,
}

/// `delta.message`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DeltaMessage {
    /// Text or thinking fragment.
    #[serde(default)]
    pub content: Option<DeltaContent>,
    /// Tool plan fragment.
    #[serde(default)]
    pub tool_plan: Option<String>,
    /// Tool call start or argument fragment (one object, not a list).
    #[serde(default)]
    pub tool_calls: Option<DeltaToolCall>,
}

/// `delta.message.content`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DeltaContent {
    /// Answer text.
    #[serde(default)]
    pub text: Option<String>,
    /// Reasoning text.
    #[serde(default)]
    pub thinking: Option<String>,
}

/// `delta.message.tool_calls`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DeltaToolCall {
    /// Call id (`tool-call-start`).
    #[serde(default)]
    pub id: Option<String>,
    /// Name and argument fragment.
    #[serde(default)]
    pub function: Option<DeltaFunction>,
}

/// `delta.message.tool_calls.function`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DeltaFunction {
    /// Function name (`tool-call-start`).
    #[serde(default)]
    pub name: Option<String>,
    /// Argument fragment.
    #[serde(default)]
    pub arguments: Option<String>,
}
