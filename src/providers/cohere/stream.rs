//! Cohere stream translators: v2 chat (SSE, events named by their `type`) and legacy Generate
//! (NDJSON, `event_type`), into neutral [`StreamEvent`]s.
//!
//! Guarantees of [`ChatStream`]:
//! - `Meta{id}` once, from `message-start` (Cohere names no model: the emitter keeps the
//!   request's);
//! - text (`content-start`/`content-delta` text and `tool-plan-delta`) in order as `Text`,
//!   thinking as `Reasoning`;
//! - each `tool-call-start` opens the next tool call (indices 0, 1, … in arrival order, whatever
//!   Cohere's own `index` is), and `tool-call-delta` fragments go to the call Cohere's `index`
//!   names (else the last opened one);
//! - `message-end` gives `Finish` (mapped; `tool_calls` when calls were made) and `Usage`
//!   (billed units, else tokens), or, when it carries an error, `Usage` and `Error`; later
//!   events are ignored;
//! - a `data: [DONE]` terminator and unknown event types are ignored; an undecodable event is a
//!   `TranslateError`, never a panic.
//!
//! Guarantees of [`GenerateStream`]: `text-generation` → `Text`; `stream-end` → `Finish` and
//! `Usage` (from `response.meta.billed_units`; Kong's wrong-field fallback, docs/kong-compatibility.md §13.3, is not
//! copied); `stream-error` → `Error`.

use crate::api::FinishReason;
use crate::error::TranslateError;
use crate::stream::{Frame, ProviderStream, StreamEvent};

use super::decode::{chat_usage, map_finish};
use super::wire;

/// Where a v2 chat stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `message-start`.
    AwaitingStart,
    /// Between `message-start` and `message-end`.
    Streaming,
    /// After `message-end`: nothing more is translated.
    Ended,
}

/// One tool call seen in the stream.
#[derive(Debug, Clone, Copy)]
struct OpenCall {
    /// Cohere's `index` of the call, if it gave one.
    upstream: Option<u32>,
    /// Our index (arrival order).
    ours: u32,
}

/// Translator for `/v2/chat` SSE streams.
#[derive(Debug)]
pub struct ChatStream {
    phase: Phase,
    calls: Vec<OpenCall>,
    /// Prefix for ids of tool calls Cohere sends without one.
    id_base: String,
}

impl ChatStream {
    /// A fresh translator; `id_base` prefixes generated tool-call ids.
    pub fn new(id_base: String) -> Self {
        ChatStream {
            phase: Phase::AwaitingStart,
            calls: Vec::new(),
            id_base,
        }
    }

    fn open_call(&mut self, upstream: Option<u32>) -> u32 {
        let ours = u32::try_from(self.calls.len()).unwrap_or(u32::MAX);
        self.calls.push(OpenCall { upstream, ours });
        ours
    }

    fn call_for(&self, upstream: Option<u32>) -> Option<u32> {
        upstream
            .and_then(|u| self.calls.iter().find(|c| c.upstream == Some(u)))
            .or_else(|| self.calls.last())
            .map(|c| c.ours)
    }

    fn on_event(&mut self, ev: wire::StreamEvent, out: &mut Vec<StreamEvent>) {
        use wire::StreamEventType as T;
        if self.phase == Phase::Ended {
            return;
        }
        let message = ev.delta.as_ref().and_then(|d| d.message.as_ref());
        match ev.kind {
            T::MessageStart => {
                if self.phase == Phase::AwaitingStart {
                    out.push(StreamEvent::Meta {
                        id: ev.id.clone(),
                        model: None,
                    });
                }
                self.phase = Phase::Streaming;
            }
            T::ContentStart | T::ContentDelta => {
                if let Some(content) = message.and_then(|m| m.content.as_ref()) {
                    push_text(out, content.thinking.as_deref(), StreamEvent::Reasoning);
                    push_text(out, content.text.as_deref(), StreamEvent::Text);
                }
            }
            T::ToolPlanDelta => {
                push_text(
                    out,
                    message.and_then(|m| m.tool_plan.as_deref()),
                    StreamEvent::Text,
                );
            }
            T::ToolCallStart => {
                let call = message
                    .and_then(|m| m.tool_calls.clone())
                    .unwrap_or_default();
                let function = call.function.unwrap_or_default();
                let index = self.open_call(ev.index);
                out.push(StreamEvent::ToolCallStart {
                    index,
                    id: call
                        .id
                        .unwrap_or_else(|| format!("{}_{index}", self.id_base)),
                    name: function.name.unwrap_or_default(),
                });
                push_args(out, index, function.arguments);
            }
            T::ToolCallDelta => {
                let fragment = message
                    .and_then(|m| m.tool_calls.as_ref())
                    .and_then(|c| c.function.as_ref())
                    .and_then(|f| f.arguments.clone());
                if let Some(index) = self.call_for(ev.index) {
                    push_args(out, index, fragment);
                }
            }
            T::MessageEnd => {
                self.phase = Phase::Ended;
                let delta = ev.delta.unwrap_or_default();
                let usage = delta.usage.as_ref().and_then(chat_usage);
                // A generation error ends the stream as an error, not as a normal finish.
                if let Some(message) = delta.error.filter(|e| !e.is_empty()) {
                    out.extend(usage.map(StreamEvent::Usage));
                    out.push(StreamEvent::Error {
                        message,
                        kind: None,
                    });
                    return;
                }
                let mut finish = delta.finish_reason.map_or(FinishReason::Stop, map_finish);
                if !self.calls.is_empty() && finish == FinishReason::Stop {
                    finish = FinishReason::ToolCalls;
                }
                out.push(StreamEvent::Finish(finish));
                out.extend(usage.map(StreamEvent::Usage));
            }
            T::ContentEnd
            | T::ToolCallEnd
            | T::CitationStart
            | T::CitationEnd
            | T::Debug
            | T::Unknown => {}
        }
    }
}

fn push_text(out: &mut Vec<StreamEvent>, text: Option<&str>, make: fn(String) -> StreamEvent) {
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        out.push(make(t.to_string()));
    }
}

fn push_args(out: &mut Vec<StreamEvent>, index: u32, fragment: Option<String>) {
    if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
        out.push(StreamEvent::ToolCallArgs { index, fragment });
    }
}

/// The JSON payload of a frame (SSE `data`, or an NDJSON line); `None` for a `[DONE]`
/// terminator or an empty data field.
fn payload(frame: &Frame) -> Result<Option<&[u8]>, TranslateError> {
    match frame {
        Frame::Sse { data, .. } => {
            let d = data.trim();
            if d.is_empty() || d == "[DONE]" {
                Ok(None)
            } else {
                Ok(Some(d.as_bytes()))
            }
        }
        Frame::Json(bytes) => Ok(Some(bytes.as_slice())),
        Frame::Event(_) => Err(TranslateError::new(
            "unexpected AWS eventstream frame in a cohere stream",
        )),
    }
}

impl ProviderStream for ChatStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let Some(bytes) = payload(&frame)? else {
            return Ok(());
        };
        let ev: wire::StreamEvent = serde_json::from_slice(bytes)?;
        self.on_event(ev, out);
        Ok(())
    }
}

/// Translator for `/v1/generate` NDJSON streams.
#[derive(Debug, Default)]
pub struct GenerateStream {
    ended: bool,
}

impl GenerateStream {
    /// A fresh translator.
    pub fn new() -> Self {
        GenerateStream::default()
    }
}

impl ProviderStream for GenerateStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        use wire::GenerateEventType as T;
        let Some(bytes) = payload(&frame)? else {
            return Ok(());
        };
        if self.ended {
            return Ok(());
        }
        let ev: wire::GenerateStreamEvent = serde_json::from_slice(bytes)?;
        match ev.event_type {
            T::TextGeneration => push_text(out, ev.text.as_deref(), StreamEvent::Text),
            T::StreamEnd => {
                self.ended = true;
                let response = ev.response.unwrap_or_default();
                let reason = ev.finish_reason.or_else(|| {
                    response
                        .generations
                        .as_ref()
                        .and_then(|g| g.first())
                        .and_then(|g| g.finish_reason)
                });
                out.push(StreamEvent::Finish(
                    reason.map_or(FinishReason::Stop, map_finish),
                ));
                let usage = response
                    .meta
                    .and_then(|m| m.billed_units)
                    .map(|u| wire::Usage {
                        billed_units: Some(u),
                        ..wire::Usage::default()
                    });
                if let Some(u) = usage.as_ref().and_then(chat_usage) {
                    out.push(StreamEvent::Usage(u));
                }
            }
            T::StreamError => {
                self.ended = true;
                out.push(StreamEvent::Error {
                    message: ev.err.unwrap_or_else(|| "cohere stream error".to_string()),
                    kind: None,
                });
            }
            T::Unknown => {}
        }
        Ok(())
    }
}
