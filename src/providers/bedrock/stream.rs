//! ConverseStream → neutral stream events. Frames are AWS eventstream messages
//! (`Frame::Event`, decoded by `stream::eventstream`); each event's payload is the JSON of one
//! `ConverseStreamOutput` member (Bedrock API Reference `API_runtime_ConverseStream`).
//!
//! Guarantees:
//! - `contentBlockStart` with `start.toolUse` opens a tool call whose index is the number of
//!   toolUse blocks seen before it (the content-block index counts text blocks too, so it is
//!   never used as the tool index); its argument fragments (`delta.toolUse.input`) go to that
//!   index, so several tool calls in one answer stay apart.
//! - text deltas → `Text`, `delta.reasoningContent.text` → `Reasoning`, its `signature` →
//!   `ReasoningSignature`, its `redactedContent` → `RedactedReasoning`; empty pieces are skipped.
//! - `messageStop` → `Finish` (mapped to OpenAI's set); `metadata` (sent after messageStop) →
//!   `Usage`: both are emitted as they arrive, the emitter orders the chunks.
//! - an exception message (`:message-type` `exception`, e.g. `throttlingException`,
//!   `validationException`, `modelStreamErrorException`) or an `error` message → one `Error`
//!   event; nothing is emitted after it.
//! - unknown event types are ignored; a payload that is not the JSON of its event, or a tool
//!   delta for a block that never started, is a `TranslateError`. Nothing panics.
//! - Bedrock sends no answer id or model: no `Meta` is emitted (the emitter supplies both).

use serde::de::DeserializeOwned;

use super::decode::{finish_reason, usage};
use super::wire::{
    ContentBlockDeltaEvent, ContentBlockStartEvent, ExceptionEvent, MessageStopEvent, MetadataEvent,
};
use crate::error::TranslateError;
use crate::stream::{AwsEvent, Frame, ProviderStream, StreamEvent};

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Events are being translated.
    Open,
    /// An error event was emitted: the rest is ignored.
    Failed,
}

/// Per-stream state of one ConverseStream answer.
#[derive(Debug)]
pub struct ConverseStream {
    phase: Phase,
    /// Number of toolUse blocks started so far (the next tool-call index).
    tool_calls: u32,
    /// Open toolUse blocks: (content-block index, tool-call index).
    tool_blocks: Vec<(u32, u32)>,
}

impl Default for ConverseStream {
    fn default() -> Self {
        Self::new()
    }
}

impl ConverseStream {
    /// A fresh translator.
    pub fn new() -> Self {
        ConverseStream {
            phase: Phase::Open,
            tool_calls: 0,
            tool_blocks: Vec::new(),
        }
    }

    fn on_event(
        &mut self,
        ev: &AwsEvent,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        // `:message-type` `error` (eventstream-level) carries its text in headers we do not
        // get: a generic message is used.
        if ev.message_type.as_deref() == Some("error") {
            self.fail(None, ev.event_type.clone(), out);
            return Ok(());
        }
        // An exception member of the stream union; its name alone is enough when a decoder
        // left out `:message-type` (`throttlingException`, …).
        let exception_name = ev
            .event_type
            .as_deref()
            .is_some_and(|t| t.ends_with("Exception"));
        if ev.message_type.as_deref() == Some("exception") || exception_name {
            let p: ExceptionEvent = serde_json::from_slice(&ev.payload).unwrap_or_default();
            self.fail(p.message.or(p.original_message), ev.event_type.clone(), out);
            return Ok(());
        }
        match ev.event_type.as_deref() {
            Some("contentBlockStart") => {
                let e: ContentBlockStartEvent = payload(ev)?;
                if let Some(tool) = e.start.and_then(|s| s.tool_use) {
                    let index = self.tool_calls;
                    self.tool_calls = self.tool_calls.saturating_add(1);
                    self.tool_blocks.push((e.content_block_index, index));
                    out.push(StreamEvent::ToolCallStart {
                        index,
                        id: tool.tool_use_id,
                        name: tool.name,
                    });
                }
            }
            Some("contentBlockDelta") => {
                let e: ContentBlockDeltaEvent = payload(ev)?;
                let Some(delta) = e.delta else {
                    return Ok(());
                };
                if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Text(text));
                }
                if let Some(r) = delta.reasoning_content {
                    if let Some(t) = r.text.filter(|t| !t.is_empty()) {
                        out.push(StreamEvent::Reasoning(t));
                    }
                    if let Some(sig) = r.signature.filter(|s| !s.is_empty()) {
                        out.push(StreamEvent::ReasoningSignature(sig));
                    }
                    if let Some(data) = r.redacted_content.filter(|d| !d.is_empty()) {
                        out.push(StreamEvent::RedactedReasoning(data));
                    }
                }
                if let Some(tool) = delta.tool_use {
                    let index = self.tool_index(e.content_block_index).ok_or_else(|| {
                        TranslateError::new(
                            "Bedrock toolUse delta for a content block that never started",
                        )
                    })?;
                    if !tool.input.is_empty() {
                        out.push(StreamEvent::ToolCallArgs {
                            index,
                            fragment: tool.input,
                        });
                    }
                }
            }
            Some("messageStop") => {
                let e: MessageStopEvent = payload(ev)?;
                if let Some(reason) = e.stop_reason {
                    out.push(StreamEvent::Finish(finish_reason(reason)));
                }
            }
            Some("metadata") => {
                let e: MetadataEvent = payload(ev)?;
                if let Some(u) = e.usage {
                    out.push(StreamEvent::Usage(usage(&u)));
                }
            }
            // messageStart (role only), contentBlockStop and anything newer carry nothing to
            // translate.
            _ => {}
        }
        Ok(())
    }

    fn tool_index(&self, block: u32) -> Option<u32> {
        self.tool_blocks
            .iter()
            .rev()
            .find(|(b, _)| *b == block)
            .map(|(_, i)| *i)
    }

    fn fail(&mut self, message: Option<String>, kind: Option<String>, out: &mut Vec<StreamEvent>) {
        self.phase = Phase::Failed;
        out.push(StreamEvent::Error {
            message: message.unwrap_or_else(|| "Bedrock stream error".to_string()),
            kind,
        });
    }
}

fn payload<T: DeserializeOwned>(ev: &AwsEvent) -> Result<T, TranslateError> {
    serde_json::from_slice(&ev.payload).map_err(|e| {
        TranslateError::new(format!(
            "bad Bedrock {} event: {e}",
            ev.event_type.as_deref().unwrap_or("stream")
        ))
    })
}

impl ProviderStream for ConverseStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        if self.phase == Phase::Failed {
            return Ok(());
        }
        match frame {
            Frame::Event(ev) => self.on_event(&ev, out),
            // ConverseStream is always eventstream-framed; other frames are not ours.
            Frame::Sse { .. } | Frame::Json(_) => Err(TranslateError::new(
                "Bedrock ConverseStream expects AWS eventstream frames",
            )),
        }
    }
}
