//! Hugging Face chat streams → neutral [`StreamEvent`]s.
//!
//! The router streams OpenAI-style `chat.completion.chunk` objects as SSE `data:` events and
//! ends with `data: [DONE]` (hub-docs `tasks/chat-completion.md`; TGI `router/src/server.rs`,
//! `router/src/chat.rs`). What differs from OpenAI, and what this translator does about it:
//! - TGI's chunk `id` is `""`: [`StreamEvent::Meta`] carries `id: None` then, and the emitter
//!   makes one up.
//! - TGI repeats the tool call's `index` (always 0) and `id` on every piece and sends its `name`
//!   only on the first; OpenAI-style providers send `id`/`name` once per call and number calls
//!   by `index`. Both are keyed by upstream index (or id when a provider omits the index).
//! - `finish_reason` uses TGI names (`stop_sequence`, `eos_token`) and says `stop` after a tool
//!   call: mapped by [`decode::finish_reason`].
//! - Errors arrive as a `data:` object with `error` (a string with `error_type`, or an object
//!   with `message`): one [`StreamEvent::Error`], then nothing more is translated.
//!
//! Guarantees: `Meta` at most once, before any content; `ToolCallStart` once per call, before
//! its `ToolCallArgs`, indices counting the answer's calls from 0; `Finish` at most once; nothing
//! after `[DONE]` or an error. Only choice 0 is translated (neutral events have no choice index,
//! so `n > 1` streams keep their first choice). Malformed JSON is an `Err`, never a panic.

use super::decode;
use super::wire;
use crate::error::TranslateError;
use crate::stream::{Frame, ProviderStream, StreamEvent};

/// Whether the answer's metadata has been announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetaState {
    /// No chunk with an id or a model yet.
    Pending,
    /// `Meta` sent.
    Sent,
}

/// Whether the finish reason has been announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FinishState {
    /// Not yet.
    Pending,
    /// `Finish` sent.
    Sent,
}

/// Where the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Chunks are translated.
    Open,
    /// `[DONE]` or an error was seen: later frames are ignored.
    Closed,
}

/// A tool call seen in the stream.
#[derive(Debug, Clone)]
struct Call {
    /// The provider's index for it, when it gives one.
    upstream_index: Option<u32>,
    /// Its id (the provider's, or one made up from the stream's prefix).
    id: String,
}

/// Per-stream state of a Hugging Face chat stream.
#[derive(Debug)]
pub struct HfStream {
    phase: Phase,
    meta: MetaState,
    finish: FinishState,
    /// Tool calls in answer order: the position is the neutral index.
    calls: Vec<Call>,
    /// Prefix for ids of calls the provider leaves without one (unique per stream).
    call_id_prefix: String,
}

impl HfStream {
    /// A fresh translator; `call_id_prefix` (e.g. `call_<random>`) names tool calls that come
    /// without an id.
    pub fn new(call_id_prefix: String) -> Self {
        HfStream {
            phase: Phase::Open,
            meta: MetaState::Pending,
            finish: FinishState::Pending,
            calls: Vec::new(),
            call_id_prefix,
        }
    }

    fn on_data(&mut self, data: &str, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            self.phase = Phase::Closed;
            return Ok(());
        }
        let chunk: wire::ChatChunk = serde_json::from_slice(data.as_bytes())
            .map_err(|e| TranslateError::new(format!("invalid stream chunk: {e}")))?;
        if let Some(err) = &chunk.error {
            out.push(StreamEvent::Error {
                message: err.message(),
                kind: chunk.error_type.clone().or_else(|| err.kind()),
            });
            self.phase = Phase::Closed;
            return Ok(());
        }
        self.ensure_meta(&chunk, out);
        let first = chunk
            .choices
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|c| c.index.unwrap_or(0) == 0);
        if let Some(choice) = first {
            if let Some(delta) = &choice.delta {
                self.on_delta(delta, out)?;
            }
            if let Some(reason) = choice.finish_reason {
                self.ensure_finish(reason, out);
            }
        }
        if let Some(u) = &chunk.usage {
            out.push(StreamEvent::Usage(decode::usage(u)));
        }
        Ok(())
    }

    /// Owns "`Meta` at most once, before content".
    fn ensure_meta(&mut self, chunk: &wire::ChatChunk, out: &mut Vec<StreamEvent>) {
        if self.meta == MetaState::Sent {
            return;
        }
        let id = decode::non_empty(chunk.id.as_ref()).map(str::to_string);
        let model = decode::non_empty(chunk.model.as_ref()).map(str::to_string);
        if id.is_some() || model.is_some() {
            out.push(StreamEvent::Meta { id, model });
            self.meta = MetaState::Sent;
        }
    }

    /// Owns "`Finish` at most once".
    fn ensure_finish(&mut self, reason: wire::FinishReason, out: &mut Vec<StreamEvent>) {
        if self.finish == FinishState::Pending {
            let called_tools = !self.calls.is_empty();
            out.push(StreamEvent::Finish(decode::finish_reason(
                reason,
                called_tools,
            )));
            self.finish = FinishState::Sent;
        }
    }

    fn on_delta(
        &mut self,
        delta: &wire::Delta,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        if let Some(r) = delta.reasoning_content.as_ref().filter(|r| !r.is_empty()) {
            out.push(StreamEvent::Reasoning(r.clone()));
        }
        if let Some(t) = delta.content.as_ref().filter(|t| !t.is_empty()) {
            out.push(StreamEvent::Text(t.clone()));
        }
        for piece in delta.tool_calls.as_deref().unwrap_or_default() {
            self.on_tool_piece(piece, out)?;
        }
        Ok(())
    }

    /// Owns "`ToolCallStart` once per call, before its arguments".
    fn on_tool_piece(
        &mut self,
        piece: &wire::DeltaToolCall,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), TranslateError> {
        let id = decode::non_empty(piece.id.as_ref());
        let function = piece.function.as_ref();
        let known = match (piece.index, id) {
            (Some(i), _) => self.calls.iter().position(|c| c.upstream_index == Some(i)),
            (None, Some(id)) => self.calls.iter().position(|c| c.id == id),
            // Neither index nor id: a continuation of the latest call, if any.
            (None, None) => self.calls.len().checked_sub(1),
        };
        let index = match known {
            Some(pos) => pos,
            None => {
                let Some(name) = decode::non_empty(function.and_then(|f| f.name.as_ref())) else {
                    return Err(TranslateError::new(
                        "tool call fragment without a name for a new call",
                    ));
                };
                let pos = self.calls.len();
                let id =
                    id.map_or_else(|| format!("{}_{pos}", self.call_id_prefix), str::to_string);
                out.push(StreamEvent::ToolCallStart {
                    index: neutral_index(pos),
                    id: id.clone(),
                    name: name.to_string(),
                });
                self.calls.push(Call {
                    upstream_index: piece.index,
                    id,
                });
                pos
            }
        };
        if let Some(args) = function
            .and_then(|f| f.arguments.as_ref())
            .filter(|a| !a.is_empty())
        {
            out.push(StreamEvent::ToolCallArgs {
                index: neutral_index(index),
                fragment: args.clone(),
            });
        }
        Ok(())
    }
}

fn neutral_index(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

impl ProviderStream for HfStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        if self.phase == Phase::Closed {
            return Ok(());
        }
        match frame {
            // A named `error` event is an error whatever its payload looks like.
            Frame::Sse {
                event: Some(name),
                data,
            } if name == "error" => {
                let (message, kind) =
                    match serde_json::from_slice::<wire::ErrorBody>(data.as_bytes()) {
                        Ok(body) => (body.error.message(), body.error.kind()),
                        Err(_) => (data, None),
                    };
                out.push(StreamEvent::Error { message, kind });
                self.phase = Phase::Closed;
                Ok(())
            }
            Frame::Sse { data, .. } => self.on_data(&data, out),
            // Not expected from the router, but a JSON value is a chunk all the same.
            Frame::Json(bytes) => {
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| TranslateError::new("stream chunk is not UTF-8"))?;
                self.on_data(text, out)
            }
            Frame::Event(_) => Err(TranslateError::new("unexpected AWS eventstream frame")),
        }
    }
}
