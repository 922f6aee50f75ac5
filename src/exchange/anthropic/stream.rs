//! Neutral stream events → Anthropic Messages SSE, the events Anthropic's API writes
//! (Anthropic API docs "Streaming Messages"):
//!
//! `message_start` (id, model, empty content, input usage so far) and one `ping`; then per
//! content block `content_block_start`, its `content_block_delta`s (`text_delta`,
//! `thinking_delta` and the provider's `signature_delta`, `input_json_delta`; a
//! `redacted_thinking` block whole in its start) and `content_block_stop`, one block open at a time,
//! indices from 0; at the end `message_delta` (`stop_reason`, `stop_sequence`, the final usage
//! with input, output and cache counts) and `message_stop`. A provider error becomes one
//! `error` event and ends the stream (no `message_stop`, as Anthropic does).
//!
//! Every provider's translator already turns its stream into [`StreamEvent`]s (the same ones
//! the OpenAI chunk emitter reads), so this one writer serves them all.

use serde_json::{json, Value};

use super::response::{error_type, message_id, stop_reason, usage};
use crate::api::{FinishReason, Usage};
use crate::stream::StreamEvent;

/// The content block currently open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Text,
    Thinking,
    /// `redacted_thinking` (whole in its start event).
    Redacted,
    /// A tool call, by its index among the answer's tool calls.
    Tool(u32),
}

/// Writes one answer's Anthropic SSE events.
#[derive(Debug)]
pub struct MessagesEmitter {
    id: String,
    model: String,
    /// Input tokens to show in `message_start` (an estimate; the final count comes in
    /// `message_delta`).
    input_estimate: u64,
    started: bool,
    open: Option<Block>,
    /// Index the next block gets.
    next_index: u32,
    finish: Option<FinishReason>,
    called_tools: bool,
    usage: Option<Usage>,
    closed: bool,
}

impl MessagesEmitter {
    /// An emitter for one answer.
    pub fn new(id: impl Into<String>, model: impl Into<String>, input_estimate: u64) -> Self {
        MessagesEmitter {
            id: message_id(&id.into()),
            model: model.into(),
            input_estimate,
            started: false,
            open: None,
            next_index: 0,
            finish: None,
            called_tools: false,
            usage: None,
            closed: false,
        }
    }

    /// Writes the events for one neutral event.
    pub fn emit(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        match event {
            StreamEvent::Meta { id, model } => {
                if !self.started {
                    if let Some(id) = id.as_deref().filter(|s| !s.is_empty()) {
                        self.id = message_id(id);
                    }
                    if let Some(m) = model.as_deref().filter(|s| !s.is_empty()) {
                        self.model = m.to_string();
                    }
                }
            }
            StreamEvent::Text(text) => {
                if text.is_empty() {
                    return;
                }
                self.ensure_block(Block::Text, out);
                self.delta(json!({"type": "text_delta", "text": text}), out);
            }
            StreamEvent::Reasoning(text) => {
                if text.is_empty() {
                    return;
                }
                self.ensure_block(Block::Thinking, out);
                self.delta(json!({"type": "thinking_delta", "thinking": text}), out);
            }
            StreamEvent::ReasoningSignature(signature) => {
                // The signature ends its thinking block (one with no text when the provider
                // signs without showing its reasoning).
                self.ensure_block(Block::Thinking, out);
                let d = json!({"type": "signature_delta", "signature": signature});
                self.delta(d, out);
                self.close_block(out);
            }
            StreamEvent::RedactedReasoning(data) => {
                self.start(out);
                self.close_block(out);
                let block = json!({"type": "redacted_thinking", "data": data});
                self.open_block(Block::Redacted, block, out);
                self.close_block(out);
            }
            StreamEvent::ToolCallStart { index, id, name } => {
                self.called_tools = true;
                self.start(out);
                self.close_block(out);
                let block = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
                self.open_block(Block::Tool(*index), block, out);
            }
            StreamEvent::ToolCallArgs { index, fragment } => {
                // Arguments stream into their call's block while it is open (providers send
                // one call after the other).
                if fragment.is_empty() || self.open != Some(Block::Tool(*index)) {
                    return;
                }
                let d = json!({"type": "input_json_delta", "partial_json": fragment});
                self.delta(d, out);
            }
            StreamEvent::Finish(reason) => {
                self.finish.get_or_insert(*reason);
            }
            StreamEvent::Usage(u) => self.usage = Some(u.clone()),
            StreamEvent::Error { message, kind } => {
                let kind = kind
                    .as_deref()
                    .filter(|k| k.ends_with("_error"))
                    .unwrap_or(error_type(500));
                let data = json!({"type": "error", "error": {"type": kind, "message": message}});
                write_event(out, "error", &data);
                self.closed = true;
            }
        }
    }

    /// End of the answer: closes the open block and writes `message_delta` and
    /// `message_stop`. `fallback` is the usage to report when the provider sent none.
    pub fn finish(&mut self, fallback: Option<&Usage>, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.start(out);
        self.close_block(out);
        let u = self.usage.as_ref().or(fallback);
        let data = json!({
            "type": "message_delta",
            "delta": {
                "stop_reason": stop_reason(self.finish, self.called_tools),
                "stop_sequence": null,
            },
            "usage": usage(u),
        });
        write_event(out, "message_delta", &data);
        write_event(out, "message_stop", &json!({"type": "message_stop"}));
        self.closed = true;
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let input = self
            .usage
            .as_ref()
            .map(|u| u.prompt_tokens)
            .unwrap_or(self.input_estimate);
        let data = json!({
            "type": "message_start",
            "message": {
                "id": self.id, "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0, "output_tokens": 1},
            },
        });
        write_event(out, "message_start", &data);
        write_event(out, "ping", &json!({"type": "ping"}));
    }

    fn ensure_block(&mut self, want: Block, out: &mut Vec<u8>) {
        self.start(out);
        if self.open == Some(want) {
            return;
        }
        self.close_block(out);
        let block = match want {
            Block::Text => json!({"type": "text", "text": ""}),
            _ => json!({"type": "thinking", "thinking": "", "signature": ""}),
        };
        self.open_block(want, block, out);
    }

    fn open_block(&mut self, kind: Block, block: Value, out: &mut Vec<u8>) {
        let data = json!({"type": "content_block_start", "index": self.next_index, "content_block": block});
        write_event(out, "content_block_start", &data);
        self.open = Some(kind);
    }

    fn delta(&mut self, delta: Value, out: &mut Vec<u8>) {
        let data = json!({"type": "content_block_delta", "index": self.next_index, "delta": delta});
        write_event(out, "content_block_delta", &data);
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        if self.open.take().is_some() {
            let data = json!({"type": "content_block_stop", "index": self.next_index});
            write_event(out, "content_block_stop", &data);
            self.next_index += 1;
        }
    }
}

/// `event: <name>\ndata: <json>\n\n`.
fn write_event(out: &mut Vec<u8>, name: &str, data: &Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    if serde_json::to_writer(&mut *out, data).is_err() {
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"\n\n");
}
