//! The Messages API stream ("Streaming Messages": `message_start`, `content_block_start`,
//! `content_block_delta`, `content_block_stop`, `message_delta`, `message_stop`, `ping`,
//! `error`) translated into neutral [`StreamEvent`]s.
//!
//! Guarantees (fixing Kong's losses, docs/kong-compatibility.md §13.2):
//! - `Meta{id, model}` once, from `message_start`.
//! - Text, reasoning (`thinking_delta`) and tool calls are all forwarded; `signature_delta`,
//!   `citations_delta`, `ping` and event types this filter does not know are ignored.
//! - Tool calls are numbered by the order of their `tool_use` blocks (0, 1, …), not by the
//!   block index, which also counts text and thinking blocks. `ToolCallStart` comes before
//!   any `ToolCallArgs` of the same call; `partial_json` fragments are forwarded as they come.
//! - `Finish` is emitted when `message_delta` carries a `stop_reason`, immediately followed
//!   by `Usage`. Usage is input tokens (+ cache reads and writes) from `message_start` and
//!   the **cumulative** output tokens of the latest `message_delta`, replaced, never added
//!   (Kong adds message_start's output token to them). Later cumulative input counts in
//!   `message_delta` replace earlier ones too.
//! - An `error` event becomes `Error{message, kind}` and is the last event (later frames are
//!   ignored); a frame that is not valid JSON is a `TranslateError`. Nothing here panics.
//! - If the stream ends without a `message_delta`, `on_end` still reports the usage known so
//!   far (input tokens), so analytics see the prompt size.

use super::decode::{finish_reason, usage};
use super::wire::{ContentBlock, DeltaType, StreamEventData, StreamEventType, Usage};
use crate::error::TranslateError;
use crate::stream::{Frame, ProviderStream, StreamEvent};

/// What kind of content block an Anthropic block index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Text (`text_delta`).
    Text,
    /// Extended thinking (`thinking_delta`).
    Thinking,
    /// A client tool call, with its position among the answer's tool calls.
    Tool(u32),
    /// Anything else (redacted thinking, server tools): its deltas are ignored.
    Other,
}

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `message_start`.
    Waiting,
    /// Between `message_start` and `message_stop`.
    Open,
    /// After `message_stop`.
    Done,
    /// After an `error` event: later frames are ignored, so the error stays last.
    Failed,
}

/// Per-stream translator for the Messages API.
#[derive(Debug)]
pub struct MessagesStream {
    phase: Phase,
    /// Block index → kind, for the blocks seen so far (blocks come in index order).
    blocks: Vec<(u64, Block)>,
    /// Tool calls started so far.
    tools: u32,
    /// Usage as last reported.
    usage: Usage,
    /// Anthropic reported some usage (the docs' abbreviated examples do not).
    usage_reported: bool,
    /// A `Usage` event already went out.
    usage_sent: bool,
}

impl Default for MessagesStream {
    fn default() -> Self {
        Self::new()
    }
}

impl MessagesStream {
    /// A fresh translator.
    pub fn new() -> Self {
        MessagesStream {
            phase: Phase::Waiting,
            blocks: Vec::new(),
            tools: 0,
            usage: Usage::default(),
            usage_reported: false,
            usage_sent: false,
        }
    }

    fn block(&self, index: Option<u64>) -> Option<Block> {
        let index = index?;
        self.blocks
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| *b)
    }

    /// Replaces the known usage with every count the event reports (all are cumulative).
    fn merge_usage(&mut self, u: &Usage) {
        self.usage_reported = true;
        let cur = &mut self.usage;
        cur.input_tokens = u.input_tokens.or(cur.input_tokens);
        cur.output_tokens = u.output_tokens.or(cur.output_tokens);
        cur.cache_creation_input_tokens = u
            .cache_creation_input_tokens
            .or(cur.cache_creation_input_tokens);
        cur.cache_read_input_tokens = u.cache_read_input_tokens.or(cur.cache_read_input_tokens);
    }

    /// Pushes the usage known so far, if Anthropic reported any (nothing is invented: the
    /// emitter estimates when no `Usage` comes).
    fn emit_usage(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.usage_reported {
            return;
        }
        out.push(StreamEvent::Usage(usage(&self.usage)));
        self.usage_sent = true;
    }

    fn on_event(&mut self, ev: StreamEventData, out: &mut Vec<StreamEvent>) {
        if self.phase == Phase::Failed {
            return;
        }
        match ev.kind {
            StreamEventType::MessageStart => {
                let msg = ev.message.unwrap_or_default();
                if let Some(u) = &msg.usage {
                    self.merge_usage(u);
                }
                if self.phase == Phase::Waiting {
                    out.push(StreamEvent::Meta {
                        id: msg.id,
                        model: msg.model,
                    });
                    self.phase = Phase::Open;
                }
            }
            StreamEventType::ContentBlockStart => self.start_block(ev, out),
            StreamEventType::ContentBlockDelta => self.delta(ev, out),
            StreamEventType::MessageDelta => {
                if let Some(u) = &ev.usage {
                    self.merge_usage(u);
                }
                if let Some(reason) = ev.delta.and_then(|d| d.stop_reason) {
                    out.push(StreamEvent::Finish(finish_reason(reason)));
                }
                self.emit_usage(out);
            }
            StreamEventType::MessageStop => self.phase = Phase::Done,
            StreamEventType::Error => {
                let err = ev.error.unwrap_or_default();
                out.push(StreamEvent::Error {
                    message: err
                        .message
                        .unwrap_or_else(|| "anthropic stream error".to_string()),
                    kind: err.kind,
                });
                self.phase = Phase::Failed;
            }
            StreamEventType::ContentBlockStop
            | StreamEventType::Ping
            | StreamEventType::Unknown => {}
        }
    }

    fn start_block(&mut self, ev: StreamEventData, out: &mut Vec<StreamEvent>) {
        let kind = match ev.content_block {
            Some(ContentBlock::Text { text }) => {
                if !text.is_empty() {
                    out.push(StreamEvent::Text(text));
                }
                Block::Text
            }
            Some(ContentBlock::Thinking { thinking }) => {
                if !thinking.is_empty() {
                    out.push(StreamEvent::Reasoning(thinking));
                }
                Block::Thinking
            }
            Some(ContentBlock::ToolUse { id, name, input }) => {
                let index = self.tools;
                self.tools = self.tools.saturating_add(1);
                out.push(StreamEvent::ToolCallStart { index, id, name });
                // The docs send `input: {}` here and the arguments as deltas; a proxy that
                // sends the whole input up front still gets it through.
                if input.as_object().is_some_and(|o| !o.is_empty()) {
                    out.push(StreamEvent::ToolCallArgs {
                        index,
                        fragment: input.to_string(),
                    });
                }
                Block::Tool(index)
            }
            Some(ContentBlock::Unknown) | None => Block::Other,
        };
        if let Some(i) = ev.index {
            self.blocks.push((i, kind));
        }
    }

    fn delta(&mut self, ev: StreamEventData, out: &mut Vec<StreamEvent>) {
        let block = self.block(ev.index);
        let Some(delta) = ev.delta else { return };
        match delta.kind {
            Some(DeltaType::TextDelta) => {
                if let Some(t) = delta.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Text(t));
                }
            }
            Some(DeltaType::ThinkingDelta) => {
                if let Some(t) = delta.thinking.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Reasoning(t));
                }
            }
            Some(DeltaType::InputJsonDelta) => {
                if let (Some(Block::Tool(index)), Some(fragment)) =
                    (block, delta.partial_json.filter(|f| !f.is_empty()))
                {
                    out.push(StreamEvent::ToolCallArgs { index, fragment });
                }
            }
            Some(DeltaType::SignatureDelta | DeltaType::CitationsDelta | DeltaType::Unknown)
            | None => {}
        }
    }
}

impl ProviderStream for MessagesStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let data = match &frame {
            Frame::Sse { data, .. } => data.as_bytes(),
            Frame::Json(bytes) => bytes.as_slice(),
            Frame::Event(_) => {
                return Err(TranslateError::new(
                    "unexpected AWS eventstream frame in an anthropic stream",
                ))
            }
        };
        let trimmed = data.trim_ascii();
        // Empty `data:` (a bare `event: ping`) and a stray `[DONE]` carry nothing.
        if trimmed.is_empty() || trimmed == b"[DONE]" {
            return Ok(());
        }
        let ev: StreamEventData = serde_json::from_slice(trimmed)
            .map_err(|e| TranslateError::new(format!("invalid anthropic stream event: {e}")))?;
        self.on_event(ev, out);
        Ok(())
    }

    fn on_end(&mut self, out: &mut Vec<StreamEvent>) {
        if matches!(self.phase, Phase::Open | Phase::Done) && !self.usage_sent {
            self.emit_usage(out);
        }
    }
}
